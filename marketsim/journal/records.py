"""Journal records: one accepted command each, as the protobuf messages of journal.proto."""

from __future__ import annotations

from typing import NamedTuple

from google.protobuf.message import Message

from marketsim.wire.v1 import journal_pb2 as jpb
from marketsim.wire.v1 import market_pb2 as pb

#: Journal format version written in headers; readers refuse others.
FORMAT = 1

#: The record field that carries each request type.
_FIELD_OF = {
    pb.SubmitOrderRequest: "submit",
    pb.CancelOrderRequest: "cancel",
    pb.ReplaceOrderRequest: "replace",
    pb.SetPhaseRequest: "set_phase",
    pb.AddInstrumentRequest: "add_instrument",
}


class Record(NamedTuple):
    """A decoded record: when, for whom, the request as it arrived, and any risk refusal."""

    ts_event: int
    owner: str
    request: Message
    risk_reason: str


def encode(ts_event: int, owner: str, request: Message, risk_reason: str = "") -> bytes:
    """The serialised record of ``request`` (one of the order-entry or admin requests)."""
    record = jpb.JournalRecord(ts_event=ts_event, owner=owner, risk_reason=risk_reason)
    getattr(record, _FIELD_OF[type(request)]).CopyFrom(request)
    return record.SerializeToString()


def decode(payload: bytes | memoryview) -> Record:
    """The ``Record`` in ``payload`` (raises ``DecodeError`` if it is not one)."""
    record = jpb.JournalRecord.FromString(payload)
    kind = record.WhichOneof("command")
    if kind is None:
        raise ValueError("a journal record without a command")
    return Record(record.ts_event, record.owner, getattr(record, kind), record.risk_reason)
