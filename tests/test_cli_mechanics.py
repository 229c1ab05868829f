"""Stops, icebergs, self-trade prevention and phases from the command line, on a served market."""

from __future__ import annotations

from test_cli import run, serve  # noqa: F401  (serve is a fixture)


def test_stops_icebergs_stp_and_phases_from_the_command_line(serve):  # noqa: F811
    _, address = serve

    def cli(*args: str, owner: str = "al") -> str:
        done = run(*args[:1], "--address", address, "--owner", owner, *args[1:])
        assert done.returncode == 0, done.stderr
        return done.stdout

    iceberg = cli("submit", "ACME", "sell", "10", "100.05", "--display", "2")
    assert "sell 10 @ 100.05 (GTC), iceberg showing 2 at a time as order 1" in iceberg
    assert "ask  100.05     2       1" in cli("book", "ACME")  # only the slice shows

    stop = cli("submit", "ACME", "buy", "3", "--stop", "100.05", owner="bo")
    assert "stop pending, unseen in the book, until a trade at or above 100.05" in stop
    cascade = cli("submit", "ACME", "buy", "1", owner="cy")
    assert "reached the stop 100.05 of order 2: it enters now" in cascade
    assert "iceberg 1 shows a new slice of 2 at 100.05" in cascade

    own = cli("submit", "ACME", "buy", "2", "100.05", "--stp", "cancel_newest")
    assert "reason='self_trade_prevented'" in own

    assert "phase continuous -> auction" in cli("phase", "ACME", "auction")
    ioc = cli("submit", "ACME", "buy", "1", "100", "--tif", "IOC")
    assert "reason='auction_phase'" in ioc
    assert "phase auction -> continuous" in cli("phase", "ACME", "continuous")
