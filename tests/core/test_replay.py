"""Replaying a book's event log rebuilds the same book; a tampered log is refused."""

from __future__ import annotations

import dataclasses
import random
from decimal import Decimal

import pytest

from marketsim import InvalidCommandError, OrderBook, PermissionDeniedError, UnknownOrderError
from marketsim.core import (
    BookDelta,
    EventLog,
    ExecuteOrder,
    OrderAccepted,
    OrderCancelled,
    OrderRejected,
    OrderReplaced,
    SubmitOrder,
    Trade,
)

TICK = Decimal("0.01")
SEEDS = (1, 2, 3, 20_240_601)


def run_random_session(seed: int, commands: int) -> OrderBook:
    """A seeded stream of every kind of command, errors included, against one book."""
    rng = random.Random(seed)
    book = OrderBook("ACME", tick_size=str(TICK), lot_size=1)
    leaves: dict[int, int] = {}  # open qty of every live order, followed through the events
    ts = 0

    def price(side: str | None = None) -> Decimal:
        """Mostly on the order's own side of 100.00 so the book builds depth; some cross."""
        away = rng.randint(-3, 12)
        if side is None:
            away = rng.choice((-1, 1)) * away
        return (10_000 - away if side == "buy" else 10_000 + away) * TICK

    def follow(events: list) -> None:
        for event in events:
            if isinstance(event, OrderAccepted):
                leaves[event.order_id] = event.qty_lots
            elif isinstance(event, Trade):
                leaves[event.maker_order_id] -= event.qty_lots
                if event.taker_order_id:  # 0: an outside counterparty (ExecuteOrder)
                    leaves[event.taker_order_id] -= event.qty_lots
            elif isinstance(event, OrderCancelled):
                leaves[event.order_id] -= event.qty_lots
            elif isinstance(event, OrderReplaced):
                leaves[event.order_id] = event.qty_lots
        for order_id in [order_id for order_id, qty in leaves.items() if not qty]:
            del leaves[order_id]

    for _ in range(commands):
        ts += rng.choice((0, 1, 1, 1_000))
        ts_event = ts if rng.random() < 0.8 else None
        side = rng.choice(("buy", "sell"))
        roll = rng.random()
        try:
            if roll < 0.62:
                tif = rng.choice(("GTC", "GTC", "GTC", "IOC", "FOK"))
                result = book.submit(
                    side,
                    rng.randint(1, 10),
                    price=price(side),
                    tif=tif,
                    post_only=tif == "GTC" and rng.random() < 0.2,
                    owner=rng.choice(("alice", "bob", "carol")),
                    ts_event=ts_event,
                )
            elif roll < 0.67:
                tif = rng.choice(("GTC", "IOC", "FOK"))
                result = book.submit(side, rng.randint(1, 15), tif=tif, ts_event=ts_event)
            elif roll < 0.672:
                # A sweep: a market order larger than the other side, then one that finds
                # that side empty.
                follow(book.submit(side, 100_000, tif="IOC", owner="erin").events)
                result = book.submit(side, 1, owner="erin")
            elif roll < 0.76 and leaves:
                result = book.cancel(rng.choice(list(leaves)), ts_event=ts_event)
            elif roll < 0.90 and leaves:
                change = rng.choice(("qty", "price", "both"))
                result = book.replace(
                    rng.choice(list(leaves)),
                    qty=None if change == "price" else rng.randint(1, 12),
                    price=None if change == "qty" else price(),
                    ts_event=ts_event,
                )
            elif roll < 0.92 and leaves:
                order_id = rng.choice(list(leaves))
                qty = rng.randint(1, leaves[order_id])
                result = book.execute(ExecuteOrder(order_id, qty), ts_event=ts_event)
            elif roll < 0.95:
                book.cancel(rng.randint(1, 3 * commands), owner="mallory")
                continue
            else:
                book.submit(side, rng.choice((0, -1, 1.5)), price=price())
                continue
        except (UnknownOrderError, PermissionDeniedError, InvalidCommandError):
            continue
        follow(result.events)
    assert book.order_count == len(leaves)
    return book


def describe(book: OrderBook) -> dict:
    """Everything that must survive a replay: ladder, queues with ids, seq, best prices."""
    return {
        "seq": book.seq,
        "order_count": book.order_count,
        "best": (book.best_bid, book.best_ask),
        "levels": {side: book.levels(side) for side in ("bid", "ask")},
        "queues": {
            (side, price): book.queue(side, price)
            for side in ("bid", "ask")
            for price, _, _ in book.levels(side)
        },
    }


@pytest.fixture(scope="module", params=SEEDS, ids=lambda seed: f"seed{seed}")
def long_session(request) -> tuple[int, OrderBook]:
    return request.param, run_random_session(request.param, 20_000)


def test_long_random_session_exercises_trades_rests_and_every_outcome(long_session):
    _, book = long_session
    events = book.events
    cancel_reasons = {e.reason for e in events if isinstance(e, OrderCancelled)}
    reject_reasons = {e.reason for e in events if isinstance(e, OrderRejected)}
    assert sum(isinstance(e, Trade) for e in events) > 1_000
    assert cancel_reasons == {"user", "ioc_remainder", "market_remainder", "post_only_would_cross"}
    assert reject_reasons == {"fok_unfillable", "post_only_would_cross", "no_liquidity"}
    assert any(isinstance(e, Trade) and e.taker_order_id == 0 for e in events)
    assert book.order_count > 10
    assert book.levels("bid") and book.levels("ask")


def test_replay_of_event_log_rebuilds_same_ladder_queues_and_seq(long_session):
    _, book = long_session
    replayed = OrderBook.replay(book.events)

    replayed.check_integrity()
    assert describe(replayed) == describe(book)
    assert list(replayed.events) == list(book.events)
    assert replayed.instrument == book.instrument


NEXT_COMMANDS = [
    ("buy", 40, {}),
    ("sell", 40, {"price": Decimal("99.95")}),
    ("buy", 3, {"price": Decimal("99.00"), "post_only": True}),
    ("sell", 10_000, {"price": Decimal("99.00"), "tif": "FOK"}),
    ("sell", 5, {"price": Decimal("150.00"), "ts_event": 10**15}),
    ("buy", 2, {"price": Decimal("100.00"), "tif": "IOC"}),
]


def test_replayed_book_gives_next_orders_same_ids_and_outcomes(long_session):
    seed, book = long_session
    replayed = OrderBook.replay(book.events)
    original = run_random_session(seed, 20_000)  # the same session again: the fixture is shared
    assert describe(original) == describe(book)

    for side, qty, options in NEXT_COMMANDS:
        expected = original.submit(side, qty, **options)
        got = replayed.submit(side, qty, **options)

        assert got.order_id == expected.order_id
        assert got.events == expected.events
        assert (got.status, got.filled_qty, got.leaves_qty) == (
            expected.status,
            expected.filled_qty,
            expected.leaves_qty,
        )
    assert describe(replayed) == describe(original)
    assert any(isinstance(e, Trade) for e in replayed.events[len(book.events) :])


# -- explicit order ids (SubmitOrder(order_id=...) applied to a book, as replay does) --------


def test_submit_after_explicit_order_id_gets_an_id_that_is_not_live():
    book = OrderBook("ACME", tick_size=1)
    book.apply(SubmitOrder("buy", 1, 100, order_id=2))

    first = book.submit("buy", 1, price=99)
    second = book.submit("buy", 1, price=98)

    assert len({2, first.order_id, second.order_id}) == 3, "two live orders share an id"
    assert book.order_count == 3


def test_replayed_book_gives_next_order_same_id_when_log_has_explicit_order_ids():
    book = OrderBook("ACME", tick_size=1)
    book.apply(SubmitOrder("sell", 1, 100, order_id=50))
    replayed = OrderBook.replay(book.events)

    assert replayed.submit("buy", 1, price=90).order_id == book.submit("buy", 1, price=90).order_id


# -- tampered logs ----------------------------------------------------------------------------


def _remove(events: list, rng: random.Random) -> list:
    del events[rng.randrange(len(events))]
    return events


def _remove_last(events: list, rng: random.Random) -> list:
    return events[:-1]


def _swap_neighbours(events: list, rng: random.Random) -> list:
    i = rng.randrange(len(events) - 1)
    events[i], events[i + 1] = events[i + 1], events[i]
    return events


def _alter(kind: type | None, only=lambda event: True, **change):
    """Change fields of one event of ``kind`` (None: any kind) for which ``only`` holds."""

    def corrupt(events: list, rng: random.Random) -> list:
        positions = [
            i for i, e in enumerate(events) if (kind is None or isinstance(e, kind)) and only(e)
        ]
        i = rng.choice(positions)
        values = {name: fn(getattr(events[i], name)) for name, fn in change.items()}
        events[i] = dataclasses.replace(events[i], **values)
        return events

    return corrupt


CORRUPTIONS = {
    "event_removed": _remove,
    "last_event_removed": _remove_last,
    "neighbours_swapped": _swap_neighbours,
    "seq_changed": _alter(None, seq=lambda seq: seq + 1),
    "trade_qty_changed": _alter(Trade, qty_lots=lambda qty: qty + 1),
    "trade_price_changed": _alter(Trade, price_ticks=lambda ticks: ticks - 1),
    # Only where the engine chose the maker: an ExecuteOrder names its own (taker_order_id 0),
    # so changing that one could describe another valid history.
    "trade_maker_changed": _alter(
        Trade, only=lambda e: e.taker_order_id != 0, maker_order_id=lambda order_id: order_id + 1
    ),
    "delta_qty_changed": _alter(BookDelta, qty_lots=lambda qty: qty + 1),
    "accepted_qty_changed": _alter(OrderAccepted, qty_lots=lambda qty: qty + 1),
    "cancel_reason_changed": _alter(
        OrderCancelled, reason=lambda reason: "ioc_remainder" if reason == "user" else "user"
    ),
    "event_added_at_end": lambda events, rng: [*events, dataclasses.replace(events[-1])],
}


@pytest.fixture(scope="module")
def session_for_tampering() -> OrderBook:
    book = run_random_session(11, 2_000)
    # End on a batch of two events: dropping a whole batch at the end leaves a valid log.
    assert len(book.submit("buy", 1, price=Decimal("90.00")).events) == 2
    return book


@pytest.mark.parametrize("corruption", list(CORRUPTIONS))
@pytest.mark.parametrize("position_seed", range(5))
def test_replay_rejects_tampered_event_log_with_value_error(
    session_for_tampering, corruption, position_seed
):
    book = session_for_tampering
    pristine = list(book.events)
    tampered = CORRUPTIONS[corruption](list(pristine), random.Random(position_seed))
    assert tampered != pristine

    with pytest.raises(ValueError):
        OrderBook.replay(EventLog(tampered, book.instrument))

    assert list(book.events) == pristine, "replay changed the events it was given"
    assert describe(OrderBook.replay(EventLog(pristine, book.instrument))) == describe(book)
