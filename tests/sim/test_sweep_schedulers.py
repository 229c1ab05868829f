"""``sim.sweep`` on other processes: a local pool and a real Dask ``LocalCluster`` give the
same results as a serial sweep, and a worker that dies is retried, then recorded as failed."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import dask
import pytest
from distributed import Client, LocalCluster
from sweep_support import small_study

from marketsim import sim


@pytest.fixture(scope="module")
def dask_client() -> Iterator[Client]:
    """A LocalCluster of 2 single-threaded worker processes; a dying run is retried twice."""
    with dask.config.set({"distributed.scheduler.allowed-failures": 2}):
        cluster = LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=True,
            host="127.0.0.1",
            dashboard_address="127.0.0.1:0",
        )
    client = Client(cluster)
    yield client
    client.close()
    cluster.close()


def _session_bytes(out: Path) -> dict[str, bytes]:
    return {path.name: path.read_bytes() for path in sorted((out / "runs").glob("*.parquet"))}


def test_serial_processes_and_dask_give_identical_summaries_and_session_files(
    tmp_path, dask_client
):
    runs = {
        "serial": {"scheduler": "serial"},
        "processes": {"scheduler": "processes", "workers": 2},
        "dask-client": {"scheduler": dask_client},
        "default": {"workers": 2},  # the embedded LocalCluster
    }
    studies = {
        name: sim.sweep(**small_study(), out=str(tmp_path / name), **options)
        for name, options in runs.items()
    }

    reference = studies.pop("serial")
    sessions = _session_bytes(tmp_path / "serial")
    assert len(sessions) == 8
    for name, study in studies.items():
        assert study.summary.equals(reference.summary), name
        assert _session_bytes(tmp_path / name) == sessions, name


def _died_once_study(tmp_path: Path, **options) -> sim.Study:
    marker = str(tmp_path / "died")
    grid = {"zi.fail": ["", "die-once"], "zi.market_rate": [1.0, 2.5]}
    study = small_study(grid=grid, fixed={"zi.marker": marker})
    return sim.sweep(**study, out=str(tmp_path / "out"), **options)


@pytest.mark.parametrize("engine", ["dask", "processes"])
def test_a_run_that_kills_its_worker_is_retried_and_ends_like_an_uninterrupted_sweep(
    tmp_path, dask_client, engine
):
    options = {"scheduler": dask_client} if engine == "dask" else {"scheduler": "processes"}
    (tmp_path / "died").touch()  # the reference sweep: nobody dies
    reference = _died_once_study(tmp_path, scheduler="serial")
    (tmp_path / "died").unlink()
    (tmp_path / "out" / "summary.parquet").unlink()
    for record in (tmp_path / "out" / "runs").glob("*.json"):
        record.unlink()

    study = _died_once_study(tmp_path, workers=2, **options)

    assert (tmp_path / "died").exists()  # a worker did die
    assert study.ran == 8
    assert study.summary.equals(reference.summary)


@pytest.mark.parametrize("engine", ["dask", "processes"])
def test_a_run_whose_worker_always_dies_is_recorded_failed_and_retried_by_the_next_sweep(
    tmp_path, dask_client, engine
):
    scheduler = dask_client if engine == "dask" else "processes"
    grid = {"zi.fail": ["", "die"], "zi.market_rate": [1.0]}
    options = small_study(grid=grid, seeds=[0])
    study = sim.sweep(**options, out=str(tmp_path), scheduler=scheduler, workers=2)

    assert study.summary["status"].tolist() == ["ok", "failed"]
    assert study.summary["error"].iloc[1]
    assert not (tmp_path / "runs" / f"{study.summary['run_id'].iloc[1]}.json").exists()
    again = sim.sweep(**options, out=str(tmp_path), scheduler=scheduler, workers=2)
    assert (again.ran, again.reused) == (1, 1)


def test_without_dask_the_default_engine_is_a_local_process_pool(tmp_path, monkeypatch):
    from marketsim.sweep import engines

    used = []
    run_in_processes = engines.run_in_processes

    def recorded(*args, **kwargs):
        used.append(args[-1])  # the number of workers
        return run_in_processes(*args, **kwargs)

    monkeypatch.setattr(engines, "dask_installed", lambda: False)
    monkeypatch.setattr(engines, "run_in_processes", recorded)
    reference = sim.sweep(**small_study(seeds=[0]), out=str(tmp_path / "a"), scheduler="serial")

    study = sim.sweep(**small_study(seeds=[0]), out=str(tmp_path / "b"), workers=2)

    assert used == [2]
    assert study.summary.equals(reference.summary)
