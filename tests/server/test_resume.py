"""Resumable streams: ``from_seq`` on the book, trade and event streams of a real server.

A resuming stream first gets every event after ``from_seq`` (from the hub's backlog, else
from the service's ``history`` hook), then the live ones: the seqs a client sees run on
without a gap or a repeat. When the events are gone, a book stream sends a snapshot and the
trade and event streams fail with OUT_OF_RANGE.
"""

from __future__ import annotations

import asyncio

import grpc
import pytest
from server_support import get_book, levels, limit, owner_metadata, within

from marketsim.client import LocalBook
from marketsim.client.views import BookSnapshot
from marketsim.wire import codec
from marketsim.wire.v1 import market_pb2 as pb

ALICE = owner_metadata("alice")
BUY, SELL = pb.SIDE_BUY, pb.SIDE_SELL


async def trade_a_little(stub, rounds: int, start: int = 0) -> int:
    """Rest and cross some orders; return the book's seq afterwards."""
    ack = None
    for k in range(start, start + rounds):
        await within(stub.SubmitOrder(limit(SELL, 2, 100 + k % 5), metadata=ALICE))
        ack = await within(stub.SubmitOrder(limit(BUY, 1, 100 + k % 5), metadata=ALICE))
    return max(codec.event_from_proto(e).seq for e in ack.events)


def seqs_of(batches) -> list[int]:
    return [codec.event_from_proto(e).seq for batch in batches for e in batch.events]


async def read_until(call, last_seq: int, seqs_in) -> list:
    """Read messages until one carries ``last_seq``."""
    messages = []
    while not messages or max(seqs_in(messages[-1]), default=-1) < last_seq:
        messages.append(await within(call.read()))
    return messages


async def test_event_stream_resumes_after_from_seq_then_goes_on_live(stub):
    cut = await trade_a_little(stub, 5)
    now = await trade_a_little(stub, 5, start=5)
    call = stub.StreamEvents(pb.StreamEventsRequest(symbol="ACME", from_seq=cut))
    missed = await read_until(call, now, lambda m: seqs_of([m]))
    later = await trade_a_little(stub, 2, start=10)
    live = await read_until(call, later, lambda m: seqs_of([m]))
    call.cancel()
    assert seqs_of(missed + live) == list(range(cut + 1, later + 1))


async def test_trade_stream_resumes_after_the_last_trade_seen(stub):
    await trade_a_little(stub, 3)
    everything = await within(stub.GetBook(pb.GetBookRequest(symbol="ACME")))
    call = stub.StreamTrades(pb.StreamTradesRequest(symbol="ACME", from_seq=0))
    batch = await within(call.read())
    trades = [codec.event_from_proto(t) for t in batch.trades]
    call.cancel()
    assert len(trades) == 3 and trades[-1].seq < everything.seq
    resumed = stub.StreamTrades(pb.StreamTradesRequest(symbol="ACME", from_seq=trades[0].seq))
    rest = [codec.event_from_proto(t) for t in (await within(resumed.read())).trades]
    resumed.cancel()
    assert rest == trades[1:]


async def test_book_stream_resumes_with_deltas_from_the_clients_book(stub):
    await trade_a_little(stub, 4)
    first = stub.StreamBook(pb.StreamBookRequest(symbol="ACME"))
    book = LocalBook(BookSnapshot.from_proto((await within(first.read())).snapshot))
    first.cancel()
    now = await trade_a_little(stub, 6, start=4)

    resumed = stub.StreamBook(pb.StreamBookRequest(symbol="ACME", from_seq=book.seq))
    messages = await read_until(resumed, now, lambda m: [m.deltas.seq])
    resumed.cancel()
    for message in messages:
        assert message.WhichOneof("update") == "deltas"
        assert message.deltas.prev_seq == book.seq
        book.apply(codec.events_from_proto(message.deltas.deltas), message.deltas.seq)
    assert book.seq == now
    assert levels(book) == levels(await get_book(stub))


async def test_a_client_already_up_to_date_gets_only_what_comes_next(stub):
    now = await trade_a_little(stub, 2)
    call = stub.StreamBook(pb.StreamBookRequest(symbol="ACME", from_seq=now))
    await within(call.initial_metadata())
    later = await trade_a_little(stub, 1, start=2)
    messages = await read_until(call, later, lambda m: [m.deltas.seq])
    call.cancel()
    assert [m.WhichOneof("update") for m in messages] == ["deltas"] * len(messages)
    assert messages[0].deltas.prev_seq == now


@pytest.fixture
def short_backlog(server):
    """The server's hub keeps only the last 4 events of each instrument."""
    server.hub.backlog_events = 4
    return server


async def test_beyond_the_backlog_a_book_stream_starts_from_a_snapshot(short_backlog, stub):
    await trade_a_little(stub, 5)
    call = stub.StreamBook(pb.StreamBookRequest(symbol="ACME", from_seq=1))
    first = await within(call.read())
    call.cancel()
    assert first.WhichOneof("update") == "snapshot"
    assert first.snapshot == await get_book(stub)


@pytest.mark.parametrize("method", ["StreamEvents", "StreamTrades"])
async def test_beyond_the_backlog_trade_and_event_streams_fail_with_out_of_range(
    short_backlog, stub, method
):
    now = await trade_a_little(stub, 5)
    request = getattr(pb, f"{method}Request")(symbol="ACME", from_seq=1)
    with pytest.raises(grpc.aio.AioRpcError) as failure:
        await within(getattr(stub, method)(request).read())
    assert failure.value.code() == grpc.StatusCode.OUT_OF_RANGE
    assert f"after seq 1 (the book is at seq {now}" in failure.value.details()


@pytest.mark.parametrize("kind", ["function", "coroutine function"])
async def test_the_history_hook_fills_what_the_backlog_dropped(short_backlog, stub, kind):
    now = await trade_a_little(stub, 5)
    asked = []

    def history(symbol: str, from_seq: int):
        asked.append((symbol, from_seq))
        # durable storage that lags the present by two events: the backlog has the rest
        return [e for e in short_backlog.exchange[symbol].events if from_seq < e.seq <= now - 2]

    async def history_off_the_loop(symbol: str, from_seq: int):
        return await asyncio.to_thread(history, symbol, from_seq)

    short_backlog.service.history = history if kind == "function" else history_off_the_loop
    call = stub.StreamEvents(pb.StreamEventsRequest(symbol="ACME", from_seq=1))
    missed = await read_until(call, now, lambda m: seqs_of([m]))
    call.cancel()
    assert asked == [("ACME", 1)]
    assert seqs_of(missed) == list(range(2, now + 1))


async def test_a_history_with_a_hole_counts_as_no_history(short_backlog, stub):
    await trade_a_little(stub, 5)
    short_backlog.service.history = lambda symbol, from_seq: list(
        short_backlog.exchange[symbol].events[from_seq + 1 :]  # starts one event late
    )
    call = stub.StreamEvents(pb.StreamEventsRequest(symbol="ACME", from_seq=1))
    with pytest.raises(grpc.aio.AioRpcError) as failure:
        await within(call.read())
    assert failure.value.code() == grpc.StatusCode.OUT_OF_RANGE


async def test_from_seq_ahead_of_the_book_means_the_server_lost_state(stub):
    now = await trade_a_little(stub, 1)
    book = stub.StreamBook(pb.StreamBookRequest(symbol="ACME", from_seq=now + 10))
    assert (await within(book.read())).snapshot.seq == now
    book.cancel()
    events = stub.StreamEvents(pb.StreamEventsRequest(symbol="ACME", from_seq=now + 10))
    with pytest.raises(grpc.aio.AioRpcError) as failure:
        await within(events.read())
    assert failure.value.code() == grpc.StatusCode.OUT_OF_RANGE


async def test_from_seq_needs_a_symbol(stub):
    call = stub.StreamEvents(pb.StreamEventsRequest(from_seq=3))
    with pytest.raises(grpc.aio.AioRpcError) as failure:
        await within(call.read())
    assert failure.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "from_seq needs a symbol" in failure.value.details()


async def test_orders_made_while_the_history_is_read_come_once_after_it(short_backlog, stub):
    short_backlog.hub.backlog_events = 12  # holds what is published during the read
    await trade_a_little(stub, 5)
    later: list[int] = []

    async def slow_history(symbol: str, from_seq: int):
        events = [e for e in short_backlog.exchange[symbol].events if e.seq > from_seq]
        later.append(await trade_a_little(stub, 1, start=7))  # published while we "read"
        return events

    short_backlog.service.history = slow_history
    call = stub.StreamEvents(pb.StreamEventsRequest(symbol="ACME", from_seq=1))
    await within(call.initial_metadata())
    end = await trade_a_little(stub, 1, start=9)
    messages = await read_until(call, end, lambda m: seqs_of([m]))
    call.cancel()
    assert later and seqs_of(messages) == list(range(2, end + 1))
