"""Frames of participants' accounts, open orders and the leaderboard."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence

import pandas as pd

from marketsim.core.events import Event
from marketsim.core.ledger import Account, Ledger
from marketsim.core.types import Instrument
from marketsim.errors import InvalidCommandError
from marketsim.frames.schema import INT, Schema, frame_schema, typed_frame

#: The instruments a frame of several may cover: their lots decide its quantity dtype.
Instruments = Instrument | Iterable[Instrument] | None


def _typed_rows(schema: Schema, columns: dict[str, list]) -> pd.DataFrame:
    """``typed_frame``, refusing a fractional value in an integer quantity column (which
    ``int64`` would silently truncate): such values need the instruments with their lots."""
    for name, dtype in schema.items():
        if dtype == INT and any(value != int(value) for value in columns[name]):
            raise InvalidCommandError(
                f"{name} has a fractional value: pass instruments= with their lot sizes"
            )
    return typed_frame(schema, columns)


def accounts_frame(accounts: Iterable[Account], instruments: Instruments = None) -> pd.DataFrame:
    """One row per account (owner x instrument), in the order given.

    Columns (schema ``accounts``): owner, symbol (str); avg_price, cash, realized_pnl,
    unrealized_pnl, total_pnl, fees, mark (float64, in the instrument's units; avg_price is
    NaN while flat, mark NaN before any quote or trade); position, traded_qty (int64 when
    every lot of ``instruments`` is whole, as when none is given; else float64); open_orders
    (int64). total_pnl = realized_pnl + unrealized_pnl - fees.
    """
    accounts = list(accounts)
    schema = frame_schema("accounts", instruments)
    return _typed_rows(schema, {name: [getattr(a, name) for a in accounts] for name in schema})


def ledger_frame(
    events: Iterable[Event],
    instrument: Instrument,
    *,
    best_bid_ticks: int | None = None,
    best_ask_ticks: int | None = None,
) -> pd.DataFrame:
    """Every owner's account after ``events`` of ``instrument`` (schema ``accounts``): the
    core ledger replayed over a log, marked at the mid of the given best prices, else at the
    last trade. Owners are whatever the events name (a non-admin's recording names none)."""
    ledger = Ledger.from_events(events, instrument)
    return accounts_frame(
        ledger.accounts(
            instrument.symbol, best_bid_ticks=best_bid_ticks, best_ask_ticks=best_ask_ticks
        ),
        instrument,
    )


def orders_frame(
    rows: Sequence[Mapping[str, object]], instruments: Instruments = None
) -> pd.DataFrame:
    """One row per open order, from mappings with the columns of schema ``orders``.

    Columns: symbol (str), order_id (int64), side (buy/sell), price (float64), qty (open)
    and filled_qty (the instrument's units: int64 when every lot of ``instruments`` is
    whole, as when none is given, else float64), queue_position (1 = first at its price) and
    orders_at_level (int64).
    """
    schema = frame_schema("orders", instruments)
    return _typed_rows(schema, {name: [row[name] for row in rows] for name in schema})


def leaderboard_frame(
    entries: Iterable[tuple[str, str, Sequence[Account]]], instruments: Instruments = None
) -> pd.DataFrame:
    """One row per participant, best ``total_pnl`` first, from ``(name, role, accounts)``.

    Columns (schema ``leaderboard``): rank (int64, 1 = best; ties share the better rank),
    participant, role (str), total_pnl, realized_pnl, unrealized_pnl, fees (float64, money,
    summed over the accounts given), position, traded_qty (summed over them: give one
    instrument's accounts for positions to be comparable; int64 when every lot of
    ``instruments`` is whole, as when none is given, else float64) and open_orders (int64). A
    participant whose P&L cannot be marked (NaN) ranks last.
    """
    rows = []
    for name, role, accounts in entries:
        sums = {
            column: sum(getattr(a, column) for a in accounts)
            for column in ("total_pnl", "realized_pnl", "unrealized_pnl", "fees")
        }
        rows.append(
            {
                "participant": name,
                "role": role,
                **sums,
                "position": sum(a.position for a in accounts),
                "traded_qty": sum(a.traded_qty for a in accounts),
                "open_orders": sum(a.open_orders for a in accounts),
            }
        )
    rows.sort(key=_best_first)
    ranks, previous = [], None
    for position, row in enumerate(rows, 1):
        tied = previous is not None and row["total_pnl"] == previous["total_pnl"]
        ranks.append(ranks[-1] if tied else position)
        previous = row
    schema = frame_schema("leaderboard", instruments)
    columns = {name: [row.get(name) for row in rows] for name in schema if name != "rank"}
    return _typed_rows(schema, {"rank": ranks, **columns})


def _best_first(row: Mapping[str, object]) -> tuple[bool, float, str]:
    total = row["total_pnl"]
    unmarked = math.isnan(total)  # type: ignore[arg-type]
    return unmarked, 0.0 if unmarked else -total, row["participant"]  # type: ignore[operator,return-value]
