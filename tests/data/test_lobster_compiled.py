"""The compiled replay loop (``_cwindow.pyx``) gives exactly what the pure loop gives.

Both loops run in this process on the same engine class, on the real samples and on
synthetic days drawn by Hypothesis (``lobster_days``), and must leave equal event logs,
counters (the issue counter's order included), window changes, off-book prints, row seqs and
books, or raise the same error. The LOBSTER tests also run again with the pure engine forced,
where the pure loop runs.
"""

from __future__ import annotations

import dataclasses
import importlib
import os
import subprocess
import sys
from pathlib import Path

import pytest
from blocked_imports import script_without
from hypothesis import HealthCheck, given, settings
from lobster_days import lobster_days

from marketsim.core import ENGINE, engine
from marketsim.data import lobster

replay_module = importlib.import_module("marketsim.data.lobster.replay")
REPO_ROOT = Path(__file__).resolve().parents[2]
SHARED = REPO_ROOT.parent / "shared" / "data" / "lobster"
PAIRS = lobster.find_pairs(REPO_ROOT / "data" / "lobster-sample") + (
    lobster.find_pairs(SHARED) if SHARED.is_dir() else []
)

needs_compiled = pytest.mark.skipif(
    ENGINE != "compiled", reason="the compiled engine is not built here"
)


def compiled_loop():
    from marketsim.data.lobster.compiled import CompiledReplayer

    return CompiledReplayer


def outcome(loop, messages, orderbook):
    """Everything a replay with ``loop`` leaves, or the error it raised."""
    try:
        result = replay_module._replay_with(loop, messages, orderbook, "X", False)
    except Exception as error:
        return ("raised", type(error), str(error))
    engine_ = result.book.engine
    return (
        list(result.events),
        repr(dataclasses.asdict(result.stats)),
        list(result.stats.issues.items()),  # in the order they first happened
        result.row_seq.tolist(),
        result._offbook,
        result._window,
        engine_.level_ticks("bid"),
        engine_.level_ticks("ask"),
        [engine_.resting_state(event.order_id) for event in result.events[:50]
         if hasattr(event, "order_id")],
        result.book.ts_event,
    )  # fmt: skip


def assert_same_replay(messages, orderbook):
    pure = outcome(replay_module._Replayer, messages, orderbook)
    compiled = outcome(compiled_loop(), messages, orderbook)
    assert len(pure) == len(compiled)
    for part, (theirs, ours) in enumerate(zip(pure, compiled, strict=True)):
        assert theirs == ours, f"part {part} differs"
    return pure


@needs_compiled
def test_replay_uses_the_compiled_loop_with_the_compiled_engine():
    messages, orderbook = (lobster.read_messages(PAIRS[0][0]), lobster.read_orderbook(PAIRS[0][1]))
    assert replay_module._loop_for(messages, orderbook) is compiled_loop()
    floats = messages.astype({"size": "float64"})
    assert replay_module._loop_for(floats, orderbook) is replay_module._Replayer


def test_replay_falls_back_to_the_pure_loop_without_the_extension(monkeypatch):
    monkeypatch.setitem(sys.modules, "marketsim.data.lobster.compiled", None)
    messages = lobster.read_messages(PAIRS[0][0])
    assert replay_module._loop_for(messages, None) is replay_module._Replayer
    result = lobster.replay(messages, PAIRS[0][1], progress=False)
    assert result.stats.mismatches == 0


# A machine where nothing compiled could be built: the pure engine and the pure loop run.
WITHOUT_COMPILED_CODE = script_without(
    ("marketsim.core._cengine", "marketsim.data.lobster._cwindow"),
    """
from marketsim.core import ENGINE
from marketsim.data import lobster
result = lobster.replay(sys.argv[1], sys.argv[2], progress=False)
print(ENGINE, type(result.book.engine).__module__, result.stats.mismatches)
""",
)


def test_without_compiled_code_the_pure_engine_and_loop_replay():
    completed = subprocess.run(
        [sys.executable, "-c", WITHOUT_COMPILED_CODE, *map(str, PAIRS[0])],
        env={k: v for k, v in os.environ.items() if k != engine.PURE_ENV_VAR},
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    assert completed.stdout.split() == ["pure", "marketsim.core.matching", "0"]


@needs_compiled
@pytest.mark.parametrize("pair", PAIRS, ids=lambda pair: pair[0].name)
def test_both_loops_replay_the_samples_identically(pair):
    messages, orderbook = lobster.read_messages(pair[0]), lobster.read_orderbook(pair[1])
    tampered = orderbook.copy()
    tampered.iloc[len(tampered) // 3, 1] += 7  # a mismatch, and the resynchronisation after it
    for rows in (orderbook, tampered, None):
        assert_same_replay(messages, rows)


@needs_compiled
def test_both_loops_agree_on_a_crossing_submit_and_a_refused_size():
    messages = lobster.read_messages(PAIRS[0][0])
    orderbook = lobster.read_orderbook(PAIRS[0][1])
    crossing = messages.copy()
    submits = crossing.index[crossing["type"] == 1]
    row = submits[len(submits) // 2]
    side = crossing.at[row, "direction"]
    best_opposite = orderbook.at[row, "ask_price_1" if side == 1 else "bid_price_1"]
    crossing.at[row, "price"] = int(best_opposite)
    pure = assert_same_replay(crossing, orderbook)
    assert ("crossing_submit", 1) in pure[2]
    huge = messages.copy()
    huge.at[submits[2], "size"] = 10**13  # beyond MAX_QTY_LOTS: the engine refuses it
    raised = assert_same_replay(huge, orderbook)
    assert raised[0] == "raised"


@needs_compiled
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(lobster_days())
def test_both_loops_replay_synthetic_days_identically(day):
    assert_same_replay(*day)


@pytest.mark.skipif(ENGINE != "compiled", reason="this run already uses the pure engine")
@pytest.mark.skipif("MARKETSIM_LOBSTER_RERUN" in os.environ, reason="already the re-run")
def test_the_lobster_tests_pass_with_the_pure_engine_too():
    environment = {k: v for k, v in os.environ.items() if k != engine.PURE_ENV_VAR}
    environment.update({engine.PURE_ENV_VAR: "1", "MARKETSIM_LOBSTER_RERUN": "1"})
    tests = [str(Path(__file__).with_name("test_lobster.py"))]
    completed = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-x", "-p", "no:cacheprovider", *tests],
        env=environment,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert completed.returncode == 0, completed.stdout[-4000:] + completed.stderr[-2000:]
    assert " passed" in completed.stdout
