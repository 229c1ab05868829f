"""A deliberately naive reference order book for differential tests of the matching core.

It is written to be obviously right rather than fast: resting orders live in one flat list,
every match scans the whole list and sorts the candidates by price then arrival, and nothing is
indexed or cached. Prices are integer ticks, quantities integer lots, sides "buy"/"sell".

Rules (DESIGN.md section 3):

- price-time priority; a trade executes at the resting (maker) order's price;
- every submit gets the next order id, including orders that end up rejected;
- a market order never rests: its remainder is cancelled ("market_remainder"); a market order
  into an empty opposite side is rejected ("no_liquidity");
- IOC cancels its unfilled remainder ("ioc_remainder");
- FOK executes in full at once or is rejected ("fok_unfillable");
- a post-only order that would take liquidity is rejected ("post_only_would_cross");
- replace sets a new open quantity and/or price: a lower (or equal) quantity at the same price
  keeps the order's place; a higher quantity or another price sends it to the back, and a new
  price that crosses trades at once, except that a post-only order is then cancelled
  ("post_only_would_cross");
- cancel removes the open quantity ("user");
- execute trades part or all of one named resting order with an outside counterparty (taker
  order id 0), at its price, without changing its place in the queue.
"""

from __future__ import annotations

from dataclasses import dataclass, field

BUY, SELL = "buy", "sell"
BOOK_SIDE = {BUY: "bid", SELL: "ask"}
ORDER_SIDE = {"bid": BUY, "ask": SELL}

#: (price_ticks, qty_lots, maker_order_id, taker_order_id)
TradeTuple = tuple[int, int, int, int]


class NotLiveError(KeyError):
    """The reference book has no live order with this id."""


@dataclass
class RefOrder:
    """A resting order: ``qty`` is its open quantity, ``arrival`` its time priority stamp."""

    order_id: int
    side: str
    price: int
    qty: int
    arrival: int
    post_only: bool
    filled: int = 0


@dataclass
class Outcome:
    """What one command did to the order it concerns."""

    order_id: int
    trades: list[TradeTuple] = field(default_factory=list)
    rejected: str | None = None
    #: (qty_lots, reason) of this order's quantity that the command cancelled, if any.
    cancelled: tuple[int, str] | None = None
    #: All this order has executed so far, and what is still open after the command.
    filled: int = 0
    leaves: int = 0
    #: For replaces: whether the order kept its place in the queue.
    priority_kept: bool | None = None

    @property
    def status(self) -> str:
        if self.rejected is not None:
            return "rejected"
        if self.cancelled is not None:
            return "cancelled"
        if self.leaves == 0:
            return "filled"
        if self.priority_kept is not None and not self.trades:  # a replace that traded nothing
            return "replaced"
        return "partially_filled" if self.filled else "new"


class ReferenceBook:
    """A flat list of resting orders, scanned linearly."""

    def __init__(self) -> None:
        self.resting: list[RefOrder] = []
        self.last_order_id = 0
        self._clock = 0

    # -- helpers ------------------------------------------------------------------------------

    def _stamp(self) -> int:
        self._clock += 1
        return self._clock

    def find(self, order_id: int) -> RefOrder:
        for order in self.resting:
            if order.order_id == order_id:
                return order
        raise NotLiveError(order_id)

    def is_live(self, order_id: int) -> bool:
        return any(order.order_id == order_id for order in self.resting)

    @staticmethod
    def _acceptable(side: str, limit: int | None, resting_price: int) -> bool:
        """Would a ``side`` order with ``limit`` (None = market) trade at ``resting_price``?"""
        if limit is None:
            return True
        return resting_price <= limit if side == BUY else resting_price >= limit

    def _makers(self, side: str, limit: int | None) -> list[RefOrder]:
        """Opposite orders a ``side`` order could trade with, in the order it would meet them."""
        opposite = SELL if side == BUY else BUY
        candidates = [
            order
            for order in self.resting
            if order.side == opposite and self._acceptable(side, limit, order.price)
        ]
        if side == BUY:
            candidates.sort(key=lambda order: (order.price, order.arrival))
        else:
            candidates.sort(key=lambda order: (-order.price, order.arrival))
        return candidates

    def _take(self, side: str, limit: int | None, qty: int, taker_id: int) -> tuple[list, int]:
        """Trade up to ``qty`` against the opposite side; return (trades, unfilled qty)."""
        trades: list[TradeTuple] = []
        for maker in self._makers(side, limit):
            if qty == 0:
                break
            fill = min(qty, maker.qty)
            trades.append((maker.price, fill, maker.order_id, taker_id))
            maker.qty -= fill
            maker.filled += fill
            qty -= fill
        self.resting = [order for order in self.resting if order.qty > 0]
        return trades, qty

    # -- commands -----------------------------------------------------------------------------

    def submit(
        self,
        side: str,
        qty: int,
        price: int | None = None,
        tif: str = "GTC",
        post_only: bool = False,
    ) -> Outcome:
        self.last_order_id += 1
        order_id = self.last_order_id
        outcome = Outcome(order_id)
        makers = self._makers(side, price)
        opposite = SELL if side == BUY else BUY
        if price is None and not any(order.side == opposite for order in self.resting):
            outcome.rejected = "no_liquidity"
            return outcome
        if post_only and makers:
            outcome.rejected = "post_only_would_cross"
            return outcome
        if tif == "FOK" and sum(order.qty for order in makers) < qty:
            outcome.rejected = "fok_unfillable"
            return outcome
        outcome.trades, leaves = self._take(side, price, qty, order_id)
        outcome.filled = qty - leaves
        if leaves and price is None:
            outcome.cancelled = (leaves, "market_remainder")
        elif leaves and tif != "GTC":
            outcome.cancelled = (leaves, "ioc_remainder")
        elif leaves:
            self.resting.append(
                RefOrder(order_id, side, price, leaves, self._stamp(), post_only, qty - leaves)
            )
            outcome.leaves = leaves
        return outcome

    def cancel(self, order_id: int) -> Outcome:
        order = self.find(order_id)
        self.resting.remove(order)
        return Outcome(order_id, cancelled=(order.qty, "user"), filled=order.filled)

    def replace(self, order_id: int, qty: int | None = None, price: int | None = None) -> Outcome:
        order = self.find(order_id)
        new_qty = order.qty if qty is None else qty
        new_price = order.price if price is None else price
        outcome = Outcome(order_id)
        if new_price == order.price:
            outcome.priority_kept = new_qty <= order.qty
            if not outcome.priority_kept:
                order.arrival = self._stamp()
            order.qty = new_qty
        else:
            outcome.priority_kept = False
            self.resting.remove(order)
            leaves = new_qty
            if self._makers(order.side, new_price):
                if order.post_only:
                    outcome.cancelled = (new_qty, "post_only_would_cross")
                    leaves = 0
                else:
                    outcome.trades, leaves = self._take(
                        order.side, new_price, new_qty, order.order_id
                    )
                    order.filled += new_qty - leaves
            if leaves:
                order.price, order.qty, order.arrival = new_price, leaves, self._stamp()
                self.resting.append(order)
        outcome.filled = order.filled
        outcome.leaves = order.qty if self.is_live(order_id) else 0
        return outcome

    def execute(self, order_id: int, qty: int) -> Outcome:
        """Trade ``qty`` of a named resting order with an outside taker (order id 0)."""
        order = self.find(order_id)
        if qty > order.qty:
            raise ValueError(f"only {order.qty} open on order {order_id}")
        order.qty -= qty
        order.filled += qty
        if order.qty == 0:
            self.resting.remove(order)
        return Outcome(
            order_id, [(order.price, qty, order_id, 0)], filled=order.filled, leaves=order.qty
        )

    # -- queries ------------------------------------------------------------------------------

    def levels(self, book_side: str) -> list[tuple[int, int, int]]:
        """``[(price, total qty, order count), ...]`` of "bid" or "ask", best first."""
        side = ORDER_SIDE[book_side]
        prices = sorted(
            {order.price for order in self.resting if order.side == side},
            reverse=side == BUY,
        )
        result = []
        for price in prices:
            queue = self.queue(book_side, price)
            result.append((price, sum(qty for _, qty in queue), len(queue)))
        return result

    def queue(self, book_side: str, price: int) -> list[tuple[int, int]]:
        """``[(order_id, open qty), ...]`` at one price, first in time first."""
        side = ORDER_SIDE[book_side]
        orders = [o for o in self.resting if o.side == side and o.price == price]
        orders.sort(key=lambda order: order.arrival)
        return [(order.order_id, order.qty) for order in orders]

    def arrival_of(self, order_id: int) -> int:
        return self.find(order_id).arrival
