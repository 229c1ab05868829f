"""What every plot shares: input checks, new axes, the colour scheme, time and price axes."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import matplotlib.dates as mdates
import numpy as np
import pandas as pd
from matplotlib.axes import Axes

from marketsim.errors import MarketsimError

#: Bids, buyer-initiated trades and everything on the buy side.
BID_COLOUR = "#1b9e4b"
#: Asks, seller-initiated trades and everything on the sell side.
ASK_COLOUR = "#d7301f"
#: Mid price and other reference lines.
MID_COLOUR = "#6b6b6b"
#: The band between best bid and best ask.
SPREAD_COLOUR = "#9ecae1"

SIDE_COLOUR = {"bid": BID_COLOUR, "ask": ASK_COLOUR, "buy": BID_COLOUR, "sell": ASK_COLOUR}


class PlotInputError(MarketsimError, ValueError):
    """The data given to a plot lacks what it needs (columns, or the shape of its items)."""


def new_axes(ax: Axes | None, figsize: tuple[float, float]) -> Axes:
    """``ax``, or the axes of a new figure of ``figsize`` inches.

    A new figure is made with pyplot, as pandas and seaborn do, so that a notebook shows it
    under the cell; scripts save it with ``ax.figure.savefig`` and may ``plt.close`` it. Pass
    ``ax=`` to draw into a figure of your own (a ``matplotlib.figure.Figure`` made with the
    object API is never seen by pyplot).
    """
    if ax is not None:
        return ax
    import matplotlib.pyplot as plt  # only here: drawing into a given ax needs no pyplot

    _, new_ax = plt.subplots(figsize=figsize, layout="constrained")
    return new_ax


def checked_frame(
    source: Any, required: Sequence[str], build: Callable[[Any], pd.DataFrame], caller: str
) -> pd.DataFrame:
    """``source`` if it is a frame with the ``required`` columns, else ``build(source)``.

    Raises ``PlotInputError`` naming the missing columns.
    """
    frame = source if isinstance(source, pd.DataFrame) else build(source)
    missing = [column for column in required if column not in frame.columns]
    if missing:
        raise PlotInputError(
            f"{caller} needs a frame with columns {list(required)}; missing {missing} "
            f"(the frame has {list(frame.columns)})"
        )
    return frame


def price_step(prices: Sequence[float] | np.ndarray) -> float:
    """The smallest gap between distinct prices (the tick, when levels are adjacent).

    Used to size bars and steps; 1% of the price when there is only one price.
    """
    distinct = np.unique(np.asarray(prices, dtype=np.float64))
    if len(distinct) > 1:
        return float(np.diff(distinct).min())
    return abs(float(distinct[0])) / 100 if len(distinct) and distinct[0] else 1.0


def event_times(timestamps: pd.Series) -> np.ndarray:
    """UTC timestamps as naive ``datetime64[ns]``, which matplotlib plots without help."""
    return timestamps.dt.tz_convert(None).to_numpy()


def format_time_axis(ax: Axes) -> None:
    """Label the x axis as UTC time: clock times on the ticks, the date once at the end."""
    locator = mdates.AutoDateLocator()
    formatter = mdates.ConciseDateFormatter(
        locator,
        # Per tick level (year, month, day, hour, minute, second): whole clock times rather
        # than the default bare seconds ("30.5"), which read like prices on a market chart.
        formats=["%Y", "%b", "%d", "%H:%M", "%H:%M", "%H:%M:%S.%f"],
        zero_formats=["", "%Y", "%b", "%b-%d", "%H:%M", "%H:%M:%S"],
    )
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(formatter)
    ax.set_xlabel("time (UTC)")


def label_prices(ax: Axes, axis: str) -> None:
    """Name the price axis ("x" or "y") and show whole prices on it (never "+1e2")."""
    ax.ticklabel_format(axis=axis, useOffset=False)
    (ax.set_xlabel if axis == "x" else ax.set_ylabel)("price")


def finish(ax: Axes, *, legend: bool = True) -> Axes:
    """Light grid and, when something is labelled, a legend; return ``ax``."""
    ax.grid(True, alpha=0.3, linewidth=0.6)
    if legend and ax.get_legend_handles_labels()[0]:
        ax.legend(loc="best", frameon=False)
    return ax
