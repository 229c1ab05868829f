"""``marketsim tui`` in a real terminal: tmux runs it, keys go in with send-keys, the screen
comes back with capture-pane, and another client sees the order it placed."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterator

import pytest

from marketsim.session import launch

DEADLINE = 20.0

pytestmark = pytest.mark.skipif(
    shutil.which("tmux") is None, reason="needs tmux (.ci/run installs it: apt-get install tmux)"
)


class Tmux:
    """One tmux server of its own (a private socket), with one session of a given size."""

    def __init__(self, command: list[str], width: int, height: int) -> None:
        self.socket = f"marketsim-test-{os.getpid()}"
        self.tmux("new-session", "-d", "-s", "tui", "-x", str(width), "-y", str(height),
                  " ".join(command))  # fmt: skip

    def tmux(self, *args: str) -> str:
        return subprocess.run(
            ["tmux", "-L", self.socket, *args],
            capture_output=True, text=True, timeout=DEADLINE, check=True,
        ).stdout  # fmt: skip

    def screen(self) -> str:
        return self.tmux("capture-pane", "-p", "-t", "tui")

    def keys(self, *keys: str) -> None:
        for key in keys:  # one at a time: the app moves focus between fields on Tab
            self.tmux("send-keys", "-t", "tui", key)
            time.sleep(0.15)

    def wait_for(self, condition: Callable[[str], bool], what: str) -> str:
        deadline = time.monotonic() + DEADLINE
        while True:
            try:
                screen = self.screen()
            except subprocess.CalledProcessError:
                screen = ""  # the session is gone
            if condition(screen):
                return screen
            assert time.monotonic() < deadline, f"timed out waiting for {what}:\n{screen}"
            time.sleep(0.1)

    def close(self) -> None:
        subprocess.run(["tmux", "-L", self.socket, "kill-server"], capture_output=True, check=False)


@pytest.fixture
def market() -> Iterator:
    market = launch({"ACME": 0.01})
    yield market
    market.stop()


def test_tui_in_tmux_places_an_order_that_another_client_sees_then_quits(market):
    command = [sys.executable, "-m", "marketsim", "tui", "--address", market.address,
               "--owner", "tmuxer", "--symbol", "ACME"]  # fmt: skip
    terminal = Tmux(command, 80, 24)
    try:
        terminal.wait_for(lambda screen: "LIVE" in screen, "the screen to connect")

        terminal.keys("b", "3", "Tab", "9", "9", ".", "5", "0", "Enter")
        screen = terminal.wait_for(lambda s: "as order 1" in s, "the order's explanation")
        assert "buy 3 @ 99.50 (GTC) as order 1" in screen

        other = market.client(owner="watcher")
        assert other.book("ACME").level_ticks("bid") == [(9950, 3, 1)]
        screen = terminal.wait_for(lambda s: "me 3 #1" in s, "the own order on the ladder")
        assert "99.50" in screen

        terminal.keys("Escape", "q")
        terminal.wait_for(lambda s: s == "", "the app to quit and the session to end")
    finally:
        terminal.close()


def test_ms_tui_runs_the_screen_for_a_launched_market_until_q(tmp_path):
    script = tmp_path / "watch.py"
    script.write_text(
        "import marketsim as ms\n"
        "market = ms.launch({'ACME': 0.01})\n"
        "market.client(owner='al').submit('ACME', 'sell', 4, 100.25)\n"
        "ms.tui(market)\n"
        "market.stop()\n"
        f"open({str(tmp_path / 'done')!r}, 'w').write('quit cleanly')\n"
    )
    terminal = Tmux([sys.executable, str(script)], 80, 24)
    try:
        screen = terminal.wait_for(lambda s: "100.25" in s and "LIVE" in s, "the launched market")
        assert "4" in screen.split("100.25")[0].splitlines()[-1]  # its size on the same row
        terminal.keys("q")
        terminal.wait_for(lambda s: s == "", "the script to end")
    finally:
        terminal.close()
    assert (tmp_path / "done").read_text() == "quit cleanly"


def test_demo_on_a_terminal_shows_the_agents_trading_in_the_screen_then_plots(tmp_path):
    out = tmp_path / "plots"
    command = [sys.executable, "-m", "marketsim", "demo", "--seconds", "4", "--out", str(out)]
    terminal = Tmux(command, 100, 30)
    try:
        terminal.wait_for(lambda s: "LIVE" in s and "spread" in s, "the agents' book")
        terminal.wait_for(lambda s: " buy " in s or " sell " in s, "trades on the tape")
        terminal.wait_for(lambda s: s == "", "the demo to end by itself")
    finally:
        terminal.close()
    assert sorted(path.name for path in out.iterdir()) == [
        "depth.png",
        "price_spread.png",
        "trades.png",
    ]
