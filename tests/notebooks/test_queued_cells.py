"""Cells queued back to back in a real kernel all run, in order, with marketsim in use.

A regression test against nested-event-loop patches (``nest_asyncio.apply()`` and the like,
in marketsim or pulled in by it) that make ipykernel drop or reorder queued cells: a user who
runs a whole notebook, or several cells at once, must get every cell. The test starts a real
ipykernel of this interpreter with jupyter_client and sends three execute requests without
waiting between them, then checks that each cell replied "ok", that they ran in the order
sent, and that the last one printed its marker. The second variant first awaits the async
client at top level (ipykernel runs such a cell as a coroutine on its own loop) while the
other two cells wait in the queue.
"""

from __future__ import annotations

import importlib.util
import json
import os
import queue
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

jupyter_client = pytest.importorskip(
    "jupyter_client", reason="the queued-cells test needs jupyter_client (dev extra)"
)
if importlib.util.find_spec("ipykernel") is None:
    pytest.skip(
        "the queued-cells test needs ipykernel in this environment (dev extra)",
        allow_module_level=True,
    )

#: Seconds to wait for a kernel to start, and for each reply or output message.
STARTUP_TIMEOUT = 60
MESSAGE_TIMEOUT = 60
MARKER = "QUEUED-CELLS-MARKER"


@dataclass
class Execution:
    """What the kernel sent back for a batch of queued cells."""

    replies: list[dict]
    stdout: str = ""
    errors: list[str] = field(default_factory=list)

    @property
    def statuses(self) -> list[str]:
        return [reply["status"] for reply in self.replies]

    @property
    def execution_counts(self) -> list[int | None]:
        return [reply.get("execution_count") for reply in self.replies]

    def describe(self) -> str:
        return (
            f"statuses {self.statuses}, execution counts {self.execution_counts}, "
            f"errors {self.errors}, stdout {self.stdout!r}"
        )


@pytest.fixture
def kernel(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator:
    """A started ipykernel of this interpreter (``sys.executable``), and its client.

    The kernelspec "python3" is written to a temporary Jupyter data dir put first on
    ``JUPYTER_PATH``; the kernel gets a private IPython dir, so no user startup file (say,
    one that applies nest_asyncio) takes part.
    """
    from jupyter_client import KernelManager

    spec_dir = tmp_path / "jupyter" / "kernels" / "python3"
    spec_dir.mkdir(parents=True)
    spec = {
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "Python 3 (marketsim test environment)",
        "language": "python",
    }
    (spec_dir / "kernel.json").write_text(json.dumps(spec, indent=1), encoding="utf-8")
    monkeypatch.setenv("JUPYTER_PATH", str(tmp_path / "jupyter"), prepend=os.pathsep)
    monkeypatch.setenv("JUPYTER_RUNTIME_DIR", str(tmp_path / "runtime"))
    monkeypatch.setenv("IPYTHONDIR", str(tmp_path / "ipython"))
    monkeypatch.setenv("MPLBACKEND", "agg")  # no figures here

    manager = KernelManager(kernel_name="python3")
    assert manager.kernel_spec is not None
    assert manager.kernel_spec.argv[0] == sys.executable
    manager.start_kernel(cwd=str(tmp_path))
    client = manager.client()
    client.start_channels()
    try:
        client.wait_for_ready(timeout=STARTUP_TIMEOUT)
        yield client
    finally:
        client.stop_channels()
        manager.shutdown_kernel(now=False)


def run_queued(client, cells: list[str]) -> Execution:
    """Send ``cells`` back to back without waiting, then collect every reply and output."""
    msg_ids = [client.execute(code) for code in cells]
    replies: dict[str, dict] = {}
    while len(replies) < len(msg_ids):
        try:
            message = client.get_shell_msg(timeout=MESSAGE_TIMEOUT)
        except queue.Empty:
            missing = [n for n, msg_id in enumerate(msg_ids, 1) if msg_id not in replies]
            pytest.fail(f"no reply for queued cells {missing} within {MESSAGE_TIMEOUT} s")
        parent = message["parent_header"].get("msg_id")
        if parent in msg_ids:
            replies[parent] = message["content"]
    execution = Execution([replies[msg_id] for msg_id in msg_ids])
    idle: set[str] = set()
    stdout: list[str] = []
    while len(idle) < len(msg_ids):  # each cell's output ends when the kernel goes idle for it
        try:
            message = client.get_iopub_msg(timeout=MESSAGE_TIMEOUT)
        except queue.Empty:
            pytest.fail(f"output of the queued cells did not end within {MESSAGE_TIMEOUT} s")
        parent = message["parent_header"].get("msg_id")
        if parent not in msg_ids:
            continue
        kind, content = message["msg_type"], message["content"]
        if kind == "stream" and content["name"] == "stdout":
            stdout.append(content["text"])
        elif kind == "error":
            execution.errors.append(f"{content['ename']}: {content['evalue']}")
        elif kind == "status" and content["execution_state"] == "idle":
            idle.add(parent)
    execution.stdout = "".join(stdout)
    return execution


def assert_all_ran_in_order(execution: Execution) -> None:
    assert execution.statuses == ["ok"] * len(execution.replies), execution.describe()
    first = execution.execution_counts[0]
    assert isinstance(first, int), execution.describe()
    expected = list(range(first, first + len(execution.replies)))
    assert execution.execution_counts == expected, execution.describe()
    assert not execution.errors, execution.describe()


def test_kernel_runs_this_interpreter(kernel) -> None:
    execution = run_queued(kernel, ["import sys\nprint(sys.prefix)"])
    assert_all_ran_in_order(execution)
    assert execution.stdout.strip() == sys.prefix


def test_three_cells_queued_back_to_back_all_run_in_order(kernel) -> None:
    cells = [
        "import marketsim as ms\nmarket = ms.launch()\nclient = market.client()\nsteps = [1]",
        'client.submit("ACME", "sell", 10, 100.05)\nsteps.append(2)',
        f'steps.append(3)\nprint("{MARKER}", steps, client.book("ACME").best_ask)',
    ]
    execution = run_queued(kernel, cells)
    cleanup = run_queued(kernel, ["market.stop()"])

    assert_all_ran_in_order(execution)
    assert f"{MARKER} [1, 2, 3] (100.05, 10)" in execution.stdout, execution.describe()
    assert cleanup.statuses == ["ok"], cleanup.describe()


def test_cells_queued_behind_a_top_level_await_all_run_in_order(kernel) -> None:
    cells = [
        "import asyncio\n"
        "import marketsim as ms\n"
        "market = ms.launch()\n"
        'aclient = await asyncio.wait_for(market.aclient(owner="async"), timeout=10)\n'
        'await asyncio.wait_for(aclient.submit("ACME", "sell", 10, 100.05), timeout=10)\n'
        "await asyncio.wait_for(asyncio.sleep(0.5), timeout=10)  # the next cells wait queued\n"
        "steps = [1]",
        'client = market.client()\nclient.submit("ACME", "buy", 4)\nsteps.append(2)',
        f'steps.append(3)\nprint("{MARKER}", steps, client.book("ACME").best_ask)',
    ]
    execution = run_queued(kernel, cells)
    cleanup = run_queued(
        kernel, ["await asyncio.wait_for(aclient.close(), timeout=10)\nmarket.stop()"]
    )

    assert_all_ran_in_order(execution)
    assert f"{MARKER} [1, 2, 3] (100.05, 6)" in execution.stdout, execution.describe()
    assert cleanup.statuses == ["ok"], cleanup.describe()
