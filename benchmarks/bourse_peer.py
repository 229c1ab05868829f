"""bourse (a Rust order book with a Python API) replaying the engine benchmark's workload.

Optional: ``pip install bourse`` (or ``pip install -e ".[bench]"``); ``available()`` is False
without it and the benchmark says so. One Python call per operation, as bourse is used:
``place_order`` for limit and market orders, ``cancel_order`` for cancels. Its trades stay in
the Rust book and are read once at the end (``get_trades``), so its event output is trades
only, where the marketsim engines build every event object.
"""

from __future__ import annotations

import time
from array import array

try:
    import bourse
except ImportError:  # the benchmark reports the peer as skipped
    bourse = None

CANCEL = "cancel"


def available() -> bool:
    """True when bourse is installed."""
    return bourse is not None


def new_book():
    """An empty bourse book with trading on."""
    return bourse.core.OrderBook(0, True)


def replay(ops: list, book=None) -> tuple[float, float, object]:
    """Replay ``ops`` on a fresh bourse book; return wall and CPU time in s, and the book.

    bourse numbers orders from 0 in the order they are placed; the engines number them from 1
    in the same order (every submit takes an id), so engine id ``n`` is bourse id ``n - 1``.
    """
    book = book or new_book()
    place, cancel = book.place_order, book.cancel_order
    cpu_started = time.process_time()
    started = time.perf_counter()
    for kind, arg, qty, price in ops:
        if kind == CANCEL:
            cancel(arg - 1)
        elif price is None:
            place(arg == "buy", qty, 0)
        else:
            place(arg == "buy", qty, 0, price)
    return time.perf_counter() - started, time.process_time() - cpu_started, book


def time_each_op(ops: list, latencies: array) -> None:
    """Replay ``ops`` on a fresh bourse book, storing each op's duration in ns.

    The dispatch is written out again (as in ``replay``) rather than called, so that the
    timed loop carries no extra Python call per operation.
    """
    book = new_book()
    place, cancel = book.place_order, book.cancel_order
    clock = time.perf_counter_ns
    for index, (kind, arg, qty, price) in enumerate(ops):
        start = clock()
        if kind == CANCEL:
            cancel(arg - 1)
        elif price is None:
            place(arg == "buy", qty, 0)
        else:
            place(arg == "buy", qty, 0, price)
        latencies[index] = clock() - start


def trades(ops: list) -> list[tuple[int, int, int, int]]:
    """bourse's trades over ``ops`` as ``(price_ticks, qty_lots, maker_id, taker_id)`` in
    engine ids, in the order they happened."""
    _, _, book = replay(ops)
    return [
        (price, volume, passive + 1, aggressive + 1)
        for _, _, price, volume, aggressive, passive in book.get_trades()
    ]
