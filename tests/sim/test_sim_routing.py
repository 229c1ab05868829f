"""Routing from the compiled engine's records equals routing from event objects.

``RecordRouter`` (compiled) keeps the agents' own orders and accounts from compact records in
C; ``ObjectRouter`` on the pure engine does it with ``engine.apply`` and ``route``, the
reference. On random streams of every command an agent can send, from several owners (and
phase changes that move the compiled book out of its fast tier and back), both must log equal
events, raise the same errors, and leave equal states: the same live orders in the same order,
the same ``ids`` list (which the zero-intelligence agent draws from), positions and cash.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from blocked_imports import script_without
from hypothesis import given, settings
from hypothesis import strategies as st

from marketsim.core import OrderBook, engine
from marketsim.core.commands import CancelOrder, ReplaceOrder, SetPhase, SubmitOrder
from marketsim.core.matching import MatchingEngine as PureEngine
from marketsim.errors import MarketsimError
from marketsim.sim.routing import ObjectRouter, command_router
from marketsim.sim.view import AgentState, MarketState

OWNERS = ["alice", "bob", "carol"]  # carol has no state: the router must ignore her orders

needs_compiled = pytest.mark.skipif(
    engine.ENGINE != "compiled", reason="the compiled engine is not active here"
)

order_ids = st.integers(1, 10)
owners = st.sampled_from(OWNERS)
#: Whose order a cancel or replace claims to change (None: anybody's, as an operator).
claimed = st.sampled_from([None, None, None, *OWNERS])
submits = st.builds(
    lambda side, qty, price, tif, post_only, owner: SubmitOrder(
        side, qty, price, tif, post_only and price is not None and tif == "GTC", owner
    ),
    st.sampled_from(["buy", "sell"]),
    st.integers(1, 8),
    st.sampled_from([None, 98, 99, 100, 100, 101, 101, 102]),
    st.sampled_from(["GTC", "GTC", "GTC", "IOC", "FOK"]),
    st.sampled_from([False, False, False, True]),
    owners,
)
cancels = st.builds(CancelOrder, order_ids, claimed)
replaces = st.builds(
    lambda order_id, qty, price, owner: ReplaceOrder(
        order_id, qty, price if qty is not None else price or 100, owner
    ),
    order_ids,
    st.one_of(st.none(), st.integers(1, 8)),
    st.sampled_from([None, 99, 100, 101]),
    claimed,
)
phases = st.builds(SetPhase, st.sampled_from(["continuous"] * 4 + ["auction", "halted"]))
commands = st.sampled_from([submits] * 8 + [cancels] * 3 + [replaces] * 3 + [phases]).flatmap(
    lambda strategy: strategy
)


def states_summary(states: dict[str, AgentState]) -> dict:
    return {
        name: (
            [(o.order_id, o.side, o.price_ticks, o.qty_lots) for o in state.orders.values()],
            list(state.orders.ids),
            [state.orders[i]._index for i in state.orders.ids],
            state.position,
            state.cash_ticks,
            state.traded_lots,
        )
        for name, state in states.items()
    }


def run_stream(router_for, engine_class, stream: list) -> tuple:
    """Every command through a router on a fresh book: the outcome of each, and the log."""
    book = OrderBook("ACME")
    book.engine = engine_class()
    states = {name: AgentState() for name in OWNERS[:2]}
    market = MarketState()
    router = router_for(book, states, market)
    outcomes = []  # each command's error (or None) and the states after it
    for ts, command in enumerate(stream):
        try:
            router.apply(command, ts)
            error = None
        except MarketsimError as refused:
            error = type(refused), str(refused)
        outcomes.append((error, states_summary(states), market.last_trade_ticks))
    return outcomes, list(router.log)


@needs_compiled
@settings(max_examples=300, deadline=None)
@given(st.lists(commands, min_size=20, max_size=120))
def test_routing_from_records_equals_routing_from_event_objects(stream):
    compiled = run_stream(command_router, engine.MatchingEngine, stream)
    reference = run_stream(ObjectRouter, PureEngine, stream)
    assert compiled == reference


#: Every way an agent's order changes, in the fast tier: rests, partial and full fills of
#: makers and takers, replaces of price (with and without crossing) and of quantity, cancels.
SCRIPT = [
    SubmitOrder("buy", 5, 100, owner="alice"),
    SubmitOrder("buy", 3, 99, owner="bob"),
    SubmitOrder("sell", 2, 103, owner="alice"),
    SubmitOrder("sell", 7, 101, owner="carol"),
    SubmitOrder("sell", 2, None, owner="bob"),  # takes 2 of alice's 5
    ReplaceOrder(2, None, 98, "bob"),
    ReplaceOrder(1, 6, None, "alice"),
    ReplaceOrder(2, 2, None, None),
    ReplaceOrder(3, None, 100, "alice"),  # crosses: fills against alice's own bid
    SubmitOrder("buy", 9, 101, "GTC", False, "bob"),  # takes carol's 7, rests 2
    CancelOrder(2, "bob"),
    CancelOrder(6, None),
    SubmitOrder("sell", 20, None, owner="carol"),
]


@needs_compiled
def test_routing_a_script_of_every_change_equals_routing_event_objects():
    compiled = run_stream(command_router, engine.MatchingEngine, SCRIPT)
    reference = run_stream(ObjectRouter, PureEngine, SCRIPT)
    assert compiled == reference
    assert [error for error, _, _ in compiled[0]] == [None] * len(SCRIPT)
    traded = {name: summary[5] for name, summary in compiled[0][-1][1].items()}
    assert traded["alice"] > 0 and traded["bob"] > 0


@needs_compiled
def test_the_compiled_engine_gets_the_record_router_and_the_pure_one_the_object_router():
    states, market = {"alice": AgentState()}, MarketState()
    compiled = command_router(OrderBook("ACME"), states, market)
    pure_book = OrderBook("ACME")
    pure_book.engine = PureEngine()
    # sim's own extension, not the core's: the core knows nothing of agents (DESIGN.md).
    assert (type(compiled).__module__, type(compiled).__name__) == (
        "marketsim.sim._crouter",
        "RecordRouter",
    )
    assert type(command_router(pure_book, states, market)) is ObjectRouter


@needs_compiled
def test_an_order_filled_before_its_acknowledgement_is_rested_by_the_state_as_route_does():
    # Live only (sim.drive), but the router keeps route's rule: AgentState.rest takes it.
    book = OrderBook("ACME")
    states, market = {"alice": AgentState()}, MarketState()
    router = command_router(book, states, market)
    states["alice"]._early_fills[1] = 2
    router.apply(SubmitOrder("buy", 5, 100, owner="alice"), 1)
    assert [(o.order_id, o.qty_lots) for o in states["alice"].orders.values()] == [(1, 3)]
    assert states["alice"]._early_fills == {}


@needs_compiled
def test_a_refused_command_logs_and_routes_nothing():
    book = OrderBook("ACME")
    states, market = {"alice": AgentState()}, MarketState()
    router = command_router(book, states, market)
    router.apply(SubmitOrder("sell", 5, 100, owner="alice"), 1)
    before = (list(router.log), states_summary(states))
    for command in (CancelOrder(99, "alice"), CancelOrder(1, "bob"), ReplaceOrder(7, 1)):
        with pytest.raises(MarketsimError):
            router.apply(command, 2)
    assert (list(router.log), states_summary(states)) == before


@pytest.mark.skipif(engine.ENGINE != "compiled", reason="this run already uses the pure engine")
def test_sim_run_equals_the_reference_runner_on_the_pure_engine_too():
    # This run checks the compiled engine's RecordRouter; the child, the pure ObjectRouter.
    reference_tests = Path(__file__).with_name("test_sim_reference_runner.py")
    environment = {k: v for k, v in os.environ.items() if k != engine.PURE_ENV_VAR}
    completed = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-x",
            "-p",
            "no:cacheprovider",
            str(reference_tests),
        ],
        env={**environment, engine.PURE_ENV_VAR: "1"},
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert completed.returncode == 0, completed.stdout[-4000:] + completed.stderr[-2000:]
    assert " passed" in completed.stdout


# The compiled engine without the router's extension (a partial build): the object router runs.
WITHOUT_THE_ROUTER = script_without(
    ("marketsim.sim._crouter",),
    """
from marketsim import sim
from marketsim.core import ENGINE, OrderBook
from marketsim.sim.routing import command_router
from marketsim.sim.view import MarketState

router = command_router(OrderBook("ACME"), {}, MarketState())
result = sim.run([sim.ZeroIntelligence()], "ACME", steps=200, seed=7, progress=False)
print(ENGINE, type(router).__name__, len(result.book.events) > 0)
""",
)


@needs_compiled
def test_without_the_router_extension_the_compiled_engine_gets_the_object_router():
    completed = subprocess.run(
        [sys.executable, "-c", WITHOUT_THE_ROUTER],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert completed.returncode == 0, completed.stderr[-2000:]
    assert completed.stdout.split() == ["compiled", "ObjectRouter", "True"]
