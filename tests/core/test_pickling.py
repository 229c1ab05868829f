"""A pickled and unpickled book (as journal snapshots make) carries on exactly like the original."""

from __future__ import annotations

import pickle

from marketsim.core import OrderBook


def busy_book() -> OrderBook:
    book = OrderBook("ACME", 0.01, keep_events=False)
    book.submit("sell", 10, price=100.0, display_qty=4, owner="ice")  # an iceberg
    book.submit("buy", 3, price=100.0, owner="a")  # partly fills its shown part
    book.submit("buy", 5, price=99.0, owner="b")
    book.submit("sell", 2, price=98.0, stop_price=99.5, owner="s")  # a pending stop
    book.set_phase("auction")
    book.submit("buy", 2, price=101.0, owner="c")
    return book


def carry_on(book: OrderBook) -> list:
    events = []
    for step in (
        lambda: book.set_phase("continuous"),
        lambda: book.submit("sell", 4, price=99.0, owner="d"),
        lambda: book.submit("buy", 9, price=100.0, owner="e"),
        lambda: book.submit("sell", 20, owner="f"),
    ):
        result = step()
        events += result if isinstance(result, list) else result.events
    return events


def test_an_unpickled_book_produces_the_same_events_as_the_original():
    original = busy_book()
    copy = pickle.loads(pickle.dumps(original))

    assert copy.engine.phase is original.engine.phase  # the constant the hot path tests with `is`
    expected = carry_on(original)
    assert any(type(e).__name__ == "StopTriggered" for e in expected)
    assert carry_on(copy) == expected
