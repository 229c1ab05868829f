"""``TraderState``: the conflated picture, the own-order mirror and queue positions, checked
against the engine's own events and book."""

from __future__ import annotations

from marketsim import OrderBook
from marketsim.tui.state import TraderState


def follow(book: OrderBook) -> TraderState:
    """A state that starts from ``book`` as it is now (a snapshot), as the feed does."""
    state = TraderState(book.symbol)
    state.reset(book.instrument, book.seq, book.level_ticks("bid"), book.level_ticks("ask"))
    return state


def feed_since(state: TraderState, book: OrderBook, seq: int) -> None:
    """Apply the engine's events after ``seq`` in batches, as the stream delivers them."""
    events = [event for event in book.events if event.seq > seq]
    batch: list = []
    for event in events:
        batch.append(event)
        if getattr(event, "last", False):
            state.apply(batch)
            batch = []
    if batch:
        state.apply(batch)


def test_picture_matches_the_engine_book_after_the_same_events():
    book = OrderBook("ACME", tick_size=0.01)
    book.submit("sell", 5, 100.10, owner="x")
    state = follow(book)
    start = book.seq
    for price in (100.05, 100.07, 100.10):
        book.submit("sell", 3, price, owner="x")
    book.submit("buy", 4, 99.90, owner="y")
    book.submit("buy", 4, owner="z")  # takes 3 @ 100.05 and 1 @ 100.07

    feed_since(state, book, start)

    picture = state.picture(10)
    assert picture.seq == book.seq
    assert picture.asks == book.level_ticks("ask")
    assert picture.bids == book.level_ticks("bid")
    assert [(t.price_ticks, t.qty_lots, t.aggressor_side) for t in picture.tape] == [
        (10005, 3, "buy"),
        (10007, 1, "buy"),
    ]


def test_own_order_shows_its_place_behind_volume_that_was_there_before_the_stream():
    book = OrderBook("ACME", tick_size=0.01)
    book.submit("buy", 7, 99.00, owner="early")  # rests before the stream begins
    state = follow(book)
    start = book.seq
    mine = book.submit("buy", 2, 99.00, owner="me")
    book.submit("buy", 9, 99.00, owner="late")  # behind mine
    state.own(mine.order_id)
    feed_since(state, book, start)

    (order,) = state.open_orders()
    assert (order.order_id, order.leaves_lots, order.price_ticks) == (mine.order_id, 2, 9900)
    assert (order.queue_position, order.ahead_lots) == (2, 7)

    seq = book.seq
    book.submit("sell", 8, owner="taker")  # fills the early 7 and 1 of mine
    feed_since(state, book, seq)
    (order,) = state.open_orders()
    assert (order.queue_position, order.ahead_lots, order.leaves_lots) == (1, 0, 1)


def test_amend_that_keeps_priority_keeps_the_place_and_one_that_loses_it_goes_last():
    book = OrderBook("ACME", tick_size=0.01)
    state = follow(book)
    mine = book.submit("sell", 5, 101.00, owner="me")
    book.submit("sell", 5, 101.00, owner="other")
    state.own(mine.order_id)
    feed_since(state, book, 0)

    seq = book.seq
    book.replace(mine.order_id, qty=3)  # smaller: keeps its place
    feed_since(state, book, seq)
    assert [(o.queue_position, o.leaves_lots) for o in state.open_orders()] == [(1, 3)]

    seq = book.seq
    book.replace(mine.order_id, qty=6)  # larger: to the back
    feed_since(state, book, seq)
    assert [(o.queue_position, o.ahead_lots) for o in state.open_orders()] == [(2, 5)]

    seq = book.seq
    book.cancel(mine.order_id)
    feed_since(state, book, seq)
    assert state.open_orders() == []


def test_updates_between_two_pictures_are_conflated_into_the_latest_state():
    book = OrderBook("ACME", tick_size=0.01)
    state = follow(book)
    version = state.version
    for i in range(500):
        book.submit("buy", 1 + i % 3, 99.00 - (i % 7) / 100, owner="x")
    feed_since(state, book, 0)

    assert state.version > version
    picture = state.picture(3)
    assert picture.seq == book.seq
    assert picture.bids == book.level_ticks("bid", 3)
    assert state.updates == sum(1 for e in book.events if type(e).__name__ == "BookDelta")


def test_a_reconnect_counts_once_and_switching_instrument_forgets_the_old_picture():
    state = TraderState("ACME")
    state.set_connection("live", "live")
    state.set_connection("disconnected", "gone")
    state.set_connection("connecting", "trying")
    state.set_connection("disconnected", "still gone")
    state.set_connection("live", "back")
    state.switch("XYZ")
    state.set_connection("live", "XYZ is live")

    assert state.reconnects == 1
    picture = state.picture(5)
    assert (picture.symbol, picture.bids, picture.asks, picture.tape) == ("XYZ", [], [], [])


def test_connection_options_reach_the_client_constructor_only_when_given():
    from marketsim.tui.command import client_options
    from marketsim.tui.feed import MarketFeed

    assert client_options(None, False) == {}
    assert client_options("secret", True) == {"token": "secret", "tls": True}
    feed = MarketFeed(TraderState("ACME"), "127.0.0.1:1", owner="me", client_options={"timeout": 3})
    client = feed.new_client()
    assert (client.address, client.owner, client.timeout) == ("127.0.0.1:1", "me", 3)
