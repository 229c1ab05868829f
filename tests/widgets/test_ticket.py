"""``OrderTicket``: the form submits orders; results and errors show in the widget, never raise."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable

import pytest
from widget_support import DEADLINE

from marketsim.client import AsyncMarketClient
from marketsim.widgets import OrderTicket


@pytest.fixture
async def make_ticket(trader: AsyncMarketClient) -> AsyncIterator[Callable[..., OrderTicket]]:
    """``OrderTicket``s of ACME on the test's loop; all stopped afterwards."""
    made: list[OrderTicket] = []

    def make(client=None, symbol: str = "ACME") -> OrderTicket:
        ticket = OrderTicket(client or trader, symbol)
        made.append(ticket)
        return ticket

    yield make
    for ticket in made:
        ticket.stop()
        await ticket.wait_stopped(DEADLINE)


async def click(ticket: OrderTicket) -> None:
    """Press Submit, as a reader does, and wait for the answer to show."""
    ticket.submit_button.click()
    await ticket.wait_idle(DEADLINE)


async def test_clicking_submit_sends_the_form_and_shows_the_result(make_ticket, trader):
    ticket = make_ticket()
    ticket.side.value, ticket.qty.value, ticket.price.value = "buy", 5, "99.50"

    await click(ticket)

    result = ticket.last_result
    assert result is not None and result.status == "new" and ticket.last_error is None
    assert f"order {result.order_id}: new" in ticket.result.value
    assert "leaves 5" in ticket.result.value
    assert "buy 5 @ 99.50 (GTC)" in ticket.result.value  # the explanation
    book = await trader.book("ACME")
    assert book.best_bid == (99.5, 5)


async def test_a_zero_quantity_shows_the_error_text_instead_of_raising(make_ticket):
    ticket = make_ticket()
    ticket.qty.value, ticket.price.value = 0, "99.50"

    await click(ticket)

    assert ticket.last_result is None and ticket.failed == 1
    assert "qty must be a positive multiple of lot 1" in ticket.last_error
    assert "InvalidCommandError: qty must be a positive multiple" in ticket.result.value


async def test_a_price_that_is_not_a_number_shows_an_error(make_ticket):
    ticket = make_ticket()
    ticket.price.value = "cheap"

    await click(ticket)

    assert "price must be a number, or empty for a market order" in ticket.result.value
    assert ticket.failed == 1


async def test_a_price_off_the_tick_grid_shows_the_servers_words(make_ticket):
    ticket = make_ticket()

    result = await ticket.submit(side="sell", qty=1, price=100.123)
    assert result is None
    assert "price 100.123 is not a multiple of tick 0.01" in ticket.result.value

    # Typed in the form, the price is an exact Decimal; the words are the client's all the same.
    assert await ticket.submit(side="sell", qty=1, price="99.995") is None
    assert "price 99.995 is not a multiple of tick 0.01 for ACME" in ticket.result.value
    assert "Decimal" not in ticket.result.value


async def test_a_market_order_without_liquidity_shows_it_was_rejected(make_ticket):
    ticket = make_ticket()

    result = await ticket.submit(side="buy", qty=3, price=None)

    assert result is not None and result.status == "rejected"
    assert f"order {result.order_id}: rejected ({result.reason})" in ticket.result.value
    assert ticket.price.value == ""  # the form shows what was sent


async def test_submit_fills_in_the_form_and_keeps_a_short_history(make_ticket, trader):
    ticket = make_ticket()

    first = await ticket.submit(side="sell", qty=2, price=100.5, tif="GTC")
    second = await ticket.submit(side="buy", qty=2, price=100.5, tif="IOC")

    assert (ticket.side.value, ticket.qty.value, ticket.price.value) == ("buy", 2, "100.5")
    assert ticket.tif.value == "IOC"
    assert first.status == "new" and second.status == "filled"
    assert f"order {second.order_id}: filled" in ticket.result.value
    assert f"order {first.order_id}: new" in ticket.history_html.value
    assert ticket.submitted == 2 and len(ticket.history) == 2


async def test_a_ticket_of_a_blocking_client_trades_as_its_owner(market, make_ticket):
    ticket = make_ticket(market.client(owner="carol"))

    result = await ticket.submit(side="buy", qty=1, price=99)

    assert result is not None and result.status == "new"
    owners = {getattr(e, "owner", None) for e in market.server.exchange["ACME"].events}
    assert "carol" in owners


async def test_an_unknown_symbol_shows_an_error(make_ticket):
    ticket = make_ticket(symbol="NOPE")

    await click(ticket)

    assert "UnknownSymbolError" in ticket.result.value and "NOPE" in ticket.result.value


async def test_stop_disables_the_form_and_ignores_later_clicks(make_ticket):
    ticket = make_ticket()
    ticket.stop()
    await ticket.wait_stopped(DEADLINE)

    await click(ticket)

    assert ticket.submit_button.disabled and ticket.price.disabled
    assert ticket.submitted == ticket.failed == 0
