"""Plots of a trading case's post-mortem (see ``marketsim.cases.postmortem``)."""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.axes import Axes

from marketsim.plotting._common import finish, label_prices, new_axes


def _check(frame: pd.DataFrame, columns: tuple[str, ...], caller: str) -> None:
    from marketsim.plotting._common import PlotInputError

    missing = [column for column in columns if column not in frame.columns]
    if missing:
        raise PlotInputError(f"{caller} needs columns {list(columns)}; missing {missing}")


def plot_case_pnl(pnl: pd.DataFrame, *, ax: Axes | None = None) -> Axes:
    """Each participant's P&L (summed over instruments) against seconds into the heat."""
    _check(pnl, ("seconds", "participant", "pnl"), "plot_case_pnl")
    ax = new_axes(ax, (9, 4.5))
    totals = pnl.groupby(["participant", "seconds"], observed=True)["pnl"].sum()
    for name, series in totals.groupby(level="participant"):
        ax.plot(series.index.get_level_values("seconds"), series.to_numpy(), label=str(name))
    ax.axhline(0.0, color="grey", linewidth=0.6)
    ax.set_xlabel("seconds into the heat")
    ax.set_ylabel("P&L (marked at the value)")
    return finish(ax, legend=pnl["participant"].nunique() <= 12)


def plot_trades_vs_value(
    trades: pd.DataFrame, value: pd.DataFrame, *, ax: Axes | None = None
) -> Axes:
    """Trade prices (dots sized by quantity) over the fundamental value (a step line)."""
    _check(trades, ("seconds", "price", "qty"), "plot_trades_vs_value")
    _check(value, ("seconds", "value"), "plot_trades_vs_value")
    ax = new_axes(ax, (9, 4.5))
    ax.plot(
        value["seconds"],
        value["value"],
        drawstyle="steps-post",
        color="black",
        linewidth=1.2,
        label="fundamental value",
    )
    if len(trades):
        qty = trades["qty"].to_numpy(dtype=float)
        ax.scatter(
            trades["seconds"],
            trades["price"],
            s=6 + 60 * qty / qty.max(),
            alpha=0.5,
            label="trades",
        )
    ax.set_xlabel("seconds into the heat")
    label_prices(ax, "y")
    return finish(ax)


def plot_counterparties(counterparties: pd.DataFrame, *, ax: Axes | None = None) -> Axes:
    """Quantity each buyer (row) bought from each seller (column), as a heat map."""
    ax = new_axes(ax, (7, 6))
    values = counterparties.to_numpy(dtype=float)
    image = ax.imshow(values if values.size else np.zeros((1, 1)), cmap="Blues", aspect="auto")
    ax.set_xticks(range(len(counterparties.columns)), counterparties.columns, rotation=90)
    ax.set_yticks(range(len(counterparties.index)), counterparties.index)
    ax.set_xlabel("seller")
    ax.set_ylabel("buyer")
    ax.figure.colorbar(image, ax=ax, label="quantity")
    return finish(ax, legend=False)
