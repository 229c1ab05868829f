"""A deliberately naive reference order book for differential tests of the matching core.

It is written to be obviously right rather than fast: resting orders live in one flat list,
every fill rescans and re-sorts the whole list, and nothing is indexed or cached. Prices are
integer ticks, quantities integer lots, sides "buy"/"sell".

Rules (DESIGN.md section 3 and the README's matching rules):

- price-time priority; a trade executes at the resting (maker) order's price;
- every submit gets the next order id, including orders that end up rejected;
- a market order never rests: its remainder is cancelled ("market_remainder"); a market order
  into an empty opposite side is rejected ("no_liquidity");
- IOC cancels its unfilled remainder ("ioc_remainder");
- FOK executes in full at once or is rejected ("fok_unfillable"); hidden iceberg size counts;
- a post-only order that would take liquidity is rejected ("post_only_would_cross");
- replace sets a new open quantity and/or price: a lower (or equal) quantity at the same price
  keeps the order's place; a higher quantity or another price sends it to the back, and a new
  price that crosses trades at once, except that a post-only order is then cancelled
  ("post_only_would_cross");
- cancel removes the open quantity ("user");
- execute trades part or all of one named resting order's shown quantity with an outside
  counterparty (taker order id 0), at its price, without changing its place in the queue;
- an iceberg shows at most its display size; when the shown part is filled, the next slice
  shows at the back of the queue; the hidden part is taken off first when it shrinks in place;
- self-trade prevention (``stp``, only with an owner): where the incoming order would meet a
  resting order of its owner, "cancel_newest" cancels the incoming order, "cancel_oldest" the
  resting one, "cancel_both" both, "decrement" takes the smaller open quantity off both;
- stops wait until a trade reaches them (buy: at or above, sell: at or below), are rejected
  ("stop_price_reached") if the last trade already has; the stops one trade reaches enter in
  the order it reached them (buys lowest stop first, then sells highest first; submission time
  breaks ties), and the trades they make trigger more; a triggered order that cannot enter is
  cancelled with the reason a new order would have been rejected with;
- phases: in an auction orders rest without matching (IOC/FOK rejected: "auction_phase") and
  stops wait; in a halt new orders are rejected ("halted") and replaces refused; entering
  continuous trading uncrosses a crossed book (or one with market orders waiting) first, then
  lets in the stops the last trade reached. See ``reference_auction`` for the uncross.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field

from reference_auction import indicative, uncross_fills

BUY, SELL = "buy", "sell"
BOOK_SIDE = {BUY: "bid", SELL: "ask"}
ORDER_SIDE = {"bid": BUY, "ask": SELL}

#: (price_ticks, qty_lots, maker_order_id, taker_order_id)
TradeTuple = tuple[int, int, int, int]


class NotLiveError(KeyError):
    """The reference book has no live order with this id."""


class RefusedError(ValueError):
    """The command is refused as a whole (the book stays as it was)."""


@dataclass
class RefOrder:
    """A live order: ``qty`` is its shown open quantity, ``arrival`` its time priority stamp.

    ``price`` is None for a market order waiting for an auction. An iceberg (``display``)
    also has ``hidden`` quantity.
    """

    order_id: int
    side: str
    price: int | None
    qty: int
    arrival: int
    post_only: bool
    owner: str = ""
    filled: int = 0
    display: int = 0
    hidden: int = 0

    @property
    def open(self) -> int:
        return self.qty + self.hidden

    def set_open(self, total: int) -> None:
        self.qty = min(self.display, total) if self.display else total
        self.hidden = total - self.qty


@dataclass
class RefStop:
    order_id: int
    side: str
    stop: int
    price: int | None
    qty: int
    tif: str
    stp: str
    owner: str
    arrival: int


@dataclass
class Outcome:
    """What one command did to the order it concerns (trades: all of the command's)."""

    order_id: int
    trades: list[TradeTuple] = field(default_factory=list)
    rejected: str | None = None
    #: (qty_lots, reason) of every cancellation of this order's quantity by the command.
    cancelled: list[tuple[int, str]] = field(default_factory=list)
    filled: int = 0
    leaves: int = 0
    priority_kept: bool | None = None
    #: Order ids of the stops the command triggered, in order.
    triggered: list[int] = field(default_factory=list)

    @property
    def status(self) -> str:
        if self.rejected is not None:
            return "rejected"
        if self.cancelled and self.leaves == 0:
            return "cancelled"
        if self.leaves == 0:
            return "filled"
        if self.priority_kept is not None and not self.trades:  # a replace that traded nothing
            return "replaced"
        return "partially_filled" if self.filled else "new"


def reached(side: str, stop: int, trade_price: int | None) -> bool:
    if trade_price is None:
        return False
    return trade_price >= stop if side == BUY else trade_price <= stop


class ReferenceBook:
    """A flat list of resting orders and a flat list of stops, scanned linearly."""

    def __init__(self) -> None:
        self.resting: list[RefOrder] = []
        self.stops: list[RefStop] = []
        self.last_order_id = 0
        self.last_trade: int | None = None
        self.phase = "continuous"
        self._clock = 0
        self._outcome: Outcome | None = None  # of the command being applied

    # -- helpers ------------------------------------------------------------------------------

    def _stamp(self) -> int:
        self._clock += 1
        return self._clock

    def find(self, order_id: int) -> RefOrder:
        for order in self.resting:
            if order.order_id == order_id:
                return order
        raise NotLiveError(order_id)

    def find_stop(self, order_id: int) -> RefStop:
        for stop in self.stops:
            if stop.order_id == order_id:
                return stop
        raise NotLiveError(order_id)

    def is_live(self, order_id: int) -> bool:
        return any(o.order_id == order_id for o in self.resting + self.stops)  # type: ignore[operator]

    def live_ids(self) -> list[int]:
        return sorted(o.order_id for o in self.resting + self.stops)  # type: ignore[operator]

    @staticmethod
    def _acceptable(side: str, limit: int | None, resting_price: int) -> bool:
        """Would a ``side`` order with ``limit`` (None = market) trade at ``resting_price``?"""
        if limit is None:
            return True
        return resting_price <= limit if side == BUY else resting_price >= limit

    def _makers(self, side: str, limit: int | None) -> list[RefOrder]:
        """Opposite resting orders a ``side`` order could trade with, in meeting order."""
        opposite = SELL if side == BUY else BUY
        candidates = [
            order
            for order in self.resting
            if order.side == opposite
            and order.price is not None
            and self._acceptable(side, limit, order.price)
        ]
        sign = 1 if side == BUY else -1
        candidates.sort(key=lambda order: (sign * order.price, order.arrival))
        return candidates

    def _cancel(self, order_id: int, qty: int, reason: str) -> None:
        if self._outcome is not None and order_id == self._outcome.order_id:
            self._outcome.cancelled.append((qty, reason))

    def _trade(self, price: int, qty: int, maker_id: int, taker_id: int) -> None:
        self._outcome.trades.append((price, qty, maker_id, taker_id))  # type: ignore[union-attr]
        self.last_trade = price

    def _take(
        self, side: str, limit: int | None, qty: int, taker_id: int, owner: str, stp: str
    ) -> tuple[int, int]:
        """Trade up to ``qty`` against the opposite side; return (filled, unfilled)."""
        filled = 0
        while qty:
            makers = self._makers(side, limit)
            if not makers:
                break
            maker = makers[0]
            if stp and owner and maker.owner == owner:
                qty = self._prevent(maker, qty, taker_id, stp)
                continue
            fill = min(qty, maker.qty)
            self._trade(maker.price, fill, maker.order_id, taker_id)  # type: ignore[arg-type]
            maker.qty -= fill
            maker.filled += fill
            qty -= fill
            filled += fill
            if maker.qty == 0:
                if maker.hidden:
                    maker.set_open(maker.hidden)
                    maker.arrival = self._stamp()
                else:
                    self.resting.remove(maker)
        return filled, qty

    def _prevent(self, maker: RefOrder, qty: int, taker_id: int, stp: str) -> int:
        taker_cut = maker_cut = 0
        if stp == "cancel_newest":
            taker_cut = qty
        elif stp == "cancel_oldest":
            maker_cut = maker.open
        elif stp == "cancel_both":
            taker_cut, maker_cut = qty, maker.open
        else:
            taker_cut = maker_cut = min(qty, maker.open)
        if maker_cut:
            self._cancel(maker.order_id, maker_cut, "self_trade_prevented")
            if maker_cut == maker.open:
                self.resting.remove(maker)
            else:
                self._shrink(maker, maker_cut)
        if taker_cut:
            self._cancel(taker_id, taker_cut, "self_trade_prevented")
        return qty - taker_cut

    @staticmethod
    def _shrink(order: RefOrder, lots: int) -> None:
        """Take ``lots`` off in place, hidden size first."""
        from_hidden = min(lots, order.hidden)
        order.hidden -= from_hidden
        order.qty -= lots - from_hidden

    def _problem(self, side, price, qty, tif, post_only, owner="", stp=""):
        """Why an order cannot enter continuous matching now, or None."""
        opposite = SELL if side == BUY else BUY
        makers = self._makers(side, price)
        if price is None and not any(o.side == opposite and o.price for o in self.resting):
            return "no_liquidity"
        if post_only and makers:
            return "post_only_would_cross"
        if tif == "FOK" and self._fillable(side, price, qty, owner, stp) < qty:
            return "fok_unfillable"
        return None

    def _fillable(self, side: str, price: int | None, qty: int, owner: str, stp: str) -> int:
        """What a FOK order would fill: matched, naively, on a copy of the whole book."""
        trial = copy.deepcopy(self)
        return trial._take(side, price, qty, 0, owner, stp)[0]

    def _enter(self, order_id, side, price, qty, tif, post_only, owner, display, stp) -> int:
        """Match an accepted order, rest or cancel the rest; return its open quantity."""
        filled, leaves = self._take(side, price, qty, order_id, owner, stp)
        if leaves and (price is None or tif != "GTC"):
            self._cancel(order_id, leaves, "market_remainder" if price is None else "ioc_remainder")
            return 0
        if leaves:
            order = RefOrder(order_id, side, price, 0, self._stamp(), post_only, owner, filled)
            order.display = display
            order.set_open(leaves)
            self.resting.append(order)
        return leaves

    def _cascade(self, scanned: int = 0, price: int | None = None) -> None:
        """Let in the stops that the command's trades (or a trade at ``price``) reach."""
        trades = self._outcome.trades  # type: ignore[union-attr]
        waiting: list[tuple[RefStop, int]] = []
        if price is not None:
            waiting += [(stop, price) for stop in self._pop_reached(price)]
        while True:
            for trade in trades[scanned:]:
                waiting += [(stop, trade[0]) for stop in self._pop_reached(trade[0])]
            scanned = len(trades)
            if not waiting:
                return
            stop, _ = waiting.pop(0)
            self._outcome.triggered.append(stop.order_id)  # type: ignore[union-attr]
            problem = self._problem(
                stop.side, stop.price, stop.qty, stop.tif, False, stop.owner, stop.stp
            )
            if problem:
                self._cancel(stop.order_id, stop.qty, problem)
                continue
            self._enter(
                stop.order_id, stop.side, stop.price, stop.qty, stop.tif, False, stop.owner, 0,
                stop.stp,
            )  # fmt: skip

    def _pop_reached(self, price: int) -> list[RefStop]:
        hits = [s for s in self.stops if reached(s.side, s.stop, price)]
        hits.sort(key=lambda s: (s.side != BUY, s.stop if s.side == BUY else -s.stop, s.arrival))
        for stop in hits:
            self.stops.remove(stop)
        return hits

    def _finish(self, outcome: Outcome) -> Outcome:
        self._outcome = None
        if self.is_live(outcome.order_id):
            order = next(
                o
                for o in self.resting + self.stops
                if o.order_id == outcome.order_id  # type: ignore[operator]
            )
            outcome.leaves = order.open if isinstance(order, RefOrder) else order.qty
            outcome.filled = order.filled if isinstance(order, RefOrder) else 0
        else:
            outcome.leaves = 0
            outcome.filled = outcome.filled or sum(
                t[1] for t in outcome.trades if outcome.order_id in (t[2], t[3])
            )
        return outcome

    # -- commands -----------------------------------------------------------------------------

    def submit(
        self,
        side: str,
        qty: int,
        price: int | None = None,
        tif: str = "GTC",
        post_only: bool = False,
        owner: str = "",
        stop: int | None = None,
        display: int = 0,
        stp: str = "",
    ) -> Outcome:
        self.last_order_id += 1
        order_id = self.last_order_id
        outcome = self._outcome = Outcome(order_id)
        if self.phase == "halted":
            outcome.rejected = "halted"
        elif self.phase == "auction" and tif != "GTC":
            outcome.rejected = "auction_phase"
        elif stop is not None:
            if reached(side, stop, self.last_trade):
                outcome.rejected = "stop_price_reached"
            else:
                self.stops.append(
                    RefStop(order_id, side, stop, price, qty, tif, stp, owner, self._stamp())
                )
        elif self.phase == "auction":
            order = RefOrder(order_id, side, price, 0, self._stamp(), post_only, owner)
            order.display = display
            order.set_open(qty)
            self.resting.append(order)
        else:
            outcome.rejected = self._problem(side, price, qty, tif, post_only, owner, stp)
            if outcome.rejected is None:
                self._enter(order_id, side, price, qty, tif, post_only, owner, display, stp)
                self._cascade()
        if outcome.rejected is not None:
            self._outcome = None
            return outcome
        return self._finish(outcome)

    def cancel(self, order_id: int) -> Outcome:
        outcome = self._outcome = Outcome(order_id)
        if any(s.order_id == order_id for s in self.stops):
            stop = self.find_stop(order_id)
            self.stops.remove(stop)
            self._cancel(order_id, stop.qty, "user")
            return self._finish(outcome)
        order = self.find(order_id)
        self.resting.remove(order)
        self._cancel(order_id, order.open, "user")
        outcome = self._finish(outcome)
        outcome.filled = order.filled
        return outcome

    def replace(self, order_id: int, qty: int | None = None, price: int | None = None) -> Outcome:
        if self.phase == "halted":
            raise RefusedError("halted")
        order = self.find(order_id)
        if order.price is None:
            raise RefusedError("a market order has no price")
        outcome = self._outcome = Outcome(order_id)
        new_qty = order.open if qty is None else qty
        new_price = order.price if price is None else price
        if new_price == order.price:
            outcome.priority_kept = new_qty <= order.open
            if outcome.priority_kept:
                self._shrink(order, order.open - new_qty)
            else:
                order.set_open(new_qty)
                order.arrival = self._stamp()
        else:
            outcome.priority_kept = False
            self.resting.remove(order)
            leaves = new_qty
            if self.phase == "continuous" and self._makers(order.side, new_price):
                if order.post_only:
                    self._cancel(order_id, new_qty, "post_only_would_cross")
                    leaves = 0
                else:
                    filled, leaves = self._take(order.side, new_price, new_qty, order_id, "", "")
                    order.filled += filled
            if leaves:
                order.price, order.arrival = new_price, self._stamp()
                order.set_open(leaves)
                self.resting.append(order)
        if self.phase == "continuous":
            self._cascade()
        result = self._finish(outcome)
        result.filled = order.filled
        return result

    def replace_stop(
        self, order_id: int, stop: int | None, qty: int | None, price: int | None
    ) -> Outcome:
        if self.phase == "halted":
            raise RefusedError("halted")
        pending = self.find_stop(order_id)
        new_stop = pending.stop if stop is None else stop
        if reached(pending.side, new_stop, self.last_trade):
            raise RefusedError("already reached")
        new_price = pending.price if price is None else price
        new_qty = pending.qty if qty is None else qty
        outcome = Outcome(order_id)
        outcome.priority_kept = (new_stop, new_price) == (pending.stop, pending.price) and (
            new_qty <= pending.qty
        )
        if not outcome.priority_kept:
            pending.arrival = self._stamp()
        pending.stop, pending.price, pending.qty = new_stop, new_price, new_qty
        outcome.leaves = new_qty
        return outcome

    def execute(self, order_id: int, qty: int) -> Outcome:
        """Trade ``qty`` of a named resting order's shown quantity with an outside taker."""
        order = self.find(order_id)
        if qty > order.qty or order.price is None:
            raise RefusedError(f"only {order.qty} shown on order {order_id}")
        outcome = self._outcome = Outcome(order_id)
        self._trade(order.price, qty, order_id, 0)
        order.qty -= qty
        order.filled += qty
        if order.qty == 0:
            if order.hidden:
                order.set_open(order.hidden)
                order.arrival = self._stamp()
            else:
                self.resting.remove(order)
        if self.phase == "continuous":
            self._cascade()
        result = self._finish(outcome)
        result.filled = order.filled
        return result

    def set_phase(self, phase: str) -> Outcome:
        """Change the phase; the outcome's trades are the uncross's and the cascade's."""
        if phase == self.phase:
            raise RefusedError("already in that phase")
        outcome = Outcome(0)
        if phase == "continuous" and self.needs_uncross():
            outcome = self.uncross()
        self._outcome = outcome
        self.phase = phase
        if phase == "continuous" and self.last_trade is not None:
            self._cascade(len(outcome.trades), self.last_trade)
        self._outcome = None
        return outcome

    def needs_uncross(self) -> bool:
        bids, asks = self.levels("bid"), self.levels("ask")
        crossed = bids and asks and bids[0][0] >= asks[0][0]
        return bool(crossed or any(o.price is None for o in self.resting))

    def indicative(self) -> tuple[int, int, int, str | None] | None:
        if self.phase != "auction":
            return None
        return indicative(self.resting, self.last_trade)

    def uncross(self) -> Outcome:
        """Execute the auction: the outcome's trades, and every cancellation in ``cancelled``."""
        outcome = self._outcome = Outcome(0)
        found = indicative(self.resting, self.last_trade)
        if found is not None:
            for buy, sell, lots in uncross_fills(self.resting, found[0], found[1]):
                maker, taker = (buy, sell) if buy.order_id < sell.order_id else (sell, buy)
                self._trade(found[0], lots, maker.order_id, taker.order_id)
                for order in (buy, sell):
                    order.filled += lots
                    from_shown = min(lots, order.qty)
                    order.qty -= from_shown
                    order.hidden -= lots - from_shown
                    if order.qty == 0 and order.hidden:
                        order.set_open(order.hidden)
                        order.arrival = self._stamp()
            self.resting = [o for o in self.resting if o.open]
        for order in [o for o in self.resting if o.price is None]:
            outcome.cancelled.append((order.qty, "market_remainder"))
            self.resting.remove(order)
        self._outcome = None
        return outcome

    # -- queries ------------------------------------------------------------------------------

    def levels(self, book_side: str) -> list[tuple[int, int, int]]:
        """``[(price, total shown qty, order count), ...]`` of "bid" or "ask", best first."""
        side = ORDER_SIDE[book_side]
        prices = sorted(
            {o.price for o in self.resting if o.side == side and o.price is not None},
            reverse=side == BUY,
        )
        result = []
        for price in prices:
            orders = [o for o in self.resting if o.side == side and o.price == price]
            result.append((price, sum(o.qty for o in orders), len(orders)))
        return result

    def queue(self, book_side: str, price: int) -> list[tuple[int, int]]:
        """``[(order_id, whole open qty), ...]`` at one price, first in time first."""
        side = ORDER_SIDE[book_side]
        orders = [o for o in self.resting if o.side == side and o.price == price]
        orders.sort(key=lambda order: order.arrival)
        return [(order.order_id, order.open) for order in orders]

    def pending_stops(self, side: str) -> list[tuple[int, int, int]]:
        """``[(order_id, stop, qty), ...]`` next to trigger first."""
        stops = [s for s in self.stops if s.side == side]
        stops.sort(key=lambda s: (s.stop if side == BUY else -s.stop, s.arrival))
        return [(s.order_id, s.stop, s.qty) for s in stops]

    def arrival_of(self, order_id: int) -> int:
        return self.find(order_id).arrival
