"""The trading screen driven by keys through Textual's pilot, against a real server on the
test's loop: orders placed, amended and cancelled from the keyboard reach the engine, the
panels show what the engine did, refused input changes nothing, and a restarted server is
found again."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import pytest
from grpc_support import DEADLINE, INSTRUMENTS, within
from textual.widgets import Static

from marketsim.client import AsyncMarketClient
from marketsim.server import MarketServer
from marketsim.server.participants import Roster
from marketsim.tui.app import TraderApp


async def until(pilot, condition: Callable[[], bool], what: str) -> None:
    """Let the app run until ``condition()`` holds (fails after ``DEADLINE`` seconds)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + DEADLINE
    while not condition():
        assert loop.time() < deadline, f"timed out waiting for {what}"
        await pilot.pause(0.05)


def shown(app: TraderApp, widget_id: str) -> str:
    """The text a panel shows now."""
    return str(app.query_one(f"#{widget_id}", Static).render())


async def type_text(pilot, text: str) -> None:
    await pilot.press(*text)


@pytest.fixture
async def other(server: MarketServer):
    client = AsyncMarketClient(server.address, owner="other", timeout=DEADLINE)
    yield client
    await client.close()


async def test_keys_place_amend_and_cancel_orders_and_the_panels_follow_the_engine(server, other):
    await within(other.submit("ACME", "sell", 10, 100.05))
    app = TraderApp(server.address, "ACME", owner="me")
    async with app.run_test(size=(100, 30)) as pilot:
        await until(pilot, lambda: app.state.connection == "live", "the feed")

        # Place: b, qty, Tab, price, Enter.
        await pilot.press("b")
        await type_text(pilot, "7")
        await pilot.press("tab")
        await type_text(pilot, "99.90")
        await pilot.press("enter")
        await until(pilot, lambda: "as order" in shown(app, "message"), "the explanation")
        assert "buy 7 @ 99.90 (GTC) as order 2" in shown(app, "message")
        book = await within(other.book("ACME"))
        assert book.level_ticks("bid") == [(9990, 7, 1)]
        await until(pilot, lambda: "me 7 #1" in shown(app, "ladder"), "the own order marker")
        table = app.query_one("#orders")
        await until(pilot, lambda: table.row_count == 1, "the open order")

        # Amend: leave the ticket, select the order, a, new qty, Enter.
        await pilot.press("escape", "a")
        await pilot.press("ctrl+a", "ctrl+k")  # clear the qty field
        await type_text(pilot, "4")
        await pilot.press("enter")
        await until(pilot, lambda: "replace order 2" in shown(app, "message"), "the amend")
        assert "open qty 7 -> 4; it keeps its place in the queue" in shown(app, "message")
        book = await within(other.book("ACME"))
        assert book.level_ticks("bid") == [(9990, 4, 1)]
        await until(pilot, lambda: "me 4 #1" in shown(app, "ladder"), "the amended marker")

        # Someone sells into it: the tape shows the trade, the order shrinks.
        await within(other.submit("ACME", "sell", 1))
        await until(pilot, lambda: "sell" in shown(app, "tape"), "the trade on the tape")
        assert "99.90" in shown(app, "tape")
        await until(pilot, lambda: "me 3 #1" in shown(app, "ladder"), "the partly filled order")

        # Cancel: o, c.
        await pilot.press("escape", "o", "c")
        await until(pilot, lambda: "cancelled on request" in shown(app, "message"), "cancel")
        book = await within(other.book("ACME"))
        assert book.level_ticks("bid") == []
        await until(pilot, lambda: table.row_count == 0, "the order list to empty")
        assert "me " not in shown(app, "ladder")

        await pilot.press("q")
    assert app.return_code in (0, None)


async def test_empty_price_sends_a_market_order_and_post_only_is_a_ticket_option(server, other):
    await within(other.submit("ACME", "sell", 5, 100.05))
    app = TraderApp(server.address, "ACME", owner="me")
    async with app.run_test(size=(80, 24)) as pilot:
        await until(pilot, lambda: app.state.connection == "live", "the feed")

        await pilot.press("b")
        await type_text(pilot, "2")
        await pilot.press("enter")  # no price: a market order
        await until(pilot, lambda: "matched order 1" in shown(app, "message"), "the fill")
        assert "buy 2 at market as order 2" in shown(app, "message")

        await pilot.press("tab")
        await type_text(pilot, "100.05")
        await pilot.press("tab", "tab", "space")  # past TIF to post-only, ticked
        await pilot.press("shift+tab", "shift+tab", "enter")  # back in the price field: send
        await until(pilot, lambda: "post-only" in shown(app, "message"), "the rejection")
        assert "rejected: post-only, and it would have traded" in shown(app, "message")
        book = await within(other.book("ACME"))
        assert book.level_ticks("ask") == [(10005, 3, 1)] and book.level_ticks("bid") == []


@pytest.mark.parametrize(
    ("qty", "price", "symbol", "message"),
    [
        ("0", "100", "ACME", "qty must be a positive multiple of lot 1"),
        ("1", "100.001", "ACME", "price '100.001' is not a multiple of tick 0.01"),
        ("1", "100", "NOPE", "unknown symbol 'NOPE'"),
    ],
)
async def test_bad_ticket_input_is_shown_inline_and_changes_nothing(
    server, other, qty, price, symbol, message
):
    app = TraderApp(server.address, "ACME", owner="me")
    async with app.run_test(size=(80, 24)) as pilot:
        await until(pilot, lambda: app.state.connection == "live", "the feed")
        await pilot.press("s")
        await pilot.press("shift+tab", "ctrl+a", "ctrl+k")
        await type_text(pilot, symbol)
        await pilot.press("tab")
        await type_text(pilot, qty)
        await pilot.press("tab")
        await type_text(pilot, price)
        await pilot.press("enter")
        await until(pilot, lambda: "refused" in shown(app, "message"), "the inline error")
        assert message in shown(app, "message")
        spans = app.query_one("#message", Static).render().spans
        assert [str(span.style) for span in spans] == ["bold red"]
        book = await within(other.book("ACME"))
        assert (book.seq, book.level_ticks("ask")) == (0, [])


async def test_account_panel_shows_the_users_position_and_pnl_from_the_servers_ledger(
    server, other
):
    await within(other.submit("ACME", "sell", 12, 100.25))
    await within(other.submit("ACME", "sell", 5, 100.75))
    me = AsyncMarketClient(server.address, owner="me")
    await within(me.submit("ACME", "buy", 12))
    await within(me.submit("ACME", "buy", 1, 99.75))  # the mid is now 100.25
    await me.close()

    app = TraderApp(server.address, "ACME", owner="me")
    async with app.run_test(size=(80, 24)) as pilot:
        await until(pilot, lambda: "position 12" in shown(app, "account"), "the account")
        assert "avg 100.25" in shown(app, "account")
        assert "P&L 0.00" in shown(app, "account")


async def test_help_screen_and_instrument_switcher_work_from_the_keyboard(server, other):
    await within(other.submit("XYZ", "sell", 2, 50.05))
    app = TraderApp(server.address, "ACME", owner="me")
    async with app.run_test(size=(80, 24)) as pilot:
        await until(pilot, lambda: app.state.connection == "live", "the feed")
        await pilot.press("question_mark")
        await until(pilot, lambda: len(app.screen_stack) == 2, "the help screen")
        assert "queue" in str(app.screen.query_one("#help", Static).render())
        await pilot.press("x")
        await until(pilot, lambda: len(app.screen_stack) == 1, "the help to close")

        await pilot.press("i", "down", "enter")
        await until(pilot, lambda: app.state.symbol == "XYZ", "the switch")
        await until(pilot, lambda: "50.05" in shown(app, "ladder"), "the XYZ book")
        assert "XYZ" in shown(app, "status")
        assert sorted(app.state.symbols) == sorted(INSTRUMENTS)


async def test_screen_says_when_the_server_is_gone_keeps_the_picture_and_reconnects(other):
    first = MarketServer(dict(INSTRUMENTS))
    address = await within(first.start("127.0.0.1", 0))
    port = int(address.rsplit(":", 1)[1])
    seller = AsyncMarketClient(address, owner="other", timeout=DEADLINE)
    await within(seller.submit("ACME", "sell", 3, 100.05))
    app = TraderApp(address, "ACME", owner="me")
    second = None
    try:
        async with app.run_test(size=(80, 24)) as pilot:
            await until(pilot, lambda: "100.05" in shown(app, "ladder"), "the first book")

            await within(first.stop(grace=0.1))
            await until(pilot, lambda: "DISCONNECTED" in shown(app, "status"), "the drop")
            assert "100.05" in shown(app, "ladder")  # the last picture stays

            second = MarketServer(dict(INSTRUMENTS))
            await within(second.start("127.0.0.1", port))
            await until(pilot, lambda: "LIVE" in shown(app, "status"), "the reconnect")
            assert "reconnects 1" in shown(app, "status")
            await within(seller.submit("ACME", "sell", 2, 100.07))
            await until(pilot, lambda: "100.07" in shown(app, "ladder"), "the new server's book")
            assert "100.05" not in shown(app, "ladder")  # a new server, a new book
    finally:
        await seller.close()
        if second is not None:
            await within(second.stop(grace=0.1))


async def test_selection_stays_on_the_same_order_when_the_list_changes(server, other):
    app = TraderApp(server.address, "ACME", owner="me")
    async with app.run_test(size=(80, 24)) as pilot:
        await until(pilot, lambda: app.state.connection == "live", "the feed")
        for price in ("99.00", "98.00"):
            await pilot.press("escape", "b")  # leave the ticket, then open it again
            await pilot.press("ctrl+a", "ctrl+k")
            await type_text(pilot, "2")
            await pilot.press("tab", "ctrl+a", "ctrl+k")
            await type_text(pilot, price)
            await pilot.press("enter")
            await until(pilot, lambda p=price: f"@ {p} (GTC)" in shown(app, "message"), price)
        table = app.query_one("#orders")
        await until(pilot, lambda: table.row_count == 2, "both orders")
        await pilot.press("escape", "down")  # the 98.00 order, second below the better bid
        assert app.selected_order().price_ticks == 9800

        # A better bid now goes to the top of the list: the selection follows the 98.00 order.
        await pilot.press("b", "ctrl+a", "ctrl+k", "1", "tab", "ctrl+a", "ctrl+k")
        await type_text(pilot, "99.50")
        await pilot.press("enter")
        await until(pilot, lambda: table.row_count == 3, "the third order")
        await pilot.press("escape", "c")
        await until(pilot, lambda: "cancelled on request" in shown(app, "message"), "cancel")

        book = await within(other.book("ACME"))
        assert book.level_ticks("bid") == [(9950, 1, 1), (9900, 2, 1)]


async def test_a_participant_trades_from_the_screen_with_its_token(make_server):
    roster, tokens = Roster.create({"alice": "trader", "bob": "trader"})
    server = await make_server(roster=roster)
    app = TraderApp(server.address, "ACME", client_options={"token": tokens["alice"]})
    async with app.run_test(size=(80, 24)) as pilot:
        await until(pilot, lambda: app.state.connection == "live", "the feed")
        await pilot.press("s")
        await type_text(pilot, "3")
        await pilot.press("tab")
        await type_text(pilot, "101")
        await pilot.press("enter")
        await until(pilot, lambda: "as order 1" in shown(app, "message"), "the result")
        async with AsyncMarketClient(server.address, token=tokens["bob"]) as bob:
            await within(bob.submit("ACME", "buy", 2))
        await until(pilot, lambda: "position -2" in shown(app, "account"), "alice's fill")
    assert server.exchange["ACME"].level_ticks("ask") == [(10_100, 1, 1)]
