"""The compiled engine against the pure one: random command streams, every event equal.

Both engines get the same commands of every type (plain, IOC, FOK and post-only orders,
market orders, stops, icebergs, self-trade prevention, cancels, replaces, executions, phase
changes and uncrosses); each command must give equal event batches, or the same exception
(type and message) from both. ``apply_many`` is checked the same way against ``apply``.
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from marketsim.core import engine
from marketsim.core.batch import as_command
from marketsim.core.commands import (
    CancelOrder,
    ExecuteOrder,
    ReplaceOrder,
    SetPhase,
    SubmitOrder,
    Uncross,
)
from marketsim.core.events import STP_MODES
from marketsim.core.matching import MatchingEngine as PureEngine
from marketsim.errors import MarketsimError

CompiledEngine = engine.MatchingEngine
#: The engines this run can test: the pure one, and the compiled one when it is active.
ENGINES = [PureEngine] + ([CompiledEngine] if engine.ENGINE == "compiled" else [])
needs_compiled = pytest.mark.skipif(
    engine.ENGINE != "compiled",
    reason="the compiled engine is not active here (the compiled run covers it)",
)

order_ids = st.integers(1, 12)
prices = st.integers(99, 101)
owners = st.sampled_from(["", "alice", "bob"])

submits = st.builds(
    lambda side, qty, price, tif, post_only, owner, stop, display, stp: (
        "submit",
        side,
        qty,
        price,
        tif,
        post_only,
        owner,
        stop,
        display,
        stp,
    ),
    st.sampled_from(["buy", "sell"]),
    st.integers(1, 12),
    st.sampled_from([None, 99, 100, 100, 101, 101, 99]),
    st.sampled_from(["GTC", "GTC", "GTC", "IOC", "FOK"]),
    st.sampled_from([False, False, False, True]),
    owners,
    st.sampled_from([None] * 8 + [99, 100, 101]),
    st.sampled_from([0] * 8 + [2, 5]),
    st.sampled_from(["", "", *STP_MODES]),
)
phases = st.sampled_from(["continuous"] * 3 + ["auction", "halted"])
other_steps = {
    "cancel": st.tuples(
        st.just("cancel"), order_ids, st.sampled_from([None, None, "alice", "bob"])
    ),
    "replace": st.tuples(
        st.just("replace"),
        order_ids,
        st.one_of(st.none(), st.integers(1, 12)),
        st.one_of(st.none(), prices),
        st.one_of(st.none(), st.none(), prices),
    ),
    "execute": st.tuples(st.just("execute"), order_ids, st.integers(1, 6)),
    "phase": st.tuples(st.just("phase"), phases),
    "uncross": st.tuples(st.just("uncross")),
}
#: Mostly orders, so that books fill and trade; every other command type now and then.
steps = st.sampled_from(
    ["submit"] * 12 + ["cancel"] * 3 + ["replace"] * 2 + ["execute", "phase", "uncross"]
).flatmap(lambda kind: submits if kind == "submit" else other_steps[kind])


def command_of(step: tuple):
    """The command a drawn step stands for (building it may raise, for both engines alike)."""
    kind, *args = step
    if kind == "submit":
        side, qty, price, tif, post_only, owner, stop, display, stp = args
        return SubmitOrder(side, qty, price, tif, post_only, owner, None, stop, display, stp)
    if kind == "cancel":
        return CancelOrder(*args)
    if kind == "replace":
        order_id, qty, price, stop = args
        return ReplaceOrder(order_id, qty, price, stop_price_ticks=stop)
    if kind == "execute":
        return ExecuteOrder(*args)
    if kind == "phase":
        return SetPhase(*args)
    return Uncross()


def outcome(engine_, command, ts: int):
    """The events of one command, or the exception it raised as (type, message)."""
    try:
        return engine_.apply(command, ts)
    except MarketsimError as error:
        return type(error), str(error)


def book_state(engine_) -> tuple:
    """Everything the engines keep: levels with their queues, pending stops, phase, ids."""
    book = engine_.book
    halves = [
        [
            (level.price_ticks, level.qty_lots, [repr(order) for order in level.orders.values()])
            for level in half.iter_levels()
        ]
        for half in (book.bids, book.asks)
    ]
    stops = [repr(stop) for side in ("buy", "sell") for stop in engine_.stops.listed(side)]
    return (
        halves,
        stops,
        engine_.phase,
        engine_.seq,
        engine_.order_ids.next_id,
        engine_.last_trade_ticks,
        sorted(engine_.auction_orders),
    )


@needs_compiled
@settings(max_examples=1000, deadline=None)
@given(st.lists(steps, min_size=10, max_size=100))
def test_compiled_and_pure_engines_emit_equal_events_for_every_command_type(drawn):
    pure, compiled = PureEngine(), CompiledEngine()
    for ts, step in enumerate(drawn):
        try:
            command = command_of(step)
        except MarketsimError:
            continue  # a malformed command never reaches an engine
        assert outcome(compiled, command, ts) == outcome(pure, command, ts), (ts, step)
    assert book_state(compiled) == book_state(pure)
    pure.book.check_integrity(allow_cross=pure.phase != "continuous")
    compiled.book.check_integrity(allow_cross=compiled.phase != "continuous")


compact_steps = st.one_of(
    st.tuples(
        st.sampled_from(["buy", "sell", "hold"]),
        st.sampled_from([1, 5, 12, 0, -1, 2.5, True]),
        st.sampled_from([None, 99, 100, 101, 0, 100.5]),
        st.sampled_from(["GTC", "GTC", "IOC", "FOK", "DAY"]),
        st.sampled_from(["", "alice", 7]),
    ),
    order_ids,
    st.sampled_from([0, -3, ("buy", 5), ("sell", 5, 100, "GTC", "", False)]),
    st.builds(SetPhase, st.sampled_from(["continuous", "auction", "halted"])),
    st.builds(SubmitOrder, st.sampled_from(["buy", "sell"]), st.integers(1, 12), prices),
    st.builds(CancelOrder, order_ids),
    st.just(Uncross()),
)


def apply_one_by_one(pure: PureEngine, ops: list) -> list | tuple:
    """What ``apply`` gives for the same compact commands: all events, or the first error."""
    events: list = []
    for ts, command in ops:
        try:
            events += pure.apply(as_command(command), ts)
        except MarketsimError as error:
            return events, type(error), str(error)
    return events, None, None


@settings(max_examples=200, deadline=None)
@given(st.lists(compact_steps, max_size=40))
def test_apply_many_gives_the_events_of_apply_and_the_same_first_error(drawn):
    ops = list(enumerate(drawn))
    expected_events, expected_error, expected_message = apply_one_by_one(PureEngine(), ops)
    for engine_class in ENGINES:
        subject = engine_class()
        try:
            batch = subject.apply_many(ops)
        except MarketsimError as error:
            assert (type(error), str(error)) == (expected_error, expected_message)
            continue
        assert expected_error is None
        assert batch == expected_events
