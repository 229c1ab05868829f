"""Both engines run the whole core suite, and a machine without the compiled one still works.

The suite runs once in the test process, with the engine ``marketsim.core.ENGINE`` names (the
compiled one when it is built). The first test below runs it all again in a child process with
the pure engine forced (``MARKETSIM_PURE=1``), so ``make test`` checks both implementations.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from blocked_imports import script_without

from marketsim.core import ENGINE, engine

CORE_TESTS = Path(__file__).parent
#: Set in the child run, so that it does not start another.
RERUN_VAR = "MARKETSIM_CORE_RERUN"

# Makes importing the compiled engine fail, as on a machine that could not build it.
WITHOUT_COMPILED_ENGINE = script_without(
    ("marketsim.core._cengine",),
    """
from marketsim import OrderBook
from marketsim.core import ENGINE
book = OrderBook("ACME")
book.submit("sell", 5, price=10)
result = book.submit("buy", 7, price=10)
print(ENGINE, type(book.engine).__module__, result.status, result.filled_qty)
""",
)


def child_environment(**overrides: str) -> dict[str, str]:
    environment = {k: v for k, v in os.environ.items() if k != engine.PURE_ENV_VAR}
    environment.update(overrides)
    return environment


@pytest.mark.skipif(ENGINE != "compiled", reason="this run already uses the pure engine")
@pytest.mark.skipif(RERUN_VAR in os.environ, reason="already the re-run")
def test_the_whole_core_suite_passes_on_the_pure_engine_too():
    completed = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-x", "-p", "no:cacheprovider", str(CORE_TESTS)],
        env=child_environment(**{engine.PURE_ENV_VAR: "1", RERUN_VAR: "1"}),
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert completed.returncode == 0, completed.stdout[-4000:] + completed.stderr[-2000:]
    assert " passed" in completed.stdout


def test_the_pure_engine_can_be_forced_and_is_the_reference_class():
    code = "from marketsim.core import ENGINE, MatchingEngine; print(ENGINE, MatchingEngine)"
    completed = subprocess.run(
        [sys.executable, "-c", code],
        env=child_environment(**{engine.PURE_ENV_VAR: "1"}),
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert completed.stdout.split()[0] == "pure"
    assert "marketsim.core.matching.MatchingEngine" in completed.stdout
    assert completed.stderr == ""  # forcing it is not worth a note


def test_without_the_compiled_engine_the_pure_one_runs_and_says_so_in_one_line():
    completed = subprocess.run(
        [sys.executable, "-c", WITHOUT_COMPILED_ENGINE],
        env=child_environment(),
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert completed.stdout.split() == ["pure", "marketsim.core.matching", "partially_filled", "5"]
    assert completed.stderr.splitlines() == [engine.MISSING_NOTE]
    assert "C compiler" in engine.MISSING_NOTE and engine.PURE_ENV_VAR in engine.MISSING_NOTE


def test_the_active_engine_is_the_one_order_books_use():
    from marketsim import OrderBook

    assert type(OrderBook("ACME").engine) is engine.MatchingEngine
    assert (ENGINE == "compiled") == (engine.MatchingEngine is not engine.PureMatchingEngine)
