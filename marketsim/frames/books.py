"""Frames of a book's current state: ``book`` (one row per level) and ``depth`` (cumulative).

Both accept any *book-like* object: an engine ``OrderBook``, a client's ``BookSnapshot`` or
its live ``LocalBook``; they answer ``level_ticks(side, depth)`` and carry ``instrument``,
``seq`` and a timestamp.
"""

from __future__ import annotations

from typing import Protocol

import pandas as pd

from marketsim.core.types import BOOK_SIDES, BookSide, Instrument
from marketsim.errors import InvalidCommandError
from marketsim.frames.schema import frame_from_rows, frame_schema, schema_for_lots
from marketsim.frames.units import Units

#: The columns ``depth_frame`` reads from a frame.
_DEPTH_INPUT = ("side", "price", "qty")


class BookLike(Protocol):
    """What the book frames read from a book (see the module docstring)."""

    @property
    def instrument(self) -> Instrument: ...
    @property
    def seq(self) -> int: ...
    @property
    def ts_event(self) -> int: ...
    def level_ticks(
        self, side: BookSide, depth: int | None = None
    ) -> list[tuple[int, int, int]]: ...


def book_frame(book: BookLike, depth: int | None = None) -> pd.DataFrame:
    """The book's levels, one row per side and level: bids best first, then asks best first.

    ``depth`` limits the levels per side (all when None). Columns:

    - ``ts_event`` (datetime64[ns, UTC]): time of the book's last change, on every row
    - ``seq`` (int64): the sequence number the book is at, on every row
    - ``side`` (category: bid, ask)
    - ``level`` (int64): 0 for the best price of the side, 1 for the next, ...
    - ``price`` (float64) and ``price_ticks`` (int64): the level's price, also in ticks
    - ``qty`` (int64 for a whole lot, float64 for a fractional one): total open quantity at
      the level
    - ``order_count`` (int64): number of orders resting at the level

    Quantity columns follow the instrument's lot size in every frame, never the values: a
    share (lot 1 or 100) gives integers, printed ``8`` rather than ``8.0``; a coin (lot
    0.001) gives floats. See ``marketsim.frames.schema``.
    """
    units = Units.of(book.instrument)
    ts_event, seq = book.ts_event, book.seq
    rows = [
        (ts_event, seq, side, level, *ticks_lots_count)
        for side in BOOK_SIDES
        for level, ticks_lots_count in enumerate(book.level_ticks(side, depth))
    ]

    def to_columns(ts_event, seq, side, level, price_ticks, qty_lots, order_count):
        return {
            "ts_event": ts_event,
            "seq": seq,
            "side": side,
            "level": level,
            "price": units.price(price_ticks),
            "price_ticks": price_ticks,
            "qty": units.qty.quantities(qty_lots),
            "order_count": order_count,
        }

    return frame_from_rows(frame_schema("book", book.instrument), rows, to_columns)


def depth_frame(source: BookLike | pd.DataFrame, depth: int | None = None) -> pd.DataFrame:
    """Cumulative depth: how much quantity, and money, rests at each price or better.

    ``source`` is a book-like object or a frame with ``side``, ``price`` and ``qty`` columns
    (a ``book`` frame, or a ``depth`` frame to recompute). ``depth`` limits the levels per
    side. Rows: bids from the best (highest) price down, then asks from the best (lowest) up.
    Columns:

    - ``side`` (category: bid, ask)
    - ``price`` (float64)
    - ``qty``: quantity at this price
    - ``cum_qty``: quantity at this price or better: what a market order must take to trade
      through this price

    (``qty`` and ``cum_qty`` are int64 for a whole lot, float64 for a fractional one: from a
    frame, as its ``qty`` column is integer or not.)
    - ``cum_notional`` (float64): the sum of price * qty at this price or better
    """
    if not isinstance(source, pd.DataFrame):
        source = book_frame(source, depth)
    whole_lots = "qty" in source.columns and pd.api.types.is_integer_dtype(source["qty"])
    missing = [column for column in _DEPTH_INPUT if column not in source.columns]
    if missing:
        raise InvalidCommandError(
            f"depth_frame needs columns {list(_DEPTH_INPUT)}; the frame lacks {missing}"
        )
    sides = [_cumulated(source, side, depth) for side in BOOK_SIDES]
    return pd.concat(sides, ignore_index=True).astype(schema_for_lots("depth", whole_lots))


def _cumulated(book: pd.DataFrame, side: BookSide, depth: int | None) -> pd.DataFrame:
    """One side's levels of ``book``, best first, with running totals of qty and notional."""
    levels = (
        book.loc[book["side"] == side, list(_DEPTH_INPUT)]
        .sort_values("price", ascending=side == "ask")
        .iloc[:depth]
    )
    return levels.assign(
        cum_qty=levels["qty"].cumsum(), cum_notional=(levels["price"] * levels["qty"]).cumsum()
    )
