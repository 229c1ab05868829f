"""``CasePanel``: a student's live view of a trading case on a real market."""

from __future__ import annotations

import asyncio

from widget_support import DEADLINE

from marketsim import cases
from marketsim.cases import Case
from marketsim.session import launch
from marketsim.widgets import CasePanel

CASE = """
name = "panel"
[[instruments]]
symbol = "ACME"
[heats]
length = 30
[[news]]
at = 0.2
text = "ACME <b>beats</b> estimates"
[[tenders]]
at = 0.3
to = ["ann"]
side = "sell"
qty = 10
price = 100.20
expires = 20
"""


async def wait_until(predicate) -> None:
    async with asyncio.timeout(DEADLINE):
        while not predicate():
            await asyncio.sleep(0.05)


async def test_the_panel_shows_news_and_tenders_and_answers_with_a_click():
    case = Case.from_toml(CASE)
    market = launch(**cases.launch_options(case), participants={"prof": "admin", "ann": "trader"})
    try:
        moderator = await asyncio.to_thread(market.run_case, case)
        panel = CasePanel(market.client("ann"))
        await wait_until(lambda: panel.updates >= 1)  # the state before the heat
        assert panel.status["state"] == "ready"
        await asyncio.to_thread(moderator.start)
        await wait_until(lambda: panel.tenders and panel.news)
        assert "ACME &lt;b&gt;beats&lt;/b&gt; estimates" in panel.news_html.value  # escaped
        assert "running" in panel.status_html.value
        (row,) = panel.tender_box.children
        accept = row.children[1]
        assert accept.description == "Accept"
        accept.click()
        await wait_until(lambda: panel.tenders[1]["outcome"] == "accepted")
        assert (await asyncio.to_thread(market.client("ann").account, "ACME")).position == -10
        assert "accepted" in panel.tender_box.children[0].value
        assert await panel.answer(1, False) is None  # already answered: shown, not raised
        assert "no open tender 1" in panel.error_html.value
        panel.stop()
        await panel.wait_stopped(DEADLINE)
    finally:
        market.stop()
