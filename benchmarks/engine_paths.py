"""What the compiled engine gives the bulk paths: ``sim.run`` and the in-process LOBSTER replay.

Usage::

    python benchmarks/engine_paths.py [--events N] [--rounds R]

Each measurement runs in a fresh child process, once with the compiled engine and once with
``MARKETSIM_PURE=1``, taking turns for ``--rounds`` rounds (same-run ratios: the machine's
load moves both alike); the best round of each is reported.

* ``sim.run`` with one ``ZeroIntelligence`` agent and default rates, until the log holds about
  N engine events: engine events per second of wall time.
* ``marketsim.data.lobster.replay`` of the AMZN full-day sample in ../shared/data/lobster
  (skipped with a note when it is absent), with its orderbook file, so every row is checked:
  message rows per second.

Targets (issue 14): ``sim.run`` at least 2x with the compiled engine, the LOBSTER replay at
least 500,000 rows/s.
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

SIM_RUN = """
import sys, time
from marketsim import sim
from marketsim.core import ENGINE
steps = int(sys.argv[1])
started = time.perf_counter()
result = sim.run([sim.ZeroIntelligence()], "ACME", steps=steps, seed=20_240_611, progress=False)
wall = time.perf_counter() - started
print(ENGINE, len(result.events) / wall)
"""

LOBSTER_REPLAY = """
import sys, time
from marketsim.core import ENGINE
from marketsim.data.lobster import read_messages, read_orderbook, replay
messages, orderbook = read_messages(sys.argv[1]), read_orderbook(sys.argv[2])
started = time.perf_counter()
replay(messages, orderbook, progress=False)
wall = time.perf_counter() - started
print(ENGINE, len(messages) / wall)
"""


def measure(code: str, args: list[str], pure: bool) -> float:
    """Run ``code`` in a child process on one engine; return the rate it prints."""
    environment = {k: v for k, v in os.environ.items() if k != "MARKETSIM_PURE"}
    if pure:
        environment["MARKETSIM_PURE"] = "1"
    completed = subprocess.run(
        [sys.executable, "-c", code, *args],
        env=environment,
        capture_output=True,
        text=True,
        check=True,
    )
    engine, rate = completed.stdout.split()
    if engine != ("pure" if pure else "compiled"):
        raise SystemExit(f"expected the {'pure' if pure else 'compiled'} engine, got {engine}")
    return float(rate)


def best_of(code: str, args: list[str], rounds: int) -> tuple[float, float]:
    """Best (compiled, pure) rates over ``rounds`` interleaved rounds."""
    compiled = pure = 0.0
    for _ in range(rounds):
        compiled = max(compiled, measure(code, args, pure=False))
        pure = max(pure, measure(code, args, pure=True))
    return compiled, pure


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=1_000_000, help="sim.run events")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args(argv)
    print(f"load average {os.getloadavg()[0]:.1f}; best of {args.rounds} interleaved rounds")

    steps = str(int(args.events / 2.06) + 1)  # about 2.06 events per ZI command
    compiled, pure = best_of(SIM_RUN, [steps], args.rounds)
    ratio = compiled / pure
    print(f"sim.run (ZI):  compiled {compiled:,.0f} events/s, pure {pure:,.0f}: {ratio:.2f}x")
    verdict = "PASS" if ratio >= TARGET_SIM_RATIO else "FAIL"
    print(f"target sim.run >= {TARGET_SIM_RATIO:.0f}x pure: {verdict} ({ratio:.2f}x)")

    messages, orderbook = LOBSTER / AMZN.format("message"), LOBSTER / AMZN.format("orderbook")
    if not messages.exists():
        print(f"LOBSTER replay: skipped, {messages} is not there")
        return 0
    compiled, pure = best_of(LOBSTER_REPLAY, [str(messages), str(orderbook)], args.rounds)
    print(
        f"LOBSTER replay (AMZN day): compiled {compiled:,.0f} rows/s, pure {pure:,.0f}: "
        f"{compiled / pure:.2f}x"
    )
    verdict = "PASS" if compiled >= TARGET_LOBSTER_ROWS_PER_S else "FAIL"
    print(f"target LOBSTER >= {TARGET_LOBSTER_ROWS_PER_S:,} rows/s: {verdict} ({compiled:,.0f})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
