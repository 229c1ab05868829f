"""``plot_depth``, ``plot_ladder`` and ``plot_queue``: what they draw, from what input."""

from __future__ import annotations

import numpy as np
import pytest
from matplotlib.colors import same_color
from matplotlib.figure import Figure

from marketsim.client import BookSnapshot
from marketsim.core import OrderBook
from marketsim.frames import book_frame, depth_frame
from marketsim.plotting import (
    ASK_COLOUR,
    BID_COLOUR,
    PlotInputError,
    plot_depth,
    plot_ladder,
    plot_queue,
)


@pytest.fixture
def small_book() -> OrderBook:
    """Bids 7 @ 99.98 (two orders) and 10 @ 99.95; asks 4 @ 100.02 and 6 @ 100.05."""
    book = OrderBook("ACME", tick_size=0.01)
    for side, qty, price in [
        ("buy", 5, 99.98),
        ("buy", 2, 99.98),
        ("buy", 10, 99.95),
        ("sell", 4, 100.02),
        ("sell", 6, 100.05),
    ]:
        book.submit(side, qty, price)
    return book


def line(ax, label: str):
    (found,) = [line for line in ax.get_lines() if line.get_label() == label]
    return found


# -- plot_depth -------------------------------------------------------------------------------


def test_depth_draws_each_side_as_a_filled_step_curve_from_zero_at_the_best_price(small_book):
    ax = plot_depth(small_book)

    bids, asks = line(ax, "bids"), line(ax, "asks")
    # One step (0.03, the smallest gap between prices) past the last level.
    assert bids.get_xdata() == pytest.approx([99.98, 99.98, 99.95, 99.92])
    assert bids.get_ydata().tolist() == [0, 7, 17, 17]
    assert asks.get_xdata() == pytest.approx([100.02, 100.02, 100.05, 100.08])
    assert asks.get_ydata().tolist() == [0, 4, 10, 10]
    assert bids.get_drawstyle() == asks.get_drawstyle() == "steps-post"
    assert same_color(bids.get_color(), BID_COLOUR) and same_color(asks.get_color(), ASK_COLOUR)
    fills = ax.collections
    assert len(fills) == 2
    assert same_color(fills[0].get_facecolor()[0][:3], BID_COLOUR)
    assert same_color(fills[1].get_facecolor()[0][:3], ASK_COLOUR)


def test_depth_marks_the_mid_and_labels_its_axes(small_book):
    ax = plot_depth(small_book)

    assert line(ax, "mid 100").get_xdata() == [100.0, 100.0]
    assert ax.get_xlabel() == "price"
    assert ax.get_ylabel() == "cumulative quantity"
    assert [text.get_text() for text in ax.get_legend().get_texts()] == [
        "bids",
        "asks",
        "mid 100",
    ]


def test_depth_of_a_book_a_snapshot_a_book_frame_and_a_depth_frame_are_the_same(small_book):
    snapshot = BookSnapshot(
        "ACME",
        small_book.seq,
        0,
        small_book.instrument,
        tuple(small_book.level_ticks("bid")),
        tuple(small_book.level_ticks("ask")),
    )
    sources = [small_book, snapshot, book_frame(small_book), depth_frame(small_book)]

    drawn = [
        [
            (np.asarray(line.get_xdata()).tolist(), np.asarray(line.get_ydata()).tolist())
            for line in plot_depth(source).lines
        ]
        for source in sources
    ]

    assert all(lines == drawn[0] for lines in drawn)


def test_depth_passes_keyword_arguments_to_the_step_lines(small_book):
    ax = plot_depth(small_book, linewidth=3)

    assert line(ax, "bids").get_linewidth() == line(ax, "asks").get_linewidth() == 3


def test_depth_of_a_one_sided_book_draws_that_side_and_no_mid():
    book = OrderBook("ACME", tick_size=0.01)
    book.submit("buy", 1, 10.00)

    ax = plot_depth(book)

    assert [line.get_label() for line in ax.get_lines()] == ["bids"]


def test_depth_of_an_empty_book_draws_nothing_but_the_axes():
    ax = plot_depth(OrderBook("ACME", tick_size=0.01))

    assert len(ax.get_lines()) == len(ax.collections) == 0
    assert ax.get_xlabel() == "price"


def test_depth_draws_into_the_axes_it_is_given(small_book):
    figure = Figure()
    ax = figure.add_subplot()

    assert plot_depth(small_book, ax=ax) is ax
    assert figure.axes == [ax]


def test_depth_of_a_frame_without_quantities_names_the_missing_column(small_book):
    frame = book_frame(small_book).drop(columns="qty")

    with pytest.raises(PlotInputError, match=r"plot_depth needs .* missing \['qty'\]"):
        plot_depth(frame)


def test_plots_without_axes_make_a_figure_that_can_be_saved(small_book, tmp_path):
    ax = plot_depth(small_book)

    ax.figure.savefig(tmp_path / "depth.png")

    assert (tmp_path / "depth.png").stat().st_size > 1000


def test_plots_without_axes_make_a_pyplot_figure_so_notebooks_show_it(small_book):
    import matplotlib.pyplot as plt

    ax = plot_depth(small_book)

    assert ax.figure.number in plt.get_fignums()


def test_plots_given_axes_create_no_pyplot_figure(small_book):
    import matplotlib.pyplot as plt

    before = plt.get_fignums()
    plot_depth(small_book, ax=Figure().add_subplot())

    assert plt.get_fignums() == before


# -- plot_ladder ------------------------------------------------------------------------------


def test_ladder_draws_one_bar_per_level_sized_by_quantity_and_coloured_by_side(small_book):
    ax = plot_ladder(small_book)

    bars = sorted(ax.patches, key=lambda bar: bar.get_y())
    centres = [bar.get_y() + bar.get_height() / 2 for bar in bars]
    assert centres == pytest.approx([99.95, 99.98, 100.02, 100.05])
    assert [bar.get_width() for bar in bars] == [10, 7, 4, 6]
    colours = [BID_COLOUR, BID_COLOUR, ASK_COLOUR, ASK_COLOUR]
    assert all(same_color(bar.get_facecolor()[:3], c) for bar, c in zip(bars, colours, strict=True))
    assert sorted(text.get_text() for text in ax.texts) == ["10", "4", "6", "7"]


def test_ladder_marks_the_mid_between_asks_and_bids(small_book):
    ax = plot_ladder(small_book)

    assert line(ax, "mid 100").get_ydata() == [100.0, 100.0]
    assert ax.get_ylabel() == "price" and ax.get_xlabel() == "quantity"


def test_ladder_depth_limits_the_levels_per_side(small_book):
    assert len(plot_ladder(small_book, depth=1).patches) == 2
    assert len(plot_ladder(book_frame(small_book), depth=1).patches) == 2


def test_ladder_of_a_frame_without_sides_names_the_missing_column(small_book):
    with pytest.raises(PlotInputError, match=r"missing \['side'\]"):
        plot_ladder(book_frame(small_book).drop(columns="side"))


# -- plot_queue -------------------------------------------------------------------------------


def test_queue_draws_the_orders_as_blocks_in_time_priority():
    ax = plot_queue([(11, 5), (14, 20), (17, 2)], side="bid")

    blocks = ax.patches
    assert [block.get_x() for block in blocks] == [0, 5, 25]
    assert [block.get_width() for block in blocks] == [5, 20, 2]
    assert all(same_color(block.get_facecolor()[:3], BID_COLOUR) for block in blocks)
    labels = [text.get_text() for text in ax.texts]
    assert labels == ["#11\n5", "#14\n20", "#17\n2", "front of the queue: fills first"]
    assert ax.get_xlim() == (0, 27)


def test_queue_takes_what_order_book_queue_returns(small_book):
    ax = plot_queue(small_book.queue("bid", 99.98), side="buy")

    assert [block.get_width() for block in ax.patches] == [5, 2]


def test_queue_of_an_empty_level_draws_no_blocks():
    assert len(plot_queue([]).patches) == 0


@pytest.mark.parametrize("orders", [[(1, 0)], [(1, -2)], [(1, 2, 3)]])
def test_queue_refuses_items_that_are_not_positive_order_quantities(orders):
    with pytest.raises(PlotInputError, match="positive quantities"):
        plot_queue(orders)
