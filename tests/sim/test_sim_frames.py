"""The result's frames are the ``marketsim.frames`` projections, with the recorder schemas."""

from __future__ import annotations

import pytest

from marketsim import sim

frames = pytest.importorskip("marketsim.frames")


@pytest.fixture(scope="module")
def result() -> sim.SimulationResult:
    agents = [sim.ZeroIntelligence(), sim.MarketMaker(), sim.NoiseTrader()]
    return sim.run(agents, "ACME", duration=120, seed=31, progress=False)


@pytest.mark.parametrize(
    ("method", "schema"),
    [
        ("trades", "trades"),
        ("bbo", "bbo"),
        ("events_frame", "events"),
        ("deltas", "deltas"),
        ("book_frame", "book"),
    ],
)
def test_result_frames_have_the_declared_columns_and_dtypes(result, method, schema):
    frame = getattr(result, method)()

    assert len(frame) > 0
    assert list(frame.columns) == list(frames.SCHEMAS[schema])
    assert dict(frame.dtypes) == dict(frames.SCHEMAS[schema])


def test_result_frames_match_the_frames_built_from_the_event_log(result):
    assert result.trades().equals(frames.trades_frame(result.events))
    assert len(result.events_frame()) == len(result.events)
    assert set(result.trades()["taker_owner"]) <= {"zi", "mm", "noise"}


def test_frame_times_are_the_simulated_clock(result):
    trades = result.trades()

    assert trades["ts_event"].min().value > 0
    assert trades["ts_event"].max().value <= result.end_ns


@pytest.mark.parametrize(("lot_size", "dtype"), [("1", "int64"), ("0.5", "float64")])
def test_summary_quantities_follow_the_lot_size(lot_size, dtype):
    agents = [sim.ZeroIntelligence(), sim.NoiseTrader()]
    result = sim.run(agents, "ACME", duration=30, seed=5, lot_size=lot_size, progress=False)

    summary = result.summary()

    assert str(summary["traded_qty"].dtype) == str(summary["position"].dtype) == dtype
    assert dict(result.trades().dtypes) == dict(frames.frame_schema("trades", result.instrument))
