"""``Dashboard``: an order placed in its ticket shows in its live book."""

from __future__ import annotations

from widget_support import DEADLINE, is_png, seq_shown

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
