"""The live view's picture: cumulative depth on the left, quotes and trades over time on the right.

``BookFigure`` owns one matplotlib ``Figure`` made with the object API (pyplot never sees it),
drawn with Agg and encoded as PNG bytes. Drawing text (ticks, labels) is most of the cost of a
frame, so only what changed is redrawn: the axes, ticks and legends are drawn once into a saved
background and again only when an axis range must change (ranges are sticky: they move when the
data leaves them or shrinks well inside them); the data artists are "animated" and drawn over
the background each frame (blitting), and only recomputed when their data changed.

A ``BookFigure`` is not thread-safe: ``LiveBook`` makes it and draws it only on its one render
thread, and hands it immutable ``FrameData``.
"""

from __future__ import annotations

import io
import math
import time
from dataclasses import dataclass
from typing import Any

import numpy as np
from matplotlib.artist import Artist
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.image import imsave
from matplotlib.lines import Line2D
from matplotlib.text import Text

from marketsim.core import Fill
from marketsim.plotting import ASK_COLOUR, BID_COLOUR, MID_COLOUR, SPREAD_COLOUR
from marketsim.plotting._common import ticks_on_grid

#: Quote changes as the book stream reported them: (ts_event, best bid ticks, best ask ticks).
Quote = tuple[int, int | None, int | None]
Range = tuple[float, float]

_FONT = 8
#: Widths (seconds) the time axis snaps to while less than the whole window has data.
_SPANS = (5, 10, 15, 30, 60, 120, 300, 600, 1800, 3600)
#: Legends sit above the axes, where they never cover data.
_LEGEND = {
    "loc": "lower left",
    "bbox_to_anchor": (0, 1.0),
    "ncols": 5,
    "fontsize": _FONT - 1,
    "frameon": False,
    "borderaxespad": 0.1,
    "handlelength": 1.5,
    "columnspacing": 1.0,
}


@dataclass(frozen=True)
class FrameData:
    """Everything one frame shows, copied on the event loop so the render thread owns it."""

    symbol: str
    seq: int | None
    tick: float
    #: (price, qty) per level, best first.
    bids: tuple[tuple[float, float], ...]
    asks: tuple[tuple[float, float], ...]
    quotes: tuple[Quote, ...]
    trades: tuple[Fill, ...]
    #: The right edge of the time axis (latest ts_event seen), ns.
    now: int
    window_seconds: float
    #: Bumped by the stream consumers; a part is recomputed only when its version changed.
    book_version: int
    series_version: int
    note: str = ""
    #: The viewer's own resting orders: (price, "buy" or "sell").
    mine: tuple[tuple[float, str], ...] = ()


class BookFigure:
    """Depth and price-and-spread charts in one small figure, rendered to PNG."""

    def __init__(self, figsize: tuple[float, float] = (7.2, 2.8), dpi: int = 96) -> None:
        self.figure = Figure(figsize=figsize, dpi=dpi)
        self.canvas = FigureCanvasAgg(self.figure)
        self.figure.subplots_adjust(left=0.08, right=0.985, bottom=0.15, top=0.83, wspace=0.26)
        self.depth_ax, self.series_ax = self.figure.subplots(1, 2)
        #: Full redraws (background included) and fast ones (data over the saved background).
        self.full_draws = self.fast_draws = 0
        self._versions = (-1, -1)
        self._tick: float | None = None
        self._background = None
        self._ranges: dict[str, Range] = {}
        self._animated: list[Artist] = []
        self._fills: list[Artist] = []
        self._spread: Artist | None = None

        ax = self.depth_ax
        (self._bid_depth,) = self._line(ax, BID_COLOUR, "bids", drawstyle="steps-post")
        (self._ask_depth,) = self._line(ax, ASK_COLOUR, "asks", drawstyle="steps-post")
        (self._depth_mid,) = self._line(ax, MID_COLOUR, "mid", linestyle="--", linewidth=0.8)
        (self._mine,) = self._line(
            ax, "#222222", "yours", linestyle="none", marker="*", markersize=9,
            markerfacecolor="#ffd43b",
        )  # fmt: skip
        ax.set_xlabel("price", fontsize=_FONT)
        ax.set_ylabel("cumulative qty", fontsize=_FONT)

        ax = self.series_ax
        (self._ask_line,) = self._line(ax, ASK_COLOUR, "best ask", drawstyle="steps-post")
        (self._bid_line,) = self._line(ax, BID_COLOUR, "best bid", drawstyle="steps-post")
        (self._mid_line,) = self._line(
            ax, MID_COLOUR, "mid", linestyle="--", linewidth=0.7, drawstyle="steps-post"
        )
        marker = {"linestyle": "none", "markersize": 5, "alpha": 0.8}
        (self._buys,) = self._line(ax, BID_COLOUR, "buy", marker="^", **marker)
        (self._sells,) = self._line(ax, ASK_COLOUR, "sell", marker="v", **marker)
        ax.set_xlabel("seconds before the latest event", fontsize=_FONT)
        ax.set_ylabel("price", fontsize=_FONT)

        for ax in (self.depth_ax, self.series_ax):
            ax.tick_params(labelsize=_FONT)
            ax.grid(True, alpha=0.3, linewidth=0.6)
            ax.ticklabel_format(axis="both", useOffset=False, style="plain")
            ax.locator_params(nbins=6)
            ax.legend(**_LEGEND)
        self._title = self._text(0.01, 0.985, fontsize=_FONT + 1, weight="bold")
        self._note = self._text(0.99, 0.985, fontsize=_FONT, ha="right")
        self._empty = self.depth_ax.text(0.5, 0.5, "no orders", transform=self.depth_ax.transAxes)
        self._empty.set(ha="center", color=MID_COLOUR, fontsize=_FONT, animated=True)
        self._animated.append(self._empty)

    def _line(self, ax: Axes, colour: str, label: str, **style: Any) -> list[Line2D]:
        lines = ax.plot([], [], color=colour, label=label, animated=True, **style)
        self._animated.extend(lines)
        return lines

    def _text(self, x: float, y: float, **style: Any) -> Text:
        text = self.figure.text(x, y, "", va="top", animated=True, **style)
        self._animated.append(text)
        return text

    def draw(self, frame: FrameData) -> tuple[bytes, float]:
        """Update what changed for ``frame`` and return (PNG bytes, seconds it took)."""
        started = time.perf_counter()
        moved = False
        if frame.book_version != self._versions[0]:
            moved |= self._update_depth(frame)
        if frame.series_version != self._versions[1]:
            moved |= self._update_series(frame)
        if frame.tick != self._tick:  # price ticks only on valid prices
            self._tick = frame.tick
            ticks_on_grid(self.depth_ax.xaxis, frame.tick)
            ticks_on_grid(self.series_ax.yaxis, frame.tick)
            moved = True
        self._versions = (frame.book_version, frame.series_version)
        seq = "-" if frame.seq is None else f"{frame.seq:,}"
        self._title.set_text(f"{frame.symbol}  seq {seq}")
        self._note.set_text(frame.note)

        canvas = self.canvas
        if moved or self._background is None:
            canvas.draw()  # everything but the animated artists
            self._background = canvas.copy_from_bbox(self.figure.bbox)
            self.full_draws += 1
        else:
            canvas.restore_region(self._background)
            self.fast_draws += 1
        for artist in [*self._fills, *([self._spread] if self._spread else []), *self._animated]:
            self.figure.draw_artist(artist)
        buffer = io.BytesIO()
        pixels = np.asarray(canvas.buffer_rgba())
        imsave(buffer, pixels, format="png", pil_kwargs={"compress_level": 1})
        return buffer.getvalue(), time.perf_counter() - started

    def _set_range(self, name: str, ax: Axes, lo: float, hi: float, pad: float) -> bool:
        """Keep the axis range while [lo, hi] stays well inside it and fills at least half of
        it; else set a new one with ``pad`` on both sides. True when it changed."""
        current = self._ranges.get(name)
        if current is not None:
            inside = current[0] <= lo - pad / 2 and hi + pad / 2 <= current[1]
            if inside and hi - lo + 2 * pad >= 0.5 * (current[1] - current[0]):
                return False
        new = (lo - pad, hi + pad)
        self._ranges[name] = new
        (ax.set_xlim if name.endswith("x") else ax.set_ylim)(new)
        return True

    def _update_depth(self, frame: FrameData) -> bool:
        ax = self.depth_ax
        for fill in self._fills:
            fill.remove()
        self._fills = []
        xs, top = [], 0.0
        sides = ((frame.bids, self._bid_depth, -1), (frame.asks, self._ask_depth, 1))
        for levels, line, outward in sides:
            if not levels:
                line.set_data([], [])
                continue
            prices = np.array([price for price, _ in levels], dtype=float)
            cum_qty = np.cumsum([qty for _, qty in levels], dtype=float)
            # Rise from zero at the best price; run one tick past the last level.
            x = np.concatenate([prices[:1], prices, [prices[-1] + outward * frame.tick]])
            y = np.concatenate([[0.0], cum_qty, cum_qty[-1:]])
            line.set_data(x, y)
            fill = ax.fill_between(x, y, step="post", color=line.get_color(), alpha=0.25, lw=0)
            fill.set_animated(True)
            self._fills.append(fill)
            xs += [x.min(), x.max()]
            top = max(top, cum_qty[-1])
        self._mine.set_data(*_own_points(frame))
        if frame.bids and frame.asks:
            mid = (frame.bids[0][0] + frame.asks[0][0]) / 2
            self._depth_mid.set_data([mid, mid], [0, top * 1.5])
        else:
            self._depth_mid.set_data([], [])
        self._empty.set_visible(not xs)
        if not xs:
            return False
        lo, hi = min(xs), max(xs)
        moved = self._set_range("depth x", ax, lo, hi, max(0.15 * (hi - lo), frame.tick))
        return self._set_range("depth y", ax, 0.0, top * 1.15, 0.0) | moved

    def _update_series(self, frame: FrameData) -> bool:
        ax = self.series_ax
        oldest = frame.now - frame.window_seconds * 1e9
        if frame.quotes:
            times = np.array([q[0] for q in frame.quotes], dtype=np.int64)
            x = np.append((times - frame.now) / 1e9, 0.0)  # hold the last quote until "now"
            bid = _prices([q[1] for q in frame.quotes], frame.tick)
            ask = _prices([q[2] for q in frame.quotes], frame.tick)
            bid, ask = np.append(bid, bid[-1]), np.append(ask, ask[-1])
        else:
            x = bid = ask = np.array([], dtype=float)
        self._bid_line.set_data(x, bid)
        self._ask_line.set_data(x, ask)
        self._mid_line.set_data(x, (bid + ask) / 2)
        if self._spread is not None:
            self._spread.remove()
            self._spread = None
        if len(x):
            self._spread = ax.fill_between(
                x, bid, ask, step="post", color=SPREAD_COLOUR, alpha=0.5, linewidth=0
            )
            self._spread.set_animated(True)
        recent = [t for t in frame.trades if t.ts_event >= oldest]
        for side, artist in (("buy", self._buys), ("sell", self._sells)):
            chosen = [t for t in recent if t.aggressor_side == side]
            artist.set_data(
                [(t.ts_event - frame.now) / 1e9 for t in chosen], [t.price for t in chosen]
            )
        # The time axis: the data's age snapped to a few widths, at most the window.
        starts = [q[0] for q in frame.quotes[:1]] + [t.ts_event for t in recent[:1]]
        first = min([frame.now, *starts])
        age = (frame.now - first) / 1e9
        span = min(frame.window_seconds, next((s for s in _SPANS if s >= age), _SPANS[-1]))
        moved = False
        if self._ranges.get("series x") != (-span, span * 0.02):
            self._ranges["series x"] = (-span, span * 0.02)
            ax.set_xlim(-span, span * 0.02)
            moved = True
        visible = x >= -span
        prices = [*bid[visible], *ask[visible], *(t.price for t in recent)]
        prices = [p for p in prices if not math.isnan(p)]
        if prices:
            lo, hi = min(prices), max(prices)
            moved |= self._set_range("series y", ax, lo, hi, max(0.15 * (hi - lo), 2 * frame.tick))
        return moved


def _own_points(frame: FrameData) -> tuple[list[float], list[float]]:
    """Where the viewer's orders sit on the depth curves: (price, depth up to that price)."""
    xs, ys = [], []
    for price, side in frame.mine:
        levels = frame.bids if side == "buy" else frame.asks
        better = [
            qty for level, qty in levels if (level >= price if side == "buy" else level <= price)
        ]
        if better:
            xs.append(price)
            ys.append(float(sum(better)))
    return xs, ys


def _prices(ticks: list[int | None], tick: float) -> np.ndarray:
    """Tick prices as floats, NaN where a side of the book was empty."""
    return np.array([math.nan if t is None else t * tick for t in ticks], dtype=float)
