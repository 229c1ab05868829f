"""One run of a study, as a worker does it: simulate, summarise, save, record.

``execute_run`` is a pure function of the run's parameters and seed, whatever process runs
it, so the files it writes are the same bytes on a laptop and on a cluster. An exception in
the simulation (or in building the agents) is the run's result: it is recorded with its
traceback and the sweep goes on. An exception while writing is the storage's fault, not the
run's: it propagates, the run is reported as failed and a later sweep tries it again.
"""

from __future__ import annotations

import tempfile
import traceback
from pathlib import Path
from typing import Any

from marketsim.sweep.metrics import run_metrics
from marketsim.sweep.plan import RunSpec, StudyConfig
from marketsim.sweep.store import RunStore

#: Longest error message kept in a summary row (the traceback file has the whole story).
ERROR_CHARS = 300

OK, ERROR, FAILED = "ok", "error", "failed"


def execute_run(spec: RunSpec, config: StudyConfig, out_url: str) -> dict[str, Any]:
    """Run ``spec``, write its session and record to the study folder, return its record."""
    from marketsim.data.sessions import save_session
    from marketsim.sim.runner import run

    store = RunStore(out_url)
    try:
        agents = config.build_agents(spec.params)
        result = run(
            agents, config.instrument, duration=config.duration, seed=spec.seed, progress=False
        )
        metrics = run_metrics(result)
    except Exception as error:
        name = store.traceback_name(spec.run_id)
        store.write_bytes(name, traceback.format_exc().encode())
        record = {**spec.row(), "status": ERROR, "error": error_text(error), "traceback": name}
    else:
        info = {"sweep": {"run_id": spec.run_id, "params": dict(spec.params), "seed": spec.seed}}
        with tempfile.TemporaryDirectory(prefix="marketsim-run-") as folder:
            local = save_session(result, Path(folder) / "session.parquet", info=info)
            store.put_file(local, store.session_name(spec.run_id))
        record = {**spec.row(), "status": OK, **metrics}
    store.write_record(record)
    return record


def failed_record(spec: RunSpec, error: BaseException | str) -> dict[str, Any]:
    """The summary row of a run that produced nothing: its worker died, or storage failed."""
    text = error if isinstance(error, str) else error_text(error)
    return {**spec.row(), "status": FAILED, "error": text[:ERROR_CHARS]}


def error_text(error: BaseException) -> str:
    """``Type: message``, cut to ``ERROR_CHARS``."""
    return f"{type(error).__name__}: {error}"[:ERROR_CHARS]
