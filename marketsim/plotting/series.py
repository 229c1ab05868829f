"""Plots over time: the best bid and offer with the spread, and the trades."""

from __future__ import annotations

from typing import Any

import numpy as np
from matplotlib.axes import Axes

from marketsim.frames import bbo_frame, trades_frame
from marketsim.plotting._common import (
    ASK_COLOUR,
    BID_COLOUR,
    MID_COLOUR,
    SIDE_COLOUR,
    SPREAD_COLOUR,
    checked_frame,
    finish,
    grid_tick,
    label_prices,
    new_axes,
    time_values,
)

#: Marker area (points squared) of the smallest and the largest trade.
_MARKER_AREA = (12.0, 160.0)


def plot_bbo(source: Any, *, ax: Axes | None = None, **kwargs) -> Axes:
    """Best bid and ask over time, with the mid and the spread shaded between them.

    ``source`` is a ``bbo`` frame or an ``EventLog`` (see ``marketsim.frames.bbo_frame``).
    The quotes are step lines: each value holds until the next change. Gaps are times when a
    side of the book was empty. ``kwargs`` go to the bid and ask lines. Returns the Axes.
    """
    frame = checked_frame(
        source, ("ts_event", "bid_price", "ask_price", "mid"), bbo_frame, "plot_bbo"
    )
    ax = new_axes(ax, (9, 4.5))
    times = time_values(ax, frame["ts_event"])
    bid, ask = frame["bid_price"].to_numpy(), frame["ask_price"].to_numpy()
    ax.fill_between(
        times, bid, ask, step="post", color=SPREAD_COLOUR, alpha=0.5, linewidth=0, label="spread"
    )
    ax.plot(times, ask, drawstyle="steps-post", color=ASK_COLOUR, label="best ask", **kwargs)
    ax.plot(times, bid, drawstyle="steps-post", color=BID_COLOUR, label="best bid", **kwargs)
    ax.plot(
        times,
        frame["mid"].to_numpy(),
        drawstyle="steps-post",
        color=MID_COLOUR,
        linestyle="--",
        linewidth=0.8,
        label="mid",
    )
    label_prices(ax, "y", grid_tick(np.concatenate([bid, ask])))
    return finish(ax, title="best bid and ask")


def plot_trades(source: Any, *, ax: Axes | None = None, **kwargs) -> Axes:
    """Trades over time: one marker per trade, its area growing with the quantity.

    ``source`` is a ``trades`` frame or an ``EventLog``. Buyer-initiated trades (the
    aggressor bought, lifting the ask) are green upward triangles, seller-initiated ones red
    downward triangles; a thin grey line follows the last price. ``kwargs`` go to
    ``Axes.scatter``. Returns the Axes.
    """
    frame = checked_frame(
        source, ("ts_event", "price", "qty", "aggressor_side"), trades_frame, "plot_trades"
    )
    ax = new_axes(ax, (9, 4.5))
    times = time_values(ax, frame["ts_event"])
    ax.plot(
        times,
        frame["price"].to_numpy(),
        drawstyle="steps-post",
        color=MID_COLOUR,
        linewidth=0.6,
        alpha=0.6,
        label="last price",
    )
    qty = frame["qty"].to_numpy()
    smallest, largest = _MARKER_AREA
    area = smallest + (largest - smallest) * qty / qty.max() if len(qty) else qty
    for side, marker, label in (
        ("buy", "^", "buyer-initiated"),
        ("sell", "v", "seller-initiated"),
    ):
        chosen = (frame["aggressor_side"] == side).to_numpy()
        ax.scatter(
            times[chosen],
            frame["price"].to_numpy()[chosen],
            s=area[chosen],
            marker=marker,
            color=SIDE_COLOUR[side],
            alpha=0.7,
            linewidths=0,
            label=label,
            **kwargs,
        )
    label_prices(ax, "y", grid_tick(frame["price"].to_numpy()))
    return finish(ax, title="trades")
