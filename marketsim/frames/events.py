"""Frames of an event log: every event (``events``), executions (``trades``), level changes
(``deltas``).

Each builder takes a sequence of engine events (a book's ``EventLog``, the events of
``EventBatch`` messages, ...) and the ``Instrument`` they belong to, which an ``EventLog``
carries itself. Trades and deltas are read column by column straight from the event objects,
which are already a row buffer; the mixed rows of ``events_frame`` go through plain tuples,
converted a chunk at a time.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from functools import partial
from operator import attrgetter
from typing import Any

import numpy as np
import pandas as pd

from marketsim._gc import gc_paused
from marketsim.core.events import (
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
    Trade,
)
from marketsim.core.types import Instrument
from marketsim.errors import InvalidCommandError
from marketsim.frames.schema import frame_from_rows, frame_schema, typed_frame
from marketsim.frames.units import Units

#: The order side of the orders resting on each side of the book.
_ORDER_SIDE = {"bid": "buy", "ask": "sell"}


def _attribute(objects: list[Any], name: str) -> Iterator[Any]:
    """The values of attribute ``name`` of ``objects``, read in C by ``attrgetter``."""
    return map(attrgetter(name), objects)


def instrument_of(events: Iterable[Event], instrument: Instrument | None) -> Instrument:
    """``instrument``, or the one an ``EventLog`` carries; refuse a bare list without one."""
    if instrument is not None:
        return instrument
    carried = getattr(events, "instrument", None)
    if not isinstance(carried, Instrument):
        raise InvalidCommandError(
            "pass instrument= to build a frame from events that are not a book's EventLog"
        )
    return carried


@gc_paused()
def trades_frame(events: Iterable[Event], instrument: Instrument | None = None) -> pd.DataFrame:
    """One row per execution (``Trade`` event), in event order. Columns:

    - ``ts_event`` (datetime64[ns, UTC]) and ``seq`` (int64)
    - ``trade_id`` (int64)
    - ``price`` (float64) and ``price_ticks`` (int64): always the resting (maker) order's price
    - ``qty`` (int64 for a whole lot, float64 for a fractional one)
    - ``aggressor_side`` (category: buy, sell): the side of the incoming order that traded
    - ``maker_order_id``, ``taker_order_id`` (int64)
    - ``maker_owner``, ``taker_owner`` (str)
    """
    instrument = instrument_of(events, instrument)
    units = Units.of(instrument)
    attribute = partial(_attribute, [event for event in events if type(event) is Trade])
    price_ticks = np.fromiter(attribute("price_ticks"), np.int64)
    return typed_frame(
        frame_schema("trades", instrument),
        {
            "ts_event": attribute("ts_event"),
            "seq": attribute("seq"),
            "trade_id": attribute("trade_id"),
            "price": units.price(price_ticks),
            "price_ticks": price_ticks,
            "qty": units.qty.quantities(np.fromiter(attribute("qty_lots"), np.int64)),
            "aggressor_side": attribute("aggressor_side"),
            "maker_order_id": attribute("maker_order_id"),
            "taker_order_id": attribute("taker_order_id"),
            "maker_owner": attribute("maker_owner"),
            "taker_owner": attribute("taker_owner"),
        },
    )


@gc_paused()
def deltas_frame(events: Iterable[Event], instrument: Instrument | None = None) -> pd.DataFrame:
    """One row per price-level change (``BookDelta`` event), in event order. Columns:

    - ``ts_event`` (datetime64[ns, UTC]) and ``seq`` (int64)
    - ``action`` (category: add, update, delete): a new level, a changed one, an emptied one
    - ``side`` (category: bid, ask)
    - ``price`` (float64) and ``price_ticks`` (int64)
    - ``qty`` (int64 for a whole lot, float64 for a fractional one): the level's new total
      quantity (0 after a delete)
    - ``last`` (bool): True on the last delta of a command's batch; a book with every delta
      applied up to such a row is consistent
    """
    instrument = instrument_of(events, instrument)
    units = Units.of(instrument)
    attribute = partial(_attribute, [event for event in events if type(event) is BookDelta])
    price_ticks = np.fromiter(attribute("price_ticks"), np.int64)
    return typed_frame(
        frame_schema("deltas", instrument),
        {
            "ts_event": attribute("ts_event"),
            "seq": attribute("seq"),
            "action": attribute("action"),
            "side": attribute("side"),
            "price": units.price(price_ticks),
            "price_ticks": price_ticks,
            "qty": units.qty.quantities(np.fromiter(attribute("qty_lots"), np.int64)),
            "last": attribute("last"),
        },
    )


@gc_paused()
def events_frame(events: Iterable[Event], instrument: Instrument | None = None) -> pd.DataFrame:
    """One row per engine event of any type, in event order: the whole log in one table.

    Columns (missing values are ``<NA>`` or ``NaN`` where the event type has no such field):

    - ``ts_event`` (datetime64[ns, UTC]) and ``seq`` (int64)
    - ``type`` (category: accepted, rejected, trade, cancelled, replaced, delta,
      stop_triggered, iceberg_refilled, phase, uncrossed)
    - ``order_id`` (Int64): the order the event is about; for a trade, the incoming (taker)
      order, whose batch it belongs to; missing for deltas
    - ``owner`` (str): the order's owner (a trade's taker owner); missing for deltas
    - ``side`` (category: buy, sell): the order's side (a trade's aggressor side); for a delta
      the side of the orders at the level (bid = buy, ask = sell)
    - ``order_type`` (category: limit, market): on accepted and rejected orders only
    - ``price`` (float64): the order's limit price (NaN for market orders), the trade price,
      the replaced order's new price, or the level's price
    - ``qty`` (Int64 for a whole lot, float64 for a fractional one): the order's quantity,
      the traded, cancelled or new quantity, or the level's new total
    - ``leaves_qty`` (same dtype as ``qty``): the order's open quantity after the event: the
      full quantity when accepted, less each trade, 0 once rejected or cancelled; missing for
      deltas and for a trade whose order was accepted before the log began
    - ``reason`` (str): why an order was rejected or cancelled (a stable code such as
      "no_liquidity" or "user"); for a phase change, the new phase
    - ``stop_price`` (float64): a stop order's stop price (accepted, rejected, replaced and
      triggered stops)

    A triggered stop's row carries its limit price and quantity, and its trades follow; an
    iceberg's refill row has the new slice as ``qty``; an uncross row has the auction price
    and the matched quantity.
    """
    instrument = instrument_of(events, instrument)
    units = Units.of(instrument)

    def to_columns(
        ts, seq, kind, order_id, owner, side, order_type, ticks, lots, leaves, reason, stop_ticks
    ):
        return {
            "ts_event": ts,
            "seq": seq,
            "type": kind,
            "order_id": order_id,
            "owner": owner,
            "side": side,
            "order_type": order_type,
            "price": units.price(ticks),
            "qty": units.qty.quantities(lots),
            "leaves_qty": units.qty.quantities(leaves),
            "reason": reason,
            "stop_price": units.price(stop_ticks),
        }

    return frame_from_rows(frame_schema("events", instrument), _event_rows(events), to_columns)


def _event_rows(events: Iterable[Event]) -> Iterator[tuple[Any, ...]]:
    """The rows of ``events_frame``, with each order's open quantity replayed.

    A command's batch starts with the event that records it (accepted, rejected, cancelled,
    replaced) and its trades follow, all with that order as taker. So the open quantity after
    each trade needs only the batch's own order and what it has left.
    """
    order_id, open_lots = None, 0
    for e in events:
        kind = type(e)
        if kind is BookDelta:
            side = _ORDER_SIDE[e.side]
            yield (e.ts_event, e.seq, "delta", None, None, side, None, e.price_ticks,
                   e.qty_lots, None, None, None)  # fmt: skip
        elif kind is Trade:
            leaves = None
            if e.taker_order_id == order_id:
                open_lots -= e.qty_lots
                leaves = open_lots
            yield (e.ts_event, e.seq, "trade", e.taker_order_id, e.taker_owner,
                   e.aggressor_side, None, e.price_ticks, e.qty_lots, leaves, None,
                   None)  # fmt: skip
        elif kind is OrderAccepted:
            order_id, open_lots = e.order_id, e.qty_lots
            yield (e.ts_event, e.seq, "accepted", e.order_id, e.owner, e.side, e.order_type,
                   e.price_ticks, e.qty_lots, e.qty_lots, None, e.stop_price_ticks)  # fmt: skip
        elif kind is OrderCancelled:
            yield (e.ts_event, e.seq, "cancelled", e.order_id, e.owner, e.side, None,
                   e.price_ticks, e.qty_lots, 0, e.reason, None)  # fmt: skip
        elif kind is OrderReplaced:
            order_id, open_lots = e.order_id, e.qty_lots
            yield (e.ts_event, e.seq, "replaced", e.order_id, e.owner, e.side, None,
                   e.price_ticks, e.qty_lots, e.qty_lots, None, e.stop_price_ticks)  # fmt: skip
        elif kind is OrderRejected:
            yield (e.ts_event, e.seq, "rejected", e.order_id, e.owner, e.side, e.order_type,
                   e.price_ticks, e.qty_lots, 0, e.reason, e.stop_price_ticks)  # fmt: skip
        elif kind is StopTriggered:
            order_id, open_lots = e.order_id, e.qty_lots
            yield (e.ts_event, e.seq, "stop_triggered", e.order_id, e.owner, e.side, None,
                   e.price_ticks, e.qty_lots, e.qty_lots, None, e.stop_price_ticks)  # fmt: skip
        elif kind is IcebergRefilled:
            yield (e.ts_event, e.seq, "iceberg_refilled", e.order_id, e.owner, e.side, None,
                   e.price_ticks, e.qty_lots, None, None, None)  # fmt: skip
        elif kind is PhaseChanged:
            yield (e.ts_event, e.seq, "phase", None, None, None, None, None, None, None,
                   e.phase, None)  # fmt: skip
        elif kind is AuctionUncrossed:
            yield (e.ts_event, e.seq, "uncrossed", None, None, None, None, e.price_ticks,
                   e.qty_lots, None, None, None)  # fmt: skip
        else:
            raise TypeError(f"not an engine event: {e!r}")
