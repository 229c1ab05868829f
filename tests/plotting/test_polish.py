"""Image checks of every plot: legends off the data on a white box, a colour bar per heatmap
side, price ticks only on the tick grid, simulation time in seconds, a title on each."""

from __future__ import annotations

import io

import numpy as np
import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from marketsim import sim
from marketsim.core import OrderBook
from marketsim.frames import bbo_frame, deltas_frame, trades_frame
from marketsim.plotting import (
    plot_bbo,
    plot_book_heatmap,
    plot_depth,
    plot_ladder,
    plot_queue,
    plot_trades,
)
from marketsim.plotting._common import TickGridLocator, tick_decimals


@pytest.fixture(scope="module")
def simulated():
    """A short zero-intelligence run: its clock starts at 0, as every simulation's does."""
    return sim.run([sim.ZeroIntelligence()], "ACME", duration=30, seed=5, progress=False)


def drawn_axes() -> object:
    figure = Figure(figsize=(9, 4.5), layout="constrained")
    FigureCanvasAgg(figure)
    return figure.add_subplot()


def rendered(ax) -> None:
    """Draw the figure as it is saved (Agg), which lays it out; it must encode as a PNG."""
    ax.figure.canvas.draw()
    png = io.BytesIO()
    ax.figure.savefig(png, format="png")
    assert png.getvalue().startswith(b"\x89PNG")


def overlap(a, b) -> bool:
    return a.x0 < b.x1 and b.x0 < a.x1 and a.y0 < b.y1 and b.y0 < a.y1


def test_legends_sit_outside_the_data_on_a_white_box(book):
    ax = drawn_axes()
    plot_bbo(bbo_frame(book.events), ax=ax)
    plot_trades(trades_frame(book.events), ax=ax)  # seven entries, as in notebook 05
    rendered(ax)
    legend = ax.get_legend()
    assert len(legend.get_texts()) == 7
    assert legend.get_frame_on() and legend.get_frame().get_facecolor()[:3] == (1, 1, 1)
    renderer = ax.figure.canvas.get_renderer()
    assert not overlap(legend.get_window_extent(renderer), ax.get_window_extent(renderer))


def test_a_heatmap_has_a_colour_bar_for_each_side_and_its_legend_off_the_cells(book):
    ax = drawn_axes()
    plot_book_heatmap(deltas_frame(book.events), ax=ax)
    rendered(ax)
    bars = [other for other in ax.figure.axes if other is not ax]
    assert sorted(bar.get_xlabel() for bar in bars) == [
        "ask quantity resting",
        "bid quantity resting",
    ]
    renderer = ax.figure.canvas.get_renderer()
    assert not overlap(ax.get_legend().get_window_extent(renderer), ax.get_window_extent(renderer))


def test_without_colorbar_a_heatmap_adds_no_axes(book):
    ax = drawn_axes()
    plot_book_heatmap(deltas_frame(book.events), ax=ax, colorbar=False)
    assert ax.figure.axes == [ax]


def on_grid(values, tick: float) -> bool:
    units = np.asarray(values) / tick
    return bool(np.allclose(units, np.round(units), atol=1e-6))


@pytest.mark.parametrize("plot", ["bbo", "trades", "heatmap"])
def test_price_ticks_are_multiples_of_the_tick_size(simulated, plot):
    ax = drawn_axes()
    draw = {"bbo": plot_bbo, "trades": plot_trades, "heatmap": plot_book_heatmap}[plot]
    frame = {"bbo": simulated.bbo, "trades": simulated.trades, "heatmap": simulated.deltas}[plot]
    draw(frame(), ax=ax)
    ax.set_ylim(100.0, 100.13)  # a range where half ticks would otherwise be labelled
    rendered(ax)
    ticks = [t for t in ax.get_yticks() if 100.0 <= t <= 100.13]
    assert len(ticks) >= 3 and on_grid(ticks, 0.01)
    labels = [label.get_text() for label in ax.get_yticklabels() if label.get_text()]
    assert all(len(label.split(".")[1]) == 2 for label in labels), labels


def test_depth_ticks_follow_a_coarse_tick_size():
    book = OrderBook("ACME", tick_size=0.05)
    for i in range(6):
        book.submit("buy", 1 + i, 99.95 - 0.05 * i)
        book.submit("sell", 1 + i, 100.05 + 0.05 * i)
    ax = drawn_axes()
    plot_depth(book, ax=ax)
    rendered(ax)
    assert on_grid(ax.get_xticks(), 0.05)


def test_the_locator_never_offers_half_ticks():
    ticks = TickGridLocator(0.01).tick_values(99.97, 100.02)
    assert on_grid(ticks, 0.01) and len(ticks) >= 3
    assert tick_decimals(0.01) == 2 and tick_decimals(0.05) == 2 and tick_decimals(1.0) == 0


def test_simulation_time_is_seconds_from_the_start_not_1970(simulated):
    for draw, frame in ((plot_bbo, simulated.bbo()), (plot_trades, simulated.trades())):
        ax = drawn_axes()
        draw(frame, ax=ax)
        rendered(ax)
        assert ax.get_xlabel() == "simulated time (seconds from the start)"
        low, high = ax.get_xlim()
        assert low > -5 and high < 40
        assert not any("1970" in label.get_text() for label in ax.get_xticklabels())


def test_every_plot_has_a_title_unless_given_one(book):
    drawings = {
        "depth": lambda ax: plot_depth(book, ax=ax),
        "ladder": lambda ax: plot_ladder(book, ax=ax),
        "queue at one price": lambda ax: plot_queue([(1, 2), (2, 3)], ax=ax),
        "best bid and ask": lambda ax: plot_bbo(book.events, ax=ax),
        "trades": lambda ax: plot_trades(book.events, ax=ax),
        "liquidity over time": lambda ax: plot_book_heatmap(book.events, ax=ax),
    }
    for title, draw in drawings.items():
        assert draw(drawn_axes()).get_title() == title
        mine = drawn_axes()
        mine.set_title("mine")
        assert draw(mine).get_title() == "mine"
