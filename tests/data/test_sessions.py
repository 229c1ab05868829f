"""Session files: every kind of session saved as Parquet and loaded back identically."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from marketsim import OrderBook, frames, sim
from marketsim.core import ExecuteOrder, OrderAccepted, OrderCancelled, Trade
from marketsim.data import lobster
from marketsim.data.sessions import (
    SESSION_SCHEMA,
    Session,
    SessionFileError,
    load_session,
    save_session,
)
from marketsim.frames import SCHEMAS
from marketsim.session import launch

REPO_ROOT = Path(__file__).resolve().parents[2]
SAMPLE = REPO_ROOT / "data" / "lobster-sample"
SAMPLE_MESSAGES = SAMPLE / "SMPL_2020-01-02_34200000_57600000_message_2.csv"
SAMPLE_ORDERBOOK = SAMPLE / "SMPL_2020-01-02_34200000_57600000_orderbook_2.csv"
DEADLINE = 10.0


def assert_frames_equal(left: pd.DataFrame, right: pd.DataFrame) -> None:
    pd.testing.assert_frame_equal(left, right, check_exact=True)


def assert_same_frames(session: Session, source) -> None:
    """The loaded session's frames equal the source's, with the declared dtypes."""
    expected = {
        "trades": source.trades(),
        "bbo": source.bbo(),
        "deltas": source.deltas(),
        "events": frames.events_frame(source.events, source.instrument),
    }
    loaded = {
        "trades": session.trades(),
        "bbo": session.bbo(),
        "deltas": session.deltas(),
        "events": session.events_frame(),
    }
    for name, frame in loaded.items():
        schema = frames.frame_schema(name, source.instrument)
        assert frame.dtypes.to_dict() == dict(schema), name
        assert_frames_equal(frame, expected[name])
    assert_frames_equal(session.book_frame(), frames.book_frame(source.book))


def every_kind_of_event() -> OrderBook:
    """A book whose log holds every event type and every optional field."""
    book = OrderBook("ACME", tick_size="0.01", lot_size="0.5")
    book.submit("sell", 10, 100.05, owner="al", ts_event=1)
    book.submit("sell", 2.5, 100.06, owner="al", ts_event=2)
    book.submit("buy", 3, owner="bo", ts_event=3)  # market: accepted with no price, trades
    book.submit("buy", 1, 100.05, post_only=True, owner="bo", ts_event=4)  # rejected
    book.submit("buy", 100, 100.06, tif="FOK", owner="bo", ts_event=5)  # rejected: unfillable
    book.submit("buy", 20, 100.05, tif="IOC", owner="cy", ts_event=6)  # IOC remainder
    resting = book.submit("buy", 5, 99.9, owner="cy", ts_event=7).order_id
    book.replace(resting, qty=4, ts_event=8)  # priority kept
    book.replace(resting, price=99.95, ts_event=9)  # priority lost
    book.apply(ExecuteOrder(resting, 2), 10)  # a named execution: taker 0
    book.submit("sell", 50, owner="dee", ts_event=11)  # market remainder cancelled, no price
    last = book.submit("buy", 1, 99.0, owner="", ts_event=2**62).order_id
    book.cancel(last, ts_event=2**62 + 1)
    return book


def test_every_event_type_round_trips_with_all_its_fields(tmp_path):
    book = every_kind_of_event()
    kinds = {type(e).__name__ for e in book.events}
    assert kinds == {"OrderAccepted", "OrderRejected", "Trade", "OrderCancelled", "OrderReplaced",
                     "BookDelta"}  # fmt: skip
    assert any(isinstance(e, OrderAccepted) and e.price_ticks is None for e in book.events)
    assert any(isinstance(e, OrderCancelled) and e.price_ticks is None for e in book.events)
    assert any(isinstance(e, Trade) and e.taker_order_id == 0 for e in book.events)

    loaded = load_session(save_session(book, tmp_path / "all.parquet"))

    assert list(loaded.events) == list(book.events)
    assert [type(e) for e in loaded.events] == [type(e) for e in book.events]
    assert all(type(e.ts_event) is int and type(e.seq) is int for e in loaded.events)
    assert loaded.instrument == book.instrument
    assert str(loaded.instrument.lot_size) == "0.5"
    assert loaded.start is None and loaded.source == "order-book"
    assert_same_frames(loaded, _FramesOf(book))
    rebuilt = OrderBook.replay(loaded.events)
    assert rebuilt.level_ticks("bid") == book.level_ticks("bid")
    assert rebuilt.level_ticks("ask") == book.level_ticks("ask")


class _FramesOf:
    """The frame methods of a bare OrderBook, as a source to compare with."""

    def __init__(self, book: OrderBook) -> None:
        self.book, self.events, self.instrument = book, book.events, book.instrument

    def trades(self):
        return frames.trades_frame(self.events)

    def bbo(self):
        return frames.bbo_frame(self.events)

    def deltas(self):
        return frames.deltas_frame(self.events)


def test_simulation_result_round_trips_and_replays_to_the_same_final_book(tmp_path):
    result = sim.run(
        [sim.ZeroIntelligence(), sim.MarketMaker(), sim.NoiseTrader(), sim.MomentumTrader()],
        "ACME",
        duration=30,
        seed=5,
        progress=False,
    )

    loaded = load_session(save_session(result, tmp_path / "sim.parquet"))

    assert list(loaded.events) == list(result.events)
    assert loaded.instrument == result.instrument
    assert loaded.source == "simulation"
    assert loaded.info["seed"] == 5 and loaded.info["steps"] == result.steps
    assert [a["name"] for a in loaded.info["agents"]] == ["zi", "mm", "noise", "momentum"]
    assert_same_frames(loaded, result)
    assert_frames_equal(loaded.book_frame(), result.book_frame())
    assert_frames_equal(loaded.events_frame(), result.events_frame())
    rebuilt = loaded.replay()
    assert_frames_equal(frames.book_frame(rebuilt), result.book_frame())
    rebuilt.check_integrity()


def test_lobster_replay_round_trips_and_replays_to_the_same_final_book(tmp_path):
    result = lobster.replay(SAMPLE_MESSAGES, SAMPLE_ORDERBOOK, progress=False)

    loaded = load_session(save_session(result, tmp_path / "smpl.parquet"))

    assert list(loaded.events) == list(result.events)
    assert loaded.instrument == result.instrument
    assert loaded.source == "lobster-replay"
    assert loaded.info["match_rate"] == 1.0
    assert_same_frames(loaded, result)
    assert_frames_equal(frames.book_frame(loaded.replay()), frames.book_frame(result.book))


def test_event_log_and_plain_list_round_trip(tmp_path):
    book = every_kind_of_event()
    from_log = load_session(save_session(book.events, tmp_path / "log.parquet"))
    from_list = load_session(
        save_session(list(book.events), tmp_path / "list.parquet", instrument=book.instrument)
    )
    assert list(from_log.events) == list(from_list.events) == list(book.events)
    assert from_log.source == from_list.source == "event-log"
    with pytest.raises(TypeError, match="instrument="):
        save_session(list(book.events), tmp_path / "x.parquet")
    with pytest.raises(TypeError, match="cannot save a int"):
        save_session(3, tmp_path / "x.parquet")


def test_a_loaded_session_saves_again_to_the_same_events_and_info(tmp_path):
    result = sim.run([sim.ZeroIntelligence()], "ACME", steps=2_000, seed=1, progress=False)
    first = load_session(save_session(result, tmp_path / "a.parquet", info={"note": "x"}))
    second = load_session(first.save(tmp_path / "b.parquet"))
    assert list(second.events) == list(first.events)
    assert second.info == first.info and first.info["note"] == "x"
    assert second.source == "simulation"


def test_empty_session_gives_empty_frames_with_the_schemas(tmp_path):
    loaded = load_session(save_session(OrderBook("ACME").events, tmp_path / "empty.parquet"))
    assert len(loaded) == 0 and list(loaded.events) == []
    for name, frame in [("trades", loaded.trades()), ("bbo", loaded.bbo()),
                        ("deltas", loaded.deltas()), ("events", loaded.events_frame()),
                        ("book", loaded.book_frame())]:  # fmt: skip
        assert frame.empty and frame.dtypes.to_dict() == dict(SCHEMAS[name]), name


def test_file_has_the_declared_arrow_schema_and_metadata(tmp_path):
    path = save_session(every_kind_of_event(), tmp_path / "s.parquet")
    schema = pq.read_schema(path)
    assert schema.remove_metadata() == SESSION_SCHEMA
    meta = {k.decode(): v.decode() for k, v in schema.metadata.items()}
    assert meta["marketsim.format"] == "marketsim.session"
    assert meta["marketsim.format_version"] == "1"
    assert (meta["marketsim.symbol"], meta["marketsim.tick_size"]) == ("ACME", "0.01")
    assert meta["marketsim.lot_size"] == "0.5"
    assert meta["marketsim.start"] == "null"
    # Any Parquet reader sees plain typed columns.
    table = pq.read_table(path)
    assert table.column("ts_event").type == pa.timestamp("ns", tz="UTC")
    assert table.column("tif").to_pylist()[0] == "GTC"


# -- recordings from a live server ------------------------------------------------------------


@pytest.fixture
def market():
    handle = launch({"ACME": 0.01})
    try:
        yield handle
    finally:
        handle.stop()


def trade_a_little(client) -> int:
    """Several kinds of commands; returns the seq of the last event."""
    client.submit("ACME", "sell", 5, 100.10)
    client.submit("ACME", "buy", 3, 99.90, post_only=True)
    client.submit("ACME", "buy", 2)
    client.submit("ACME", "buy", 10, 100.10, tif="IOC")
    placed = client.submit("ACME", "sell", 4, 100.20)
    client.replace("ACME", placed.order_id, qty=2)
    client.submit("ACME", "buy", 1, 99.80)
    return client.cancel("ACME", placed.order_id).events[-1].seq


def test_recorder_from_an_empty_book_round_trips_and_replays(market, tmp_path):
    client = market.client(owner="alice")
    rec = client.record("ACME")
    rec.wait(trade_a_little(client), timeout=DEADLINE)
    rec.stop()

    loaded = load_session(save_session(rec, tmp_path / "rec.parquet"))

    assert list(loaded.events) == rec.event_log()
    assert loaded.source == "recorder"
    assert loaded.start is not None and loaded.start.seq == 0
    assert_frames_equal(loaded.events_frame(), rec.events())
    assert_frames_equal(loaded.trades(), rec.trades())
    assert_frames_equal(loaded.deltas(), rec.deltas())
    assert_frames_equal(loaded.bbo(), rec.bbo())
    assert_frames_equal(loaded.book().to_frame(), rec.book().to_frame())
    server_book = market.server.exchange["ACME"]
    rebuilt = loaded.replay()
    assert rebuilt.level_ticks("bid") == server_book.level_ticks("bid")
    assert rebuilt.level_ticks("ask") == server_book.level_ticks("ask")


def test_recorder_started_mid_session_keeps_its_starting_book(market, tmp_path):
    client = market.client(owner="alice")
    client.submit("ACME", "sell", 7, 100.30)
    client.submit("ACME", "buy", 6, 99.70)
    rec = client.record("ACME")
    last = trade_a_little(client)
    rec.wait(last, timeout=DEADLINE)
    rec.stop()

    loaded = load_session(save_session(rec, tmp_path / "mid.parquet"))

    assert loaded.start is not None
    assert loaded.start.level_ticks("ask")[-1][:2] == (10030, 7)
    assert loaded.start.seq == rec.event_log()[0].seq - 1
    assert list(loaded.events) == rec.event_log()
    assert_frames_equal(loaded.bbo(), rec.bbo())
    assert_frames_equal(loaded.trades(), rec.trades())
    for at in (None, loaded.start.seq, loaded.start.seq + 3, last - 1):
        assert_frames_equal(loaded.book(at=at).to_frame(), rec.book(at=at).to_frame())
        assert_frames_equal(loaded.book_frame(at=at), rec.book(at=at).to_frame())
    moment = loaded.trades()["ts_event"].iloc[0]
    assert_frames_equal(loaded.book(at=moment).to_frame(), rec.book(at=moment).to_frame())
    assert_frames_equal(loaded.book(depth=1).to_frame(), rec.book(depth=1).to_frame())
    with pytest.raises(ValueError, match="before the session's first state"):
        loaded.book(at=loaded.start.seq - 1)
    with pytest.raises(ValueError, match="not an empty book"):
        loaded.replay()


# -- files that are not session files ---------------------------------------------------------


def test_random_bytes_give_a_clear_error(tmp_path):
    path = tmp_path / "noise.parquet"
    path.write_bytes(b"this is not parquet at all" * 10)
    with pytest.raises(SessionFileError, match=r"noise\.parquet is not a readable Parquet file"):
        load_session(path)


def test_truncated_session_file_gives_a_clear_error(tmp_path):
    path = save_session(every_kind_of_event(), tmp_path / "cut.parquet")
    path.write_bytes(path.read_bytes()[:-100])
    with pytest.raises(SessionFileError, match="not a readable Parquet file"):
        load_session(path)


def test_foreign_parquet_file_gives_a_clear_error(tmp_path):
    path = tmp_path / "prices.parquet"
    pd.DataFrame({"price": [1.0, 2.0]}).to_parquet(path)
    with pytest.raises(SessionFileError, match=r"not a marketsim session.*\['price'\]"):
        load_session(path)


def test_newer_format_version_is_refused(tmp_path):
    path = save_session(every_kind_of_event(), tmp_path / "v.parquet")
    table = pq.read_table(path)
    meta = dict(table.schema.metadata)
    meta[b"marketsim.format_version"] = b"99"
    pq.write_table(table.replace_schema_metadata(meta), path)
    with pytest.raises(SessionFileError, match="format version '99'"):
        load_session(path)


def test_session_metadata_on_wrong_columns_is_refused(tmp_path):
    path = save_session(every_kind_of_event(), tmp_path / "w.parquet")
    table = pq.read_table(path)
    pq.write_table(table.drop_columns(["tif"]).replace_schema_metadata(table.schema.metadata), path)
    with pytest.raises(SessionFileError, match=r"missing or mistyped \['tif'\]"):
        load_session(path)


def test_rows_missing_required_fields_are_refused(tmp_path):
    path = save_session(every_kind_of_event(), tmp_path / "n.parquet")
    table = pq.read_table(path)
    index = table.schema.get_field_index("owner")
    owners = pa.array([None] * table.num_rows, pa.string())
    broken = table.set_column(index, table.schema.field(index), owners)
    pq.write_table(broken, path)
    with pytest.raises(SessionFileError, match="accepted events lack 'owner'"):
        load_session(path)


def test_missing_file_raises_file_not_found(tmp_path):
    with pytest.raises(FileNotFoundError):
        load_session(tmp_path / "nothing.parquet")


def test_a_session_with_exchange_mechanics_round_trips_with_its_extra_columns(tmp_path):
    book = OrderBook("ACME", tick_size="0.01")
    book.submit("sell", 30, 100.0, display_qty=10, owner="a")
    book.submit("buy", 5, 101.0, stop_price=100.0, owner="b")
    book.submit("buy", 12, 100.0, owner="b", stp="decrement")
    stop = book.submit("sell", 1, 98.0, stop_price=97.0)
    book.replace(stop.order_id, stop_price=96.5, qty=2)
    book.set_phase("auction")
    book.submit("buy", 3)
    book.submit("sell", 3, 99.0)
    book.set_phase("continuous")
    plain = save_session(OrderBook("ACME", tick_size="0.01"), tmp_path / "plain.parquet")
    path = save_session(book, tmp_path / "mechanics.parquet")

    assert "stop_price_ticks" not in pq.read_schema(plain).names
    assert "stop_price_ticks" in pq.read_schema(path).names
    session = load_session(path)
    assert list(session.events) == list(book.events)
    assert session.replay().ladder() == book.ladder()
