"""Safe re-runs: ``ms.stop_all()`` stops what earlier runs of a notebook started; a live view's
badge rewrites itself while running and says "stopped" by itself once it is not rewritten."""

from __future__ import annotations

import asyncio
import re
import threading

import pytest
from widget_support import DEADLINE, eventually

import marketsim as ms
from marketsim import reruns, sim
from marketsim.widgets import Dashboard, liveness


def marketsim_threads() -> int:
    return sum(1 for thread in threading.enumerate() if thread.name.startswith("marketsim-"))


def one_run() -> tuple[ms.Market, object, Dashboard]:
    """What notebook 04's cells make: a market, agents trading on it, a dashboard."""
    ms.stop_all()
    market = ms.launch({"ACME": 0.01})
    client = market.client(owner="you")
    flow = sim.drive(client, [sim.ZeroIntelligence(limit_rate=5.0)], "ACME", duration=600,
                     seed=1, wait=False)  # fmt: skip
    return market, flow, Dashboard(client, "ACME", fps=8)


async def test_stop_all_stops_markets_flows_and_views_of_earlier_runs() -> None:
    ms.stop_all()  # whatever other tests left
    first_market, first_flow, first_dash = one_run()
    await eventually(lambda: first_dash.livebook.updates > 0, "the first dashboard to stream")
    threads_after_one_run = marketsim_threads()

    for _ in range(2):  # "Run All" twice more
        market, flow, dash = one_run()
    await eventually(lambda: dash.livebook.updates > 0, "the last dashboard to stream")

    assert not first_market.running and first_flow.cancelled()
    await asyncio.wait_for(first_dash.wait_stopped(), DEADLINE)
    assert reruns.running() == {"view": 3, "flow": 1, "market": 1}  # book, ticket, own orders
    await eventually(lambda: marketsim_threads() <= threads_after_one_run, "old threads to end")

    assert ms.stop_all() == {"view": 3, "flow": 1, "market": 1}
    assert ms.stop_all() == {"view": 0, "flow": 0, "market": 0}
    await asyncio.wait_for(dash.wait_stopped(), DEADLINE)
    assert not market.running and flow.cancelled()
    assert 'data-state="stopped"' in dash.livebook.liveness.value


async def test_the_live_badge_is_rewritten_while_the_view_runs(market, trader, monkeypatch):
    monkeypatch.setattr("marketsim.widgets.livebook.HEARTBEAT_SECONDS", 0.05)
    live = ms.widgets.LiveBook(trader, "ACME")
    try:
        await eventually(lambda: 'data-beat="3"' in live.liveness.value, "three heartbeats")
    finally:
        live.stop()
        await live.wait_stopped(DEADLINE)
    assert 'data-state="stopped"' in live.liveness.value


def test_the_badge_turns_stale_on_its_own_after_the_delay() -> None:
    badge = liveness.live_badge(7, stale_after=6)
    assert 'data-beat="7"' in badge and "--marketsim-stale:6s" in badge
    # The stale text starts invisible and is shown by an animation that waits for the delay.
    assert re.search(
        r"\.marketsim-badge-stale\{[^}]*font-size:0;[^}]*var\(--marketsim-stale\)", badge
    )
    assert re.search(
        r"\.marketsim-badge-live\{[^}]*marketsim-hide[^}]*var\(--marketsim-stale\)", badge
    )
    assert "stopped" in badge


def test_stop_all_without_anything_started_is_harmless() -> None:
    ms.stop_all()
    assert ms.stop_all() == {"view": 0, "flow": 0, "market": 0}


@pytest.fixture(autouse=True)
def _nothing_left_running():
    yield
    ms.stop_all()


async def test_the_stop_button_stops_everything_and_says_what(market, trader) -> None:
    live = ms.widgets.LiveBook(trader, "ACME")
    button = ms.widgets.StopButton()
    button.button.click()
    assert button.button.disabled
    assert "stopped 1 view, 0 flows, 1 market" in button.result.value
    assert not market.running
    await asyncio.wait_for(live.wait_stopped(), DEADLINE)
