"""``OrderBook.record``: bulk loops call the engine directly and log what it returned."""

from __future__ import annotations

from marketsim.core import OrderBook, SubmitOrder


def test_recorded_engine_events_read_as_if_applied_through_the_book():
    through_book, direct = OrderBook("ACME"), OrderBook("ACME")
    commands = [SubmitOrder("sell", 5, 1000), SubmitOrder("buy", 3, 1000), SubmitOrder("buy", 1)]
    for ts, command in enumerate(commands, start=10):
        expected = through_book.apply(command, ts)
        events = direct.engine.apply(command, ts)
        direct.record(events, ts)
        assert events == expected
    assert list(direct.events) == list(through_book.events)
    assert direct.ts_event == through_book.ts_event == 12
    assert direct.level_ticks("ask") == through_book.level_ticks("ask") == [(1000, 1, 1)]


def test_a_book_without_a_log_records_only_the_time():
    book = OrderBook("ACME", keep_events=False)
    book.record(book.engine.apply(SubmitOrder("sell", 5, 1000), 7), 7)
    assert len(book.events) == 0
    assert book.ts_event == 7
