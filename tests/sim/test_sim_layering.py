"""``marketsim.sim`` sits on the core and numpy: importing it loads no network or pandas code."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
PROBE = """
import json, sys
import marketsim.sim
print(json.dumps(sorted(
    name for name in sys.modules
    if name.split(".")[0] in ("grpc", "google", "pandas", "matplotlib", "marketsim")
)))
"""


def test_importing_sim_in_a_fresh_interpreter_loads_no_grpc_protobuf_pandas_or_client():
    completed = subprocess.run(
        [sys.executable, "-c", PROBE],
        capture_output=True,
        text=True,
        cwd=REPO_ROOT,
        timeout=60,
        check=True,
    )
    loaded = json.loads(completed.stdout)

    assert not [m for m in loaded if m.split(".")[0] in ("grpc", "google", "pandas", "matplotlib")]
    assert not [m for m in loaded if m.startswith(("marketsim.client", "marketsim.server"))]
    assert not [m for m in loaded if m.startswith(("marketsim.wire", "marketsim.frames"))]
