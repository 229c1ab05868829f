"""A small deterministic market to plot, and guards that plots leave global state alone."""

from __future__ import annotations

from contextlib import suppress

import matplotlib as mpl
import matplotlib.pyplot as plt
import pandas as pd
import pytest
from random_flow import RandomFlow

from marketsim.core import OrderBook
from marketsim.errors import UnknownOrderError

#: 2024-03-01 14:30:00 UTC in nanoseconds; the simulated orders arrive 5 ms apart.
START_NS = pd.Timestamp("2024-03-01 14:30", tz="UTC").value
ORDER_GAP_NS = 5_000_000


def simulated_book(orders: int = 600, seed: int = 3) -> OrderBook:
    """An ``OrderBook`` after ``orders`` orders of the demo's random flow, with cancels."""
    book = OrderBook("ACME", tick_size=0.01)
    flow = RandomFlow(book.instrument, seed)
    live: list[int] = []
    ts_event = START_NS
    for order in flow.orders(orders):
        ts_event += ORDER_GAP_NS
        result = book.submit(**order, ts_event=ts_event)
        if result.status in ("new", "partially_filled"):
            live.append(result.order_id)
        for order_id in flow.take_cancels(live, 1 if len(live) > 40 else 0):
            with suppress(UnknownOrderError):  # unless it was filled since it rested
                book.cancel(order_id, ts_event=ts_event)
    return book


@pytest.fixture(scope="session")
def book() -> OrderBook:
    return simulated_book()


@pytest.fixture(autouse=True)
def leaves_global_state_alone():
    """Every plotting test fails if it changed rcParams; figures it made are closed."""
    import matplotlib.pyplot  # noqa: F401  (importing pyplot may resolve rcParams["backend"])

    before = dict(mpl.rcParams)
    yield
    plt.close("all")
    assert dict(mpl.rcParams) == before
