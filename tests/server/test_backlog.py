"""``Backlog``: what a resuming stream is sent, checked against the plain list of events."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from marketsim.core.events import PhaseChanged
from marketsim.server.publications import Backlog, Published


def events(first: int, count: int) -> list:
    return [PhaseChanged(seq, seq, "halted", "continuous") for seq in range(first, first + count)]


def publish(backlog: Backlog, sizes: list[int], first: int = 1) -> list:
    published = []
    for size in sizes:
        batch = events(first + len(published), size)
        backlog.append(Published("ACME", batch))
        published.extend(batch)
    return published


@given(
    sizes=st.lists(st.integers(1, 20), min_size=1, max_size=30),
    bound=st.integers(1, 100),
    data=st.data(),
)
def test_since_returns_exactly_the_later_events_or_none(sizes, bound, data):
    backlog = Backlog(bound)
    published = publish(backlog, sizes)
    from_seq = data.draw(st.integers(0, len(published) + 2))
    items = backlog.since(from_seq)
    held = sum(len(item.events) for item in backlog._items)
    assert held <= bound or len(backlog._items) == 1  # the newest publication always stays
    if from_seq < backlog.floor or from_seq > len(published):
        assert items is None
    else:
        assert [e for item in items for e in item.events] == published[from_seq:]
        assert all(item.seq == item.events[-1].seq for item in items)


def test_a_publication_that_does_not_follow_restarts_the_backlog():
    backlog = Backlog(100)
    publish(backlog, [3, 3])
    backlog.append(Published("ACME", events(10, 2)))  # seqs 7-9 were never published
    assert backlog.floor == 9
    assert backlog.since(6) is None
    assert [e.seq for item in backlog.since(9) for e in item.events] == [10, 11]


def test_an_empty_backlog_cannot_resume_anything():
    backlog = Backlog(10)
    assert backlog.seq is None and backlog.since(0) is None
