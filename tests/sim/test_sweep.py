"""``sim.sweep`` in this process: the summary, resuming, failing runs, sessions, plots, input."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure
from sweep_support import FailingTrader, small_study

from marketsim import InvalidCommandError, NotFoundError, sim
from marketsim.data import load_session
from marketsim.plotting.sweep import t_quantile_975

EXPECTED_COLUMNS = [
    "mm.half_spread_ticks",
    "zi.market_rate",
    "zi.limit_rate",
    "seed",
    "run_id",
    "status",
    "events",
    "trades",
    "volume",
    "spread_mean",
    "spread_median",
    "depth_mean",
    "realized_vol",
    "sign_acf1",
    "final_price",
    "zi.pnl",
    "zi.position",
    "mm.pnl",
    "mm.position",
    "error",
    "traceback",
]


def _direct_run(half_spread: int, market_rate: float, seed: int) -> sim.SimulationResult:
    agents = [
        FailingTrader("zi", market_rate=market_rate, limit_rate=1.0),
        sim.MarketMaker("mm", half_spread_ticks=half_spread),
    ]
    return sim.run(agents, "ACME", duration=5, seed=seed, progress=False)


def _time_weighted_spread(result: sim.SimulationResult) -> float:
    """The mean spread weighted by how long each quote stood, by a plain loop."""
    bbo = result.bbo()
    times = [t.value for t in bbo["ts_event"]] + [result.end_ns]
    total = weighted = 0.0
    for i, spread in enumerate(bbo["spread"]):
        if not np.isnan(spread):
            weighted += spread * (times[i + 1] - times[i])
            total += times[i + 1] - times[i]
    return weighted / total


def test_summary_has_one_row_per_point_and_seed_with_the_numbers_of_a_direct_run(tmp_path):
    study = sim.sweep(**small_study(), out=str(tmp_path), scheduler="serial")
    summary = study.summary

    assert list(summary.columns) == EXPECTED_COLUMNS
    assert len(summary) == 8 and (summary["status"] == "ok").all()
    assert summary[["mm.half_spread_ticks", "zi.market_rate", "seed"]].values.tolist() == [
        [h, m, s] for h in (1, 3) for m in (1.0, 2.5) for s in (0, 1)
    ]
    assert summary["run_id"].is_unique
    row = summary.iloc[5]  # half-spread 3, market rate 1.0, seed 1
    result = _direct_run(3, 1.0, 1)
    trades = result.trades()
    agents = result.summary()
    assert row["events"] == len(result.events)
    assert row["trades"] == len(trades) > 0
    assert row["volume"] == trades["qty"].sum()
    assert row["final_price"] == trades["price"].iloc[-1]
    assert row["spread_mean"] == pytest.approx(_time_weighted_spread(result))
    assert row["mm.pnl"] == agents.loc["mm", "pnl"]
    assert row["zi.position"] == agents.loc["zi", "position"]
    assert (tmp_path / "summary.parquet").is_file()


def test_load_gives_the_session_of_a_run(tmp_path):
    study = sim.sweep(**small_study(), out=str(tmp_path), scheduler="serial")
    row = study.summary.iloc[2]

    session = study.load(row["run_id"])

    direct = _direct_run(1, 2.5, 0)
    assert list(session.events) == list(direct.events)
    assert session.info["sweep"]["params"]["zi.market_rate"] == 2.5
    with pytest.raises(NotFoundError):
        study.load("no-such-run")


def test_sweeping_again_skips_done_runs_and_a_bigger_grid_runs_only_new_points(tmp_path):
    first = sim.sweep(**small_study(), out=str(tmp_path), scheduler="serial")
    records = sorted((tmp_path / "runs").glob("*.json"))
    written = {path: path.stat().st_mtime_ns for path in records}

    again = sim.sweep(**small_study(duration=5.0), out=str(tmp_path), scheduler="serial")
    grid = {"mm.half_spread_ticks": [1, 3, 5], "zi.market_rate": [1.0, 2.5]}
    bigger = sim.sweep(**small_study(grid=grid), out=str(tmp_path), scheduler="serial")

    assert (again.ran, again.reused) == (0, 8)
    assert again.summary.equals(first.summary)
    assert (bigger.ran, bigger.reused) == (4, 8)
    assert bigger.summary.iloc[:8].equals(first.summary)
    assert {path: path.stat().st_mtime_ns for path in records} == written
    assert not list(tmp_path.rglob("*.tmp-*"))


def test_a_run_that_raises_is_recorded_with_its_traceback_and_the_others_go_on(tmp_path):
    grid = {"zi.fail": ["", "raise"], "zi.market_rate": [1.0]}
    study = sim.sweep(**small_study(grid=grid), out=str(tmp_path), scheduler="serial")

    failed = study.summary[study.summary["zi.fail"] == "raise"]
    assert (failed["status"] == "error").all() and len(failed) == 2
    assert (failed["error"] == "RuntimeError: this run was told to fail").all()
    traceback = (tmp_path / failed["traceback"].iloc[0]).read_text()
    assert "Traceback" in traceback and "told to fail" in traceback
    assert (study.summary[study.summary["zi.fail"] == ""]["status"] == "ok").all()
    assert len(study.errors) == 2
    with pytest.raises(NotFoundError, match="told to fail"):
        study.load(failed["run_id"].iloc[0])
    assert sim.sweep(**small_study(grid=grid), out=str(tmp_path), scheduler="serial").ran == 0


def test_plot_shows_the_mean_with_a_95_percent_interval_over_seeds(tmp_path):
    study = sim.sweep(**small_study(seeds=range(3)), out=str(tmp_path), scheduler="serial")
    figure = Figure()
    ax = figure.add_subplot()

    returned = study.plot("mm.half_spread_ticks", "spread_mean", ax=ax)

    assert returned is ax
    assert len(ax.containers) == 2  # one line per zi.market_rate
    line, _, (bars,) = ax.containers[0]
    runs = study.summary[study.summary["zi.market_rate"] == 1.0]
    means = runs.groupby("mm.half_spread_ticks")["spread_mean"].mean()
    assert line.get_ydata() == pytest.approx(means.to_numpy())
    low = bars.get_segments()[0][0][1]
    spreads = runs[runs["mm.half_spread_ticks"] == 1]["spread_mean"]
    half = 4.303 * spreads.std() / np.sqrt(3)
    assert low == pytest.approx(means.iloc[0] - half)
    assert [t.get_text() for t in ax.get_legend().get_texts()] == [
        "zi.market_rate=1.0",
        "zi.market_rate=2.5",
    ]


@pytest.mark.parametrize(("dof", "exact"), [(1, 12.706), (9, 2.262), (10, 2.228), (19, 2.093)])
def test_t_quantile_matches_the_tables(dof, exact):
    assert t_quantile_975(dof) == pytest.approx(exact, abs=1.5e-3)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"grid": {"xx.rate": [1]}}, "agent.param"),
        ({"grid": {"zi.no_such_param": [1]}}, "no_such_param"),
        ({"grid": {"zi.market_rate": []}}, "no values"),
        ({"grid": {"zi.market_rate": [[1, 2]]}}, "numbers, strings or booleans"),
        ({"fixed": {"mm.half_spread_ticks": 2}}, "both in grid and fixed"),
        ({"seeds": []}, "seeds"),
        ({"seeds": [1, 1]}, "distinct"),
        ({"duration": -1}, "positive"),
        ({"scheduler": "threads"}, "scheduler must be"),
    ],
)
def test_bad_study_input_is_a_clear_error(tmp_path, change, message):
    with pytest.raises(InvalidCommandError, match=message):
        sim.sweep(**small_study(**change), out=str(tmp_path))


def test_summary_file_and_open_give_the_same_frame(tmp_path):
    study = sim.sweep(**small_study(), out=str(tmp_path), scheduler="serial")

    assert sim.Study.open(str(tmp_path)).summary.equals(study.summary)
    assert pd.read_parquet(tmp_path / "summary.parquet").equals(study.summary)
    session = load_session(tmp_path / "runs" / f"{study.summary['run_id'][0]}.parquet")
    assert session.info["sweep"]["seed"] == 0


def test_a_study_folder_may_be_an_fsspec_url(tmp_path):
    """The in-memory filesystem stands in for an object store (it lives in this process, so
    the sweep is serial); the results match those of a local folder."""
    local = sim.sweep(**small_study(seeds=[0]), out=str(tmp_path), scheduler="serial")
    remote = sim.sweep(**small_study(seeds=[0]), out="memory://sweep-test", scheduler="serial")

    assert remote.out.startswith("memory://")
    assert remote.summary.equals(local.summary)
    run_id = remote.summary["run_id"].iloc[0]
    assert list(remote.load(run_id).events) == list(local.load(run_id).events)
    assert sim.Study.open("memory://sweep-test").summary.equals(local.summary)
