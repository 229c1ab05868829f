"""``book_frame`` and ``depth_frame``: a book's levels, from any book-like object."""

from __future__ import annotations

import pandas as pd
import pytest

from marketsim.client import BookSnapshot
from marketsim.core import Instrument, OrderBook
from marketsim.errors import InvalidCommandError
from marketsim.frames import book_frame, depth_frame


@pytest.fixture
def deep_book() -> OrderBook:
    book = OrderBook("ACME", tick_size=0.01)
    for side, qty, price in [
        ("buy", 5, 99.98),
        ("buy", 2, 99.98),
        ("buy", 10, 99.95),
        ("sell", 4, 100.02),
        ("sell", 6, 100.05),
        ("sell", 1, 100.10),
    ]:
        book.submit(side, qty, price)
    return book


def rows(frame: pd.DataFrame, columns: list[str]) -> list[tuple]:
    return list(frame[columns].itertuples(index=False, name=None))


def test_book_frame_lists_bids_then_asks_best_first(deep_book):
    frame = book_frame(deep_book)

    assert rows(frame, ["side", "level", "price", "price_ticks", "qty", "order_count"]) == [
        ("bid", 0, 99.98, 9998, 7.0, 2),
        ("bid", 1, 99.95, 9995, 10.0, 1),
        ("ask", 0, 100.02, 10002, 4.0, 1),
        ("ask", 1, 100.05, 10005, 6.0, 1),
        ("ask", 2, 100.10, 10010, 1.0, 1),
    ]
    assert (frame["seq"] == deep_book.seq).all()


def test_book_frame_stamps_every_row_with_the_books_last_time_and_seq(book, ts):
    frame = book_frame(book)

    assert (frame["ts_event"] == ts(7)).all()
    assert (frame["seq"] == 16).all()


def test_book_frame_depth_limits_levels_per_side(deep_book):
    frame = book_frame(deep_book, depth=1)

    assert rows(frame, ["side", "price"]) == [("bid", 99.98), ("ask", 100.02)]


def test_book_frame_of_a_client_snapshot_equals_that_of_the_engine_book(deep_book):
    snapshot = BookSnapshot(
        "ACME",
        deep_book.seq,
        deep_book.ts_event,
        deep_book.instrument,
        tuple(deep_book.level_ticks("bid")),
        tuple(deep_book.level_ticks("ask")),
    )

    pd.testing.assert_frame_equal(book_frame(snapshot), book_frame(deep_book))


def test_prices_are_the_nearest_floats_to_the_decimal_prices():
    book = OrderBook("ACME", tick_size=0.01)
    for cents in range(1, 2000, 7):
        book.submit("buy", 1, cents / 100)

    frame = book_frame(book)

    assert frame["price"].tolist() == [ticks / 100 for ticks in frame["price_ticks"]]


def test_quantities_of_fractional_lots_are_floats_in_units():
    book = OrderBook(Instrument("COIN", tick_size="0.5", lot_size="0.001"))
    book.submit("sell", 0.003, 20_000.5)

    frame = book_frame(book)

    assert rows(frame, ["price", "qty"]) == [(20_000.5, 0.003)]


def test_depth_frame_accumulates_quantity_and_notional_outward_from_the_best(deep_book):
    frame = depth_frame(deep_book)

    assert rows(frame, ["side", "price", "qty", "cum_qty"]) == [
        ("bid", 99.98, 7.0, 7.0),
        ("bid", 99.95, 10.0, 17.0),
        ("ask", 100.02, 4.0, 4.0),
        ("ask", 100.05, 6.0, 10.0),
        ("ask", 100.10, 1.0, 11.0),
    ]
    assert frame["cum_notional"].tolist() == pytest.approx(
        [699.86, 699.86 + 999.5, 400.08, 400.08 + 600.3, 400.08 + 600.3 + 100.1]
    )


def test_depth_frame_of_a_shuffled_book_frame_equals_that_of_the_book(deep_book):
    shuffled = book_frame(deep_book).sample(frac=1, random_state=1)

    pd.testing.assert_frame_equal(depth_frame(shuffled), depth_frame(deep_book))


def test_depth_frame_depth_limits_levels_per_side(deep_book):
    frame = depth_frame(book_frame(deep_book), depth=1)

    assert rows(frame, ["side", "price", "cum_qty"]) == [("bid", 99.98, 7.0), ("ask", 100.02, 4.0)]


def test_depth_frame_of_a_frame_without_quantities_names_the_missing_column(deep_book):
    with pytest.raises(InvalidCommandError, match=r"lacks \['qty'\]"):
        depth_frame(book_frame(deep_book).drop(columns="qty"))
