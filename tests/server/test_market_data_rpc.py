"""Market data over gRPC: GetBook, and the book, trade and event streams.

A stream must start from a snapshot and then carry every change in order, so a client that
applies it ends with exactly the book GetBook reports.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import grpc
import pytest
from server_support import (
    DEADLINE,
    get_book,
    levels,
    limit,
    owner_metadata,
    random_flow,
    wait_until,
    within,
)

from marketsim.errors import UnknownSymbolError
from marketsim.server.encoding import MAX_ITEMS_PER_MESSAGE
from marketsim.wire.v1 import market_pb2 as pb

BUY, SELL = pb.SIDE_BUY, pb.SIDE_SELL
ALICE = owner_metadata("alice")


class Collector:
    """Runs an async iterator in a task and keeps what it yields."""

    def __init__(self, stream: AsyncIterator[Any]) -> None:
        self.items: list[Any] = []
        self._stream = stream
        self.task = asyncio.ensure_future(self._run())

    async def _run(self) -> None:
        async for item in self._stream:
            self.items.append(item)

    async def wait_for(self, predicate, seconds: float = DEADLINE) -> None:
        """Wait until ``predicate(self.items)`` holds (re-raising the stream's own error)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + seconds
        while not predicate(self.items):
            if self.task.done():
                self.task.result()
                raise AssertionError("the stream ended before the condition held")
            if loop.time() > deadline:
                raise AssertionError(f"not reached within {seconds} s; got {len(self.items)}")
            await asyncio.sleep(0.005)

    async def stop(self) -> None:
        self.task.cancel()
        await within(asyncio.gather(self.task, return_exceptions=True))


@pytest.fixture
async def collectors():
    """Start ``Collector``s; all stopped afterwards."""
    started: list[Collector] = []

    def start(stream: AsyncIterator[Any]) -> Collector:
        collector = Collector(stream)
        started.append(collector)
        return collector

    yield start
    for collector in started:
        await collector.stop()


async def build_ladder(stub) -> None:
    """Bids 100 (2 orders), 99, 98, 97 and asks 101, 102 (2 orders), 103, 104, in ticks."""
    for side, price, qty in [
        (BUY, 100, 3), (BUY, 100, 4), (BUY, 99, 1), (BUY, 98, 7), (BUY, 97, 2),
        (SELL, 101, 5), (SELL, 102, 1), (SELL, 102, 1), (SELL, 103, 8), (SELL, 104, 6),
    ]:  # fmt: skip
        await within(stub.SubmitOrder(limit(side, qty, price), metadata=ALICE))


# ---- GetBook ------------------------------------------------------------------------------

ALL_BIDS = [(100, 7, 2), (99, 1, 1), (98, 7, 1), (97, 2, 1)]
ALL_ASKS = [(101, 5, 1), (102, 2, 2), (103, 8, 1), (104, 6, 1)]


@pytest.mark.parametrize("depth", [0, 1, 2, 3, 4, 5, 1000])
async def test_get_book_returns_the_top_levels_at_any_depth(stub, client, depth):
    await build_ladder(stub)
    top = depth or None

    snapshot = await within(stub.GetBook(pb.GetBookRequest(symbol="ACME", depth=depth)))

    assert levels(snapshot) == (ALL_BIDS[:top], ALL_ASKS[:top])
    assert snapshot.seq == 20  # ten resting orders: accepted + one delta each
    assert (snapshot.symbol, snapshot.tick_size, snapshot.lot_size) == ("ACME", "0.01", "1")
    view = await within(client.book("ACME", depth))
    assert levels(view) == (ALL_BIDS[:top], ALL_ASKS[:top])
    assert view.best_bid == (1.00, 7) and view.best_ask == (1.01, 5)


async def test_get_book_of_an_empty_book_has_no_levels_and_seq_zero(stub):
    snapshot = await within(stub.GetBook(pb.GetBookRequest(symbol="XYZ")))
    assert (list(snapshot.bids), list(snapshot.asks), snapshot.seq) == ([], [], 0)
    assert snapshot.tick_size == "0.05"


# ---- StreamBook ---------------------------------------------------------------------------


async def test_stream_book_starts_with_a_snapshot_then_deltas_chained_by_prev_seq(stub):
    await build_ladder(stub)
    at_subscription = await get_book(stub)
    call = stub.StreamBook(pb.StreamBookRequest(symbol="ACME"))
    first = await within(call.read())
    acks = [
        await within(stub.SubmitOrder(limit(BUY, 2, 101), metadata=ALICE)),  # trades
        await within(stub.SubmitOrder(limit(SELL, 1, 150), metadata=ALICE)),  # new level
        await within(
            stub.SubmitOrder(  # rejected: changes no level, so no message
                limit(BUY, 100, 110, tif=pb.TIME_IN_FORCE_FOK), metadata=ALICE
            )
        ),
        await within(
            stub.CancelOrder(pb.CancelOrderRequest(symbol="ACME", order_id=3), metadata=ALICE)
        ),
    ]
    messages = [await within(call.read()) for _ in range(3)]
    call.cancel()

    assert first.WhichOneof("update") == "snapshot"
    assert first.snapshot == at_subscription
    previous = first.snapshot.seq
    for message, ack in zip(messages, [acks[0], acks[1], acks[3]], strict=True):
        assert message.WhichOneof("update") == "deltas"
        update = message.deltas
        assert update.prev_seq == previous
        expected = [e.delta for e in ack.events if e.HasField("delta")]
        assert list(update.deltas) == expected
        assert update.seq == max(getattr(e, e.WhichOneof("kind")).seq for e in ack.events)
        assert update.deltas[-1].last
        previous = update.seq
    assert acks[2].status == pb.ORDER_STATUS_REJECTED


@pytest.mark.parametrize("seed", [1, 2, 3])
async def test_local_book_kept_by_stream_book_equals_get_book_after_a_random_flow(
    stub, make_client, collectors, seed
):
    alice, bob = make_client("alice"), make_client("bob")
    watcher = make_client("watcher")
    await build_ladder(stub)
    stream = collectors(watcher.stream_book("ACME"))
    await stream.wait_for(lambda items: items)

    await random_flow([alice, bob], seed, 250)
    marker = await within(alice.submit("ACME", "buy", 1, 50.00))  # a change we can wait for
    await stream.wait_for(lambda items: items[-1].seq == marker.events[-1].seq)

    book = stream.items[-1].book
    assert levels(book) == levels(await get_book(stub))
    assert [u.kind for u in stream.items].count("snapshot") == 1
    assert watcher.resyncs == 0
    seqs = [u.seq for u in stream.items]
    assert seqs == sorted(set(seqs))


async def test_stream_book_of_other_symbol_sees_no_deltas_from_this_one(stub, client, collectors):
    stream = collectors(client.stream_book("XYZ"))
    await stream.wait_for(lambda items: items)
    await build_ladder(stub)
    await within(client.submit("XYZ", "sell", 1, 2.05))
    await stream.wait_for(lambda items: len(items) == 2)
    assert [(u.kind, levels(u.book)) for u in stream.items][-1] == ("deltas", ([], [(41, 1, 1)]))


async def test_stream_book_keeps_the_top_levels_right_when_the_best_level_goes(
    stub, client, collectors
):
    # Deltas cover every level; a client copy cut to the top level could not know the level
    # below. The client's book must still show the right top levels after the best one goes.
    await build_ladder(stub)
    stream = collectors(client.stream_book("ACME"))
    await stream.wait_for(lambda items: items)

    await within(client.cancel("ACME", 1))  # bid 100 still has order 2
    cancelled = await within(client.cancel("ACME", 2))  # bid 100 is gone; 99 is best
    await stream.wait_for(lambda items: items[-1].seq >= cancelled.events[-1].seq)

    book = stream.items[-1].book
    server = await within(client.book("ACME", 1))
    assert book.level_ticks("bid", 1) == server.level_ticks("bid") == [(99, 1, 1)]


# ---- StreamTrades and StreamEvents --------------------------------------------------------


async def test_stream_trades_delivers_every_trade_in_order(server, make_client, collectors):
    alice, bob, watcher = make_client("alice"), make_client("bob"), make_client("watcher")
    acme = collectors(watcher.stream_trades("ACME"))
    every = collectors(watcher.stream_trades())
    await wait_until(lambda: server.hub.subscriber_count == 2)

    results = await random_flow([alice, bob], 7, 200)
    results += await random_flow([alice, bob], 8, 100, symbol="XYZ")
    expected = [fill for result in results for fill in result.trades]
    expected_acme = [fill for fill in expected if fill.symbol == "ACME"]
    assert len(expected_acme) > 20 and len(expected) > len(expected_acme)

    await acme.wait_for(lambda items: len(items) >= len(expected_acme))
    await every.wait_for(lambda items: len(items) >= len(expected))
    await asyncio.sleep(0.05)  # nothing more may arrive
    assert acme.items == expected_acme
    assert every.items == expected


async def test_stream_events_delivers_every_event_with_consecutive_seqs_per_symbol(
    server, make_client, collectors, stub
):
    alice, bob, watcher = make_client("alice"), make_client("bob"), make_client("watcher")
    await build_ladder(stub)  # events before the subscription are not replayed
    start_seq = (await get_book(stub)).seq
    acme = collectors(watcher.stream_events("ACME"))
    every = collectors(watcher.stream_events())
    await wait_until(lambda: server.hub.subscriber_count == 2)

    acme_results = await random_flow([alice, bob], 11, 150)
    xyz_results = await random_flow([alice, bob], 12, 80, symbol="XYZ")
    acme_results += await within(alice.submit_many("ACME", [("buy", 1, 90.0)] * 50, batch_size=20))
    expected = {
        "ACME": [e for r in acme_results for e in r.events],
        "XYZ": [e for r in xyz_results for e in r.events],
    }

    def count(items, symbol=None) -> int:
        return sum(len(b.events) for b in items if symbol in (None, b.symbol))

    total = len(expected["ACME"]) + len(expected["XYZ"])
    await acme.wait_for(lambda items: count(items) >= len(expected["ACME"]))
    await every.wait_for(lambda items: count(items) >= total)
    await asyncio.sleep(0.05)

    acme_events = [e for batch in acme.items for e in batch.events]
    assert {batch.symbol for batch in acme.items} == {"ACME"}
    assert acme_events == expected["ACME"]
    assert [e.seq for e in acme_events] == list(
        range(start_seq + 1, start_seq + 1 + len(acme_events))
    )
    for symbol in ("ACME", "XYZ"):
        events = [e for batch in every.items if batch.symbol == symbol for e in batch.events]
        assert events == expected[symbol]
        assert [e.seq for e in events] == list(range(events[0].seq, events[0].seq + len(events)))


async def test_stream_messages_carry_at_most_the_item_limit_even_for_one_large_request(
    server, stub
):
    # One OrderEntry request makes one publication of many command batches; the documented
    # limit (MAX_ITEMS_PER_MESSAGE) still bounds each message, splitting between commands.
    events = stub.StreamEvents(pb.StreamEventsRequest(symbol="ACME"))
    book = stub.StreamBook(pb.StreamBookRequest(symbol="ACME"))
    await within(book.read())  # the snapshot
    await wait_until(lambda: server.hub.subscriber_count == 2)
    commands = [pb.OrderCommand(submit=limit(BUY, 1, 1000 + i)) for i in range(6000)]
    call = stub.OrderEntry(metadata=ALICE)
    await within(call.write(pb.OrderEntryRequest(commands=commands)))
    await within(call.read())
    await within(call.done_writing())

    received = 0
    sizes = []
    while received < 2 * 6000:  # each order: accepted + one delta
        batch = await within(events.read())
        sizes.append(len(batch.events))
        received += len(batch.events)
    book_sizes = []
    while sum(book_sizes) < 6000:
        book_sizes.append(len((await within(book.read())).deltas.deltas))
    events.cancel()
    book.cancel()
    assert max(sizes) <= MAX_ITEMS_PER_MESSAGE, sizes
    assert max(book_sizes) <= MAX_ITEMS_PER_MESSAGE, book_sizes


# ---- unknown symbols ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "request_"),
    [
        ("StreamBook", pb.StreamBookRequest(symbol="NOPE")),
        ("StreamTrades", pb.StreamTradesRequest(symbol="NOPE")),
        ("StreamEvents", pb.StreamEventsRequest(symbol="NOPE")),
    ],
)
async def test_stream_of_an_unknown_symbol_is_not_found(stub, method, request_):
    call = getattr(stub, method)(request_)
    with pytest.raises(grpc.aio.AioRpcError) as info:
        await within(call.read())
    assert info.value.code() == grpc.StatusCode.NOT_FOUND
    assert "unknown symbol 'NOPE'" in info.value.details()


@pytest.mark.parametrize("method", ["stream_book", "stream_trades", "stream_events"])
async def test_client_stream_of_an_unknown_symbol_raises_unknown_symbol_error(client, method):
    stream = getattr(client, method)("NOPE")
    with pytest.raises(UnknownSymbolError, match="NOPE"):
        await within(stream.__anext__())
