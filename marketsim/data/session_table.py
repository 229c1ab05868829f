"""The table inside a session file: one row per engine event, typed columns, both ways.

A session file is one Parquet file with one row per engine event, in log order. Its columns
are the union of the event types' fields (``SESSION_SCHEMA``); each row fills the fields of
its ``type`` and leaves the others null, so every event comes back equal to the one saved
(``tif`` and ``post_only`` included, which the ``events`` frame does not carry):

- ``seq`` int64 and ``ts_event`` timestamp[ns, UTC] (both never null), ``type`` string
  (accepted, rejected, trade, cancelled, replaced, delta): every event;
- ``order_id`` int64, ``owner`` string, ``side`` string (buy, sell): accepted, rejected,
  cancelled, replaced;
- ``order_type`` string (limit, market), ``tif`` string (GTC, IOC, FOK), ``post_only`` bool:
  accepted, rejected; ``reason`` string: rejected, cancelled;
- ``price_ticks`` and ``qty_lots`` int64: every type (``price_ticks`` is null for a market
  order: accepted, rejected, and its cancelled remainder);
- ``trade_id``, ``maker_order_id``, ``taker_order_id`` int64, ``aggressor_side`` string,
  ``maker_owner``, ``taker_owner`` string: trade;
- ``old_price_ticks``, ``old_qty_lots`` int64, ``priority_kept`` bool: replaced;
- ``book_side`` string (bid, ask; a delta's ``side``), ``order_count`` int64, ``action``
  string (add, update, delete), ``last`` bool: delta.

A session that uses the exchange mechanics (stops, icebergs, self-trade prevention, phases)
has the columns of ``MECHANICS_SCHEMA`` after those; one that does not is written exactly as
before they existed, and a file without them reads with the fields' defaults.

Integers are stored delta-encoded and text dictionary-encoded, compressed with zstd: about
7 bytes per event for a simulation.
"""

from __future__ import annotations

import gc
from collections.abc import Sequence
from dataclasses import fields
from operator import attrgetter
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from marketsim.core import (
    AuctionUncrossed,
    BookDelta,
    Event,
    IcebergRefilled,
    OrderAccepted,
    OrderCancelled,
    OrderRejected,
    OrderReplaced,
    PhaseChanged,
    StopTriggered,
)
from marketsim.core.events import EVENT_TYPE_NAMES, PHASES, STP_MODES
from marketsim.errors import MarketsimError

_TIMESTAMP = pa.timestamp("ns", tz="UTC")

#: The columns of a session file, in order (see the module docstring).
SESSION_SCHEMA = pa.schema(
    [
        pa.field("seq", pa.int64(), nullable=False),
        pa.field("ts_event", _TIMESTAMP, nullable=False),
        pa.field("type", pa.string(), nullable=False),
        pa.field("order_id", pa.int64()),
        pa.field("owner", pa.string()),
        pa.field("side", pa.string()),
        pa.field("order_type", pa.string()),
        pa.field("price_ticks", pa.int64()),
        pa.field("qty_lots", pa.int64()),
        pa.field("tif", pa.string()),
        pa.field("post_only", pa.bool_()),
        pa.field("reason", pa.string()),
        pa.field("trade_id", pa.int64()),
        pa.field("aggressor_side", pa.string()),
        pa.field("maker_order_id", pa.int64()),
        pa.field("taker_order_id", pa.int64()),
        pa.field("maker_owner", pa.string()),
        pa.field("taker_owner", pa.string()),
        pa.field("old_price_ticks", pa.int64()),
        pa.field("old_qty_lots", pa.int64()),
        pa.field("priority_kept", pa.bool_()),
        pa.field("book_side", pa.string()),
        pa.field("order_count", pa.int64()),
        pa.field("action", pa.string()),
        pa.field("last", pa.bool_()),
    ]
)
#: The columns a session using the exchange mechanics adds after ``SESSION_SCHEMA``.
MECHANICS_SCHEMA = pa.schema(
    [
        pa.field("stop_price_ticks", pa.int64()),
        pa.field("display_qty_lots", pa.int64()),
        pa.field("stp", pa.string()),
        pa.field("old_stop_price_ticks", pa.int64()),
        pa.field("trigger_price_ticks", pa.int64()),
        pa.field("hidden_lots", pa.int64()),
        pa.field("phase", pa.string()),
        pa.field("previous", pa.string()),
    ]
)
_FULL_SCHEMA = pa.schema([*SESSION_SCHEMA, *MECHANICS_SCHEMA])
_MECHANICS_EVENTS = (StopTriggered, IcebergRefilled, PhaseChanged, AuctionUncrossed)

_INTEGER_COLUMNS = [
    f.name for f in _FULL_SCHEMA if pa.types.is_integer(f.type) or pa.types.is_timestamp(f.type)
]
_TEXT_COLUMNS = [f.name for f in _FULL_SCHEMA if f.name not in _INTEGER_COLUMNS]
_STRING_COLUMNS = [f.name for f in _FULL_SCHEMA if pa.types.is_string(f.type)]
_DEFAULTS = {
    (kind, f.name): f.default for kind in EVENT_TYPE_NAMES for f in fields(kind)
}  # dataclasses.MISSING for the fields every file has
_TYPE_OF_NAME: dict[str, type] = {name: kind for kind, name in EVENT_TYPE_NAMES.items()}


def _column_of(kind: type, name: str) -> str:
    """The file column of field ``name`` of event type ``kind`` (a delta's side is
    ``book_side``: it holds bid/ask, where the orders' ``side`` holds buy/sell)."""
    return "book_side" if kind is BookDelta and name == "side" else name


#: Event type -> [(field name, column name), ...] in the constructor's order.
_FIELDS: dict[type, list[tuple[str, str]]] = {
    kind: [(f.name, _column_of(kind, f.name)) for f in fields(kind)] for kind in EVENT_TYPE_NAMES
}
#: Fields that may be None (a market order has no price).
_NULLABLE = {
    (OrderAccepted, "price_ticks"),
    (OrderRejected, "price_ticks"),
    (OrderCancelled, "price_ticks"),
    (OrderAccepted, "stop_price_ticks"),
    (OrderRejected, "stop_price_ticks"),
    (OrderReplaced, "old_price_ticks"),
    (OrderReplaced, "price_ticks"),
    (OrderReplaced, "old_stop_price_ticks"),
    (OrderReplaced, "stop_price_ticks"),
    (StopTriggered, "price_ticks"),
    (AuctionUncrossed, "price_ticks"),
}
#: Allowed values of the enumerated columns.
_VALUES = {
    "side": {"buy", "sell"},
    "aggressor_side": {"buy", "sell"},
    "book_side": {"bid", "ask"},
    "order_type": {"limit", "market"},
    "tif": {"GTC", "IOC", "FOK"},
    "action": {"add", "update", "delete"},
    "stp": {"", *STP_MODES},
    "phase": set(PHASES),
    "previous": set(PHASES),
}


class SessionFileError(MarketsimError, ValueError):
    """A file is not a readable marketsim session file (corrupt, foreign or too new)."""


#: How ``pyarrow.parquet.write_table`` writes a session table: integers (seq and times above
#: all) shrink best as deltas, text as dictionaries, all compressed with zstd.
PARQUET_OPTIONS: dict[str, Any] = {
    "compression": "zstd",
    "use_dictionary": _TEXT_COLUMNS,
    "column_encoding": dict.fromkeys(_INTEGER_COLUMNS, "DELTA_BINARY_PACKED"),
}
#: Columns to read as dictionaries (one shared string object per distinct value).
READ_DICTIONARY = _STRING_COLUMNS


def events_table(events: Sequence[Event]) -> pa.Table:
    """The events as an Arrow table of ``SESSION_SCHEMA``, one row each, in order."""
    events = list(events)
    rows_of: dict[type, list[int]] = {}
    for i, event in enumerate(events):
        rows_of.setdefault(type(event), []).append(i)
    unknown = [kind for kind in rows_of if kind not in _FIELDS]
    if unknown:
        raise TypeError(f"not engine events: {', '.join(k.__name__ for k in unknown)}")
    schema = _FULL_SCHEMA if _uses_mechanics(events, rows_of) else SESSION_SCHEMA
    columns = {f.name: _ColumnBuilder(f.type, len(events)) for f in schema}
    for kind, row_list in rows_of.items():
        rows = np.asarray(row_list, dtype=np.int64)
        objects = [events[i] for i in row_list]
        for name, column in _FIELDS[kind]:
            if column in columns:
                columns[column].fill(rows, list(map(attrgetter(name), objects)))
        columns["type"].fill(rows, [EVENT_TYPE_NAMES[kind]] * len(rows))
    return pa.Table.from_arrays([columns[f.name].build() for f in schema], schema=schema)


def _uses_mechanics(events: list[Event], rows_of: dict[type, list[int]]) -> bool:
    """Does any event need a column of ``MECHANICS_SCHEMA``?"""
    if any(kind in rows_of for kind in _MECHANICS_EVENTS):
        return True
    for kind in (OrderAccepted, OrderRejected):
        for i in rows_of.get(kind, ()):
            e = events[i]
            if e.stop_price_ticks is not None or e.display_qty_lots or e.stp:  # type: ignore[union-attr]
                return True
    return any(
        events[i].stop_price_ticks is not None  # type: ignore[union-attr]
        for i in rows_of.get(OrderReplaced, ())
    )


class _ColumnBuilder:
    """One column of ``events_table``, filled type by type at the rows of that type."""

    def __init__(self, arrow_type: pa.DataType, length: int) -> None:
        self.type = arrow_type
        self.text = pa.types.is_string(arrow_type)
        self.valid = np.zeros(length, dtype=bool)
        dtype = object if self.text else bool if pa.types.is_boolean(arrow_type) else np.int64
        self.values = np.zeros(length, dtype=dtype)

    def fill(self, rows: np.ndarray, values: list[Any]) -> None:
        if None in values:
            present = np.fromiter((v is not None for v in values), bool, len(values))
            rows = rows[present]
            values = [v for v in values if v is not None]
        self.values[rows] = values
        self.valid[rows] = True

    def build(self) -> pa.Array:
        mask = None if self.valid.all() else ~self.valid
        if self.text:
            return pa.array(self.values, pa.string(), mask=mask)
        array = pa.array(self.values, mask=mask)
        return array.cast(self.type) if array.type != self.type else array


def events_from_table(table: pa.Table, name: str = "the table") -> list[Event]:
    """The engine events of a table of ``SESSION_SCHEMA`` (checked), in row order.

    Text columns may be dictionary-encoded (``load_session`` reads them so: every owner or
    side is then one shared string object, not one per event).
    """
    expected = [(f.name, f.type) for f in SESSION_SCHEMA]
    found = [(f.name, _value_type(f.type)) for f in table.schema]
    if found != expected and found != [(f.name, f.type) for f in _FULL_SCHEMA]:
        missing = [n for n, t in expected if (n, t) not in found]
        raise SessionFileError(
            f"{name} does not have the session columns: missing or mistyped {missing}"
        )
    for column in ("seq", "ts_event", "type"):
        if table.column(column).null_count:
            raise SessionFileError(f"{name}: column {column!r} has missing values")
    for column, allowed in _VALUES.items():
        if column not in table.column_names:
            continue
        values = set(pc.unique(table.column(column)).to_pylist()) - {None}
        values = {v for v in values if v not in allowed}
        if values:
            raise SessionFileError(f"{name}: column {column!r} has values {values}")
    types = pc.dictionary_encode(table.column("type")).combine_chunks()
    codes = types.indices.to_numpy()
    events: list[Any] = [None] * table.num_rows
    # Millions of new acyclic objects would make the cyclic collector rescan them over and
    # over (as in ``sim.run``); it pauses meanwhile.
    collecting = gc.isenabled()
    gc.disable()
    try:
        _fill_events(events, table, types.dictionary.to_pylist(), codes, name)
    finally:
        if collecting:
            gc.enable()
    return events


def _fill_events(
    events: list[Any], table: pa.Table, type_names: list[str], codes: np.ndarray, name: str
) -> None:
    for code, type_name in enumerate(type_names):
        kind = _TYPE_OF_NAME.get(type_name)
        if kind is None:
            raise SessionFileError(f"{name}: unknown event type {type_name!r}")
        rows = np.flatnonzero(codes == code)
        part = table.take(rows)
        columns = []
        for field_name, column in _FIELDS[kind]:
            if column not in table.column_names:  # a file without the mechanics columns
                columns.append([_DEFAULTS[kind, field_name]] * len(rows))
                continue
            values = part.column(column)
            if values.null_count and (kind, field_name) not in _NULLABLE:
                raise SessionFileError(
                    f"{name}: {type_name} events lack {column!r} in {values.null_count} rows"
                )
            columns.append(_python_values(values))
        for row, event in zip(rows.tolist(), map(kind, *columns), strict=True):
            events[row] = event


def _value_type(arrow_type: pa.DataType) -> pa.DataType:
    return arrow_type.value_type if pa.types.is_dictionary(arrow_type) else arrow_type


def _python_values(column: pa.ChunkedArray) -> list[Any]:
    """A column as Python values (ints, bools, strs, None), the fast way for each type."""
    array = column.combine_chunks()
    if pa.types.is_dictionary(array.type):
        words = [*array.dictionary.to_pylist(), None]
        codes = array.indices.fill_null(len(words) - 1).to_numpy().tolist()
        return list(map(words.__getitem__, codes))
    if pa.types.is_timestamp(array.type):
        array = array.cast(pa.int64())
    if array.null_count == 0 and (
        pa.types.is_integer(array.type) or pa.types.is_boolean(array.type)
    ):
        return array.to_numpy(zero_copy_only=False).tolist()
    return array.to_pylist()


__all__ = [
    "PARQUET_OPTIONS",
    "READ_DICTIONARY",
    "SESSION_SCHEMA",
    "SessionFileError",
    "events_from_table",
    "events_table",
]
