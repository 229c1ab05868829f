"""``sim.run(..., open_auction=seconds)``: the day opens with a call auction."""

from __future__ import annotations

import pytest

from marketsim import InvalidCommandError, OrderBook, sim
from marketsim.core import AuctionUncrossed, OrderRejected, PhaseChanged, Trade

NS = 1_000_000_000


def agents() -> list[sim.Agent]:
    return [sim.ZeroIntelligence(), sim.NoiseTrader(), sim.MarketMaker()]


def test_orders_collect_during_the_opening_auction_then_uncross_at_one_price():
    result = sim.run(agents(), "ACME", duration=60, seed=3, progress=False, open_auction=10)
    events = list(result.events)
    phases = [(e.ts_event, e.phase) for e in events if isinstance(e, PhaseChanged)]
    assert phases == [(0, "auction"), (10 * NS, "continuous")]
    uncross = next(e for e in events if isinstance(e, AuctionUncrossed))
    assert uncross.ts_event == 10 * NS and uncross.qty_lots > 0
    before_open = [e for e in events if e.ts_event < 10 * NS]
    assert not any(isinstance(e, Trade) for e in before_open)
    assert not any(isinstance(e, OrderRejected) for e in before_open)  # no IOC/FOK sent
    opened = next(e for e in events if isinstance(e, PhaseChanged) and e.phase == "continuous")
    auction_trades = [
        e for e in events if isinstance(e, Trade) and uncross.seq < e.seq < opened.seq
    ]
    assert {e.price_ticks for e in auction_trades} == {uncross.price_ticks}
    assert sum(e.qty_lots for e in auction_trades) == uncross.qty_lots
    assert sum(e.qty_lots for e in events if isinstance(e, Trade) and e.ts_event > 10 * NS) > 0
    replayed = OrderBook.replay(result.events)
    assert replayed.ladder() == result.book.ladder()


def test_the_same_seed_gives_the_same_auction_and_a_bad_duration_is_refused():
    first = sim.run(agents(), duration=20, seed=5, progress=False, open_auction=5.0)
    second = sim.run(agents(), duration=20, seed=5, progress=False, open_auction=5.0)
    assert list(first.events) == list(second.events)
    with pytest.raises(InvalidCommandError, match="open_auction"):
        sim.run(agents(), duration=20, seed=5, progress=False, open_auction=-1)
