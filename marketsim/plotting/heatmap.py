"""Liquidity by price and time: where orders rested, replayed from the level changes."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.colors import Normalize

from marketsim.frames import deltas_frame
from marketsim.plotting._common import (
    SIDE_COLOUR,
    checked_frame,
    finish,
    label_prices,
    new_axes,
    time_values,
)

_COLOUR_MAP = {"bid": "Greens", "ask": "Reds"}


def _resting_qty(
    deltas: pd.DataFrame, side: str, bins: np.ndarray, prices: np.ndarray, time_bins: int
) -> np.ndarray:
    """Quantity resting at each price (rows) at the end of each time bin (columns).

    Each delta sets a level's new total; the last one in a bin is the level's state at the
    bin's end, and it holds in the following bins until the level changes again.
    """
    on_side = (deltas["side"] == side).to_numpy()
    changes = (
        deltas.loc[on_side, ["price_ticks", "qty"]]
        .assign(bin=bins[on_side])
        .drop_duplicates(["price_ticks", "bin"], keep="last")
    )
    grid = changes.pivot(index="price_ticks", columns="bin", values="qty")
    grid = grid.reindex(index=prices, columns=range(time_bins)).ffill(axis=1).fillna(0.0)
    return grid.to_numpy()


def _best_prices(qty: np.ndarray, prices: np.ndarray, side: str) -> np.ndarray:
    """Per time bin, the best price with resting quantity (NaN when the side is empty)."""
    resting = qty > 0
    # argmax finds the first True: count from the top of the price axis for bids.
    rows = (
        len(prices) - 1 - np.argmax(resting[::-1], axis=0)
        if side == "bid"
        else np.argmax(resting, axis=0)
    )
    return np.where(resting.any(axis=0), prices[rows], np.nan)


def plot_book_heatmap(
    source: Any, *, ax: Axes | None = None, time_bins: int = 200, colorbar: bool = True, **kwargs
) -> Axes:
    """Liquidity over time: each cell is the quantity resting at a price at the end of a bin.

    ``source`` is a ``deltas`` frame in event order or an ``EventLog`` (see
    ``marketsim.frames.deltas_frame``), replayed from an empty book. Time is cut into
    ``time_bins`` equal bins; bids are shaded green and asks red, darker for more quantity
    (one colour scale for both, saturating at the 99th percentile), with the best bid and ask
    drawn on top. With ``colorbar`` (the default) a colour bar for each side sits under the
    plot. ``kwargs`` go to ``Axes.pcolormesh``. Returns the Axes.
    """
    frame = checked_frame(
        source,
        ("ts_event", "side", "price", "price_ticks", "qty"),
        deltas_frame,
        "plot_book_heatmap",
    )
    ax = new_axes(ax, (9, 5.5))
    if frame.empty:
        time_values(ax, frame["ts_event"])
        label_prices(ax, "y")
        return finish(ax, title="liquidity over time")
    ns = frame["ts_event"].astype("int64").to_numpy()
    edges = np.linspace(ns[0], max(ns[-1], ns[0] + 1), time_bins + 1).astype(np.int64)
    bins = np.clip(np.searchsorted(edges, ns, side="right") - 1, 0, time_bins - 1)
    prices = np.arange(frame["price_ticks"].min(), frame["price_ticks"].max() + 1)
    tick = frame["price"].iloc[0] / frame["price_ticks"].iloc[0]  # the price of one tick
    x = time_values(ax, pd.Series(pd.to_datetime(edges, utc=True)))
    y = (np.append(prices, prices[-1] + 1) - 0.5) * tick  # cell edges half a tick off each price
    grids = {side: _resting_qty(frame, side, bins, prices, time_bins) for side in ("bid", "ask")}
    positive = np.concatenate([grid[grid > 0] for grid in grids.values()])
    norm = Normalize(0, np.percentile(positive, 99) if len(positive) else 1.0)
    for side, grid in grids.items():
        mesh = ax.pcolormesh(
            x, y, np.ma.masked_less_equal(grid, 0), cmap=_COLOUR_MAP[side], norm=norm, **kwargs
        )
        if colorbar:
            bar = ax.figure.colorbar(
                mesh, ax=ax, location="bottom", shrink=0.45, aspect=30, pad=0.02,
                anchor=(0.0 if side == "bid" else 1.0, 1.0),
            )  # fmt: skip
            bar.set_label(f"{side} quantity resting", fontsize="small")
        best = _best_prices(grid, prices, side) * tick
        ax.plot(
            x,
            np.append(best, best[-1]),  # the last bin's value holds to the right edge
            drawstyle="steps-post",
            color=SIDE_COLOUR[side],
            linewidth=1,
            label=f"best {side}",
        )
    label_prices(ax, "y", round(float(tick), 10))
    return finish(ax, title="liquidity over time")
