"""Screenshots of the main screen at 80x24 and 160x48, compared with the committed ones.

The screen is fed a fixed market (a seeded random flow with fixed timestamps, two own orders)
without a server, so every run draws the same picture. Textual exports an SVG; the test
compares the characters of every cell (read back from the SVG) with the committed text of
the snapshot, so a change of layout or content fails while Textual's styling details may
change between versions. ``MARKETSIM_UPDATE_SNAPSHOTS=1`` rewrites the snapshots (and the
README's screenshot): look at them before committing.
"""

from __future__ import annotations

import html
import os
import re
from itertools import pairwise
from pathlib import Path
from types import SimpleNamespace

import pandas as pd
import pytest
from random_flow import RandomFlow

from marketsim import OrderBook
from marketsim.tui.app import TraderApp
from marketsim.tui.state import TraderState

SNAPSHOTS = Path(__file__).parent / "snapshots"
README_SCREENSHOT = Path(__file__).resolve().parents[2] / "docs" / "tui.svg"
START_NS = pd.Timestamp("2024-03-01 14:30", tz="UTC").value
ORDER_GAP_NS = 50_000_000
UPDATE = os.environ.get("MARKETSIM_UPDATE_SNAPSHOTS") == "1"


def market_state() -> TraderState:
    """A busy ACME book after 800 random orders, with two resting orders of the user."""
    book = OrderBook("ACME", tick_size=0.01)
    flow = RandomFlow(book.instrument, seed=4)
    state = TraderState("ACME")
    state.symbols = ["ACME", "XYZ"]
    state.reset(book.instrument, 0, [], [])
    ts_event = START_NS
    for order in flow.orders(800):
        ts_event += ORDER_GAP_NS
        state.apply(book.submit(**order, ts_event=ts_event, owner="crowd").events)
    for side, qty, price in (("buy", 4, 99.97), ("sell", 2, 100.06)):
        ts_event += ORDER_GAP_NS
        mine = book.submit(side, qty, price, owner="me", ts_event=ts_event)
        state.apply(mine.events)
        state.own(mine.order_id)
    state.set_connection("live", "live")
    return state


def svg_cells(svg: str) -> list[str]:
    """The screen's text, one string per row, read from Rich's SVG export."""
    # Rich lays the text out on a grid: x and y are multiples of the cell's width and height.
    cells: dict[int, dict[int, str]] = {}
    texts = re.findall(r'<text class="[^"]*" x="([\d.]+)" y="([\d.]+)"[^>]*>(.*?)</text>', svg)
    xs = sorted({float(x) for x, _, _ in texts})
    ys = sorted({float(y) for _, y, _ in texts})
    width = min(b - a for a, b in pairwise(xs) if b - a > 1)
    height = min(b - a for a, b in pairwise(ys) if b - a > 1)
    for x, y, content in texts:
        row, column = round(float(y) / height), round(float(x) / width)
        for offset, char in enumerate(html.unescape(content)):
            cells.setdefault(row, {})[column + offset] = char
    rows = []
    for row in range(min(cells), max(cells) + 1):
        line = cells.get(row, {})
        rows.append("".join(line.get(c, " ") for c in range(max(line, default=-1) + 1)).rstrip())
    return rows


def comparable(rows: list[str]) -> str:
    """The rows with the one measured number (updates per second) masked."""
    return re.sub(r"\d[\d,]* upd/s", "N upd/s", "\n".join(rows).replace("\xa0", " "))


@pytest.mark.parametrize("size", [(80, 24), (160, 48)])
async def test_main_screen_matches_its_snapshot(size):
    async def account(symbol):
        return SimpleNamespace(position=6, avg_price=100.02, realized_pnl=1.5, total_pnl=2.25)

    app = TraderApp("127.0.0.1:1", "ACME", state=market_state(), follow=False)
    app.feed.account = await account("ACME")
    app.feed.account_note = ""
    async with app.run_test(size=size) as pilot:
        await pilot.pause()
        app.redraw()
        await pilot.pause()
        svg = app.export_screenshot(title=f"marketsim tui ({size[0]}x{size[1]})")

    width, height = size
    expected = SNAPSHOTS / f"main_{width}x{height}.txt"
    screen = comparable(svg_cells(svg))
    if UPDATE:
        SNAPSHOTS.mkdir(exist_ok=True)
        expected.write_text(screen + "\n")
        (SNAPSHOTS / f"main_{width}x{height}.svg").write_text(svg)
        if size == (160, 48):
            README_SCREENSHOT.parent.mkdir(exist_ok=True)
            README_SCREENSHOT.write_text(svg)
    assert len(screen.splitlines()) == height
    assert screen == expected.read_text().rstrip("\n")
