"""The bulk paths give the same results on the pure and the compiled engine.

``sim.run`` and the LOBSTER replay call the engine directly, command after command, so the
engine is their only difference: each runs in a child process per engine (the engine is
chosen at import) and prints a digest of everything it produced: the event log, the agents'
states, the replay's counters, window changes, off-book prints and row sequence numbers.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from marketsim.core import ENGINE, engine

REPO_ROOT = Path(__file__).resolve().parents[1]
SAMPLE = REPO_ROOT / "data" / "lobster-sample"
SHARED = REPO_ROOT.parent / "shared" / "data" / "lobster"

SIMULATION = """
import hashlib
from marketsim import sim
from marketsim.core import ENGINE
from marketsim.sim.agents import MarketMaker, MomentumTrader, NoiseTrader
digest = hashlib.sha256()
runs = [
    dict(agents=[sim.ZeroIntelligence(size=(1, 4)), sim.ZeroIntelligence("zi2")], steps=30_000),
    dict(agents=[MarketMaker("mm"), NoiseTrader("noise"), MomentumTrader("mom")], duration=300),
    dict(agents=[sim.ZeroIntelligence(), MarketMaker("mm")], steps=10_000, open_auction=1.0),
]
for options in runs:
    result = sim.run(options.pop("agents"), "ACME", seed=11, progress=False, **options)
    digest.update(repr(list(result.events)).encode())
    for name, state in sorted(result.states.items()):
        digest.update(repr((name, state.commands, state.wakeups, state.stale, state.position,
                            state.cash_ticks, sorted(state.orders))).encode())
print(ENGINE, digest.hexdigest())
"""

REPLAY = """
import dataclasses, hashlib, sys
from marketsim.core import ENGINE
from marketsim.data import lobster
digest = hashlib.sha256()
messages, orderbook = sys.argv[1], lobster.read_orderbook(sys.argv[2])
tampered = orderbook.copy()
tampered.iloc[len(tampered) // 3, 1] += 7  # a mismatch, and the resynchronisation after it
for book_rows in (orderbook, tampered, None):
    result = lobster.replay(messages, book_rows, progress=False)
    for part in (list(result.events), dataclasses.asdict(result.stats), result.row_seq.tolist(),
                 result._offbook, result._window):
        digest.update(repr(part).encode())
print(ENGINE, digest.hexdigest())
"""

needs_compiled = pytest.mark.skipif(
    ENGINE != "compiled", reason="the compiled engine is not built here"
)


def digest_on(engine_name: str, code: str, *args: str) -> str:
    """Run ``code`` in a child process on one engine and return the digest it prints."""
    environment = {k: v for k, v in os.environ.items() if k != engine.PURE_ENV_VAR}
    if engine_name == "pure":
        environment[engine.PURE_ENV_VAR] = "1"
    completed = subprocess.run(
        [sys.executable, "-c", code, *args],
        env=environment,
        capture_output=True,
        text=True,
        timeout=600,
        check=True,
    )
    used, digest = completed.stdout.split()
    assert used == engine_name
    return digest


@needs_compiled
def test_simulations_are_identical_on_both_engines():
    assert digest_on("compiled", SIMULATION) == digest_on("pure", SIMULATION)


def lobster_pairs() -> list[tuple[Path, Path]]:
    from marketsim.data import lobster

    pairs = lobster.find_pairs(SAMPLE)
    if SHARED.is_dir():
        pairs += lobster.find_pairs(SHARED)
    return pairs


@needs_compiled
@pytest.mark.parametrize("pair", lobster_pairs(), ids=lambda pair: pair[0].name)
def test_lobster_replays_are_identical_on_both_engines(pair):
    args = [str(path) for path in pair]
    assert digest_on("compiled", REPLAY, *args) == digest_on("pure", REPLAY, *args)
