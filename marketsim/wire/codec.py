"""Conversions between the core's values and the wire messages of ``market.proto``.

This is the only module that knows both sides. Events travel in two shapes: an event's
*payload* is its own message (``Trade``, ``BookDelta``, ...), and an ``Event`` wraps one payload
in its ``kind`` oneof, under the short name of ``EVENT_TYPE_NAMES`` ("trade", "delta", ...).

Event conversion is table-driven: every core event field is copied to the payload field of
the same name, through an ``EnumMap`` when the proto field is an enum. The tables are built
once at import, so encoding an event is a loop of ``setattr`` calls (the fastest way to fill
a message in Python). Event messages come from the exchange and are trusted; commands come
from clients and are validated by building the core command, which raises
``InvalidCommandError`` with a message naming the field.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any, Final

from google.protobuf.internal.containers import RepeatedCompositeFieldContainer
from google.protobuf.internal.enum_type_wrapper import EnumTypeWrapper

from marketsim.core.commands import CancelOrder, Command, ReplaceOrder, SubmitOrder
from marketsim.core.events import EVENT_TYPE_NAMES, EVENT_TYPES, BookDelta, Event
from marketsim.core.ledger import Account, Fees
from marketsim.core.types import Instrument
from marketsim.errors import InvalidCommandError
from marketsim.wire.v1 import market_pb2 as pb

#: Call metadata key that names the owner an order-entry call acts for.
OWNER_METADATA_KEY: Final = "marketsim-owner"

EventPayload = (
    pb.OrderAccepted
    | pb.OrderRejected
    | pb.Trade
    | pb.OrderCancelled
    | pb.OrderReplaced
    | pb.BookDelta
    | pb.StopTriggered
    | pb.IcebergRefilled
    | pb.PhaseChanged
    | pb.AuctionUncrossed
)
CommandRequest = pb.SubmitOrderRequest | pb.CancelOrderRequest | pb.ReplaceOrderRequest


class EnumMap:
    """A two-way map between the core's strings for an enumeration and a proto enum.

    ``to_proto`` is strict: it holds exactly the core's values. ``decode`` turns any proto
    number into the core's string, except that values the core has no name for (the
    ``*_UNSPECIFIED`` zero, numbers from a newer proto) come back as their proto label or the
    bare number, so that core validation rejects them by name.
    """

    __slots__ = ("enum", "from_proto", "to_proto")

    def __init__(self, enum: EnumTypeWrapper, to_proto: Mapping[str, int]) -> None:
        self.enum = enum
        self.to_proto: dict[str, int] = dict(to_proto)
        self.from_proto: dict[int, str] = {number: label for label, number in enum.items()}
        self.from_proto.update((number, value) for value, number in to_proto.items())

    def decode(self, number: int) -> str | int:
        """The core's string for ``number`` (see the class docstring for the others)."""
        return self.from_proto.get(number, number)

    def __repr__(self) -> str:
        return f"EnumMap({self.enum.DESCRIPTOR.full_name}, {self.to_proto})"


SIDE: Final = EnumMap(pb.Side, {"buy": pb.SIDE_BUY, "sell": pb.SIDE_SELL})
BOOK_SIDE: Final = EnumMap(pb.BookSide, {"bid": pb.BOOK_SIDE_BID, "ask": pb.BOOK_SIDE_ASK})
TIME_IN_FORCE: Final = EnumMap(
    pb.TimeInForce,
    {"GTC": pb.TIME_IN_FORCE_GTC, "IOC": pb.TIME_IN_FORCE_IOC, "FOK": pb.TIME_IN_FORCE_FOK},
)
ORDER_TYPE: Final = EnumMap(
    pb.OrderType, {"limit": pb.ORDER_TYPE_LIMIT, "market": pb.ORDER_TYPE_MARKET}
)
DELTA_ACTION: Final = EnumMap(
    pb.DeltaAction,
    {
        "add": pb.DELTA_ACTION_ADD,
        "update": pb.DELTA_ACTION_UPDATE,
        "delete": pb.DELTA_ACTION_DELETE,
    },
)
ORDER_STATUS: Final = EnumMap(
    pb.OrderStatus,
    {
        "new": pb.ORDER_STATUS_NEW,
        "partially_filled": pb.ORDER_STATUS_PARTIALLY_FILLED,
        "filled": pb.ORDER_STATUS_FILLED,
        "cancelled": pb.ORDER_STATUS_CANCELLED,
        "rejected": pb.ORDER_STATUS_REJECTED,
        "replaced": pb.ORDER_STATUS_REPLACED,
    },
)
ENUM_MAPS: Final = (SIDE, BOOK_SIDE, TIME_IN_FORCE, ORDER_TYPE, DELTA_ACTION, ORDER_STATUS)
_ENUM_MAP_OF: Final = {m.enum.DESCRIPTOR.full_name: m for m in ENUM_MAPS}  # by proto enum name

# ---- events ------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True, slots=True)
class _EventSpec:
    """How one core event type maps to its payload message (fields in dataclass order)."""

    core_class: type
    oneof: str
    payload_class: type
    # (field name, enum map or None, whether the proto field tracks presence)
    fields: tuple[tuple[str, EnumMap | None, bool], ...]


def _event_spec(core_class: type) -> _EventSpec:
    oneof = EVENT_TYPE_NAMES[core_class]
    payload = pb.Event.DESCRIPTOR.fields_by_name[oneof].message_type
    fields = []
    for core_field in dataclasses.fields(core_class):
        proto_field = payload.fields_by_name[core_field.name]
        enum_type = proto_field.enum_type
        enum_map = _ENUM_MAP_OF[enum_type.full_name] if enum_type is not None else None
        fields.append((core_field.name, enum_map, proto_field.has_presence))
    return _EventSpec(core_class, oneof, getattr(pb, payload.name), tuple(fields))


_SPECS: Final = {core_class: _event_spec(core_class) for core_class in EVENT_TYPES}
_SPECS_BY_PAYLOAD: Final = {spec.payload_class: spec for spec in _SPECS.values()}


def _spec_of(event: Event) -> _EventSpec:
    spec = _SPECS.get(type(event))
    if spec is None:
        raise TypeError(f"not a marketsim event: {event!r}")
    return spec


def _assignments(spec: _EventSpec, namespace: dict[str, Any], indent: str) -> list[str]:
    """Lines copying the fields of event ``e`` onto payload ``p`` (enum maps in namespace)."""
    lines = []
    for name, enum_map, has_presence in spec.fields:
        value = f"e.{name}"
        if enum_map is not None:
            key = f"_{enum_map.enum.DESCRIPTOR.name}"
            namespace[key] = enum_map.to_proto
            value = f"{key}[{value}]"
        if has_presence:  # None (a market order's price) leaves an optional field unset
            lines.append(f"{indent}if e.{name} is not None: p.{name} = {value}")
        else:
            lines.append(f"{indent}p.{name} = {value}")
    return lines


def _compile(name: str, lines: list[str], namespace: dict[str, Any]):
    exec("\n".join(lines), namespace)
    return namespace[name]


def _compile_filler(spec: _EventSpec):
    """``fill(p, e)``: straight-line attribute stores, faster than a ``setattr`` loop."""
    namespace: dict[str, Any] = {}
    return _compile("fill", ["def fill(p, e):", *_assignments(spec, namespace, "    ")], namespace)


def _compile_appender(specs: list[_EventSpec], wrapped: bool):
    """``append(field, events)`` with the encoding of every event type inlined.

    ``wrapped``: the field holds ``Event`` messages (each payload goes in the ``kind`` oneof);
    otherwise it holds payloads of the single type in ``specs`` and other events are skipped.
    """
    namespace: dict[str, Any] = {"TypeError": TypeError}
    lines = ["def append(field, events):", "    add = field.add", "    for e in events:"]
    lines.append("        t = type(e)")
    for i, spec in enumerate(specs):
        namespace[f"T{i}"] = spec.core_class
        lines.append(f"        {'if' if i == 0 else 'elif'} t is T{i}:")
        if wrapped:
            lines.append(f"            p = add().{spec.oneof}")
            lines.append("            p.SetInParent()")
        else:
            lines.append("            p = add()")
        lines += _assignments(spec, namespace, "            ")
    if wrapped:
        lines.append("        else:")
        lines.append("            raise TypeError(f'not a marketsim event: {e!r}')")
    return _compile("append", lines, namespace)


_FILLERS: Final = {core_class: _compile_filler(spec) for core_class, spec in _SPECS.items()}
#: Appends every event, wrapped in ``Event``; the most frequent types are tested first.
_APPEND_EVENTS: Final = _compile_appender(
    sorted(_SPECS.values(), key=lambda s: s.oneof not in ("delta", "trade", "accepted")), True
)
#: Appends the events of one type as bare payloads, skipping the others.
_APPEND_PAYLOADS: Final = {
    core_class: _compile_appender([spec], False) for core_class, spec in _SPECS.items()
}


def _fill(payload: Any, event: Event, spec: _EventSpec) -> None:
    _FILLERS[spec.core_class](payload, event)


def _fill_event(message: pb.Event, event: Event) -> None:
    spec = _spec_of(event)
    payload = getattr(message, spec.oneof)
    payload.SetInParent()  # selects the oneof even if every field has its default value
    _FILLERS[spec.core_class](payload, event)


def event_to_proto(event: Event) -> pb.Event:
    """Encode a core event as an ``Event`` message."""
    message = pb.Event()
    _fill_event(message, event)
    return message


def payload_to_proto(event: Event) -> EventPayload:
    """Encode a core event as its own payload message (``Trade``, ``BookDelta``, ...)."""
    spec = _spec_of(event)
    payload = spec.payload_class()
    _fill(payload, event, spec)
    return payload


def append_events(
    field: RepeatedCompositeFieldContainer[pb.Event], events: Iterable[Event]
) -> None:
    """Encode ``events`` onto the end of a repeated ``Event`` field, e.g. ``EventBatch.events``.

    This is the fast path for batches: each message is built in place, never copied.
    """
    _APPEND_EVENTS(field, events)


def append_payloads(
    field: RepeatedCompositeFieldContainer[Any], events: Iterable[Event], only: type | None = None
) -> None:
    """Encode ``events`` onto the end of a repeated payload field, e.g. ``TradeBatch.trades``.

    Every event must be of the field's message type (``Trade`` events for ``trades``, ...),
    unless ``only`` names that type: then the other events are skipped, e.g.
    ``append_payloads(deltas.deltas, batch, BookDelta)``.
    """
    if only is not None:
        _APPEND_PAYLOADS[only](field, events)
        return
    add = field.add
    for event in events:
        _fill(add(), event, _spec_of(event))


def _compile_decoder(spec: _EventSpec):
    """``decode(m)``: one event type built from its payload message in straight-line code."""
    namespace: dict[str, Any] = {"cls": spec.core_class}
    values = []
    for name, enum_map, has_presence in spec.fields:
        value = f"m.{name}"
        if enum_map is not None:
            key = f"_{enum_map.enum.DESCRIPTOR.name}"
            namespace[key] = enum_map.from_proto
            value = f"{key}.get({value}, {value})"
        if has_presence:
            value = f"({value} if m.HasField({name!r}) else None)"
        values.append(value)
    return _compile("decode", [f"def decode(m):\n    return cls({', '.join(values)})"], namespace)


_DECODERS: Final = {
    payload_class: _compile_decoder(spec) for payload_class, spec in _SPECS_BY_PAYLOAD.items()
}


def event_from_proto(message: pb.Event | EventPayload) -> Event:
    """Decode an ``Event`` message, or a bare payload message, into a core event."""
    if type(message) is pb.Event:
        kind = message.WhichOneof("kind")
        if kind is None:
            raise ValueError("Event message has no event set")
        message = getattr(message, kind)
    return _DECODERS[type(message)](message)


def events_from_proto(messages: Iterable[pb.Event | EventPayload]) -> list[Event]:
    """Decode a sequence of ``Event`` or payload messages, e.g. ``EventBatch.events``."""
    return [event_from_proto(message) for message in messages]


# ---- pre-serialised book updates --------------------------------------------------------

_BOOK_UPDATE_DELTAS_TAG: Final = bytes(
    [pb.BookUpdate.DESCRIPTOR.fields_by_name["deltas"].number << 3 | 2]  # length-delimited
)


def _varint(value: int) -> bytes:
    out = bytearray()
    while value > 0x7F:
        out.append(value & 0x7F | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)


def serialized_deltas(deltas: list[BookDelta]) -> bytes:
    """``deltas`` as a serialised ``BookDeltas`` holding only ``deltas``; see
    ``book_update_bytes``."""
    message = pb.BookDeltas()
    _APPEND_PAYLOADS[BookDelta](message.deltas, deltas)
    return message.SerializeToString()


def book_update_bytes(prev_seq: int, seq: int, parts: Iterable[bytes]) -> bytes:
    """A serialised ``BookUpdate(deltas=BookDeltas(prev_seq, seq, deltas))`` whose deltas are
    the concatenated ``parts`` from ``serialized_deltas`` (repeated fields concatenate on the
    wire), so one encoding of a publication serves every subscriber."""
    inner = pb.BookDeltas(prev_seq=prev_seq, seq=seq).SerializeToString() + b"".join(parts)
    return _BOOK_UPDATE_DELTAS_TAG + _varint(len(inner)) + inner


# ---- commands ----------------------------------------------------------------------------

# The OrderCommand oneof field that carries each command type.
_ORDER_COMMAND_FIELDS: Final = {
    SubmitOrder: "submit",
    CancelOrder: "cancel",
    ReplaceOrder: "replace",
}


def command_to_proto(command: Command, symbol: str) -> CommandRequest:
    """Encode a core command as the request message for ``symbol``.

    The owner is not part of the message (it travels in the call metadata), and neither is
    an explicit ``SubmitOrder.order_id``: the exchange assigns ids, so that raises.
    """
    if isinstance(command, SubmitOrder):
        if command.order_id is not None:
            raise InvalidCommandError("order_id is assigned by the exchange and cannot be sent")
        order_type = "market" if command.price_ticks is None else "limit"
        return pb.SubmitOrderRequest(
            symbol=symbol,
            side=SIDE.to_proto[command.side],
            order_type=ORDER_TYPE.to_proto[order_type],
            qty_lots=command.qty_lots,
            price_ticks=command.price_ticks,
            tif=TIME_IN_FORCE.to_proto[command.tif],
            post_only=command.post_only,
            stop_price_ticks=command.stop_price_ticks,
            display_qty_lots=command.display_qty_lots,
            stp=command.stp,
        )
    if isinstance(command, CancelOrder):
        return pb.CancelOrderRequest(symbol=symbol, order_id=command.order_id)
    if isinstance(command, ReplaceOrder):
        return pb.ReplaceOrderRequest(
            symbol=symbol,
            order_id=command.order_id,
            qty_lots=command.qty_lots,
            price_ticks=command.price_ticks,
            stop_price_ticks=command.stop_price_ticks,
        )
    raise TypeError(f"not a marketsim command: {command!r}")


def command_from_proto(message: CommandRequest, owner: str) -> Command:
    """Decode and validate a request message into a core command acting for ``owner``.

    Raises ``InvalidCommandError`` if the message is malformed: an unspecified enum, a zero
    quantity, a limit order without a price, ... (``message.symbol`` is left to the caller.)
    """
    if isinstance(message, pb.SubmitOrderRequest):
        return _submit_from_proto(message, owner)
    if isinstance(message, pb.CancelOrderRequest):
        return CancelOrder(message.order_id, owner=owner)
    if isinstance(message, pb.ReplaceOrderRequest):
        return ReplaceOrder(
            message.order_id,
            qty_lots=message.qty_lots if message.HasField("qty_lots") else None,
            price_ticks=message.price_ticks if message.HasField("price_ticks") else None,
            owner=owner,
            stop_price_ticks=(
                message.stop_price_ticks if message.HasField("stop_price_ticks") else None
            ),
        )
    raise TypeError(f"not an order-entry request: {type(message).__name__}")


def _submit_from_proto(message: pb.SubmitOrderRequest, owner: str) -> SubmitOrder:
    # The core infers the order type from the price, so it is checked here.
    order_type = ORDER_TYPE.decode(message.order_type)
    has_price = message.HasField("price_ticks")
    if order_type not in ORDER_TYPE.to_proto:
        raise InvalidCommandError(
            f"order_type must be ORDER_TYPE_LIMIT or ORDER_TYPE_MARKET, got {order_type}"
        )
    if order_type == "limit" and not has_price:
        raise InvalidCommandError("a limit order needs price_ticks")
    if order_type == "market" and has_price:
        raise InvalidCommandError("a market order must not set price_ticks")
    return SubmitOrder(
        side=_wire_enum(SIDE, message.side, "side"),  # type: ignore[arg-type]
        qty_lots=message.qty_lots,
        price_ticks=message.price_ticks if has_price else None,
        tif=_wire_enum(TIME_IN_FORCE, message.tif, "tif"),  # type: ignore[arg-type]
        post_only=message.post_only,
        owner=owner,
        stop_price_ticks=(
            message.stop_price_ticks if message.HasField("stop_price_ticks") else None
        ),
        display_qty_lots=message.display_qty_lots,
        stp=message.stp,
    )


def _wire_enum(enum_map: EnumMap, number: int, field_name: str) -> str:
    """The core's value of a request's enum field; an error naming the wire's labels if the
    number is not one the core accepts."""
    value = enum_map.decode(number)
    if value not in enum_map.to_proto:
        labels = " or ".join(enum_map.enum.Name(n) for n in enum_map.to_proto.values())
        raise InvalidCommandError(f"{field_name} must be {labels}, got {number}")
    return value  # type: ignore[return-value]


def order_command_to_proto(command: Command, symbol: str, tag: str = "") -> pb.OrderCommand:
    """Encode a core command as one entry of an ``OrderEntry`` batch, with its ``tag``."""
    return pb.OrderCommand(
        tag=tag, **{_ORDER_COMMAND_FIELDS[type(command)]: command_to_proto(command, symbol)}
    )


def unwrap_order_command(message: pb.OrderCommand) -> CommandRequest:
    """The request inside an ``OrderCommand``; ``InvalidCommandError`` if it holds none."""
    field = message.WhichOneof("command")
    if field is None:
        raise InvalidCommandError("OrderCommand must set one of submit, cancel or replace")
    return getattr(message, field)


# ---- instruments -------------------------------------------------------------------------


def instrument_to_proto(instrument: Instrument, fees: Fees | None = None) -> pb.Instrument:
    """Encode an instrument, with tick and lot sizes (and any fees) as plain decimal strings."""
    message = pb.Instrument(
        symbol=instrument.symbol,
        tick_size=_decimal_text(instrument.tick_size),
        lot_size=_decimal_text(instrument.lot_size),
    )
    if fees is not None and (fees.maker or fees.taker):
        message.maker_fee = _decimal_text(fees.maker)
        message.taker_fee = _decimal_text(fees.taker)
    return message


def fees_from_proto(message: pb.Instrument | pb.AddInstrumentRequest) -> Fees:
    """The maker and taker fees of an instrument message (empty strings mean none)."""
    return Fees(message.maker_fee or 0, message.taker_fee or 0)


def instrument_from_proto(
    message: pb.Instrument | pb.AddInstrumentRequest | pb.BookSnapshot,
) -> Instrument:
    """Decode and validate an instrument; an empty ``lot_size`` means 1.

    Raises ``InvalidCommandError`` for an empty symbol or a size that is not a positive number.
    """
    return Instrument(message.symbol, message.tick_size, message.lot_size or 1)


def _decimal_text(value: Decimal) -> str:
    # Fixed-point notation: str() would give "1E+1" for some values, which not every client parses.
    return format(value.normalize(), "f")


# ---- accounts and anonymity ------------------------------------------------------------------


def account_to_proto(account: Account) -> pb.Account:
    """Encode an ``Account`` (its fields and the message's share names)."""
    return pb.Account(**{name: getattr(account, name) for name in Account.FIELDS})


def account_from_proto(message: pb.Account, instrument: Instrument) -> Account:
    """Decode an ``Account``; quantities come back as ints when the lot size is whole."""
    values = {name: getattr(message, name) for name in Account.FIELDS}
    if instrument.lot_size == instrument.lot_size.to_integral_value():
        values["position"] = int(values["position"])
        values["traded_qty"] = int(values["traded_qty"])
    return Account(**values)


#: Owner fields of each event payload type.
_OWNER_FIELDS: Final = {
    spec.oneof: tuple(name for name, _, _ in spec.fields if name.endswith("owner"))
    for spec in _SPECS.values()
}


def remove_owners(
    events: RepeatedCompositeFieldContainer[pb.Event], keep: str | None = None
) -> None:
    """Blank every owner name in encoded ``Event`` messages, except ``keep``'s own."""
    for message in events:
        kind = message.WhichOneof("kind")
        payload = getattr(message, kind)
        for name in _OWNER_FIELDS[kind]:
            if getattr(payload, name) != keep:
                setattr(payload, name, "")


def remove_trade_owners(trades: RepeatedCompositeFieldContainer[pb.Trade]) -> None:
    """Blank the owner names of encoded ``Trade`` messages."""
    for trade in trades:
        trade.maker_owner = trade.taker_owner = ""
