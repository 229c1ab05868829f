"""``BookTimeline``: undo and redo rebuild exactly the book each step left."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from marketsim.teach import BookTimeline


def three_steps() -> BookTimeline:
    timeline = BookTimeline()
    timeline.submit("sell", 5, 100.01, owner="alice")
    timeline.submit("sell", 3, 100.01, owner="bob")
    timeline.submit("buy", 6, 100.01, owner="carol")
    return timeline


def test_queues_list_orders_in_time_priority_with_owner_and_size() -> None:
    timeline = three_steps()
    assert timeline.queues("ask") == [(100.01, ((2, "bob", 2),))]
    timeline.undo()
    assert timeline.queues("ask") == [(100.01, ((1, "alice", 5), (2, "bob", 3)))]
    assert timeline.queues("bid") == []


def test_undo_redo_walk_the_event_log_and_a_new_command_forgets_the_redo() -> None:
    timeline = three_steps()
    after_trade = list(timeline.book.events)
    assert timeline.undo() and timeline.undo()
    assert timeline.book.seq == 2 and timeline.can_redo
    assert timeline.redo() and timeline.redo()
    assert list(timeline.book.events) == after_trade
    assert not timeline.redo()
    timeline.undo()
    result = timeline.submit("buy", 1, 100.01, owner="dave")
    assert result.order_id == 3  # the undone carol order's id is free again
    assert not timeline.can_redo


def test_reset_empties_book_and_history() -> None:
    timeline = three_steps()
    timeline.reset()
    assert timeline.book.order_count == 0 and timeline.book.seq == 0
    assert not timeline.can_undo and not timeline.can_redo
    assert not timeline.undo()


def test_steps_carry_a_label_and_the_engine_explanation() -> None:
    timeline = three_steps()
    step = timeline.steps[-1]
    assert step.label == "carol: buy 6 @ 100.01 GTC"
    assert "matched order 1: 5 @ 100.01" in step.explanation
    assert step.traded_order_ids == {1, 2}


def test_queue_text_names_each_order() -> None:
    timeline = three_steps()
    timeline.submit("buy", 2, 99.99, owner="dave", display_qty=1)
    assert timeline.queue_text().splitlines() == [
        "ACME queues",
        "ask 100.01: #2 bob 2",
        "--",
        "bid 99.99: #4 dave 1",
    ]


orders = st.tuples(
    st.sampled_from(["buy", "sell"]),
    st.integers(1, 5),
    st.integers(9995, 10005),
    st.sampled_from(["alice", "bob"]),
)


@settings(max_examples=40, deadline=None)
@given(st.lists(orders, min_size=1, max_size=12), st.integers(1, 12))
def test_undoing_k_steps_gives_the_book_those_steps_had_not_yet_touched(commands, k) -> None:
    timeline = BookTimeline()
    snapshots = [timeline.queue_text()]
    for side, qty, ticks, owner in commands:
        timeline.submit(side, qty, ticks / 100, owner=owner)
        snapshots.append(timeline.queue_text())
    k = min(k, len(commands))
    for _ in range(k):
        timeline.undo()
    assert timeline.queue_text() == snapshots[-1 - k]
    timeline.book.check_integrity()
    for _ in range(k):
        timeline.redo()
    assert timeline.queue_text() == snapshots[-1]
