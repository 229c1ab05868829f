"""``bbo_frame``: the best bid and offer, replayed from the deltas, one row per change."""

from __future__ import annotations

import math
from contextlib import suppress

import pandas as pd
from random_flow import RandomFlow

from marketsim.core import OrderBook
from marketsim.errors import UnknownOrderError
from marketsim.frames import bbo_frame


def quotes(frame: pd.DataFrame) -> list[tuple]:
    return [
        tuple(None if pd.isna(value) else value for value in row)
        for row in frame[
            ["bid_price", "bid_qty", "ask_price", "ask_qty", "mid", "spread"]
        ].itertuples(index=False, name=None)
    ]


def test_bbo_has_a_row_per_batch_that_changed_the_top_of_book(book, ts):
    frame = bbo_frame(book.events)

    # Orders 2 and 4 rest behind the best price, so their batches (seq 4 and 8) add no row.
    assert frame["seq"].tolist() == [2, 6, 13, 15]
    assert frame["ts_event"].tolist() == [ts(1), ts(3), ts(5), ts(6)]
    assert quotes(frame) == [
        (None, None, 100.05, 10.0, None, None),
        (100.01, 3.0, 100.05, 10.0, 100.03, 0.04),
        (100.01, 3.0, 100.07, 3.0, 100.04, 0.06),
        (99.99, 8.0, 100.07, 3.0, 100.03, 0.08),
    ]


def test_bbo_mid_between_two_ticks_is_exact():
    book = OrderBook("ACME", tick_size=0.01)
    book.submit("buy", 1, 100.01)
    book.submit("sell", 1, 100.04)

    assert bbo_frame(book.events)["mid"].iloc[-1] == 100.025


def test_bbo_continues_from_a_start_book_skipping_the_events_it_already_holds(book):
    start = OrderBook.replay(book.events[:8], book.instrument)  # after the first 4 orders

    frame = bbo_frame(book.events, start=start)

    assert frame["seq"].tolist() == [8, 13, 15]
    assert quotes(frame)[0] == (100.01, 3.0, 100.05, 10.0, 100.03, 0.04)
    pd.testing.assert_frame_equal(
        frame.iloc[1:].reset_index(drop=True),
        bbo_frame(book.events).query("seq > 8").reset_index(drop=True),
    )


def test_bbo_matches_the_books_own_best_quotes_after_every_command_of_a_random_flow():
    book = OrderBook("ACME", tick_size=0.01)
    flow = RandomFlow(book.instrument, seed=11)
    live: list[int] = []
    expected: list[tuple] = []

    def note_quote() -> None:
        quote = (book.best_bid, book.best_ask)
        if (expected[-1] if expected else (None, None)) != quote:
            expected.append(quote)

    for order in flow.orders(3000):
        result = book.submit(**order)
        note_quote()
        if result.status in ("new", "partially_filled"):
            live.append(result.order_id)
        for order_id in flow.take_cancels(live, 1 if len(live) > 30 else 0):
            with suppress(UnknownOrderError):  # unless it was filled since it rested
                book.cancel(order_id)
                note_quote()

    frame = bbo_frame(book.events)

    def as_quote(row) -> tuple:
        bid = None if math.isnan(row.bid_price) else (row.bid_price, row.bid_qty)
        ask = None if math.isnan(row.ask_price) else (row.ask_price, row.ask_qty)
        return bid, ask

    assert len(frame) > 500
    assert [as_quote(row) for row in frame.itertuples()] == expected
