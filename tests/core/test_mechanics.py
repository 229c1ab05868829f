"""Exchange mechanics end to end: long random runs using every feature replay exactly; the float
tolerance of the price and quantity grids; explain() for every new step."""

from __future__ import annotations

import random
from decimal import Decimal

import pytest

from marketsim import InvalidCommandError, OrderBook, PermissionDeniedError, UnknownOrderError
from marketsim.core import (
    AuctionUncrossed,
    IcebergRefilled,
    OrderCancelled,
    OrderRejected,
    PhaseChanged,
    StopTriggered,
    Trade,
)
from marketsim.core.commands import ReplaceOrder
from marketsim.core.events import STP_MODES
from marketsim.errors import MarketHaltedError

TICK = Decimal("0.01")
SEEDS = (5, 6, 20_261_206)


def run_mechanics_session(seed: int, commands: int) -> OrderBook:
    """A seeded stream of every kind of command and mechanic, errors included."""
    rng = random.Random(seed)
    book = OrderBook("ACME", tick_size=str(TICK), lot_size=1)

    def price(side: str) -> Decimal:
        away = rng.randint(-4, 10)
        return (10_000 - away if side == "buy" else 10_000 + away) * TICK

    def live() -> list[int]:
        engine = book.engine
        return [*engine.book.orders, *engine.stops.orders, *engine.auction_orders]

    for _ in range(commands):
        side = rng.choice(("buy", "sell"))
        owner = rng.choice(("alice", "bob", "carol", ""))
        stp = rng.choice((None, None, *STP_MODES))
        roll = rng.random()
        try:
            if roll < 0.40:
                book.submit(
                    side,
                    rng.randint(1, 12),
                    price(side),
                    tif=rng.choice(("GTC", "GTC", "GTC", "IOC", "FOK")),
                    owner=owner,
                    stp=stp,
                )
            elif roll < 0.48:
                qty = rng.randint(2, 40)
                book.submit(
                    side, qty, price(side), display_qty=rng.randint(1, qty), owner=owner, stp=stp
                )
            elif roll < 0.58:
                away = rng.randint(1, 12) * (1 if side == "buy" else -1)
                stop = (10_000 + away) * TICK
                limit = None if rng.random() < 0.5 else stop + (2 if side == "buy" else -2) * TICK
                book.submit(side, rng.randint(1, 10), limit, stop_price=stop, owner=owner, stp=stp)
            elif roll < 0.63:
                book.submit(side, rng.randint(1, 15), owner=owner, stp=stp)
            elif roll < 0.75 and live():
                book.cancel(rng.choice(live()))
            elif roll < 0.87 and live():
                order_id = rng.choice(live())
                if order_id in book.engine.stops.orders:
                    book.replace(order_id, stop_price=price(side), qty=rng.randint(1, 10))
                else:
                    book.replace(order_id, qty=rng.randint(1, 30), price=price(side))
            elif roll < 0.93:
                book.set_phase(rng.choice(("continuous", "continuous", "auction", "halted")))
            elif roll < 0.96:
                book.uncross()
            else:
                book.cancel(rng.randint(1, 3 * commands), owner="mallory")
        except (UnknownOrderError, PermissionDeniedError, InvalidCommandError):
            continue
        book.check_integrity()
    return book


def describe(book: OrderBook) -> dict:
    """Everything a replay must rebuild, including pending stops and hidden iceberg size."""
    engine = book.engine
    return {
        "seq": book.seq,
        "phase": book.phase,
        "levels": {side: book.levels(side) for side in ("bid", "ask")},
        "queues": {
            (side, price): book.queue(side, price)
            for side in ("bid", "ask")
            for price, _, _ in book.levels(side)
        },
        "hidden": {i: o.hidden_lots for i, o in engine.book.orders.items()},
        "stops": {side: book.stops(side) for side in ("buy", "sell")},
        "auction_orders": {i: o.qty_lots for i, o in engine.auction_orders.items()},
        "last_trade": engine.last_trade_ticks,
    }


@pytest.fixture(scope="module", params=SEEDS, ids=lambda seed: f"seed{seed}")
def mechanics_session(request) -> OrderBook:
    return run_mechanics_session(request.param, 15_000)


def test_long_random_run_uses_every_mechanic(mechanics_session):
    events = mechanics_session.events
    kinds = {type(e) for e in events}
    assert {StopTriggered, IcebergRefilled, PhaseChanged, AuctionUncrossed} <= kinds
    cancel_reasons = {e.reason for e in events if isinstance(e, OrderCancelled)}
    reject_reasons = {e.reason for e in events if isinstance(e, OrderRejected)}
    assert {"self_trade_prevented", "market_remainder", "user"} <= cancel_reasons
    assert {"halted", "auction_phase", "stop_price_reached"} <= reject_reasons
    assert sum(isinstance(e, Trade) for e in events) > 1_000
    assert any(
        e.price_ticks is not None and e.qty_lots for e in events if isinstance(e, AuctionUncrossed)
    )


def test_long_random_run_replays_into_the_same_book(mechanics_session):
    replayed = OrderBook.replay(mechanics_session.events)
    replayed.check_integrity()
    assert describe(replayed) == describe(mechanics_session)
    assert list(replayed.events) == list(mechanics_session.events)


@pytest.mark.parametrize(
    ("tick", "lot"), [("0.01", "1"), ("0.05", "0.1"), ("0.0001", "0.001"), ("0.25", "100")]
)
def test_float_multiples_of_the_grid_land_on_their_grid_point(tick, lot):
    book = OrderBook("ACME", tick_size=tick, lot_size=lot)
    step, lot_step = float(tick), float(lot)
    for k in [*range(1, 3_000), *range(10**6, 10**6 + 3_000), 10**9 + 7, 10**11 + 3]:
        assert book.instrument.price_to_ticks(k * step) == k
        assert book.instrument.price_to_ticks(k / (1 / step)) == k
    for k in range(1, 3_000):
        assert book.instrument.qty_to_lots(k * lot_step) == k


@pytest.mark.parametrize(
    "price", [100.001, 100.005, 99.9999, Decimal("100.0000000000001"), "100.10000000000001"]
)
def test_clearly_off_grid_floats_and_inexact_decimals_or_strings_are_refused(price):
    book = OrderBook("ACME", tick_size="0.01")
    with pytest.raises(InvalidCommandError, match="not a multiple of tick"):
        book.submit("buy", 1, price)
    assert book.seq == 0


def test_explain_tells_each_mechanic_step_by_step():
    book = OrderBook("ACME", tick_size="0.01")
    book.submit("sell", 30, 100.0, display_qty=10)
    book.submit("sell", 5, 100.5)
    stop = book.submit("buy", 5, stop_price=100.0)
    assert "stop pending, unseen in the book, until a trade at or above 100.00" in stop.explain()
    text = book.submit("buy", 12, 100.0).explain()
    assert "iceberg 1 shows a new slice of 10 at 100.00" in text
    assert "reached the stop 100.00 of order 3: it enters now, buy 5 at market" in text
    text = book.submit("sell", 5, 99.0, owner="mm").explain()
    text = book.submit("buy", 1, 99.0, owner="mm", stp="cancel_newest").explain()
    assert "1 of order 6 cancelled: it would have traded with an order of the same owner" in text
    assert "phase continuous -> auction" in book.set_phase("auction").explain()
    book.submit("buy", 4, 101.0)
    text = book.uncross().explain()
    assert "auction uncross at 99.00: 4 match there" in text
    assert "auction match: order 5 with order 7, 4 @ 99.00" in text
    book.set_phase("halted")
    assert "rejected: trading is halted" in book.submit("buy", 1, 99.0).explain()
    seq = book.seq
    refused = book.replace(1, qty=1)
    assert (refused.status, refused.reason, refused.events, book.seq) == (
        "rejected",
        "halted",
        [],
        seq,
    )
    with pytest.raises(MarketHaltedError):  # the tick-level apply() has no result to return
        book.apply(ReplaceOrder(1, 1))


def test_set_phase_to_the_current_phase_and_bad_phases_are_refused():
    book = OrderBook("ACME", tick_size="0.01")
    with pytest.raises(InvalidCommandError, match="already in the continuous phase"):
        book.set_phase("continuous")
    with pytest.raises(InvalidCommandError, match="phase must be one of"):
        book.set_phase("closed")
    with pytest.raises(InvalidCommandError, match="uncross needs the auction phase"):
        book.uncross()
    assert book.seq == 0
