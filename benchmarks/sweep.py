"""What a ``sim.sweep`` costs: parallel speed-up, per-run overhead, and a 10,000-run budget.

Usage::

    python benchmarks/sweep.py [--rounds 3] [--speedup-duration 300] [--quick]

1. Speed-up: a 40-run study (``mm.half_spread_ticks`` x ``zi.market_rate`` x 10 seeds, each
   ``--speedup-duration`` simulated seconds) with ``sim.sweep(workers=2)`` against
   ``workers=1``, both on the default engine (a Dask LocalCluster, started by the call and
   included in its time), interleaved over ``--rounds`` rounds; the figure is the ratio of
   median times. Also on an already running cluster of 1 and 2 workers, without start-up,
   and, before and after each round, the speed-up two plain processes get on the machine at
   that moment (the ceiling other users' load leaves). Target: >= 1.7x.
2. Per-run overhead for 30-second runs: the same 20 runs, interleaved, as plain ``sim.run``
   calls; as plain calls that also compute the summary numbers and save the session (the
   outputs any sweep must write); as a serial sweep; and as a sweep on a running 1-worker Dask
   cluster. The overhead is (Dask sweep - simulation) / simulation, best round of each, split
   into its parts. Target: < 5%.
3. A 10,000-run study on 100 workers: per-run cost and output size measured here, and the
   Dask scheduler's task rate measured on no-op tasks, projected to that size.

Every figure is a same-run ratio or comes with the load average, since the machine is shared.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import shutil
import statistics
import tempfile
import time
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from marketsim import sim
from marketsim.data import save_session
from marketsim.sweep.metrics import run_metrics

SPEEDUP_TARGET = 1.7
OVERHEAD_TARGET = 0.05
GRID = {"mm.half_spread_ticks": [1, 4], "zi.market_rate": [1.0, 2.5]}
AGENTS = {"zi": sim.ZeroIntelligence, "mm": sim.MarketMaker}
FIXED = {"zi.limit_rate": 1.0}


def load() -> str:
    return "load average {:.2f} {:.2f} {:.2f}".format(*os.getloadavg())


def study(out: Path, seeds: int, duration: float, **options) -> sim.Study:
    return sim.sweep(
        AGENTS,
        GRID,
        FIXED,
        range(seeds),
        duration=duration,
        out=str(out),
        progress=False,
        **options,
    )


def timed(function, *args, **kwargs) -> float:
    start = time.perf_counter()
    function(*args, **kwargs)
    return time.perf_counter() - start


@contextmanager
def local_client(workers: int) -> Iterator[Any]:
    """A client of a fresh LocalCluster of ``workers`` processes, closed afterwards."""
    from marketsim.sweep.engines import local_dask_client

    client = local_dask_client(workers)
    try:
        yield client
    finally:
        client.close()
        client.cluster.close()


def busy(duration: float) -> None:
    """A fixed piece of CPU work: one simulation, nothing written."""
    sim.run([sim.ZeroIntelligence()], "ACME", duration=duration, seed=1, progress=False)


def machine_speedup(pool: ProcessPoolExecutor, duration: float = 1_200) -> float:
    """How much faster two processes do two pieces of work than one process does one each,
    right now: 2.0 on two idle cores, less when other users' processes take CPU time."""
    one = timed(lambda: pool.submit(busy, duration).result())
    two = timed(lambda: list(pool.map(busy, [duration, duration])))
    return 2 * one / two


def speedup(folder: Path, rounds: int, duration: float) -> bool:
    print(f"\n1. 40-run study of {duration:g} s runs, 2 workers vs 1 ({load()})")
    default: dict[int, list[float]] = {1: [], 2: []}
    running: dict[int, list[float]] = {1: [], 2: []}
    ceiling: list[float] = []
    with ProcessPoolExecutor(2, mp_context=multiprocessing.get_context("spawn")) as pool:
        list(pool.map(busy, [1.0, 1.0]))  # start both processes
        for round_ in range(rounds):
            ceiling.append(machine_speedup(pool))
            for workers in (1, 2):
                out = folder / f"speedup-{workers}-{round_}"
                default[workers].append(timed(study, out, 10, duration, workers=workers))
                shutil.rmtree(out)
                with local_client(workers) as client:
                    running[workers].append(timed(study, out, 10, duration, scheduler=client))
                shutil.rmtree(out)
            ceiling.append(machine_speedup(pool))
            print(
                f"   round {round_ + 1}: sweep(workers=N) 1 worker {default[1][-1]:.2f} s, 2 "
                f"workers {default[2][-1]:.2f} s; on a running cluster {running[1][-1]:.2f} s, "
                f"{running[2][-1]:.2f} s; two plain processes gave {ceiling[-2]:.2f}x before "
                f"and {ceiling[-1]:.2f}x after ({load()})"
            )
    ratios = {}
    for name, times in (("sweep(workers=N), start-up included", default), ("running", running)):
        median = statistics.median(times[1]) / statistics.median(times[2])
        best = min(times[1]) / min(times[2])
        ratios[name] = median
        print(f"   {name}: {median:.2f}x on medians, {best:.2f}x on the best of each")
    print(
        f"   the machine itself: two plain processes {statistics.median(ceiling):.2f}x faster "
        f"than one (median of {len(ceiling)}; 2.0 on two idle cores)"
    )
    ratio = ratios["sweep(workers=N), start-up included"]
    passed = ratio >= SPEEDUP_TARGET
    print(
        f"   {'PASS' if passed else 'FAIL'}: 2 workers {ratio:.2f}x faster (target >= "
        f"{SPEEDUP_TARGET}x; medians, cluster start-up included)"
    )
    return passed


def simulate_plainly(seeds: int, duration: float, folder: Path | None = None) -> None:
    """The runs of ``study`` as plain ``sim.run`` calls; with ``folder``, also summarised and
    saved as sessions there (what any sweep's outputs cost, without its machinery)."""
    for half_spread in GRID["mm.half_spread_ticks"]:
        for market_rate in GRID["zi.market_rate"]:
            for seed in range(seeds):
                agents = [
                    sim.ZeroIntelligence("zi", market_rate=market_rate, limit_rate=1.0),
                    sim.MarketMaker("mm", half_spread_ticks=half_spread),
                ]
                result = sim.run(agents, "ACME", duration=duration, seed=seed, progress=False)
                if folder is not None:
                    run_metrics(result)
                    save_session(result, folder / "session.parquet")


def overhead(folder: Path, rounds: int) -> tuple[bool, float, int]:
    seeds, duration, runs = 5, 30.0, 20
    print(f"\n2. Per-run overhead, {runs} runs of {duration:g} s ({load()})")
    times: dict[str, list[float]] = {"simulate": [], "+ outputs": [], "serial": [], "dask": []}
    with local_client(1) as client:
        for round_ in range(rounds):
            out = folder / f"overhead-{round_}"
            times["simulate"].append(timed(simulate_plainly, seeds, duration))
            times["+ outputs"].append(timed(simulate_plainly, seeds, duration, folder))
            times["serial"].append(timed(study, out, seeds, duration, scheduler="serial"))
            shutil.rmtree(out)
            times["dask"].append(timed(study, out, seeds, duration, scheduler=client))
            if round_ < rounds - 1:
                shutil.rmtree(out)
    size = sum(path.stat().st_size for path in out.rglob("*") if path.is_file())
    best = {name: min(values) / runs for name, values in times.items()}
    simulate = best["simulate"]
    print(
        "   per run (best of rounds): "
        + ", ".join(f"{name} {seconds * 1e3:.1f} ms" for name, seconds in best.items())
    )
    outputs = best["+ outputs"] - simulate
    bookkeeping = best["serial"] - best["+ outputs"]
    scheduling = best["dask"] - best["serial"]
    print(
        f"   of the simulation time: summary numbers and session file {outputs / simulate:.0%}, "
        f"sweep bookkeeping (plan, records, renames) {bookkeeping / simulate:.0%}, Dask "
        f"scheduling {scheduling / simulate:.0%} ({scheduling * 1e3:.1f} ms a run)"
    )
    ratio = (best["dask"] - simulate) / simulate
    machinery = (best["dask"] - best["+ outputs"]) / simulate
    passed = ratio < OVERHEAD_TARGET
    print(
        f"   {'PASS' if passed else 'FAIL'}: overhead {ratio:.0%} of simulation time on Dask "
        f"(target < {OVERHEAD_TARGET:.0%}); without the outputs every sweep must write, the "
        f"sweep's machinery adds {machinery:.0%}"
    )
    return passed, best["dask"], size // runs


def scheduler_rate(tasks: int = 2_000) -> float:
    """No-op tasks per second through a 2-worker LocalCluster scheduler."""
    from distributed import wait

    with local_client(2) as client:
        client.gather(client.map(int, range(100)))
        start = time.perf_counter()
        wait(client.map(int, range(tasks), pure=False))
        return tasks / (time.perf_counter() - start)


def projection(per_run: float, bytes_per_run: int) -> None:
    runs, workers = 10_000, 100
    rate = scheduler_rate()
    print(f"\n3. A {runs:,}-run study of 30 s runs on {workers} workers ({load()})")
    print(
        f"   measured: {per_run * 1e3:.0f} ms per run on one worker (one core), "
        f"{bytes_per_run / 1e3:.0f} kB of output per run, Dask scheduler "
        f"{rate:,.0f} no-op tasks/s"
    )
    compute = runs * per_run
    demand = workers / per_run
    print(
        f"   compute {compute / 60:.1f} core-minutes; on {workers} workers "
        f"{compute / workers:.0f} s if the scheduler kept up; output "
        f"{runs * bytes_per_run / 1e6:.0f} MB in {2 * runs:,} files"
    )
    print(
        f"   {workers} workers finishing a run every {per_run * 1e3:.0f} ms ask the scheduler "
        f"for {demand:,.0f} tasks/s against the {rate:,.0f}/s it managed here: "
        f"{'the scheduler is the bottleneck' if demand > rate else 'it keeps up'}; "
        f"storage must take {demand * 3:,.0f} writes/s ({demand * bytes_per_run / 1e6:.0f} MB/s)"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--speedup-duration", type=float, default=300.0)
    parser.add_argument("--quick", action="store_true", help="1 round, short runs (a smoke test)")
    args = parser.parse_args(argv)
    if args.quick:
        args.rounds, args.speedup_duration = 1, 30.0
    print(f"{os.cpu_count()} cores; {load()}")
    with tempfile.TemporaryDirectory(prefix="marketsim-sweep-bench-") as folder:
        fast = speedup(Path(folder), args.rounds, args.speedup_duration)
        cheap, per_run, size = overhead(Path(folder), args.rounds)
        projection(per_run, size)
    print(f"\n{load()}")
    return 0 if fast and cheap else 1


if __name__ == "__main__":
    raise SystemExit(main())
