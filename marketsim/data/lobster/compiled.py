"""The LOBSTER replay loop on the compiled engine: common rows in C, rare ones in Python.

``CompiledReplayer`` is ``_Replayer`` (``marketsim.data.lobster.replay``) with ``run``
replaced: the messages and orderbook rows go to ``WindowKernel`` (``_cwindow.pyx``) as int64
arrays, and the kernel replays them over the engine's C book. When a row needs logic that
only the pure code has (row 0, a mismatch, a crossing submit, a refused command), the kernel
calls ``in_python``, which runs the pure methods on that row with the book as objects. Both
loops leave the same book, event log, counters, window changes, prints and row seqs.

Importing this module fails with ImportError when the extension is not built; ``replay``
then uses the pure loop.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from tqdm.auto import tqdm

from marketsim._gc import gc_paused
from marketsim.core import OrderBook
from marketsim.data.lobster._cwindow import WindowKernel
from marketsim.data.lobster.replay import _PROGRESS_EVERY, _actions, _Replayer

__all__ = ["CompiledReplayer"]


class CompiledReplayer(_Replayer):
    """A replay whose loop runs in C; the window's Python methods serve the rare rows."""

    def __init__(self, book: OrderBook, divisor: int, levels: int | None) -> None:
        super().__init__(book, divisor, levels)
        # The object book is only lent to the rare rows (``in_python``); between them the
        # engine keeps it in C, which it can only do while nobody else holds it.
        self.state = None  # type: ignore[assignment]
        self.columns: tuple[np.ndarray, ...] = ()
        self.rows: np.ndarray | None = None

    @staticmethod
    def takes(messages: pd.DataFrame, orderbook: pd.DataFrame | None) -> bool:
        """Does the kernel read these frames exactly: every number a signed integer?"""
        names = ("type", "order_id", "size", "price", "direction")
        frames_dtypes = [messages[name].dtype for name in names]
        if orderbook is not None:
            frames_dtypes.extend(orderbook.dtypes)
        return all(dtype.kind == "i" for dtype in frames_dtypes)

    def run(self, messages: pd.DataFrame, orderbook: pd.DataFrame | None, progress: bool) -> None:
        """``_Replayer.run``, with the loop in ``WindowKernel``."""
        n = len(messages)
        self.stats.messages = n
        prices = messages["price"].to_numpy()
        columns = (
            pd.DatetimeIndex(messages["time"]).as_unit("ns").asi8,
            _actions(messages, self.divisor),
            messages["order_id"].to_numpy(),
            messages["size"].to_numpy(),
            prices,
            prices // self.divisor,
            messages["direction"].to_numpy(),
        )
        self.columns = tuple(np.ascontiguousarray(column, dtype="int64") for column in columns)
        if orderbook is not None:
            self.rows = np.ascontiguousarray(orderbook.to_numpy(), dtype="int64")
            if n:
                self.ts = int(self.columns[0][0])
                first = messages.iloc[0]
                self.seed(
                    self.rows[0].tolist(),
                    int(first["type"]),
                    int(first["size"]),
                    int(first["price"]),
                    int(first["direction"]),
                )
        self.row_seq = np.zeros(n, dtype="int64")
        kernel = WindowKernel(self, self.columns, self.rows, self.row_seq)
        bar = tqdm(total=n, desc=f"replay {self.book.symbol}", unit="msg", disable=not progress)
        with gc_paused():  # the event log grows by millions of acyclic objects
            for start in range(0, n, _PROGRESS_EVERY):
                stop = min(n, start + _PROGRESS_EVERY)
                kernel.run(start, stop)
                bar.update(stop - start)
        bar.close()

    def in_python(self, k: int, whole_message: bool) -> None:
        """Replay row ``k`` (only the check after its message unless ``whole_message``) with
        the pure methods; the kernel moves the book back into C afterwards."""
        times, actions, ids, sizes, prices, ticks, directions = self.columns
        self.state = self.book.engine.book  # the book as objects, out of C
        try:
            self.row, self.ts = k, int(times[k])
            if whole_message:
                self.apply_message(
                    int(actions[k]),
                    int(ids[k]),
                    int(sizes[k]),
                    int(prices[k]),
                    int(ticks[k]),
                    int(directions[k]),
                )
            if self.rows is not None:
                self.follow_row(k, self.rows[k].tolist())
        finally:
            self.state = None  # type: ignore[assignment]
