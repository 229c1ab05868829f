"""A real Jupyter server (JupyterLab or Notebook 7) and the page helpers the browser tests share
(``conftest.py`` makes the ``jupyter`` fixture available to them).

The ``jupyter`` fixture starts the server on 127.0.0.1 (a free port, a random token, private
config, data, runtime, settings and IPython dirs, root dir a temporary copy of ``notebooks/``,
kernel "python3" pointed at this interpreter); each test runs once per front end. The tests
need ``jupyterlab`` (``notebook`` for Notebook 7) and ``playwright`` (Python) in the
environment, and Debian's chromium at ``/usr/bin/chromium`` (Playwright's own browser
downloads are not used); they skip otherwise.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BUILD = ROOT / "build"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
STDERR = "application/vnd.jupyter.stderr"
KERNEL_NAME = "Python 3 (marketsim test environment)"
#: Milliseconds for page-level waits (a cold JupyterLab on a slow machine takes a while).
PAGE_TIMEOUT = 120_000
#: Seconds for the whole notebook to run once started.
RUN_TIMEOUT = 180.0
#: Settings that keep the page quiet and deterministic: no news or update toasts, and every
#: cell attached to the DOM (no windowing), so outputs can be inspected wherever they are.
LAB_SETTINGS = {
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {
        "fetchNews": "false",
        "checkForUpdates": False,
        "doNotDisturbMode": True,
    },
    "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {"windowingMode": "none"},
}


@dataclass(frozen=True)
class Frontend:
    """A Jupyter front end: its server module, how it opens a notebook, and the suffix of
    its screenshots' names ("" for JupyterLab, "-notebook7")."""

    name: str
    module: str
    notebook_url: str
    suffix: str
    extra_args: tuple[str, ...] = ()


JUPYTERLAB = Frontend(
    "JupyterLab",
    "jupyterlab",
    "/lab/tree/{path}",
    "",
    (
        "--LabApp.check_for_updates_class=jupyter.NeverCheckForUpdate",
        "--LabApp.extension_manager=readonly",
    ),
)
NOTEBOOK7 = Frontend("Notebook 7", "notebook", "/notebooks/{path}", "-notebook7")


def skip_without_requirements(frontend: Frontend) -> None:
    """Skip the test unless chromium, ``frontend``'s server module and playwright are here."""
    if not CHROMIUM.exists():
        pytest.skip(
            f"the browser test needs Debian's chromium at {CHROMIUM} (apt install chromium)"
        )
    pytest.importorskip(
        frontend.module, reason=f"the {frontend.name} test needs {frontend.module} (pip install)"
    )
    pytest.importorskip("playwright.sync_api", reason="the browser test needs playwright (pip)")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Lab:
    """A running Jupyter server: its front end, address, token, log and notebooks folder."""

    frontend: Frontend
    url: str
    token: str
    log: Path
    root: Path

    def api(self, path: str, method: str = "GET") -> int:
        request = urllib.request.Request(
            f"{self.url}{path}", method=method, headers={"Authorization": f"token {self.token}"}
        )
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status

    def sessions(self) -> list[dict]:
        request = urllib.request.Request(
            f"{self.url}/api/sessions", headers={"Authorization": f"token {self.token}"}
        )
        with urllib.request.urlopen(request, timeout=5) as response:
            return json.load(response)

    def restart_kernel(self, notebook: str) -> None:
        """Restart the kernel of ``notebook``'s session through the server's REST API."""
        for session in self.sessions():
            if session.get("path", "").endswith(notebook):
                self.api(f"/api/kernels/{session['kernel']['id']}/restart", method="POST")
                return
        pytest.fail(f"no session for {notebook}")

    def shot(self, name: str) -> Path:
        """Where a screenshot called ``name`` (e.g. "dashboard.png") of this front end goes."""
        stem, extension = name.rsplit(".", 1)
        BUILD.mkdir(exist_ok=True)
        return BUILD / f"{stem}{self.frontend.suffix}.{extension}"

    def wait_for_idle_kernel(self, notebook: str, timeout: float = 120.0) -> None:
        """Wait until the server has a session for ``notebook`` whose kernel is idle."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for session in self.sessions():
                kernel = session.get("kernel") or {}
                if (
                    session.get("path", "").endswith(notebook)
                    and kernel.get("execution_state") == "idle"
                ):
                    return
            time.sleep(0.3)
        pytest.fail(f"no idle kernel for {notebook} within {timeout} s:\n{self.log_tail()}")

    def log_tail(self, lines: int = 60) -> str:
        text = self.log.read_text(errors="replace") if self.log.exists() else ""
        return "\n".join(text.splitlines()[-lines:])


@pytest.fixture(params=[JUPYTERLAB, NOTEBOOK7], ids=["jupyterlab", "notebook7"])
def jupyter(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Lab]:
    """A Jupyter server (JupyterLab or Notebook 7) of this environment, serving a copy of
    notebooks/ with its own config, data, runtime and settings dirs; shut down after."""
    frontend: Frontend = request.param
    skip_without_requirements(frontend)
    with serve(frontend, tmp_path) as lab:
        yield lab


@contextlib.contextmanager
def serve(frontend: Frontend, tmp_path: Path) -> Iterator[Lab]:
    """Run the server of ``frontend`` as the ``jupyter`` fixture describes, until the end of
    the ``with`` block."""
    root = tmp_path / "notebooks"
    shutil.copytree(ROOT / "notebooks", root)
    kernel_dir = tmp_path / "data" / "kernels" / "python3"
    kernel_dir.mkdir(parents=True)
    spec = {
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": KERNEL_NAME,
        "language": "python",
    }
    (kernel_dir / "kernel.json").write_text(json.dumps(spec))
    settings = tmp_path / "config" / "lab" / "user-settings"
    for name, values in LAB_SETTINGS.items():
        path = settings / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(values))
    env = {
        **os.environ,
        "JUPYTER_CONFIG_DIR": str(tmp_path / "config"),
        "JUPYTER_DATA_DIR": str(tmp_path / "data"),
        "JUPYTER_RUNTIME_DIR": str(tmp_path / "runtime"),
        "JUPYTER_PATH": os.pathsep.join(
            filter(None, [str(tmp_path / "data"), os.environ.get("JUPYTER_PATH")])
        ),
        "IPYTHONDIR": str(tmp_path / "ipython"),
        "JUPYTERLAB_SETTINGS_DIR": str(settings),
        "JUPYTERLAB_WORKSPACES_DIR": str(tmp_path / "workspaces"),
    }
    env.pop("MPLBACKEND", None)
    port, token = _free_port(), secrets.token_hex(16)
    command = [
        sys.executable,
        "-m",
        frontend.module,
        "--no-browser",
        "--ServerApp.ip=127.0.0.1",
        f"--ServerApp.port={port}",
        "--ServerApp.port_retries=0",
        f"--IdentityProvider.token={token}",
        f"--ServerApp.root_dir={root}",
        "--ServerApp.terminals_enabled=False",
        *frontend.extra_args,
    ]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        command.append("--allow-root")  # containers and CI often run as root
    log = tmp_path / "jupyter-server.log"
    with log.open("w") as output:
        process = subprocess.Popen(
            command, stdout=output, stderr=subprocess.STDOUT, env=env, cwd=tmp_path
        )
    lab = Lab(frontend, f"http://127.0.0.1:{port}", token, log, root)
    try:
        deadline = time.monotonic() + 90
        while True:
            if process.poll() is not None:
                pytest.fail(f"the server exited with {process.returncode}:\n{lab.log_tail()}")
            with contextlib.suppress(OSError, urllib.error.URLError):
                if lab.api("/api/status") == 200:
                    break
            if time.monotonic() > deadline:
                pytest.fail(f"the server did not answer within 90 s:\n{lab.log_tail()}")
            time.sleep(0.3)
        yield lab
    finally:
        with contextlib.suppress(OSError, urllib.error.URLError):
            lab.api("/api/shutdown", method="POST")  # also shuts the kernels down
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            process.terminate()
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def accept_kernel_dialog(page) -> None:
    """Accept a "Select Kernel" dialog if JupyterLab asks (the preselected kernel is ours)."""
    dialog = page.locator(".jp-Dialog", has_text="Select Kernel")
    with contextlib.suppress(Exception):
        dialog.wait_for(state="visible", timeout=3_000)
        dialog.locator(".jp-Dialog-button.jp-mod-accept").click()


def show(element) -> None:
    """Scroll the notebook so that ``element`` starts at the top of the view."""
    element.evaluate("el => el.scrollIntoView({block: 'start'})")
    element.page.wait_for_timeout(300)


def cell_errors(page) -> list[str]:
    """The texts of error and stderr outputs that mention an error or a traceback."""
    with contextlib.suppress(Exception):
        outputs = page.locator(f'.jp-RenderedText[data-mime-type="{STDERR}"]').all_inner_texts()
        return [t for t in outputs if "Traceback" in t or "Error" in t]
    return ["(the page could not be read)"]


def open_notebook(page, jupyter: Lab, notebook: str):
    """Open ``notebook`` and wait for its idle kernel; returns the notebook panel locator."""
    from playwright.sync_api import expect

    page.set_default_timeout(PAGE_TIMEOUT)
    path = jupyter.frontend.notebook_url.format(path=notebook)
    page.goto(f"{jupyter.url}{path}?token={jupyter.token}")
    panel = page.locator(".jp-NotebookPanel").first
    expect(panel.locator(".jp-CodeCell").first).to_be_visible(timeout=PAGE_TIMEOUT)
    jupyter.wait_for_idle_kernel(notebook)  # the server side: a session, idle
    if jupyter.frontend is JUPYTERLAB:  # Notebook 7 has no status bar
        kernel_status = page.locator(".jp-StatusBar-Widget", has_text=KERNEL_NAME)
        expect(kernel_status).to_contain_text("Idle", timeout=PAGE_TIMEOUT)
    expect(idle_indicator(panel)).to_have_count(1, timeout=PAGE_TIMEOUT)
    return panel


def idle_indicator(panel):
    """The notebook's execution indicator, when it says idle."""
    return panel.locator(".jp-Notebook-ExecutionIndicator[data-status='idle']")


def run_all(page) -> None:
    """Run > Run All Cells, as a reader would."""
    page.locator(".lm-MenuBar-itemLabel", has_text=re.compile(r"^Run$")).click()
    page.locator(".lm-Menu-itemLabel", has_text=re.compile(r"^Run All Cells$")).click()
    accept_kernel_dialog(page)


def wait_until_every_cell_ran(panel, after: int = 0) -> list[int]:
    """Wait until every code cell shows an execution count above ``after`` and the kernel is
    idle; returns the counts."""
    from playwright.sync_api import expect

    prompts = panel.locator(".jp-CodeCell .jp-InputPrompt")
    deadline = time.monotonic() + RUN_TIMEOUT
    counts: list[int | None] = []
    while time.monotonic() < deadline:
        counts = [_count(text) for text in prompts.all_inner_texts()]
        if counts and all(count is not None and count > after for count in counts):
            break
        panel.page.wait_for_timeout(250)
    else:
        pytest.fail(f"not every cell finished: prompts {counts}")
    expect(idle_indicator(panel)).to_have_count(1, timeout=PAGE_TIMEOUT)
    return counts  # type: ignore[return-value]


def _count(prompt: str) -> int | None:
    match = re.fullmatch(r"\[(\d+)\]:", prompt.strip())
    return int(match.group(1)) if match else None


def launch_browser(playwright):
    """Headless Debian chromium, and a page of a size that shows a widget whole."""
    browser = playwright.chromium.launch(
        executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
    )
    return browser, browser.new_page(viewport={"width": 1400, "height": 1000})


def failure(
    page, jupyter: Lab, name: str, error: BaseException, context: str = ""
) -> AssertionError:
    """An ``AssertionError`` that tells what went wrong in the page: ``error``, ``context``,
    the cells' errors, a screenshot (``build/NAME-failure.png``) and the server log's end."""
    shot = jupyter.shot(f"{name}-failure.png")
    with contextlib.suppress(Exception):
        page.screenshot(path=str(shot))
    return AssertionError(
        f"{error}\n\n{context}\ncell errors: {cell_errors(page)}\nscreenshot: {shot}\n"
        f"server log:\n{jupyter.log_tail(30)}"
    )
