"""The core is pure: importing it (or the package root) pulls in no heavy or network library."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

FORBIDDEN = ("grpc", "google.protobuf", "numpy", "pandas", "matplotlib")
REPO_ROOT = Path(__file__).resolve().parents[2]

PROBE = """
import json, sys
{imports}
forbidden = {forbidden!r}
loaded = sorted(
    name for name in sys.modules
    if any(name == root or name.startswith(root + ".") for root in forbidden)
)
print(json.dumps(loaded))
"""


def modules_loaded_by(imports: str, forbidden: tuple[str, ...] = FORBIDDEN) -> list[str]:
    """Run ``imports`` in a fresh interpreter; return the ``forbidden`` modules it loaded."""
    completed = subprocess.run(
        [sys.executable, "-c", PROBE.format(imports=imports, forbidden=forbidden)],
        capture_output=True,
        text=True,
        cwd=REPO_ROOT,
        timeout=60,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    return json.loads(completed.stdout)


@pytest.mark.parametrize(
    "imports",
    [
        "import marketsim.core",
        "import marketsim",
        "import marketsim.errors",
        "from marketsim.core import OrderBook; OrderBook('X', 0.01).submit('buy', 1, 1.0)",
    ],
)
def test_importing_marketsim_or_its_core_in_fresh_interpreter_loads_no_grpc_numpy_pandas_etc(
    imports,
):
    assert modules_loaded_by(imports) == []


@pytest.mark.parametrize("imports", ["import marketsim.core", "import marketsim"])
def test_importing_marketsim_or_its_core_in_fresh_interpreter_starts_no_asyncio(imports):
    # DESIGN section 2: the core has no asyncio; the network layers load on first use.
    assert modules_loaded_by(imports, ("asyncio",)) == []


def test_layering_probe_reports_forbidden_module_when_one_is_imported():
    pytest.importorskip("numpy")

    assert "numpy" in modules_loaded_by("import marketsim.core\nimport numpy")


@pytest.mark.parametrize(
    ("imports", "forbidden"),
    [
        ("import marketsim.frames", ("grpc", "google.protobuf", "matplotlib")),
        ("import marketsim.plotting", ("grpc", "google.protobuf", "matplotlib.pyplot")),
        ("import marketsim.sim", ("grpc", "google.protobuf", "pandas", "matplotlib")),
    ],
)
def test_higher_layers_load_only_what_they_need(imports, forbidden):
    assert modules_loaded_by(imports, forbidden) == []
