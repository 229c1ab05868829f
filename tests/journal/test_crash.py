"""kill -9 a journaled server at random moments; every acknowledged command must survive.

One client sends submits (limit and market), cancels and replaces, one at a time, keeping a
local ``OrderBook`` that applies each command once its ack arrives. A timer kills the server
process with SIGKILL at a seeded random moment. After each restart on the same journal the
server's book must equal the local book, or the local book plus the one command that was in
flight when the server died (written but not acknowledged is allowed; half-applied is not),
and the next order id must follow on from every id handed out before.
"""

from __future__ import annotations

import contextlib
import copy
import random
import re
import signal
import subprocess
import sys
import threading

import pytest

from marketsim.client import MarketClient
from marketsim.core import OrderBook
from marketsim.errors import MarketUnavailableError, UnknownOrderError

TRIALS = 20
SEED = 20261206
READY = re.compile(r"^marketsim listening on (\S+)$")


class Server:
    """``python -m marketsim serve`` on a journal, in a child process."""

    def __init__(self, journal: str) -> None:
        command = [sys.executable, "-m", "marketsim", "serve", "--port", "0"]
        command += ["--journal", journal, "--symbol", "ACME:0.01"]
        self.process = subprocess.Popen(
            command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        self.lines: list[str] = []
        for line in self.process.stdout:  # type: ignore[union-attr]
            self.lines.append(line)
            match = READY.match(line.strip())
            if match:
                self.address = match.group(1)
                return
        raise AssertionError(f"the server did not start: {self.process.stderr.read()}")  # type: ignore[union-attr]

    def kill(self) -> None:
        self.process.kill()
        self.process.wait()
        for stream in (self.process.stdout, self.process.stderr):
            stream.close()  # type: ignore[union-attr]


def levels(book) -> tuple:
    return book.seq, book.level_ticks("bid"), book.level_ticks("ask")


def random_command(rng: random.Random, model: OrderBook):
    """A command as (name, args, kwargs) for both the client and the local book."""
    live = list(model.engine.book.orders)
    roll = rng.random()
    if live and roll < 0.2:
        return "cancel", (rng.choice(live),), {}
    if live and roll < 0.4:
        return (
            "replace",
            (rng.choice(live),),
            {"qty": rng.randint(1, 6)}
            | ({"price": round(100 + rng.randint(-5, 5) * 0.01, 2)} if rng.random() < 0.5 else {}),
        )
    side = rng.choice(("buy", "sell"))
    if roll < 0.5:
        return "submit", (side, rng.randint(1, 4)), {}
    price = round(100 + rng.randint(-5, 5) * 0.01, 2)
    return "submit", (side, rng.randint(1, 6)), {"price": price}


def apply(target, name: str, args: tuple, kwargs: dict, symbol: str | None):
    prefix = () if symbol is None else (symbol,)
    return getattr(target, name)(*prefix, *args, **kwargs)


@pytest.mark.timeout(120)
def test_kill_9_at_random_moments_loses_no_acknowledged_command(tmp_path):
    rng = random.Random(SEED)
    journal = str(tmp_path / "journal")
    model = OrderBook("ACME", 0.01)
    server = Server(journal)
    in_flight_trials = 0
    for _trial in range(TRIALS):
        killer = threading.Timer(
            rng.uniform(0.05, 0.35), server.process.send_signal, (signal.SIGKILL,)
        )
        in_flight = None
        with MarketClient(server.address, owner="crash") as client:
            killer.start()
            while True:
                command = random_command(rng, model)
                try:
                    result = apply(client, *command, symbol="ACME")
                except MarketUnavailableError:
                    in_flight = command
                    break
                expected = apply(model, *command, symbol=None)
                assert result.order_id == expected.order_id
        killer.join()
        server.kill()

        server = Server(journal)
        with MarketClient(server.address, owner="crash") as client:
            recovered = levels(client.book("ACME", depth=0))
            if recovered != levels(model):
                with_in_flight = copy.deepcopy(model)
                with contextlib.suppress(UnknownOrderError):  # then it changed nothing
                    apply(with_in_flight, *in_flight, symbol=None)  # type: ignore[misc]
                assert recovered == levels(with_in_flight), "a command was half-applied or lost"
                model = with_in_flight
                in_flight_trials += 1
            # New ids follow on from every id handed out before the crash.
            probe = client.submit("ACME", "buy", 1, price=99.0)
            assert probe.order_id == model.submit("buy", 1, price=99.0).order_id
    server.kill()
    assert model.seq > TRIALS * 10, "the trials should have done real work"
    # The seeded kills should sometimes land between a command's write and its ack.
    print(f"{in_flight_trials} of {TRIALS} kills came after a write and before its ack")
