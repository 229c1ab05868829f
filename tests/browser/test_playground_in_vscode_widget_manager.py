"""The Playground through the widget manager VS Code uses (headless Chromium): clicks change the
book.

VS Code's Jupyter extension shows ipywidgets 8 outputs in a webview, with the widget manager of
the npm package ``@vscode/jupyter-ipywidgets8`` over a ``@jupyterlab/services`` kernel
connection. VS Code and its extensions cannot be installed here (they come from a marketplace
this machine cannot reach), so ``vscode_host/`` builds a page around that same bundle,
unchanged: it connects to a kernel of a real Jupyter server on 127.0.0.1, executes the code
that shows a ``Playground``, and renders each widget output as VS Code's renderer does (model,
view, attach). Playwright then plays the same steps as in JupyterLab (``playground_steps``) and
the kernel prints the book. Not tested: VS Code's editor, the extension host's relay of kernel
messages, and the notebook UI around the outputs.

Needs, besides the browser test's own requirements, the Node packages of ``vscode_host``
(``make test`` installs them when node and npm exist); skips otherwise. Screenshot:
``build/playground-vscode.png``.
"""

from __future__ import annotations

import contextlib
import json
import shutil
import subprocess
import urllib.request
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from jupyter_support import (
    PAGE_TIMEOUT,
    Frontend,
    Lab,
    launch_browser,
    serve,
    skip_without_requirements,
)
from playground_steps import BOOK_AFTER_PLAY, PRINT_BOOK, play

HOST = Path(__file__).parent / "vscode_host"
NODE_MODULES = HOST / "node_modules"
WIDGET_MANAGER = NODE_MODULES / ".vscode-widgets" / "package" / "dist" / "ipywidgets.js"
#: A plain Jupyter server: the page below is the front end.
JUPYTER_SERVER = Frontend("Jupyter Server", "jupyter_server", "", "-vscode")
#: The cell a student runs.
SHOW_PLAYGROUND = (
    "from marketsim.widgets import Playground\n\nplayground = Playground()\nplayground"
)
#: Milliseconds for the kernel to run one cell's code, its widgets shown.
RUN_TIMEOUT = 60_000
pytestmark = pytest.mark.timeout(600)


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Lab]:
    """A Jupyter server whose static files include the page (at ``/static/index.html``)."""
    skip_without_requirements(JUPYTER_SERVER)
    if not WIDGET_MANAGER.exists():
        pytest.skip(f"run `make test` (needs node and npm) to install {HOST}/node_modules")
    static = tmp_path / "page"
    _build_page(static)
    page_files = f"--ServerApp.extra_static_paths={json.dumps([str(static)])}"
    with serve(replace(JUPYTER_SERVER, extra_args=(page_files,)), tmp_path) as lab:
        yield lab


def _build_page(static: Path) -> None:
    """Put the page's files in ``static``: the host bundled with esbuild, VS Code's widget
    manager and require.js as the npm packages ship them."""
    static.mkdir()
    subprocess.run(
        [NODE_MODULES / ".bin" / "esbuild", HOST / "host.mjs", "--bundle", "--format=esm",
         "--platform=browser", f"--outfile={static / 'host.js'}", "--log-level=warning"],
        check=True, timeout=120,
    )  # fmt: skip
    shutil.copy(HOST / "index.html", static)
    shutil.copy(WIDGET_MANAGER, static)
    shutil.copy(NODE_MODULES / "requirejs" / "require.js", static)


def _start_kernel(lab: Lab) -> str:
    request = urllib.request.Request(
        f"{lab.url}/api/kernels",
        data=json.dumps({"name": "python3"}).encode(),
        method="POST",
        headers={"Authorization": f"token {lab.token}", "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=60) as response:
        return json.load(response)["id"]


def _run(page, code: str) -> dict:
    """Execute ``code`` in the kernel through the page; the text it printed, its errors and
    how many widget outputs it showed."""
    return page.evaluate(
        """([code, timeout]) => Promise.race([
            window.marketsimHost.run(code),
            new Promise((_, reject) => setTimeout(
                () => reject(new Error(`no reply within ${timeout} ms`)), timeout)),
        ])""",
        [code, RUN_TIMEOUT],
    )


def test_clicks_in_the_playground_change_the_book(server: Lab) -> None:
    from playwright.sync_api import sync_playwright

    kernel = _start_kernel(server)
    with sync_playwright() as playwright:
        browser, page = launch_browser(playwright)
        page.set_default_timeout(PAGE_TIMEOUT)
        console: list[str] = []
        page.on("console", lambda message: console.append(message.text))
        try:
            page.goto(f"{server.url}/static/index.html?kernel={kernel}&token={server.token}")
            page.wait_for_function("window.marketsimHost !== undefined")

            shown = _run(page, SHOW_PLAYGROUND)
            assert shown == {"text": "", "errors": [], "widgets": 1}
            playground = page.locator(".marketsim-playground").first
            play(playground, page, server.shot("playground.png"))

            printed = _run(page, PRINT_BOOK)
            assert printed["errors"] == [] and BOOK_AFTER_PLAY in printed["text"]
            log = page.evaluate("window.marketsimHost.log")
            assert not [line for line in log if "failed" in line.lower()], log
        except (Exception, pytest.fail.Exception) as error:
            shot = server.shot("playground-failure.png")
            with contextlib.suppress(Exception):
                page.screenshot(path=str(shot))
            raise AssertionError(
                f"{error}\nscreenshot: {shot}\nconsole: {console[-30:]}\n"
                f"server log:\n{server.log_tail(30)}"
            ) from error
        finally:
            browser.close()
