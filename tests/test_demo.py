"""``marketsim demo``: the sim agents trade a live market, and three real plots remain."""

from __future__ import annotations

import subprocess
import sys
import threading
from pathlib import Path

import numpy as np
import pytest
from matplotlib.image import imread

from marketsim.demo import run_demo

PLOTS = ("depth.png", "price_spread.png", "trades.png")
REPO_ROOT = Path(__file__).resolve().parents[1]


def assert_real_plot(path: Path) -> None:
    """A readable PNG of a reasonable size with more than one colour in it."""
    image = imread(path)
    height, width = image.shape[:2]
    assert height >= 300 and width >= 500
    assert len(np.unique(image.reshape(-1, image.shape[-1]), axis=0)) > 20


def test_plain_demo_runs_the_sim_agents_prints_a_ticker_and_writes_three_plots(tmp_path, capsys):
    paths = run_demo(seconds=2, out_dir=tmp_path, plain=True)

    assert [path.name for path in paths] == list(PLOTS)
    for name in PLOTS:
        assert_real_plot(tmp_path / name)
    output = capsys.readouterr().out
    ticker = [line for line in output.splitlines() if line.startswith("demo ")]
    assert len(ticker) >= 2 and "ACME seq" in ticker[-1]
    assert "orders and cancels from 4 agents" in output
    assert f"wrote depth.png, price_spread.png, trades.png to {tmp_path}" in output


def test_demo_leaves_no_threads_but_daemon_ones(tmp_path):
    run_demo(seconds=1, out_dir=tmp_path, plain=True)

    lingering = [
        t for t in threading.enumerate() if not t.daemon and t is not threading.main_thread()
    ]
    assert lingering == []


@pytest.mark.parametrize("seconds", [0, -1, float("nan")])
def test_demo_refuses_a_duration_that_is_not_positive(seconds, tmp_path):
    with pytest.raises(ValueError, match="seconds must be a positive number"):
        run_demo(seconds=seconds, out_dir=tmp_path)
    assert not any(tmp_path.iterdir())


@pytest.mark.timeout(60)
def test_demo_command_off_a_terminal_prints_plain_lines_and_writes_the_plots(tmp_path):
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
    assert "demo " in completed.stdout  # not a terminal: the ticker, not the screen
    assert "\x1b[" not in completed.stdout + completed.stderr  # no escape codes anywhere
    for name in PLOTS:
        assert_real_plot(tmp_path / name)
