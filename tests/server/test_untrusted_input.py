"""Attacks seen from the outside, sent as raw protobuf: each gets a clear, short status, leaves
the server's state and memory bounded, and the market keeps serving everyone else."""

from __future__ import annotations

from collections.abc import AsyncIterator

import grpc
import pytest
from grpc_support import DEADLINE, within

from marketsim.client import AsyncMarketClient
from marketsim.server import sequencer as sequencer_module
from marketsim.wire.v1 import market_pb2 as pb
from marketsim.wire.v1 import market_pb2_grpc as pb_grpc

INVALID = grpc.StatusCode.INVALID_ARGUMENT
#: No error message may be longer than this, whatever the input.
SHORT = 400


@pytest.fixture
async def stub(server) -> AsyncIterator[pb_grpc.MarketServiceStub]:
    async with grpc.aio.insecure_channel(
        server.address, options=[("grpc.max_send_message_length", 8 * 1024 * 1024)]
    ) as channel:
        yield pb_grpc.MarketServiceStub(channel)


async def refusal(awaitable) -> grpc.aio.AioRpcError:
    try:
        await within(awaitable)
    except grpc.aio.AioRpcError as error:
        return error
    raise AssertionError("the call succeeded")


async def still_serves(server) -> None:
    async with AsyncMarketClient(server.address, owner="someone") as other:
        listed = await within(other.instruments())
        assert [i.symbol for i in listed] == ["ACME", "XYZ"]


@pytest.mark.parametrize(
    ("symbol", "tick", "lot", "expected"),
    [
        ("TINY", "0.01", "1e-5000000", "lot_size must be between"),
        ("HUGE", "1" * 1_000_000, "1", "tick_size is too long"),
        ("BIG", "1e999999999", "1", "tick_size must be between"),
        ("DIGITS", "0.1234567890123", "1", "at most 12 significant digits"),
        ("   ", "0.01", "1", "symbol must be 1 to 32"),
        ("A" * 33, "0.01", "1", "symbol must be 1 to 32"),
        ("x" * 3_000_000, "0.01", "1", "symbol must be 1 to 32"),
        ("NEG", "-0.01", "1", "tick_size must be positive"),
    ],
    ids=[
        "tiny-lot",
        "million-digit-tick",
        "huge-exponent",
        "13-digits",
        "spaces",
        "33-chars",
        "3MB-symbol",
        "negative",
    ],
)
async def test_add_instrument_refuses_unbounded_sizes_and_symbols(
    server, stub, symbol, tick, lot, expected
):
    request = pb.AddInstrumentRequest(symbol=symbol, tick_size=tick, lot_size=lot)

    error = await refusal(stub.AddInstrument(request, timeout=DEADLINE))

    assert error.code() == INVALID and expected in error.details()
    assert len(error.details()) < SHORT
    assert set(server.exchange) == {"ACME", "XYZ"}
    await still_serves(server)


async def test_fees_on_a_new_instrument_are_bounded_too(server, stub):
    request = pb.AddInstrumentRequest(symbol="F", tick_size="0.01", maker_fee="1e-40")
    error = await refusal(stub.AddInstrument(request, timeout=DEADLINE))
    assert error.code() == INVALID and "maker_fee" in error.details()

    listed = await within(
        stub.AddInstrument(
            pb.AddInstrumentRequest(
                symbol="F", tick_size="0.01", maker_fee="-0.002", taker_fee="0.003"
            ),
            timeout=DEADLINE,
        )
    )
    assert (listed.maker_fee, listed.taker_fee) == ("-0.002", "0.003")


async def test_an_oversized_client_order_id_is_refused_and_not_remembered(server, stub):
    sequencer = server.service.sequencer
    request = pb.SubmitOrderRequest(
        symbol="ACME",
        side=pb.SIDE_BUY,
        order_type=pb.ORDER_TYPE_LIMIT,
        qty_lots=1,
        price_ticks=100,
        tif=pb.TIME_IN_FORCE_GTC,
        client_order_id="x" * 3_900_000,
    )

    error = await refusal(stub.SubmitOrder(request, timeout=DEADLINE))

    assert error.code() == INVALID and "client_order_id is at most 64 bytes" in error.details()
    assert len(error.details()) < SHORT
    assert (sequencer._remembered_bytes, len(sequencer._acks_by_client_id)) == (0, 0)
    assert server.exchange["ACME"].seq == 0
    request.client_order_id = "y" * 64
    assert (await within(stub.SubmitOrder(request, timeout=DEADLINE))).status == pb.ORDER_STATUS_NEW


async def test_remembered_acks_are_bounded_in_bytes_oldest_forgotten_first(
    server, stub, monkeypatch
):
    monkeypatch.setattr(sequencer_module, "IDEMPOTENCY_BYTES", 4_000)
    sequencer = server.service.sequencer
    for n in range(100):
        request = pb.SubmitOrderRequest(
            symbol="ACME",
            side=pb.SIDE_BUY,
            order_type=pb.ORDER_TYPE_LIMIT,
            qty_lots=1,
            price_ticks=100 + n,
            tif=pb.TIME_IN_FORCE_GTC,
            client_order_id=f"order-{n:02d}-" + "z" * 50,
        )
        await within(stub.SubmitOrder(request, timeout=DEADLINE))
        assert sequencer._remembered_bytes <= 4_000

    assert 0 < len(sequencer._acks_by_client_id) < 100
    remembered = sum(ack.ByteSize() for ack in sequencer._acks_by_client_id.values())
    assert remembered == sequencer._remembered_bytes
    assert ("", "order-99-" + "z" * 50) in sequencer._acks_by_client_id
    assert ("", "order-00-" + "z" * 50) not in sequencer._acks_by_client_id


async def test_not_found_messages_stay_short_with_ten_thousand_instruments(server, stub):
    for n in range(10_000):
        server.exchange.add_instrument(f"S{n:05d}", "0.01")
    request = pb.GetBookRequest(symbol="NOPE" + "Q" * 100_000)

    error = await refusal(stub.GetBook(request, timeout=DEADLINE))

    assert error.code() == grpc.StatusCode.NOT_FOUND
    assert len(error.details()) < SHORT
    assert error.details().count(",") == 9 and "and 9992 more" in error.details()


async def test_an_oversized_owner_header_is_refused_in_open_mode(server, stub):
    error = await refusal(
        stub.ListInstruments(
            pb.ListInstrumentsRequest(),
            metadata=(("marketsim-owner", "m" * 65),),
            timeout=DEADLINE,
        )
    )
    assert error.code() == INVALID and "at most 64 bytes" in error.details()


@pytest.mark.parametrize(
    ("field", "value", "expected"),
    [
        ("side", 99, "side must be SIDE_BUY or SIDE_SELL, got 99"),
        ("tif", 7, "tif must be TIME_IN_FORCE_GTC or TIME_IN_FORCE_IOC or TIME_IN_FORCE_FOK"),
    ],
)
async def test_enum_errors_name_the_wire_labels(stub, field, value, expected):
    request = pb.SubmitOrderRequest(
        symbol="ACME",
        side=pb.SIDE_BUY,
        order_type=pb.ORDER_TYPE_LIMIT,
        qty_lots=1,
        price_ticks=100,
        tif=pb.TIME_IN_FORCE_GTC,
    )
    setattr(request, field, value)

    error = await refusal(stub.SubmitOrder(request, timeout=DEADLINE))

    assert error.code() == INVALID and expected in error.details()


async def test_a_replace_that_trades_nothing_is_acknowledged_as_replaced(stub):
    submit = pb.SubmitOrderRequest(
        symbol="ACME",
        side=pb.SIDE_SELL,
        order_type=pb.ORDER_TYPE_LIMIT,
        qty_lots=10,
        price_ticks=10_005,
        tif=pb.TIME_IN_FORCE_GTC,
    )
    order = await within(stub.SubmitOrder(submit, timeout=DEADLINE))
    take = pb.SubmitOrderRequest(
        symbol="ACME",
        side=pb.SIDE_BUY,
        order_type=pb.ORDER_TYPE_MARKET,
        qty_lots=3,
        tif=pb.TIME_IN_FORCE_IOC,
    )
    await within(stub.SubmitOrder(take, timeout=DEADLINE))  # the order is partly filled

    ack = await within(
        stub.ReplaceOrder(
            pb.ReplaceOrderRequest(symbol="ACME", order_id=order.order_id, price_ticks=10_010),
            timeout=DEADLINE,
        )
    )

    assert ack.status == pb.ORDER_STATUS_REPLACED
    assert (ack.filled_lots, ack.leaves_lots) == (3, 7)


@pytest.mark.parametrize("method", ["StreamTrades", "StreamEvents", "StreamBook"])
async def test_a_stream_of_an_unknown_huge_symbol_is_refused_briefly(stub, method):
    request = getattr(pb, f"{method}Request")(symbol="Z" * 1_000_000)
    stream = getattr(stub, method)(request, timeout=DEADLINE)

    error = await refusal(stream.read())

    assert error.code() == grpc.StatusCode.NOT_FOUND and len(error.details()) < SHORT
