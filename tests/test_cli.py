"""The ``marketsim`` command, run as ``python -m marketsim`` in real child processes."""

from __future__ import annotations

import contextlib
import os
import queue
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator

import pytest

from marketsim.session import launch

READY = re.compile(r"^marketsim listening on (127\.0\.0\.1:(\d+))$")
DEADLINE = 10.0


class Child:
    """A ``python -m marketsim ...`` child whose output lines are read with deadlines."""

    def __init__(self, *args: str) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "marketsim", *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.lines: queue.Queue[str | None] = queue.Queue()
        self.seen: list[str] = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.put(line.rstrip("\n"))
        self.lines.put(None)

    def expect(self, pattern: str, seconds: float = DEADLINE) -> re.Match[str]:
        """The first new output line matching ``pattern`` (fails after ``seconds``)."""
        deadline = time.monotonic() + seconds
        while True:
            try:
                line = self.lines.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                raise AssertionError(f"no line matching {pattern!r} in {self.seen}") from None
            if line is None:
                raise AssertionError(f"output ended without {pattern!r}: {self.seen}")
            self.seen.append(line)
            match = re.search(pattern, line)
            if match:
                return match

    def expect_all(self, *patterns: str, seconds: float = DEADLINE) -> list[re.Match[str]]:
        """One new output line matching each pattern, in whatever order they come."""
        deadline = time.monotonic() + seconds
        found: dict[str, re.Match[str]] = {}
        while len(found) < len(patterns):
            wanted = "|".join(f"(?:{p})" for p in patterns if p not in found)
            line = self.expect(wanted, max(0.0, deadline - time.monotonic())).string
            for pattern in patterns:
                match = re.search(pattern, line)
                if match and pattern not in found:
                    found[pattern] = match
                    break
        return [found[pattern] for pattern in patterns]

    def interrupt(self, seconds: float = DEADLINE) -> tuple[int, str]:
        """Send SIGINT (Ctrl-C); return the exit status and stderr."""
        self.process.send_signal(signal.SIGINT)
        self.process.wait(seconds)
        assert self.process.stderr is not None
        return self.process.returncode, self.process.stderr.read()

    def remaining_output(self) -> list[str]:
        """Every line printed after the last ``expect`` (the process must have exited)."""
        rest = []
        while (line := self.lines.get(timeout=DEADLINE)) is not None:
            rest.append(line)
        return rest

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait(DEADLINE)
        for stream in (self.process.stdout, self.process.stderr):
            if stream is not None:
                stream.close()


@pytest.fixture
def serve() -> Iterator[tuple[Child, str]]:
    """``marketsim serve --port 0``, and the address it printed."""
    child = Child("serve", "--port", "0", "--symbol", "ACME:0.01")
    try:
        address = child.expect(READY.pattern).group(1)
        yield child, address
    finally:
        child.kill()


def run(*args: str, env_extra: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """Run a client command to completion (with ``env_extra`` added to the environment)."""
    return subprocess.run(
        [sys.executable, "-m", "marketsim", *args],
        capture_output=True,
        text=True,
        timeout=DEADLINE * 3,
        env={**os.environ, **(env_extra or {})},
    )


def test_serve_prints_the_address_it_listens_on_and_stops_cleanly_on_sigint(serve):
    child, address = serve
    port = int(address.rsplit(":", 1)[1])
    assert port > 0
    child.expect("Ctrl-C stops")
    with launch_client(address) as client:
        assert client.book("ACME").seq == 0

    status, stderr = child.interrupt()

    assert status == 0, stderr
    assert child.remaining_output() == ["marketsim stopped"]
    assert "Traceback" not in stderr


def test_submit_cancel_and_book_commands_work_against_a_running_server(serve):
    _, address = serve

    placed = run("submit", "ACME", "sell", "10", "100.05", "--address", address, "--owner", "al")
    assert placed.returncode == 0, placed.stderr
    assert "<OrderResult submit order 1: new" in placed.stdout
    assert "sell 10 @ 100.05 (GTC) as order 1" in placed.stdout

    taken = run("submit", "ACME", "buy", "4", "--address", address, "--owner", "bo")
    assert taken.returncode == 0, taken.stderr
    assert "matched order 1: 4 @ 100.05" in taken.stdout

    ladder = run("book", "ACME", "--address", address)
    assert ladder.returncode == 0, ladder.stderr
    lines = ladder.stdout.splitlines()
    assert lines[0] == "ACME (seq 5)"
    assert lines[1].split() == ["side", "price", "size", "orders"]
    assert lines[2].split() == ["ask", "100.05", "6", "1"]
    assert "(no bids)" in ladder.stdout

    refused = run("cancel", "ACME", "1", "--address", address, "--owner", "bo")
    assert refused.returncode == 4  # not your order
    assert (
        refused.stderr.strip()
        == "marketsim: order 1 belongs to another owner; only its owner may change it"
    )

    cancelled = run("cancel", "ACME", "1", "--address", address, "--owner", "al")
    assert cancelled.returncode == 0, cancelled.stderr
    assert "cancel order 1: cancelled, reason='user'" in cancelled.stdout
    assert "(no asks)" in run("book", "ACME", "--address", address).stdout


def test_client_command_without_a_server_fails_with_a_message_not_a_traceback(serve):
    _, address = serve
    host, _ = address.rsplit(":", 1)
    result = run("book", "ACME", "--address", f"{host}:1")
    assert result.returncode == 5  # no server there
    assert result.stderr.startswith("marketsim: market server unavailable")
    assert "Traceback" not in result.stderr


ATTEMPTS = 12  # the window is short: several tries make hitting it near certain


def test_serve_sigint_right_after_the_ready_line_still_exits_cleanly():
    # A parent (or launch(mode="process")) may act on the ready line at once: Ctrl-C must then
    # already stop the server gracefully. The line is read straight off the pipe and the
    # signal sent the moment it is complete, several times, to hit any window in between.
    outcomes = []
    for _ in range(ATTEMPTS):
        process = subprocess.Popen(
            [sys.executable, "-m", "marketsim", "serve", "--port", "0"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        try:
            assert process.stdout is not None and process.stderr is not None
            received = b""
            deadline = time.monotonic() + DEADLINE
            while b"\n" not in received:
                assert time.monotonic() < deadline, received
                chunk = os.read(process.stdout.fileno(), 4096)
                assert chunk, f"serve exited early: {received!r}"
                received += chunk
            process.send_signal(signal.SIGINT)
            assert READY.match(received.decode().splitlines()[0])
            process.wait(DEADLINE)
            outcomes.append((process.returncode, process.stderr.read().decode().splitlines()[-1:]))
        finally:
            if process.poll() is None:
                process.kill()
            process.wait(DEADLINE)
            process.stdout.close()
            process.stderr.close()
    assert outcomes == [(0, [])] * ATTEMPTS


def test_subscribe_prints_a_book_line_and_a_trade_line(tmp_path):
    market = launch({"ACME": 0.01})
    child = Child("subscribe", "ACME", "--address", market.address)
    try:
        child.expect(r"^book   ACME seq 0  bid -  ask -$")
        deadline = time.monotonic() + DEADLINE
        while market.server.hub.subscriber_count < 2:  # the trade stream is subscribed too
            assert time.monotonic() < deadline, "subscribe did not open its trade stream"
            time.sleep(0.01)
        client = market.client(owner="alice")
        client.submit("ACME", "sell", 3, 1.50)
        taker = client.submit("ACME", "buy", 2)

        trade, _ = child.expect_all(
            r"^trade  ACME 2 @ 1\.5 \(buy aggressor, maker 1, taker (\d+)\)$",
            r"^book   ACME seq \d+  bid -  ask 1 @ 1\.50$",
        )
        assert int(trade.group(1)) == taker.order_id

        status, stderr = child.interrupt()
        assert status in (0, 130), stderr  # Ctrl-C: clean exit (130 is the shell convention)
        assert "Traceback" not in stderr
    finally:
        child.kill()
        market.stop()


@contextlib.contextmanager
def launch_client(address: str):
    from marketsim.client import MarketClient

    client = MarketClient(address, timeout=DEADLINE)
    try:
        yield client
    finally:
        client.close()
