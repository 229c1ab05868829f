"""The lazy event log: batches recorded by bulk paths read exactly as events applied one by one.

``OrderBook.record`` keeps a batch (the compiled engine's ``EventBatch``, or any sequence) as
it is and builds its event objects when the log is first read. Whatever mix of ``apply`` and
recorded batches made a log, every reader must see the log that ``apply`` alone would have
made: length, order, indexing, slicing, iteration both ways, equality, pickling and copying.
"""

from __future__ import annotations

import copy
import pickle

from hypothesis import given, settings
from hypothesis import strategies as st

from marketsim.core import EventLog, OrderBook, SubmitOrder
from marketsim.core.eventlog import EventStore

orders = st.builds(
    SubmitOrder,
    st.sampled_from(["buy", "sell"]),
    st.integers(1, 9),
    st.sampled_from([None, 99, 100, 101]),
)
#: A run of commands: applied through the book one by one, or sent to the engine together.
runs = st.tuples(st.sampled_from(["apply", "batch"]), st.lists(orders, min_size=0, max_size=8))


def logged_both_ways(drawn: list) -> tuple[OrderBook, OrderBook]:
    """The same commands through ``apply`` only, and through a mix of apply and batches."""
    reference, mixed = OrderBook("ACME"), OrderBook("ACME")
    ts = 0
    for how, commands in drawn:
        ops = []
        for command in commands:
            ts += 1
            reference.apply(command, ts)
            ops.append((ts, command))
        if how == "apply":
            for at, command in ops:
                mixed.apply(command, at)
        elif ops:
            mixed.record(mixed.engine.apply_many(ops), ts)
    return reference, mixed


@settings(max_examples=150, deadline=None)
@given(st.lists(runs, max_size=8))
def test_a_log_of_recorded_batches_reads_as_the_log_of_apply(drawn):
    reference, mixed = logged_both_ways(drawn)
    expected = list(reference.events)
    log = mixed.events
    assert len(log) == len(expected)  # counted before anything is built
    assert list(log) == expected
    assert list(reversed(log)) == expected[::-1]
    assert log[1:4] == expected[1:4]
    if expected:
        assert log[-1] == expected[-1]
    assert log == reference.events
    assert mixed.ts_event == reference.ts_event


def test_a_batch_is_built_once_when_first_read_and_then_read_as_objects():
    book = OrderBook("ACME")
    ops = [(1, SubmitOrder("sell", 5, 100)), (2, SubmitOrder("buy", 2))]
    book.record(book.engine.apply_many(ops), 2)
    book.apply(SubmitOrder("buy", 1, 99), 3)  # waits behind the batch, in order
    assert len(book.events) == 7
    first = book.events[0]
    assert book.events[0] is first  # the same object every time from now on
    assert [event.seq for event in book.events] == list(range(1, 8))


def test_a_book_with_a_waiting_batch_pickles_and_copies_with_its_whole_log():
    book = OrderBook("ACME")
    book.record(book.engine.apply_many([(1, SubmitOrder("sell", 5, 100))]), 1)
    for twin in (pickle.loads(pickle.dumps(book)), copy.deepcopy(book)):
        assert list(twin.events) == list(book.events)
        assert twin.level_ticks("ask") == [(100, 5, 1)]
    assert pickle.loads(pickle.dumps(EventStore())).events() == []


def test_an_event_log_over_a_plain_list_still_works():
    events = OrderBook("ACME").apply(SubmitOrder("sell", 5, 100), 1)
    log = EventLog(events, OrderBook("ACME").instrument)
    assert len(log) == 2 and list(log) == events and log[0] is events[0]
