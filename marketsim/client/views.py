"""What the clients hand back: book snapshots, a live local book, stream updates."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Literal

import pandas as pd

from marketsim import frames
from marketsim.core import display
from marketsim.core.bookview import BookView
from marketsim.core.events import BookDelta, Event
from marketsim.core.types import BookSide, Instrument
from marketsim.errors import InvalidCommandError
from marketsim.wire import codec
from marketsim.wire.v1 import market_pb2 as pb

LevelTicks = tuple[int, int, int]


def _check_side(side: str) -> None:
    if side not in ("bid", "ask"):
        raise InvalidCommandError(f"side must be 'bid' or 'ask', got {side!r}")


@dataclass(frozen=True, repr=False)
class BookSnapshot(BookView):
    """A remote book as it stood after event ``seq``: levels best first, in ticks and lots.

    ``levels(side)`` gives (price, qty, order_count) in the instrument's units; ``print`` and
    notebooks show it as a ladder.
    """

    symbol: str
    seq: int
    ts_event: int
    instrument: Instrument
    bids: tuple[LevelTicks, ...]
    asks: tuple[LevelTicks, ...]

    @classmethod
    def from_proto(cls, message: pb.BookSnapshot) -> BookSnapshot:
        """Decode a ``BookSnapshot`` message."""
        return cls(
            message.symbol,
            message.seq,
            message.ts_event,
            codec.instrument_from_proto(message),  # the snapshot carries the same three fields
            tuple((lv.price_ticks, lv.qty_lots, lv.order_count) for lv in message.bids),
            tuple((lv.price_ticks, lv.qty_lots, lv.order_count) for lv in message.asks),
        )

    def level_ticks(self, side: BookSide, depth: int | None = None) -> list[LevelTicks]:
        """``[(price_ticks, qty_lots, order_count), ...]`` of one side, best first."""
        _check_side(side)
        return list((self.bids if side == "bid" else self.asks)[:depth])

    def to_frame(self) -> pd.DataFrame:
        """The ``book`` frame of this snapshot (see ``marketsim.frames.book_frame``)."""
        return frames.book_frame(self)

    def __repr__(self) -> str:
        return display.summary_line(self, "BookSnapshot")


class LocalBook(BookView):
    """A client's copy of a remote book, kept current by a book stream.

    Holds every level (the server sends deltas for all of them) as price_ticks ->
    (qty_lots, order_count) per side; ``snapshot(depth)`` freezes the top levels.
    """

    def __init__(self, snapshot: BookSnapshot) -> None:
        self.symbol = snapshot.symbol
        self.instrument = snapshot.instrument
        self.seq = snapshot.seq
        self.ts_event = snapshot.ts_event
        self._sides: dict[str, dict[int, tuple[int, int]]] = {
            "bid": {p: (q, n) for p, q, n in snapshot.bids},
            "ask": {p: (q, n) for p, q, n in snapshot.asks},
        }

    def apply(self, deltas: list[BookDelta], seq: int, ts_event: int | None = None) -> None:
        """Apply level deltas; the book is then as of event ``seq`` at time ``ts_event``.

        ``ts_event`` defaults to the time of the last delta (events that change no level
        move ``seq`` and the time on without a delta).
        """
        sides = self._sides
        for delta in deltas:
            levels = sides[delta.side]
            if delta.action == "delete":
                levels.pop(delta.price_ticks, None)
            else:
                levels[delta.price_ticks] = (delta.qty_lots, delta.order_count)
        self.seq = seq
        if ts_event is not None:
            self.ts_event = ts_event
        elif deltas:
            self.ts_event = deltas[-1].ts_event

    def level_ticks(self, side: BookSide, depth: int | None = None) -> list[LevelTicks]:
        """``[(price_ticks, qty_lots, order_count), ...]`` of one side, best first."""
        _check_side(side)
        levels = self._sides[side]
        prices = sorted(levels, reverse=side == "bid")[:depth]
        return [(p, *levels[p]) for p in prices]

    def snapshot(self, depth: int | None = None) -> BookSnapshot:
        """An immutable copy of the top ``depth`` levels (all when None)."""
        return BookSnapshot(
            self.symbol,
            self.seq,
            self.ts_event,
            self.instrument,
            tuple(self.level_ticks("bid", depth)),
            tuple(self.level_ticks("ask", depth)),
        )

    def to_frame(self) -> pd.DataFrame:
        """The ``book`` frame of the current state (see ``marketsim.frames.book_frame``)."""
        return frames.book_frame(self)

    def __repr__(self) -> str:
        return display.summary_line(self, "LocalBook")


def book_at(
    start: BookSnapshot | LocalBook,
    events: Iterable[Event],
    at: int | pd.Timestamp | None = None,
    what: str = "recording",
) -> LocalBook:
    """A new ``LocalBook``: ``start`` with the deltas of ``events`` applied up to ``at``.

    ``at`` is a seq, a time-zone-aware Timestamp, or None for all of ``events`` (which follow
    ``start``). The book takes the seq and time of the last event up to ``at``, whatever its
    type. A seq or time before ``start`` raises ``ValueError`` ("before the {what}'s ...").
    """
    book = LocalBook(start if isinstance(start, BookSnapshot) else start.snapshot())
    if isinstance(at, pd.Timestamp):
        if at.tzinfo is None:
            raise ValueError("give the time with a time zone, e.g. pd.Timestamp(..., tz='UTC')")
        field_name, limit = "ts_event", at.value
    else:
        field_name, limit = "seq", at
    if limit is not None and limit < getattr(book, field_name):
        raise ValueError(f"{at} is before the {what}'s first state")
    applied: list[BookDelta] = []
    last = None
    for event in events:
        if limit is not None and getattr(event, field_name) > limit:
            break
        last = event
        if type(event) is BookDelta:
            applied.append(event)
    if last is not None:
        book.apply(applied, last.seq, last.ts_event)
    return book


@dataclass(frozen=True)
class BookUpdate:
    """One message of a book stream, already applied to ``book``.

    ``kind`` is "snapshot" (the book was replaced: at the start, after the server skipped
    deltas for a slow reader, or after the client saw a gap and resubscribed) or "deltas".
    """

    kind: Literal["snapshot", "deltas"]
    seq: int
    book: LocalBook
    deltas: list[BookDelta] = field(default_factory=list)


@dataclass(frozen=True)
class EventBatch:
    """Consecutive engine events of one instrument, as a stream delivers them."""

    symbol: str
    events: list[Event]

    @classmethod
    def from_proto(cls, message: pb.EventBatch) -> EventBatch:
        """Decode an ``EventBatch`` message."""
        return cls(message.symbol, codec.events_from_proto(message.events))
