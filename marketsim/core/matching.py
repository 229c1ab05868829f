"""The matching engine: applies commands to a book and returns the events they cause.

``MatchingEngine.apply(command, ts_event)`` is the whole interface. It is deterministic (same
commands and times, same events), single-threaded, and reads no clock. Malformed commands are
stopped earlier, when they are built; commands that name an unknown order or someone else's
order raise before any state changes. Everything else is a market outcome and becomes events.

The loops below are written for speed (locals, direct attribute access, no per-fill helper
calls) because everything in marketsim runs through them.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable

from marketsim._gc import gc_paused
from marketsim.core.amend import Amendments
from marketsim.core.auction import CallAuction
from marketsim.core.batch import CompactCommand, as_command
from marketsim.core.book import BookHalf, BookState, Level, RestingOrder, fillable_lots
from marketsim.core.commands import (
    CancelOrder,
    Command,
    ExecuteOrder,
    ReplaceOrder,
    SetPhase,
    SubmitOrder,
    Uncross,
)
from marketsim.core.events import (
    CONTINUOUS,
    PHASES,
    REASON_FOK_UNFILLABLE,
    REASON_IOC_REMAINDER,
    REASON_MARKET_REMAINDER,
    REASON_NO_LIQUIDITY,
    REASON_POST_ONLY_WOULD_CROSS,
    REASON_USER,
    BookDelta,
    Event,
    IcebergRefilled,
    OrderAccepted,
    OrderCancelled,
    OrderRejected,
    Trade,
)
from marketsim.core.mechanics import Mechanics
from marketsim.core.stops import PendingStops
from marketsim.core.types import ASK, BID, BookSide
from marketsim.errors import InvalidCommandError, PermissionDeniedError, UnknownOrderError


class OrderIds:
    """Hands out increasing order ids; an exchange shares one between its books.

    Ids that arrive with a command (a replay) move the counter past them, so an id handed out
    later never collides with one seen before, and a replayed book continues where the
    original did.
    """

    __slots__ = ("next_id",)

    def __init__(self, first: int = 1) -> None:
        self.next_id = first

    def take(self) -> int:
        """The next unused id."""
        order_id = self.next_id
        self.next_id = order_id + 1
        return order_id

    def skip_past(self, order_id: int) -> None:
        """Never hand out ``order_id`` or anything below it."""
        if order_id >= self.next_id:
            self.next_id = order_id + 1


class MatchingEngine(Mechanics, Amendments, CallAuction):
    """Price-time priority matching for one instrument.

    ``order_ids`` hands out order ids (an exchange shares one ``OrderIds`` between its books so
    ids are unique across instruments). This class holds continuous matching of plain limit
    and market orders, the hot path; ``Mechanics`` adds stops, icebergs, self-trade prevention
    and halts, ``Amendments`` cancels and replaces them (and every replace), ``CallAuction``
    the auction phase; unused, they cost the hot path a flag test.
    """

    __slots__ = (
        "_next_trade_id",
        "auction_orders",
        "book",
        "last_trade_ticks",
        "order_ids",
        "phase",
        "seq",
        "stop_orders",
        "stops",
    )

    def __init__(self, order_ids: OrderIds | None = None) -> None:
        self.book = BookState()
        self.seq = 0
        self.order_ids = order_ids or OrderIds()
        self._next_trade_id = itertools.count(1).__next__
        self.phase = CONTINUOUS
        #: Pending stop orders, outside the visible book.
        self.stops = PendingStops()
        self.stop_orders = self.stops.orders  # the same dict, one attribute away
        #: Market orders collected during a call auction, by id in arrival order.
        self.auction_orders: dict[int, RestingOrder] = {}
        #: Price of the last trade (stops trigger on it), None before the first.
        self.last_trade_ticks: int | None = None

    # Pickling (snapshots of durable markets) keeps two things an unpickled copy would lose:
    # the phase as the very constant the hot path tests with `is`, and the trade-id counter
    # as a number (pickling an itertools.count is deprecated).
    def __getstate__(self) -> dict[str, object]:
        state = {name: getattr(self, name) for name in MatchingEngine.__slots__}
        counter = self._next_trade_id.__self__  # type: ignore[attr-defined]
        state["_next_trade_id"] = int(repr(counter)[len("count(") : -1])
        return state

    def __setstate__(self, state: dict[str, object]) -> None:
        for name, value in state.items():
            setattr(self, name, value)
        self._next_trade_id = itertools.count(state["_next_trade_id"]).__next__  # type: ignore[call-overload]
        self.phase = PHASES[PHASES.index(state["phase"])]  # type: ignore[arg-type]

    def apply(self, command: Command, ts_event: int) -> list[Event]:
        """Apply one command at time ``ts_event`` (int ns) and return its batch of events."""
        kind = type(command)
        if kind is SubmitOrder:
            return self.submit(command, ts_event)  # type: ignore[arg-type]
        if kind is CancelOrder:
            return self.cancel(command, ts_event)  # type: ignore[arg-type]
        if kind is ReplaceOrder:
            return self.replace(command, ts_event)  # type: ignore[arg-type]
        if kind is ExecuteOrder:
            return self.execute_resting(command, ts_event)  # type: ignore[arg-type]
        if kind is SetPhase:
            return self.set_phase(command, ts_event)  # type: ignore[arg-type]
        if kind is Uncross:
            return self.uncross(ts_event)
        raise InvalidCommandError(f"not a command: {command!r}")

    def apply_many(self, ops: Iterable[tuple[int, CompactCommand]]) -> list[Event]:
        """Apply ``(ts_event, command)`` pairs in order and return all their events.

        Commands may be compact (see ``marketsim.core.batch``). A bad command raises as
        ``apply`` would, and the commands before it stay applied. The cyclic garbage collector
        is paused meanwhile: the events are acyclic, and it would otherwise rescan them (and
        everything else alive) again and again while the batch grows.
        """
        events: list[Event] = []
        with gc_paused():
            for ts_event, command in ops:
                events += self.apply(as_command(command), ts_event)
        return events

    # -- commands ---------------------------------------------------------------------------

    def submit(self, cmd: SubmitOrder, ts_event: int) -> list[Event]:
        """Match a new order and rest what is left if it is a GTC limit order."""
        order_id = cmd.order_id
        if order_id is None:
            order_id = self.order_ids.take()
        elif self.is_live(order_id):
            raise InvalidCommandError(f"order_id {order_id} is already live")
        else:
            self.order_ids.skip_past(order_id)
        if cmd.mechanics is not None or self.phase is not CONTINUOUS:
            return self.submit_with_mechanics(cmd, order_id, ts_event)
        side, qty, price, tif = cmd.side, cmd.qty_lots, cmd.price_ticks, cmd.tif
        buying = side == "buy"
        opposite = self.book.asks if buying else self.book.bids
        order_type = "market" if price is None else "limit"

        # The best opposite price (None when that side is empty) and whether the order reaches it.
        keys = opposite.keys
        best_price = opposite.sign * keys[-1] if keys else None
        crosses = best_price is not None and (
            price is None or (price >= best_price if buying else price <= best_price)
        )
        reject_reason = None
        if best_price is None:
            if price is None:
                reject_reason = REASON_NO_LIQUIDITY
            elif tif == "FOK":
                reject_reason = REASON_FOK_UNFILLABLE
        elif cmd.post_only and crosses:
            reject_reason = REASON_POST_ONLY_WOULD_CROSS
        elif tif == "FOK" and fillable_lots(opposite, side, price, qty) < qty:
            reject_reason = REASON_FOK_UNFILLABLE
        seq = self.seq + 1
        if reject_reason is not None:
            self.seq = seq
            return [
                OrderRejected(
                    seq,
                    ts_event,
                    order_id,
                    cmd.owner,
                    side,
                    order_type,
                    price,
                    qty,
                    tif,
                    cmd.post_only,
                    reject_reason,
                )
            ]

        accepted = OrderAccepted(
            seq, ts_event, order_id, cmd.owner, side, order_type, price, qty, tif, cmd.post_only
        )
        if not crosses and tif == "GTC" and price is not None:
            # The common case: a limit order that rests without trading changes one level.
            level = self._rest(
                RestingOrder(order_id, cmd.owner, side, price, qty, 0, cmd.post_only)
            )
            self.seq = seq + 1
            delta = _delta(level, seq + 1, ts_event, True)
            return [accepted, delta]

        events: list[Event] = [accepted]
        self.seq = seq
        touched: dict[Level, None] = {}
        leaves = qty
        if crosses:
            leaves = self._match(
                events, touched, opposite, side, price, leaves, order_id, cmd.owner, ts_event
            )
        if leaves:
            if price is None or tif != "GTC":
                self.seq += 1
                reason = REASON_MARKET_REMAINDER if price is None else REASON_IOC_REMAINDER
                events.append(
                    OrderCancelled(
                        self.seq, ts_event, order_id, cmd.owner, side, price, leaves, reason
                    )
                )
            else:
                order = RestingOrder(
                    order_id, cmd.owner, side, price, leaves, qty - leaves, cmd.post_only
                )
                touched[self._rest(order)] = None
        if self.stop_orders:
            self.trigger_stops(events, touched, ts_event)
        if touched:
            self._emit_deltas(events, touched, ts_event)
        return events

    def cancel(self, cmd: CancelOrder, ts_event: int) -> list[Event]:
        """Remove a live order's open quantity from the book."""
        order = self.book.orders.get(cmd.order_id)
        if order is None:
            return self.cancel_pending(cmd, ts_event)
        if cmd.owner is not None and cmd.owner != order.owner:
            self._live_order(cmd.order_id, cmd.owner)  # raises PermissionDeniedError
        level = self._unrest(order)
        seq = self.seq
        self.seq = seq + 2
        return [
            OrderCancelled(
                seq + 1,
                ts_event,
                order.order_id,
                order.owner,
                order.side,
                order.price_ticks,
                order.qty_lots + order.hidden_lots,
                REASON_USER,
            ),
            _delta(level, seq + 2, ts_event, True),
        ]

    def execute_resting(self, cmd: ExecuteOrder, ts_event: int) -> list[Event]:
        """Trade part of a named resting order with an outside counterparty (replays)."""
        order = self._live_order(cmd.order_id, None)
        if order.order_id not in self.book.orders:
            raise UnknownOrderError(f"order {order.order_id} is not resting in the book")
        if cmd.qty_lots > order.qty_lots:
            raise InvalidCommandError(
                f"qty_lots {cmd.qty_lots} exceeds the {order.qty_lots} lots open on order "
                f"{order.order_id}"
            )
        self.seq += 1
        aggressor = "sell" if order.side == "buy" else "buy"
        events: list[Event] = [
            Trade(
                self.seq,
                ts_event,
                self._next_trade_id(),
                order.price_ticks,
                cmd.qty_lots,
                aggressor,
                order.order_id,
                0,
                order.owner,
                "",
            )
        ]
        order.filled_lots += cmd.qty_lots
        self.last_trade_ticks = order.price_ticks
        half = self.book.bids if order.side == "buy" else self.book.asks
        level = half.levels[order.price_ticks]
        if cmd.qty_lots == order.qty_lots and not order.hidden_lots:
            touched = {self._unrest(order): None}
        else:
            level.qty_lots -= cmd.qty_lots
            order.qty_lots -= cmd.qty_lots
            if not order.qty_lots:
                self.seq = self._refill(events, order, level, self.seq, ts_event)
            touched = {level: None}
        if self.stop_orders and self.phase is CONTINUOUS:
            self.trigger_stops(events, touched, ts_event)
        self._emit_deltas(events, touched, ts_event)
        return events

    def level_ticks(self, side: BookSide, depth: int | None = None) -> list[tuple[int, int, int]]:
        """``[(price_ticks, qty_lots, order_count), ...]`` of one side of the book, best first.

        ``depth`` levels at most (all for None). The compiled engine answers this without
        moving its book out of C structures, so views of the book should ask here.
        """
        levels = itertools.islice(self.book.half(side).iter_levels(), depth)
        return [(level.price_ticks, level.qty_lots, len(level.orders)) for level in levels]

    def resting_state(self, order_id: int) -> tuple[int, int, int, int, int] | None:
        """Where a resting order stands, or None if ``order_id`` is not resting in the book.

        ``(price_ticks, position, queue_length, filled_lots, open_lots)``: its place in its
        level's queue counts from 1; its open lots include an iceberg's hidden ones.
        """
        order = self.book.orders.get(order_id)
        if order is None:
            return None
        queue = self.book.half(BID if order.side == "buy" else ASK).levels[order.price_ticks].orders
        count = len(queue)
        # A new or re-queued order is last; only a kept priority needs a search.
        position = count if next(reversed(queue)) == order_id else 1 + list(queue).index(order_id)
        return (
            order.price_ticks,
            position,
            count,
            order.filled_lots,
            order.qty_lots + order.hidden_lots,
        )

    def best_ticks(self, side: BookSide) -> int | None:
        """The best price of one side of the book in ticks, or None when it is empty."""
        half = self.book.half(side)
        return half.sign * half.keys[-1] if half.keys else None

    # -- internals --------------------------------------------------------------------------

    def _live_order(self, order_id: int, owner: str | None) -> RestingOrder:
        """A live order by id (resting, a pending stop or an auction market order)."""
        order = self.book.orders.get(order_id)
        if order is None:
            order = self.stops.orders.get(order_id) or self.auction_orders.get(order_id)  # type: ignore[assignment]
        if order is None:
            raise UnknownOrderError(f"order {order_id} is not live (unknown, filled or cancelled)")
        if owner is not None and owner != order.owner:
            raise PermissionDeniedError(
                f"order {order_id} belongs to another owner; only its owner may change it"
            )
        return order

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
    ) -> int:
        """Trade ``leaves`` lots against ``opposite`` up to ``limit``; return what is left.

        With an ``stp`` mode (and a taker owner), a maker of the same owner is not traded
        with: ``prevent_self_trade`` applies the mode instead.
        """
        levels, keys, sign = opposite.levels, opposite.keys, opposite.sign
        index = self.book.orders
        next_trade_id = self._next_trade_id
        append = events.append
        seq = self.seq
        buying = side == "buy"
        prevented_owner = taker_owner if stp else ""
        traded_at = None
        while leaves and keys:
            price = sign * keys[-1]
            if limit is not None and (price > limit if buying else price < limit):
                break
            level = levels[price]
            touched[level] = None
            orders = level.orders
            while leaves and orders:
                maker = next(iter(orders.values()))
                if prevented_owner and maker.owner == prevented_owner:
                    self.seq = seq
                    leaves = self.prevent_self_trade(
                        events, level, maker, stp, leaves, taker_id, side, limit, ts_event
                    )
                    seq = self.seq
                    continue
                fill = maker.qty_lots if maker.qty_lots < leaves else leaves
                seq += 1
                append(
                    Trade(
                        seq,
                        ts_event,
                        next_trade_id(),
                        price,
                        fill,
                        side,
                        maker.order_id,
                        taker_id,
                        maker.owner,
                        taker_owner,
                    )
                )
                leaves -= fill
                level.qty_lots -= fill
                maker.filled_lots += fill
                traded_at = price
                if fill != maker.qty_lots:
                    maker.qty_lots -= fill
                elif maker.hidden_lots:
                    maker.qty_lots = 0
                    seq = self._refill(events, maker, level, seq, ts_event)
                else:
                    maker.qty_lots = 0
                    orders.popitem(last=False)
                    del index[maker.order_id]
            if not orders:
                del levels[price]
                keys.pop()
        self.seq = seq
        if traded_at is not None:
            self.last_trade_ticks = traded_at
        return leaves

    def _refill(
        self, events: list[Event], order: RestingOrder, level: Level, seq: int, ts_event: int
    ) -> int:
        """Show an iceberg's next slice at the back of its level; return the seq used."""
        shown = min(order.display_lots, order.hidden_lots)
        order.hidden_lots -= shown
        order.qty_lots = shown
        level.qty_lots += shown
        level.orders.move_to_end(order.order_id)
        seq += 1
        events.append(
            IcebergRefilled(
                seq,
                ts_event,
                order.order_id,
                order.owner,
                order.side,
                order.price_ticks,
                shown,
                order.hidden_lots,
            )
        )
        return seq

    def _rest(self, order: RestingOrder) -> Level:
        """Queue ``order`` at the back of its level (created if needed); return the level."""
        half = self.book.bids if order.side == "buy" else self.book.asks
        level = half.level_for(order.price_ticks)
        level.orders[order.order_id] = order
        level.qty_lots += order.qty_lots
        self.book.orders[order.order_id] = order
        return level

    def _unrest(self, order: RestingOrder) -> Level:
        """Take ``order`` out of its level (dropping the level if it empties); return it."""
        half = self.book.bids if order.side == "buy" else self.book.asks
        level = half.levels[order.price_ticks]
        del level.orders[order.order_id]
        level.qty_lots -= order.qty_lots
        del self.book.orders[order.order_id]
        if not level.orders:
            half.remove_level(order.price_ticks)
        return level

    def _emit_deltas(self, events: list[Event], touched: dict[Level, None], ts: int) -> None:
        seq = self.seq
        append = events.append
        for level in touched:
            seq += 1
            append(_delta(level, seq, ts, False))
        events[-1].last = True  # type: ignore[union-attr]
        self.seq = seq


def _delta(level: Level, seq: int, ts_event: int, last: bool) -> BookDelta:
    """The ``BookDelta`` publishing ``level``'s current state (the first one says "add")."""
    count = len(level.orders)
    if not count:
        action = "delete"
    elif level.is_new:
        action = "add"
        level.is_new = False
    else:
        action = "update"
    return BookDelta(
        seq, ts_event, level.side, level.price_ticks, level.qty_lots, count, action, last
    )
