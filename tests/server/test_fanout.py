"""Fan-out: a subscriber that stops reading costs matching and other subscribers nothing.

The stalled subscriber is a raw stub call that is opened and never read, on its own channel
with a small HTTP/2 receive window (no BDP probing, 1 KiB lookahead), so that the server's
writes to it block after a few kilobytes instead of after the megabytes grpc would otherwise
buffer. The hub queue holds 8 publications, so a stalled event or trade reader overflows after
a few OrderEntry batches; the hub's backlog holds 2,000 events, so a stalled book reader (book
streams follow the backlog) soon falls out of it and gets a snapshot when it reads again.
"""

from __future__ import annotations

import asyncio

import grpc
import pytest
from server_support import DEADLINE, get_book, levels, limit, owner_metadata, wait_until, within

from marketsim.client import LocalBook
from marketsim.client.views import BookSnapshot
from marketsim.server import MarketServer
from marketsim.wire import codec
from marketsim.wire.v1 import market_pb2 as pb
from marketsim.wire.v1 import market_pb2_grpc as pb_grpc

QUEUE_SIZE = 8
STALLED_CHANNEL_OPTIONS = [("grpc.http2.bdp_probe", 0), ("grpc.http2.lookahead_bytes", 1024)]
MAX_BATCHES = 300
EXTRA_BATCHES = 2 * QUEUE_SIZE  # published after the stall is confirmed
BACKLOG_EVENTS = 2_000  # a few batches: a stalled book stream soon falls out of the backlog


def overflowed(server: MarketServer) -> bool:
    """Whether some subscriber of the hub overflowed (white-box: the hub keeps no public list)."""
    return any(s.overflowed for subs in server.hub._by_symbol.values() for s in subs)


def batch(k: int) -> list[dict]:
    """Orders with trades, new and deleted levels, and one order that stays in the book."""
    orders: list[dict] = []
    for i in range(40):
        price = 3.00 + 0.01 * (i % 7)
        orders.append({"side": "sell", "qty": 1, "price": round(price, 2)})
        orders.append({"side": "buy", "qty": 1, "price": round(price, 2)})
    orders.append({"side": "buy", "qty": 1 + k % 3, "price": round(1.00 + 0.01 * (k % 50), 2)})
    return orders


def book_reader_blocked(server: MarketServer) -> bool:
    """Whether some book stream is blocked sending to its client (white-box)."""
    return server.hub.readers_of("ACME") < server.hub._followers["ACME"]


async def flow_until_stalled(server: MarketServer, flow, stalled=overflowed) -> int:
    """Submit batches (one publication each) until ``stalled(server)``, then a few more."""
    for published in range(1, MAX_BATCHES + 1):
        await within(flow.submit_many("ACME", batch(published), batch_size=10_000))
        if stalled(server):
            break
    else:
        raise AssertionError(f"no subscriber stalled after {MAX_BATCHES} batches")
    for extra in range(EXTRA_BATCHES):
        await within(flow.submit_many("ACME", batch(published + 1 + extra), batch_size=10_000))
    return published + EXTRA_BATCHES


@pytest.fixture
async def small_queue_server(make_server) -> MarketServer:
    server = await make_server(queue_size=QUEUE_SIZE)
    server.hub.backlog_events = BACKLOG_EVENTS
    return server


@pytest.fixture
def stalled_stub(small_queue_server, make_channel) -> pb_grpc.MarketServiceStub:
    """A stub on a channel with a tiny receive window, for calls that are never read."""
    channel = make_channel(small_queue_server.address, STALLED_CHANNEL_OPTIONS)
    return pb_grpc.MarketServiceStub(channel)


@pytest.fixture
def stub_small(small_queue_server, make_channel) -> pb_grpc.MarketServiceStub:
    return pb_grpc.MarketServiceStub(make_channel(small_queue_server.address))


@pytest.fixture
async def clients(small_queue_server):
    from marketsim.client import AsyncMarketClient

    made: list[AsyncMarketClient] = []

    def make(owner: str) -> AsyncMarketClient:
        client = AsyncMarketClient(small_queue_server.address, owner=owner, timeout=DEADLINE)
        made.append(client)
        return client

    yield make
    for client in made:
        await within(client.close())


async def test_stalled_book_subscriber_does_not_stop_matching_or_other_subscribers(
    small_queue_server, stalled_stub, stub_small, clients
):
    server = small_queue_server
    flow, watcher = clients("flow"), clients("watcher")
    stalled = stalled_stub.StreamBook(pb.StreamBookRequest(symbol="ACME"))
    updates = []

    async def watch() -> None:
        async for update in watcher.stream_book("ACME"):
            updates.append((update.kind, update.seq, update.book))

    watching = asyncio.ensure_future(watch())
    try:
        await wait_until(lambda: server.hub.subscriber_count == 2)

        published = await flow_until_stalled(server, flow, book_reader_blocked)
        final = await get_book(stub_small)

        # Matching went on: every batch left its resting order in the book.
        assert sum(lv.order_count for lv in final.bids) == published
        # The healthy subscriber saw every update, from one snapshot, with no resync.
        await wait_until(lambda: updates and updates[-1][1] == final.seq)
        assert [kind for kind, _, _ in updates].count("snapshot") == 1
        assert watcher.resyncs == 0
        assert levels(updates[-1][2]) == levels(final)
    finally:
        watching.cancel()
        await within(asyncio.gather(watching, return_exceptions=True))

    # The stalled reader now reads: what was already in flight, then a fresh snapshot.
    messages = [await within(stalled.read())]
    while not (len(messages) > 1 and messages[-1].HasField("snapshot")):
        messages.append(await within(stalled.read()))
    first, *in_flight, fresh = messages
    assert first.HasField("snapshot")
    previous = first.snapshot.seq
    for message in in_flight:
        assert message.HasField("deltas")
        assert message.deltas.prev_seq == previous
        previous = message.deltas.seq
    assert len(in_flight) < published  # the missed deltas were dropped, not replayed
    assert fresh.snapshot == final

    # From the fresh snapshot on, the stream is whole again.
    book = LocalBook(BookSnapshot.from_proto(fresh.snapshot))
    ack = await within(
        stub_small.SubmitOrder(limit(pb.SIDE_SELL, 2, 900), metadata=owner_metadata("flow"))
    )
    message = await within(stalled.read())
    assert message.deltas.prev_seq == fresh.snapshot.seq
    book.apply(codec.events_from_proto(message.deltas.deltas), message.deltas.seq)
    assert message.deltas.seq == ack.events[-1].delta.seq
    assert levels(book) == levels(await get_book(stub_small))
    stalled.cancel()


@pytest.mark.parametrize(
    ("method", "request_"),
    [
        ("StreamEvents", pb.StreamEventsRequest(symbol="ACME")),
        ("StreamEvents", pb.StreamEventsRequest()),
        ("StreamTrades", pb.StreamTradesRequest(symbol="ACME")),
    ],
    ids=["events", "events-all-symbols", "trades"],
)
async def test_stalled_event_or_trade_subscriber_ends_with_resource_exhausted(
    small_queue_server, stalled_stub, clients, method, request_
):
    server = small_queue_server
    flow, watcher = clients("flow"), clients("watcher")
    stalled = getattr(stalled_stub, method)(request_)
    seen: list = []

    async def watch() -> None:
        async for event_batch in watcher.stream_events("ACME"):
            seen.extend(event_batch.events)

    watching = asyncio.ensure_future(watch())
    try:
        await wait_until(lambda: server.hub.subscriber_count == 2)
        await flow_until_stalled(server, flow)
        last_seq = server.exchange["ACME"].seq
        await wait_until(lambda: seen and seen[-1].seq == last_seq)
        # The healthy event subscriber got every event, without a gap.
        assert [e.seq for e in seen] == list(range(1, last_seq + 1))
    finally:
        watching.cancel()
        await within(asyncio.gather(watching, return_exceptions=True))

    delivered = []
    with pytest.raises(grpc.aio.AioRpcError) as info:
        while True:
            message = await within(stalled.read())
            assert message is not grpc.aio.EOF, "the stream ended without an error"
            delivered.extend(message.events if method == "StreamEvents" else message.trades)
    assert info.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
    assert "resubscribe" in info.value.details()
    # What it did receive before the error had no holes.
    if method == "StreamEvents":
        seqs = [getattr(e, e.WhichOneof("kind")).seq for e in delivered]
        assert seqs == list(range(1, len(seqs) + 1))
    await wait_until(lambda: server.hub.subscriber_count == 0)


def test_a_subscriber_overflows_when_its_pending_events_pass_the_cap_whatever_the_batch_count(
    monkeypatch,
):
    from marketsim.core.events import BookDelta
    from marketsim.server import hub as hub_module

    monkeypatch.setattr(hub_module, "MAX_PENDING_EVENTS", 10)
    hub = hub_module.Hub(queue_size=1_000)
    subscription = hub.subscribe("ACME")
    batch = [BookDelta(seq, 0, "bid", 100, 1, 1, "update", True) for seq in range(1, 5)]

    hub.publish("ACME", batch)  # 4 pending
    hub.publish("ACME", batch)  # 8 pending
    assert not subscription.overflowed
    hub.publish("ACME", batch)  # 12 > 10: everything pending is dropped

    assert subscription.overflowed
