"""pandas frames of books and event logs, with declared column orders and dtypes.

    import marketsim as ms
    from marketsim import frames

    book = ms.OrderBook("ACME", tick_size=0.01)
    ...
    frames.book_frame(book)            # one row per side x level
    frames.depth_frame(book)           # cumulative quantity and notional per price
    frames.trades_frame(book.events)   # one row per execution
    frames.bbo_frame(book.events)      # best bid and offer after every change
    frames.SCHEMAS["trades"]           # column -> dtype, as the builders guarantee
    frames.frame_schema("trades", book.instrument)   # the same, for any lot size

The same builders take a client's ``BookSnapshot`` or ``LocalBook`` and the events of recorded
streams (pass ``instrument=`` when the events are a plain list). Empty inputs give empty frames
with the same columns and dtypes.

Quantity columns are integers (``int64``, or ``Int64`` where a value may be missing) when the
instrument's lot size is whole, as for shares, so a level of 8 prints ``8``; they are
``float64`` when the lot is fractional (0.001 of a coin). The dtype never depends on the
values that arrive; ``SCHEMAS`` lists the whole-lot dtypes.
"""

from marketsim.frames.accounts import (
    accounts_frame,
    leaderboard_frame,
    ledger_frame,
    orders_frame,
)
from marketsim.frames.bbo import bbo_frame
from marketsim.frames.books import book_frame, depth_frame
from marketsim.frames.events import deltas_frame, events_frame, trades_frame
from marketsim.frames.schema import SCHEMAS, frame_schema

__all__ = [
    "SCHEMAS",
    "accounts_frame",
    "bbo_frame",
    "book_frame",
    "deltas_frame",
    "depth_frame",
    "events_frame",
    "frame_schema",
    "leaderboard_frame",
    "ledger_frame",
    "orders_frame",
    "trades_frame",
]
