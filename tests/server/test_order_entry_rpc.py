"""Order entry over gRPC: owners, permissions, validation, idempotency and the OrderEntry stream.

Requests are sent with the generated stubs so that protos the Python client would refuse
(unspecified enums, zero quantities, ...) reach the server. Every refused request must leave
the book exactly as it was: same levels, same seq.
"""

from __future__ import annotations

import grpc
import pytest
from server_support import get_book, limit, owner_metadata, within

from marketsim.core.types import MAX_QTY_LOTS
from marketsim.errors import PermissionDeniedError
from marketsim.server.service import MAX_COMMANDS_PER_REQUEST
from marketsim.wire.v1 import market_pb2 as pb

BUY, SELL = pb.SIDE_BUY, pb.SIDE_SELL
ALICE, BOB = owner_metadata("alice"), owner_metadata("bob")
SUBMIT = "/marketsim.wire.v1.MarketService/SubmitOrder"
ORDER_ENTRY = "/marketsim.wire.v1.MarketService/OrderEntry"


async def rpc_error(call) -> grpc.aio.AioRpcError:
    """The error a call fails with (the test fails if it succeeds)."""
    with pytest.raises(grpc.aio.AioRpcError) as info:
        await within(call)
    return info.value


async def order_entry(stub, requests, metadata=ALICE) -> list[pb.OrderEntryResponse]:
    """Send OrderEntry requests one by one on one stream; return every response."""
    call = stub.OrderEntry(metadata=metadata)
    responses = []
    for request in requests:
        await within(call.write(request))
        responses.append(await within(call.read()))
    await within(call.done_writing())
    assert await within(call.read()) is grpc.aio.EOF
    return responses


async def rest_alice_order(stub) -> pb.OrderAck:
    """Alice rests a buy 5 @ 100 ticks on ACME, so the books under test are not empty."""
    return await within(stub.SubmitOrder(limit(BUY, 5, 100), metadata=ALICE))


# ---- owners and permissions ---------------------------------------------------------------


async def test_order_events_carry_the_owner_named_in_call_metadata(stub):
    ack = await rest_alice_order(stub)
    assert ack.events[0].accepted.owner == "alice"

    taker = await within(stub.SubmitOrder(limit(SELL, 2, 100), metadata=BOB))
    trades = [e.trade for e in taker.events if e.HasField("trade")]
    assert [(t.maker_owner, t.taker_owner) for t in trades] == [("alice", "bob")]


async def test_order_without_owner_metadata_belongs_to_the_empty_owner(stub):
    ack = await within(stub.SubmitOrder(limit(BUY, 1, 90)))
    assert ack.events[0].accepted.owner == ""

    error = await rpc_error(
        stub.CancelOrder(pb.CancelOrderRequest(symbol="ACME", order_id=ack.order_id), metadata=BOB)
    )
    assert error.code() == grpc.StatusCode.PERMISSION_DENIED


@pytest.mark.parametrize("who", [BOB, ()], ids=["another-owner", "no-owner"])
async def test_cancel_of_someone_elses_order_is_permission_denied_and_changes_nothing(stub, who):
    ack = await rest_alice_order(stub)
    before = await get_book(stub)

    error = await rpc_error(
        stub.CancelOrder(pb.CancelOrderRequest(symbol="ACME", order_id=ack.order_id), metadata=who)
    )

    assert error.code() == grpc.StatusCode.PERMISSION_DENIED
    # The message names the order but never its owner.
    assert str(ack.order_id) in error.details() and "alice" not in error.details()
    assert await get_book(stub) == before
    # The owner still can.
    cancelled = await within(
        stub.CancelOrder(
            pb.CancelOrderRequest(symbol="ACME", order_id=ack.order_id), metadata=ALICE
        )
    )
    assert cancelled.status == pb.ORDER_STATUS_CANCELLED


async def test_replace_of_someone_elses_order_is_permission_denied_and_changes_nothing(stub):
    ack = await rest_alice_order(stub)
    before = await get_book(stub)

    request = pb.ReplaceOrderRequest(symbol="ACME", order_id=ack.order_id, qty_lots=1)
    error = await rpc_error(stub.ReplaceOrder(request, metadata=BOB))

    assert error.code() == grpc.StatusCode.PERMISSION_DENIED
    assert "alice" not in error.details() and "another owner" in error.details()
    assert await get_book(stub) == before


async def test_client_raises_permission_denied_error_for_someone_elses_order(make_client):
    alice, bob = make_client("alice"), make_client("bob")
    order = await within(alice.submit("ACME", "buy", 3, 1.00))

    with pytest.raises(PermissionDeniedError, match="another owner"):
        await within(bob.cancel("ACME", order.order_id))
    with pytest.raises(PermissionDeniedError, match="another owner"):
        await within(bob.replace("ACME", order.order_id, qty=1))
    assert (await within(alice.book("ACME"))).level_ticks("bid") == [(100, 3, 1)]


# ---- malformed requests -------------------------------------------------------------------

INVALID = grpc.StatusCode.INVALID_ARGUMENT
NOT_FOUND = grpc.StatusCode.NOT_FOUND


def _submit(**fields) -> pb.SubmitOrderRequest:
    values = dict(
        symbol="ACME",
        side=BUY,
        order_type=pb.ORDER_TYPE_LIMIT,
        qty_lots=1,
        price_ticks=101,
        tif=pb.TIME_IN_FORCE_GTC,
    )
    values.update(fields)
    if values["price_ticks"] is None:
        del values["price_ticks"]
    return pb.SubmitOrderRequest(**values)


MARKET = pb.ORDER_TYPE_MARKET
NO_TYPE, NO_TIF, IOC = pb.ORDER_TYPE_UNSPECIFIED, pb.TIME_IN_FORCE_UNSPECIFIED, pb.TIME_IN_FORCE_IOC
BAD_SUBMITS = {
    "side-unspecified": (_submit(side=pb.SIDE_UNSPECIFIED), INVALID, "side"),
    "side-unknown-number": (_submit(side=7), INVALID, "side"),
    "order-type-unspecified": (_submit(order_type=NO_TYPE), INVALID, "order_type"),
    "tif-unspecified": (_submit(tif=NO_TIF), INVALID, "tif"),
    "qty-zero": (_submit(qty_lots=0), INVALID, "qty_lots"),
    "qty-negative": (_submit(qty_lots=-3), INVALID, "qty_lots"),
    "price-zero": (_submit(price_ticks=0), INVALID, "price_ticks"),
    "price-negative": (_submit(price_ticks=-5), INVALID, "price_ticks"),
    "limit-without-price": (_submit(price_ticks=None), INVALID, "price_ticks"),
    "market-with-price": (_submit(order_type=MARKET, price_ticks=101), INVALID, "price_ticks"),
    "post-only-ioc": (_submit(post_only=True, tif=IOC), INVALID, "post_only"),
    "post-only-market": (
        _submit(post_only=True, order_type=MARKET, price_ticks=None), INVALID, "post_only"
    ),
    "unknown-symbol": (_submit(symbol="NOPE"), NOT_FOUND, "unknown symbol 'NOPE'"),
    "empty-symbol": (_submit(symbol=""), NOT_FOUND, "unknown symbol"),
}  # fmt: skip


@pytest.mark.parametrize(("request_", "code", "says"), BAD_SUBMITS.values(), ids=list(BAD_SUBMITS))
async def test_malformed_submit_fails_with_a_message_naming_the_problem_and_changes_nothing(
    stub, request_, code, says
):
    await rest_alice_order(stub)
    before = await get_book(stub), await get_book(stub, "XYZ")

    error = await rpc_error(stub.SubmitOrder(request_, metadata=ALICE))

    assert error.code() == code
    assert says in error.details()
    assert (await get_book(stub), await get_book(stub, "XYZ")) == before


LIVE = "live"  # stands for alice's live order in the cases below


def _cancel(order_id, symbol="ACME"):
    return ("CancelOrder", pb.CancelOrderRequest, dict(symbol=symbol, order_id=order_id))


def _replace(order_id, symbol="ACME", **fields):
    return (
        "ReplaceOrder",
        pb.ReplaceOrderRequest,
        dict(symbol=symbol, order_id=order_id, **fields),
    )


BAD_CHANGES = {
    "cancel-unknown-order": (_cancel(999_999), NOT_FOUND, "order 999999"),
    "cancel-order-id-zero": (_cancel(0), INVALID, "order_id"),
    "cancel-unknown-symbol": (_cancel(LIVE, "NOPE"), NOT_FOUND, "unknown symbol"),
    "cancel-on-the-wrong-book": (_cancel(LIVE, "XYZ"), NOT_FOUND, "not live"),
    "replace-unknown-order": (_replace(999_999, qty_lots=1), NOT_FOUND, "order 999999"),
    "replace-nothing": (_replace(LIVE), INVALID, "replace needs"),
    "replace-qty-zero": (_replace(LIVE, qty_lots=0), INVALID, "qty_lots"),
    "replace-price-negative": (_replace(LIVE, price_ticks=-1), INVALID, "price_ticks"),
    "replace-unknown-symbol": (_replace(LIVE, "NOPE", qty_lots=1), NOT_FOUND, "unknown symbol"),
}  # fmt: skip


@pytest.mark.parametrize(("call", "code", "says"), BAD_CHANGES.values(), ids=list(BAD_CHANGES))
async def test_malformed_cancel_or_replace_fails_with_a_message_naming_the_problem(
    stub, call, code, says
):
    live = await rest_alice_order(stub)
    method, request_class, fields = call
    if fields["order_id"] == LIVE:
        fields = {**fields, "order_id": live.order_id}
    before = await get_book(stub), await get_book(stub, "XYZ")

    error = await rpc_error(getattr(stub, method)(request_class(**fields), metadata=ALICE))

    assert error.code() == code
    assert says in error.details()
    assert (await get_book(stub), await get_book(stub, "XYZ")) == before


async def test_get_book_of_unknown_symbol_is_not_found(stub):
    error = await rpc_error(stub.GetBook(pb.GetBookRequest(symbol="NOPE")))
    assert error.code() == NOT_FOUND
    assert "unknown symbol 'NOPE'" in error.details()


@pytest.mark.parametrize(
    ("request_", "says"),
    [
        (pb.AddInstrumentRequest(symbol="ACME", tick_size="0.01"), "already listed"),
        (pb.AddInstrumentRequest(symbol="NEW", tick_size="abc"), "tick_size"),
        (pb.AddInstrumentRequest(symbol="NEW", tick_size="0"), "tick_size"),
        (pb.AddInstrumentRequest(symbol="NEW", tick_size="0.01", lot_size="-1"), "lot_size"),
        (pb.AddInstrumentRequest(symbol="", tick_size="0.01"), "symbol"),
    ],
    ids=["duplicate", "tick-not-a-number", "tick-zero", "lot-negative", "symbol-empty"],
)
async def test_malformed_add_instrument_is_invalid_argument_and_lists_nothing(stub, request_, says):
    before = await within(stub.ListInstruments(pb.ListInstrumentsRequest()))

    error = await rpc_error(stub.AddInstrument(request_))

    assert error.code() == INVALID
    assert says in error.details()
    assert await within(stub.ListInstruments(pb.ListInstrumentsRequest())) == before


async def test_order_too_large_for_int64_level_totals_is_refused_and_the_book_stays_readable(
    stub,
):
    # Two orders of 2**62 lots would make a level of 2**63, more than the wire's int64 carries.
    # Orders are capped far below that (MAX_QTY_LOTS), so the first one is already refused.
    before = await get_book(stub)
    with pytest.raises(grpc.aio.AioRpcError) as refused:
        await within(stub.SubmitOrder(limit(SELL, 2**62, 500), metadata=ALICE))
    assert refused.value.code() == INVALID
    assert "qty_lots" in refused.value.details()
    assert await get_book(stub) == before

    largest = await within(stub.SubmitOrder(limit(SELL, MAX_QTY_LOTS, 500), metadata=ALICE))
    assert largest.status == pb.ORDER_STATUS_NEW
    assert [(lv.qty_lots, lv.order_count) for lv in (await get_book(stub)).asks] == [
        (MAX_QTY_LOTS, 1)
    ]


# ---- idempotency --------------------------------------------------------------------------


async def test_resubmit_with_same_owner_and_client_order_id_returns_original_ack_and_no_order(
    stub,
):
    first = await within(
        stub.SubmitOrder(limit(BUY, 5, 100, client_order_id="c-1"), metadata=ALICE)
    )
    after_first = await get_book(stub)

    again = await within(
        stub.SubmitOrder(limit(BUY, 5, 100, client_order_id="c-1"), metadata=ALICE)
    )

    assert again == first
    assert again.client_order_id == "c-1"
    assert await get_book(stub) == after_first  # one order, seq unchanged


async def test_resubmit_with_same_client_order_id_but_other_fields_still_returns_original_ack(
    stub,
):
    first = await within(
        stub.SubmitOrder(limit(BUY, 5, 100, client_order_id="c-1"), metadata=ALICE)
    )
    after_first = await get_book(stub)

    again = await within(
        stub.SubmitOrder(limit(SELL, 1, 100, client_order_id="c-1"), metadata=ALICE)
    )

    assert again == first
    assert await get_book(stub) == after_first


async def test_same_client_order_id_from_another_owner_enters_a_new_order(stub):
    first = await within(
        stub.SubmitOrder(limit(BUY, 5, 100, client_order_id="c-1"), metadata=ALICE)
    )

    other = await within(stub.SubmitOrder(limit(BUY, 5, 100, client_order_id="c-1"), metadata=BOB))

    assert other.order_id != first.order_id
    assert other.events[0].accepted.owner == "bob"
    (bid,) = (await get_book(stub)).bids
    assert (bid.qty_lots, bid.order_count) == (10, 2)


async def test_order_entry_retry_of_a_unary_submit_returns_the_original_order(stub):
    first = await within(
        stub.SubmitOrder(limit(BUY, 5, 100, client_order_id="c-1"), metadata=ALICE)
    )
    after_first = await get_book(stub)

    command = pb.OrderCommand(tag="t", submit=limit(BUY, 5, 100, client_order_id="c-1"))
    (response,) = await order_entry(stub, [pb.OrderEntryRequest(commands=[command])])

    (ack,) = response.acks
    assert ack.order_id == first.order_id and ack.tag == "t"
    assert await get_book(stub) == after_first


async def test_unary_retry_after_an_order_entry_retry_does_not_echo_the_streams_tag(stub):
    # OrderAck.tag is an OrderEntry-only echo; a later unary retry must get the original ack,
    # not one that a stream retry tagged in the meantime.
    first = await within(
        stub.SubmitOrder(limit(BUY, 5, 100, client_order_id="c-1"), metadata=ALICE)
    )
    command = pb.OrderCommand(tag="stream-tag", submit=limit(BUY, 5, 100, client_order_id="c-1"))
    await order_entry(stub, [pb.OrderEntryRequest(commands=[command])])

    again = await within(
        stub.SubmitOrder(limit(BUY, 5, 100, client_order_id="c-1"), metadata=ALICE)
    )

    assert again.tag == ""
    assert again == first


# ---- the OrderEntry stream ----------------------------------------------------------------


def cancel_request(order_id: int) -> pb.CancelOrderRequest:
    return pb.CancelOrderRequest(symbol="ACME", order_id=order_id)


async def test_order_entry_acks_come_back_in_order_and_failures_do_not_end_the_stream(stub):
    bobs = await within(stub.SubmitOrder(limit(SELL, 1, 300), metadata=BOB))
    commands = [
        pb.OrderCommand(tag="ok-1", submit=limit(BUY, 2, 100)),
        pb.OrderCommand(tag="qty-zero", submit=_submit(qty_lots=0)),
        pb.OrderCommand(tag="unknown-order", cancel=cancel_request(999_999)),
        pb.OrderCommand(tag="bobs-order", cancel=cancel_request(bobs.order_id)),
        pb.OrderCommand(tag="empty"),
        pb.OrderCommand(tag="unknown-symbol", submit=_submit(symbol="NOPE")),
        pb.OrderCommand(tag="ok-2", submit=limit(BUY, 3, 99)),
    ]  # fmt: skip
    second = [pb.OrderCommand(tag="next-request", submit=limit(BUY, 4, 98))]

    first_response, second_response = await order_entry(
        stub, [pb.OrderEntryRequest(commands=commands), pb.OrderEntryRequest(commands=second)]
    )

    acks = first_response.acks
    assert [ack.tag for ack in acks] == [c.tag for c in commands]
    codes = [ack.error.code if ack.HasField("error") else 0 for ack in acks]
    assert codes == [0, INVALID.value[0], NOT_FOUND.value[0], 7, INVALID.value[0], 5, 0]
    assert "qty_lots" in acks[1].error.message
    assert "999999" in acks[2].error.message
    assert "another owner" in acks[3].error.message
    assert "unknown symbol" in acks[5].error.message
    for failed in (acks[1], acks[2], acks[3], acks[4], acks[5]):
        assert (failed.order_id, len(failed.events), failed.status) == (0, 0, 0)
    assert acks[6].order_id == acks[0].order_id + 1
    (ack,) = second_response.acks
    assert ack.tag == "next-request" and ack.status == pb.ORDER_STATUS_NEW
    book = await get_book(stub)
    assert [(lv.price_ticks, lv.qty_lots) for lv in book.bids] == [(100, 2), (99, 3), (98, 4)]
    assert [(lv.price_ticks, lv.qty_lots) for lv in book.asks] == [(300, 1)]


async def test_order_entry_acks_carry_the_same_events_the_unary_call_would(stub):
    await within(stub.SubmitOrder(limit(SELL, 2, 100), metadata=BOB))
    (response,) = await order_entry(
        stub, [pb.OrderEntryRequest(commands=[pb.OrderCommand(submit=limit(BUY, 3, 100))])]
    )
    (ack,) = response.acks
    kinds = [event.WhichOneof("kind") for event in ack.events]
    assert kinds == ["accepted", "trade", "delta", "delta"]
    assert (ack.status, ack.filled_lots, ack.leaves_lots) == (
        pb.ORDER_STATUS_PARTIALLY_FILLED,
        2,
        1,
    )
    seqs = [getattr(e, e.WhichOneof("kind")).seq for e in ack.events]
    assert seqs == list(range(seqs[0], seqs[0] + len(seqs)))


async def test_order_entry_request_with_too_many_commands_is_invalid_argument_and_enters_nothing(
    stub,
):
    await rest_alice_order(stub)
    before = await get_book(stub)
    commands = [pb.OrderCommand(submit=limit(BUY, 1, 90))] * (MAX_COMMANDS_PER_REQUEST + 1)

    call = stub.OrderEntry(metadata=ALICE)
    await within(call.write(pb.OrderEntryRequest(commands=commands)))
    error = await rpc_error(call.read())

    assert error.code() == INVALID
    assert str(MAX_COMMANDS_PER_REQUEST) in error.details()
    assert await get_book(stub) == before


async def test_order_entry_request_with_the_maximum_number_of_commands_is_processed(stub):
    commands = [pb.OrderCommand(submit=limit(BUY, 1, 90))] * MAX_COMMANDS_PER_REQUEST
    (response,) = await order_entry(stub, [pb.OrderEntryRequest(commands=commands)])
    assert len(response.acks) == MAX_COMMANDS_PER_REQUEST
    (bid,) = (await get_book(stub)).bids
    assert bid.order_count == MAX_COMMANDS_PER_REQUEST


# ---- oversized and malformed messages -----------------------------------------------------

FIVE_MIB = 5 * 1024 * 1024


async def test_request_over_the_size_limit_is_resource_exhausted_and_server_keeps_serving(stub):
    await rest_alice_order(stub)
    before = await get_book(stub)

    big_order = limit(BUY, 1, 100, client_order_id="x" * FIVE_MIB)
    error = await rpc_error(stub.SubmitOrder(big_order, metadata=ALICE))
    assert error.code() == grpc.StatusCode.RESOURCE_EXHAUSTED

    big_lookup = await rpc_error(stub.GetBook(pb.GetBookRequest(symbol="x" * FIVE_MIB)))
    assert big_lookup.code() == grpc.StatusCode.RESOURCE_EXHAUSTED

    assert await get_book(stub) == before
    ack = await within(stub.SubmitOrder(limit(BUY, 1, 99), metadata=ALICE))
    assert ack.status == pb.ORDER_STATUS_NEW


async def test_order_entry_message_over_the_size_limit_ends_the_stream_not_the_server(stub):
    big = pb.OrderCommand(tag="x" * FIVE_MIB, submit=limit(BUY, 1, 100))
    call = stub.OrderEntry(metadata=ALICE)
    await within(call.write(pb.OrderEntryRequest(commands=[big])))
    error = await rpc_error(call.read())

    assert error.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
    assert (await get_book(stub)).bids == []
    (response,) = await order_entry(
        stub, [pb.OrderEntryRequest(commands=[pb.OrderCommand(submit=limit(BUY, 1, 100))])]
    )
    assert response.acks[0].status == pb.ORDER_STATUS_NEW


GARBAGE = {
    "truncated-length": b"\x0a\xff\xff\xff\xff\x0f",
    "bad-utf8-symbol": b"\x0a\x02\xff\xfe",
    "invalid-wire-type": b"\xff\xff\xff",
}


def _raw(channel, method, kind="unary_unary"):
    identity = bytes  # bytes(b) is b: send and receive the raw message bytes
    return getattr(channel, kind)(
        method, request_serializer=identity, response_deserializer=identity
    )


@pytest.mark.parametrize("garbage", GARBAGE.values(), ids=list(GARBAGE))
async def test_garbage_bytes_fail_the_call_and_the_server_keeps_serving(channel, stub, garbage):
    await rest_alice_order(stub)
    before = await get_book(stub)

    unary = await rpc_error(_raw(channel, SUBMIT)(garbage, metadata=ALICE))
    assert unary.code() != grpc.StatusCode.OK

    stream = _raw(channel, ORDER_ENTRY, "stream_stream")(metadata=ALICE)
    await within(stream.write(garbage))
    streamed = await rpc_error(stream.read())
    assert streamed.code() != grpc.StatusCode.OK

    assert await get_book(stub) == before
    ack = await within(stub.SubmitOrder(limit(BUY, 1, 99), metadata=ALICE))
    assert ack.status == pb.ORDER_STATUS_NEW


@pytest.mark.parametrize("garbage", [GARBAGE["truncated-length"]], ids=["truncated-length"])
async def test_garbage_bytes_are_invalid_argument_without_internal_details(channel, garbage):
    # The wire contract: INVALID_ARGUMENT for a malformed request; no exception class names
    # or library internals in the message.
    error = await rpc_error(_raw(channel, SUBMIT)(garbage, metadata=ALICE))

    assert error.code() == INVALID, (error.code(), error.details())
    assert "google.protobuf" not in error.details()
    assert "<class" not in error.details()
