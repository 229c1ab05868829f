"""``replay(..., into=client)``: the tiny LOBSTER sample replayed into a real server."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from marketsim.core import OrderAccepted, Trade
from marketsim.data import lobster
from marketsim.errors import InvalidCommandError
from marketsim.session import launch

REPO_ROOT = Path(__file__).resolve().parents[2]
SAMPLE = REPO_ROOT / "data" / "lobster-sample"
MESSAGES = SAMPLE / "SMPL_2020-01-02_34200000_57600000_message_2.csv"
ORDERBOOK = SAMPLE / "SMPL_2020-01-02_34200000_57600000_orderbook_2.csv"
DEADLINE = 60.0


@pytest.fixture
def market():
    handle = launch({"ACME": 0.01})
    try:
        yield handle
    finally:
        handle.stop()


def last_row_levels(levels: int = 2) -> dict[str, list[tuple[int, int]]]:
    """The last orderbook row as {side: [(price_ticks, qty), ...]} (tick 0.01)."""
    row = lobster.read_orderbook(ORDERBOOK).iloc[-1]
    return {
        side: [(row[f"{side}_price_{i}"] // 100, row[f"{side}_size_{i}"]) for i in range(1, 3)]
        for side in ("bid", "ask")
    }


def server_levels(client, symbol: str = "SMPL") -> dict[str, list[tuple[int, int]]]:
    book = client.book(symbol, depth=0)
    return {side: [(p, q) for p, q, _ in book.level_ticks(side)] for side in ("bid", "ask")}


def test_replay_into_a_server_as_fast_as_possible_ends_with_the_last_orderbook_row(market):
    client = market.client()

    result = lobster.replay(MESSAGES, ORDERBOOK, into=client, progress=False)

    assert server_levels(client) == last_row_levels()
    stats = result.live.stats
    assert result.live.done()
    assert stats.book_matches is True
    assert stats.errors == [] and stats.error_count == 0
    assert stats.sent == stats.commands > 300
    assert client.instrument("SMPL").tick_size == result.instrument.tick_size
    # Executions: an IOC against the named order when it is first in queue, else a reduction.
    assert stats.executions_traded + stats.executions_reduced == result.stats.executions == 87
    assert stats.executions_reduced >= result.stats.executions_behind_known == 1
    server = market.server.exchange["SMPL"]
    trades = [e for e in server.events if type(e) is Trade]
    assert len(trades) == stats.executions_traded
    assert {t.taker_owner for t in trades} == {lobster.OWNER_TAKER}
    assert {t.maker_owner for t in trades} <= {lobster.OWNER, lobster.OWNER_INITIAL,
                                               lobster.OWNER_REVEALED}  # fmt: skip
    owners = {e.owner for e in server.events if type(e) is OrderAccepted}
    assert owners == {lobster.OWNER, lobster.OWNER_INITIAL, lobster.OWNER_REVEALED,
                      lobster.OWNER_TAKER}  # fmt: skip
    server.check_integrity()
    # The in-process replay is unchanged by sending it.
    assert result.stats.mismatches == 0


def test_paced_replay_follows_the_message_times_divided_by_speed(market):
    client = market.client()
    result = lobster.replay(
        MESSAGES, ORDERBOOK, into=client, speed=200, progress=False, symbol="PACED"
    )
    span = (result.events[-1].ts_event - result.events[0].ts_event) / 1e9
    assert span > 30
    assert result.live.stats.wall_seconds >= span / 200 * 0.9
    assert result.live.stats.book_matches is True
    assert server_levels(client, "PACED") == last_row_levels()


def test_replay_in_the_background_returns_at_once_and_can_be_waited_for(market):
    client = market.client()
    result = lobster.replay(MESSAGES, ORDERBOOK, into=client, speed=50, wait=False, progress=False)
    assert result.live is not None
    stats = result.live.wait(DEADLINE)
    assert result.live.done() and stats.book_matches is True
    assert "server book matches" in repr(result.live)


async def test_areplay_into_runs_on_the_callers_loop(market):
    result = lobster.replay(MESSAGES, ORDERBOOK, progress=False, symbol="ASYNC")
    client = await market.aclient()
    try:
        stats = await asyncio.wait_for(
            lobster.areplay_into(client, result, progress=False), DEADLINE
        )
        book = await asyncio.wait_for(client.book("ASYNC", depth=0), DEADLINE)
    finally:
        await client.close()
    assert stats.book_matches is True
    assert [(p, q) for p, q, _ in book.level_ticks("bid")] == last_row_levels()["bid"]


def test_replay_into_a_book_that_already_has_orders_is_refused(market):
    client = market.client()
    client.add_instrument("SMPL", "0.01")
    client.submit("SMPL", "buy", 1, 90.00)
    with pytest.raises(InvalidCommandError, match="already holds orders"):
        lobster.replay(MESSAGES, ORDERBOOK, into=client, progress=False)


def test_replay_into_an_instrument_with_another_tick_is_refused(market):
    client = market.client()
    client.add_instrument("SMPL", "0.05")
    with pytest.raises(InvalidCommandError, match=r"tick 0\.05"):
        lobster.replay(MESSAGES, ORDERBOOK, into=client, progress=False)


def test_speed_must_be_positive():
    with pytest.raises(InvalidCommandError, match="speed"):
        lobster.replay(MESSAGES, ORDERBOOK, into="127.0.0.1:1", speed=0, progress=False)
