"""``drive``/``adrive``: the same agents trading live on a ``launch()``ed server for ~1 s."""

from __future__ import annotations

import asyncio
import concurrent.futures

import pytest

from marketsim import sim
from marketsim.core.events import OrderAccepted, OrderRejected, Trade
from marketsim.session import launch

DEADLINE = 30.0


@pytest.fixture
def market():
    handle = launch({"ACME": 0.01})
    try:
        yield handle
    finally:
        handle.stop()


def busy_agents() -> list[sim.Agent]:
    return [
        sim.ZeroIntelligence(limit_rate=4.0, market_rate=4.0),
        sim.MarketMaker(interval=0.1),
        sim.NoiseTrader(interval=0.1),
    ]


def server_positions(book) -> dict[str, int]:
    positions: dict[str, int] = {}
    for event in book.events:
        if type(event) is Trade:
            signed = event.qty_lots if event.aggressor_side == "buy" else -event.qty_lots
            positions[event.taker_owner] = positions.get(event.taker_owner, 0) + signed
            positions[event.maker_owner] = positions.get(event.maker_owner, 0) - signed
    return positions


def check_market_after(market, result: sim.DriveResult) -> None:
    book = market.server.exchange["ACME"]
    owners = {e.owner for e in book.events if isinstance(e, OrderAccepted | OrderRejected)}
    assert owners == {"zi", "mm", "noise"}
    assert any(type(e) is Trade for e in book.events)
    snapshot = market.client().book("ACME")
    assert snapshot.level_ticks("bid") and snapshot.level_ticks("ask")
    book.check_integrity()
    # the agents' own bookkeeping (acks + event stream) matches the server's
    expected = server_positions(book)
    for name, state in result.states.items():
        assert state.position == expected.get(name, 0), name
        resting = {
            o.order_id: o.qty_lots for o in book.engine.book.orders.values() if o.owner == name
        }
        assert {i: o.qty_lots for i, o in state.orders.items()} == resting, name
    assert result.errors == []


def test_drive_trades_live_for_the_duration_with_each_agent_as_owner(market):
    client = market.client()

    result = sim.drive(client, busy_agents(), "ACME", duration=1.2, seed=1)

    assert 1.2 <= result.wall_seconds < 10
    assert result.steps > 100 and result.commands > 100
    check_market_after(market, result)


async def test_adrive_runs_on_the_callers_loop_with_an_async_client(market):
    client = await market.aclient()
    try:
        result = await asyncio.wait_for(
            sim.adrive(client, busy_agents(), "ACME", duration=1.0, seed=2), DEADLINE
        )
    finally:
        await client.close()

    assert result.steps > 50
    assert set(result.summary().index) == {"zi", "mm", "noise"}
    check_market_after(market, result)


def test_drive_in_the_background_returns_a_future_and_can_cancel_at_end(market):
    future = sim.drive(
        market.client(), busy_agents(), "ACME", duration=1.0, seed=3, wait=False, cancel_at_end=True
    )

    assert isinstance(future, concurrent.futures.Future)
    result = future.result(DEADLINE)
    assert result.commands > 50
    book = market.server.exchange["ACME"]
    assert not book.engine.book.orders  # every agent order was cancelled at the end


def test_drive_refuses_an_unknown_symbol(market):
    from marketsim import UnknownSymbolError

    with pytest.raises(UnknownSymbolError):
        sim.drive(market.client(), [sim.ZeroIntelligence()], "NOPE", duration=0.1)
