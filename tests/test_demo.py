"""``marketsim demo``: a short self-trading market ends cleanly and leaves three real plots."""

from __future__ import annotations

import re
import subprocess
import sys
import threading
from pathlib import Path

import numpy as np
import pytest
from matplotlib.image import imread

from marketsim.client import BookSnapshot
from marketsim.core import Instrument, OrderBook, Trade
from marketsim.demo import RandomFlow, paint, render, run_demo

PLOTS = ("depth.png", "price_spread.png", "trades.png")
REPO_ROOT = Path(__file__).resolve().parents[1]


def assert_real_plot(path: Path) -> None:
    """A readable PNG of a reasonable size with more than one colour in it."""
    image = imread(path)
    height, width = image.shape[:2]
    assert height >= 300 and width >= 500
    assert len(np.unique(image.reshape(-1, image.shape[-1]), axis=0)) > 20


def test_run_demo_trades_for_the_given_time_then_writes_three_plots(tmp_path, capsys):
    paths = run_demo(seconds=2, out_dir=tmp_path)

    assert [path.name for path in paths] == list(PLOTS)
    for name in PLOTS:
        assert_real_plot(tmp_path / name)
    output = capsys.readouterr().out
    assert (
        "trades" in output
        and f"wrote depth.png, price_spread.png, trades.png to {tmp_path}" in output
    )


def test_run_demo_leaves_no_threads_but_daemon_ones(tmp_path):
    run_demo(seconds=1, out_dir=tmp_path)

    lingering = [
        t for t in threading.enumerate() if not t.daemon and t is not threading.main_thread()
    ]
    assert lingering == []
    assert not any(t.name == "marketsim-demo-recorder" for t in threading.enumerate())


@pytest.mark.timeout(60)
def test_demo_command_runs_as_a_subprocess_and_writes_the_plots(tmp_path):
    completed = subprocess.run(
        [sys.executable, "-m", "marketsim", "demo", "--seconds", "2", "--out", str(tmp_path)],
        capture_output=True,
        text=True,
        cwd=REPO_ROOT,
        timeout=45,
        check=False,
    )

    assert completed.returncode == 0, completed.stderr
    assert "wrote depth.png" in completed.stdout
    assert "\x1b[" not in completed.stdout  # not a terminal: plain lines, no escape codes
    for name in PLOTS:
        assert_real_plot(tmp_path / name)


def test_random_flow_with_the_same_seed_sends_the_same_orders():
    instrument = Instrument("ACME", "0.01")

    first, second = RandomFlow(instrument, seed=5), RandomFlow(instrument, seed=5)

    assert first.orders(200) == second.orders(200)
    assert first.take_cancels(list(range(50)), 10) == second.take_cancels(list(range(50)), 10)


def test_screen_shows_asks_above_the_spread_above_bids_and_the_newest_trade_first():
    book = OrderBook("ACME", tick_size=0.01)
    book.submit("sell", 4, 100.02)
    book.submit("sell", 6, 100.05)
    book.submit("buy", 7, 99.98)
    snapshot = BookSnapshot(
        "ACME",
        book.seq,
        0,
        book.instrument,
        tuple(book.level_ticks("bid")),
        tuple(book.level_ticks("ask")),
    )
    trades = [
        Trade(1, 1_000_000, 1, 10002, 3, "buy", 1, 9, "", ""),
        Trade(2, 2_000_000, 2, 9998, 1, "sell", 3, 10, "", ""),
    ]

    lines = [paint(line) for line in render(snapshot, trades, "status")]

    plain = [re.sub(r"\x1b\[[0-9;]*m", "", line) for line in lines]  # without colours
    assert plain[0] == "status"
    assert [line.split()[:3] for line in plain[3:7]] == [
        ["ask", "100.05", "6"],
        ["ask", "100.02", "4"],
        ["spread", "0.04", "mid"],
        ["bid", "99.98", "7"],
    ]
    assert "00:00:00.002  sell      1     99.98" in plain[3]
    assert "00:00:00.001  buy       3    100.02" in plain[4]
    assert lines[3].startswith("\x1b[31mask")  # asks in red
