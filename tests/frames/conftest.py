"""A small book whose every frame can be checked by hand.

order 1  al   sell 10 @ 100.05        rests
order 2  al   sell  5 @ 100.07        rests
order 3  bo   buy   3 @ 100.01        rests
order 4  bo   buy   8 @  99.99        rests
order 5  cy   buy  12 market          takes 10 @ 100.05 and 2 @ 100.07
cancel 3 (bo)
order 6  dee  sell 100 @ 105.00 FOK   rejected: not fillable
"""

from __future__ import annotations

import pandas as pd
import pytest

from marketsim.core import OrderBook

#: 2023-11-14 22:13:20 UTC, in nanoseconds; command k happens k microseconds later.
T0 = 1_700_000_000_000_000_000


@pytest.fixture
def ts():
    """``ts(k)``: the timestamp of command ``k`` (1-based) of the ``book`` fixture."""
    return lambda k: pd.Timestamp(T0 + k * 1000, unit="ns", tz="UTC")


@pytest.fixture
def book() -> OrderBook:
    book = OrderBook("ACME", tick_size=0.01)
    book.submit("sell", 10, 100.05, owner="al", ts_event=T0 + 1000)
    book.submit("sell", 5, 100.07, owner="al", ts_event=T0 + 2000)
    book.submit("buy", 3, 100.01, owner="bo", ts_event=T0 + 3000)
    book.submit("buy", 8, 99.99, owner="bo", ts_event=T0 + 4000)
    book.submit("buy", 12, owner="cy", ts_event=T0 + 5000)
    book.cancel(3, ts_event=T0 + 6000)
    book.submit("sell", 100, 105.00, tif="FOK", owner="dee", ts_event=T0 + 7000)
    return book
