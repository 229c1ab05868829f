"""``plot_bbo``, ``plot_trades`` and ``plot_book_heatmap``: quotes, trades and liquidity
over time."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from matplotlib.collections import PathCollection, QuadMesh
from matplotlib.colors import same_color

from marketsim.core import OrderBook
from marketsim.frames import bbo_frame, deltas_frame, trades_frame
from marketsim.plotting import (
    ASK_COLOUR,
    BID_COLOUR,
    PlotInputError,
    plot_bbo,
    plot_book_heatmap,
    plot_trades,
)

SECOND = 1_000_000_000


def line(ax, label: str):
    (found,) = [line for line in ax.get_lines() if line.get_label() == label]
    return found


def naive_utc(timestamps: pd.Series) -> np.ndarray:
    return timestamps.dt.tz_convert(None).to_numpy()


# -- plot_bbo ---------------------------------------------------------------------------------


def test_bbo_draws_bid_ask_and_mid_as_steps_with_the_spread_shaded(book):
    frame = bbo_frame(book.events)

    ax = plot_bbo(frame)

    bid, ask, mid = line(ax, "best bid"), line(ax, "best ask"), line(ax, "mid")
    np.testing.assert_array_equal(bid.get_xdata(), naive_utc(frame["ts_event"]))
    np.testing.assert_array_equal(bid.get_ydata(), frame["bid_price"])
    np.testing.assert_array_equal(ask.get_ydata(), frame["ask_price"])
    np.testing.assert_array_equal(mid.get_ydata(), frame["mid"])
    assert {bid.get_drawstyle(), ask.get_drawstyle(), mid.get_drawstyle()} == {"steps-post"}
    assert same_color(bid.get_color(), BID_COLOUR) and same_color(ask.get_color(), ASK_COLOUR)
    (spread,) = ax.collections
    assert spread.get_label() == "spread"
    assert ax.get_xlabel() == "time (UTC)" and ax.get_ylabel() == "price"


def test_bbo_of_an_event_log_equals_that_of_its_frame(book):
    from_events, from_frame = plot_bbo(book.events), plot_bbo(bbo_frame(book.events))

    for label in ("best bid", "best ask", "mid"):
        np.testing.assert_array_equal(
            line(from_events, label).get_ydata(), line(from_frame, label).get_ydata()
        )


def test_bbo_prices_are_written_in_full_without_an_offset():
    book = OrderBook("ACME", tick_size=0.01)  # quotes around 100: matplotlib's "+1e2" case
    for second, (side, price) in enumerate([("buy", 99.93), ("sell", 100.08), ("buy", 99.97)]):
        book.submit(side, 1, price, ts_event=second * SECOND)
    ax = plot_bbo(book.events)

    ax.figure.draw_without_rendering()

    assert ax.yaxis.get_major_formatter().get_offset() == ""
    assert "100.00" in [label.get_text() for label in ax.get_yticklabels()]


def test_bbo_of_a_frame_without_mid_names_the_missing_column(book):
    frame = bbo_frame(book.events).drop(columns=["mid"])

    with pytest.raises(PlotInputError, match=r"plot_bbo needs .* missing \['mid'\]"):
        plot_bbo(frame)


# -- plot_trades ------------------------------------------------------------------------------


def test_trades_draws_a_marker_per_trade_coloured_by_aggressor_and_sized_by_quantity(book):
    frame = trades_frame(book.events)

    ax = plot_trades(frame)

    buys, sells = [c for c in ax.collections if isinstance(c, PathCollection)]
    is_buy = (frame["aggressor_side"] == "buy").to_numpy()
    assert len(buys.get_offsets()) == is_buy.sum() > 0
    assert len(sells.get_offsets()) == (~is_buy).sum() > 0
    assert buys.get_offsets()[:, 1].tolist() == frame.loc[is_buy, "price"].tolist()
    assert same_color(buys.get_facecolor()[0][:3], BID_COLOUR)
    assert same_color(sells.get_facecolor()[0][:3], ASK_COLOUR)
    sizes = np.concatenate([buys.get_sizes(), sells.get_sizes()])
    quantities = np.concatenate([frame["qty"][is_buy], frame["qty"][~is_buy]])
    assert sizes[quantities.argmax()] == sizes.max() == 160
    assert np.all(np.diff(sizes[np.argsort(quantities)]) >= 0)  # larger trades, larger marks
    np.testing.assert_array_equal(line(ax, "last price").get_ydata(), frame["price"])


def test_trades_of_a_book_without_trades_draws_empty_markers():
    ax = plot_trades(OrderBook("ACME", tick_size=0.01).events)

    assert [len(c.get_offsets()) for c in ax.collections] == [0, 0]


def test_trades_of_a_frame_without_aggressor_names_the_missing_column(book):
    frame = trades_frame(book.events).drop(columns=["aggressor_side"])

    with pytest.raises(PlotInputError, match=r"missing \['aggressor_side'\]"):
        plot_trades(frame)


# -- plot_book_heatmap ------------------------------------------------------------------------


@pytest.fixture
def four_seconds() -> OrderBook:
    """A bid for 5 at 99.99 from 0 s to 2 s, an ask for 3 at 100.01 from 1 s, a bid for 2 at
    100.00 from 4 s."""
    book = OrderBook("ACME", tick_size=0.01)
    bid = book.submit("buy", 5, 99.99, ts_event=10 * SECOND).order_id
    book.submit("sell", 3, 100.01, ts_event=11 * SECOND)
    book.cancel(bid, ts_event=12 * SECOND)
    book.submit("buy", 2, 100.00, ts_event=14 * SECOND)
    return book


def test_heatmap_shows_the_quantity_resting_at_each_price_at_the_end_of_each_bin(four_seconds):
    ax = plot_book_heatmap(four_seconds.events, time_bins=4)

    bids, asks = [c for c in ax.collections if isinstance(c, QuadMesh)]
    # Rows are the prices 99.99, 100.00, 100.01; columns the seconds 0-1, 1-2, 2-3, 3-4.
    assert bids.get_array().filled(0).tolist() == [[5, 5, 0, 0], [0, 0, 0, 2], [0, 0, 0, 0]]
    assert asks.get_array().filled(0).tolist() == [[0, 0, 0, 0], [0, 0, 0, 0], [0, 3, 3, 3]]
    assert bids.get_array().mask.sum() == 9  # empty cells stay transparent
    assert bids.get_cmap().name == "Greens" and asks.get_cmap().name == "Reds"


def test_heatmap_draws_the_best_bid_and_ask_over_the_cells(four_seconds):
    ax = plot_book_heatmap(four_seconds.events, time_bins=4)

    best_bid = line(ax, "best bid").get_ydata()
    np.testing.assert_allclose(best_bid, [99.99, 99.99, np.nan, 100.00, 100.00])
    np.testing.assert_allclose(line(ax, "best ask").get_ydata(), [np.nan] + [100.01] * 4)


def test_heatmap_of_a_deltas_frame_equals_that_of_the_events(book):
    from_events = plot_book_heatmap(book.events, time_bins=50)
    from_frame = plot_book_heatmap(deltas_frame(book.events), time_bins=50)

    for mesh_a, mesh_b in zip(from_events.collections, from_frame.collections, strict=True):
        np.testing.assert_array_equal(mesh_a.get_array(), mesh_b.get_array())
    assert from_events.collections[0].get_array().shape[1] == 50


def test_heatmap_of_no_deltas_draws_nothing():
    ax = plot_book_heatmap(OrderBook("ACME", tick_size=0.01).events)

    assert len(ax.collections) == len(ax.get_lines()) == 0


def test_heatmap_of_a_frame_without_prices_names_the_missing_columns(book):
    frame = deltas_frame(book.events).drop(columns=["price", "price_ticks"])

    with pytest.raises(PlotInputError, match=r"missing \['price', 'price_ticks'\]"):
        plot_book_heatmap(frame)
