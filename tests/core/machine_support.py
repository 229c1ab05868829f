"""Strategies and book views shared by the state machine's rule sets (``test_properties``)."""

from __future__ import annotations

import math
from decimal import Decimal

from hypothesis import strategies as st

from marketsim import OrderBook
from marketsim.core import Trade
from marketsim.core.events import STP_MODES

TICK = Decimal("0.01")
#: A few ticks either side of 100.00, so that orders cross often.
LOW_TICKS, HIGH_TICKS = 9_997, 10_003
OWNERS = ("alice", "bob")

sides = st.sampled_from(("buy", "sell"))
quantities = st.integers(min_value=1, max_value=8)
price_ticks = st.integers(min_value=LOW_TICKS, max_value=HIGH_TICKS)
owners = st.sampled_from(OWNERS)
stp_modes = st.sampled_from(("", "", *STP_MODES))


def price_of(ticks: int) -> Decimal:
    return ticks * TICK


def ticks_of(price: float) -> int:
    ticks = round(price / float(TICK))
    assert math.isclose(ticks * float(TICK), price), f"price {price} is off the tick grid"
    return ticks


def ladder(book: OrderBook) -> dict[str, list[tuple[int, int, int]]]:
    """Both sides of the book as ``[(price_ticks, qty, order_count), ...]``, best first."""
    return {
        side: [(ticks_of(price), qty, count) for price, qty, count in book.levels(side)]
        for side in ("bid", "ask")
    }


def queues(book: OrderBook) -> dict[tuple[str, int], list[tuple[int, int]]]:
    """Every level's queue ``[(order_id, qty), ...]`` keyed by (side, price_ticks)."""
    return {
        (side, ticks_of(price)): book.queue(side, price)
        for side in ("bid", "ask")
        for price, _, _ in book.levels(side)
    }


def snapshot(book: OrderBook) -> tuple:
    """Everything observable about a book, for before/after comparisons."""
    return (len(book.events), book.seq, ladder(book), queues(book), book.best_bid, book.best_ask)


def trades_of(events) -> list[tuple[int, int, int, int]]:
    return [
        (e.price_ticks, e.qty_lots, e.maker_order_id, e.taker_order_id)
        for e in events
        if isinstance(e, Trade)
    ]
