"""``sim.run`` equals the plainest possible runner: each command through ``OrderBook.apply``.

The runner hands each command to a router that calls the engine directly and keeps the run's
events itself (with the compiled engine, as compact records routed to the agents from C); the
reference below does none of that (one command at a time through the
book's public ``apply``, every event through ``route``), so any difference is a bug in those
shortcuts.
"""

from __future__ import annotations

import heapq

import pytest

from marketsim import sim
from marketsim.core import OrderBook, SetPhase
from marketsim.errors import UnknownOrderError
from marketsim.sim.agents import MarketMaker, MomentumTrader, NoiseTrader
from marketsim.sim.runner import as_instrument, prepare_agents, spawn_generators
from marketsim.sim.view import AgentState, BookMarketView, MarketState, route


def reference_run(agents, *, steps, seed, open_auction_ns=None):
    """The runner's rules, spelled out: earliest wake-up first (ties to the agent listed
    first), commands stamped with the agent's name, stale cancels and replaces skipped."""
    agents = prepare_agents(agents)
    rngs, _ = spawn_generators(seed, len(agents))
    book = OrderBook(as_instrument("ACME", "0.01", 1))
    market = MarketState()
    states = {agent.name: AgentState() for agent in agents}
    if open_auction_ns is not None:
        book.apply(SetPhase("auction"), 0)
    views = [BookMarketView(book, states[agent.name], market) for agent in agents]
    for agent, view, rng in zip(agents, views, rngs, strict=True):
        agent.start(view, rng)
    heap = []
    for index, (agent, view, rng) in enumerate(zip(agents, views, rngs, strict=True)):
        first = agent.next_wakeup(view, rng, 0)
        if first is not None:
            heap.append((first, index))
    heapq.heapify(heap)
    for _ in range(steps):
        if not heap:
            break
        now, index = heapq.heappop(heap)
        if open_auction_ns is not None and now >= open_auction_ns:
            route(book.apply(SetPhase("continuous"), open_auction_ns), states, market)
            open_auction_ns = None
        agent, view, rng = agents[index], views[index], rngs[index]
        state = states[agent.name]
        view.now = now
        state.wakeups += 1
        for command in agent.act(view, rng, now) or ():
            command.owner = agent.name
            state.commands += 1
            try:
                events = book.apply(command, now)
            except UnknownOrderError:
                state.stale += 1
                continue
            route(events, states, market)
        following = agent.next_wakeup(view, rng, now)
        if following is not None:
            heapq.heappush(heap, (following, index))
    return book, states


def summary(states):
    return {
        name: (
            state.commands,
            state.wakeups,
            state.stale,
            state.position,
            state.cash_ticks,
            [(o.order_id, o.side, o.price_ticks, o.qty_lots) for o in state.orders.values()],
            sorted(state.orders.ids),
        )
        for name, state in states.items()
    }


AGENT_SETS = {
    "zero intelligence, two of them": lambda: [
        sim.ZeroIntelligence(size=(1, 5)),
        sim.ZeroIntelligence("zi2", cancel_rate=0.3),
    ],
    "market maker, noise and momentum": lambda: [
        MarketMaker("mm"),
        NoiseTrader("noise"),
        MomentumTrader("mom"),
    ],
}


@pytest.mark.parametrize("make_agents", AGENT_SETS.values(), ids=AGENT_SETS.keys())
@pytest.mark.parametrize("open_auction", [None, 2.0])
def test_run_equals_the_reference_runner(make_agents, open_auction):
    steps = 8_000
    result = sim.run(
        make_agents(), "ACME", steps=steps, seed=5, progress=False, open_auction=open_auction
    )
    auction_ns = None if open_auction is None else int(open_auction * 1e9)
    book, states = reference_run(make_agents(), steps=steps, seed=5, open_auction_ns=auction_ns)
    assert list(result.events) == list(book.events)
    assert result.book.ts_event == book.ts_event
    assert summary(result.states) == summary(states)
    assert result.book.level_ticks("bid") == book.level_ticks("bid")
