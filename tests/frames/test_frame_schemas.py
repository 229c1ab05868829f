"""Every frame has exactly its declared columns, in order, with its declared dtypes."""

from __future__ import annotations

import pandas as pd
import pytest

from marketsim.core import Instrument, OrderBook
from marketsim.core.ledger import Ledger
from marketsim.frames import (
    SCHEMAS,
    accounts_frame,
    bbo_frame,
    book_frame,
    deltas_frame,
    depth_frame,
    events_frame,
    leaderboard_frame,
    orders_frame,
    trades_frame,
)
from marketsim.frames import schema as schema_module


def accounts_of(book: OrderBook) -> list:
    ledger = Ledger.from_events(book.events, book.instrument)
    return list(ledger.accounts(book.symbol, best_bid_ticks=book.best_bid_ticks))


def open_orders_of(book: OrderBook) -> list[dict]:
    return [
        {
            "symbol": book.symbol,
            "order_id": order.order_id,
            "side": order.side,
            "price": book.instrument.ticks_to_price(order.price_ticks),
            "qty": book.instrument.lots_to_qty(order.qty_lots),
            "filled_qty": book.instrument.lots_to_qty(order.filled_lots),
            "queue_position": 1,
            "orders_at_level": 1,
        }
        for order in book.engine.book.orders.values()
    ]


BUILDERS = {
    "book": lambda book: book_frame(book),
    "depth": lambda book: depth_frame(book),
    "bbo": lambda book: bbo_frame(book.events),
    "trades": lambda book: trades_frame(book.events),
    "events": lambda book: events_frame(book.events),
    "deltas": lambda book: deltas_frame(book.events),
    "accounts": lambda book: accounts_frame(accounts_of(book), book.instrument),
    "orders": lambda book: orders_frame(open_orders_of(book), book.instrument),
    "leaderboard": lambda book: leaderboard_frame(
        ((account.owner, "trader", [account]) for account in accounts_of(book)),
        book.instrument,
    ),
}


def assert_schema(frame: pd.DataFrame, name: str) -> None:
    assert list(frame.columns) == list(SCHEMAS[name])
    assert dict(frame.dtypes) == dict(SCHEMAS[name])
    assert isinstance(frame.index, pd.RangeIndex) and frame.index.start == 0


def test_every_frame_has_a_schema_and_a_builder():
    assert set(SCHEMAS) == set(BUILDERS)


@pytest.mark.parametrize("name", BUILDERS)
def test_frame_of_a_busy_book_has_declared_columns_and_dtypes(name, book):
    frame = BUILDERS[name](book)

    assert len(frame) > 0
    assert_schema(frame, name)


@pytest.mark.parametrize("name", BUILDERS)
def test_frame_of_an_empty_book_is_empty_with_declared_dtypes(name):
    frame = BUILDERS[name](OrderBook("ACME", tick_size=0.01))

    assert len(frame) == 0
    assert_schema(frame, name)


@pytest.mark.parametrize("name", ["bbo", "trades", "events", "deltas"])
def test_frame_of_an_empty_event_list_is_empty_with_declared_dtypes(name):
    builders = {"bbo": bbo_frame, "trades": trades_frame, "events": events_frame}
    builder = builders.get(name, deltas_frame)

    assert_schema(builder([], Instrument("ACME", "0.01")), name)


def test_timestamps_are_utc_nanoseconds(book):
    frame = events_frame(book.events)

    assert str(frame["ts_event"].dtype) == "datetime64[ns, UTC]"
    assert frame["ts_event"].iloc[0].value == book.events[0].ts_event


def test_events_converted_in_several_chunks_equal_one_chunk(book, monkeypatch):
    whole = events_frame(book.events)
    monkeypatch.setattr(schema_module, "CHUNK_ROWS", 3)

    chunked = events_frame(book.events)

    pd.testing.assert_frame_equal(chunked, whole)
    assert_schema(chunked, "events")
