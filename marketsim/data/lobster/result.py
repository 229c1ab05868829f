"""What a LOBSTER replay produces: ``ReplayStats`` (counters) and ``ReplayResult``."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from marketsim import frames
from marketsim.core import EventLog, Instrument, OrderBook
from marketsim.data.lobster.files import PRICE_SCALE

if TYPE_CHECKING:
    from marketsim.data.lobster.live import LiveReplay


@dataclass
class ReplayStats:
    """Counters of a replay. Row figures exclude row 0 (the seed) and need an orderbook."""

    messages: int = 0
    levels: int | None = None
    rows_compared: int = 0
    exact_rows: int = 0
    revealed_rows: int = 0
    mismatches: int = 0
    mismatch_rows: list[int] = field(default_factory=list)  # the first 20
    executions: int = 0
    executions_not_first: int = 0  # any order (anonymous volume included) ahead in the queue
    executions_behind_known: int = 0  # an earlier "lobster" order ahead: not FIFO
    behind_known_rows: list[int] = field(default_factory=list)  # the first 100
    issues: Counter[str] = field(default_factory=Counter)

    @property
    def match_rate(self) -> float | None:
        """Share of compared rows that matched (exactly or after revealing); None if none."""
        if not self.rows_compared:
            return None
        return (self.rows_compared - self.mismatches) / self.rows_compared

    def __str__(self) -> str:
        text = f"{self.messages} messages"
        if self.rows_compared:
            text += (
                f", {self.rows_compared} rows compared: {self.exact_rows} exact, "
                f"{self.revealed_rows} revealed, {self.mismatches} mismatches "
                f"(match rate {self.match_rate:.4%})"
            )
        text += (
            f"; {self.executions} executions, {self.executions_not_first} not first in queue, "
            f"{self.executions_behind_known} behind an earlier known order"
        )
        if self.issues:
            text += f"; issues {dict(self.issues)}"
        return text


@dataclass
class ReplayResult:
    """What ``replay`` produced: the engine book, its events, statistics and frames.

    ``row_seq[k]`` is the engine ``seq`` after message k (and any window changes it caused),
    to align engine events and frames with message rows. ``live`` is set when the replay was
    also sent to a server (``replay(..., into=client)``): its progress, counters and outcome.
    """

    book: OrderBook
    stats: ReplayStats
    row_seq: np.ndarray
    _offbook: list[tuple] = field(repr=False)
    _window: list[tuple] = field(repr=False)
    live: LiveReplay | None = field(default=None, repr=False)

    @property
    def instrument(self) -> Instrument:
        """The replayed instrument (tick 0.01, or 0.0001 for sub-penny books)."""
        return self.book.instrument

    @property
    def events(self) -> EventLog:
        """The engine's event log (replayable with ``OrderBook.replay``)."""
        return self.book.events

    def offbook_trades(self) -> pd.DataFrame:
        """Prints that did not touch the visible book, one row each.

        Columns: ``ts_event`` datetime64[ns, UTC], ``row`` int64 (message row), ``seq`` int64
        (engine seq before the print), ``kind`` category{hidden, cross, unmatched} (unmatched: a
        type-4 execution of an order the replay could not find), ``order_id`` int64, ``price``
        float64 (dollars, exact to 1/10,000), ``qty`` int64 (shares), ``aggressor_side``
        category{buy, sell} (opposite of the message's direction).
        """
        columns = ["ts_event", "row", "seq", "kind", "order_id", "price", "qty", "aggressor_side"]
        rows = list(zip(*self._offbook, strict=True)) if self._offbook else [()] * 8
        frame = pd.DataFrame(dict(zip(columns, rows, strict=True)))
        frame["ts_event"] = pd.to_datetime(np.asarray(rows[0], dtype="int64"), unit="ns", utc=True)
        for name in ("row", "seq", "order_id"):
            frame[name] = np.asarray(rows[columns.index(name)], dtype="int64")
        frame["qty"] = np.asarray(rows[6], dtype="int64")
        frame["price"] = np.asarray(rows[5], dtype="int64") / PRICE_SCALE
        frame["kind"] = pd.Categorical(rows[3], categories=["hidden", "cross", "unmatched"])
        frame["aggressor_side"] = pd.Categorical(rows[7], categories=["buy", "sell"])
        return frame[columns]

    def window_changes(self) -> pd.DataFrame:
        """Volume the replay took from (or gave back to) the orderbook rows, one row each.

        Columns: ``row`` int64, ``action`` category{seed, reveal, drop, resync_drop,
        resync_add, drop_crossed}, ``side`` category{bid, ask}, ``price`` float64, ``price_ticks``
        int64, ``qty`` int64 (shares), ``seq`` int64 (engine seq after the change).
        """
        actions = ["seed", "reveal", "drop", "resync_drop", "resync_add", "drop_crossed"]
        rows = list(zip(*self._window, strict=True)) if self._window else [()] * 6
        ticks = np.asarray(rows[3], dtype="int64")
        return pd.DataFrame(
            {
                "row": np.asarray(rows[0], dtype="int64"),
                "action": pd.Categorical(rows[1], categories=actions),
                "side": pd.Categorical(rows[2], categories=["bid", "ask"]),
                "price": np.round(ticks * float(self.instrument.tick_size), 4),
                "price_ticks": ticks,
                "qty": np.asarray(rows[4], dtype="int64"),
                "seq": np.asarray(rows[5], dtype="int64"),
            }
        )

    def deltas(self) -> pd.DataFrame:
        """The ``deltas`` frame (``marketsim.frames``) of the engine events: the visible window."""
        return frames.deltas_frame(self.events, self.instrument)

    def bbo(self) -> pd.DataFrame:
        """The ``bbo`` frame of the engine events (best bid and offer after every change)."""
        return frames.bbo_frame(self.events, self.instrument)

    def trades(self) -> pd.DataFrame:
        """The ``trades`` frame of the visible executions (type 4); see ``offbook_trades``."""
        return frames.trades_frame(self.events, self.instrument)
