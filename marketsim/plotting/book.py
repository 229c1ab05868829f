"""Plots of the book as it stands: cumulative depth, the ladder, and one level's queue."""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.axes import Axes

from marketsim.frames import book_frame, depth_frame
from marketsim.plotting._common import (
    MID_COLOUR,
    SIDE_COLOUR,
    PlotInputError,
    checked_frame,
    finish,
    grid_tick,
    label_prices,
    new_axes,
    price_step,
)

_LEVEL_COLUMNS = ("side", "price", "qty")
_SIDE_LABEL = {"bid": "bids", "ask": "asks"}


def _mid(levels: pd.DataFrame) -> float | None:
    """Midpoint of the best bid and ask of a frame of levels, or None if a side is empty."""
    bids = levels.loc[levels["side"] == "bid", "price"]
    asks = levels.loc[levels["side"] == "ask", "price"]
    return None if bids.empty or asks.empty else (bids.max() + asks.min()) / 2


def plot_depth(source: Any, *, ax: Axes | None = None, depth: int | None = None, **kwargs) -> Axes:
    """Cumulative depth: for each price, how much rests at that price or better.

    ``source`` is a ``depth`` or ``book`` frame, or a book-like object (``OrderBook``,
    ``BookSnapshot``, ``LocalBook``); ``depth`` limits the levels per side. Bids are a green
    filled step curve rising to the left of the best bid, asks a red one rising to the right
    of the best ask; a dashed line marks the mid. Each step is one price level, and the
    height at a price is what a market order must take to move the price there. ``kwargs`` go
    to the two step lines (``linewidth=``, ...). Returns the Axes.
    """
    levels = checked_frame(source, _LEVEL_COLUMNS, book_frame, "plot_depth")
    frame = depth_frame(levels, depth)
    ax = new_axes(ax, (8, 4.5))
    step = price_step(frame["price"]) if len(frame) else 0.0
    for side, outward in (("bid", -1), ("ask", 1)):
        rows = frame[frame["side"] == side]
        if rows.empty:
            continue
        prices, cum_qty = rows["price"].to_numpy(), rows["cum_qty"].to_numpy()
        # Start at zero on the best price and run one step past the last level, so the
        # best level rises from the axis and the last one keeps its width.
        x = np.concatenate([prices[:1], prices, [prices[-1] + outward * step]])
        y = np.concatenate([[0.0], cum_qty, cum_qty[-1:]])
        colour = SIDE_COLOUR[side]
        ax.step(x, y, where="post", color=colour, label=_SIDE_LABEL[side], **kwargs)
        ax.fill_between(x, y, step="post", color=colour, alpha=0.25, linewidth=0)
    mid = _mid(frame)
    if mid is not None:
        ax.axvline(mid, color=MID_COLOUR, linestyle="--", linewidth=1, label=f"mid {mid:g}")
    label_prices(ax, "x", grid_tick(frame["price"].to_numpy()))
    ax.set_ylabel("cumulative quantity")
    ax.set_ylim(bottom=0)
    return finish(ax, title="depth")


def plot_ladder(source: Any, *, ax: Axes | None = None, depth: int = 10, **kwargs) -> Axes:
    """The book as a ladder: one horizontal bar per price level, asks above the mid, bids below.

    ``source`` is a ``book`` frame (or any frame with side, price and qty) or a book-like
    object, of which the top ``depth`` levels per side are drawn. Bar lengths are the
    quantities, written at the end of each bar; a dashed line marks the mid. ``kwargs`` go to
    ``Axes.barh``. Returns the Axes.
    """
    levels = checked_frame(source, _LEVEL_COLUMNS, partial(book_frame, depth=depth), "plot_ladder")
    frame = depth_frame(levels, depth)  # best first on each side, at most `depth` levels
    ax = new_axes(ax, (6, 6))
    height = 0.8 * price_step(frame["price"]) if len(frame) else 0.8
    for side in ("ask", "bid"):
        rows = frame[frame["side"] == side]
        bars = ax.barh(
            rows["price"],
            rows["qty"],
            height=height,
            color=SIDE_COLOUR[side],
            alpha=0.8,
            label=_SIDE_LABEL[side],
            **kwargs,
        )
        ax.bar_label(bars, labels=[f"{qty:g}" for qty in rows["qty"]], padding=3, fontsize=8)
    mid = _mid(frame)
    if mid is not None:
        ax.axhline(mid, color=MID_COLOUR, linestyle="--", linewidth=1, label=f"mid {mid:g}")
    if len(frame):
        ax.set_yticks(frame["price"].sort_values())
    ax.set_xlabel("quantity")
    label_prices(ax, "y")
    ax.margins(x=0.15)  # room for the labels at the ends of the bars
    return finish(ax, title="ladder")


def plot_queue(
    orders: Sequence[tuple[int, float]], *, ax: Axes | None = None, side: str | None = None
) -> Axes:
    """The orders resting at one price, as blocks in time priority: first in line on the left.

    ``orders`` is ``[(order_id, qty), ...]`` as ``OrderBook.queue(side, price)`` returns it.
    Each block's width is the order's quantity and it is labelled with its id and quantity;
    an incoming order fills the blocks from the left. ``side`` ("bid"/"ask" or "buy"/"sell")
    picks the colour. Returns the Axes.
    """
    pairs = list(orders)
    bad = [item for item in pairs if len(item) != 2 or not item[1] > 0]
    if bad:
        raise PlotInputError(
            f"plot_queue needs (order_id, qty) pairs with positive quantities, got {bad[:3]}"
        )
    ax = new_axes(ax, (8, 2.2))
    colour = SIDE_COLOUR.get(side or "", MID_COLOUR)
    left = 0.0
    for position, (order_id, qty) in enumerate(pairs):
        ax.barh(
            0,
            qty,
            left=left,
            height=0.6,
            color=colour,
            alpha=0.85 if position % 2 == 0 else 0.6,  # neighbours differ in shade
            edgecolor="white",
            linewidth=2,
        )
        ax.text(left + qty / 2, 0, f"#{order_id}\n{qty:g}", ha="center", va="center", fontsize=9)
        left += qty
    ax.annotate(
        "front of the queue: fills first",
        xy=(0, 0.3),
        xytext=(0, 0.55),
        ha="left",
        fontsize=9,
        color=MID_COLOUR,
        arrowprops={"arrowstyle": "->", "color": MID_COLOUR},
    )
    ax.set_xlim(0, max(left, 1.0))
    ax.set_ylim(-0.5, 0.8)
    ax.set_yticks([])
    ax.set_xlabel("quantity, in time priority")
    return finish(ax, legend=False, title="queue at one price")
