"""What a ``sim.sweep`` costs: parallel speed-up, per-run overhead, and a 10,000-run budget.

Usage::

    python benchmarks/sweep.py [--rounds 3] [--speedup-duration 300] [--quick]

1. Speed-up: a 40-run study (``mm.half_spread_ticks`` x ``zi.market_rate`` x 10 seeds, each
   ``--speedup-duration`` simulated seconds) with ``sim.sweep(workers=2)`` against
   ``workers=1``, both on the default engine (a Dask LocalCluster, started by the call and
   included in its time), interleaved over ``--rounds`` rounds; the figure is the ratio of
   median times. Also on an already running cluster of 1 and 2 workers, without start-up.
   Target: >= 1.7x.
2. Per-run overhead for 30-second runs: the same 20 runs as plain ``sim.run`` calls and as a
   serial sweep (summarising and writing the session and record of each run), interleaved;
   then the same sweep on a running 1-worker Dask cluster (adding scheduling). The overhead is
   (sweep - simulation) / simulation, split into its parts. Target: < 5%.
3. A 10,000-run study on 100 workers: per-run cost and output size measured here, and the
   Dask scheduler's task rate measured on no-op tasks, projected to that size.

Every figure is a same-run ratio or comes with the load average, since the machine is shared.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import tempfile
import time
from pathlib import Path

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


def local_client(workers: int):
    from marketsim.sweep.engines import local_dask_client

    return local_dask_client(workers)


def speedup(folder: Path, rounds: int, duration: float) -> bool:
    print(f"\n1. 40-run study of {duration:g} s runs, 2 workers vs 1 ({load()})")
    default = {1: [], 2: []}
    for round_ in range(rounds):
        for workers in (1, 2):
            out = folder / f"speedup-{workers}-{round_}"
            default[workers].append(timed(study, out, 10, duration, workers=workers))
            shutil.rmtree(out)
        print(
            f"   round {round_ + 1}: 1 worker {default[1][-1]:.2f} s, 2 workers "
            f"{default[2][-1]:.2f} s ({load()})"
        )
    ratio = statistics.median(default[1]) / statistics.median(default[2])
    running = {}
    clients = {workers: local_client(workers) for workers in (1, 2)}
    try:
        times = {1: [], 2: []}
        for round_ in range(rounds):
            for workers, client in clients.items():
                out = folder / f"running-{workers}-{round_}"
                times[workers].append(timed(study, out, 10, duration, scheduler=client))
                shutil.rmtree(out)
        running = {workers: statistics.median(values) for workers, values in times.items()}
    finally:
        for client in clients.values():
            client.close()
            client.cluster.close()
    print(
        f"   sweep(workers=N), cluster start-up included: median 1 worker "
        f"{statistics.median(default[1]):.2f} s, 2 workers {statistics.median(default[2]):.2f} s"
        f" -> {ratio:.2f}x"
    )
    print(
        f"   on running clusters: 1 worker {running[1]:.2f} s, 2 workers {running[2]:.2f} s"
        f" -> {running[1] / running[2]:.2f}x ({load()})"
    )
    passed = ratio >= SPEEDUP_TARGET
    print(
        f"   {'PASS' if passed else 'FAIL'}: 2 workers {ratio:.2f}x faster (target >= "
        f"{SPEEDUP_TARGET}x)"
    )
    return passed


def simulate_plainly(seeds: int, duration: float) -> None:
    for half_spread in GRID["mm.half_spread_ticks"]:
        for market_rate in GRID["zi.market_rate"]:
            for seed in range(seeds):
                agents = [
                    sim.ZeroIntelligence("zi", market_rate=market_rate, limit_rate=1.0),
                    sim.MarketMaker("mm", half_spread_ticks=half_spread),
                ]
                sim.run(agents, "ACME", duration=duration, seed=seed, progress=False)


def parts(seeds: int, duration: float, folder: Path) -> dict[str, float]:
    """Seconds spent simulating, summarising and saving sessions, for the same runs."""
    spent = {"simulate": 0.0, "summarise": 0.0, "save session": 0.0}
    for seed in range(seeds * 4):
        agents = [sim.ZeroIntelligence("zi", limit_rate=1.0), sim.MarketMaker("mm")]
        start = time.perf_counter()
        result = sim.run(agents, "ACME", duration=duration, seed=seed, progress=False)
        summarised = time.perf_counter()
        run_metrics(result)
        saved = time.perf_counter()
        save_session(result, folder / "session.parquet")
        end = time.perf_counter()
        spent["simulate"] += summarised - start
        spent["summarise"] += saved - summarised
        spent["save session"] += end - saved
    return spent


def overhead(folder: Path, rounds: int) -> tuple[bool, float, int]:
    seeds, duration, runs = 5, 30.0, 20
    print(f"\n2. Per-run overhead, {runs} runs of {duration:g} s ({load()})")
    plain, serial, dask_times = [], [], []
    client = local_client(1)
    try:
        for round_ in range(rounds):
            plain.append(timed(simulate_plainly, seeds, duration))
            out = folder / f"overhead-{round_}"
            serial.append(timed(study, out, seeds, duration, scheduler="serial"))
            shutil.rmtree(out)
            dask_times.append(timed(study, out, seeds, duration, scheduler=client))
            if round_ < rounds - 1:
                shutil.rmtree(out)
    finally:
        client.close()
        client.cluster.close()
    size = sum(path.stat().st_size for path in out.rglob("*") if path.is_file())
    simulate, total, on_dask = (statistics.median(v) / runs for v in (plain, serial, dask_times))
    breakdown = parts(seeds, duration, folder)
    per_run = {name: seconds / runs for name, seconds in breakdown.items()}
    print(
        f"   per run: simulation {simulate * 1e3:.1f} ms; serial sweep {total * 1e3:.1f} ms; "
        f"sweep on a 1-worker Dask cluster {on_dask * 1e3:.1f} ms"
    )
    print(
        "   parts (separately timed): "
        + ", ".join(f"{name} {seconds * 1e3:.1f} ms" for name, seconds in per_run.items())
    )
    bookkeeping = total - simulate - per_run["summarise"] - per_run["save session"]
    print(
        f"   so: summarising {per_run['summarise'] / simulate:.0%}, writing the session "
        f"{per_run['save session'] / simulate:.0%}, bookkeeping (plan, record, renames) "
        f"{bookkeeping / simulate:.0%}, Dask scheduling {(on_dask - total) / simulate:.0%} "
        "of the simulation time"
    )
    ratio = (on_dask - simulate) / simulate
    passed = ratio < OVERHEAD_TARGET
    print(
        f"   {'PASS' if passed else 'FAIL'}: overhead {ratio:.0%} of simulation time on "
        f"Dask, {(total - simulate) / simulate:.0%} serial (target < {OVERHEAD_TARGET:.0%})"
    )
    return passed, on_dask, size // runs


def scheduler_rate(tasks: int = 2_000) -> float:
    """No-op tasks per second through a 2-worker LocalCluster scheduler."""
    from distributed import wait

    client = local_client(2)
    try:
        client.gather(client.map(int, range(100)))
        start = time.perf_counter()
        wait(client.map(int, range(tasks), pure=False))
        return tasks / (time.perf_counter() - start)
    finally:
        client.close()
        client.cluster.close()


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
