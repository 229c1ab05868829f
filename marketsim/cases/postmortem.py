"""After a heat: each participant's P&L over time, trades against the value, who traded with whom.

``post_mortem(heat)`` replays the heat's trades (``Heat.trades``, stamped on the heat's own
clock, in process and on a server alike) and accepted tenders through a fresh ledger and
marks every participant at the fundamental value once a second, so the P&L curves end at the
settled P&L (the positions close at the value, or at the closing price). The frames are for the
moderator: ``counterparties`` names who traded with whom.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from marketsim.cases.clock import NS_PER_SECOND
from marketsim.cases.events import TenderResolved
from marketsim.cases.heat import Heat
from marketsim.core.ledger import Ledger


@dataclass(frozen=True)
class PostMortem:
    """The frames of one heat, and plots of them (each returns its matplotlib Axes).

    - ``pnl``: seconds, participant, symbol, position, pnl (marked at the value);
    - ``trades``: seconds, symbol, price, qty, buyer, seller, value (at that moment);
    - ``value``: seconds, symbol, value;
    - ``counterparties``: quantity bought (rows: buyers) from each seller (columns).

    Quantities (position, qty, counterparties) are int64 when every instrument's lot is
    whole, float64 otherwise, as in ``marketsim.frames``.
    """

    heat: int
    pnl: pd.DataFrame
    trades: pd.DataFrame
    value: pd.DataFrame
    counterparties: pd.DataFrame

    def plot_pnl(self, ax=None):
        """Each participant's P&L over the heat."""
        from marketsim.plotting.cases import plot_case_pnl

        return plot_case_pnl(self.pnl, ax=ax)

    def plot_trades(self, ax=None):
        """Trades against the fundamental value."""
        from marketsim.plotting.cases import plot_trades_vs_value

        return plot_trades_vs_value(self.trades, self.value, ax=ax)

    def plot_counterparties(self, ax=None):
        """Who bought from whom, as a heat map."""
        from marketsim.plotting.cases import plot_counterparties

        return plot_counterparties(self.counterparties, ax=ax)


def post_mortem(heat: Heat, *, every_seconds: float = 1.0) -> PostMortem:
    """The post-mortem of ``heat``, sampled every ``every_seconds`` of the heat's clock."""
    to_seconds = 1 / NS_PER_SECOND
    instruments = [heat.exchange[symbol].instrument for symbol in heat.symbols]
    ledger = Ledger(instruments, {s: heat.ledger.fees(s) for s in heat.symbols})
    accepted = [
        (e.ts_ns, heat.tender(e.tender_id))
        for e in heat.log
        if type(e) is TenderResolved and e.outcome == "accepted"
    ]
    happenings = []  # (ts, order, symbol, what)
    trade_rows = []
    at = dict.fromkeys(heat.symbols, 0)  # per symbol, where in its value path we are
    for ts, symbol, trade in heat.trades:
        instrument = heat.exchange[symbol].instrument
        path = heat.value_path[symbol]
        while at[symbol] + 1 < len(path) and path[at[symbol] + 1][0] <= ts:
            at[symbol] += 1
        buying = trade.aggressor_side == "buy"
        trade_rows.append(
            (
                ts * to_seconds,
                symbol,
                instrument.ticks_to_price(trade.price_ticks),
                instrument.lots_to_qty(trade.qty_lots),
                trade.taker_owner if buying else trade.maker_owner,
                trade.maker_owner if buying else trade.taker_owner,
                instrument.ticks_to_price(path[at[symbol]][1]),
            )
        )
        happenings.append((ts, 0, symbol, trade))
    for ts, tender in accepted:
        happenings.append((ts, 1, tender.symbol, tender))
    happenings.sort(key=lambda item: (item[0], item[1]))
    step = round(every_seconds * NS_PER_SECOND)
    samples = list(range(0, heat.end_ns + 1, step))
    if samples[-1] != heat.end_ns:
        samples.append(heat.end_ns)
    pnl_rows = []
    index = 0
    value_at = dict.fromkeys(heat.symbols, 0)
    for sample in samples:
        while index < len(happenings) and happenings[index][0] <= sample:
            _, kind, symbol, what = happenings[index]
            if kind == 0:
                ledger.apply(symbol, [what])
            else:
                instrument = heat.exchange[symbol].instrument
                ledger.book_off_exchange(
                    what.owner,
                    symbol,
                    what.side,
                    instrument.price_to_ticks(what.price),
                    instrument.qty_to_lots(what.qty),
                )
            index += 1
        for symbol in heat.symbols:
            path = heat.value_path[symbol]
            while value_at[symbol] + 1 < len(path) and path[value_at[symbol] + 1][0] <= sample:
                value_at[symbol] += 1
            mark = path[value_at[symbol]][1]
            if sample == heat.end_ns:
                mark = heat.settlement_ticks.get(symbol, mark)
            for name in sorted(heat.participants):
                account = ledger.account(name, symbol, mark_ticks=mark)
                pnl_rows.append(
                    (sample * to_seconds, name, symbol, account.position, account.total_pnl)
                )
    # Quantities are integers when every lot is whole, as in marketsim.frames.
    quantity = "int64" if all(i.whole_lots for i in instruments) else "float64"
    trades = pd.DataFrame(
        trade_rows, columns=["seconds", "symbol", "price", "qty", "buyer", "seller", "value"]
    ).astype({"qty": quantity})
    counterparties = (
        pd.crosstab(trades["buyer"], trades["seller"], values=trades["qty"], aggfunc="sum")
        .fillna(0)
        .astype(quantity)
    )
    value = pd.DataFrame(
        [
            (ts * to_seconds, symbol, heat.exchange[symbol].instrument.ticks_to_price(ticks))
            for symbol, path in heat.value_path.items()
            for ts, ticks in path
        ],
        columns=["seconds", "symbol", "value"],
    )
    pnl = pd.DataFrame(
        pnl_rows, columns=["seconds", "participant", "symbol", "position", "pnl"]
    ).astype({"position": quantity})
    return PostMortem(heat.number, pnl, trades, value, counterparties)


__all__ = ["PostMortem", "post_mortem"]
