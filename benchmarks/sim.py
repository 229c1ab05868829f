"""End-to-end speed of ``marketsim.sim.run`` on the zero-intelligence order flow.

Usage::

    python benchmarks/sim.py [--events N] [--seed S] [--profile]

Runs ``sim.run([sim.ZeroIntelligence()], "ACME", ...)`` with default rates until the event log
holds at least N engine events (default 1,000,000; about 2.1 events per command), and reports
engine events and commands per second of wall time, end to end: agent decisions, RNG draws,
matching, event routing, the event log and the progress bar, as a user would run it. It also
reports the same rates per second of CPU time of this process, which stay meaningful on a busy
machine (wall-clock figures drop when other processes compete for the cores). The run keeps
its log as compact records (``OrderBook.record`` of the engine's batch); the benchmark then
reads the whole log once, which builds every event object, and reports that time too.
``--profile`` runs ``cProfile`` over a shorter run and prints the top functions instead.

Target: at least 200,000 events/s.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import platform
import pstats
import sys
import time

from marketsim import sim

DEFAULT_EVENTS = 1_000_000
DEFAULT_SEED = 20_240_611
TARGET_EVENTS_PER_S = 200_000
#: Engine events per ZI command with the default rates (measured), to size the run.
EVENTS_PER_STEP = 2.06


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=DEFAULT_EVENTS)
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args(argv)
    steps = int(args.events / EVENTS_PER_STEP) + 1

    if args.profile:
        profiler = cProfile.Profile()
        profiler.runcall(
            sim.run, [sim.ZeroIntelligence()], "ACME", steps=min(steps, 200_000), seed=args.seed
        )
        pstats.Stats(profiler).sort_stats("tottime").print_stats(20)
        return 0

    sim.run([sim.ZeroIntelligence()], "ACME", steps=20_000, seed=args.seed, progress=False)
    cpu = time.process_time()
    result = sim.run([sim.ZeroIntelligence()], "ACME", steps=steps, seed=args.seed)
    cpu = time.process_time() - cpu
    result.book.check_integrity()
    events, commands, wall = len(result.events), result.commands, result.wall_seconds
    read = time.process_time()
    list(result.events)
    read = time.process_time() - read
    rate = events / wall
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(
        f"python {platform.python_version()}, {platform.machine()}, {os.cpu_count()} cpus, "
        f"load average {load:.1f}; seed {args.seed}"
    )
    print(
        f"zero-intelligence flow: {commands:,} commands -> {events:,} events "
        f"({events / commands:.2f} per command), {len(result.book.engine.book.orders):,} "
        f"orders resting at the end, {result.end_ns / 1e9:,.0f} simulated s"
    )
    print(f"wall {wall:.2f} s: {rate:,.0f} events/s, {commands / wall:,.0f} commands/s")
    print(f"cpu  {cpu:.2f} s: {events / cpu:,.0f} events/s, {commands / cpu:,.0f} commands/s")
    print(
        f"reading the whole log afterwards (every event object built): {read:.2f} s of cpu "
        f"({read / cpu:.0%} of the run); run and read: {events / (cpu + read):,.0f} events/s"
    )
    verdict = "met" if rate >= TARGET_EVENTS_PER_S else "MISSED"
    print(f"target >= {TARGET_EVENTS_PER_S:,} events/s (wall): {verdict}")
    if cpu / wall < 0.8:
        print(
            f"note: the machine is busy (load {load:.1f} on {os.cpu_count()} cpus), so this "
            f"process got {cpu / wall:.0%} of a core; the cpu-time rate is the one to compare"
        )
    print(f"reproduce: python benchmarks/sim.py --events {args.events} --seed {args.seed}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
