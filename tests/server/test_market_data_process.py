"""The market-data process: a replica that follows the market's records and serves its streams.

Every test starts a real market with ``market_data="process"``: a second Python process that
the clients reach through ``GetServerInfo``. Faults are caused, not mocked: the replica is
killed with SIGKILL, or stopped with SIGSTOP until it falls behind.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal

import grpc
import pytest
from grpc_support import within

from marketsim.client import AsyncMarketClient
from marketsim.core.events import Trade
from marketsim.errors import InvalidCommandError
from marketsim.server import MarketServer
from marketsim.server.participants import Roster
from marketsim.wire import codec
from marketsim.wire.v1 import market_pb2 as pb
from marketsim.wire.v1 import market_pb2_grpc as pb_grpc

ORDERS = [
    ("buy", 5, 100.00),
    ("buy", 3, 99.99),
    ("sell", 4, 100.02),
    ("sell", 6, 100.00),  # trades 5 with the best bid, rests 1
    ("buy", 2, 100.02),  # trades 1 at 100.00 and 1 at 100.02
]


@pytest.fixture
async def server(make_server) -> MarketServer:
    return await make_server(market_data="process")


def replica_of(server: MarketServer):
    market_data = server.service.market_data
    assert market_data is not None
    return market_data


async def until(condition, seconds: float = 20.0) -> None:
    """Wait until ``condition()`` holds (the replica follows a moment behind)."""

    async def poll() -> None:
        while not condition():
            await asyncio.sleep(0.02)

    await within(poll(), seconds)


async def submit_all(client: AsyncMarketClient, orders=ORDERS) -> None:
    for side, qty, price in orders:
        await client.submit("ACME", side, qty, price)


async def test_server_info_names_the_replica_port(server, stub):
    info = await within(stub.GetServerInfo(pb.GetServerInfoRequest()))
    replica = replica_of(server)
    assert info.market_data_port == replica.port
    assert replica.port not in (0, int(server.address.rsplit(":", 1)[1]))
    assert replica.pid != os.getpid()


async def test_a_market_without_one_names_none(make_server, make_channel):
    plain = await make_server()
    stub = pb_grpc.MarketServiceStub(make_channel(plain.address))
    assert (await within(stub.GetServerInfo(pb.GetServerInfoRequest()))).market_data_port == 0


async def test_event_stream_from_the_replica_equals_the_markets_log(server, client):
    received = []

    async def read() -> None:
        async for batch in client.stream_events("ACME"):
            received.extend(batch.events)

    reader = asyncio.create_task(read())
    await asyncio.sleep(0.3)
    await submit_all(client)
    seq = server.exchange["ACME"].seq
    await until(lambda: received and received[-1].seq >= seq)
    reader.cancel()
    assert list(server.exchange["ACME"].events) == received
    assert any(isinstance(event, Trade) for event in received)


async def test_book_stream_from_the_replica_ends_at_the_markets_book(server, client):
    await client.submit("ACME", "buy", 1, 99.00)  # before the stream: in its snapshot
    books = []

    async def read() -> None:
        async for update in client.stream_book("ACME"):
            books.append((update.seq, update.book.snapshot(10)))

    reader = asyncio.create_task(read())
    await asyncio.sleep(0.3)
    await submit_all(client)
    seq = server.exchange["ACME"].seq
    await until(lambda: books and books[-1][0] >= seq)
    reader.cancel()
    market_book = await client.book("ACME", depth=10)
    assert (books[-1][1].bids, books[-1][1].asks) == (market_book.bids, market_book.asks)
    assert books[0][1].bids[0][:2] == (9900, 1)  # ticks, lots


async def test_the_replica_lets_in_the_markets_participants_only(make_server, make_channel):
    roster, tokens = Roster.create({"alice": "trader", "screen": "viewer"})
    guarded = await make_server(roster=roster, market_data="process")
    replica = make_channel(f"127.0.0.1:{replica_of(guarded).port}")
    stub = pb_grpc.MarketServiceStub(replica)
    request = pb.GetBookRequest(symbol="ACME")
    with pytest.raises(grpc.aio.AioRpcError) as refused:
        await within(stub.GetBook(request))
    assert refused.value.code() == grpc.StatusCode.UNAUTHENTICATED
    viewer = (("authorization", f"Bearer {tokens['screen']}"),)
    assert (await within(stub.GetBook(request, metadata=viewer))).symbol == "ACME"
    trader = (("authorization", f"Bearer {tokens['alice']}"),)
    order = pb.SubmitOrderRequest(symbol="ACME", side=pb.SIDE_BUY, qty_lots=1, price_ticks=1)
    with pytest.raises(grpc.aio.AioRpcError) as elsewhere:
        await within(stub.SubmitOrder(order, metadata=trader))
    assert elsewhere.value.code() == grpc.StatusCode.UNIMPLEMENTED  # orders go to the market


async def test_a_killed_replica_is_replaced_and_streams_go_on(server, client):
    replica = replica_of(server)
    first_pid, first_port = replica.pid, replica.port
    updates = []

    async def read() -> None:
        async for update in client.stream_book("ACME"):
            updates.append(update)

    await submit_all(client, ORDERS[:2])
    reader = asyncio.create_task(read())
    await until(lambda: len(updates) >= 1)
    os.kill(first_pid, signal.SIGKILL)
    await until(lambda: replica.port not in (0, first_port))
    assert replica.starts == 2 and replica.pid != first_pid
    await submit_all(client, ORDERS[2:3])
    seq = server.exchange["ACME"].seq
    await until(lambda: updates[-1].seq >= seq, 30)
    reader.cancel()
    market_book = await client.book("ACME", depth=10)
    last = updates[-1].book.snapshot(10)
    assert (last.bids, last.asks) == (market_book.bids, market_book.asks)


async def test_a_stalled_replica_never_holds_up_order_entry(make_server):
    server = await make_server(market_data="process")
    replica = replica_of(server)
    replica.max_lag_bytes = 16 * 1024  # a few hundred records, beyond the pipe's own 64 KiB
    stalled_pid = replica.pid
    os.kill(stalled_pid, signal.SIGSTOP)
    try:
        orders = [("buy", 1, 90.00 + 0.01 * (k % 500)) for k in range(3_000)]
        async with AsyncMarketClient(server.address, owner="alice", timeout=30) as client:
            acks = await within(client.submit_many("ACME", orders, progress=False), 60)
        assert len(acks) == 3_000
        await until(lambda: replica.starts == 2 and replica.port != 0, 30)
    finally:
        with contextlib.suppress(ProcessLookupError):  # it was killed for falling behind
            os.kill(stalled_pid, signal.SIGCONT)
    async with AsyncMarketClient(server.address, owner="bob", timeout=10) as viewer:
        async for update in viewer.stream_book("ACME"):
            assert update.seq == server.exchange["ACME"].seq  # the new replica has it all
            assert update.book.snapshot(1).bids[0][:2] == (9499, 6)
            break


async def test_a_new_replica_resumes_old_streams_from_the_journal(
    make_server, make_channel, tmp_path
):
    server = await make_server(journal=tmp_path / "journal", market_data="process")
    replica = replica_of(server)
    async with AsyncMarketClient(server.address, owner="alice", timeout=30) as client:
        await submit_all(client)
    old_pid, old_port = replica.pid, replica.port
    os.kill(old_pid, signal.SIGKILL)
    await until(lambda: replica.port not in (0, old_port))
    # The new replica began at the market's present seq; what came before is in the journal.
    stub = pb_grpc.MarketServiceStub(make_channel(f"127.0.0.1:{replica.port}"))
    call = stub.StreamEvents(pb.StreamEventsRequest(symbol="ACME", from_seq=2))
    batch = await within(call.read())
    call.cancel()
    expected = list(server.exchange["ACME"].events)[2:]
    assert codec.events_from_proto(batch.events) == expected


@pytest.mark.parametrize("mode", ["thread", "process"])
def test_launch_serves_market_data_from_a_process(mode):
    import marketsim

    market = marketsim.launch({"ACME": 0.01}, mode=mode, market_data="process")
    try:
        with grpc.insecure_channel(market.address) as channel:
            info = pb_grpc.MarketServiceStub(channel).GetServerInfo(pb.GetServerInfoRequest())
        assert info.market_data_port not in (0, int(market.address.rsplit(":", 1)[1]))
        with market.client("alice") as client:
            recorder = client.record("ACME")
            acks = [client.submit("ACME", side, qty, price) for side, qty, price in ORDERS]
            recorder.wait(acks[-1].events[-1].seq)
            recorder.stop()
        assert [event.seq for event in recorder.event_log()] == list(range(1, recorder.seq + 1))
        assert len(recorder.trades()) == 3
    finally:
        market.stop()


async def test_a_trading_case_is_refused_while_a_replica_follows(make_server):
    from marketsim import cases

    roster, _ = Roster.create({"prof": "admin", "alice": "trader"})
    server = await make_server(roster=roster, market_data="process")
    request = pb.RunCaseRequest(case_toml=cases.load("spread").source, clock="simulated")
    with pytest.raises(InvalidCommandError, match="market-data process"):
        server.service.load_case(request)
