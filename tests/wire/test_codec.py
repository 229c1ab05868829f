"""Core values survive the trip to protobuf and back; malformed commands are refused."""

from __future__ import annotations

import dataclasses
from decimal import Decimal
from typing import get_args

import pytest
from hypothesis import given
from hypothesis import strategies as st

from marketsim.core.commands import CancelOrder, Command, ReplaceOrder, SubmitOrder
from marketsim.core.events import (
    EVENT_TYPE_NAMES,
    EVENT_TYPES,
    PHASES,
    STP_MODES,
    AuctionUncrossed,
    BookDelta,
    DeltaAction,
    IcebergRefilled,
    OrderAccepted,
    OrderCancelled,
    OrderRejected,
    OrderReplaced,
    OrderType,
    PhaseChanged,
    StopTriggered,
    Trade,
)
from marketsim.core.types import (
    BOOK_SIDES,
    MAX_PRICE_TICKS,
    MAX_QTY_LOTS,
    SIDES,
    TIME_IN_FORCE,
    Instrument,
)
from marketsim.errors import InvalidCommandError
from marketsim.wire import codec
from marketsim.wire.v1 import market_pb2 as pb

# ---- strategies --------------------------------------------------------------------------

ids = st.integers(1, 2**63 - 1)
times = st.integers(0, 2**63 - 1)
positive = st.integers(1, 2**63 - 1)
maybe_price = st.none() | positive
owners = st.text(max_size=20)
reasons = st.sampled_from(["user", "ioc_remainder", "fok_unfillable", "no_liquidity"])
sides = st.sampled_from(SIDES)
order_types = st.sampled_from(get_args(OrderType))
tifs = st.sampled_from(TIME_IN_FORCE)

order_fields = {
    "seq": ids,
    "ts_event": times,
    "order_id": ids,
    "owner": owners,
    "side": sides,
    "order_type": order_types,
    "price_ticks": maybe_price,
    "qty_lots": positive,
    "tif": tifs,
    "post_only": st.booleans(),
    "stop_price_ticks": maybe_price,
    "display_qty_lots": st.integers(0, 2**63 - 1),
    "stp": st.sampled_from(("", *STP_MODES)),
}
trades = st.builds(
    Trade,
    seq=ids,
    ts_event=times,
    trade_id=ids,
    price_ticks=positive,
    qty_lots=positive,
    aggressor_side=sides,
    maker_order_id=ids,
    taker_order_id=ids,
    maker_owner=owners,
    taker_owner=owners,
)
book_deltas = st.builds(
    BookDelta,
    seq=ids,
    ts_event=times,
    side=st.sampled_from(BOOK_SIDES),
    price_ticks=positive,
    qty_lots=st.integers(0, 2**63 - 1),
    order_count=st.integers(0, 2**31),
    action=st.sampled_from(get_args(DeltaAction)),
    last=st.booleans(),
)
events = st.one_of(
    st.builds(OrderAccepted, **order_fields),
    st.builds(OrderRejected, **order_fields, reason=reasons),
    trades,
    st.builds(
        OrderCancelled,
        seq=ids,
        ts_event=times,
        order_id=ids,
        owner=owners,
        side=sides,
        price_ticks=maybe_price,
        qty_lots=positive,
        reason=reasons,
    ),
    st.builds(
        OrderReplaced,
        seq=ids,
        ts_event=times,
        order_id=ids,
        owner=owners,
        side=sides,
        old_price_ticks=maybe_price,
        old_qty_lots=positive,
        price_ticks=maybe_price,
        qty_lots=positive,
        priority_kept=st.booleans(),
        old_stop_price_ticks=maybe_price,
        stop_price_ticks=maybe_price,
    ),
    book_deltas,
    st.builds(
        StopTriggered,
        seq=ids,
        ts_event=times,
        order_id=ids,
        owner=owners,
        side=sides,
        stop_price_ticks=positive,
        price_ticks=maybe_price,
        qty_lots=positive,
        trigger_price_ticks=positive,
    ),
    st.builds(
        IcebergRefilled,
        seq=ids,
        ts_event=times,
        order_id=ids,
        owner=owners,
        side=sides,
        price_ticks=positive,
        qty_lots=positive,
        hidden_lots=st.integers(0, 2**63 - 1),
    ),
    st.builds(
        PhaseChanged,
        seq=ids,
        ts_event=times,
        phase=st.sampled_from(PHASES),
        previous=st.sampled_from(PHASES),
    ),
    st.builds(
        AuctionUncrossed,
        seq=ids,
        ts_event=times,
        price_ticks=maybe_price,
        qty_lots=st.integers(0, 2**63 - 1),
    ),
)


# Commands are capped well inside int64 (see marketsim.core.types); events are not.
command_lots = st.integers(1, MAX_QTY_LOTS)
command_ticks = st.integers(1, MAX_PRICE_TICKS)


@st.composite
def submit_orders(draw: st.DrawFn) -> SubmitOrder:
    price = draw(st.none() | command_ticks)
    tif = draw(tifs)
    stop = draw(st.none() | command_ticks)
    post_only = price is not None and tif == "GTC" and stop is None and draw(st.booleans())
    qty = draw(command_lots)
    iceberg = price is not None and tif == "GTC" and stop is None and draw(st.booleans())
    return SubmitOrder(
        draw(sides),
        qty,
        price,
        tif,
        post_only,
        owner=draw(owners),
        stop_price_ticks=stop,
        display_qty_lots=draw(st.integers(1, qty)) if iceberg else 0,
        stp=draw(st.sampled_from(("", *STP_MODES))),
    )


commands = st.one_of(
    submit_orders(),
    st.builds(CancelOrder, order_id=ids, owner=owners),
    st.builds(
        ReplaceOrder,
        order_id=ids,
        qty_lots=st.none() | command_lots,
        price_ticks=command_ticks,
        owner=owners,
    ),
    st.builds(ReplaceOrder, order_id=ids, qty_lots=command_lots, owner=owners),
    st.builds(ReplaceOrder, order_id=ids, owner=owners, stop_price_ticks=command_ticks),
)


def over_the_wire(message):
    """The message as a peer would receive it: serialized and parsed again."""
    return type(message).FromString(message.SerializeToString())


def command_fields(command: Command) -> tuple:
    return type(command), tuple(getattr(command, name) for name in command.__slots__)


# ---- events ------------------------------------------------------------------------------


@pytest.mark.parametrize("event_type", EVENT_TYPES, ids=lambda t: t.__name__)
def test_payload_message_has_exactly_the_fields_of_the_core_event(event_type):
    payload = pb.Event.DESCRIPTOR.fields_by_name[EVENT_TYPE_NAMES[event_type]].message_type
    assert payload.name == event_type.__name__
    assert [f.name for f in payload.fields] == [f.name for f in dataclasses.fields(event_type)]


@given(events)
def test_event_round_trips_through_the_wire(event):
    message = over_the_wire(codec.event_to_proto(event))

    assert message.WhichOneof("kind") == EVENT_TYPE_NAMES[type(event)]
    assert codec.event_from_proto(message) == event


@given(events)
def test_event_round_trips_as_a_bare_payload(event):
    payload = over_the_wire(codec.payload_to_proto(event))

    assert codec.event_from_proto(payload) == event


@given(st.lists(events, max_size=20))
def test_batch_of_events_round_trips_in_order(batch):
    message = pb.EventBatch(symbol="ACME")
    codec.append_events(message.events, batch)

    assert codec.events_from_proto(over_the_wire(message).events) == batch


@given(st.lists(trades, max_size=20))
def test_trades_round_trip_as_payloads_of_a_trade_batch(batch):
    message = pb.TradeBatch(symbol="ACME")
    codec.append_payloads(message.trades, batch)

    assert codec.events_from_proto(over_the_wire(message).trades) == batch


def test_market_order_price_travels_as_an_absent_field():
    event = OrderAccepted(1, 0, 7, "alice", "buy", "market", None, 5, "IOC", False)

    payload = codec.event_to_proto(event).accepted

    assert not payload.HasField("price_ticks")
    assert payload.side == pb.SIDE_BUY
    assert payload.order_type == pb.ORDER_TYPE_MARKET
    assert payload.tif == pb.TIME_IN_FORCE_IOC


def test_event_with_only_default_values_still_selects_its_oneof():
    event = BookDelta(0, 0, "bid", 0, 0, 0, "delete", False)

    assert codec.event_to_proto(event).WhichOneof("kind") == "delta"


def test_encoding_something_that_is_not_an_event_raises_type_error():
    with pytest.raises(TypeError, match="not a marketsim event"):
        codec.event_to_proto(SubmitOrder("buy", 1))


def test_decoding_an_empty_event_message_raises():
    with pytest.raises(ValueError, match="no event"):
        codec.event_from_proto(pb.Event())


# ---- enum maps ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("enum_map", "core_values"),
    [
        (codec.SIDE, SIDES),
        (codec.BOOK_SIDE, BOOK_SIDES),
        (codec.TIME_IN_FORCE, TIME_IN_FORCE),
        (codec.ORDER_TYPE, get_args(OrderType)),
        (codec.DELTA_ACTION, get_args(DeltaAction)),
        (
            codec.ORDER_STATUS,
            ("new", "partially_filled", "filled", "cancelled", "rejected", "replaced"),
        ),
    ],
    ids=lambda value: value.enum.DESCRIPTOR.name if isinstance(value, codec.EnumMap) else "",
)
def test_enum_map_pairs_every_core_value_with_a_distinct_specified_proto_value(
    enum_map, core_values
):
    specified = {number for label, number in enum_map.enum.items() if number != 0}

    assert set(enum_map.to_proto) == set(core_values)
    assert set(enum_map.to_proto.values()) == specified
    assert all(enum_map.decode(enum_map.to_proto[value]) == value for value in core_values)


def test_enum_map_decodes_values_the_core_cannot_name_to_their_label_or_number():
    assert codec.SIDE.decode(pb.SIDE_UNSPECIFIED) == "SIDE_UNSPECIFIED"
    assert codec.SIDE.decode(99) == 99


# ---- commands ----------------------------------------------------------------------------


@given(commands)
def test_command_round_trips_through_the_wire_with_the_owner_from_the_call(command):
    message = over_the_wire(codec.command_to_proto(command, "ACME"))

    assert message.symbol == "ACME"
    decoded = codec.command_from_proto(message, owner=command.owner)
    assert command_fields(decoded) == command_fields(command)


@given(commands, st.text(max_size=10))
def test_order_command_round_trips_with_its_tag(command, tag):
    message = over_the_wire(codec.order_command_to_proto(command, "ACME", tag=tag))

    assert message.tag == tag
    decoded = codec.command_from_proto(codec.unwrap_order_command(message), command.owner)
    assert command_fields(decoded) == command_fields(command)


def test_submit_with_an_explicit_order_id_cannot_be_encoded():
    with pytest.raises(InvalidCommandError, match="order_id is assigned by the exchange"):
        codec.command_to_proto(SubmitOrder("buy", 1, 100, order_id=5), "ACME")


def limit_buy(**changes) -> pb.SubmitOrderRequest:
    fields = {
        "symbol": "ACME",
        "side": pb.SIDE_BUY,
        "order_type": pb.ORDER_TYPE_LIMIT,
        "qty_lots": 10,
        "price_ticks": 10_000,
        "tif": pb.TIME_IN_FORCE_GTC,
    } | changes
    return pb.SubmitOrderRequest(**fields)


def test_well_formed_limit_buy_decodes():
    command = codec.command_from_proto(limit_buy(), owner="alice")

    assert command_fields(command) == command_fields(
        SubmitOrder("buy", 10, 10_000, "GTC", owner="alice")
    )


@pytest.mark.parametrize(
    ("message", "error"),
    [
        (limit_buy(side=pb.SIDE_UNSPECIFIED), "side must be SIDE_BUY or SIDE_SELL, got 0"),
        (limit_buy(side=7), "side .* got 7"),
        (
            limit_buy(tif=pb.TIME_IN_FORCE_UNSPECIFIED),
            "tif must be TIME_IN_FORCE_GTC or TIME_IN_FORCE_IOC or TIME_IN_FORCE_FOK, got 0",
        ),
        (limit_buy(order_type=pb.ORDER_TYPE_UNSPECIFIED), "got ORDER_TYPE_UNSPECIFIED"),
        (
            limit_buy(qty_lots=0),
            "qty_lots must be a positive integer up to 1,000,000,000,000, got 0",
        ),
        (
            limit_buy(qty_lots=-5),
            "qty_lots must be a positive integer up to 1,000,000,000,000, got -5",
        ),
        (limit_buy(price_ticks=None), "a limit order needs price_ticks"),
        (
            limit_buy(price_ticks=0),
            "price_ticks must be a positive integer up to 1,000,000,000,000,000, got 0",
        ),
        (limit_buy(order_type=pb.ORDER_TYPE_MARKET), "a market order must not set price_ticks"),
        (limit_buy(tif=pb.TIME_IN_FORCE_IOC, post_only=True), "post_only"),
        (pb.CancelOrderRequest(symbol="ACME"), "order_id must be a positive integer, got 0"),
        (pb.ReplaceOrderRequest(symbol="ACME", order_id=3), "needs a new qty, a new price"),
        (pb.ReplaceOrderRequest(order_id=3, qty_lots=0), "qty_lots must be a positive integer"),
        (pb.ReplaceOrderRequest(order_id=3, price_ticks=-1), "price_ticks must be a positive"),
    ],
)
def test_malformed_command_message_raises_invalid_command_error(message, error):
    with pytest.raises(InvalidCommandError, match=error):
        codec.command_from_proto(message, owner="alice")


def test_order_command_without_a_command_raises_invalid_command_error():
    with pytest.raises(InvalidCommandError, match="must set one of submit, cancel or replace"):
        codec.unwrap_order_command(pb.OrderCommand(tag="t1"))


# ---- instruments -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("tick_size", "lot_size", "tick_text", "lot_text"),
    [
        ("0.01", "1", "0.01", "1"),
        ("0.0001", "0.001", "0.0001", "0.001"),
        ("0.50", "100", "0.5", "100"),
        (Decimal("1E+1"), Decimal("1E-8"), "10", "0.00000001"),
    ],
)
def test_instrument_sizes_travel_as_plain_decimal_strings(tick_size, lot_size, tick_text, lot_text):
    instrument = Instrument("ACME", tick_size, lot_size)

    message = over_the_wire(codec.instrument_to_proto(instrument))

    assert (message.symbol, message.tick_size, message.lot_size) == ("ACME", tick_text, lot_text)
    assert codec.instrument_from_proto(message) == instrument


def test_add_instrument_request_without_lot_size_means_one_lot():
    request = pb.AddInstrumentRequest(symbol="ACME", tick_size="0.01")

    assert codec.instrument_from_proto(request) == Instrument("ACME", "0.01", 1)


@pytest.mark.parametrize(
    ("symbol", "tick_size", "error"),
    [
        ("", "0.01", "symbol must be 1 to 32 of the characters"),
        ("ACME", "", "tick_size must be a number"),
        ("ACME", "cheap", "tick_size must be a number"),
        ("ACME", "0", "tick_size must be positive"),
        ("ACME", "-0.01", "tick_size must be positive"),
    ],
)
def test_malformed_instrument_message_raises_invalid_command_error(symbol, tick_size, error):
    with pytest.raises(InvalidCommandError, match=error):
        codec.instrument_from_proto(pb.AddInstrumentRequest(symbol=symbol, tick_size=tick_size))


@given(st.lists(st.lists(book_deltas, max_size=5), max_size=4))
def test_book_update_bytes_equal_the_message_built_field_by_field(parts):
    serialized = [codec.serialized_deltas(part) for part in parts]

    message = pb.BookUpdate.FromString(codec.book_update_bytes(7, 99, serialized))

    expected = pb.BookUpdate(deltas=pb.BookDeltas(prev_seq=7, seq=99))
    for part in parts:
        codec.append_payloads(expected.deltas.deltas, part)
    assert message == expected
    assert codec.events_from_proto(message.deltas.deltas) == [d for part in parts for d in part]
