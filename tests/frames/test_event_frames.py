"""``trades_frame``, ``deltas_frame`` and ``events_frame``: the event log as tables."""

from __future__ import annotations

import pandas as pd
import pytest

from marketsim.errors import InvalidCommandError
from marketsim.frames import deltas_frame, events_frame, trades_frame


def rows(frame: pd.DataFrame, columns: list[str]) -> list[tuple]:
    """The rows of ``columns``, with missing values as None so that they compare equal."""
    return [
        tuple(None if pd.isna(value) else value for value in row)
        for row in frame[columns].itertuples(index=False, name=None)
    ]


def test_trades_frame_has_one_row_per_execution_at_the_makers_price(book, ts):
    frame = trades_frame(book.events)

    assert rows(frame, ["seq", "trade_id", "price", "price_ticks", "qty", "aggressor_side"]) == [
        (10, 1, 100.05, 10005, 10.0, "buy"),
        (11, 2, 100.07, 10007, 2.0, "buy"),
    ]
    assert rows(frame, ["maker_order_id", "taker_order_id", "maker_owner", "taker_owner"]) == [
        (1, 5, "al", "cy"),
        (2, 5, "al", "cy"),
    ]
    assert (frame["ts_event"] == ts(5)).all()


def test_deltas_frame_has_one_row_per_level_change_with_batch_ends_marked(book):
    frame = deltas_frame(book.events)

    assert rows(frame, ["seq", "action", "side", "price", "qty", "last"]) == [
        (2, "add", "ask", 100.05, 10.0, True),
        (4, "add", "ask", 100.07, 5.0, True),
        (6, "add", "bid", 100.01, 3.0, True),
        (8, "add", "bid", 99.99, 8.0, True),
        (12, "delete", "ask", 100.05, 0.0, False),
        (13, "update", "ask", 100.07, 3.0, True),
        (15, "delete", "bid", 100.01, 0.0, True),
    ]


def test_events_frame_has_one_row_per_event_of_every_type(book):
    frame = events_frame(book.events)

    assert frame["seq"].tolist() == list(range(1, 17))
    assert frame["type"].value_counts().to_dict() == {
        "delta": 7,
        "accepted": 5,
        "trade": 2,
        "cancelled": 1,
        "rejected": 1,
        "replaced": 0,
        "stop_triggered": 0,
        "iceberg_refilled": 0,
        "phase": 0,
        "uncrossed": 0,
    }


def test_events_frame_follows_one_orders_open_quantity_through_its_batch(book):
    frame = events_frame(book.events)
    market_order = frame[(frame["order_id"] == 5)]

    assert rows(market_order, ["type", "order_type", "price", "qty", "leaves_qty"]) == [
        ("accepted", "market", None, 12.0, 12.0),
        ("trade", None, 100.05, 10.0, 2.0),
        ("trade", None, 100.07, 2.0, 0.0),
    ]


def test_events_frame_gives_reasons_for_cancels_and_rejections(book):
    frame = events_frame(book.events)
    ended = frame[frame["type"].isin(["cancelled", "rejected"])]

    assert rows(ended, ["type", "order_id", "owner", "side", "leaves_qty", "reason"]) == [
        ("cancelled", 3, "bo", "buy", 0.0, "user"),
        ("rejected", 6, "dee", "sell", 0.0, "fok_unfillable"),
    ]


def test_events_frame_leaves_order_fields_of_deltas_missing(book):
    deltas = events_frame(book.events).query("type == 'delta'")

    assert deltas["order_id"].isna().all()
    assert deltas["owner"].isna().all()
    assert deltas["order_type"].isna().all()
    assert deltas["leaves_qty"].isna().all()
    assert deltas["side"].tolist() == ["sell", "sell", "buy", "buy", "sell", "sell", "buy"]


def test_events_frame_records_a_replace_with_its_new_price_and_quantity(book):
    book.replace(2, qty=1, price=100.09)

    replaced = events_frame(book.events).query("type == 'replaced'")

    assert rows(replaced, ["order_id", "price", "qty", "leaves_qty"]) == [(2, 100.09, 1.0, 1.0)]


def test_trade_leaves_are_missing_when_the_log_starts_after_the_order_was_accepted(book):
    events = book.events[9:]  # from the first trade on: order 5's acceptance is not in it

    frame = events_frame(events, book.instrument)

    assert pd.isna(frame.loc[frame["type"] == "trade", "leaves_qty"].iloc[0])


@pytest.mark.parametrize("builder", [events_frame, trades_frame, deltas_frame])
def test_a_plain_list_of_events_needs_an_instrument(builder, book):
    with pytest.raises(InvalidCommandError, match="instrument="):
        builder(list(book.events))

    assert len(builder(list(book.events), book.instrument)) > 0
