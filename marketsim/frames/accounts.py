"""Frames of participants' accounts, open orders and the leaderboard."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence

import pandas as pd

from marketsim.core.events import Event
from marketsim.core.ledger import Account, Ledger
from marketsim.core.types import Instrument
from marketsim.frames.schema import ACCOUNTS, LEADERBOARD, ORDERS, typed_frame


def accounts_frame(accounts: Iterable[Account]) -> pd.DataFrame:
    """One row per account (owner x instrument), in the order given.

    Columns (schema ``accounts``): owner, symbol (str); position, avg_price, cash,
    realized_pnl, unrealized_pnl, total_pnl, fees, traded_qty, mark (float64, in the
    instrument's units; avg_price is NaN while flat, mark NaN before any quote or trade);
    open_orders (int64). total_pnl = realized_pnl + unrealized_pnl - fees.
    """
    accounts = list(accounts)
    return typed_frame(ACCOUNTS, {name: [getattr(a, name) for a in accounts] for name in ACCOUNTS})


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
        )
    )


def orders_frame(rows: Sequence[Mapping[str, object]]) -> pd.DataFrame:
    """One row per open order, from mappings with the columns of schema ``orders``.

    Columns: symbol (str), order_id (int64), side (buy/sell), price, qty (open), filled_qty
    (float64, the instrument's units), queue_position (1 = first at its price) and
    orders_at_level (int64).
    """
    return typed_frame(ORDERS, {name: [row[name] for row in rows] for name in ORDERS})


def leaderboard_frame(
    entries: Iterable[tuple[str, str, Sequence[Account]]],
) -> pd.DataFrame:
    """One row per participant, best ``total_pnl`` first, from ``(name, role, accounts)``.

    Columns (schema ``leaderboard``): rank (int64, 1 = best; ties share the better rank),
    participant, role (str), total_pnl, realized_pnl, unrealized_pnl, fees (float64, money,
    summed over the accounts given), position, traded_qty (float64, summed over them: give one
    instrument's accounts for positions to be comparable) and open_orders (int64). A
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
    columns = {name: [row.get(name) for row in rows] for name in LEADERBOARD if name != "rank"}
    return typed_frame(LEADERBOARD, {"rank": ranks, **columns})


def _best_first(row: Mapping[str, object]) -> tuple[bool, float, str]:
    total = row["total_pnl"]
    unmarked = math.isnan(total)  # type: ignore[arg-type]
    return unmarked, 0.0 if unmarked else -total, row["participant"]  # type: ignore[operator,return-value]
