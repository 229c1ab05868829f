"""``AsyncMarketClient`` against a real server: units, errors, bulk entry, and book resync."""

from __future__ import annotations

import asyncio
import threading

import grpc
import pytest
from grpc_support import within

from marketsim.core import Fill, OrderBook, OrderResult
from marketsim.errors import (
    InvalidCommandError,
    MarketUnavailableError,
    NotFoundError,
    PermissionDeniedError,
    UnknownOrderError,
    UnknownSymbolError,
)
from marketsim.wire.v1 import market_pb2 as pb
from marketsim.wire.v1 import market_pb2_grpc as pb_grpc

# ---- units and results ---------------------------------------------------------------------


async def test_submit_speaks_in_prices_and_quantities_and_returns_the_outcome(make_client):
    alice, bob = make_client("alice"), make_client("bob")
    resting = await within(alice.submit("ACME", "sell", 10, 100.05))
    taking = await within(bob.submit("ACME", "buy", 4))

    assert isinstance(taking, OrderResult)
    assert (resting.status, resting.leaves_qty) == ("new", 10)
    assert (taking.status, taking.filled_qty, taking.leaves_qty) == ("filled", 4, 0)
    (fill,) = taking.trades
    assert isinstance(fill, Fill)
    assert (fill.price, fill.qty, fill.maker_owner, fill.taker_owner) == (100.05, 4, "alice", "bob")
    book = await within(bob.book("ACME"))
    assert book.best_ask == (100.05, 6)
    assert book.seq == taking.events[-1].seq


async def test_cancel_and_replace_act_on_the_callers_own_orders(client):
    order = await within(client.submit("ACME", "buy", 5, 1.00))
    replaced = await within(client.replace("ACME", order.order_id, qty=3, price=1.01))
    assert (replaced.order_id, replaced.status, replaced.leaves_qty) == (
        order.order_id,
        "replaced",
        3,
    )
    cancelled = await within(client.cancel("ACME", order.order_id))
    assert (cancelled.status, cancelled.reason) == ("cancelled", "user")
    assert (await within(client.book("ACME"))).level_ticks("bid") == []


async def test_resubmitting_with_the_same_client_order_id_returns_the_first_result(client):
    first = await within(client.submit("ACME", "buy", 5, 1.00, client_order_id="retry-1"))
    again = await within(client.submit("ACME", "buy", 5, 1.00, client_order_id="retry-1"))

    assert again.order_id == first.order_id
    assert again.events == first.events
    assert (await within(client.book("ACME"))).level_ticks("bid") == [(100, 5, 1)]


async def test_add_instrument_lists_a_new_symbol_that_can_then_trade(client):
    instrument = await within(client.add_instrument("NEW", "0.5", "0.001"))
    assert (instrument.symbol, str(instrument.tick_size), str(instrument.lot_size)) == (
        "NEW",
        "0.5",
        "0.001",
    )
    result = await within(client.submit("NEW", "buy", 0.25, 10.5))
    assert result.leaves_qty == 0.25
    assert [i.symbol for i in await within(client.instruments())] == ["ACME", "XYZ", "NEW"]


# ---- errors come back as the engine's exception classes -------------------------------------


async def test_server_status_codes_come_back_as_marketsim_exceptions(make_client):
    alice, bob = make_client("alice"), make_client("bob")
    order = await within(alice.submit("ACME", "buy", 1, 1.00))

    with pytest.raises(UnknownSymbolError, match="NOPE") as unknown_symbol:
        await within(alice.book("NOPE"))
    with pytest.raises(UnknownOrderError, match="999999") as unknown_order:
        await within(alice.cancel("ACME", 999_999))
    with pytest.raises(PermissionDeniedError, match="another owner") as denied:
        await within(bob.cancel("ACME", order.order_id))
    with pytest.raises(InvalidCommandError, match="already listed") as invalid:
        await within(alice.add_instrument("ACME", 0.01))

    # The same except clauses work as for dictionaries and built-in errors.
    assert isinstance(unknown_symbol.value, KeyError | NotFoundError)
    assert isinstance(unknown_order.value, KeyError)
    assert isinstance(denied.value, PermissionError)
    assert isinstance(invalid.value, ValueError)


async def test_submit_for_an_unknown_symbol_raises_unknown_symbol_error(client):
    with pytest.raises(UnknownSymbolError, match="NOPE"):
        await within(client.submit("NOPE", "buy", 1, 1.00))


@pytest.mark.parametrize(
    ("args", "kwargs", "says"),
    [
        (("buy", 1, 1.001), {}, "not a multiple of tick"),
        (("buy", 0, 1.00), {}, "qty"),
        (("buy", 1.5, 1.00), {}, "not a multiple of lot"),
        (("up", 1, 1.00), {}, "side"),
        (("buy", 1, -1.00), {}, "price"),
        (("buy", 1, 1.00), {"tif": "DAY"}, "tif"),
        (("buy", 1), {"post_only": True}, "post_only"),
    ],
    ids=["off-tick", "qty-zero", "off-lot", "bad-side", "negative-price", "bad-tif", "post-only"],
)
async def test_client_refuses_malformed_orders_before_anything_reaches_the_book(
    client, args, kwargs, says
):
    before = await within(client.book("ACME", 0))
    with pytest.raises(InvalidCommandError, match=says):
        await within(client.submit("ACME", *args, **kwargs))
    assert await within(client.book("ACME", 0)) == before


@pytest.mark.parametrize(
    ("qty", "price"), [(2**63, 1.00), (1, 1e30)], ids=["qty-beyond-int64", "price-beyond-int64"]
)
async def test_client_refuses_numbers_too_large_for_the_wire_with_invalid_command_error(
    client, qty, price
):
    with pytest.raises(InvalidCommandError):
        await within(client.submit("ACME", "buy", qty, price))


async def test_call_to_a_server_that_is_not_listening_raises_market_unavailable_error(server):
    address = server.address
    await within(server.stop(0))
    from marketsim.client import AsyncMarketClient

    async with AsyncMarketClient(address, timeout=5) as client:
        with pytest.raises(MarketUnavailableError):
            await within(client.book("ACME"))
        assert isinstance(MarketUnavailableError("x"), ConnectionError)


async def test_client_used_on_a_second_event_loop_raises_instead_of_misbehaving(client):
    await within(client.book("ACME"))  # the channel now belongs to the test's loop
    outcome: list[BaseException] = []

    def other_loop() -> None:
        try:
            asyncio.run(client.book("ACME"))
        except BaseException as error:
            outcome.append(error)

    thread = threading.Thread(target=other_loop)
    thread.start()
    thread.join(10)
    assert not thread.is_alive()
    (error,) = outcome
    assert isinstance(error, RuntimeError) and "event loop" in str(error)


# ---- submit_many ----------------------------------------------------------------------------


async def test_submit_many_returns_one_result_per_order_in_order_with_consecutive_ids(client):
    orders = [
        ("buy", 1 + i % 5, round(1.00 + 0.01 * (i % 90), 2))
        if i % 2
        else {"side": "sell", "qty": 1 + i % 3, "price": round(3.00 + 0.01 * (i % 90), 2)}
        for i in range(5000)
    ]
    results = await within(client.submit_many("ACME", orders, batch_size=700))

    assert len(results) == len(orders)
    ids = [result.order_id for result in results]
    assert ids == list(range(ids[0], ids[0] + len(orders)))
    for order, result in zip(orders, results, strict=True):
        side, qty, price = order if isinstance(order, tuple) else order.values()
        accepted = result.events[0]
        assert (accepted.side, accepted.qty_lots, accepted.price_ticks) == (
            side,
            qty,
            round(price * 100),
        )
        assert result.status == "new"
    book = await within(client.book("ACME", 0))
    resting = sum(qty for _, qty, _ in book.levels("bid") + book.levels("ask"))
    assert resting == sum(o[1] if isinstance(o, tuple) else o["qty"] for o in orders)


async def test_submit_many_reports_the_same_outcomes_as_the_engine_in_process(make_client):
    alice, bob = make_client("alice"), make_client("bob")
    local = OrderBook("ACME", tick_size=0.01)
    resting = [("sell", 2, 5.00)] * 3 + [("buy", 1, 4.00)]
    taking = [("buy", 3), ("buy", 3, 5.00), ("buy", 1), ("sell", 2, 4.00, "IOC"), ("buy", 9, 6.0)]

    await within(alice.submit_many("ACME", resting))
    results = await within(bob.submit_many("ACME", taking))

    for order in resting:
        local.submit(*order, owner="alice")
    expected = [
        local.submit(*order[:3], tif=order[3] if len(order) > 3 else "GTC") for order in taking
    ]
    assert [(r.status, r.reason, r.filled_lots, r.leaves_lots) for r in results] == [
        (r.status, r.reason, r.filled_lots, r.leaves_lots) for r in expected
    ]
    assert [[(f.price, f.qty) for f in r.trades] for r in results] == [
        [(f.price, f.qty) for f in r.trades] for r in expected
    ]


async def test_submit_many_validates_every_order_before_sending_any(client):
    before = await within(client.book("ACME", 0))
    orders = [("buy", 1, 1.00)] * 10 + [("buy", 1, 1.001)]
    with pytest.raises(InvalidCommandError, match="tick"):
        await within(client.submit_many("ACME", orders))
    assert await within(client.book("ACME", 0)) == before


async def test_submit_many_with_a_batch_over_the_server_limit_raises_and_enters_nothing(client):
    from marketsim.server.service import MAX_COMMANDS_PER_REQUEST

    orders = [("buy", 1, 1.00)] * (MAX_COMMANDS_PER_REQUEST + 1)
    with pytest.raises(InvalidCommandError, match=str(MAX_COMMANDS_PER_REQUEST)):
        await within(client.submit_many("ACME", orders, batch_size=len(orders), progress=False))
    assert (await within(client.book("ACME", 0))).level_ticks("bid") == []


# ---- book streams ---------------------------------------------------------------------------


async def test_stream_book_yields_updates_already_applied_to_the_local_book(client):
    await within(client.submit("ACME", "buy", 2, 1.00))
    stream = client.stream_book("ACME")
    try:
        first = await within(anext(stream))
        placed = await within(client.submit("ACME", "sell", 3, 1.02))
        second = await within(anext(stream))
    finally:
        await within(stream.aclose())

    assert (first.kind, first.seq) == ("snapshot", placed.events[0].seq - 1)
    assert (second.kind, second.seq) == ("deltas", placed.events[-1].seq)
    assert [(d.side, d.price_ticks, d.qty_lots, d.action) for d in second.deltas] == [
        ("ask", 102, 3, "add")
    ]
    assert second.book.best_bid == (1.00, 2) and second.book.best_ask == (1.02, 3)


class GapServicer(pb_grpc.MarketServiceServicer):
    """A fake market whose first book stream skips a message and whose second is correct."""

    def __init__(self, first: str) -> None:
        self.first = first
        self.calls = 0
        self.first_call_cancelled = asyncio.Event()

    async def StreamBook(self, request, context):
        self.calls += 1
        if self.calls > 1:
            yield pb.BookUpdate(snapshot=snapshot(9, bids=[(100, 3, 1), (98, 4, 1)]))
            return
        try:
            if self.first == "wrong-prev-seq":
                yield pb.BookUpdate(snapshot=snapshot(5, bids=[(100, 3, 1)]))
                yield pb.BookUpdate(deltas=deltas(5, 6, (99, 1, 1, pb.DELTA_ACTION_ADD)))
                yield pb.BookUpdate(deltas=deltas(7, 8, (98, 4, 1, pb.DELTA_ACTION_ADD)))  # not 6
            else:  # deltas before any snapshot
                yield pb.BookUpdate(deltas=deltas(5, 6, (99, 1, 1, pb.DELTA_ACTION_ADD)))
            await asyncio.sleep(30)  # the client must leave this stream, not wait on it
        finally:  # reached early only when the client cancels the call
            self.first_call_cancelled.set()


def snapshot(seq: int, bids: list[tuple[int, int, int]]) -> pb.BookSnapshot:
    return pb.BookSnapshot(
        symbol="ACME",
        seq=seq,
        tick_size="0.01",
        lot_size="1",
        bids=[pb.PriceLevel(price_ticks=p, qty_lots=q, order_count=n) for p, q, n in bids],
    )


def deltas(prev_seq: int, seq: int, *changes: tuple[int, int, int, int]) -> pb.BookDeltas:
    return pb.BookDeltas(
        prev_seq=prev_seq,
        seq=seq,
        deltas=[
            pb.BookDelta(
                seq=seq,
                side=pb.BOOK_SIDE_BID,
                price_ticks=p,
                qty_lots=q,
                order_count=n,
                action=action,
                last=True,
            )
            for p, q, n, action in changes
        ],
    )


@pytest.fixture
async def fake_market(request):
    servicer = GapServicer(request.param)
    fake = grpc.aio.server(options=[("grpc.so_reuseport", 0)])
    pb_grpc.add_MarketServiceServicer_to_server(servicer, fake)
    port = fake.add_insecure_port("127.0.0.1:0")
    await within(fake.start())
    yield f"127.0.0.1:{port}", servicer
    await within(fake.stop(0))


@pytest.mark.parametrize(
    ("fake_market", "before_gap"),
    [("wrong-prev-seq", ["snapshot", "deltas"]), ("deltas-before-snapshot", [])],
    indirect=["fake_market"],
)
async def test_stream_book_resubscribes_by_itself_when_it_sees_a_gap(fake_market, before_gap):
    from marketsim.client import AsyncMarketClient

    address, servicer = fake_market
    async with AsyncMarketClient(address, timeout=5, reconnect=False) as client:
        updates = [u async for u in within_each(client.stream_book("ACME"))]

        assert [u.kind for u in updates] == [*before_gap, "snapshot"]
        assert client.resyncs == 1
        assert servicer.calls == 2
        fresh = updates[-1]
        assert (fresh.seq, fresh.book.level_ticks("bid")) == (9, [(100, 3, 1), (98, 4, 1)])
        await within(servicer.first_call_cancelled.wait())
    if before_gap:  # the delta that did follow on was applied before the gap
        assert updates[1].book.level_ticks("bid") == [(100, 3, 1), (99, 1, 1)]


async def within_each(stream, seconds: float = 10.0):
    """Yield from an async iterator, failing if any item takes longer than ``seconds``."""
    while True:
        try:
            yield await within(anext(stream), seconds)
        except StopAsyncIteration:
            return
