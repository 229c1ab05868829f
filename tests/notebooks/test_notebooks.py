"""The example notebooks: each runs top to bottom in a real kernel, and each is committed clean.

Every ``notebooks/*.ipynb`` is picked up (new notebooks are tested without editing this file).
Execution uses nbclient with ``kernel_name="python3"``; a kernelspec made for the test points
"python3" at this interpreter (``sys.executable``), so the notebooks run in the project
environment whatever kernels the machine has. Each notebook runs in a temporary copy of the
notebooks folder, so nothing it writes lands in the repository.

The static checks need only the standard library: committed notebooks carry no outputs and
no execution counts, and every top-level ``await`` in them has a deadline (DESIGN.md §9).
"""

from __future__ import annotations

import ast
import importlib.util
import json
import os
import re
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOK_DIR = ROOT / "notebooks"
NOTEBOOKS = sorted(NOTEBOOK_DIR.glob("*.ipynb"))
#: Seconds one cell may run before the notebook fails (a notebook should take seconds).
CELL_TIMEOUT = 120
#: Seconds the kernel may take to start.
STARTUP_TIMEOUT = 60
#: A warning printed into a notebook, as ``warnings`` formats it ("...: FooWarning: ...").
PRINTED_WARNING = re.compile(r"\b\w*Warning: ")
DEADLINES = {"wait_for", "timeout", "timeout_at"}


def _ids(path: Path) -> str:
    return path.name


def _code_cells(path: Path) -> list[tuple[int, dict]]:
    """``(cell number, cell)`` of the code cells, numbered from 1 like a notebook shows them."""
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    return [(n, cell) for n, cell in enumerate(cells, 1) if cell["cell_type"] == "code"]


def _source(cell: dict) -> str:
    source = cell["source"]
    return source if isinstance(source, str) else "".join(source)


# -- static checks of the committed files -----------------------------------------------------


def test_notebooks_folder_has_notebooks() -> None:
    assert NOTEBOOKS, f"no notebooks found in {NOTEBOOK_DIR}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=_ids)
def test_committed_notebook_has_no_outputs_or_execution_counts(path: Path) -> None:
    dirty = [
        n
        for n, cell in _code_cells(path)
        if cell.get("outputs") or cell.get("execution_count") is not None
    ]
    assert not dirty, (
        f"{path.name}: cells {dirty} have outputs or execution counts; commit notebooks "
        f"cleared (jupyter nbconvert --clear-output --inplace {path.name}, then check that "
        "execution_count is null)"
    )


def _is_deadline(node: ast.AST) -> bool:
    """True for a call of ``asyncio.wait_for``/``timeout``/``timeout_at`` (or the bare names)."""
    if not isinstance(node, ast.Call):
        return False
    func = node.func
    name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
    return name in DEADLINES


def _unbounded_awaits(tree: ast.AST) -> list[int]:
    """Lines of top-level ``await``/``async for``/``async with`` not bounded by a deadline.

    An await counts as bounded when it awaits ``asyncio.wait_for(...)`` or sits inside
    ``async with asyncio.timeout(...)``. Awaits inside ``async def`` are left to the caller,
    whose own await of the coroutine needs the deadline.
    """
    lines: list[int] = []

    def visit(node: ast.AST, bounded: bool) -> None:
        if isinstance(node, ast.AsyncFunctionDef):
            return
        if isinstance(node, ast.AsyncWith):
            deadline = any(_is_deadline(item.context_expr) for item in node.items)
            if not (bounded or deadline):
                lines.append(node.lineno)
            for child in node.body:
                visit(child, bounded or deadline)
            return
        if isinstance(node, ast.Await) and not (bounded or _is_deadline(node.value)):
            lines.append(node.lineno)
        if isinstance(node, ast.AsyncFor) and not bounded:
            lines.append(node.lineno)
        if isinstance(node, ast.comprehension) and node.is_async and not bounded:
            lines.append(node.iter.lineno)
        for child in ast.iter_child_nodes(node):
            visit(child, bounded)

    visit(tree, False)
    return sorted(set(lines))


def _parse_cell(source: str) -> ast.AST:
    """The cell as Python, with IPython magics and shell escapes blanked out."""
    python = "\n".join(
        "" if line.lstrip().startswith(("%", "!")) else line for line in source.splitlines()
    )
    flags = ast.PyCF_ONLY_AST | ast.PyCF_ALLOW_TOP_LEVEL_AWAIT
    return compile(python, "<cell>", "exec", flags=flags)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=_ids)
def test_every_await_in_a_notebook_has_a_deadline(path: Path) -> None:
    unbounded = {
        n: lines
        for n, cell in _code_cells(path)
        if (lines := _unbounded_awaits(_parse_cell(_source(cell))))
    }
    assert not unbounded, (
        f"{path.name}: awaits without a deadline (cell: lines) {unbounded}; wrap them in "
        "asyncio.wait_for(..., timeout) or `async with asyncio.timeout(...)`"
    )


def test_deadline_check_flags_only_unbounded_awaits() -> None:
    source = (
        "import asyncio\n"
        "await asyncio.wait_for(client.book('ACME'), timeout=10)\n"  # bounded
        "await client.book('ACME')\n"  # line 3: unbounded
        "async with asyncio.timeout(5):\n"
        "    await client.close()\n"  # bounded by the block
        "async def helper():\n"
        "    await client.close()\n"  # left to the caller
        "async for update in client.stream_book('ACME'):\n"  # line 8: unbounded
        "    pass\n"
    )
    assert _unbounded_awaits(_parse_cell(source)) == [3, 8]


# -- execution --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def project_kernel(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The kernel name "python3", resolved to an ipykernel of this interpreter.

    Writes a kernelspec whose argv starts with ``sys.executable`` into a temporary Jupyter
    data dir and puts it first on ``JUPYTER_PATH`` (searched before the user's and the
    environment's kernel dirs). The kernel also gets a private IPython dir (no user profile
    or startup files, e.g. one applying nest_asyncio) and the inline matplotlib backend.
    """
    pytest.importorskip("nbclient", reason="executing notebooks needs nbclient (dev extra)")
    pytest.importorskip("nbformat", reason="executing notebooks needs nbformat (dev extra)")
    if importlib.util.find_spec("ipykernel") is None:
        pytest.skip("executing notebooks needs ipykernel in this environment (dev extra)")
    from jupyter_client.kernelspec import KernelSpecManager

    root = tmp_path_factory.mktemp("jupyter")
    spec_dir = root / "data" / "kernels" / "python3"
    spec_dir.mkdir(parents=True)
    spec = {
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "Python 3 (marketsim test environment)",
        "language": "python",
    }
    (spec_dir / "kernel.json").write_text(json.dumps(spec, indent=1), encoding="utf-8")
    with pytest.MonkeyPatch.context() as env:
        env.setenv("JUPYTER_PATH", str(root / "data"), prepend=os.pathsep)
        env.setenv("JUPYTER_RUNTIME_DIR", str(root / "runtime"))
        env.setenv("IPYTHONDIR", str(root / "ipython"))
        env.delenv("MPLBACKEND", raising=False)  # let ipykernel choose the inline backend
        resolved = KernelSpecManager().get_kernel_spec("python3")
        assert resolved.argv[0] == sys.executable, (
            f"kernel 'python3' resolves to {resolved.argv} in {resolved.resource_dir}, "
            f"not to {sys.executable}"
        )
        yield "python3"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=_ids)
def test_notebook_runs_top_to_bottom_without_errors(
    path: Path, project_kernel: str, tmp_path: Path
) -> None:
    import nbformat
    from nbclient import NotebookClient

    work = tmp_path / "notebooks"
    shutil.copytree(NOTEBOOK_DIR, work)  # a notebook may read files that sit next to it
    notebook = nbformat.read(work / path.name, as_version=4)
    client = NotebookClient(
        notebook,
        timeout=CELL_TIMEOUT,
        startup_timeout=STARTUP_TIMEOUT,
        kernel_name=project_kernel,
        resources={"metadata": {"path": str(work)}},
    )
    client.execute()  # raises CellExecutionError, with the traceback, at the first failing cell

    warned = [
        (n, output["text"])
        for n, cell in enumerate(notebook.cells, 1)
        if cell.cell_type == "code"
        for output in cell.outputs
        if output.output_type == "stream"
        and output.name == "stderr"
        and PRINTED_WARNING.search(output["text"])
    ]
    assert not warned, f"{path.name} prints warnings (cell, text): {warned}"
