"""The declared schemas of the frames, and the one place that turns raw columns into them.

Every frame has a fixed column order and fixed dtypes, whatever its input (``SCHEMAS``):

- timestamps are ``datetime64[ns, UTC]``, converted from integer nanoseconds with ``unit="ns"``;
- enumerations (sides, actions, event types) are categoricals with fixed categories, so two
  frames always concatenate and compare cleanly even when a category does not occur;
- prices and money are ``float64`` in the instrument's units (see ``units``); integer
  identifiers are ``int64``, or nullable ``Int64`` only where a value may be missing;
- quantities follow the lot size, never the values that arrive (``Quantity``): ``int64`` when
  every lot is a whole number of units (1 share, 100 shares), so a level shows ``8`` and not
  ``8.0``, and ``float64`` when a lot is fractional (0.001 of a coin); a quantity that may be
  missing (the BBO of an empty side) is nullable ``Int64`` for whole lots, NaN-able ``float64``
  otherwise. ``SCHEMAS`` gives the whole-lot dtypes, ``frame_schema(name, instrument)`` either;
- text (owners, reasons) is pandas' ``str`` dtype, ``NaN`` where missing.

Builders hand ``typed_frame`` whole columns: read straight from event objects of one type,
or transposed from plain tuples a chunk at a time (``frame_from_rows``). Never append rows to a
DataFrame one by one: that runs at thousands of rows per second, typed columns at millions.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from itertools import islice
from types import MappingProxyType
from typing import Any

import numpy as np
import pandas as pd

from marketsim.core.events import EVENT_TYPE_NAMES
from marketsim.core.types import Instrument, quoted

Schema = Mapping[str, Any]  # column -> numpy or pandas dtype (or a ``Quantity``)

TIMESTAMP = pd.DatetimeTZDtype("ns", "UTC")
INT = np.dtype("int64")
NULLABLE_INT = pd.Int64Dtype()
FLOAT = np.dtype("float64")
BOOL = np.dtype("bool")
TEXT = pd.StringDtype(na_value=np.nan)  # pandas 3's default "str" dtype
BOOK_SIDE = pd.CategoricalDtype(["bid", "ask"])
SIDE = pd.CategoricalDtype(["buy", "sell"])
ORDER_TYPE = pd.CategoricalDtype(["limit", "market"])
DELTA_ACTION = pd.CategoricalDtype(["add", "update", "delete"])
EVENT_TYPE = pd.CategoricalDtype(list(EVENT_TYPE_NAMES.values()))


@dataclass(frozen=True)
class Quantity:
    """A quantity column, whose dtype depends on the lot size (see the module docstring)."""

    nullable: bool = False

    def dtype(self, whole_lots: bool) -> Any:
        """``int64`` (``Int64`` if nullable) for whole lots, else ``float64``."""
        if not whole_lots:
            return FLOAT
        return NULLABLE_INT if self.nullable else INT


QTY = Quantity()
MAYBE_QTY = Quantity(nullable=True)

BOOK: Schema = {
    "ts_event": TIMESTAMP,
    "seq": INT,
    "side": BOOK_SIDE,
    "level": INT,
    "price": FLOAT,
    "price_ticks": INT,
    "qty": QTY,
    "order_count": INT,
}
DEPTH: Schema = {
    "side": BOOK_SIDE,
    "price": FLOAT,
    "qty": QTY,
    "cum_qty": QTY,
    "cum_notional": FLOAT,
}
BBO: Schema = {
    "ts_event": TIMESTAMP,
    "seq": INT,
    "bid_price": FLOAT,
    "bid_qty": MAYBE_QTY,
    "ask_price": FLOAT,
    "ask_qty": MAYBE_QTY,
    "mid": FLOAT,
    "spread": FLOAT,
}
TRADES: Schema = {
    "ts_event": TIMESTAMP,
    "seq": INT,
    "trade_id": INT,
    "price": FLOAT,
    "price_ticks": INT,
    "qty": QTY,
    "aggressor_side": SIDE,
    "maker_order_id": INT,
    "taker_order_id": INT,
    "maker_owner": TEXT,
    "taker_owner": TEXT,
}
EVENTS: Schema = {
    "ts_event": TIMESTAMP,
    "seq": INT,
    "type": EVENT_TYPE,
    "order_id": NULLABLE_INT,
    "owner": TEXT,
    "side": SIDE,
    "order_type": ORDER_TYPE,
    "price": FLOAT,
    "qty": MAYBE_QTY,
    "leaves_qty": MAYBE_QTY,
    "reason": TEXT,
    "stop_price": FLOAT,
}
DELTAS: Schema = {
    "ts_event": TIMESTAMP,
    "seq": INT,
    "action": DELTA_ACTION,
    "side": BOOK_SIDE,
    "price": FLOAT,
    "price_ticks": INT,
    "qty": QTY,
    "last": BOOL,
}

ACCOUNTS: Schema = {
    "owner": TEXT,
    "symbol": TEXT,
    "position": QTY,
    "avg_price": FLOAT,
    "cash": FLOAT,
    "realized_pnl": FLOAT,
    "unrealized_pnl": FLOAT,
    "total_pnl": FLOAT,
    "fees": FLOAT,
    "traded_qty": QTY,
    "open_orders": INT,
    "mark": FLOAT,
}
ORDERS: Schema = {
    "symbol": TEXT,
    "order_id": INT,
    "side": SIDE,
    "price": FLOAT,
    "qty": QTY,
    "filled_qty": QTY,
    "queue_position": INT,
    "orders_at_level": INT,
}
LEADERBOARD: Schema = {
    "rank": INT,
    "participant": TEXT,
    "role": TEXT,
    "total_pnl": FLOAT,
    "realized_pnl": FLOAT,
    "unrealized_pnl": FLOAT,
    "fees": FLOAT,
    "position": QTY,
    "traded_qty": QTY,
    "open_orders": INT,
}

#: Frame name -> {column: dtype or Quantity}, in column order.
_DECLARED: dict[str, Schema] = {
    "book": BOOK,
    "depth": DEPTH,
    "bbo": BBO,
    "trades": TRADES,
    "events": EVENTS,
    "deltas": DELTAS,
    "accounts": ACCOUNTS,
    "orders": ORDERS,
    "leaderboard": LEADERBOARD,
}


def has_whole_lots(instruments: Instrument | Iterable[Instrument] | None) -> bool:
    """True when every lot of ``instruments`` is a whole number of units (or none is given)."""
    if instruments is None:
        return True
    if isinstance(instruments, Instrument):
        instruments = (instruments,)
    return all(instrument.whole_lots for instrument in instruments)


@cache
def schema_for_lots(name: str, whole_lots: bool) -> Schema:
    """The columns and dtypes of frame ``name`` when lots are whole, or fractional."""
    return MappingProxyType(
        {
            column: dtype.dtype(whole_lots) if isinstance(dtype, Quantity) else dtype
            for column, dtype in _DECLARED[name].items()
        }
    )


def frame_schema(name: str, instruments: Instrument | Iterable[Instrument] | None = None) -> Schema:
    """The columns and dtypes of frame ``name`` for ``instruments``.

    The quantity columns are integers when every instrument's lot is whole (or when
    ``instruments`` is None), ``float64`` otherwise; all other columns never change.
    """
    if name not in _DECLARED:
        raise KeyError(f"no frame {quoted(name)}; the frames are {sorted(_DECLARED)}")
    return schema_for_lots(name, has_whole_lots(instruments))


#: Frame name -> {column: dtype}, in column order, for whole lots (shares, contracts): the
#: dtypes of every frame of such instruments; ``frame_schema`` covers any lot.
SCHEMAS: dict[str, Schema] = {name: frame_schema(name) for name in _DECLARED}

#: Rows converted per chunk: large enough to amortise pandas' overhead, small enough that the
#: tuple buffer stays a fraction of the events it was read from.
CHUNK_ROWS = 100_000


def _typed_column(values: Iterable[Any], dtype: Any) -> Any:
    """``values`` as an array of ``dtype``.

    ``values`` is any iterable of Python values (None means missing in categorical, ``str``
    and ``Int64`` columns), or an array for the numeric columns computed with numpy.
    """
    if isinstance(dtype, pd.DatetimeTZDtype):
        return pd.to_datetime(np.fromiter(values, np.int64), unit="ns", utc=True)
    if isinstance(dtype, pd.CategoricalDtype):
        # Mapping to codes is ten times faster than letting pandas hash the strings.
        code_of = {category: code for code, category in enumerate(dtype.categories)}
        code_of[None] = -1
        codes = np.fromiter(map(code_of.__getitem__, values), np.int8)
        return pd.Categorical.from_codes(codes, dtype=dtype)
    if isinstance(dtype, pd.api.extensions.ExtensionDtype):
        if isinstance(values, np.ndarray | pd.api.extensions.ExtensionArray):
            return pd.array(values, dtype=dtype)
        return pd.array(list(values), dtype=dtype)
    if isinstance(values, np.ndarray | pd.api.extensions.ExtensionArray):
        return values.astype(dtype, copy=False)
    return np.fromiter(values, dtype)


def typed_frame(schema: Schema, columns: Mapping[str, Iterable[Any]]) -> pd.DataFrame:
    """A frame of ``schema`` from raw columns (one entry per schema column, any order)."""
    return pd.DataFrame(
        {name: _typed_column(columns[name], dtype) for name, dtype in schema.items()}
    )


def empty_frame(schema: Schema) -> pd.DataFrame:
    """A frame with no rows and exactly the columns and dtypes of ``schema``."""
    return typed_frame(schema, dict.fromkeys(schema, ()))


def frame_from_rows(
    schema: Schema,
    rows: Iterable[tuple[Any, ...]],
    to_columns: Callable[..., Mapping[str, Sequence[Any]]],
) -> pd.DataFrame:
    """Convert tuples to a frame of ``schema``, ``CHUNK_ROWS`` at a time.

    ``to_columns`` receives one chunk's fields as positional arguments, each a tuple holding one
    field of every row, and returns the raw columns of ``schema`` (see ``typed_frame``).
    """
    rows = iter(rows)
    chunks = []
    while chunk := list(islice(rows, CHUNK_ROWS)):
        chunks.append(typed_frame(schema, to_columns(*zip(*chunk, strict=True))))
    if not chunks:
        return empty_frame(schema)
    return chunks[0] if len(chunks) == 1 else pd.concat(chunks, ignore_index=True)
