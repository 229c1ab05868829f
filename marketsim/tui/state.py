"""The trader's state: what the streams said, kept apart from how the screen shows it.

The feed calls ``reset`` with a book snapshot and ``apply`` with each batch of engine events;
both are cheap dictionary updates, so the state keeps up with a fast market. The screen asks
for a ``Picture`` (an immutable view of the top of the book, the tape, the chart, the user's
orders) only when it redraws, at most ~10 times a second: updates between two redraws are
conflated, and the picture always shows the latest state.

Queue positions come from a partial order-by-order mirror: every limit order the stream shows
being accepted is remembered at its level, in arrival order, until it fills, is cancelled or
its level empties. Volume at a level beyond what the mirror knows (it rested before the stream
began) counts as ahead of every known order: the level totals of the book say how much.
"""

from __future__ import annotations

import time
from collections import deque
from dataclasses import dataclass, field
from typing import Literal

from marketsim.core.events import BookDelta, Event, OrderAccepted, OrderCancelled, OrderReplaced
from marketsim.core.events import Trade as TradeEvent
from marketsim.core.types import BOOK_SIDE_OF, BookSide, Instrument

ConnectionState = Literal["connecting", "live", "disconnected"]
#: Trades kept for the tape and mid/last samples kept for the chart.
TAPE_LENGTH = 64
HISTORY_LENGTH = 240
#: The chart takes one sample per this much event time (nanoseconds).
SAMPLE_NS = 250_000_000


@dataclass(frozen=True, slots=True)
class TapeTrade:
    """One execution on the tape, in ticks and lots."""

    ts_event: int
    aggressor_side: str
    price_ticks: int
    qty_lots: int


@dataclass(frozen=True, slots=True)
class OpenOrder:
    """One of the user's resting orders and where it stands in its queue.

    ``ahead_orders``/``ahead_lots`` count what rests before it at its price (volume whose
    order is unknown, because it rested before the stream began, counts as ahead).
    """

    order_id: int
    side: BookSide
    price_ticks: int
    leaves_lots: int
    ahead_orders: int
    ahead_lots: int

    @property
    def queue_position(self) -> int:
        """1 for the first order in the queue."""
        return self.ahead_orders + 1


@dataclass(frozen=True)
class Picture:
    """Everything one redraw shows, frozen at ``seq``."""

    symbol: str
    instrument: Instrument | None
    seq: int
    bids: list[tuple[int, int, int]]
    asks: list[tuple[int, int, int]]
    tape: list[TapeTrade]
    history: list[tuple[int | None, int | None]]
    orders: list[OpenOrder]
    connection: ConnectionState
    status_text: str
    reconnects: int
    update_rate: float
    symbols: list[str] = field(default_factory=list)


class _Level:
    """The known orders at one price, oldest first, with their total."""

    __slots__ = ("orders", "total")

    def __init__(self) -> None:
        self.orders: dict[int, int] = {}
        self.total = 0


class TraderState:
    """The latest market picture for one instrument, fed by the streams, read by the screen."""

    def __init__(self, symbol: str = "", instrument: Instrument | None = None) -> None:
        self.symbols: list[str] = []
        self.connection: ConnectionState = "connecting"
        self.status_text = "connecting"
        #: Times the connection came back after it had been live.
        self.reconnects = 0
        self._was_live = False
        #: Bumped by every change; the screen redraws only when it moved.
        self.version = 0
        #: Book and event updates applied since the start (the status bar shows their rate).
        self.updates = 0
        self._own: set[int] = set()
        self.switch(symbol, instrument)

    # -- feeding --------------------------------------------------------------------------

    def switch(self, symbol: str, instrument: Instrument | None = None) -> None:
        """Forget the market picture and follow ``symbol`` (its book comes with ``reset``)."""
        self.symbol = symbol
        self.instrument = instrument
        self.seq = 0
        self._sides: dict[str, dict[int, tuple[int, int]]] = {"bid": {}, "ask": {}}
        self._mirror: dict[tuple[str, int], _Level] = {}
        self._where: dict[int, tuple[str, int]] = {}
        self.tape: deque[TapeTrade] = deque(maxlen=TAPE_LENGTH)
        self.history: deque[tuple[int | None, int | None]] = deque(maxlen=HISTORY_LENGTH)
        self._last_price: int | None = None
        self._next_sample_ns = 0
        self._own.clear()
        self._was_live = False  # a new subscription, not a reconnection
        self.version += 1

    def reset(self, instrument: Instrument, seq: int, bids, asks) -> None:
        """Start again from a snapshot: ``bids``/``asks`` as (price_ticks, qty_lots, count)."""
        self.instrument = instrument
        self.seq = seq
        self._sides = {
            "bid": {p: (q, n) for p, q, n in bids},
            "ask": {p: (q, n) for p, q, n in asks},
        }
        self._mirror.clear()
        self._where.clear()
        self.version += 1

    def apply_deltas(self, deltas: list[BookDelta], seq: int) -> None:
        """Apply level changes only (the fast path of a book stream)."""
        sides, mirror = self._sides, self._mirror
        for delta in deltas:
            levels = sides[delta.side]
            if delta.action == "delete":
                levels.pop(delta.price_ticks, None)
                if mirror and (delta.side, delta.price_ticks) in mirror:
                    self._drop_level((delta.side, delta.price_ticks))
            else:
                levels[delta.price_ticks] = (delta.qty_lots, delta.order_count)
        self.seq = seq
        self.updates += len(deltas)
        self.version += 1
        if deltas:
            self._sample(deltas[-1].ts_event)

    def apply(self, events: list[Event]) -> None:
        """Apply one batch of engine events of the followed instrument."""
        deltas = []
        for event in events:
            kind = type(event)
            if kind is BookDelta:
                deltas.append(event)
            elif kind is TradeEvent:
                self._on_trade(event)  # type: ignore[arg-type]
            elif kind is OrderAccepted:
                self._on_accepted(event)  # type: ignore[arg-type]
            elif kind is OrderCancelled:
                self._forget(event.order_id)
            elif kind is OrderReplaced:
                self._on_replaced(event)  # type: ignore[arg-type]
        if events:
            self.apply_deltas(deltas, events[-1].seq)

    def own(self, order_id: int) -> None:
        """Mark ``order_id`` as the user's (from the acknowledgement of its submission)."""
        self._own.add(order_id)
        self.version += 1

    def set_connection(self, connection: ConnectionState, text: str) -> None:
        """Record the connection state and a short explanation for the status bar."""
        if connection == "live" and self._was_live:
            self.reconnects += 1
        self._was_live = self._was_live or connection == "live"
        self.connection, self.status_text = connection, text
        self.version += 1

    # -- the order mirror ------------------------------------------------------------------

    def _on_accepted(self, event: OrderAccepted) -> None:
        if event.price_ticks is None:
            return  # a market order never rests
        key = (BOOK_SIDE_OF[event.side], event.price_ticks)
        level = self._mirror.get(key)
        if level is None:
            level = self._mirror[key] = _Level()
        level.orders[event.order_id] = event.qty_lots
        level.total += event.qty_lots
        self._where[event.order_id] = key

    def _on_trade(self, trade: TradeEvent) -> None:
        self.tape.append(
            TapeTrade(trade.ts_event, trade.aggressor_side, trade.price_ticks, trade.qty_lots)
        )
        self._last_price = trade.price_ticks
        for order_id in (trade.maker_order_id, trade.taker_order_id):
            key = self._where.get(order_id)
            if key is not None:
                level = self._mirror[key]
                left = level.orders[order_id] - trade.qty_lots
                if left > 0:
                    level.orders[order_id] = left
                    level.total -= trade.qty_lots
                else:
                    self._forget(order_id)

    def _on_replaced(self, event: OrderReplaced) -> None:
        key = self._where.get(event.order_id)
        if key is None:
            return
        level = self._mirror[key]
        if event.priority_kept:
            level.total += event.qty_lots - level.orders[event.order_id]
            level.orders[event.order_id] = event.qty_lots
            return
        self._forget(event.order_id)
        side = key[0]
        new_key = (side, event.price_ticks)
        new_level = self._mirror.get(new_key) or self._mirror.setdefault(new_key, _Level())
        new_level.orders[event.order_id] = event.qty_lots
        new_level.total += event.qty_lots
        self._where[event.order_id] = new_key

    def _forget(self, order_id: int) -> None:
        key = self._where.pop(order_id, None)
        if key is None:
            return
        level = self._mirror[key]
        level.total -= level.orders.pop(order_id)
        if not level.orders:
            del self._mirror[key]

    def _drop_level(self, key: tuple[str, int]) -> None:
        """The level is gone from the book: so are all the orders the mirror knew there."""
        for order_id in self._mirror.pop(key).orders:
            self._where.pop(order_id, None)

    def _sample(self, ts_event: int) -> None:
        if ts_event < self._next_sample_ns:
            return
        self._next_sample_ns = ts_event + SAMPLE_NS
        bids, asks = self._sides["bid"], self._sides["ask"]
        mid = (max(bids) + min(asks)) // 2 if bids and asks else None
        self.history.append((mid, self._last_price))

    # -- reading ----------------------------------------------------------------------------

    def open_orders(self) -> list[OpenOrder]:
        """The user's resting orders, best price first, with their queue positions."""
        orders = []
        for order_id in self._own:
            key = self._where.get(order_id)
            if key is None:
                continue
            side, price = key
            level = self._mirror[key]
            qty, count = self._sides[side].get(price, (level.total, len(level.orders)))
            unknown_lots = max(0, qty - level.total)
            unknown_orders = max(0, count - len(level.orders))
            ahead_orders, ahead_lots = unknown_orders, unknown_lots
            for other, lots in level.orders.items():
                if other == order_id:
                    break
                ahead_orders += 1
                ahead_lots += lots
            orders.append(
                OpenOrder(order_id, side, price, level.orders[order_id], ahead_orders, ahead_lots)  # type: ignore[arg-type]
            )
        orders.sort(key=lambda o: (o.side, -o.price_ticks if o.side == "bid" else o.price_ticks))
        return orders

    def picture(self, depth: int, update_rate: float = 0.0) -> Picture:
        """The top ``depth`` levels per side and everything else the screen shows."""
        bids, asks = self._sides["bid"], self._sides["ask"]
        return Picture(
            symbol=self.symbol,
            instrument=self.instrument,
            seq=self.seq,
            bids=[(p, *bids[p]) for p in sorted(bids, reverse=True)[:depth]],
            asks=[(p, *asks[p]) for p in sorted(asks)[:depth]],
            tape=list(self.tape),
            history=list(self.history),
            orders=self.open_orders(),
            connection=self.connection,
            status_text=self.status_text,
            reconnects=self.reconnects,
            update_rate=update_rate,
            symbols=list(self.symbols),
        )


class RateMeter:
    """Updates per second over the last interval, from a running count."""

    def __init__(self) -> None:
        self._count = 0
        self._time = time.monotonic()
        self.rate = 0.0

    def measure(self, count: int) -> float:
        """Fold in the running ``count``; returns the rate since the previous call."""
        now = time.monotonic()
        if now - self._time >= 0.5:
            self.rate = (count - self._count) / (now - self._time)
            self._count, self._time = count, now
        return self.rate
