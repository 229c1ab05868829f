"""Streams that reconnect: dropped by the server, or across a server restart on the same port.

Streams are dropped for real: ``hub.close()`` ends every subscription of a running server
(as a server does when it stops), and a restart stops the server and starts a new
``MarketServer`` on the same port over the same ``Exchange`` (the state a journal would
recover). Each test compares what the client saw with the engine's own event log.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from grpc_support import INSTRUMENTS, within
from server_support import levels, random_flow, wait_until

from marketsim.client import AsyncMarketClient, Reconnect, Reconnected
from marketsim.core import Exchange
from marketsim.errors import MarketUnavailableError
from marketsim.server import MarketServer

FAST = {"initial_delay": 0.02, "max_delay": 0.2, "give_up_after": 10.0}


class Servers:
    """Servers over one exchange; ``restart`` replaces the running one on the same port."""

    def __init__(self) -> None:
        self.exchange = Exchange(dict(INSTRUMENTS))
        self.running: MarketServer | None = None
        self.port = 0

    async def start(self, **options) -> MarketServer:
        self.running = MarketServer(self.exchange, **options)
        address = await within(self.running.start("127.0.0.1", self.port))
        self.port = int(address.rsplit(":", 1)[1])
        return self.running

    async def stop(self) -> None:
        if self.running is not None:
            await within(self.running.stop(grace=0.5))

    async def restart(self, while_down=None, **options) -> MarketServer:
        await self.stop()
        if while_down is not None:
            while_down()
        await asyncio.sleep(0.1)  # clients notice and start retrying
        return await self.start(**options)

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"


@pytest.fixture
async def servers() -> AsyncIterator[Servers]:
    servers = Servers()
    await servers.start()
    yield servers
    await servers.stop()


@pytest.fixture
async def make_client(servers):
    made: list[AsyncMarketClient] = []

    def make(owner: str = "alice", **policy) -> AsyncMarketClient:
        reconnected: list[Reconnected] = []
        reconnect = Reconnect(**{**FAST, **policy}, on_reconnect=reconnected.append)
        client = AsyncMarketClient(servers.address, owner=owner, timeout=5, reconnect=reconnect)
        client.reconnected = reconnected  # type: ignore[attr-defined]
        made.append(client)
        return client

    yield make
    for client in made:
        await within(client.close())


class Collector:
    """Collects a stream's items in a task."""

    def __init__(self, stream: AsyncIterator) -> None:
        self.items: list = []
        self.task = asyncio.ensure_future(self._run(stream))

    async def _run(self, stream: AsyncIterator) -> None:
        async for item in stream:
            self.items.append(item)

    async def stop(self) -> None:
        self.task.cancel()
        await asyncio.gather(self.task, return_exceptions=True)


async def reachable(*clients: AsyncMarketClient) -> None:
    """Wait until unary calls of ``clients`` reach the server again (they are not retried:
    until its channel has reconnected, a call fails with MarketUnavailableError)."""
    for client in clients:
        for _ in range(200):
            try:
                await within(client.whoami())
                break
            except MarketUnavailableError:
                await asyncio.sleep(0.02)


def engine_seqs(exchange: Exchange, after: int, kind=None) -> list[int]:
    return [
        e.seq for e in exchange["ACME"].events if e.seq > after and (not kind or type(e) is kind)
    ]


async def test_streams_dropped_by_the_server_resume_without_a_gap_or_a_repeat(servers, make_client):
    alice, bob, watcher = make_client("alice"), make_client("bob"), make_client("watcher")
    start = servers.exchange["ACME"].seq
    events = Collector(watcher.stream_events("ACME"))
    book = Collector(watcher.stream_book("ACME"))
    trades = Collector(watcher.stream_trades("ACME"))
    await wait_until(lambda: servers.running.hub.subscriber_count == 3)
    for round_ in range(4):
        await random_flow([alice, bob], seed=round_, commands=40)
        servers.running.hub.close()  # every stream ends, mid-flow
    await random_flow([alice, bob], seed=9, commands=40)
    now = servers.exchange["ACME"].seq
    await wait_until(
        lambda: (
            book.items
            and book.items[-1].seq == now
            and events.items
            and events.items[-1].events[-1].seq == now
        )
    )
    for collector in (events, book, trades):
        await collector.stop()

    seen = [e.seq for batch in events.items for e in batch.events]
    assert seen == engine_seqs(servers.exchange, start)
    assert [t.seq for t in trades.items] == [
        e.seq
        for e in servers.exchange["ACME"].events
        if e.seq > start and type(e).__name__ == "Trade"
    ]
    assert [u.kind for u in book.items].count("snapshot") == 1
    assert levels(book.items[-1].book) == levels(await within(watcher.book("ACME", depth=0)))
    assert watcher.resyncs == 0
    assert len(watcher.reconnected) >= 3 * 4 - 3  # a stream idle at a close may not notice
    assert not any(r.gap for r in watcher.reconnected)
    assert all(r.reason == "the server ended the stream" for r in watcher.reconnected)


async def test_a_recorder_goes_on_across_a_server_restart_with_every_event_once(
    servers, make_client
):
    alice, bob, watcher = make_client("alice"), make_client("bob"), make_client("watcher")
    await random_flow([alice, bob], seed=1, commands=30)
    recorder = await within(watcher.record("ACME"))
    start = recorder.seq
    await random_flow([alice, bob], seed=2, commands=30)
    await within(recorder.wait_for_seq(servers.exchange["ACME"].seq))

    await servers.restart()
    await reachable(alice, bob)
    await random_flow([alice, bob], seed=3, commands=30)
    await within(recorder.wait_for_seq(servers.exchange["ACME"].seq))
    recorder.stop()

    assert [e.seq for e in recorder.event_log()] == engine_seqs(servers.exchange, start)
    assert recorder.event_log() == [e for e in servers.exchange["ACME"].events if e.seq > start]
    assert recorder.gaps == []
    assert [r.gap for r in watcher.reconnected] == [False]


async def test_events_made_while_the_stream_was_down_come_from_the_history_hook(
    servers, make_client
):
    alice, watcher = make_client("alice"), make_client("watcher")
    recorder = await within(watcher.record("ACME"))
    await within(alice.submit("ACME", "buy", 1, 99.00))
    await within(recorder.wait_for_seq(servers.exchange["ACME"].seq))
    exchange = servers.exchange

    def orders_while_down() -> None:  # acknowledged before a crash, never streamed
        for price in (98, 97, 96):
            exchange["ACME"].submit("buy", 1, price, owner="alice")

    def journal(symbol: str, from_seq: int):
        return [e for e in exchange[symbol].events if e.seq > from_seq]

    restarted = await servers.restart(orders_while_down)
    restarted.service.history = journal
    await reachable(alice)
    await within(alice.submit("ACME", "sell", 2, 95.00))
    await within(recorder.wait_for_seq(exchange["ACME"].seq))
    recorder.stop()

    assert recorder.event_log() == [e for e in exchange["ACME"].events if e.seq > 0]
    assert recorder.gaps == [] and watcher.resyncs == 0
    assert levels(recorder.book()) == levels(await within(watcher.book("ACME", depth=0)))


async def test_when_the_gap_cannot_be_filled_streams_resync_from_a_snapshot_and_say_so(
    servers, make_client
):
    alice, watcher = make_client("alice"), make_client("watcher")
    recorder = await within(watcher.record("ACME"))
    book = Collector(watcher.stream_book("ACME"))
    await within(alice.submit("ACME", "buy", 1, 99.00))
    await within(recorder.wait_for_seq(servers.exchange["ACME"].seq))
    before = recorder.seq
    exchange = servers.exchange

    def orders_while_down() -> None:  # and no journal to replay them from
        exchange["ACME"].submit("buy", 1, 98.00, owner="alice")

    await servers.restart(orders_while_down)
    await wait_until(lambda: watcher.resyncs == 2)  # the recorder's and the book stream's
    await reachable(alice)
    await within(alice.submit("ACME", "sell", 2, 95.00))
    now = exchange["ACME"].seq
    await within(recorder.wait_for_seq(now))
    await wait_until(lambda: book.items and book.items[-1].seq == now)
    await book.stop()
    recorder.stop()

    assert len(recorder.gaps) == 1 and recorder.gaps[0][0] == before
    assert levels(recorder.book()) == levels(await within(watcher.book("ACME", depth=0)))
    assert [u.kind for u in book.items][-2:] == ["snapshot", "deltas"]
    assert levels(book.items[-1].book) == levels(recorder.book())
    assert [r.gap for r in watcher.reconnected if r.stream == "events"] == [True]


async def test_a_stream_gives_up_after_the_policy_says(servers, make_client):
    watcher = make_client("watcher", give_up_after=0.3)
    stream = watcher.stream_events("ACME")
    first = asyncio.ensure_future(anext(stream))
    await wait_until(lambda: servers.running.hub.subscriber_count == 1)
    await servers.stop()
    with pytest.raises(MarketUnavailableError, match=r"could not reconnect within 0\.3 s"):
        await within(first)


async def test_without_reconnecting_a_broken_stream_ends(servers):
    async with AsyncMarketClient(servers.address, reconnect=False) as client:
        collector = Collector(client.stream_events("ACME"))
        await wait_until(lambda: servers.running.hub.subscriber_count == 1)
        servers.running.hub.close()
        await within(collector.task)
        assert collector.items == []


@pytest.mark.parametrize(
    "policy",
    [{"initial_delay": 0}, {"initial_delay": 2, "max_delay": 1}, {"give_up_after": -1}],
)
def test_a_reconnect_policy_must_make_sense(policy):
    with pytest.raises(ValueError, match=r"initial_delay|give_up_after"):
        Reconnect(**policy)
