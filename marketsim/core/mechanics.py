"""Exchange mechanics beyond plain continuous matching, as a mixin of ``MatchingEngine``.

Stop orders wait in ``PendingStops`` and enter when a trade reaches them, in a cascade that runs
to its end within the command that set it off. Icebergs rest with a shown slice and hidden
size (``RestingOrder.hidden_lots``); ``MatchingEngine._match`` refills them. Self-trade
prevention is decided by the incoming order's mode. Orders arriving during a call auction or a
halt are handled here; the auction itself is in ``auction``, cancels and replaces in ``amend``.

The engine's hot path (``MatchingEngine.submit`` and ``cancel``) only comes here when a command
or the phase needs it, so these features cost nothing when unused.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from typing import TYPE_CHECKING

from marketsim.core.book import (
    BookHalf,
    BookState,
    Level,
    RestingOrder,
    crosses,
    fillable_lots,
    new_resting_order,
)
from marketsim.core.commands import SubmitOrder
from marketsim.core.events import (
    AUCTION,
    HALTED,
    REASON_AUCTION_PHASE,
    REASON_FOK_UNFILLABLE,
    REASON_HALTED,
    REASON_IOC_REMAINDER,
    REASON_MARKET_REMAINDER,
    REASON_NO_LIQUIDITY,
    REASON_POST_ONLY_WOULD_CROSS,
    REASON_SELF_TRADE,
    REASON_STOP_PRICE_REACHED,
    Event,
    OrderAccepted,
    OrderCancelled,
    OrderRejected,
    StopTriggered,
    Trade,
)
from marketsim.core.stops import PendingStops, StopOrder, stop_reached


def reduce_open_lots(order: RestingOrder, level: Level, lots: int) -> None:
    """Take ``lots`` off a resting order in place (hidden size first): it keeps its priority."""
    from_hidden = min(lots, order.hidden_lots)
    if from_hidden:
        order.hidden_lots -= from_hidden
    order.qty_lots -= lots - from_hidden
    level.qty_lots -= lots - from_hidden


def _settle_levels(touched: dict[Level, None]) -> None:
    """Publish each price once after a cascade, which can empty a level and open it again.

    A level emptied and recreated at the same price is published as one update of the new
    level; a level both opened and emptied within the command is not published at all.
    """
    by_price: dict[tuple[str, int], Level] = {}
    for level in list(touched):
        key = (level.side, level.price_ticks)
        earlier = by_price.get(key)
        if earlier is not None:
            del touched[earlier]
            level.is_new = earlier.is_new
        by_price[key] = level
    for level in list(touched):
        if level.is_new and not level.orders:
            del touched[level]


def _fillable_without_self_trades(
    opposite: BookHalf, side: str, limit: int | None, wanted: int, owner: str, stp: str
) -> int:
    """What a fill-or-kill order with self-trade prevention would fill of ``wanted``, walking
    the queues as matching does.

    Its owner's own orders never fill it: meeting one ends it under "cancel_newest" and
    "cancel_both", removes the resting order under "cancel_oldest", and under "decrement"
    takes the smaller open quantity off both, so the order can no longer fill completely.
    An iceberg shows only its slice in the queue; its hidden size refills behind every other
    order at the level, so it is reached only after them (and never past an own order that
    ends the order first).
    """
    filled, remaining = 0, wanted
    for level in opposite.iter_levels():
        if limit is not None and not crosses(side, limit, level.price_ticks):
            break
        hidden = 0  # refills: behind everything shown at this level
        for order in level.orders.values():
            if order.owner == owner:
                if stp in ("cancel_newest", "cancel_both"):
                    return filled
                if stp == "decrement":
                    remaining -= min(remaining, order.qty_lots + order.hidden_lots)
                    if not remaining:
                        return filled
                continue
            taken = min(remaining, order.qty_lots)
            filled, remaining = filled + taken, remaining - taken
            if not remaining:
                return filled
            hidden += order.hidden_lots
        taken = min(remaining, hidden)
        filled, remaining = filled + taken, remaining - taken
        if not remaining:
            return filled
    return filled


class EngineState:
    """The state ``MatchingEngine`` holds and the primitives it offers, as the mixins see them
    (``MatchingEngine`` declares the slots and defines the methods)."""

    __slots__ = ()

    book: BookState
    seq: int
    phase: str
    stops: PendingStops
    stop_orders: dict[int, StopOrder]
    auction_orders: dict[int, RestingOrder]
    last_trade_ticks: int | None
    _next_trade_id: Callable[[], int]

    if TYPE_CHECKING:

        def _match(
            self,
            events: list[Event],
            touched: dict[Level, None],
            opposite: BookHalf,
            side: str,
            limit: int | None,
            leaves: int,
            taker_id: int,
            taker_owner: str,
            ts_event: int,
            stp: str = "",
        ) -> int: ...
        def _rest(self, order: RestingOrder) -> Level: ...
        def _unrest(self, order: RestingOrder) -> Level: ...
        def _refill(
            self, events: list[Event], order: RestingOrder, level: Level, seq: int, ts: int
        ) -> int: ...
        def _emit_deltas(
            self, events: list[Event], touched: dict[Level, None], ts: int
        ) -> None: ...
        def _live_order(self, order_id: int, owner: str | None) -> RestingOrder: ...
        def trigger_stops(
            self,
            events: list[Event],
            touched: dict[Level, None],
            ts: int,
            price: int | None = None,
        ) -> None: ...


class Mechanics(EngineState):
    """Stops, icebergs, self-trade prevention and phase rules (see the module docstring)."""

    __slots__ = ()

    def is_live(self, order_id: int) -> bool:
        """Is ``order_id`` resting, a pending stop, or a market order waiting for an auction?"""
        return (
            order_id in self.book.orders
            or order_id in self.stops.orders
            or order_id in self.auction_orders
        )

    # -- submit ------------------------------------------------------------------------------

    def submit_with_mechanics(self, cmd: SubmitOrder, order_id: int, ts: int) -> list[Event]:
        """Submit a stop, an iceberg, an order with self-trade prevention, or any order
        outside continuous trading."""
        order_type = "market" if cmd.price_ticks is None else "limit"
        fields = (
            order_id,
            cmd.owner,
            cmd.side,
            order_type,
            cmd.price_ticks,
            cmd.qty_lots,
            cmd.tif,
            cmd.post_only,
        )
        extras = (cmd.stop_price_ticks, cmd.display_qty_lots, cmd.stp)
        reason = self._arrival_problem(cmd)
        self.seq += 1
        if reason is not None:
            return [OrderRejected(self.seq, ts, *fields, reason, *extras)]  # type: ignore[arg-type]
        events: list[Event] = [OrderAccepted(self.seq, ts, *fields, *extras)]  # type: ignore[arg-type]
        touched: dict[Level, None] = {}
        if cmd.stop_price_ticks is not None:
            self.stops.add(
                StopOrder(
                    order_id,
                    cmd.owner,
                    cmd.side,
                    cmd.stop_price_ticks,
                    cmd.price_ticks,
                    cmd.qty_lots,
                    cmd.tif,
                    cmd.stp,
                )
            )
        elif self.phase == AUCTION:
            order = new_resting_order(
                order_id,
                cmd.owner,
                cmd.side,
                cmd.price_ticks,  # type: ignore[arg-type]
                cmd.qty_lots,
                0,
                cmd.post_only,
                cmd.display_qty_lots,
            )
            if cmd.price_ticks is None:
                self.auction_orders[order_id] = order
            else:
                touched[self._rest(order)] = None
        else:
            self._enter(
                events,
                touched,
                order_id,
                cmd.owner,
                cmd.side,
                cmd.price_ticks,
                cmd.qty_lots,
                cmd.tif,
                cmd.post_only,
                cmd.display_qty_lots,
                cmd.stp,
                ts,
            )
            if self.stops.orders:
                self.trigger_stops(events, touched, ts)
        if touched:
            self._emit_deltas(events, touched, ts)
        return events

    def _arrival_problem(self, cmd: SubmitOrder) -> str | None:
        """Why a new order cannot be accepted in the current phase, or None."""
        if self.phase == HALTED:
            return REASON_HALTED
        if self.phase == AUCTION and cmd.tif != "GTC":
            return REASON_AUCTION_PHASE
        if cmd.stop_price_ticks is not None:
            if stop_reached(cmd.side, cmd.stop_price_ticks, self.last_trade_ticks):
                return REASON_STOP_PRICE_REACHED
            return None
        if self.phase == AUCTION:
            return None
        return self._entry_problem(
            cmd.side, cmd.price_ticks, cmd.qty_lots, cmd.tif, cmd.post_only, cmd.owner, cmd.stp
        )

    def _entry_problem(
        self,
        side: str,
        price: int | None,
        qty: int,
        tif: str,
        post_only: bool,
        owner: str = "",
        stp: str = "",
    ) -> str | None:
        """Why an order cannot enter continuous matching now (the reject reasons), or None."""
        opposite = self.book.asks if side == "buy" else self.book.bids
        best = opposite.best_level()
        if best is None:
            if price is None:
                return REASON_NO_LIQUIDITY
            return REASON_FOK_UNFILLABLE if tif == "FOK" else None
        if post_only and (price is None or crosses(side, price, best.price_ticks)):
            return REASON_POST_ONLY_WOULD_CROSS
        if tif == "FOK":
            if stp and owner:
                fillable = _fillable_without_self_trades(opposite, side, price, qty, owner, stp)
            else:
                fillable = fillable_lots(opposite, side, price, qty)
            if fillable < qty:
                return REASON_FOK_UNFILLABLE
        return None

    def _enter(
        self,
        events: list[Event],
        touched: dict[Level, None],
        order_id: int,
        owner: str,
        side: str,
        price: int | None,
        qty: int,
        tif: str,
        post_only: bool,
        display: int,
        stp: str,
        ts: int,
    ) -> None:
        """Match an order that passed its checks, then rest or cancel what is left."""
        opposite: BookHalf = self.book.asks if side == "buy" else self.book.bids
        start = len(events)
        leaves = self._match(events, touched, opposite, side, price, qty, order_id, owner, ts, stp)
        if not leaves:
            return
        if price is None or tif != "GTC":
            self.seq += 1
            reason = REASON_MARKET_REMAINDER if price is None else REASON_IOC_REMAINDER
            events.append(
                OrderCancelled(self.seq, ts, order_id, owner, side, price, leaves, reason)
            )  # type: ignore[arg-type]
            return
        filled = sum(
            e.qty_lots for e in events[start:] if type(e) is Trade and e.taker_order_id == order_id
        )
        order = new_resting_order(order_id, owner, side, price, leaves, filled, post_only, display)  # type: ignore[arg-type]
        touched[self._rest(order)] = None

    # -- stops -------------------------------------------------------------------------------

    def trigger_stops(
        self, events: list[Event], touched: dict[Level, None], ts: int, price: int | None = None
    ) -> None:
        """Let in every stop the trades in ``events`` (or a trade at ``price``) reach.

        Triggered stops enter one by one in trigger order; their own trades can trigger more,
        which queue behind, until the cascade ends.
        """
        stops = self.stops
        if not (stops.orders or price is not None):
            return
        waiting: deque[tuple[StopOrder, int]] = deque()
        entered = False
        if price is not None:
            waiting.extend((stop, price) for stop in stops.pop_reached(price))
        scanned = 0
        while True:
            if stops.orders:
                for event in events[scanned:]:
                    if type(event) is Trade:
                        trade_price = event.price_ticks
                        waiting.extend((s, trade_price) for s in stops.pop_reached(trade_price))
            scanned = len(events)
            if not waiting:
                break
            entered = True
            stop, trigger_price = waiting.popleft()
            self.seq += 1
            events.append(
                StopTriggered(
                    self.seq,
                    ts,
                    stop.order_id,
                    stop.owner,
                    stop.side,  # type: ignore[arg-type]
                    stop.stop_price_ticks,
                    stop.price_ticks,
                    stop.qty_lots,
                    trigger_price,
                )
            )
            problem = self._entry_problem(
                stop.side, stop.price_ticks, stop.qty_lots, stop.tif, False, stop.owner, stop.stp
            )
            if problem is not None:
                self.seq += 1
                events.append(
                    OrderCancelled(
                        self.seq,
                        ts,
                        stop.order_id,
                        stop.owner,
                        stop.side,  # type: ignore[arg-type]
                        stop.price_ticks,
                        stop.qty_lots,
                        problem,
                    )
                )
                continue
            self._enter(
                events,
                touched,
                stop.order_id,
                stop.owner,
                stop.side,
                stop.price_ticks,
                stop.qty_lots,
                stop.tif,
                False,
                0,
                stop.stp,
                ts,
            )
        if entered:
            _settle_levels(touched)

    # -- self-trade prevention ---------------------------------------------------------------

    def prevent_self_trade(
        self,
        events: list[Event],
        level: Level,
        maker: RestingOrder,
        stp: str,
        leaves: int,
        taker_id: int,
        taker_side: str,
        taker_price: int | None,
        ts: int,
    ) -> int:
        """Apply mode ``stp`` where a taker meets its owner's resting order; return its leaves.

        "cancel_newest" cancels the taker, "cancel_oldest" the maker, "cancel_both" both;
        "decrement" takes the smaller open quantity off both, which removes the smaller.
        """
        maker_open = maker.qty_lots + maker.hidden_lots
        taker_cut = maker_cut = 0
        if stp == "cancel_newest":
            taker_cut = leaves
        elif stp == "cancel_oldest":
            maker_cut = maker_open
        elif stp == "cancel_both":
            taker_cut, maker_cut = leaves, maker_open
        else:
            taker_cut = maker_cut = min(leaves, maker_open)
        owner = maker.owner
        if maker_cut:
            self.seq += 1
            events.append(
                OrderCancelled(
                    self.seq,
                    ts,
                    maker.order_id,
                    owner,
                    maker.side,
                    maker.price_ticks,
                    maker_cut,
                    REASON_SELF_TRADE,
                )
            )
            if maker_cut == maker_open:
                del level.orders[maker.order_id]
                del self.book.orders[maker.order_id]
                level.qty_lots -= maker.qty_lots
                maker.qty_lots = 0
            else:
                reduce_open_lots(maker, level, maker_cut)
        if taker_cut:
            self.seq += 1
            events.append(
                OrderCancelled(
                    self.seq,
                    ts,
                    taker_id,
                    owner,
                    taker_side,  # type: ignore[arg-type]
                    taker_price,
                    taker_cut,
                    REASON_SELF_TRADE,
                )
            )
        return leaves - taker_cut
