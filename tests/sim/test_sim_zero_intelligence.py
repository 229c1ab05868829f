"""The zero-intelligence flow follows its rates, price window and sizes."""

from __future__ import annotations

import math
from collections import Counter

import pytest

from marketsim import OrderBook, sim
from marketsim.core.commands import SubmitOrder
from marketsim.core.events import OrderAccepted, OrderCancelled, OrderRejected, Trade
from marketsim.core.replay import commands_from_events

NS = 1_000_000_000


def within_poisson_tolerance(count: int, expected: float, sigmas: float = 5.0) -> bool:
    """|count - expected| within ``sigmas`` standard deviations of a Poisson count."""
    return abs(count - expected) <= sigmas * math.sqrt(expected)


@pytest.fixture(scope="module")
def long_run() -> sim.SimulationResult:
    agent = sim.ZeroIntelligence(limit_rate=1.0, market_rate=2.5, cancel_rate=0.05)
    return sim.run([agent], "ACME", duration=1_500, seed=123, progress=False)


def test_limit_market_and_cancel_counts_match_the_rates_over_a_long_run(long_run):
    agent = long_run.agents[0]
    seconds = (long_run.end_ns - long_run.start_ns) / NS
    limits = markets = cancels = 0
    live = 0  # the agent's resting orders (size 1: each trade removes one)
    order_seconds = 0.0  # integral of the number of resting orders over time
    last_ts = long_run.start_ns
    for event in long_run.events:
        order_seconds += live * (event.ts_event - last_ts) / NS
        last_ts = event.ts_event
        if isinstance(event, OrderAccepted | OrderRejected):
            if event.order_type == "limit":
                limits += 1
                live += 1
            else:
                markets += 1
        elif type(event) is OrderCancelled and event.reason == "user":
            cancels += 1
            live -= 1
        elif type(event) is Trade:
            live -= 1
    order_seconds += live * (long_run.end_ns - last_ts) / NS

    assert live == len(long_run.book.engine.book.orders)
    assert within_poisson_tolerance(limits, agent.limit_total * seconds)
    assert within_poisson_tolerance(markets, agent.market_total * seconds)
    assert within_poisson_tolerance(cancels, agent.cancel_rate * order_seconds)
    assert limits > 50_000 and markets > 5_000 and cancels > 30_000


def test_buys_and_sells_are_balanced(long_run):
    sides = Counter(e.side for e in long_run.events if type(e) is OrderAccepted)
    total = sides["buy"] + sides["sell"]

    assert within_poisson_tolerance(sides["buy"], total / 2)


def test_limit_prices_are_uniform_within_the_window_from_the_opposite_best():
    window = 8
    agent = sim.ZeroIntelligence(window_ticks=window)
    result = sim.run([agent], "ACME", duration=300, seed=5, progress=False)
    book = OrderBook(result.instrument)
    offsets: Counter[int] = Counter()
    for command, ts_event in commands_from_events(list(result.events)):
        if type(command) is SubmitOrder and command.price_ticks is not None:
            bid, ask = book.best_bid_ticks, book.best_ask_ticks
            if command.side == "buy" and ask is not None:
                offsets[ask - command.price_ticks] += 1
            elif command.side == "sell" and bid is not None:
                offsets[command.price_ticks - bid] += 1
        book.apply(command, ts_event)

    assert set(offsets) == set(range(1, window + 1))
    mean = sum(offsets.values()) / window
    assert all(within_poisson_tolerance(count, mean) for count in offsets.values())


def test_first_orders_of_an_empty_book_are_priced_around_the_start_price():
    result = sim.run([sim.ZeroIntelligence(price=100.0, window_ticks=5)], "ACME", steps=50, seed=1)

    first_limits = [
        e for e in result.events if type(e) is OrderAccepted and e.order_type == "limit"
    ][:2]
    for event in first_limits:
        if event.side == "buy":
            assert 9_995 <= event.price_ticks <= 9_999
        else:
            assert 10_001 <= event.price_ticks <= 10_005


def test_sizes_are_drawn_from_the_given_range():
    result = sim.run([sim.ZeroIntelligence(size=(1, 4))], "ACME", steps=5_000, seed=3)

    sizes = Counter(e.qty_lots for e in result.events if type(e) is OrderAccepted)
    assert set(sizes) == {1, 2, 3, 4}
    result.book.check_integrity()


def test_only_live_orders_of_its_own_are_cancelled_even_with_other_traders():
    result = sim.run(
        [sim.ZeroIntelligence(), sim.MarketMaker(), sim.NoiseTrader(interval=0.1)],
        "ACME",
        duration=300,
        seed=4,
        progress=False,
    )

    cancelled = [e for e in result.events if type(e) is OrderCancelled and e.reason == "user"]
    assert cancelled and all(e.owner in {"zi", "mm", "noise"} for e in cancelled)
    assert result.states["zi"].stale == 0


def test_the_book_stays_two_sided_and_narrow_with_default_rates(long_run):
    long_run.book.check_integrity()
    spread = long_run.book.best_ask_ticks - long_run.book.best_bid_ticks

    assert 1 <= spread <= 20
    assert 100 < len(long_run.book.engine.book.orders) < 2_000


@pytest.mark.parametrize(
    "options",
    [
        {"limit_rate": 0},
        {"market_rate": -1},
        {"cancel_rate": float("nan")},
        {"window_ticks": 0},
        {"size": 0},
        {"size": (3, 2)},
        {"price": -5},
        {"block": 0},
    ],
)
def test_bad_parameters_are_refused(options):
    with pytest.raises(ValueError):
        sim.ZeroIntelligence(**options)
