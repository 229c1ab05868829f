from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class Side(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    SIDE_UNSPECIFIED: _ClassVar[Side]
    SIDE_BUY: _ClassVar[Side]
    SIDE_SELL: _ClassVar[Side]

class BookSide(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    BOOK_SIDE_UNSPECIFIED: _ClassVar[BookSide]
    BOOK_SIDE_BID: _ClassVar[BookSide]
    BOOK_SIDE_ASK: _ClassVar[BookSide]

class TimeInForce(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    TIME_IN_FORCE_UNSPECIFIED: _ClassVar[TimeInForce]
    TIME_IN_FORCE_GTC: _ClassVar[TimeInForce]
    TIME_IN_FORCE_IOC: _ClassVar[TimeInForce]
    TIME_IN_FORCE_FOK: _ClassVar[TimeInForce]

class OrderType(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    ORDER_TYPE_UNSPECIFIED: _ClassVar[OrderType]
    ORDER_TYPE_LIMIT: _ClassVar[OrderType]
    ORDER_TYPE_MARKET: _ClassVar[OrderType]

class DeltaAction(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    DELTA_ACTION_UNSPECIFIED: _ClassVar[DeltaAction]
    DELTA_ACTION_ADD: _ClassVar[DeltaAction]
    DELTA_ACTION_UPDATE: _ClassVar[DeltaAction]
    DELTA_ACTION_DELETE: _ClassVar[DeltaAction]

class OrderStatus(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    ORDER_STATUS_UNSPECIFIED: _ClassVar[OrderStatus]
    ORDER_STATUS_NEW: _ClassVar[OrderStatus]
    ORDER_STATUS_PARTIALLY_FILLED: _ClassVar[OrderStatus]
    ORDER_STATUS_FILLED: _ClassVar[OrderStatus]
    ORDER_STATUS_CANCELLED: _ClassVar[OrderStatus]
    ORDER_STATUS_REJECTED: _ClassVar[OrderStatus]
    ORDER_STATUS_REPLACED: _ClassVar[OrderStatus]
SIDE_UNSPECIFIED: Side
SIDE_BUY: Side
SIDE_SELL: Side
BOOK_SIDE_UNSPECIFIED: BookSide
BOOK_SIDE_BID: BookSide
BOOK_SIDE_ASK: BookSide
TIME_IN_FORCE_UNSPECIFIED: TimeInForce
TIME_IN_FORCE_GTC: TimeInForce
TIME_IN_FORCE_IOC: TimeInForce
TIME_IN_FORCE_FOK: TimeInForce
ORDER_TYPE_UNSPECIFIED: OrderType
ORDER_TYPE_LIMIT: OrderType
ORDER_TYPE_MARKET: OrderType
DELTA_ACTION_UNSPECIFIED: DeltaAction
DELTA_ACTION_ADD: DeltaAction
DELTA_ACTION_UPDATE: DeltaAction
DELTA_ACTION_DELETE: DeltaAction
ORDER_STATUS_UNSPECIFIED: OrderStatus
ORDER_STATUS_NEW: OrderStatus
ORDER_STATUS_PARTIALLY_FILLED: OrderStatus
ORDER_STATUS_FILLED: OrderStatus
ORDER_STATUS_CANCELLED: OrderStatus
ORDER_STATUS_REJECTED: OrderStatus
ORDER_STATUS_REPLACED: OrderStatus

class Instrument(_message.Message):
    __slots__ = ("symbol", "tick_size", "lot_size", "maker_fee", "taker_fee")
    SYMBOL_FIELD_NUMBER: _ClassVar[int]
    TICK_SIZE_FIELD_NUMBER: _ClassVar[int]
    LOT_SIZE_FIELD_NUMBER: _ClassVar[int]
    MAKER_FEE_FIELD_NUMBER: _ClassVar[int]
    TAKER_FEE_FIELD_NUMBER: _ClassVar[int]
    symbol: str
    tick_size: str
    lot_size: str
    maker_fee: str
    taker_fee: str
    def __init__(self, symbol: _Optional[str] = ..., tick_size: _Optional[str] = ..., lot_size: _Optional[str] = ..., maker_fee: _Optional[str] = ..., taker_fee: _Optional[str] = ...) -> None: ...

class ListInstrumentsRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class ListInstrumentsResponse(_message.Message):
    __slots__ = ("instruments",)
    INSTRUMENTS_FIELD_NUMBER: _ClassVar[int]
    instruments: _containers.RepeatedCompositeFieldContainer[Instrument]
    def __init__(self, instruments: _Optional[_Iterable[_Union[Instrument, _Mapping]]] = ...) -> None: ...

class AddInstrumentRequest(_message.Message):
    __slots__ = ("symbol", "tick_size", "lot_size", "maker_fee", "taker_fee")
    SYMBOL_FIELD_NUMBER: _ClassVar[int]
    TICK_SIZE_FIELD_NUMBER: _ClassVar[int]
    LOT_SIZE_FIELD_NUMBER: _ClassVar[int]
    MAKER_FEE_FIELD_NUMBER: _ClassVar[int]
    TAKER_FEE_FIELD_NUMBER: _ClassVar[int]
    symbol: str
    tick_size: str
    lot_size: str
    maker_fee: str
    taker_fee: str
    def __init__(self, symbol: _Optional[str] = ..., tick_size: _Optional[str] = ..., lot_size: _Optional[str] = ..., maker_fee: _Optional[str] = ..., taker_fee: _Optional[str] = ...) -> None: ...

class SubmitOrderRequest(_message.Message):
    __slots__ = ("symbol", "side", "order_type", "qty_lots", "price_ticks", "tif", "post_only", "client_order_id", "stop_price_ticks", "display_qty_lots", "stp")
    SYMBOL_FIELD_NUMBER: _ClassVar[int]
    SIDE_FIELD_NUMBER: _ClassVar[int]
    ORDER_TYPE_FIELD_NUMBER: _ClassVar[int]
    QTY_LOTS_FIELD_NUMBER: _ClassVar[int]
    PRICE_TICKS_FIELD_NUMBER: _ClassVar[int]
    TIF_FIELD_NUMBER: _ClassVar[int]
    POST_ONLY_FIELD_NUMBER: _ClassVar[int]
    CLIENT_ORDER_ID_FIELD_NUMBER: _ClassVar[int]
    STOP_PRICE_TICKS_FIELD_NUMBER: _ClassVar[int]
    DISPLAY_QTY_LOTS_FIELD_NUMBER: _ClassVar[int]
    STP_FIELD_NUMBER: _ClassVar[int]
    symbol: str
    side: Side
    order_type: OrderType
    qty_lots: int
    price_ticks: int
    tif: TimeInForce
    post_only: bool
    client_order_id: str
    stop_price_ticks: int
    display_qty_lots: int
    stp: str
    def __init__(self, symbol: _Optional[str] = ..., side: _Optional[_Union[Side, str]] = ..., order_type: _Optional[_Union[OrderType, str]] = ..., qty_lots: _Optional[int] = ..., price_ticks: _Optional[int] = ..., tif: _Optional[_Union[TimeInForce, str]] = ..., post_only: _Optional[bool] = ..., client_order_id: _Optional[str] = ..., stop_price_ticks: _Optional[int] = ..., display_qty_lots: _Optional[int] = ..., stp: _Optional[str] = ...) -> None: ...

class CancelOrderRequest(_message.Message):
    __slots__ = ("symbol", "order_id")
    SYMBOL_FIELD_NUMBER: _ClassVar[int]
    ORDER_ID_FIELD_NUMBER: _ClassVar[int]
    symbol: str
    order_id: int
    def __init__(self, symbol: _Optional[str] = ..., order_id: _Optional[int] = ...) -> None: ...

class ReplaceOrderRequest(_message.Message):
    __slots__ = ("symbol", "order_id", "qty_lots", "price_ticks", "stop_price_ticks")
    SYMBOL_FIELD_NUMBER: _ClassVar[int]
    ORDER_ID_FIELD_NUMBER: _ClassVar[int]
    QTY_LOTS_FIELD_NUMBER: _ClassVar[int]
    PRICE_TICKS_FIELD_NUMBER: _ClassVar[int]
    STOP_PRICE_TICKS_FIELD_NUMBER: _ClassVar[int]
    symbol: str
    order_id: int
    qty_lots: int
    price_ticks: int
    stop_price_ticks: int
    def __init__(self, symbol: _Optional[str] = ..., order_id: _Optional[int] = ..., qty_lots: _Optional[int] = ..., price_ticks: _Optional[int] = ..., stop_price_ticks: _Optional[int] = ...) -> None: ...

class OrderAck(_message.Message):
    __slots__ = ("order_id", "status", "reason", "filled_lots", "leaves_lots", "events", "client_order_id", "tag", "error")
    ORDER_ID_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    FILLED_LOTS_FIELD_NUMBER: _ClassVar[int]
    LEAVES_LOTS_FIELD_NUMBER: _ClassVar[int]
    EVENTS_FIELD_NUMBER: _ClassVar[int]
    CLIENT_ORDER_ID_FIELD_NUMBER: _ClassVar[int]
    TAG_FIELD_NUMBER: _ClassVar[int]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    order_id: int
    status: OrderStatus
    reason: str
    filled_lots: int
    leaves_lots: int
    events: _containers.RepeatedCompositeFieldContainer[Event]
    client_order_id: str
    tag: str
    error: CommandError
    def __init__(self, order_id: _Optional[int] = ..., status: _Optional[_Union[OrderStatus, str]] = ..., reason: _Optional[str] = ..., filled_lots: _Optional[int] = ..., leaves_lots: _Optional[int] = ..., events: _Optional[_Iterable[_Union[Event, _Mapping]]] = ..., client_order_id: _Optional[str] = ..., tag: _Optional[str] = ..., error: _Optional[_Union[CommandError, _Mapping]] = ...) -> None: ...

class CommandError(_message.Message):
    __slots__ = ("code", "message")
    CODE_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    code: int
    message: str
    def __init__(self, code: _Optional[int] = ..., message: _Optional[str] = ...) -> None: ...

class OrderCommand(_message.Message):
    __slots__ = ("tag", "submit", "cancel", "replace")
    TAG_FIELD_NUMBER: _ClassVar[int]
    SUBMIT_FIELD_NUMBER: _ClassVar[int]
    CANCEL_FIELD_NUMBER: _ClassVar[int]
    REPLACE_FIELD_NUMBER: _ClassVar[int]
    tag: str
    submit: SubmitOrderRequest
    cancel: CancelOrderRequest
    replace: ReplaceOrderRequest
    def __init__(self, tag: _Optional[str] = ..., submit: _Optional[_Union[SubmitOrderRequest, _Mapping]] = ..., cancel: _Optional[_Union[CancelOrderRequest, _Mapping]] = ..., replace: _Optional[_Union[ReplaceOrderRequest, _Mapping]] = ...) -> None: ...

class OrderEntryRequest(_message.Message):
    __slots__ = ("commands",)
    COMMANDS_FIELD_NUMBER: _ClassVar[int]
    commands: _containers.RepeatedCompositeFieldContainer[OrderCommand]
    def __init__(self, commands: _Optional[_Iterable[_Union[OrderCommand, _Mapping]]] = ...) -> None: ...

class OrderEntryResponse(_message.Message):
    __slots__ = ("acks",)
    ACKS_FIELD_NUMBER: _ClassVar[int]
    acks: _containers.RepeatedCompositeFieldContainer[OrderAck]
    def __init__(self, acks: _Optional[_Iterable[_Union[OrderAck, _Mapping]]] = ...) -> None: ...

class OrderAccepted(_message.Message):
    __slots__ = ("seq", "ts_event", "order_id", "owner", "side", "order_type", "price_ticks", "qty_lots", "tif", "post_only", "stop_price_ticks", "display_qty_lots", "stp")
    SEQ_FIELD_NUMBER: _ClassVar[int]
    TS_EVENT_FIELD_NUMBER: _ClassVar[int]
    ORDER_ID_FIELD_NUMBER: _ClassVar[int]
    OWNER_FIELD_NUMBER: _ClassVar[int]
    SIDE_FIELD_NUMBER: _ClassVar[int]
    ORDER_TYPE_FIELD_NUMBER: _ClassVar[int]
    PRICE_TICKS_FIELD_NUMBER: _ClassVar[int]
    QTY_LOTS_FIELD_NUMBER: _ClassVar[int]
    TIF_FIELD_NUMBER: _ClassVar[int]
    POST_ONLY_FIELD_NUMBER: _ClassVar[int]
    STOP_PRICE_TICKS_FIELD_NUMBER: _ClassVar[int]
    DISPLAY_QTY_LOTS_FIELD_NUMBER: _ClassVar[int]
    STP_FIELD_NUMBER: _ClassVar[int]
    seq: int
    ts_event: int
    order_id: int
    owner: str
    side: Side
    order_type: OrderType
    price_ticks: int
    qty_lots: int
    tif: TimeInForce
    post_only: bool
    stop_price_ticks: int
    display_qty_lots: int
    stp: str
    def __init__(self, seq: _Optional[int] = ..., ts_event: _Optional[int] = ..., order_id: _Optional[int] = ..., owner: _Optional[str] = ..., side: _Optional[_Union[Side, str]] = ..., order_type: _Optional[_Union[OrderType, str]] = ..., price_ticks: _Optional[int] = ..., qty_lots: _Optional[int] = ..., tif: _Optional[_Union[TimeInForce, str]] = ..., post_only: _Optional[bool] = ..., stop_price_ticks: _Optional[int] = ..., display_qty_lots: _Optional[int] = ..., stp: _Optional[str] = ...) -> None: ...

class OrderRejected(_message.Message):
    __slots__ = ("seq", "ts_event", "order_id", "owner", "side", "order_type", "price_ticks", "qty_lots", "tif", "post_only", "reason", "stop_price_ticks", "display_qty_lots", "stp")
    SEQ_FIELD_NUMBER: _ClassVar[int]
    TS_EVENT_FIELD_NUMBER: _ClassVar[int]
    ORDER_ID_FIELD_NUMBER: _ClassVar[int]
    OWNER_FIELD_NUMBER: _ClassVar[int]
    SIDE_FIELD_NUMBER: _ClassVar[int]
    ORDER_TYPE_FIELD_NUMBER: _ClassVar[int]
    PRICE_TICKS_FIELD_NUMBER: _ClassVar[int]
    QTY_LOTS_FIELD_NUMBER: _ClassVar[int]
    TIF_FIELD_NUMBER: _ClassVar[int]
    POST_ONLY_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    STOP_PRICE_TICKS_FIELD_NUMBER: _ClassVar[int]
    DISPLAY_QTY_LOTS_FIELD_NUMBER: _ClassVar[int]
    STP_FIELD_NUMBER: _ClassVar[int]
    seq: int
    ts_event: int
    order_id: int
    owner: str
    side: Side
    order_type: OrderType
    price_ticks: int
    qty_lots: int
    tif: TimeInForce
    post_only: bool
    reason: str
    stop_price_ticks: int
    display_qty_lots: int
    stp: str
    def __init__(self, seq: _Optional[int] = ..., ts_event: _Optional[int] = ..., order_id: _Optional[int] = ..., owner: _Optional[str] = ..., side: _Optional[_Union[Side, str]] = ..., order_type: _Optional[_Union[OrderType, str]] = ..., price_ticks: _Optional[int] = ..., qty_lots: _Optional[int] = ..., tif: _Optional[_Union[TimeInForce, str]] = ..., post_only: _Optional[bool] = ..., reason: _Optional[str] = ..., stop_price_ticks: _Optional[int] = ..., display_qty_lots: _Optional[int] = ..., stp: _Optional[str] = ...) -> None: ...

class Trade(_message.Message):
    __slots__ = ("seq", "ts_event", "trade_id", "price_ticks", "qty_lots", "aggressor_side", "maker_order_id", "taker_order_id", "maker_owner", "taker_owner")
    SEQ_FIELD_NUMBER: _ClassVar[int]
    TS_EVENT_FIELD_NUMBER: _ClassVar[int]
    TRADE_ID_FIELD_NUMBER: _ClassVar[int]
    PRICE_TICKS_FIELD_NUMBER: _ClassVar[int]
    QTY_LOTS_FIELD_NUMBER: _ClassVar[int]
    AGGRESSOR_SIDE_FIELD_NUMBER: _ClassVar[int]
    MAKER_ORDER_ID_FIELD_NUMBER: _ClassVar[int]
    TAKER_ORDER_ID_FIELD_NUMBER: _ClassVar[int]
    MAKER_OWNER_FIELD_NUMBER: _ClassVar[int]
    TAKER_OWNER_FIELD_NUMBER: _ClassVar[int]
    seq: int
    ts_event: int
    trade_id: int
    price_ticks: int
    qty_lots: int
    aggressor_side: Side
    maker_order_id: int
    taker_order_id: int
    maker_owner: str
    taker_owner: str
    def __init__(self, seq: _Optional[int] = ..., ts_event: _Optional[int] = ..., trade_id: _Optional[int] = ..., price_ticks: _Optional[int] = ..., qty_lots: _Optional[int] = ..., aggressor_side: _Optional[_Union[Side, str]] = ..., maker_order_id: _Optional[int] = ..., taker_order_id: _Optional[int] = ..., maker_owner: _Optional[str] = ..., taker_owner: _Optional[str] = ...) -> None: ...

class OrderCancelled(_message.Message):
    __slots__ = ("seq", "ts_event", "order_id", "owner", "side", "price_ticks", "qty_lots", "reason")
    SEQ_FIELD_NUMBER: _ClassVar[int]
    TS_EVENT_FIELD_NUMBER: _ClassVar[int]
    ORDER_ID_FIELD_NUMBER: _ClassVar[int]
    OWNER_FIELD_NUMBER: _ClassVar[int]
    SIDE_FIELD_NUMBER: _ClassVar[int]
    PRICE_TICKS_FIELD_NUMBER: _ClassVar[int]
    QTY_LOTS_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    seq: int
    ts_event: int
    order_id: int
    owner: str
    side: Side
    price_ticks: int
    qty_lots: int
    reason: str
    def __init__(self, seq: _Optional[int] = ..., ts_event: _Optional[int] = ..., order_id: _Optional[int] = ..., owner: _Optional[str] = ..., side: _Optional[_Union[Side, str]] = ..., price_ticks: _Optional[int] = ..., qty_lots: _Optional[int] = ..., reason: _Optional[str] = ...) -> None: ...

class OrderReplaced(_message.Message):
    __slots__ = ("seq", "ts_event", "order_id", "owner", "side", "old_price_ticks", "old_qty_lots", "price_ticks", "qty_lots", "priority_kept", "old_stop_price_ticks", "stop_price_ticks")
    SEQ_FIELD_NUMBER: _ClassVar[int]
    TS_EVENT_FIELD_NUMBER: _ClassVar[int]
    ORDER_ID_FIELD_NUMBER: _ClassVar[int]
    OWNER_FIELD_NUMBER: _ClassVar[int]
    SIDE_FIELD_NUMBER: _ClassVar[int]
    OLD_PRICE_TICKS_FIELD_NUMBER: _ClassVar[int]
    OLD_QTY_LOTS_FIELD_NUMBER: _ClassVar[int]
    PRICE_TICKS_FIELD_NUMBER: _ClassVar[int]
    QTY_LOTS_FIELD_NUMBER: _ClassVar[int]
    PRIORITY_KEPT_FIELD_NUMBER: _ClassVar[int]
    OLD_STOP_PRICE_TICKS_FIELD_NUMBER: _ClassVar[int]
    STOP_PRICE_TICKS_FIELD_NUMBER: _ClassVar[int]
    seq: int
    ts_event: int
    order_id: int
    owner: str
    side: Side
    old_price_ticks: int
    old_qty_lots: int
    price_ticks: int
    qty_lots: int
    priority_kept: bool
    old_stop_price_ticks: int
    stop_price_ticks: int
    def __init__(self, seq: _Optional[int] = ..., ts_event: _Optional[int] = ..., order_id: _Optional[int] = ..., owner: _Optional[str] = ..., side: _Optional[_Union[Side, str]] = ..., old_price_ticks: _Optional[int] = ..., old_qty_lots: _Optional[int] = ..., price_ticks: _Optional[int] = ..., qty_lots: _Optional[int] = ..., priority_kept: _Optional[bool] = ..., old_stop_price_ticks: _Optional[int] = ..., stop_price_ticks: _Optional[int] = ...) -> None: ...

class StopTriggered(_message.Message):
    __slots__ = ("seq", "ts_event", "order_id", "owner", "side", "stop_price_ticks", "price_ticks", "qty_lots", "trigger_price_ticks")
    SEQ_FIELD_NUMBER: _ClassVar[int]
    TS_EVENT_FIELD_NUMBER: _ClassVar[int]
    ORDER_ID_FIELD_NUMBER: _ClassVar[int]
    OWNER_FIELD_NUMBER: _ClassVar[int]
    SIDE_FIELD_NUMBER: _ClassVar[int]
    STOP_PRICE_TICKS_FIELD_NUMBER: _ClassVar[int]
    PRICE_TICKS_FIELD_NUMBER: _ClassVar[int]
    QTY_LOTS_FIELD_NUMBER: _ClassVar[int]
    TRIGGER_PRICE_TICKS_FIELD_NUMBER: _ClassVar[int]
    seq: int
    ts_event: int
    order_id: int
    owner: str
    side: Side
    stop_price_ticks: int
    price_ticks: int
    qty_lots: int
    trigger_price_ticks: int
    def __init__(self, seq: _Optional[int] = ..., ts_event: _Optional[int] = ..., order_id: _Optional[int] = ..., owner: _Optional[str] = ..., side: _Optional[_Union[Side, str]] = ..., stop_price_ticks: _Optional[int] = ..., price_ticks: _Optional[int] = ..., qty_lots: _Optional[int] = ..., trigger_price_ticks: _Optional[int] = ...) -> None: ...

class IcebergRefilled(_message.Message):
    __slots__ = ("seq", "ts_event", "order_id", "owner", "side", "price_ticks", "qty_lots", "hidden_lots")
    SEQ_FIELD_NUMBER: _ClassVar[int]
    TS_EVENT_FIELD_NUMBER: _ClassVar[int]
    ORDER_ID_FIELD_NUMBER: _ClassVar[int]
    OWNER_FIELD_NUMBER: _ClassVar[int]
    SIDE_FIELD_NUMBER: _ClassVar[int]
    PRICE_TICKS_FIELD_NUMBER: _ClassVar[int]
    QTY_LOTS_FIELD_NUMBER: _ClassVar[int]
    HIDDEN_LOTS_FIELD_NUMBER: _ClassVar[int]
    seq: int
    ts_event: int
    order_id: int
    owner: str
    side: Side
    price_ticks: int
    qty_lots: int
    hidden_lots: int
    def __init__(self, seq: _Optional[int] = ..., ts_event: _Optional[int] = ..., order_id: _Optional[int] = ..., owner: _Optional[str] = ..., side: _Optional[_Union[Side, str]] = ..., price_ticks: _Optional[int] = ..., qty_lots: _Optional[int] = ..., hidden_lots: _Optional[int] = ...) -> None: ...

class PhaseChanged(_message.Message):
    __slots__ = ("seq", "ts_event", "phase", "previous")
    SEQ_FIELD_NUMBER: _ClassVar[int]
    TS_EVENT_FIELD_NUMBER: _ClassVar[int]
    PHASE_FIELD_NUMBER: _ClassVar[int]
    PREVIOUS_FIELD_NUMBER: _ClassVar[int]
    seq: int
    ts_event: int
    phase: str
    previous: str
    def __init__(self, seq: _Optional[int] = ..., ts_event: _Optional[int] = ..., phase: _Optional[str] = ..., previous: _Optional[str] = ...) -> None: ...

class AuctionUncrossed(_message.Message):
    __slots__ = ("seq", "ts_event", "price_ticks", "qty_lots")
    SEQ_FIELD_NUMBER: _ClassVar[int]
    TS_EVENT_FIELD_NUMBER: _ClassVar[int]
    PRICE_TICKS_FIELD_NUMBER: _ClassVar[int]
    QTY_LOTS_FIELD_NUMBER: _ClassVar[int]
    seq: int
    ts_event: int
    price_ticks: int
    qty_lots: int
    def __init__(self, seq: _Optional[int] = ..., ts_event: _Optional[int] = ..., price_ticks: _Optional[int] = ..., qty_lots: _Optional[int] = ...) -> None: ...

class BookDelta(_message.Message):
    __slots__ = ("seq", "ts_event", "side", "price_ticks", "qty_lots", "order_count", "action", "last")
    SEQ_FIELD_NUMBER: _ClassVar[int]
    TS_EVENT_FIELD_NUMBER: _ClassVar[int]
    SIDE_FIELD_NUMBER: _ClassVar[int]
    PRICE_TICKS_FIELD_NUMBER: _ClassVar[int]
    QTY_LOTS_FIELD_NUMBER: _ClassVar[int]
    ORDER_COUNT_FIELD_NUMBER: _ClassVar[int]
    ACTION_FIELD_NUMBER: _ClassVar[int]
    LAST_FIELD_NUMBER: _ClassVar[int]
    seq: int
    ts_event: int
    side: BookSide
    price_ticks: int
    qty_lots: int
    order_count: int
    action: DeltaAction
    last: bool
    def __init__(self, seq: _Optional[int] = ..., ts_event: _Optional[int] = ..., side: _Optional[_Union[BookSide, str]] = ..., price_ticks: _Optional[int] = ..., qty_lots: _Optional[int] = ..., order_count: _Optional[int] = ..., action: _Optional[_Union[DeltaAction, str]] = ..., last: _Optional[bool] = ...) -> None: ...

class Event(_message.Message):
    __slots__ = ("accepted", "rejected", "trade", "cancelled", "replaced", "delta", "stop_triggered", "iceberg_refilled", "phase", "uncrossed")
    ACCEPTED_FIELD_NUMBER: _ClassVar[int]
    REJECTED_FIELD_NUMBER: _ClassVar[int]
    TRADE_FIELD_NUMBER: _ClassVar[int]
    CANCELLED_FIELD_NUMBER: _ClassVar[int]
    REPLACED_FIELD_NUMBER: _ClassVar[int]
    DELTA_FIELD_NUMBER: _ClassVar[int]
    STOP_TRIGGERED_FIELD_NUMBER: _ClassVar[int]
    ICEBERG_REFILLED_FIELD_NUMBER: _ClassVar[int]
    PHASE_FIELD_NUMBER: _ClassVar[int]
    UNCROSSED_FIELD_NUMBER: _ClassVar[int]
    accepted: OrderAccepted
    rejected: OrderRejected
    trade: Trade
    cancelled: OrderCancelled
    replaced: OrderReplaced
    delta: BookDelta
    stop_triggered: StopTriggered
    iceberg_refilled: IcebergRefilled
    phase: PhaseChanged
    uncrossed: AuctionUncrossed
    def __init__(self, accepted: _Optional[_Union[OrderAccepted, _Mapping]] = ..., rejected: _Optional[_Union[OrderRejected, _Mapping]] = ..., trade: _Optional[_Union[Trade, _Mapping]] = ..., cancelled: _Optional[_Union[OrderCancelled, _Mapping]] = ..., replaced: _Optional[_Union[OrderReplaced, _Mapping]] = ..., delta: _Optional[_Union[BookDelta, _Mapping]] = ..., stop_triggered: _Optional[_Union[StopTriggered, _Mapping]] = ..., iceberg_refilled: _Optional[_Union[IcebergRefilled, _Mapping]] = ..., phase: _Optional[_Union[PhaseChanged, _Mapping]] = ..., uncrossed: _Optional[_Union[AuctionUncrossed, _Mapping]] = ...) -> None: ...

class GetBookRequest(_message.Message):
    __slots__ = ("symbol", "depth")
    SYMBOL_FIELD_NUMBER: _ClassVar[int]
    DEPTH_FIELD_NUMBER: _ClassVar[int]
    symbol: str
    depth: int
    def __init__(self, symbol: _Optional[str] = ..., depth: _Optional[int] = ...) -> None: ...

class PriceLevel(_message.Message):
    __slots__ = ("price_ticks", "qty_lots", "order_count")
    PRICE_TICKS_FIELD_NUMBER: _ClassVar[int]
    QTY_LOTS_FIELD_NUMBER: _ClassVar[int]
    ORDER_COUNT_FIELD_NUMBER: _ClassVar[int]
    price_ticks: int
    qty_lots: int
    order_count: int
    def __init__(self, price_ticks: _Optional[int] = ..., qty_lots: _Optional[int] = ..., order_count: _Optional[int] = ...) -> None: ...

class BookSnapshot(_message.Message):
    __slots__ = ("symbol", "seq", "ts_event", "bids", "asks", "tick_size", "lot_size")
    SYMBOL_FIELD_NUMBER: _ClassVar[int]
    SEQ_FIELD_NUMBER: _ClassVar[int]
    TS_EVENT_FIELD_NUMBER: _ClassVar[int]
    BIDS_FIELD_NUMBER: _ClassVar[int]
    ASKS_FIELD_NUMBER: _ClassVar[int]
    TICK_SIZE_FIELD_NUMBER: _ClassVar[int]
    LOT_SIZE_FIELD_NUMBER: _ClassVar[int]
    symbol: str
    seq: int
    ts_event: int
    bids: _containers.RepeatedCompositeFieldContainer[PriceLevel]
    asks: _containers.RepeatedCompositeFieldContainer[PriceLevel]
    tick_size: str
    lot_size: str
    def __init__(self, symbol: _Optional[str] = ..., seq: _Optional[int] = ..., ts_event: _Optional[int] = ..., bids: _Optional[_Iterable[_Union[PriceLevel, _Mapping]]] = ..., asks: _Optional[_Iterable[_Union[PriceLevel, _Mapping]]] = ..., tick_size: _Optional[str] = ..., lot_size: _Optional[str] = ...) -> None: ...

class StreamBookRequest(_message.Message):
    __slots__ = ("symbol", "depth", "from_seq", "max_updates_per_second")
    SYMBOL_FIELD_NUMBER: _ClassVar[int]
    DEPTH_FIELD_NUMBER: _ClassVar[int]
    FROM_SEQ_FIELD_NUMBER: _ClassVar[int]
    MAX_UPDATES_PER_SECOND_FIELD_NUMBER: _ClassVar[int]
    symbol: str
    depth: int
    from_seq: int
    max_updates_per_second: int
    def __init__(self, symbol: _Optional[str] = ..., depth: _Optional[int] = ..., from_seq: _Optional[int] = ..., max_updates_per_second: _Optional[int] = ...) -> None: ...

class BookDeltas(_message.Message):
    __slots__ = ("prev_seq", "seq", "deltas")
    PREV_SEQ_FIELD_NUMBER: _ClassVar[int]
    SEQ_FIELD_NUMBER: _ClassVar[int]
    DELTAS_FIELD_NUMBER: _ClassVar[int]
    prev_seq: int
    seq: int
    deltas: _containers.RepeatedCompositeFieldContainer[BookDelta]
    def __init__(self, prev_seq: _Optional[int] = ..., seq: _Optional[int] = ..., deltas: _Optional[_Iterable[_Union[BookDelta, _Mapping]]] = ...) -> None: ...

class BookUpdate(_message.Message):
    __slots__ = ("snapshot", "deltas")
    SNAPSHOT_FIELD_NUMBER: _ClassVar[int]
    DELTAS_FIELD_NUMBER: _ClassVar[int]
    snapshot: BookSnapshot
    deltas: BookDeltas
    def __init__(self, snapshot: _Optional[_Union[BookSnapshot, _Mapping]] = ..., deltas: _Optional[_Union[BookDeltas, _Mapping]] = ...) -> None: ...

class StreamTradesRequest(_message.Message):
    __slots__ = ("symbol", "from_seq")
    SYMBOL_FIELD_NUMBER: _ClassVar[int]
    FROM_SEQ_FIELD_NUMBER: _ClassVar[int]
    symbol: str
    from_seq: int
    def __init__(self, symbol: _Optional[str] = ..., from_seq: _Optional[int] = ...) -> None: ...

class TradeBatch(_message.Message):
    __slots__ = ("symbol", "trades")
    SYMBOL_FIELD_NUMBER: _ClassVar[int]
    TRADES_FIELD_NUMBER: _ClassVar[int]
    symbol: str
    trades: _containers.RepeatedCompositeFieldContainer[Trade]
    def __init__(self, symbol: _Optional[str] = ..., trades: _Optional[_Iterable[_Union[Trade, _Mapping]]] = ...) -> None: ...

class StreamEventsRequest(_message.Message):
    __slots__ = ("symbol", "from_seq")
    SYMBOL_FIELD_NUMBER: _ClassVar[int]
    FROM_SEQ_FIELD_NUMBER: _ClassVar[int]
    symbol: str
    from_seq: int
    def __init__(self, symbol: _Optional[str] = ..., from_seq: _Optional[int] = ...) -> None: ...

class EventBatch(_message.Message):
    __slots__ = ("symbol", "events")
    SYMBOL_FIELD_NUMBER: _ClassVar[int]
    EVENTS_FIELD_NUMBER: _ClassVar[int]
    symbol: str
    events: _containers.RepeatedCompositeFieldContainer[Event]
    def __init__(self, symbol: _Optional[str] = ..., events: _Optional[_Iterable[_Union[Event, _Mapping]]] = ...) -> None: ...

class GetServerInfoRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class ServerInfo(_message.Message):
    __slots__ = ("market_data_port",)
    MARKET_DATA_PORT_FIELD_NUMBER: _ClassVar[int]
    market_data_port: int
    def __init__(self, market_data_port: _Optional[int] = ...) -> None: ...

class WhoAmIRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class Identity(_message.Message):
    __slots__ = ("participant", "role", "authenticated")
    PARTICIPANT_FIELD_NUMBER: _ClassVar[int]
    ROLE_FIELD_NUMBER: _ClassVar[int]
    AUTHENTICATED_FIELD_NUMBER: _ClassVar[int]
    participant: str
    role: str
    authenticated: bool
    def __init__(self, participant: _Optional[str] = ..., role: _Optional[str] = ..., authenticated: _Optional[bool] = ...) -> None: ...

class Account(_message.Message):
    __slots__ = ("owner", "symbol", "position", "avg_price", "cash", "realized_pnl", "unrealized_pnl", "total_pnl", "fees", "traded_qty", "open_orders", "mark")
    OWNER_FIELD_NUMBER: _ClassVar[int]
    SYMBOL_FIELD_NUMBER: _ClassVar[int]
    POSITION_FIELD_NUMBER: _ClassVar[int]
    AVG_PRICE_FIELD_NUMBER: _ClassVar[int]
    CASH_FIELD_NUMBER: _ClassVar[int]
    REALIZED_PNL_FIELD_NUMBER: _ClassVar[int]
    UNREALIZED_PNL_FIELD_NUMBER: _ClassVar[int]
    TOTAL_PNL_FIELD_NUMBER: _ClassVar[int]
    FEES_FIELD_NUMBER: _ClassVar[int]
    TRADED_QTY_FIELD_NUMBER: _ClassVar[int]
    OPEN_ORDERS_FIELD_NUMBER: _ClassVar[int]
    MARK_FIELD_NUMBER: _ClassVar[int]
    owner: str
    symbol: str
    position: float
    avg_price: float
    cash: float
    realized_pnl: float
    unrealized_pnl: float
    total_pnl: float
    fees: float
    traded_qty: float
    open_orders: int
    mark: float
    def __init__(self, owner: _Optional[str] = ..., symbol: _Optional[str] = ..., position: _Optional[float] = ..., avg_price: _Optional[float] = ..., cash: _Optional[float] = ..., realized_pnl: _Optional[float] = ..., unrealized_pnl: _Optional[float] = ..., total_pnl: _Optional[float] = ..., fees: _Optional[float] = ..., traded_qty: _Optional[float] = ..., open_orders: _Optional[int] = ..., mark: _Optional[float] = ...) -> None: ...

class GetAccountRequest(_message.Message):
    __slots__ = ("symbol",)
    SYMBOL_FIELD_NUMBER: _ClassVar[int]
    symbol: str
    def __init__(self, symbol: _Optional[str] = ...) -> None: ...

class AccountList(_message.Message):
    __slots__ = ("accounts",)
    ACCOUNTS_FIELD_NUMBER: _ClassVar[int]
    accounts: _containers.RepeatedCompositeFieldContainer[Account]
    def __init__(self, accounts: _Optional[_Iterable[_Union[Account, _Mapping]]] = ...) -> None: ...

class OpenOrder(_message.Message):
    __slots__ = ("symbol", "order_id", "side", "price_ticks", "qty_lots", "filled_lots", "queue_position", "orders_at_level")
    SYMBOL_FIELD_NUMBER: _ClassVar[int]
    ORDER_ID_FIELD_NUMBER: _ClassVar[int]
    SIDE_FIELD_NUMBER: _ClassVar[int]
    PRICE_TICKS_FIELD_NUMBER: _ClassVar[int]
    QTY_LOTS_FIELD_NUMBER: _ClassVar[int]
    FILLED_LOTS_FIELD_NUMBER: _ClassVar[int]
    QUEUE_POSITION_FIELD_NUMBER: _ClassVar[int]
    ORDERS_AT_LEVEL_FIELD_NUMBER: _ClassVar[int]
    symbol: str
    order_id: int
    side: Side
    price_ticks: int
    qty_lots: int
    filled_lots: int
    queue_position: int
    orders_at_level: int
    def __init__(self, symbol: _Optional[str] = ..., order_id: _Optional[int] = ..., side: _Optional[_Union[Side, str]] = ..., price_ticks: _Optional[int] = ..., qty_lots: _Optional[int] = ..., filled_lots: _Optional[int] = ..., queue_position: _Optional[int] = ..., orders_at_level: _Optional[int] = ...) -> None: ...

class ListOrdersRequest(_message.Message):
    __slots__ = ("symbol",)
    SYMBOL_FIELD_NUMBER: _ClassVar[int]
    symbol: str
    def __init__(self, symbol: _Optional[str] = ...) -> None: ...

class OpenOrderList(_message.Message):
    __slots__ = ("orders",)
    ORDERS_FIELD_NUMBER: _ClassVar[int]
    orders: _containers.RepeatedCompositeFieldContainer[OpenOrder]
    def __init__(self, orders: _Optional[_Iterable[_Union[OpenOrder, _Mapping]]] = ...) -> None: ...

class GetLeaderboardRequest(_message.Message):
    __slots__ = ("symbol",)
    SYMBOL_FIELD_NUMBER: _ClassVar[int]
    symbol: str
    def __init__(self, symbol: _Optional[str] = ...) -> None: ...

class LeaderboardEntry(_message.Message):
    __slots__ = ("participant", "role", "accounts")
    PARTICIPANT_FIELD_NUMBER: _ClassVar[int]
    ROLE_FIELD_NUMBER: _ClassVar[int]
    ACCOUNTS_FIELD_NUMBER: _ClassVar[int]
    participant: str
    role: str
    accounts: _containers.RepeatedCompositeFieldContainer[Account]
    def __init__(self, participant: _Optional[str] = ..., role: _Optional[str] = ..., accounts: _Optional[_Iterable[_Union[Account, _Mapping]]] = ...) -> None: ...

class Leaderboard(_message.Message):
    __slots__ = ("entries",)
    ENTRIES_FIELD_NUMBER: _ClassVar[int]
    entries: _containers.RepeatedCompositeFieldContainer[LeaderboardEntry]
    def __init__(self, entries: _Optional[_Iterable[_Union[LeaderboardEntry, _Mapping]]] = ...) -> None: ...

class StreamPrivateRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class PrivateUpdate(_message.Message):
    __slots__ = ("symbol", "events", "account", "case_update")
    SYMBOL_FIELD_NUMBER: _ClassVar[int]
    EVENTS_FIELD_NUMBER: _ClassVar[int]
    ACCOUNT_FIELD_NUMBER: _ClassVar[int]
    CASE_UPDATE_FIELD_NUMBER: _ClassVar[int]
    symbol: str
    events: _containers.RepeatedCompositeFieldContainer[Event]
    account: Account
    case_update: CaseUpdate
    def __init__(self, symbol: _Optional[str] = ..., events: _Optional[_Iterable[_Union[Event, _Mapping]]] = ..., account: _Optional[_Union[Account, _Mapping]] = ..., case_update: _Optional[_Union[CaseUpdate, _Mapping]] = ...) -> None: ...

class SetPhaseRequest(_message.Message):
    __slots__ = ("symbol", "phase")
    SYMBOL_FIELD_NUMBER: _ClassVar[int]
    PHASE_FIELD_NUMBER: _ClassVar[int]
    symbol: str
    phase: str
    def __init__(self, symbol: _Optional[str] = ..., phase: _Optional[str] = ...) -> None: ...

class SetPhaseResponse(_message.Message):
    __slots__ = ("events",)
    EVENTS_FIELD_NUMBER: _ClassVar[int]
    events: _containers.RepeatedCompositeFieldContainer[Event]
    def __init__(self, events: _Optional[_Iterable[_Union[Event, _Mapping]]] = ...) -> None: ...

class CaseStatus(_message.Message):
    __slots__ = ("case_name", "heat", "heat_count", "state", "ts_ns", "seconds_left", "phases", "connected")
    class PhasesEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    CASE_NAME_FIELD_NUMBER: _ClassVar[int]
    HEAT_FIELD_NUMBER: _ClassVar[int]
    HEAT_COUNT_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    TS_NS_FIELD_NUMBER: _ClassVar[int]
    SECONDS_LEFT_FIELD_NUMBER: _ClassVar[int]
    PHASES_FIELD_NUMBER: _ClassVar[int]
    CONNECTED_FIELD_NUMBER: _ClassVar[int]
    case_name: str
    heat: int
    heat_count: int
    state: str
    ts_ns: int
    seconds_left: float
    phases: _containers.ScalarMap[str, str]
    connected: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, case_name: _Optional[str] = ..., heat: _Optional[int] = ..., heat_count: _Optional[int] = ..., state: _Optional[str] = ..., ts_ns: _Optional[int] = ..., seconds_left: _Optional[float] = ..., phases: _Optional[_Mapping[str, str]] = ..., connected: _Optional[_Iterable[str]] = ...) -> None: ...

class CaseNews(_message.Message):
    __slots__ = ("heat", "ts_ns", "news_id", "text", "symbol")
    HEAT_FIELD_NUMBER: _ClassVar[int]
    TS_NS_FIELD_NUMBER: _ClassVar[int]
    NEWS_ID_FIELD_NUMBER: _ClassVar[int]
    TEXT_FIELD_NUMBER: _ClassVar[int]
    SYMBOL_FIELD_NUMBER: _ClassVar[int]
    heat: int
    ts_ns: int
    news_id: int
    text: str
    symbol: str
    def __init__(self, heat: _Optional[int] = ..., ts_ns: _Optional[int] = ..., news_id: _Optional[int] = ..., text: _Optional[str] = ..., symbol: _Optional[str] = ...) -> None: ...

class CaseTender(_message.Message):
    __slots__ = ("heat", "ts_ns", "tender_id", "symbol", "side", "qty", "price", "expires_ns", "outcome")
    HEAT_FIELD_NUMBER: _ClassVar[int]
    TS_NS_FIELD_NUMBER: _ClassVar[int]
    TENDER_ID_FIELD_NUMBER: _ClassVar[int]
    SYMBOL_FIELD_NUMBER: _ClassVar[int]
    SIDE_FIELD_NUMBER: _ClassVar[int]
    QTY_FIELD_NUMBER: _ClassVar[int]
    PRICE_FIELD_NUMBER: _ClassVar[int]
    EXPIRES_NS_FIELD_NUMBER: _ClassVar[int]
    OUTCOME_FIELD_NUMBER: _ClassVar[int]
    heat: int
    ts_ns: int
    tender_id: int
    symbol: str
    side: str
    qty: str
    price: str
    expires_ns: int
    outcome: str
    def __init__(self, heat: _Optional[int] = ..., ts_ns: _Optional[int] = ..., tender_id: _Optional[int] = ..., symbol: _Optional[str] = ..., side: _Optional[str] = ..., qty: _Optional[str] = ..., price: _Optional[str] = ..., expires_ns: _Optional[int] = ..., outcome: _Optional[str] = ...) -> None: ...

class CaseUpdate(_message.Message):
    __slots__ = ("status", "news", "tenders")
    STATUS_FIELD_NUMBER: _ClassVar[int]
    NEWS_FIELD_NUMBER: _ClassVar[int]
    TENDERS_FIELD_NUMBER: _ClassVar[int]
    status: CaseStatus
    news: _containers.RepeatedCompositeFieldContainer[CaseNews]
    tenders: _containers.RepeatedCompositeFieldContainer[CaseTender]
    def __init__(self, status: _Optional[_Union[CaseStatus, _Mapping]] = ..., news: _Optional[_Iterable[_Union[CaseNews, _Mapping]]] = ..., tenders: _Optional[_Iterable[_Union[CaseTender, _Mapping]]] = ...) -> None: ...

class RunCaseRequest(_message.Message):
    __slots__ = ("case_toml", "clock", "speed", "heats")
    CASE_TOML_FIELD_NUMBER: _ClassVar[int]
    CLOCK_FIELD_NUMBER: _ClassVar[int]
    SPEED_FIELD_NUMBER: _ClassVar[int]
    HEATS_FIELD_NUMBER: _ClassVar[int]
    case_toml: str
    clock: str
    speed: float
    heats: int
    def __init__(self, case_toml: _Optional[str] = ..., clock: _Optional[str] = ..., speed: _Optional[float] = ..., heats: _Optional[int] = ...) -> None: ...

class ControlCaseRequest(_message.Message):
    __slots__ = ("action",)
    ACTION_FIELD_NUMBER: _ClassVar[int]
    action: str
    def __init__(self, action: _Optional[str] = ...) -> None: ...

class GetCaseStateRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class AnswerTenderRequest(_message.Message):
    __slots__ = ("tender_id", "accept")
    TENDER_ID_FIELD_NUMBER: _ClassVar[int]
    ACCEPT_FIELD_NUMBER: _ClassVar[int]
    tender_id: int
    accept: bool
    def __init__(self, tender_id: _Optional[int] = ..., accept: _Optional[bool] = ...) -> None: ...

class GetCaseScoresRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class CaseScore(_message.Message):
    __slots__ = ("participant", "heat", "pnl", "rank", "final_score", "final_rank")
    PARTICIPANT_FIELD_NUMBER: _ClassVar[int]
    HEAT_FIELD_NUMBER: _ClassVar[int]
    PNL_FIELD_NUMBER: _ClassVar[int]
    RANK_FIELD_NUMBER: _ClassVar[int]
    FINAL_SCORE_FIELD_NUMBER: _ClassVar[int]
    FINAL_RANK_FIELD_NUMBER: _ClassVar[int]
    participant: str
    heat: int
    pnl: float
    rank: int
    final_score: float
    final_rank: int
    def __init__(self, participant: _Optional[str] = ..., heat: _Optional[int] = ..., pnl: _Optional[float] = ..., rank: _Optional[int] = ..., final_score: _Optional[float] = ..., final_rank: _Optional[int] = ...) -> None: ...

class CaseScores(_message.Message):
    __slots__ = ("scores",)
    SCORES_FIELD_NUMBER: _ClassVar[int]
    scores: _containers.RepeatedCompositeFieldContainer[CaseScore]
    def __init__(self, scores: _Optional[_Iterable[_Union[CaseScore, _Mapping]]] = ...) -> None: ...

class GetCasePostMortemRequest(_message.Message):
    __slots__ = ("heat",)
    HEAT_FIELD_NUMBER: _ClassVar[int]
    heat: int
    def __init__(self, heat: _Optional[int] = ...) -> None: ...

class CasePostMortem(_message.Message):
    __slots__ = ("heat", "pnl", "trades", "value", "counterparties")
    HEAT_FIELD_NUMBER: _ClassVar[int]
    PNL_FIELD_NUMBER: _ClassVar[int]
    TRADES_FIELD_NUMBER: _ClassVar[int]
    VALUE_FIELD_NUMBER: _ClassVar[int]
    COUNTERPARTIES_FIELD_NUMBER: _ClassVar[int]
    heat: int
    pnl: bytes
    trades: bytes
    value: bytes
    counterparties: bytes
    def __init__(self, heat: _Optional[int] = ..., pnl: _Optional[bytes] = ..., trades: _Optional[bytes] = ..., value: _Optional[bytes] = ..., counterparties: _Optional[bytes] = ...) -> None: ...
