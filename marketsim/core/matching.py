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

from marketsim.core.book import BookHalf, BookState, Level, RestingOrder
from marketsim.core.commands import (
    CancelOrder,
    Command,
    ExecuteOrder,
    ReplaceOrder,
    SubmitOrder,
)
from marketsim.core.events import (
    REASON_FOK_UNFILLABLE,
    REASON_IOC_REMAINDER,
    REASON_MARKET_REMAINDER,
    REASON_NO_LIQUIDITY,
    REASON_POST_ONLY_WOULD_CROSS,
    REASON_USER,
    BookDelta,
    Event,
    OrderAccepted,
    OrderCancelled,
    OrderRejected,
    OrderReplaced,
    Trade,
)
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


class MatchingEngine:
    """Price-time priority matching for one instrument.

    ``order_ids`` hands out order ids (an exchange shares one ``OrderIds`` between its books so
    ids are unique across instruments).
    """

    __slots__ = ("_next_trade_id", "book", "order_ids", "seq")

    def __init__(self, order_ids: OrderIds | None = None) -> None:
        self.book = BookState()
        self.seq = 0
        self.order_ids = order_ids or OrderIds()
        self._next_trade_id = itertools.count(1).__next__

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
        raise InvalidCommandError(f"not a command: {command!r}")

    # -- commands ---------------------------------------------------------------------------

    def submit(self, cmd: SubmitOrder, ts_event: int) -> list[Event]:
        """Match a new order and rest what is left if it is a GTC limit order."""
        order_id = cmd.order_id
        if order_id is None:
            order_id = self.order_ids.take()
        elif order_id in self.book.orders:
            raise InvalidCommandError(f"order_id {order_id} is already live")
        else:
            self.order_ids.skip_past(order_id)
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
        elif tif == "FOK" and _fillable_lots(opposite, side, price, qty) < qty:
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
        if touched:
            self._emit_deltas(events, touched, ts_event)
        return events

    def cancel(self, cmd: CancelOrder, ts_event: int) -> list[Event]:
        """Remove a live order's open quantity from the book."""
        order = self._live_order(cmd.order_id, cmd.owner)
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
                order.qty_lots,
                REASON_USER,
            ),
            _delta(level, seq + 2, ts_event, True),
        ]

    def replace(self, cmd: ReplaceOrder, ts_event: int) -> list[Event]:
        """Change a live order's open quantity and/or price (see ``ReplaceOrder``)."""
        order = self._live_order(cmd.order_id, cmd.owner)
        old_price, old_qty = order.price_ticks, order.qty_lots
        new_price = old_price if cmd.price_ticks is None else cmd.price_ticks
        new_qty = old_qty if cmd.qty_lots is None else cmd.qty_lots
        keeps_priority = new_price == old_price and new_qty <= old_qty
        self.seq += 1
        events: list[Event] = [
            OrderReplaced(
                self.seq,
                ts_event,
                order.order_id,
                order.owner,
                order.side,
                old_price,
                old_qty,
                new_price,
                new_qty,
                keeps_priority,
            )
        ]
        half = self.book.bids if order.side == "buy" else self.book.asks
        level = half.levels[old_price]
        touched: dict[Level, None] = {level: None}
        if keeps_priority:
            level.qty_lots += new_qty - old_qty
            order.qty_lots = new_qty
        elif new_price == old_price:
            level.qty_lots += new_qty - old_qty
            order.qty_lots = new_qty
            level.orders.move_to_end(order.order_id)
        else:
            self._unrest(order)
            order.price_ticks, order.qty_lots = new_price, new_qty
            opposite = self.book.asks if order.side == "buy" else self.book.bids
            best = opposite.best_level()
            leaves = new_qty
            if best is not None and _crosses(order.side, new_price, best.price_ticks):
                if order.post_only:
                    # The order already left its old level; a post-only order may not take.
                    self.seq += 1
                    events.append(
                        OrderCancelled(
                            self.seq,
                            ts_event,
                            order.order_id,
                            order.owner,
                            order.side,
                            new_price,
                            new_qty,
                            REASON_POST_ONLY_WOULD_CROSS,
                        )
                    )
                    leaves = 0
                else:
                    leaves = self._match(
                        events,
                        touched,
                        opposite,
                        order.side,
                        new_price,
                        new_qty,
                        order.order_id,
                        order.owner,
                        ts_event,
                    )
                    order.filled_lots += new_qty - leaves
            if leaves:
                order.qty_lots = leaves
                touched[self._rest(order)] = None
        self._emit_deltas(events, touched, ts_event)
        return events

    def execute_resting(self, cmd: ExecuteOrder, ts_event: int) -> list[Event]:
        """Trade part of a named resting order with an outside counterparty (replays)."""
        order = self._live_order(cmd.order_id, None)
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
        if cmd.qty_lots == order.qty_lots:
            touched = {self._unrest(order): None}
        else:
            half = self.book.bids if order.side == "buy" else self.book.asks
            level = half.levels[order.price_ticks]
            level.qty_lots -= cmd.qty_lots
            order.qty_lots -= cmd.qty_lots
            touched = {level: None}
        self._emit_deltas(events, touched, ts_event)
        return events

    # -- internals --------------------------------------------------------------------------

    def _live_order(self, order_id: int, owner: str | None) -> RestingOrder:
        order = self.book.orders.get(order_id)
        if order is None:
            raise UnknownOrderError(f"order {order_id} is not live (unknown, filled or cancelled)")
        if owner is not None and owner != order.owner:
            raise PermissionDeniedError(
                f"order {order_id} belongs to {order.owner!r}, not to "
                + (repr(owner) if owner else "a client without an owner name")
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
    ) -> int:
        """Trade ``leaves`` lots against ``opposite`` up to ``limit``; return what is left."""
        levels, keys, sign = opposite.levels, opposite.keys, opposite.sign
        index = self.book.orders
        next_trade_id = self._next_trade_id
        append = events.append
        seq = self.seq
        buying = side == "buy"
        while leaves and keys:
            price = sign * keys[-1]
            if limit is not None and (price > limit if buying else price < limit):
                break
            level = levels[price]
            touched[level] = None
            orders = level.orders
            while leaves and orders:
                maker = next(iter(orders.values()))
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
                if fill == maker.qty_lots:
                    maker.qty_lots = 0
                    orders.popitem(last=False)
                    del index[maker.order_id]
                else:
                    maker.qty_lots -= fill
            if not orders:
                del levels[price]
                keys.pop()
        self.seq = seq
        return leaves

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


def _crosses(side: str, price: int, opposite_price: int) -> bool:
    """Would a ``side`` order at ``price`` trade against a resting order at ``opposite_price``?"""
    return price >= opposite_price if side == "buy" else price <= opposite_price


def _fillable_lots(opposite: BookHalf, side: str, limit: int | None, wanted: int) -> int:
    """Lots available to a ``side`` order up to ``limit``, counted until ``wanted`` is reached."""
    available = 0
    for level in opposite.iter_levels():
        if limit is not None and not _crosses(side, limit, level.price_ticks):
            break
        available += level.qty_lots
        if available >= wanted:
            break
    return available
