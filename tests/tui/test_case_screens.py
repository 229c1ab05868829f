"""A trading case on the terminal screens, driven by keys against a real server: the
moderator's (``marketsim tui --admin``: case status, leaderboard, who follows the case,
controls) and the trader's (news and an open tender under the account, answered by a key)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from grpc_support import DEADLINE
from textual.widgets import DataTable, Static

from marketsim.server.participants import Roster
from marketsim.tui.moderator import ModeratorApp
from marketsim.wire.v1 import market_pb2 as pb

CASE = """
name = "board"
[[instruments]]
symbol = "ACME"
[heats]
count = 2
length = 60
"""


async def until(pilot, condition: Callable[[], bool], what: str) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + DEADLINE
    while not condition():
        assert loop.time() < deadline, (
            f"timed out waiting for {what}; the screen: {pilot.app.shown()}"
        )
        await pilot.pause(0.05)


def shown(app: ModeratorApp, widget_id: str) -> str:
    return str(app.query_one(f"#{widget_id}", Static).render())


async def test_the_moderator_sees_the_class_and_runs_the_heats_from_the_keyboard(make_server):
    roster, tokens = Roster.create({"prof": "admin", "ann": "trader", "bob": "trader"})
    server = await make_server(roster=roster)
    app = ModeratorApp(server.address, client_options={"token": tokens["prof"]})
    async with app.run_test() as pilot:
        await until(pilot, lambda: "no case" in shown(app, "case"), "the empty market")
        server.service.load_case(pb.RunCaseRequest(case_toml=CASE))
        from marketsim.client import AsyncMarketClient

        ann = AsyncMarketClient(server.address, token=tokens["ann"])
        following = ann.stream_case()
        reader = asyncio.ensure_future(following.__anext__())  # ann follows the case
        await until(pilot, lambda: "heat 0/2 · ready" in shown(app, "case"), "the loaded case")
        await pilot.press("s")
        await until(pilot, lambda: "heat 1/2 · running" in shown(app, "case"), "heat 1")
        await reader
        await until(pilot, lambda: "1 following" in shown(app, "case"), "ann following")
        table = app.query_one("#board", DataTable)
        rows = {table.get_row_at(i)[1]: table.get_row_at(i) for i in range(table.row_count)}
        assert set(rows) == {"prof", "ann", "bob"}
        assert rows["ann"][-1] == "yes" and rows["bob"][-1] == ""
        await pilot.press("p")
        await until(pilot, lambda: "paused" in shown(app, "case"), "the pause")
        await pilot.press("r")
        await until(pilot, lambda: "heat 1/2 · running" in shown(app, "case"), "the resume")
        await pilot.press("n")
        await until(pilot, lambda: "heat 2/2 · running" in shown(app, "case"), "heat 2")
        await pilot.press("s")  # a heat is running: refused, and said so
        await until(pilot, lambda: "still running" in shown(app, "message"), "the refusal")
        await pilot.press("e")
        await until(pilot, lambda: "over" in shown(app, "case"), "the end")
        await following.aclose()
        await ann.close()


TENDER_CASE = """
name = "offer"
[[instruments]]
symbol = "ACME"
[heats]
length = 60
[[news]]
at = 0.1
text = "ACME wins a contract"
[[tenders]]
at = 0.2
side = "buy"
qty = 10
price = 99.50
expires = 30
"""


async def test_the_trading_screen_shows_the_case_and_takes_a_tender_with_a_key(make_server):
    from marketsim.tui.app import TraderApp

    roster, tokens = Roster.create({"prof": "admin", "ann": "trader"})
    server = await make_server(roster=roster)
    host = server.service
    host.load_case(pb.RunCaseRequest(case_toml=TENDER_CASE))
    host.case_host.control("start")
    app = TraderApp(server.address, "ACME", client_options={"token": tokens["ann"]})

    def account_panel() -> str:
        return str(app.query_one("#account", Static).render())

    async with app.run_test(size=(120, 40)) as pilot:
        await until(pilot, lambda: "tender 1: buy 10 ACME at 99.5" in account_panel(), "tender")
        assert "case offer  heat 1/1 running" in account_panel()
        assert "news (0 s): ACME wins a contract" in account_panel()
        await pilot.press("t")
        await until(pilot, lambda: server.ledger.position("ann", "ACME").lots == 10, "accepted")
        await until(pilot, lambda: "tender 1" not in account_panel(), "the tender answered")
        await pilot.press("x")
        await until(
            pilot, lambda: "no open tender" in str(app.query_one("#message").render()), "refusal"
        )
