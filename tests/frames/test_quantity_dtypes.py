"""Quantity columns follow the lot size: integers for whole lots, floats for fractional ones.

The dtype is decided by the instrument, never by the values: an empty frame, or a frame whose
fractional-lot quantities happen to be whole, keeps the same dtypes.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd
import pytest
from test_frame_schemas import BUILDERS

from marketsim.core import Instrument, OrderBook
from marketsim.core.events import BookDelta
from marketsim.core.ledger import Ledger
from marketsim.errors import InvalidCommandError
from marketsim.frames import (
    SCHEMAS,
    accounts_frame,
    book_frame,
    depth_frame,
    events_frame,
    frame_schema,
    orders_frame,
    trades_frame,
)

#: Every quantity column of every frame.
QUANTITY_COLUMNS = {
    "book": ["qty"],
    "depth": ["qty", "cum_qty"],
    "bbo": ["bid_qty", "ask_qty"],
    "trades": ["qty"],
    "events": ["qty", "leaves_qty"],
    "deltas": ["qty"],
    "accounts": ["position", "traded_qty"],
    "orders": ["qty", "filled_qty"],
    "leaderboard": ["position", "traded_qty"],
}
#: Quantity columns where a value may be missing (an empty side, an event with no quantity).
NULLABLE = {("bbo", "bid_qty"), ("bbo", "ask_qty"), ("events", "qty"), ("events", "leaves_qty")}


def busy_book(lot_size: str) -> OrderBook:
    """Resting orders on both sides, a trade, a cancel and a rejection, in ``lot_size`` lots."""
    lot = float(lot_size)
    book = OrderBook("ACME", tick_size=0.01, lot_size=lot_size)
    book.submit("sell", 10 * lot, 100.05, owner="al")
    book.submit("buy", 8 * lot, 99.99, owner="bo")
    book.submit("buy", 3 * lot, 100.01, owner="bo")
    book.submit("buy", 4 * lot, owner="cy")
    book.cancel(3)
    book.submit("sell", 100 * lot, 105.00, tif="FOK", owner="dee")
    return book


def test_every_frame_has_its_quantity_columns_listed_here():
    assert set(QUANTITY_COLUMNS) == set(SCHEMAS)


@pytest.mark.parametrize("lot_size", ["1", "100"])
@pytest.mark.parametrize("name", BUILDERS)
def test_quantities_of_a_whole_lot_are_integers(name, lot_size):
    book = busy_book(lot_size)

    for frame in (BUILDERS[name](book), BUILDERS[name](OrderBook(book.instrument))):
        assert (
            dict(frame.dtypes) == dict(SCHEMAS[name]) == dict(frame_schema(name, book.instrument))
        )
        for column in QUANTITY_COLUMNS[name]:
            expected = "Int64" if (name, column) in NULLABLE else "int64"
            assert str(frame[column].dtype) == expected, column


@pytest.mark.parametrize("name", BUILDERS)
def test_quantities_of_a_fractional_lot_are_floats_even_when_whole(name):
    # Lots of 0.5: every quantity below is a whole number of units, and still float64.
    book = busy_book("0.5")

    for frame in (BUILDERS[name](book), BUILDERS[name](OrderBook(book.instrument))):
        assert dict(frame.dtypes) == dict(frame_schema(name, book.instrument))
        for column in QUANTITY_COLUMNS[name]:
            assert frame[column].dtype == np.float64, column


def test_quantities_of_a_lot_of_100_are_counted_in_units():
    book = busy_book("100")

    frame = book_frame(book)

    assert frame[["side", "qty"]].values.tolist() == [["bid", 800], ["ask", 600]]


def test_a_printed_frame_of_a_whole_lot_shows_8_not_8_point_0():
    book = OrderBook("ACME", tick_size=0.01)
    book.submit("buy", 8, 99.99)
    book.submit("sell", 5, 100.05)
    book.submit("buy", 2, 100.05)

    printed = book_frame(book)[["side", "qty", "order_count"]].to_string(index=False).split()
    trades = trades_frame(book.events)[["qty"]].to_string(index=False).split()

    assert printed == ["side", "qty", "order_count", "bid", "8", "1", "ask", "3", "1"]
    assert trades == ["qty", "2"]


def test_a_missing_quantity_of_a_whole_lot_prints_as_na():
    book = OrderBook("ACME", tick_size=0.01)
    book.submit("buy", 8, 99.99)

    bbo = BUILDERS["bbo"](book)

    assert bbo[["bid_qty", "ask_qty"]].iloc[0].tolist() == [8, pd.NA]
    assert "<NA>" in bbo.to_string()


def test_depth_from_a_frame_keeps_its_quantity_dtype():
    for lot_size, dtype in [("1", np.int64), ("0.001", np.float64)]:
        book = busy_book(lot_size)

        depth = depth_frame(book_frame(book))

        assert dict(depth.dtypes) == dict(frame_schema("depth", book.instrument))
        assert depth["cum_qty"].dtype == dtype


def test_schema_of_several_instruments_is_whole_only_when_every_lot_is():
    share, coin = Instrument("ACME", "0.01"), Instrument("COIN", "0.01", lot_size="0.001")

    assert frame_schema("orders", [share, share])["qty"] == np.int64
    assert frame_schema("orders", [share, coin])["qty"] == np.float64
    assert frame_schema("orders", None)["qty"] == np.int64


def test_schema_of_an_unknown_frame_names_the_frames():
    with pytest.raises(KeyError, match=r"'bids'.*book"):
        frame_schema("bids")


def test_fractional_quantities_without_their_instrument_are_refused_not_truncated():
    row = {"symbol": "COIN", "order_id": 1, "side": "buy", "price": 1.0, "qty": 0.5,
           "filled_qty": 0.0, "queue_position": 1, "orders_at_level": 1}  # fmt: skip
    coin = Instrument("COIN", "0.01", lot_size="0.001")

    with pytest.raises(InvalidCommandError, match="qty has a fractional value"):
        orders_frame([row])
    assert orders_frame([row], coin)["qty"].tolist() == [0.5]


def test_accounts_of_fractional_lots_take_their_instrument():
    book = busy_book("0.001")
    accounts = BUILDERS["accounts"](book)

    assert accounts["position"].dtype == np.float64
    with pytest.raises(InvalidCommandError, match="position has a fractional value"):
        accounts_frame(Ledger.from_events(book.events, book.instrument).accounts(book.symbol))


def test_a_quantity_beyond_int64_is_an_overflow_error_not_a_wrapped_number():
    book = OrderBook("ACME", tick_size=0.01, lot_size=10**12)
    book.submit("buy", 10**12 * 10**7, 99.99)  # 1e19 units: beyond int64's 9.2e18

    with pytest.raises(OverflowError, match="exceeds int64"):
        book_frame(book)


def test_quantities_beyond_float_precision_stay_exact():
    # 2**53 + 1 lots cannot be told from 2**53 as a float64; the integer column keeps it.
    book = OrderBook("ACME", tick_size=0.01)
    book.submit("buy", 10**12, 99.99)
    huge = 2**53 + 1
    delta = next(event for event in book.events if type(event) is BookDelta)

    frame = events_frame([replace(delta, qty_lots=huge)], book.instrument)

    assert frame["qty"].tolist() == [huge]
