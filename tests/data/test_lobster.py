"""LOBSTER files: reading them, and replaying them through the engine row for row.

The tiny sample in data/lobster-sample/ (made by the engine, see its README) is always there;
the real NASDAQ samples in ../shared/data/lobster/ are used when that folder exists.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from marketsim import OrderBook
from marketsim.core import Trade
from marketsim.data import lobster
from marketsim.frames import SCHEMAS

REPO_ROOT = Path(__file__).resolve().parents[2]
SAMPLE = REPO_ROOT / "data" / "lobster-sample"
SHARED = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "lobster"
SAMPLE_MESSAGES = SAMPLE / "SMPL_2020-01-02_34200000_57600000_message_2.csv"
SAMPLE_ORDERBOOK = SAMPLE / "SMPL_2020-01-02_34200000_57600000_orderbook_2.csv"
LEVEL_50 = SHARED / "messages_only" / "AAPL_2012-06-21_34200000_37800000_message_50.csv"

needs_shared = pytest.mark.skipif(
    not SHARED.is_dir(), reason=f"LOBSTER sample data not found at {SHARED}"
)
SHARED_PAIRS = lobster.find_pairs(SHARED) if SHARED.is_dir() else []

#: Reference figures from an independent checker (../shared/data/lobster/README.md).
EXPECTED = {
    "AAPL_2012-06-21_34200000_57600000_message_10.csv": (998, 318),
    "AMZN_2012-06-21_34200000_57600000_message_1.csv": (57_514, 13_953),
}


def write_messages(folder: Path, rows: list[str], name: str = "TEST_2020-01-02_0_1_message_1.csv"):
    path = folder / name
    path.write_text("".join(f"{row}\n" for row in rows))
    return lobster.read_messages(path)


def trades_of_row(result: lobster.ReplayResult, row: int) -> list[Trade]:
    """The engine trades message ``row`` caused."""
    start = result.row_seq[row - 1] if row else 0
    return [
        e for e in result.events if isinstance(e, Trade) and start < e.seq <= result.row_seq[row]
    ]


def assert_top_levels_follow_orderbook(result: lobster.ReplayResult, orderbook) -> None:
    """The bbo frame, sampled after every message, equals level 1 of the orderbook file."""
    bbo = result.bbo()
    after = pd.merge_asof(
        pd.DataFrame({"seq": result.row_seq}), bbo[["seq", "bid_price", "bid_qty", "ask_price"]]
    )
    np.testing.assert_array_equal(after["bid_price"], orderbook["bid_price_1"] / 10_000)
    np.testing.assert_array_equal(after["bid_qty"], orderbook["bid_size_1"])
    np.testing.assert_array_equal(after["ask_price"], orderbook["ask_price_1"] / 10_000)


# -- reading --------------------------------------------------------------------------------


def test_file_name_gives_symbol_date_window_and_levels():
    name = lobster.parse_file_name(SAMPLE_MESSAGES)
    assert name == lobster.LobsterFileName(
        "SMPL", pd.Timestamp("2020-01-02").date(), 34_200_000, 57_600_000, "message", 2
    )
    assert lobster.parse_file_name("book.csv") is None
    assert lobster.find_pairs(SAMPLE) == [(SAMPLE_MESSAGES, SAMPLE_ORDERBOOK)]


def test_read_messages_has_documented_columns_dtypes_and_utc_times():
    messages = lobster.read_messages(SAMPLE_MESSAGES)
    assert messages.dtypes.to_dict() == {
        "time": pd.DatetimeTZDtype("ns", "UTC"),
        "type": np.dtype("int8"),
        "order_id": np.dtype("int64"),
        "size": np.dtype("int64"),
        "price": np.dtype("int64"),
        "direction": np.dtype("int8"),
    }
    assert messages.attrs["symbol"] == "SMPL" and messages.attrs["levels"] == 2
    first = SAMPLE_MESSAGES.read_text().split(",", 1)[0]  # seconds after midnight, New York
    seconds, fraction = first.split(".")
    # 2 January is winter time: New York is UTC-5, so 09:30 there is 14:30 UTC.
    expected = pd.Timestamp("2020-01-02 14:30", tz="UTC") + pd.Timedelta(
        int(seconds) * 10**9 - 34_200 * 10**9 + int(fraction.ljust(9, "0")), unit="ns"
    )
    assert messages["time"].iloc[0] == expected
    assert messages["time"].is_monotonic_increasing


def test_read_messages_needs_a_date_when_the_name_has_none(tmp_path):
    path = tmp_path / "messages.csv"
    path.write_text("34200.5,1,7,10,1000000,1\n")
    with pytest.raises(ValueError, match="date="):
        lobster.read_messages(path)
    messages = lobster.read_messages(path, date="2012-06-21")  # summer: UTC-4
    assert messages["time"].iloc[0] == pd.Timestamp("2012-06-21 13:30:00.5", tz="UTC")


def test_read_orderbook_names_columns_and_checks_levels():
    book = lobster.read_orderbook(SAMPLE_ORDERBOOK)
    assert list(book.columns) == lobster.orderbook_columns(2)
    assert list(book.columns[:4]) == ["ask_price_1", "ask_size_1", "bid_price_1", "bid_size_1"]
    assert set(book.dtypes) == {np.dtype("int64")}
    assert len(book) == len(lobster.read_messages(SAMPLE_MESSAGES))
    with pytest.raises(ValueError, match="expected 3 levels, found 2"):
        lobster.read_orderbook(SAMPLE_ORDERBOOK, levels=3)


# -- the tiny sample -----------------------------------------------------------------------


def test_sample_files_are_small_and_what_make_sample_generates():
    spec = importlib.util.spec_from_file_location("make_sample", SAMPLE / "make_sample.py")
    assert spec is not None and spec.loader is not None
    make_sample = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(make_sample)
    messages, orderbook = make_sample.generate()
    assert SAMPLE_MESSAGES.read_text() == messages
    assert SAMPLE_ORDERBOOK.read_text() == orderbook
    assert SAMPLE_MESSAGES.stat().st_size + SAMPLE_ORDERBOOK.stat().st_size < 50_000


def test_sample_replay_agrees_with_every_orderbook_row():
    orderbook = lobster.read_orderbook(SAMPLE_ORDERBOOK)
    result = lobster.replay(SAMPLE_MESSAGES, orderbook, progress=False)
    stats = result.stats
    assert stats.rows_compared == len(orderbook) - 1
    assert stats.mismatches == 0, stats.mismatch_rows
    assert stats.match_rate == 1.0
    assert stats.revealed_rows > 0  # levels emptied and deeper ones came into view
    assert stats.exact_rows + stats.revealed_rows == stats.rows_compared
    assert not stats.issues
    changes = result.window_changes()
    assert {"seed", "reveal", "drop"} <= set(changes["action"])
    # A level pushed out of the window changed size out of sight; it came back with the new one.
    moved = changes[changes["action"].isin(["drop", "reveal"])]
    came_back_changed = [
        ((g["action"].shift() == "drop") & (g["action"] == "reveal") & (g["qty"].diff() != 0)).any()
        for _, g in moved.groupby(["side", "price_ticks"], observed=True)
    ]
    assert any(came_back_changed)
    assert str(result.instrument.tick_size) == "0.01"  # LOBSTER prices are whole cents here
    result.book.check_integrity()
    assert_top_levels_follow_orderbook(result, orderbook)


def test_sample_orders_from_before_the_window_reduce_the_seeded_volume():
    messages = lobster.read_messages(SAMPLE_MESSAGES)
    result = lobster.replay(messages, SAMPLE_ORDERBOOK, progress=False)
    submitted = set(messages.loc[messages["type"] == 1, "order_id"])
    early = messages[messages["type"].isin([2, 3, 4]) & ~messages["order_id"].isin(submitted)]
    assert len(early) > 0
    executed_early = early[early["type"] == 4]
    owners = set()
    for row in executed_early.index:  # executions of unseen orders trade anonymous volume
        (trade,) = trades_of_row(result, row)
        owners.add(trade.maker_owner)
        assert trade.maker_order_id >= lobster.ANON_ID_BASE
        assert trade.qty_lots == messages.loc[row, "size"]
    # Seeded at the start, or revealed later when a deeper level came into view.
    assert owners == {lobster.OWNER_INITIAL, lobster.OWNER_REVEALED}


def test_sample_execution_hits_the_named_order_behind_an_earlier_one():
    messages = lobster.read_messages(SAMPLE_MESSAGES)
    orderbook = lobster.read_orderbook(SAMPLE_ORDERBOOK)
    result = lobster.replay(messages, orderbook, progress=False)
    assert result.stats.executions_behind_known == 1
    assert_execution_hit_named_order(messages, orderbook, result.stats.behind_known_rows[0])


def assert_execution_hit_named_order(messages, orderbook, row: int) -> None:
    message = messages.loc[row]
    side = "bid" if message["direction"] == 1 else "ask"
    price = message["price"] / 10_000
    before = lobster.replay(messages.iloc[:row], orderbook.iloc[:row], progress=False)
    queue = before.book.queue(side, price)
    position = [order_id for order_id, _ in queue].index(message["order_id"])
    ahead = [q for q in queue[:position] if q[0] < lobster.ANON_ID_BASE]
    assert ahead, "an earlier known order rests ahead of the executed one"
    after = lobster.replay(messages.iloc[: row + 1], orderbook.iloc[: row + 1], progress=False)
    (trade,) = trades_of_row(after, row)
    assert trade.maker_order_id == message["order_id"]
    assert trade.taker_order_id == 0
    assert trade.aggressor_side == ("sell" if side == "bid" else "buy")
    still_there = dict(after.book.queue(side, price))
    assert all(still_there[order_id] == qty for order_id, qty in ahead)


def test_sample_hidden_and_cross_prints_and_halts_leave_the_book_alone():
    messages = lobster.read_messages(SAMPLE_MESSAGES)
    result = lobster.replay(messages, SAMPLE_ORDERBOOK, progress=False)
    offbook = result.offbook_trades()
    assert list(offbook.columns) == [
        "ts_event",
        "row",
        "seq",
        "kind",
        "order_id",
        "price",
        "qty",
        "aggressor_side",
    ]
    assert offbook["ts_event"].dtype == pd.DatetimeTZDtype("ns", "UTC")
    assert offbook["kind"].dtype == pd.CategoricalDtype(["hidden", "cross", "unmatched"])
    prints = messages[messages["type"].isin([5, 6])]
    assert offbook["row"].tolist() == prints.index.tolist()
    assert (offbook["kind"] == "cross").sum() == 1
    half_cent = offbook["price"] * 100 % 1 != 0  # midpoint executions print at half a cent
    assert half_cent.any()
    np.testing.assert_array_equal(offbook["price"], prints["price"] / 10_000)
    quiet = messages.index[messages["type"].isin([5, 6, 7]) & (messages.index > 0)]
    assert (messages.loc[quiet, "type"] == 7).sum() == 3
    assert (result.row_seq[quiet] == result.row_seq[quiet - 1]).all()  # no engine event


def test_sample_frames_have_the_declared_schemas():
    result = lobster.replay(SAMPLE_MESSAGES, SAMPLE_ORDERBOOK, progress=False)
    for name, frame in (("deltas", result.deltas()), ("bbo", result.bbo())):
        assert frame.dtypes.to_dict() == dict(SCHEMAS[name]), name
    trades = result.trades()
    assert trades.dtypes.to_dict() == dict(SCHEMAS["trades"])
    assert len(trades) == result.stats.executions
    # Shares are whole: every quantity column reads as integers, the book's own frames too.
    assert result.offbook_trades()["qty"].dtype == np.int64
    assert result.window_changes()["qty"].dtype == np.int64
    assert trades["qty"].dtype == np.int64
    assert (trades["taker_order_id"] == 0).all()


def test_replayed_event_log_rebuilds_the_same_book():
    result = lobster.replay(SAMPLE_MESSAGES, SAMPLE_ORDERBOOK, progress=False)
    rebuilt = OrderBook.replay(result.events)
    for side in ("bid", "ask"):
        assert rebuilt.level_ticks(side) == result.book.level_ticks(side)


def test_a_wrong_orderbook_row_is_a_mismatch_and_the_replay_resynchronises():
    orderbook = lobster.read_orderbook(SAMPLE_ORDERBOOK)
    tampered = orderbook.copy()
    tampered.loc[150, "bid_size_1"] += 7
    result = lobster.replay(SAMPLE_MESSAGES, tampered, progress=False)
    assert result.stats.mismatch_rows[0] == 150
    assert result.stats.mismatches <= 2  # the wrong row, and the row that puts it right
    assert result.stats.match_rate < 1
    result.book.check_integrity()
    changes = result.window_changes()
    assert {"resync_drop", "resync_add"} <= set(changes["action"])


@pytest.mark.parametrize("column", ["ask_price_2", "bid_size_2", "ask_size_1", "bid_price_1"])
def test_every_corrupted_level_of_an_exact_row_is_a_mismatch_of_that_row(column):
    orderbook = lobster.read_orderbook(SAMPLE_ORDERBOOK)
    row, _, _ = _rows_matched_exactly_and_by_revealing(orderbook)
    tampered = orderbook.copy()
    tampered.loc[row, column] += 100 if "price" in column else 3
    stats = lobster.replay(SAMPLE_MESSAGES, tampered, progress=False).stats
    assert stats.mismatch_rows[0] == row
    assert stats.mismatches <= 2  # the wrong row, and the row that puts it right


@pytest.mark.parametrize("field", ["price", "size"])
def test_a_corrupted_row_is_a_mismatch_even_where_the_other_side_reveals_a_level(field):
    orderbook = lobster.read_orderbook(SAMPLE_ORDERBOOK)
    _, row, revealed_side = _rows_matched_exactly_and_by_revealing(orderbook)
    other = "bid" if revealed_side == "ask" else "ask"
    tampered = orderbook.copy()
    tampered.loc[row, f"{other}_{field}_1"] += 100 if field == "price" else 3
    stats = lobster.replay(SAMPLE_MESSAGES, tampered, progress=False).stats
    assert stats.mismatch_rows[0] == row


def test_a_dummy_level_above_a_real_one_is_a_mismatch_not_a_match():
    orderbook = lobster.read_orderbook(SAMPLE_ORDERBOOK)
    row, _, _ = _rows_matched_exactly_and_by_revealing(orderbook)
    tampered = orderbook.copy()
    tampered.loc[row, ["ask_price_1", "ask_size_1"]] = [lobster.ASK_DUMMY, 0]
    stats = lobster.replay(SAMPLE_MESSAGES, tampered, progress=False).stats
    assert stats.mismatch_rows[0] == row


def _rows_matched_exactly_and_by_revealing(orderbook: pd.DataFrame) -> tuple[int, int, str]:
    """A row of the sample showing two levels a side that the clean replay matched exactly,
    and a row at which it revealed levels of one side only (with that side)."""
    changes = lobster.replay(SAMPLE_MESSAGES, orderbook, progress=False).window_changes()
    reveals = changes[(changes["action"] == "reveal") & (changes["row"] > 0)]
    sides = reveals.groupby("row")["side"].agg(lambda s: set(s.astype(str)))
    one_side = sides[sides.map(len) == 1]
    full = orderbook.index[
        (orderbook["ask_price_2"] != lobster.ASK_DUMMY)
        & (orderbook["bid_price_2"] != lobster.BID_DUMMY)
    ]
    exact = [row for row in full if row > 10 and row not in sides.index]
    assert exact and len(one_side)
    return exact[len(exact) // 2], int(one_side.index[0]), next(iter(one_side.iloc[0]))


def test_sample_messages_alone_replay_with_unknown_orders_counted():
    result = lobster.replay(SAMPLE_MESSAGES, progress=False)
    assert result.stats.rows_compared == 0 and result.stats.match_rate is None
    assert result.stats.issues["unknown_order"] > 0  # orders from before the window
    assert set(result.stats.issues) <= {"unknown_order"}
    result.book.check_integrity()


def test_sub_penny_book_prices_fall_back_to_tick_0_0001(tmp_path):
    messages = write_messages(
        tmp_path,
        ["34200.1,1,5,10,1000050,1", "34200.2,1,6,10,1000100,-1", "34200.3,4,5,4,1000050,1"],
    )
    result = lobster.replay(messages, progress=False)
    assert str(result.instrument.tick_size) == "0.0001"
    assert result.book.level_ticks("bid") == [(1_000_050, 6, 1)]
    assert result.trades()["price"].tolist() == [100.005]


def test_a_crossing_submission_is_reported_and_drops_the_stale_level(tmp_path):
    messages = write_messages(
        tmp_path,
        ["34200.1,1,5,10,1000000,1", "34200.2,1,6,10,1000100,1", "34200.3,1,7,3,999900,-1"],
    )
    result = lobster.replay(messages, progress=False)
    assert result.stats.issues == {"crossing_submit": 1}
    assert result.trades().empty  # a submission never trades in a replay
    assert result.book.level_ticks("ask") == [(9_999, 3, 1)]
    assert result.book.level_ticks("bid") == []
    changes = result.window_changes()
    assert changes["action"].tolist() == ["drop_crossed", "drop_crossed"]
    result.book.check_integrity()


def test_bad_and_inconsistent_messages_are_counted_and_leave_the_book_alone(tmp_path):
    messages = write_messages(
        tmp_path,
        [
            "34200.1,1,5,10,1000000,1",  # a bid of 10
            "34200.2,1,6,10,1000100,0",  # no side: malformed
            "34200.3,1,7,0,1000000,1",  # no size: malformed
            "34200.4,9,8,10,1000000,1",  # no such type
            "34200.5,1,5,10,999900,1",  # order 5 is live already
            "34200.6,3,5,4,1000000,1",  # deletes order 5, naming 4 of its 10 shares
            "34200.7,2,9,1,1000000,-1",  # an order never seen
            "34200.8,1,10,5,1000100,-1",  # an ask of 5
            "34200.9,2,10,7,1000100,-1",  # cancels 7 of its 5 shares: all of them
            "34201.0,7,0,0,-1,-1",  # a halt: nothing to do
            "34201.1,5,0,3,1000050,1",  # a hidden execution: printed off the book
        ],
    )
    result = lobster.replay(messages, progress=False)
    assert result.stats.issues == {
        "malformed_message": 2,
        "unknown_type": 1,
        "duplicate_or_bad_order_id": 1,
        "delete_size_differs": 1,
        "unknown_order": 1,
        "size_exceeds_open_qty": 1,
    }
    # Two submits and their removals made events; nothing else touched the engine.
    assert result.row_seq.tolist() == [2, 2, 2, 2, 2, 4, 4, 6, 8, 8, 8]
    assert result.book.level_ticks("bid") == result.book.level_ticks("ask") == []
    assert result.offbook_trades()["kind"].tolist() == ["hidden"]


def test_replay_refuses_files_of_different_lengths():
    with pytest.raises(ValueError, match="orderbook rows"):
        lobster.replay(
            SAMPLE_MESSAGES, lobster.read_orderbook(SAMPLE_ORDERBOOK).iloc[:-1], progress=False
        )


# -- the real NASDAQ samples ---------------------------------------------------------------


@needs_shared
@pytest.mark.parametrize("pair", SHARED_PAIRS, ids=lambda pair: pair[0].name)
def test_real_sample_replay_agrees_with_every_orderbook_row(pair):
    message_path, orderbook_path = pair
    orderbook = lobster.read_orderbook(orderbook_path)
    result = lobster.replay(message_path, orderbook, progress=False)
    stats = result.stats
    print(f"\n{message_path.name}: {stats}")
    assert stats.rows_compared == len(orderbook) - 1
    assert stats.mismatches == 0, stats.mismatch_rows
    assert stats.match_rate == 1.0
    assert not stats.issues
    if message_path.name in EXPECTED:
        assert (stats.rows_compared, stats.revealed_rows) == EXPECTED[message_path.name]
    result.book.check_integrity()
    assert_top_levels_follow_orderbook(result, orderbook)


@needs_shared
def test_real_sample_has_the_two_known_pairs():
    assert {pair[0].name for pair in SHARED_PAIRS} >= set(EXPECTED)


@needs_shared
def test_real_execution_hits_the_named_order_when_nasdaq_was_not_fifo():
    name = "AMZN_2012-06-21_34200000_57600000_{}_1.csv"
    messages = lobster.read_messages(SHARED / name.format("message"))
    orderbook = lobster.read_orderbook(SHARED / name.format("orderbook"))
    result = lobster.replay(messages, orderbook, progress=False)
    rows = result.stats.behind_known_rows
    assert rows, "AMZN has executions of orders behind earlier ones at the same price"
    assert_execution_hit_named_order(messages, orderbook, rows[0])


@needs_shared
def test_real_level_50_messages_replay_to_the_end():
    result = lobster.replay(LEVEL_50, progress=True)
    assert result.stats.messages == 91_997
    assert len(result.row_seq) == 91_997
    assert set(result.stats.issues) <= {"unknown_order"}  # orders from before 09:30
    result.book.check_integrity()
    assert result.book.order_count > 0
