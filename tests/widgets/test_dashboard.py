"""``Dashboard``: an order placed in its ticket shows in its live book."""

from __future__ import annotations

import re

from widget_support import DEADLINE, eventually, is_png, seq_shown

import marketsim
from marketsim.widgets import Dashboard, LiveBook, OrderTicket


async def test_an_order_from_the_ticket_shows_in_the_live_book(market):
    dash = Dashboard(market.client(owner="reader"), "ACME", fps=10)
    try:
        assert isinstance(dash.livebook, LiveBook) and isinstance(dash.ticket, OrderTicket)
        assert dash.children == (dash.livebook, dash.ticket)

        result = await dash.ticket.submit(side="sell", qty=7, price=100.25)
        await dash.livebook.wait_shown(result.events[-1].seq, DEADLINE)

        assert "7 @ 100.25" in dash.livebook.headline.value
        assert seq_shown(dash.livebook.seq_label.value) >= result.events[-1].seq
    finally:
        dash.stop()
        await dash.wait_stopped(DEADLINE)
    assert not dash.running
    assert dash.ticket.submit_button.disabled
    assert is_png(dash.livebook.image.value)


async def test_closing_the_dashboard_stops_both_parts(market):
    dash = Dashboard(market.client(), "ACME")

    dash.close()
    await dash.wait_stopped(DEADLINE)

    assert not dash.running and dash.ticket.submit_button.disabled


def test_the_widgets_are_reachable_from_the_top_level_package():
    assert marketsim.widgets.Dashboard is Dashboard


async def test_your_resting_orders_are_marked_with_their_queue_place(market):
    other = market.client(owner="other")
    other.submit("ACME", "buy", 4, 99.5)  # ahead of the reader at 99.50
    dash = Dashboard(market.client(owner="reader"), "ACME", fps=10)
    try:
        await dash.ticket.submit(side="buy", qty=3, price=99.5)
        await eventually(lambda: 'data-own="1"' in dash.livebook.ladder.value, "your mark")
        ladder = dash.livebook.ladder.value
        assert 'data-side="bid" data-price="99.50" data-own="1"' in ladder
        assert "you 3 · 2nd of 2" in ladder
        (mine,) = dash.livebook.own_orders
        assert (mine.side, mine.price, mine.queue_position) == ("buy", 99.5, 2)
        frame = dash.livebook._frame("")
        assert frame.mine == ((99.5, "buy"),)

        # The order ahead leaves: the place improves though nothing of yours changed.
        other.cancel("ACME", 1)
        await eventually(lambda: "you 3 · 1st of 1" in dash.livebook.ladder.value, "1st")
    finally:
        dash.stop()
        await dash.wait_stopped(DEADLINE)
    assert not dash.own_orders.running


def test_the_ladder_draws_a_bar_per_level_and_outlines_your_part():
    from marketsim.widgets.ladder import ladder_html
    from marketsim.widgets.own_orders import OwnOrder

    html = ladder_html(
        bids=[(99.99, 10, 2), (99.98, 5, 1)],
        asks=[(100.01, 4, 1)],
        decimals=2,
        own=[OwnOrder(7, "buy", 99.99, 4, 2, 2)],
    )
    assert re.findall(r'data-price="([\d.]+)"', html) == ["100.01", "99.99", "99.98"]
    assert html.count("marketsim-ladder-own") == 1 and "you 4 · 2nd of 2" in html
    assert "width:120px" in html and "width:60px" in html  # one scale: 10 -> 120, 5 -> 60


def test_the_depth_chart_stars_your_orders_on_the_curve():
    from marketsim.widgets.figure import BookFigure, FrameData

    frame = FrameData(
        symbol="ACME", seq=3, tick=0.01, bids=((99.99, 10.0), (99.98, 5.0)),
        asks=((100.01, 4.0),), quotes=(), trades=(), now=1, window_seconds=60,
        book_version=1, series_version=1, mine=((99.98, "buy"), (100.01, "sell")),
    )  # fmt: skip
    figure = BookFigure()
    png, _ = figure.draw(frame)
    assert is_png(png)
    assert list(figure._mine.get_xdata()) == [99.98, 100.01]
    assert list(figure._mine.get_ydata()) == [15.0, 4.0]  # the depth up to each price
