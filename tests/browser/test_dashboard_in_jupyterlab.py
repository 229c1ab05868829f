"""The live dashboard notebook in a real JupyterLab (and Notebook 7), in headless Chromium.

Starts the Jupyter server on 127.0.0.1 (a free port, a random token, private config, data,
runtime, settings and IPython dirs, root dir a temporary copy of ``notebooks/``, kernel
"python3" pointed at this interpreter), opens ``04_live_dashboard.ipynb`` with Playwright,
runs all cells from the Run menu, and checks in the page that the live widget drew an image,
that the seq in its label advanced at least twice, that an order placed by clicking the ticket
shows its result, that every cell finished and none shows an error, and that the picture stays
once the last cell stopped everything.

Screenshots: ``build/dashboard.png`` (JupyterLab, at the end), ``build/dashboard-live.png``
(while live) and ``build/dashboard-notebook7*.png``; on failure ``build/*-failure.png``. Stage
timings are printed (``-s``) and written to ``build/dashboard*-timings.txt``.

Needs ``jupyterlab`` (``notebook`` for the Notebook 7 run) and ``playwright`` (Python) in the
environment, and Debian's chromium at ``/usr/bin/chromium`` (Playwright's own browser
downloads are not used); skips otherwise.
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
NOTEBOOK = "04_live_dashboard.ipynb"
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

pytestmark = pytest.mark.timeout(600)


@dataclass(frozen=True)
class Frontend:
    """A Jupyter front end: its server module, how it opens a notebook, where its shot goes."""

    name: str
    module: str
    notebook_url: str
    screenshot: str
    extra_args: tuple[str, ...] = ()


JUPYTERLAB = Frontend(
    "JupyterLab",
    "jupyterlab",
    "/lab/tree/{path}",
    "dashboard.png",
    (
        "--LabApp.check_for_updates_class=jupyter.NeverCheckForUpdate",
        "--LabApp.extension_manager=readonly",
    ),
)
NOTEBOOK7 = Frontend("Notebook 7", "notebook", "/notebooks/{path}", "dashboard-notebook7.png")


def _requirements(frontend: Frontend) -> None:
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
    frontend: Frontend
    url: str
    token: str
    log: Path

    def api(self, path: str, method: str = "GET") -> int:
        request = urllib.request.Request(
            f"{self.url}{path}", method=method, headers={"Authorization": f"token {self.token}"}
        )
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status

    def wait_for_idle_kernel(self, notebook: str, timeout: float = 120.0) -> None:
        """Wait until the server has a session for ``notebook`` whose kernel is idle."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            request = urllib.request.Request(
                f"{self.url}/api/sessions", headers={"Authorization": f"token {self.token}"}
            )
            with urllib.request.urlopen(request, timeout=5) as response:
                sessions = json.load(response)
            for session in sessions:
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
    _requirements(frontend)
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
    lab = Lab(frontend, f"http://127.0.0.1:{port}", token, log)
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


def _accept_kernel_dialog(page) -> None:
    """Accept a "Select Kernel" dialog if JupyterLab asks (the preselected kernel is ours)."""
    dialog = page.locator(".jp-Dialog", has_text="Select Kernel")
    with contextlib.suppress(Exception):
        dialog.wait_for(state="visible", timeout=3_000)
        dialog.locator(".jp-Dialog-button.jp-mod-accept").click()


def _show(element) -> None:
    """Scroll the notebook so that ``element`` starts at the top of the view."""
    element.evaluate("el => el.scrollIntoView({block: 'start'})")
    element.page.wait_for_timeout(300)


def _cell_errors(page) -> list[str]:
    """The texts of error and stderr outputs that mention an error or a traceback."""
    with contextlib.suppress(Exception):
        outputs = page.locator(f'.jp-RenderedText[data-mime-type="{STDERR}"]').all_inner_texts()
        return [t for t in outputs if "Traceback" in t or "Error" in t]
    return ["(the page could not be read)"]


def _seq(text: str) -> int | None:
    match = re.fullmatch(r"seq (\d+)", text.strip())
    return int(match.group(1)) if match else None


def test_live_dashboard_notebook_runs_and_updates_in_the_browser(jupyter: Lab) -> None:
    from playwright.sync_api import expect, sync_playwright

    timings: dict[str, float] = {}
    started = time.monotonic()

    def mark(stage: str) -> None:
        timings[stage] = round(time.monotonic() - started, 1)

    BUILD.mkdir(exist_ok=True)
    seen: list[int] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
        )
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        try:
            page.set_default_timeout(PAGE_TIMEOUT)
            path = jupyter.frontend.notebook_url.format(path=NOTEBOOK)
            page.goto(f"{jupyter.url}{path}?token={jupyter.token}")
            panel = page.locator(".jp-NotebookPanel").first
            idle = panel.locator(".jp-Notebook-ExecutionIndicator[data-status='idle']")
            expect(panel.locator(".jp-CodeCell").first).to_be_visible(timeout=PAGE_TIMEOUT)
            jupyter.wait_for_idle_kernel(NOTEBOOK)  # the server side: a session, idle
            if jupyter.frontend is JUPYTERLAB:  # Notebook 7 has no status bar
                kernel_status = page.locator(".jp-StatusBar-Widget", has_text=KERNEL_NAME)
                expect(kernel_status).to_contain_text("Idle", timeout=PAGE_TIMEOUT)
            expect(idle).to_have_count(1, timeout=PAGE_TIMEOUT)
            mark("notebook open, kernel idle")

            page.locator(".lm-MenuBar-itemLabel", has_text=re.compile(r"^Run$")).click()
            page.locator(".lm-Menu-itemLabel", has_text=re.compile(r"^Run All Cells$")).click()
            _accept_kernel_dialog(page)

            # The live widget: an image, and a seq label that advances at least twice.
            image = panel.locator("img.marketsim-livebook-image").first
            label = panel.locator(".marketsim-seq").first
            expect(image).to_be_attached(timeout=PAGE_TIMEOUT)
            deadline = time.monotonic() + RUN_TIMEOUT
            while len(seen) < 3 and time.monotonic() < deadline:
                value = _seq(label.inner_text())
                if value is not None and (not seen or value > seen[-1]):
                    seen.append(value)
                page.wait_for_timeout(150)
            assert len(seen) >= 3, f"the seq label did not advance twice: {seen}"
            assert image.evaluate("img => img.complete && img.naturalWidth > 0")
            mark("live image drawn, seq advanced twice")

            # The reader's part: an order placed with the ticket shows its result.
            ticket_price = panel.locator(".marketsim-ticket-price input").first
            ticket_price.fill("99.5")
            ticket_price.press("Tab")
            ticket_qty = panel.locator(".marketsim-ticket-qty input").first
            ticket_qty.fill("3")
            ticket_qty.press("Tab")
            panel.locator("button.marketsim-ticket-submit").first.click()
            result = panel.locator(".marketsim-ticket-result").first
            expect(result).to_contain_text("buy 3 @ 99.5 GTC", timeout=30_000)
            expect(result).to_contain_text(re.compile(r"order \d+: "), timeout=PAGE_TIMEOUT)
            _show(page.locator(".marketsim-dashboard").first)
            live_shot = jupyter.frontend.screenshot.replace(".png", "-live.png")
            page.screenshot(path=str(BUILD / live_shot))
            mark("order from the ticket answered")

            # Every cell ran ([n]: prompts) and the kernel is idle again.
            prompts = panel.locator(".jp-CodeCell .jp-InputPrompt")
            deadline = time.monotonic() + RUN_TIMEOUT
            while time.monotonic() < deadline:
                texts = [t.strip() for t in prompts.all_inner_texts()]
                if texts and all(re.fullmatch(r"\[\d+\]:", t) for t in texts):
                    break
                page.wait_for_timeout(250)
            else:
                pytest.fail(f"not every cell finished: prompts {texts}")
            expect(idle).to_have_count(1, timeout=PAGE_TIMEOUT)
            mark("all cells done")

            errors = _cell_errors(page)
            assert not errors, f"cells show errors: {errors}"
            text = panel.inner_text()
            for bad in ("Traceback", "Error displaying widget", "Error rendering"):
                assert bad not in text, f"the notebook shows {bad!r}"
            assert "InvalidCommandError" not in result.inner_text()

            # Stopped: the last picture stays, and says so.
            final_seq = _seq(label.inner_text())
            assert final_seq is not None and final_seq >= seen[-1]
            status = panel.locator(".marketsim-status").first.inner_text()
            assert status.startswith("stopped"), status
            assert image.evaluate("img => img.complete && img.naturalWidth > 0")
            _show(page.locator(".marketsim-dashboard").first)
            page.screenshot(path=str(BUILD / jupyter.frontend.screenshot))
            mark("screenshot saved")
        except (Exception, pytest.fail.Exception) as error:
            shot = BUILD / jupyter.frontend.screenshot.replace(".png", "-failure.png")
            with contextlib.suppress(Exception):
                page.screenshot(path=str(shot))
            raise AssertionError(
                f"{error}\n\nstages done: {timings}\ncell errors: {_cell_errors(page)}\n"
                f"screenshot: {shot}\nserver log:\n{jupyter.log_tail(30)}"
            ) from error
        finally:
            browser.close()

    report = "\n".join(f"{seconds:6.1f} s  {stage}" for stage, seconds in timings.items())
    name = jupyter.frontend.name
    timings_file = BUILD / jupyter.frontend.screenshot.replace(".png", "-timings.txt")
    timings_file.write_text(f"{name}\n{report}\nseq seen live: {seen}\n")
    print(f"\n{name}\n{report}\nseq seen live: {seen}; final {final_seq}; status: {status}")
