"""The ``bbo`` frame: the best bid and offer over time, by replaying the book's deltas.

Each ``BookDelta`` gives a level's new total, so a replay only needs a map price -> quantity
per side and a fast way to find the best price. A heap with lazy deletion does that: every
new level pushes its price, and emptied levels are discarded only when they reach the top.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable, Iterator

import numpy as np
import pandas as pd

from marketsim._gc import gc_paused
from marketsim.core.events import BookDelta, Event
from marketsim.core.types import BookSide, Instrument
from marketsim.frames.books import BookLike
from marketsim.frames.events import instrument_of
from marketsim.frames.schema import frame_from_rows, frame_schema
from marketsim.frames.units import Units

Quote = tuple[int, int] | tuple[None, None]  # (price_ticks, qty_lots) of a side's best level


class _BookSide:
    """The levels of one side of a book, price_ticks -> qty_lots, with its best level."""

    def __init__(self, side: BookSide, levels: Iterable[tuple[int, int]] = ()) -> None:
        # heapq pops the smallest value; the best bid is the highest price, so negate bids.
        self._sign = -1 if side == "bid" else 1
        self._qty = dict(levels)
        self._heap = [self._sign * price for price in self._qty]
        heapq.heapify(self._heap)

    def apply(self, delta: BookDelta) -> None:
        """Apply one level change."""
        if delta.action == "delete":
            self._qty.pop(delta.price_ticks, None)
            return
        if delta.price_ticks not in self._qty:
            heapq.heappush(self._heap, self._sign * delta.price_ticks)
        self._qty[delta.price_ticks] = delta.qty_lots

    def best(self) -> Quote:
        """``(price_ticks, qty_lots)`` of the best level, or ``(None, None)`` when empty."""
        heap, qty = self._heap, self._qty
        while heap and self._sign * heap[0] not in qty:
            heapq.heappop(heap)  # a level deleted since it was pushed
        if not heap:
            return None, None
        price = self._sign * heap[0]
        return price, qty[price]


def _levels(book: BookLike | None, side: BookSide) -> list[tuple[int, int]]:
    """``[(price_ticks, qty_lots), ...]`` of one side of ``book`` (none without a book)."""
    return [] if book is None else [(price, qty) for price, qty, _ in book.level_ticks(side)]


def _top_of_book_changes(
    events: Iterable[Event], start: BookLike | None
) -> Iterator[tuple[int, int, int | None, int | None, int | None, int | None]]:
    """``(ts_event, seq, bid_ticks, bid_lots, ask_ticks, ask_lots)`` whenever the top changes.

    The top is compared at the end of each batch (a delta with ``last=True``), so a row never
    shows a half-applied command.
    """
    bids, asks = _BookSide("bid", _levels(start, "bid")), _BookSide("ask", _levels(start, "ask"))
    sides = {"bid": bids, "ask": asks}
    top = (*bids.best(), *asks.best())  # all None unless the replay starts from a book
    if start is not None and top != (None, None, None, None):
        yield (start.ts_event, start.seq, *top)
    after_seq = 0 if start is None else start.seq
    for event in events:
        if type(event) is not BookDelta or event.seq <= after_seq:
            continue
        sides[event.side].apply(event)
        if event.last and (new_top := (*bids.best(), *asks.best())) != top:
            top = new_top
            yield (event.ts_event, event.seq, *top)


@gc_paused()
def bbo_frame(
    events: Iterable[Event],
    instrument: Instrument | None = None,
    *,
    start: BookLike | None = None,
) -> pd.DataFrame:
    """The best bid and offer after every command that changed them: one row per change.

    The deltas in ``events`` are replayed onto an empty book, or onto ``start`` (a snapshot
    the events continue, such as the first update of a book stream: deltas up to
    ``start.seq`` are skipped, and its own top is the first row unless the book is empty).
    ``instrument`` defaults to the one ``events`` (an ``EventLog``) or ``start`` carries.
    A row is written when a batch ends with a different best price or quantity on either side.

    Columns (NaN, or ``<NA>`` in an ``Int64`` column, where a side of the book is empty):

    - ``ts_event`` (datetime64[ns, UTC]) and ``seq`` (int64): the batch's last delta
    - ``bid_price``, ``ask_price`` (float64) and ``bid_qty``, ``ask_qty`` (Int64 for a whole
      lot, float64 for a fractional one): best levels
    - ``mid`` (float64): (bid_price + ask_price) / 2
    - ``spread`` (float64): ask_price - bid_price
    """
    if instrument is None and start is not None:
        instrument = start.instrument
    instrument = instrument_of(events, instrument)
    units = Units.of(instrument)

    def to_columns(ts_event, seq, bid_ticks, bid_lots, ask_ticks, ask_lots):
        bid = np.asarray(bid_ticks, dtype=np.float64)  # None -> NaN
        ask = np.asarray(ask_ticks, dtype=np.float64)
        return {
            "ts_event": ts_event,
            "seq": seq,
            "bid_price": units.price(bid),
            "bid_qty": units.qty.quantities(bid_lots),
            "ask_price": units.price(ask),
            "ask_qty": units.qty.quantities(ask_lots),
            "mid": units.price((bid + ask) / 2),
            "spread": units.price(ask - bid),
        }

    schema = frame_schema("bbo", instrument)
    return frame_from_rows(schema, _top_of_book_changes(events, start), to_columns)
