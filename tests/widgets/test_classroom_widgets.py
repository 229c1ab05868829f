"""The widgets of a class market: the ticket shows your position and P&L as it changes, and the
leaderboard ranks everyone, live, for the teacher."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from widget_support import DEADLINE, eventually

from marketsim.session import Market, launch
from marketsim.widgets import LiveLeaderboard, OrderTicket

CLASS = {"alice": "trader", "bob": "trader", "prof": "admin"}


@pytest.fixture
def classroom() -> Iterator[Market]:
    handle = launch({"ACME": 0.01}, participants=CLASS)
    try:
        yield handle
    finally:
        handle.stop()


async def test_the_ticket_shows_the_users_position_and_pnl_as_fills_arrive(classroom):
    ticket = OrderTicket(classroom.client("alice"), "ACME")
    try:
        await eventually(lambda: ticket.account is not None, "the first account")
        assert ticket.account.position == 0 and "position <b>0</b>" in ticket.account_html.value

        await ticket.submit(side="sell", qty=10, price=100.05)
        classroom.client("bob").submit("ACME", "buy", 4)  # fills alice's order by someone else

        await eventually(lambda: ticket.account.position == -4, "alice's fill")
        assert "position <b>-4</b> @ 100.05" in ticket.account_html.value
        assert "1 open orders" in ticket.account_html.value
    finally:
        ticket.stop()
        await ticket.wait_stopped(DEADLINE)


async def test_the_live_leaderboard_ranks_participants_and_refreshes(classroom):
    board = LiveLeaderboard(classroom.client("prof"), "ACME", interval=0.05)
    try:
        await eventually(lambda: board.refreshes >= 1, "a first leaderboard")
        assert set(board.frame["participant"]) == set(CLASS)
        classroom.client("alice").submit("ACME", "sell", 10, 100.00)
        classroom.client("bob").submit("ACME", "buy", 5)
        classroom.client("bob").submit("ACME", "buy", 1, 99.00)  # a mid of 99.50 marks both

        await eventually(lambda: board.frame["total_pnl"].max() > 0, "the mid to move P&L")
        assert board.frame["participant"].tolist()[0] == "alice"
        assert board.frame["participant"].tolist()[-1] == "bob"
        assert "+2.50" in board.table.value and "-2.50" in board.table.value
    finally:
        board.stop()
        await board.wait_stopped(DEADLINE)
    assert "stopped after" in board.title.value and board.table.value  # the table stays


async def test_a_leaderboard_for_a_trader_shows_the_refusal_instead_of_raising(classroom):
    board = LiveLeaderboard(classroom.client("bob"), interval=0.05)
    try:
        await eventually(lambda: board.last_error is not None, "the refusal")
        assert "PermissionDeniedError" in board.last_error and board.refreshes == 0
    finally:
        board.stop()
        await board.wait_stopped(DEADLINE)
