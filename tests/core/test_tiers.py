"""The compiled engine's two tiers: the book in C structures, and the pure engine's objects.

The compiled engine keeps a plain book in C and moves it into objects for any rarer rule or
any reader of ``engine.book`` (``marketsim/core/_ctier.pxi``). Here the engines are run with
the move back into C tried after every plain command, and the test reads ``engine.book`` at
random moments, so that random command streams cross the tier boundary again and again:
every event must still equal the pure engine's. ``apply_many``'s lazy ``EventBatch`` is
checked as the sequence it claims to be.
"""

from __future__ import annotations

import contextlib
import pickle

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from test_differential import (
    apply_one_by_one,
    book_state,
    command_of,
    compact_steps,
    outcome,
    steps,
)

from marketsim.core import engine
from marketsim.core.batch import as_command
from marketsim.core.commands import CancelOrder, ExecuteOrder, ReplaceOrder, SubmitOrder
from marketsim.core.matching import MatchingEngine as PureEngine
from marketsim.core.orderbook import OrderBook
from marketsim.errors import MarketsimError

pytestmark = pytest.mark.skipif(
    engine.ENGINE != "compiled", reason="the compiled engine is not active here"
)


def object_layout(engine_) -> tuple:
    """What a snapshot or a fingerprint also sees: the dicts' orders and the trade counter."""
    book = engine_.book
    return (
        list(book.bids.levels),
        list(book.asks.levels),
        list(book.orders),
        [list(level.orders) for level in book.bids.levels.values()],
        repr(engine_._next_trade_id.__self__),
    )


def eager_engine():
    """A compiled engine that moves its book back into C after every plain command."""
    subject = engine.MatchingEngine()
    subject._fast.promote_after = 1
    subject._fast.max_backoff = 0
    return subject


@settings(max_examples=600, deadline=None)
@given(st.lists(st.tuples(steps, st.booleans()), min_size=10, max_size=100))
def test_events_stay_equal_across_tier_changes(drawn):
    pure, compiled = PureEngine(), eager_engine()
    for ts, (step, read_book) in enumerate(drawn):
        try:
            command = command_of(step)
        except MarketsimError:
            continue
        assert outcome(compiled, command, ts) == outcome(pure, command, ts), (ts, step)
        if read_book:  # a reader of the object book moves it out of C
            assert book_state(compiled) == book_state(pure), (ts, step)
            assert not compiled.fast_tier_active
            assert object_layout(compiled) == object_layout(pure), (ts, step)
    assert book_state(compiled) == book_state(pure)
    assert object_layout(compiled) == object_layout(pure)
    compiled.book.check_integrity(allow_cross=compiled.phase != "continuous")


@settings(max_examples=300, deadline=None)
@given(st.lists(compact_steps, max_size=60))
def test_apply_many_across_tiers_gives_the_events_of_apply(drawn):
    ops = list(enumerate(drawn))
    expected_events, expected_error, expected_message = apply_one_by_one(PureEngine(), ops)
    try:
        batch = eager_engine().apply_many(ops)
    except MarketsimError as error:
        assert (type(error), str(error)) == (expected_error, expected_message)
        return
    assert expected_error is None
    assert batch == expected_events
    assert list(batch) == expected_events


def mixed_commands(drawn_steps):
    """Command objects of every type for ``apply_many`` (malformed ones left out)."""
    commands = []
    for step in drawn_steps:
        with contextlib.suppress(MarketsimError):
            commands.append(command_of(step))
    return commands


@settings(max_examples=300, deadline=None)
@given(st.lists(steps, max_size=80), st.integers(1, 5))
def test_apply_many_of_every_command_type_matches_the_pure_engine(drawn, chunk):
    commands = list(enumerate(mixed_commands(drawn)))
    pure, compiled = PureEngine(), eager_engine()
    for start in range(0, len(commands), chunk):
        ops = commands[start : start + chunk]
        expected, error, message = apply_one_by_one(pure, ops)
        try:
            batch = compiled.apply_many(ops)
        except MarketsimError as raised:
            assert (type(raised), str(raised)) == (error, message)
            return
        assert error is None
        assert batch == expected
    assert book_state(compiled) == book_state(pure)


def plain_flow(subject):
    """A few plain orders on both sides, some trading."""
    events = []
    for ts, (side, qty, price) in enumerate(
        [("sell", 5, 101), ("sell", 3, 102), ("buy", 4, 99), ("buy", 6, 101), ("sell", 2, 99)]
    ):
        events += subject.apply(SubmitOrder(side, qty, price, owner="alice"), ts)
    return events


def test_a_stop_moves_the_book_out_of_c_and_plain_flow_moves_it_back():
    subject = eager_engine()
    assert subject.fast_tier_active  # a new engine starts in C
    plain_flow(subject)
    assert subject.fast_tier_active
    subject.apply(SubmitOrder("buy", 1, None, stop_price_ticks=150, owner="bob"), 10)
    assert not subject.fast_tier_active  # a pending stop lives in the object tier
    subject.apply(SubmitOrder("buy", 1, 90), 11)
    assert not subject.fast_tier_active
    stop_id = next(iter(subject.stop_orders))
    subject.apply(CancelOrder(stop_id), 12)
    subject.apply(SubmitOrder("buy", 1, 90), 13)
    assert subject.fast_tier_active  # plain again: back in C


def test_a_kept_reference_to_the_object_book_keeps_it_in_objects():
    subject = eager_engine()
    plain_flow(subject)
    bids = subject.book.bids  # as a market view does: it must never go stale
    for ts in range(20, 30):
        subject.apply(SubmitOrder("buy", 1, 95 + ts % 3), ts)
    assert not subject.fast_tier_active
    assert sum(level.qty_lots for level in bids.levels.values()) == sum(
        order.qty_lots for order in subject.book.orders.values() if order.side == "buy"
    )
    del bids
    subject.apply(SubmitOrder("buy", 1, 90), 40)
    assert subject.fast_tier_active


def test_lobster_style_executions_and_partial_cancels_run_in_c():
    pure, compiled = PureEngine(), eager_engine()
    commands = [
        SubmitOrder("sell", 10, 101, order_id=500),
        SubmitOrder("sell", 4, 101, order_id=501),
        ExecuteOrder(500, 3),
        ReplaceOrder(500, qty_lots=5),  # a partial cancel keeps the order's place
        ExecuteOrder(500, 5),
        ReplaceOrder(501, price_ticks=99),
        SubmitOrder("buy", 2, 99, order_id=7),
    ]
    for ts, command in enumerate(commands):
        assert compiled.apply(command, ts) == pure.apply(command, ts)
        assert compiled.fast_tier_active
    assert book_state(compiled) == book_state(pure)


def test_the_event_batch_is_a_sequence_of_events():
    ops = [(ts, ("sell" if ts % 2 else "buy", 3, 100, "GTC", "x")) for ts in range(6)]
    expected, _, _ = apply_one_by_one(PureEngine(), ops)
    batch = engine.MatchingEngine().apply_many(ops)
    assert len(batch) == len(expected)
    assert batch[0] == expected[0] and batch[-1] == expected[-1]
    assert batch[1:4] == expected[1:4] and batch[::2] == expected[::2]
    assert list(reversed(batch)) == expected[::-1]
    extra = [expected[0]]
    assert batch + extra == [*expected, *extra] and extra + batch == [*extra, *expected]
    assert pickle.loads(pickle.dumps(batch)) == expected
    events = []
    events += batch
    assert events == expected
    with pytest.raises(IndexError):
        batch[len(expected)]


def test_a_pickled_engine_in_c_continues_as_the_pure_one():
    pure, compiled = PureEngine(), eager_engine()
    assert plain_flow(compiled) == plain_flow(pure)
    restored = pickle.loads(pickle.dumps(compiled))
    command = SubmitOrder("buy", 9, 102)
    assert restored.apply(command, 50) == pure.apply(command, 50)
    assert restored.apply(as_command(("sell", 1, 90, "IOC", "")), 51) == pure.apply(
        as_command(("sell", 1, 90, "IOC", "")), 51
    )


def test_level_reads_come_from_c_without_moving_the_book():
    pure, compiled = PureEngine(), eager_engine()
    plain_flow(pure)
    plain_flow(compiled)
    for side in ("bid", "ask"):
        for depth in (None, 0, 1, 2, 50):
            assert compiled.level_ticks(side, depth) == pure.level_ticks(side, depth)
    with pytest.raises(ValueError) as compiled_error:
        compiled.level_ticks("bid", -1)
    with pytest.raises(ValueError) as pure_error:
        pure.level_ticks("bid", -1)
    assert str(compiled_error.value) == str(pure_error.value)
    for side in ("bid", "ask"):
        assert compiled.best_ticks(side) == pure.best_ticks(side)
    assert compiled.fast_tier_active
    empty = eager_engine()
    assert empty.best_ticks("bid") is None and empty.best_ticks("ask") is None


def test_an_order_book_shows_quotes_while_its_engine_stays_in_c():
    book = OrderBook("ACME")
    book.engine._fast.promote_after = 1
    book.apply(SubmitOrder("sell", 5, 1010))
    book.apply(SubmitOrder("buy", 3, 990))
    assert book.engine.fast_tier_active
    assert (book.best_bid_ticks, book.best_ask_ticks) == (990, 1010)
    assert book.level_ticks("ask") == [(1010, 5, 1)]
    assert book.engine.fast_tier_active


def summary(book: OrderBook, command, ts: int):
    """What ``OrderBook.execute`` reports for a command, or the error it raised."""
    try:
        result = book.execute(command, ts)
    except MarketsimError as error:
        return type(error), str(error)
    return (
        result.status,
        result.reason,
        result.filled_lots,
        result.leaves_lots,
        result.queue_spot,
        result.events,
    )


@settings(max_examples=300, deadline=None)
@given(st.lists(steps, min_size=5, max_size=80))
def test_order_results_stay_equal_while_the_engine_changes_tier(drawn):
    pure_book, compiled_book = OrderBook("ACME"), OrderBook("ACME")
    pure_book.engine = PureEngine()
    compiled_book.engine = eager_engine()
    for ts, step in enumerate(drawn):
        try:
            command = command_of(step)
        except MarketsimError:
            continue
        if type(command) not in (SubmitOrder, CancelOrder, ReplaceOrder, ExecuteOrder):
            assert outcome(compiled_book.engine, command, ts) == outcome(
                pure_book.engine, command, ts
            )
            continue
        assert summary(compiled_book, command, ts) == summary(pure_book, command, ts), step
    assert book_state(compiled_book.engine) == book_state(pure_book.engine)


def test_order_book_commands_leave_the_engine_in_c():
    book = OrderBook("ACME")
    book.engine._fast.promote_after = 1
    book.execute(SubmitOrder("sell", 5, 1010))
    result = book.execute(SubmitOrder("sell", 2, 1010))
    assert (result.queue_spot.position, result.queue_spot.orders_at_level) == (2, 2)
    book.execute(CancelOrder(result.order_id))
    assert book.engine.fast_tier_active
