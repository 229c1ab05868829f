"""A naive order book on ``heapq``: the like-for-like baseline for ``benchmarks/engine.py``.

This is the design most people write first, written plainly and not slowed down on purpose:

- per side, a binary heap of level prices (minus the price for bids, so the best price is
  always on top) and a dict ``price -> level``. A price is pushed once each time its level is
  created. When a level empties, it leaves the dict but its price stays in the heap and is
  dropped only when it reaches the top ("lazy deletion"); re-creating the level pushes the
  price again, so stale entries pile up in the heaps as the run goes on;
- a level is a ``collections.deque`` of order ids in time priority, plus the level's total open
  lots and its number of live orders;
- a dict of live orders by id. A cancel removes the order from that dict and fixes its level's
  total and count; its id stays in the level's deque and is skipped when it reaches the head.

It has the same interface and output as ``marketsim.core.matching.MatchingEngine`` for what the
benchmark workload uses: ``HeapqBook.apply(command, ts_event)`` takes the core's own
``SubmitOrder`` (GTC limit or market, book-assigned order id, not post-only) and ``CancelOrder``
commands and returns the core's own event objects with the same values, in the same order:
``OrderAccepted`` or ``OrderRejected`` ("no_liquidity"), then the ``Trade`` events (same trade
ids, owners), then ``OrderCancelled`` ("market_remainder" for what a market order could not
fill; "user" for a cancel), then one ``BookDelta`` per changed level, in the order the levels
were first touched, with the last one flagged ``last=True``. Like the engine, it hands out
order ids 1, 2, 3, ... to every submitted order, trades at the resting order's price, and raises
``UnknownOrderError`` / ``PermissionDeniedError`` for a cancel of an order that is not live or
belongs to someone else.
"""

from __future__ import annotations

from collections import deque
from heapq import heappop, heappush

from marketsim.core.commands import CancelOrder, SubmitOrder
from marketsim.core.events import (
    REASON_MARKET_REMAINDER,
    REASON_NO_LIQUIDITY,
    REASON_USER,
    BookDelta,
    Event,
    OrderAccepted,
    OrderCancelled,
    OrderRejected,
    Trade,
)
from marketsim.errors import InvalidCommandError, PermissionDeniedError, UnknownOrderError


class _Order:
    """A live order: its id, owner, side, limit price and open quantity."""

    __slots__ = ("order_id", "owner", "price_ticks", "qty_lots", "side")

    def __init__(
        self, order_id: int, owner: str, side: str, price_ticks: int, qty_lots: int
    ) -> None:
        self.order_id = order_id
        self.owner = owner
        self.side = side
        self.price_ticks = price_ticks
        self.qty_lots = qty_lots


class _Level:
    """The orders at one price, in time priority (cancelled ids are skipped lazily)."""

    __slots__ = ("count", "is_new", "price_ticks", "qty_lots", "queue", "side")

    def __init__(self, side: str, price_ticks: int) -> None:
        self.side = side  # "bid" or "ask"
        self.price_ticks = price_ticks
        self.queue: deque[int] = deque()  # order ids, oldest first; may hold cancelled ids
        self.qty_lots = 0  # open lots of the live orders
        self.count = 0  # number of live orders
        self.is_new = True  # until its first BookDelta ("add") is published


class _Side:
    """One side of the book: a heap of level keys (with stale entries) and the live levels."""

    __slots__ = ("heap", "levels", "name", "sign")

    def __init__(self, name: str, sign: int) -> None:
        self.name = name
        self.sign = sign  # key = sign * price: -1 for bids (highest on top), +1 for asks
        self.heap: list[int] = []
        self.levels: dict[int, _Level] = {}

    def best(self) -> _Level | None:
        """The best live level, dropping stale heap entries on the way; None if empty."""
        heap, levels, sign = self.heap, self.levels, self.sign
        while heap:
            level = levels.get(sign * heap[0])
            if level is not None:
                return level
            heappop(heap)
        return None

    def level_for(self, price_ticks: int) -> _Level:
        """The level at ``price_ticks``, created (and its price pushed) if there is none."""
        level = self.levels.get(price_ticks)
        if level is None:
            level = self.levels[price_ticks] = _Level(self.name, price_ticks)
            heappush(self.heap, self.sign * price_ticks)
        return level


class HeapqBook:
    """One instrument's book: two heaps of level prices, levels of deques, a dict of orders."""

    def __init__(self) -> None:
        self._bids = _Side("bid", -1)
        self._asks = _Side("ask", 1)
        self._orders: dict[int, _Order] = {}
        self._last_order_id = 0
        self._last_trade_id = 0
        self._seq = 0

    def apply(self, command: SubmitOrder | CancelOrder, ts_event: int) -> list[Event]:
        """Apply one command at time ``ts_event`` and return its batch of events."""
        kind = type(command)
        if kind is SubmitOrder:
            return self.submit(command, ts_event)  # type: ignore[arg-type]
        if kind is CancelOrder:
            return self.cancel(command, ts_event)  # type: ignore[arg-type]
        raise InvalidCommandError(f"HeapqBook does not support {command!r}")

    def submit(self, cmd: SubmitOrder, ts_event: int) -> list[Event]:
        """Match a new order; rest what is left of a limit order, cancel that of a market one."""
        if cmd.tif != "GTC" or cmd.post_only or cmd.order_id is not None:
            raise InvalidCommandError(f"HeapqBook supports plain GTC and market orders: {cmd!r}")
        self._last_order_id += 1
        order_id = self._last_order_id
        side, qty, price, owner = cmd.side, cmd.qty_lots, cmd.price_ticks, cmd.owner
        buying = side == "buy"
        opposite = self._asks if buying else self._bids
        order_type = "market" if price is None else "limit"
        best = opposite.best()
        self._seq += 1
        if best is None and price is None:
            return [
                OrderRejected(
                    self._seq,
                    ts_event,
                    order_id,
                    owner,
                    side,
                    order_type,
                    price,
                    qty,
                    "GTC",
                    False,
                    REASON_NO_LIQUIDITY,
                )
            ]
        events: list[Event] = [
            OrderAccepted(
                self._seq, ts_event, order_id, owner, side, order_type, price, qty, "GTC", False
            )
        ]
        touched: dict[_Level, None] = {}
        leaves = self._match(
            events, touched, opposite, buying, side, price, qty, order_id, owner, ts_event
        )
        if leaves:
            if price is None:
                self._seq += 1
                events.append(
                    OrderCancelled(
                        self._seq,
                        ts_event,
                        order_id,
                        owner,
                        side,
                        price,
                        leaves,
                        REASON_MARKET_REMAINDER,
                    )
                )
            else:
                level = (self._bids if buying else self._asks).level_for(price)
                level.queue.append(order_id)
                level.qty_lots += leaves
                level.count += 1
                self._orders[order_id] = _Order(order_id, owner, side, price, leaves)
                touched[level] = None
        if touched:
            self._emit_deltas(events, touched, ts_event)
        return events

    def cancel(self, cmd: CancelOrder, ts_event: int) -> list[Event]:
        """Cancel a live order; its id stays in its level's deque until it reaches the head."""
        order_id = cmd.order_id
        order = self._orders.pop(order_id, None)
        if order is None:
            raise UnknownOrderError(f"order {order_id} is not live (unknown, filled or cancelled)")
        if cmd.owner is not None and cmd.owner != order.owner:
            self._orders[order_id] = order
            raise PermissionDeniedError(
                f"order {order_id} belongs to {order.owner!r}, not to {cmd.owner!r}"
            )
        half = self._bids if order.side == "buy" else self._asks
        level = half.levels[order.price_ticks]
        level.qty_lots -= order.qty_lots
        level.count -= 1
        if not level.count:
            del half.levels[order.price_ticks]  # its heap entry goes stale
        self._seq += 1
        events: list[Event] = [
            OrderCancelled(
                self._seq,
                ts_event,
                order_id,
                order.owner,
                order.side,
                order.price_ticks,
                order.qty_lots,
                REASON_USER,
            )
        ]
        self._emit_deltas(events, {level: None}, ts_event)
        return events

    def _match(
        self,
        events: list[Event],
        touched: dict[_Level, None],
        opposite: _Side,
        buying: bool,
        side: str,
        limit: int | None,
        leaves: int,
        taker_id: int,
        taker_owner: str,
        ts_event: int,
    ) -> int:
        """Trade ``leaves`` lots against ``opposite`` up to ``limit``; return what is left."""
        orders = self._orders
        while leaves:
            level = opposite.best()
            if level is None:
                break
            price = level.price_ticks
            if limit is not None and (price > limit if buying else price < limit):
                break
            touched[level] = None
            queue = level.queue
            while leaves and level.count:
                maker = orders.get(queue[0])
                if maker is None:  # cancelled earlier: drop it now
                    queue.popleft()
                    continue
                fill = min(leaves, maker.qty_lots)
                self._seq += 1
                self._last_trade_id += 1
                events.append(
                    Trade(
                        self._seq,
                        ts_event,
                        self._last_trade_id,
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
                if fill == maker.qty_lots:
                    queue.popleft()
                    del orders[maker.order_id]
                    level.count -= 1
                else:
                    maker.qty_lots -= fill
            if not level.count:
                del opposite.levels[price]
                heappop(opposite.heap)  # the top entry is this level's
        return leaves

    def _emit_deltas(self, events: list[Event], touched: dict[_Level, None], ts: int) -> None:
        """Append one ``BookDelta`` per touched level, the last one with ``last=True``."""
        for level in touched:
            count = level.count
            if not count:
                action = "delete"
            elif level.is_new:
                action = "add"
                level.is_new = False
            else:
                action = "update"
            self._seq += 1
            events.append(
                BookDelta(
                    self._seq,
                    ts,
                    level.side,
                    level.price_ticks,
                    level.qty_lots,
                    count,
                    action,
                    False,
                )
            )
        events[-1].last = True  # type: ignore[union-attr]
