"""Notebook 04 as a class uses it, in a real JupyterLab and Notebook 7 (headless Chromium).

The reader runs the cells one by one, watches the dashboard go live (an image, a seq that
advances), places an order with the ticket, then presses Run All twice. After each run a
census cell (added to the test's copy of the notebook) counts, in the kernel, marketsim's
threads, the tasks on the kernel's loop and on marketsim's IO loop, and the listening sockets
of the kernel process: after three runs they must equal those after one (the IO loop's count
within a few requests in flight), so no run left anything behind. Then the kernel is
restarted: the dashboard left on the page must say, by itself, that it stopped.

Screenshots in ``build/``: ``dashboard.png`` (live, after the runs), ``dashboard-stale.png``
(after the restart), ``*-notebook7.png`` for Notebook 7, ``*-failure.png`` on failure.
"""

from __future__ import annotations

import json
import re
import time

import pytest
from jupyter_support import (
    PAGE_TIMEOUT,
    RUN_TIMEOUT,
    Lab,
    cell_errors,
    failure,
    launch_browser,
    open_notebook,
    run_all,
    show,
    wait_until_every_cell_ran,
)

NOTEBOOK = "04_live_dashboard.ipynb"
pytestmark = pytest.mark.timeout(900)

#: Counts what a run leaves in the kernel; printed as one line "CENSUS {json}".
CENSUS_CELL = """\
import asyncio as _asyncio, json as _json, os as _os, threading as _threading
from marketsim import runtime as _runtime

def _listening_sockets():
    inodes = set()
    for fd in _os.listdir("/proc/self/fd"):
        try:
            link = _os.readlink(f"/proc/self/fd/{fd}")
        except OSError:
            continue
        if link.startswith("socket:["):
            inodes.add(link[8:-1])
    count = 0
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with open(table) as rows:
            for row in list(rows)[1:]:
                fields = row.split()
                count += fields[3] == "0A" and fields[9] in inodes  # 0A: LISTEN
    return count

async def _io_tasks():
    return len(_asyncio.all_tasks())

await _asyncio.sleep(3)  # the previous run's views finish stopping on this loop
print("CENSUS " + _json.dumps({
    "threads": sorted(t.name for t in _threading.enumerate() if "marketsim" in t.name),
    "kernel_tasks": len(_asyncio.all_tasks()),
    "io_tasks": await _asyncio.wait_for(_asyncio.wrap_future(_runtime.submit(_io_tasks())), 10),
    "listening_sockets": _listening_sockets(),
}))
"""


def _add_census_cell(jupyter: Lab) -> None:
    path = jupyter.root / NOTEBOOK
    notebook = json.loads(path.read_text())
    notebook["cells"].append(
        {"cell_type": "code", "execution_count": None, "id": "census", "metadata": {},
         "outputs": [], "source": CENSUS_CELL}
    )  # fmt: skip
    path.write_text(json.dumps(notebook))


def _assert_nothing_left_behind(censuses: list[dict]) -> None:
    """Every run leaves what one run does. Threads, listening sockets and the kernel loop's
    tasks must match exactly; the IO loop also carries the agents' requests in flight, a few
    that come and go, so there a small difference is allowed: a run left behind adds about
    forty tasks there (and a thread, a socket and fourteen kernel tasks)."""
    first = censuses[0]
    for later in censuses[1:]:
        for key in ("threads", "listening_sockets", "kernel_tasks"):
            assert later[key] == first[key], f"runs left {key} behind: {censuses}"
        assert abs(later["io_tasks"] - first["io_tasks"]) <= 10, f"IO tasks grew: {censuses}"


def _census(panel) -> dict:
    text = panel.locator(".jp-CodeCell").last.locator(".jp-OutputArea").inner_text()
    match = re.search(r"CENSUS (\{.*\})", text)
    assert match, f"no census in the last cell's output: {text!r}"
    return json.loads(match.group(1))


def _seq(text: str) -> int | None:
    match = re.fullmatch(r"seq (\d+)", text.strip())
    return int(match.group(1)) if match else None


def _run_cells_one_by_one(page, panel) -> None:
    """Select each code cell in turn and run it (Ctrl+Enter), as a reader steps through; each
    is queued ("[*]") or done before the next."""
    cells = panel.locator(".jp-CodeCell")
    for index in range(cells.count()):
        cell = cells.nth(index)
        cell.locator(".jp-InputPrompt").click()
        page.keyboard.press("Control+Enter")
        prompt = cell.locator(".jp-InputPrompt")
        deadline = time.monotonic() + 30
        while prompt.inner_text().strip() in ("[ ]:", "") and time.monotonic() < deadline:
            page.wait_for_timeout(100)


def test_notebook_04_as_a_class_runs_it(jupyter: Lab) -> None:
    from playwright.sync_api import expect, sync_playwright

    timings: dict[str, float] = {}
    started = time.monotonic()

    def mark(stage: str) -> None:
        timings[stage] = round(time.monotonic() - started, 1)

    _add_census_cell(jupyter)
    seen: list[int] = []
    censuses: list[dict] = []
    with sync_playwright() as playwright:
        browser, page = launch_browser(playwright)
        try:
            panel = open_notebook(page, jupyter, NOTEBOOK)
            mark("notebook open, kernel idle")

            _run_cells_one_by_one(page, panel)
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
            counts = wait_until_every_cell_ran(panel)
            censuses.append(_census(panel))
            mark("cells run one by one; live image drawn, seq advanced twice")

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
            assert "InvalidCommandError" not in result.inner_text()
            mark("order from the ticket answered")

            for _ in range(2):
                run_all(page)
                counts = wait_until_every_cell_ran(panel, after=max(counts))
                censuses.append(_census(panel))
                mark(f"Run All {len(censuses) - 1} done")
            _assert_nothing_left_behind(censuses)
            badge = panel.locator(".marketsim-liveness").first
            expect(badge).to_have_attribute("data-state", "live")
            expect(panel.locator(".marketsim-ticket-submit").first).to_be_enabled()

            errors = cell_errors(page)
            assert not errors, f"cells show errors: {errors}"
            text = panel.inner_text()
            for bad in ("Traceback", "Error displaying widget", "Error rendering"):
                assert bad not in text, f"the notebook shows {bad!r}"
            show(page.locator(".marketsim-dashboard").first)
            page.screenshot(path=str(jupyter.shot("dashboard.png")))

            # A restart leaves the old output on the page; it must not pass for a live one.
            jupyter.restart_kernel(NOTEBOOK)
            expect(panel.locator(".marketsim-badge-stale").first).to_be_visible(timeout=30_000)
            expect(panel.locator(".marketsim-badge-live").first).to_be_hidden()
            assert "stopped" in badge.inner_text()
            page.screenshot(path=str(jupyter.shot("dashboard-stale.png")))
            mark("kernel restarted; the dashboard says it stopped")
        except (Exception, pytest.fail.Exception) as error:
            context = f"stages done: {timings}\ncensuses: {censuses}"
            raise failure(page, jupyter, "dashboard", error, context) from error
        finally:
            browser.close()

    report = "\n".join(f"{seconds:6.1f} s  {stage}" for stage, seconds in timings.items())
    jupyter.shot("dashboard-timings.txt").write_text(
        f"{jupyter.frontend.name}\n{report}\nseq seen live: {seen}\ncensus: {censuses[0]}\n"
    )
    print(f"\n{jupyter.frontend.name}\n{report}\nseq seen live: {seen}\ncensus: {censuses}")
