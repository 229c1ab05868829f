"""``launch()``: the one-line market, on the IO thread or in a child process.

Both modes hand back the same handle; starting and stopping many markets in one process (a
notebook re-running its cells) must not pile up threads, event loops or file descriptors.
"""

from __future__ import annotations

import asyncio
import os
import re
import sys
import threading
from pathlib import Path

import pytest

import marketsim
from marketsim import runtime
from marketsim.core import Instrument
from marketsim.errors import InvalidCommandError, MarketUnavailableError
from marketsim.session import Market, launch

MODES = ["thread", "process"]
DEADLINE = 10.0


def open_fds() -> int:
    return len(os.listdir("/proc/self/fd"))


@pytest.mark.parametrize("mode", MODES)
async def test_both_modes_give_the_same_handle_api(mode):
    with launch({"ACME": 0.01}, mode=mode) as market:
        assert isinstance(market, Market) and market.mode == mode and market.running
        host, port = market.address.rsplit(":", 1)
        assert host == "127.0.0.1" and int(port) > 0
        assert f"{market.address} ({mode}, running)" in repr(market)

        client = market.client(owner="alice")
        client.submit("ACME", "sell", 10, 100.05)
        aclient = await asyncio.wait_for(market.aclient(owner="bob"), DEADLINE)
        try:
            result = await asyncio.wait_for(aclient.submit("ACME", "buy", 4), DEADLINE)
        finally:
            await asyncio.wait_for(aclient.close(), DEADLINE)
        assert [(f.price, f.qty, f.maker_owner) for f in result.trades] == [(100.05, 4, "alice")]
        assert client.book("ACME").best_ask == (100.05, 6)

    assert not market.running and "stopped" in repr(market)
    with pytest.raises(MarketUnavailableError):
        market.client()
    with pytest.raises(MarketUnavailableError):
        await asyncio.wait_for(market.aclient(), DEADLINE)
    with pytest.raises(MarketUnavailableError):
        client.book("ACME")  # the server is gone
    market.stop()  # idempotent


@pytest.mark.parametrize("mode", MODES)
def test_launch_lists_instruments_given_as_tick_sizes_or_instruments(mode):
    symbols = {"ACME": 0.01, "BTC": Instrument("BTC", "0.5", "0.001")}
    with launch(symbols, mode=mode) as market:
        listed = market.client().instruments()
    assert [(i.symbol, str(i.tick_size), str(i.lot_size)) for i in listed] == [
        ("ACME", "0.01", "1"),
        ("BTC", "0.5", "0.001"),
    ]


def test_launch_without_symbols_lists_acme():
    with launch() as market:
        assert [i.symbol for i in market.client().instruments()] == ["ACME"]


def test_launch_refuses_an_unknown_mode():
    with pytest.raises(InvalidCommandError, match="mode"):
        launch(mode="fork")  # type: ignore[arg-type]


async def test_thread_market_keeps_serving_while_the_callers_loop_is_busy():
    # launch() from inside a running loop (a notebook) must not serve from that loop: a cell
    # that blocks its loop must not freeze the market.
    with launch() as market:
        answers = []
        worker = threading.Thread(target=lambda: answers.append(market.client().book("ACME")))
        worker.start()
        worker.join(DEADLINE)  # blocks this loop, like a long computation in a cell
        assert not worker.is_alive() and answers[0].seq == 0
        assert not runtime.on_io_thread()


def test_launch_and_stop_20_times_leaks_no_threads_loops_or_fds():
    def cycle() -> None:
        market = launch({"ACME": 0.01})
        client = market.client(owner="alice")
        client.submit("ACME", "buy", 1, 1.00)
        assert client.book("ACME").level_ticks("bid") == [(100, 1, 1)]
        stream = client.stream_book("ACME")
        assert next(stream).kind == "snapshot"
        stream.close()
        market.stop()

    cycle()  # the first start creates the IO thread and grpc's own threads
    threads, fds, loop = threading.active_count(), open_fds(), runtime.io_loop()

    for _ in range(20):
        cycle()
        assert threading.active_count() == threads
        assert runtime.io_loop() is loop
        assert open_fds() <= fds + 3

    assert open_fds() <= fds + 3


def test_process_mode_launch_and_stop_leaves_no_children_or_fds_behind():
    with launch(mode="process"):
        pass  # first start: imports, IO thread
    fds = open_fds()
    processes = []
    for _ in range(3):
        market = launch(mode="process")
        market.client().submit("ACME", "buy", 1, 1.00)
        market.stop()
        processes.append(market.process)
    assert all(process.poll() is not None for process in processes)
    assert open_fds() <= fds + 3


def test_process_mode_market_stopped_right_after_launch_shuts_down_gracefully():
    # stop() sends SIGTERM, which the child handles by stopping gracefully (exit status 0)
    # as soon as it has said it is listening; not by dying of the signal.
    statuses = []
    for _ in range(5):
        market = launch(mode="process")
        market.stop()
        statuses.append(market.process.returncode)
    assert statuses == [0] * 5


def test_process_mode_child_runs_a_fresh_interpreter():
    with launch(mode="process") as market:
        command = market.process.args
        assert command[:4] == [sys.executable, "-m", "marketsim", "serve"]
        assert market.process.pid != os.getpid()


def test_no_module_applies_nest_asyncio():
    package = Path(marketsim.__file__).parent
    pattern = re.compile(r"nest_asyncio2?\s*\.\s*apply\s*\(|from\s+nest_asyncio2?\s+import")
    offenders = [
        str(path.relative_to(package))
        for path in sorted(package.rglob("*.py"))
        if pattern.search(path.read_text(encoding="utf-8"))
    ]
    assert offenders == []


def test_launching_a_market_leaves_asyncio_unpatched():
    with launch() as market:
        market.client().book("ACME")
    assert asyncio.run.__module__ == "asyncio.runners"
    assert asyncio.BaseEventLoop.run_until_complete.__module__ == "asyncio.base_events"
    assert "nest_asyncio" not in sys.modules and "nest_asyncio2" not in sys.modules
