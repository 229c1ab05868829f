"""Where a study's runs execute: in this process, in a local process pool, or on Dask.

Every engine calls ``execute_run`` once per run (more when a worker dies) and hands each
record to ``on_record`` as it arrives, in completion order; the study sorts them back into
plan order, so the scheduler never shows in the results.

A worker process that dies (killed, out of memory, a crash in native code) takes its runs
with it. They are tried again, ``MAX_ATTEMPTS`` times in all, then reported as failed. Dask
does the retrying itself (its ``distributed.scheduler.allowed-failures``, which ``sweep``
sets for the clusters it starts; a cluster of your own keeps its configuration). The local
pool retries the runs it lost, each alone (see ``run_in_processes``).
"""

from __future__ import annotations

import multiprocessing
import os
from collections import Counter, deque
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from typing import Any

from marketsim.errors import InvalidCommandError
from marketsim.sweep.execute import execute_run, failed_record
from marketsim.sweep.plan import RunSpec, StudyConfig

#: Times a run is started before a dying worker gets it recorded as failed (1 + 2 retries).
MAX_ATTEMPTS = 3

OnRecord = Callable[[dict[str, Any]], None]


def run_serial(specs: list[RunSpec], config: StudyConfig, url: str, on_record: OnRecord) -> None:
    """Each run in turn, in this process."""
    for spec in specs:
        try:
            record = execute_run(spec, config, url)
        except Exception as error:
            record = failed_record(spec, error)
        on_record(record)


def run_in_processes(
    specs: list[RunSpec], config: StudyConfig, url: str, on_record: OnRecord, workers: int
) -> None:
    """The runs on a pool of ``workers`` fresh ("spawn") processes, at most one each at a time.

    When a worker dies the pool breaks, and every run in flight is charged an attempt: the
    pool cannot tell which one killed it. Those runs are then suspects, and each is tried
    again alone, so a run that was only a bystander is charged once at most and never fails
    for another run's crash. Agent factories must be importable (module-level classes or
    functions), as the standard pickle sends them to the workers by name.
    """
    pending = deque(specs)
    suspects: deque[RunSpec] = deque()
    attempts: Counter[str] = Counter()
    context = multiprocessing.get_context("spawn")
    while pending or suspects:
        pool = ProcessPoolExecutor(workers, mp_context=context)
        in_flight: dict[Any, RunSpec] = {}
        try:
            while pending or suspects or in_flight:
                if suspects and not in_flight:
                    in_flight[pool.submit(execute_run, suspects[0], config, url)] = suspects[0]
                    suspects.popleft()
                while not suspects and pending and len(in_flight) < workers:
                    spec = pending.popleft()
                    in_flight[pool.submit(execute_run, spec, config, url)] = spec
                done, _ = wait(in_flight, return_when=FIRST_COMPLETED)
                lost = [f for f in done if isinstance(f.exception(), BrokenProcessPool)]
                for future in done.difference(lost):
                    spec = in_flight.pop(future)
                    error = future.exception()
                    on_record(failed_record(spec, error) if error else future.result())
                if lost:
                    break  # a worker died: the runs still in flight are lost with the pool
        finally:
            pool.shutdown(wait=not in_flight, cancel_futures=True)
        for spec in in_flight.values():  # left only when the pool broke
            attempts[spec.run_id] += 1
            if attempts[spec.run_id] >= MAX_ATTEMPTS:
                message = f"its worker process died {MAX_ATTEMPTS} times"
                on_record(failed_record(spec, message))
            else:
                suspects.append(spec)


def run_on_dask(
    specs: list[RunSpec], config: StudyConfig, url: str, on_record: OnRecord, client: Any
) -> None:
    """The runs as Dask futures on ``client``'s cluster, gathered as they finish."""
    import uuid

    from distributed import as_completed

    token = uuid.uuid4().hex[:8]
    futures = {}
    for spec in specs:
        key = f"marketsim-run-{spec.run_id}-{token}"
        futures[client.submit(execute_run, spec, config, url, key=key)] = spec
    try:
        for future in as_completed(futures):
            spec = futures[future]
            try:
                record = future.result()
            except Exception as error:  # KilledWorker after MAX_ATTEMPTS deaths, or storage
                record = failed_record(spec, error)
            future.release()
            on_record(record)
    finally:
        unfinished = [future for future in futures if not future.done()]
        if unfinished:
            client.cancel(unfinished)


def local_dask_client(workers: int) -> Any:
    """A Dask ``Client`` of a new ``LocalCluster``: ``workers`` single-threaded processes."""
    import dask
    from distributed import Client, LocalCluster

    allowed_failures = {"distributed.scheduler.allowed-failures": MAX_ATTEMPTS - 1}
    with dask.config.set(allowed_failures):
        cluster = LocalCluster(
            n_workers=workers,
            threads_per_worker=1,
            processes=True,
            host="127.0.0.1",
            dashboard_address="127.0.0.1:0",  # a free port: never clash with another cluster
        )
    return Client(cluster)


def dask_installed() -> bool:
    """Whether ``dask.distributed`` can be imported (the ``[scale]`` extra)."""
    try:
        import distributed  # noqa: F401
    except ImportError:
        return False
    return True


#: An engine: runs specs of a study into the folder at a URL, reporting records and messages.
Engine = Callable[[list[RunSpec], StudyConfig, str, OnRecord, Callable[[str], None]], None]


def choose_engine(scheduler: Any, workers: int | None) -> Engine:
    """The engine ``scheduler`` names (see ``sweep``); raises for anything else."""
    if workers is not None and (type(workers) is not int or workers < 1):
        raise InvalidCommandError(f"workers must be an int >= 1, got {workers!r}")
    local_workers = workers or os.cpu_count() or 1

    def serial(specs, config, url, on_record, announce) -> None:
        run_serial(specs, config, url, on_record)

    def processes(specs, config, url, on_record, announce) -> None:
        run_in_processes(specs, config, url, on_record, local_workers)

    def local_cluster(specs, config, url, on_record, announce) -> None:
        client = local_dask_client(local_workers)
        try:
            run_on_dask(specs, config, url, on_record, client)
        finally:
            client.close()  # before the cluster, which would else report the client's tasks lost
            client.cluster.close()

    def remote_cluster(specs, config, url, on_record, announce) -> None:
        from distributed import Client

        with Client(scheduler) as client:
            announce(f"Dask dashboard: {client.dashboard_link}")
            run_on_dask(specs, config, url, on_record, client)

    def given_client(specs, config, url, on_record, announce) -> None:
        announce(f"Dask dashboard: {scheduler.dashboard_link}")
        run_on_dask(specs, config, url, on_record, scheduler)

    if isinstance(scheduler, str) and scheduler == "serial":
        return serial
    if (isinstance(scheduler, str) and scheduler == "processes") or (
        scheduler is None and not dask_installed()
    ):
        return processes
    if scheduler is None:
        return local_cluster
    if isinstance(scheduler, str) and "://" in scheduler:
        return remote_cluster
    if callable(getattr(scheduler, "submit", None)) and hasattr(scheduler, "dashboard_link"):
        return given_client
    raise InvalidCommandError(
        "scheduler must be None, 'serial', 'processes', a dask.distributed Client or a "
        f"scheduler address like 'tcp://host:8786'; got {str(scheduler)[:80]!r}"
    )
