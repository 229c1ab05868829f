"""The package as a user installs it: an sdist that builds the compiled engine elsewhere.

The sdist carries the engine's Cython sources (and the C generated from them), not a built
module, so this checks that nothing the build needs lives only in the checkout. The build uses
this venv's setuptools and Cython (no build isolation, so no download); the wheel then goes
into a fresh venv, with no dependencies (the matching core needs only the standard library),
and is run from a directory that holds no marketsim source.
"""

from __future__ import annotations

import subprocess
import sys
import tarfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
BUILD_TIMEOUT_S = 600

# Run by the fresh venv's Python: which engine is active, and does it match orders?
SMOKE = """
import marketsim.core as core
from marketsim.core import OrderBook, Trade
book = OrderBook("ACME", tick_size="0.01")
book.submit("sell", 5, 100.00)
result = book.submit("buy", 3, 100.00)
trades = [e for e in result.events if isinstance(e, Trade)]
print(core.ENGINE, core.__file__, len(trades), trades[0].qty_lots)
"""


def _run(command: list[str], cwd: Path) -> str:
    completed = subprocess.run(
        command, cwd=cwd, capture_output=True, text=True, timeout=BUILD_TIMEOUT_S
    )
    assert completed.returncode == 0, (completed.stdout + completed.stderr)[-3000:]
    return completed.stdout


@pytest.mark.timeout(2 * BUILD_TIMEOUT_S)
def test_a_wheel_built_from_the_sdist_installs_in_a_fresh_venv_with_the_compiled_engine(
    tmp_path,
) -> None:
    sdists = tmp_path / "sdist"
    name = _run(
        [
            sys.executable,
            "-c",
            "import sys; from setuptools import build_meta; "
            "print(build_meta.build_sdist(sys.argv[1]))",
            str(sdists),
        ],
        cwd=ROOT,
    ).split()[-1]
    with tarfile.open(sdists / name) as archive:
        members = archive.getnames()
        assert any(m.endswith("marketsim/core/_cengine.pyx") for m in members)
        assert not any(m.endswith(".so") for m in members)
        archive.extractall(tmp_path / "unpacked", filter="data")
    (source,) = (tmp_path / "unpacked").iterdir()

    wheels = tmp_path / "wheels"
    _run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
         "--no-index", "-q", "-w", str(wheels), str(source)],
        cwd=tmp_path,
    )  # fmt: skip
    (wheel,) = wheels.glob("marketsim-*.whl")
    assert "linux" in wheel.name or "macosx" in wheel.name or "win" in wheel.name  # not py3-none

    venv = tmp_path / "fresh"
    _run([sys.executable, "-m", "venv", str(venv)], cwd=tmp_path)
    python = venv / "bin" / "python"
    _run([str(python), "-m", "pip", "install", "-q", "--no-deps", "--no-index", str(wheel)],
         cwd=tmp_path)  # fmt: skip
    engine, module, trades, qty = _run([str(python), "-c", SMOKE], cwd=tmp_path).split()
    assert engine == "compiled"
    assert Path(module).is_relative_to(venv)
    assert (trades, qty) == ("1", "3")
