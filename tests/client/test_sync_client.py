"""``MarketClient`` (blocking) and the IO thread it runs on.

The blocking client must work wherever notebook and script code runs: the main thread, worker
threads, and inside a running event loop (a notebook cell). It must refuse, not deadlock, when
called on marketsim's own IO thread.
"""

from __future__ import annotations

import asyncio
import os
import signal
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from grpc_support import within

from marketsim import runtime
from marketsim.client import MarketClient
from marketsim.core import Fill
from marketsim.errors import PermissionDeniedError, UnknownSymbolError


def test_blocking_client_submits_and_reads_the_book(market):
    client = market.client(owner="alice")
    client.submit("ACME", "sell", 10, 100.05)
    result = client.submit("ACME", "buy", 4)

    assert (result.status, [(f.price, f.qty) for f in result.trades]) == ("filled", [(100.05, 4)])
    assert client.book("ACME").best_ask == (100.05, 6)
    with pytest.raises(UnknownSymbolError):
        client.book("NOPE")


def test_blocking_clients_work_from_many_worker_threads_at_once(market):
    owners = [f"worker-{i}" for i in range(4)]
    clients = {owner: market.client(owner=owner) for owner in owners}

    def trade(owner: str) -> list[int]:
        return [clients[owner].submit("ACME", "buy", 1, 1.00).order_id for _ in range(25)]

    def cancel_someone_elses(owner: str, foreign_id: int) -> None:
        with pytest.raises(PermissionDeniedError):
            clients[owner].cancel("ACME", foreign_id)

    with ThreadPoolExecutor(4) as pool:
        batches = list(pool.map(trade, owners))
        foreign = [batches[(i + 1) % 4][0] for i in range(4)]
        list(pool.map(cancel_someone_elses, owners, foreign))

    assert len({order_id for batch in batches for order_id in batch}) == 100
    assert market.client().book("ACME").level_ticks("bid") == [(100, 100, 100)]


async def test_blocking_client_works_inside_a_running_event_loop_like_a_notebook_cell(market):
    # A notebook cell runs inside the kernel's loop; the blocking client must not need it.
    asyncio.get_running_loop()  # we are on a running loop
    client = market.client(owner="alice")
    client.submit("ACME", "sell", 3, 2.00)
    fill = client.submit("ACME", "buy", 1).trades[0]
    assert (fill.price, fill.qty) == (2.00, 1)
    assert client.book("ACME").best_ask == (2.00, 2)
    # And the async client still works on this loop at the same time.
    aclient = await within(market.aclient(owner="bob"))
    try:
        assert (await within(aclient.book("ACME"))).best_ask == (2.00, 2)
    finally:
        await within(aclient.close())


async def test_blocking_stream_iterators_work_inside_a_running_event_loop(market):
    client = market.client(owner="alice")
    loop = asyncio.get_running_loop()
    trades = client.stream_trades("ACME")
    book = client.stream_book("ACME")
    try:
        assert next(book).kind == "snapshot"
        # A stream subscribes on its first next(); that call blocks until a trade, so it runs
        # on a worker thread while this "cell" waits for the subscription and trades.
        first_trade = loop.run_in_executor(None, next, trades)
        await wait_for_subscribers(market, 2)
        client.submit("ACME", "sell", 2, 1.50)
        client.submit("ACME", "buy", 2, 1.50)
        fill = await within(first_trade)
        updates = [next(book), next(book)]
    finally:
        trades.close()
        book.close()

    assert isinstance(fill, Fill) and (fill.price, fill.qty, fill.symbol) == (1.50, 2, "ACME")
    assert [u.kind for u in updates] == ["deltas", "deltas"]
    assert updates[-1].book.level_ticks("ask") == []
    await wait_for_subscribers(market, 0)  # closing the iterators ended the streams


class Interrupted(Exception):
    """Stands for the KeyboardInterrupt of a notebook user who stops a cell."""


async def test_interrupting_a_blocking_stream_raises_the_interrupt_and_ends_the_stream(market):
    client = market.client()
    stream = client.stream_trades("ACME")

    def interrupt(signum, frame):
        raise Interrupted

    previous = signal.signal(signal.SIGUSR1, interrupt)
    timer = threading.Timer(0.3, os.kill, (os.getpid(), signal.SIGUSR1))
    try:
        timer.start()
        with pytest.raises(Interrupted):
            next(stream)  # no trades come: blocks until interrupted
    finally:
        timer.cancel()
        signal.signal(signal.SIGUSR1, previous)
    await wait_for_subscribers(market, 0)


async def wait_for_subscribers(market, count: int, seconds: float = 10.0) -> None:
    """Wait until the market's hub has exactly ``count`` stream subscribers."""
    deadline = time.monotonic() + seconds
    while market.server.hub.subscriber_count != count:
        assert time.monotonic() < deadline, f"subscribers: {market.server.hub.subscriber_count}"
        await asyncio.sleep(0.01)


def test_run_sync_refuses_to_block_the_io_thread_instead_of_deadlocking():
    async def blocking_call_on_the_io_thread() -> None:
        runtime.run_sync(asyncio.sleep(0), timeout=5)

    future = runtime.submit(blocking_call_on_the_io_thread())
    with pytest.raises(RuntimeError, match="IO thread"):
        future.result(timeout=10)


def test_blocking_client_called_on_the_io_thread_raises_runtime_error(market):
    client = MarketClient(market.address)

    async def misuse() -> None:
        client.book("ACME")

    with pytest.raises(RuntimeError, match="IO thread"):
        runtime.submit(misuse()).result(timeout=10)
    assert client.book("ACME").seq == 0  # the client is still fine from a normal thread
    client.close()


def test_run_sync_gives_up_after_its_timeout_and_cancels_the_coroutine():
    cancelled = threading.Event()

    async def slow() -> None:
        try:
            await asyncio.sleep(30)
        except asyncio.CancelledError:
            cancelled.set()
            raise

    with pytest.raises(TimeoutError):
        runtime.run_sync(slow(), timeout=0.1)
    assert cancelled.wait(5)


def test_io_loop_is_one_daemon_thread_for_the_whole_process():
    loop = runtime.io_loop()
    assert runtime.io_loop() is loop
    (thread,) = [t for t in threading.enumerate() if t.name == "marketsim-io"]
    assert thread.daemon
    assert runtime.on_io_thread() is False
    assert runtime.run_sync(_on_io_thread(), timeout=5) is True


async def _on_io_thread() -> bool:
    return runtime.on_io_thread()
