from marketsim.wire.v1 import market_pb2 as _market_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class JournalHeader(_message.Message):
    __slots__ = ("format", "instruments", "created_ns")
    FORMAT_FIELD_NUMBER: _ClassVar[int]
    INSTRUMENTS_FIELD_NUMBER: _ClassVar[int]
    CREATED_NS_FIELD_NUMBER: _ClassVar[int]
    format: int
    instruments: _containers.RepeatedCompositeFieldContainer[_market_pb2.Instrument]
    created_ns: int
    def __init__(self, format: _Optional[int] = ..., instruments: _Optional[_Iterable[_Union[_market_pb2.Instrument, _Mapping]]] = ..., created_ns: _Optional[int] = ...) -> None: ...

class JournalRecord(_message.Message):
    __slots__ = ("ts_event", "owner", "risk_reason", "submit", "cancel", "replace", "set_phase", "add_instrument")
    TS_EVENT_FIELD_NUMBER: _ClassVar[int]
    OWNER_FIELD_NUMBER: _ClassVar[int]
    RISK_REASON_FIELD_NUMBER: _ClassVar[int]
    SUBMIT_FIELD_NUMBER: _ClassVar[int]
    CANCEL_FIELD_NUMBER: _ClassVar[int]
    REPLACE_FIELD_NUMBER: _ClassVar[int]
    SET_PHASE_FIELD_NUMBER: _ClassVar[int]
    ADD_INSTRUMENT_FIELD_NUMBER: _ClassVar[int]
    ts_event: int
    owner: str
    risk_reason: str
    submit: _market_pb2.SubmitOrderRequest
    cancel: _market_pb2.CancelOrderRequest
    replace: _market_pb2.ReplaceOrderRequest
    set_phase: _market_pb2.SetPhaseRequest
    add_instrument: _market_pb2.AddInstrumentRequest
    def __init__(self, ts_event: _Optional[int] = ..., owner: _Optional[str] = ..., risk_reason: _Optional[str] = ..., submit: _Optional[_Union[_market_pb2.SubmitOrderRequest, _Mapping]] = ..., cancel: _Optional[_Union[_market_pb2.CancelOrderRequest, _Mapping]] = ..., replace: _Optional[_Union[_market_pb2.ReplaceOrderRequest, _Mapping]] = ..., set_phase: _Optional[_Union[_market_pb2.SetPhaseRequest, _Mapping]] = ..., add_instrument: _Optional[_Union[_market_pb2.AddInstrumentRequest, _Mapping]] = ...) -> None: ...
