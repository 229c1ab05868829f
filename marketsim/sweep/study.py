"""``sweep()`` runs a grid of simulations over seeds and returns a ``Study`` of the results."""

from __future__ import annotations

import io
import json
from collections.abc import Callable, Iterable, Mapping
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import pandas as pd
from tqdm.auto import tqdm

from marketsim.core.types import Instrument
from marketsim.errors import NotFoundError
from marketsim.sim.agents import Agent
from marketsim.sweep.engines import choose_engine
from marketsim.sweep.execute import ERROR, FAILED, OK
from marketsim.sweep.metrics import MARKET_COLUMNS, agent_columns
from marketsim.sweep.plan import RunSpec, Scalar, StudyConfig, plan_runs, study_config
from marketsim.sweep.store import SUMMARY, RunStore

if TYPE_CHECKING:
    from matplotlib.axes import Axes

    from marketsim.data.sessions import Session


def sweep(
    agents: Mapping[str, Callable[..., Agent]],
    grid: Mapping[str, Iterable[Scalar]] | None = None,
    fixed: Mapping[str, Scalar] | None = None,
    seeds: int | Iterable[int] = 1,
    *,
    duration: float,
    out: str,
    instrument: str | Instrument = "ACME",
    tick_size: float | Decimal | str = 0.01,
    lot_size: float | Decimal | str = 1,
    scheduler: Any = None,
    workers: int | None = None,
    progress: bool = True,
) -> Study:
    """Simulate every point of ``grid`` (crossed with ``fixed``) for every seed; see ``Study``.

    ``agents`` maps names to agent classes or factories; each run calls each factory with
    ``name=`` its key and the parameters ``grid`` and ``fixed`` give it as "name.param"
    (``{"mm.half_spread_ticks": [1, 2, 4]}``). ``seeds`` is an iterable of seeds or a count.
    Each run simulates ``duration`` seconds of ``instrument`` with ``sim.run``.

    ``out`` is a folder (a local path or any fsspec URL) for one session file and one record
    per run, and ``summary.parquet``. A run already recorded there (same parameters, seed,
    agents, instrument, duration and marketsim version) is not run again, so an interrupted
    sweep resumes and an extended grid runs only its new points. Runs that raise are recorded
    with their error (status "error", kept); runs whose worker died three times are recorded
    as "failed" and tried again by the next sweep.

    ``scheduler``: None runs on every core (``workers`` of them): on a Dask ``LocalCluster``
    when ``dask.distributed`` is installed, else on a local process pool; "processes" forces
    the pool, "serial" runs in this process; a ``dask.distributed.Client`` or a scheduler
    address ("tcp://host:8786") runs on that cluster, whose workers must reach ``out``.
    Results never depend on the scheduler. ``progress`` shows a tqdm bar of finished runs.
    """
    config = study_config(agents, instrument, tick_size, lot_size, duration)
    specs = plan_runs(config, grid or {}, fixed or {}, seeds)
    engine = choose_engine(scheduler, workers)
    store = RunStore(out)
    store.create()
    saved = store.records(spec.run_id for spec in specs)
    records = {run_id: r for run_id, r in saved.items() if r["status"] in (OK, ERROR)}
    todo = [spec for spec in specs if spec.run_id not in records]
    bar = tqdm(
        total=len(specs), initial=len(records), unit="run", desc="sweep", disable=not progress
    )

    def on_record(record: dict[str, Any]) -> None:
        # Through JSON, like a record read back by a resumed sweep: identical summaries.
        records[record["run_id"]] = json.loads(json.dumps(record))
        bar.update()

    try:
        if todo:
            engine(todo, config, store.url, on_record, bar.write)
    finally:
        bar.close()
    summary = summary_frame(specs, records, config)
    buffer = io.BytesIO()
    summary.to_parquet(buffer, index=False)
    store.write_bytes(SUMMARY, buffer.getvalue())
    return Study(store.url, summary, ran=len(todo), reused=len(specs) - len(todo))


def summary_frame(
    specs: list[RunSpec], records: Mapping[str, dict[str, Any]], config: StudyConfig
) -> pd.DataFrame:
    """One row per run in plan order, with the columns described in ``Study``."""
    keys = [key for key, _ in specs[0].params]
    columns = [
        *keys,
        "seed",
        "run_id",
        "status",
        *MARKET_COLUMNS,
        *agent_columns(config.agent_names),
        "error",
        "traceback",
    ]
    rows = [records[spec.run_id] for spec in specs]
    return pd.DataFrame.from_records(rows, columns=columns)


class Study:
    """The results of a ``sweep``: a summary frame, each run's session, and plots.

    ``summary`` has one row per (parameters, seed), in grid order: one column per grid and
    fixed key (named as given), ``seed``, ``run_id`` (for ``load``), ``status`` ("ok",
    "error": the run raised, "failed": its worker died), the run's numbers (events, trades,
    volume, spread_mean, spread_median, depth_mean, realized_vol, sign_acf1, final_price:
    see ``marketsim.sweep.metrics.run_metrics``), ``<agent>.pnl`` and ``<agent>.position``
    for each agent, and for runs that did not finish, ``error`` and ``traceback`` (the
    traceback file, relative to ``out``). ``ran`` and ``reused`` count the runs this sweep
    executed and those it found done.
    """

    def __init__(self, out: str, summary: pd.DataFrame, *, ran: int = 0, reused: int = 0) -> None:
        self.out = out
        self.summary = summary
        self.ran = ran
        self.reused = reused

    @classmethod
    def open(cls, out: str) -> Study:
        """The study saved in the folder ``out`` (its ``summary.parquet``)."""
        store = RunStore(out)
        try:
            data = store.fs.cat_file(store.path(SUMMARY))
        except FileNotFoundError:
            raise NotFoundError(f"no {SUMMARY} in {str(out)[:80]!r}: run the sweep first") from None
        return cls(store.url, pd.read_parquet(io.BytesIO(data)))

    @property
    def params(self) -> list[str]:
        """The grid and fixed keys (the summary's first columns)."""
        return list(self.summary.columns[: self.summary.columns.get_loc("seed")])

    @property
    def errors(self) -> pd.DataFrame:
        """The rows of runs that raised or failed."""
        return self.summary[self.summary["status"] != OK]

    def load(self, run_id: str) -> Session:
        """The session of one run (``marketsim.data.load_session``), by its ``run_id``."""
        from marketsim.data.sessions import load_session

        rows = self.summary[self.summary["run_id"] == run_id]
        if rows.empty:
            raise NotFoundError(f"no run {str(run_id)[:80]!r} in this study")
        if rows["status"].iloc[0] != OK:
            raise NotFoundError(f"run {run_id} has no session: {rows['error'].iloc[0]}")
        store = RunStore(self.out)
        return load_session(store.local_path(store.session_name(run_id)))

    def plot(self, x: str, y: str, *, ax: Axes | None = None, **kwargs: Any) -> Axes:
        """``y`` against the parameter ``x``: mean and 95% interval over seeds.

        Each combination of the other parameters that vary is its own line. Returns the Axes
        (a new figure's unless ``ax=`` is given); keyword arguments go to ``Axes.errorbar``.
        """
        from marketsim.plotting.sweep import plot_sweep

        others = [k for k in self.params if k != x and self.summary[k].nunique() > 1]
        return plot_sweep(self.summary, x, y, by=others, ax=ax, **kwargs)

    def __repr__(self) -> str:
        counts = self.summary["status"].value_counts()
        states = ", ".join(f"{counts[s]} {s}" for s in (OK, ERROR, FAILED) if s in counts)
        return f"<Study {self.out}: {len(self.summary)} runs ({states})>"
