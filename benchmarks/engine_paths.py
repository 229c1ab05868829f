"""What the compiled engine gives the bulk paths: ``sim.run`` and the in-process LOBSTER replay.

Usage::

    python benchmarks/engine_paths.py [--events N] [--rounds R] [--before DIR]

Each measurement runs in a fresh child process, with the compiled engine, with
``MARKETSIM_PURE=1``, and (``--before DIR``) with the compiled engine of an older source tree,
taking turns for ``--rounds`` rounds (same-run ratios: the machine's load moves them alike);
the best round of each is reported, by wall time and by the child's CPU time. ``DIR`` holds a
``marketsim`` package, with its compiled engine built if it has one. The issue's targets are
against the code at the time it was filed, before any compiled engine (pure only)::

    git archive 85031a0^1 marketsim | tar -x -C DIR

For a tree with a compiled engine, also copy or build its extension into
``DIR/marketsim/core`` (copying is right only when ``_cengine.pyx`` did not change in between).
A tree that predates ``apply_many`` reports only its own rates, not the engine-alone and
agent-alone ones.

* ``sim.run`` with one ``ZeroIntelligence`` agent and default rates, until the log holds about
  N engine events: engine events per second.
* ``marketsim.data.lobster.replay`` of the AMZN full-day sample in ../shared/data/lobster
  (skipped with a note when it is absent), with its orderbook file, so every row is checked:
  message rows per second.

For each path the child also applies the commands of the log it produced to a fresh engine
with ``apply_many`` (no agents, routing or row checks; fastest of 3): the rate the path would
reach if all its own work took no time, so the share of the engine in the path is visible.
For ``sim.run`` it also times the agent alone, deciding as many times on the final book
without applying its commands: no runner could be faster than that. For the replay on the
compiled engine it times building the log's event objects from the compact records of that
``apply_many`` (``list(batch)``): the part of the replay that is ``OrderBook.record`` making
event objects, which a lazy event log would defer until something reads them.

Targets (issue 14): ``sim.run`` at least 2x its rate before the issue (``--before``, the tree
above), the LOBSTER replay at least 500,000 rows/s. The compiled-over-pure ratio of
``sim.run`` is reported against 2x as well.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LOBSTER = ROOT.parent / "shared" / "data" / "lobster"
AMZN = "AMZN_2012-06-21_34200000_57600000_{}_1.csv"
TARGET_SIM_RATIO = 2.0
TARGET_LOBSTER_ROWS_PER_S = 500_000
#: Engine events per ZI command with the default rates (measured), to size the run.
EVENTS_PER_STEP = 2.06

# Each child prints: engine, rate by wall time, rate by CPU time, rate of the engine alone
# (by CPU time) on the commands of the log the path produced, for sim.run the rate of the
# agent alone (its decisions without applying them; 0 for the replay), and for the replay the
# rate of building the log's event objects from compact records alone (0 where the engine
# makes objects as it goes, and for sim.run).
ENGINE_ALONE = """
import marketsim.core
ENGINE = getattr(marketsim.core, "ENGINE", "pure")  # trees before the compiled engine are pure
BULK = hasattr(marketsim.core.MatchingEngine, "apply_many")  # else only the path's own rates

def fastest_of_3(work):
    fastest = float("inf")
    for _ in range(3):  # the first run also pays for fresh memory
        started = time.process_time()
        work()
        fastest = min(fastest, time.process_time() - started)
    return fastest

def log_commands(events):
    from marketsim.core.replay import commands_from_events
    return [(ts, command) for command, ts in commands_from_events(list(events))]

def engine_alone(events, units):
    if not BULK:
        return 0.0
    from marketsim.core import MatchingEngine
    ops = log_commands(events)
    return units / fastest_of_3(lambda: MatchingEngine().apply_many(ops))

def objects_alone(events, units):
    # Building the log's event objects from the compact records of apply_many (compiled only).
    if not BULK:
        return 0.0
    from marketsim.core import MatchingEngine
    batch = MatchingEngine().apply_many(log_commands(events))
    if isinstance(batch, list):  # the pure engine makes its objects as it goes
        return 0.0
    import gc
    gc.disable()  # as the replay does while it builds them
    try:
        return units / fastest_of_3(lambda: list(batch))
    finally:
        gc.enable()
"""

SIM_RUN = (
    """
import sys, time
from marketsim import sim
steps = int(sys.argv[1])
wall, cpu = time.perf_counter(), time.process_time()
result = sim.run([sim.ZeroIntelligence()], "ACME", steps=steps, seed=20_240_611, progress=False)
wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
events = len(result.events)
"""
    + ENGINE_ALONE
    + """

def agent_alone(result, steps, units):
    # The ZI agent deciding ``steps`` times on the final book, its commands not applied.
    if not BULK:
        return 0.0
    import numpy as np
    from marketsim.sim.view import BookMarketView, MarketState
    agent = result.agents[0]
    view = BookMarketView(result.book, result.states[agent.name], MarketState())
    rng = np.random.default_rng(1)
    agent.start(view, rng)
    act, next_wakeup, now = agent.act, agent.next_wakeup, result.end_ns
    started = time.process_time()
    for _ in range(steps):
        act(view, rng, now)
        now = next_wakeup(view, rng, now)
    return units / (time.process_time() - started)

print(ENGINE, events / wall, events / cpu, engine_alone(result.events, events),
      agent_alone(result, steps, events), 0)
"""
)

LOBSTER_REPLAY = (
    """
import sys, time
from marketsim.data.lobster import read_messages, read_orderbook, replay
messages, orderbook = read_messages(sys.argv[1]), read_orderbook(sys.argv[2])
wall, cpu = time.perf_counter(), time.process_time()
result = replay(messages, orderbook, progress=False)
wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
assert result.stats.mismatches == 0, result.stats
rows = len(messages)
"""
    + ENGINE_ALONE
    + """
print(ENGINE, rows / wall, rows / cpu, engine_alone(result.events, rows), 0,
      objects_alone(result.events, rows))
"""
)

#: The variants measured: name -> (engine it must report, or None for whichever the tree has;
#: MARKETSIM_PURE; source tree).
Variant = tuple[str | None, bool, Path | None]


def measure(code: str, args: list[str], variant: Variant) -> tuple[float, ...]:
    """Run ``code`` in a child process; return its (wall, CPU, engine-alone, agent-alone,
    objects-alone) rates."""
    expected, pure, tree = variant
    environment = {k: v for k, v in os.environ.items() if k != "MARKETSIM_PURE"}
    if pure:
        environment["MARKETSIM_PURE"] = "1"
    if tree is not None:  # the tree's package comes first on the path (the child runs in it)
        environment["PYTHONPATH"] = str(tree)
    completed = subprocess.run(
        [sys.executable, "-c", code, *args],
        env=environment,
        cwd=tree or ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    engine, *rates = completed.stdout.split()
    if expected is not None and engine != expected:
        raise SystemExit(f"expected the {expected} engine, got {engine}")
    return tuple(float(rate) for rate in rates)


def best_of(code: str, args: list[str], variants: dict[str, Variant], rounds: int) -> dict:
    """Best rates of each variant (see ``measure``) over interleaved rounds."""
    best = {name: (0.0,) * 5 for name in variants}
    for _ in range(rounds):
        for name, variant in variants.items():
            rates = measure(code, args, variant)
            best[name] = tuple(max(a, b) for a, b in zip(best[name], rates, strict=True))
    return best


def report(title: str, unit: str, best: dict) -> None:
    """One line per variant, then the ratios between them."""
    print(title)
    for name, (wall, cpu, engine, agent, objects) in best.items():
        line = f"  {name:<9} {wall:>11,.0f} {unit} wall, {cpu:>11,.0f} by CPU"
        if engine:
            share = cpu / engine
            line += f"; its engine alone on the same commands: {engine:,.0f} ({share:.0%} of it)"
        if agent:
            line += f"; the agent alone: {agent:,.0f} ({cpu / agent:.0%})"
        if objects:
            line += f"; building its event objects alone: {objects:,.0f} ({cpu / objects:.0%})"
        print(line)


def ratio_line(best: dict, over: str, target: float | None) -> float:
    """Print compiled/``over`` by wall and CPU, with a verdict against ``target``; return wall."""
    wall = best["compiled"][0] / best[over][0]
    cpu = best["compiled"][1] / best[over][1]
    verdict = (
        ""
        if target is None
        else f": target >= {target:.0f}x " + ("PASS" if wall >= target else "FAIL")
    )
    print(f"  compiled / {over}: {wall:.2f}x wall, {cpu:.2f}x CPU{verdict}")
    return wall


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=1_000_000, help="sim.run events")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--before", type=Path, help="source tree of the code before the change")
    args = parser.parse_args(argv)
    variants: dict[str, Variant] = {"compiled": ("compiled", False, None)}
    variants["pure"] = ("pure", True, None)
    if args.before is not None:
        if not (args.before / "marketsim" / "__init__.py").is_file():
            raise SystemExit(f"{args.before} holds no marketsim package")
        variants["before"] = (None, False, args.before.resolve())
    print(f"load average {os.getloadavg()[0]:.1f}; best of {args.rounds} interleaved rounds")

    steps = str(int(args.events / EVENTS_PER_STEP) + 1)
    best = best_of(SIM_RUN, [steps], variants, args.rounds)
    report(f"sim.run, one ZI agent, {args.events:,} events:", "events/s", best)
    ratio_line(best, "pure", TARGET_SIM_RATIO)
    if "before" in best:
        ratio_line(best, "before", TARGET_SIM_RATIO)

    messages, orderbook = LOBSTER / AMZN.format("message"), LOBSTER / AMZN.format("orderbook")
    if not messages.exists():
        print(f"LOBSTER replay: skipped, {messages} is not there")
        return 0
    best = best_of(LOBSTER_REPLAY, [str(messages), str(orderbook)], variants, args.rounds)
    report("LOBSTER replay of the AMZN day, every row checked:", "rows/s", best)
    ratio_line(best, "pure", None)
    if "before" in best:
        ratio_line(best, "before", None)
    compiled = best["compiled"][0]
    verdict = "PASS" if compiled >= TARGET_LOBSTER_ROWS_PER_S else "FAIL"
    print(f"  target >= {TARGET_LOBSTER_ROWS_PER_S:,} rows/s (wall): {verdict} ({compiled:,.0f})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
