"""What every plot shares: input checks, new axes, the colour scheme, time and price axes,
legends and titles."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import matplotlib.dates as mdates
import numpy as np
import pandas as pd
from matplotlib import ticker
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


#: Timestamps before this are a simulation's clock (it starts at 0), not wall-clock time.
SIMULATION_CLOCK_END = pd.Timestamp("2000-01-01", tz="UTC").value


def time_values(ax: Axes, timestamps: pd.Series) -> np.ndarray:
    """x values for ``timestamps`` (UTC), with the time axis of ``ax`` labelled to match.

    Wall-clock times are plotted as UTC clock times. A simulation's clock starts at 0, which
    as a date is 1970-01-01, so its times are plotted as seconds from that start instead (the
    same origin for every plot, so plots drawn into one axes line up).
    """
    ns = timestamps.astype("int64").to_numpy() if len(timestamps) else np.array([], "int64")
    if len(ns) and ns.max() < SIMULATION_CLOCK_END:
        ax.set_xlabel("simulated time (seconds from the start)")
        return ns / 1e9
    format_time_axis(ax)
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


class TickGridLocator(ticker.MaxNLocator):
    """Major ticks only at whole multiples of the tick size: valid prices, never half ticks."""

    def __init__(self, tick: float) -> None:
        super().__init__(nbins="auto", steps=[1, 2, 2.5, 5, 10], integer=True)
        self.tick = tick

    def tick_values(self, vmin: float, vmax: float) -> np.ndarray:
        """Nice whole numbers of ticks between ``vmin`` and ``vmax``, as prices."""
        ticks = super().tick_values(vmin / self.tick, vmax / self.tick)
        return np.round(ticks) * self.tick


def tick_decimals(tick: float) -> int:
    """Decimals that print every multiple of ``tick`` exactly (0.01 -> 2, 0.05 -> 2, 1 -> 0)."""
    for decimals in range(10):
        if math.isclose(round(tick, decimals), tick, rel_tol=0, abs_tol=1e-12):
            return decimals
    return 10


def ticks_on_grid(axis: Any, tick: float) -> None:
    """Put the major ticks of ``axis`` (an ``XAxis``/``YAxis``) on multiples of ``tick`` only,
    written with the tick's decimals."""
    axis.set_major_locator(TickGridLocator(tick))
    axis.set_major_formatter(ticker.StrMethodFormatter(f"{{x:.{tick_decimals(tick)}f}}"))


def label_prices(ax: Axes, axis: str, tick: float | None = None) -> None:
    """Name the price axis ("x" or "y") and show whole prices on it (never "+1e2"); with
    ``tick``, only at multiples of it, written with the tick's decimals."""
    if tick is not None and tick > 0:
        ticks_on_grid(ax.xaxis if axis == "x" else ax.yaxis, tick)
    else:
        ax.ticklabel_format(axis=axis, useOffset=False)
    (ax.set_xlabel if axis == "x" else ax.set_ylabel)("price")


def grid_tick(prices: Sequence[float] | np.ndarray) -> float | None:
    """The price grid's step as the data shows it (the smallest gap between prices, rounded
    to a clean decimal), or None without two distinct finite prices."""
    finite = np.asarray(prices, dtype=np.float64)
    finite = finite[np.isfinite(finite)]
    if len(np.unique(finite)) < 2:
        return None
    return round(price_step(finite), 10)


#: Legends sit outside the axes, on the right, on a white box: they never cover data.
LEGEND_OUTSIDE = {
    "loc": "upper left",
    "bbox_to_anchor": (1.02, 1.0),
    "borderaxespad": 0.0,
    "frameon": True,
    "facecolor": "white",
    "framealpha": 0.95,
    "edgecolor": "#cccccc",
}


def finish(ax: Axes, *, legend: bool = True, title: str | None = None) -> Axes:
    """Light grid, the legend (when something is labelled) outside the data on a white box,
    and ``title`` unless the axes already have one; return ``ax``."""
    ax.grid(True, alpha=0.3, linewidth=0.6)
    if legend and ax.get_legend_handles_labels()[0]:
        ax.legend(**LEGEND_OUTSIDE)
    if title and not ax.get_title():
        ax.set_title(title)
    return ax
