"""Market maker, noise trader, momentum trader and the ``Agent`` base class behave as documented."""

from __future__ import annotations

import numpy as np
import pytest

from marketsim import OrderBook, sim
from marketsim.core.commands import CancelOrder, SubmitOrder
from marketsim.core.events import OrderAccepted
from marketsim.sim.view import AgentState, BookMarketView, MarketState, route

RNG = np.random.default_rng(0)


class Desk:
    """One agent on a book we control: others' orders are placed by hand, the agent's own
    commands are applied and booked exactly as the runner does."""

    def __init__(self, agent: sim.Agent) -> None:
        self.agent = agent
        self.book = OrderBook("ACME", tick_size=0.01)
        self.state = AgentState()
        self.market = MarketState()
        self.view = BookMarketView(self.book, self.state, self.market)
        self.now = 0
        agent.start(self.view, RNG)

    def other(self, side: str, price_ticks: int, qty: int = 5) -> int:
        self.now += 1
        command = SubmitOrder(side, qty, price_ticks, owner="other")
        events = self.book.apply(command, self.now)
        route(events, {self.agent.name: self.state}, self.market)
        return events[0].order_id

    def cancel_other(self, order_id: int) -> None:
        self.now += 1
        self.book.apply(CancelOrder(order_id), self.now)

    def act(self) -> list:
        self.now += 1
        self.view.now = self.now
        commands = list(self.agent.act(self.view, RNG, self.now) or ())
        for command in commands:
            route(self.book.apply(command, self.now), {self.agent.name: self.state}, self.market)
        return commands


# -- market maker -----------------------------------------------------------------------------


def test_market_maker_quotes_both_sides_around_the_mid_post_only():
    desk = Desk(sim.MarketMaker(half_spread_ticks=2, size=3))
    desk.other("buy", 9_995)
    desk.other("sell", 10_005)

    commands = desk.act()

    assert [(c.side, c.price_ticks, c.qty_lots, c.post_only) for c in commands] == [
        ("buy", 9_998, 3, True),
        ("sell", 10_002, 3, True),
    ]
    assert desk.view.best_bid_ticks == 9_998 and desk.view.best_ask_ticks == 10_002


def test_market_maker_leaves_quotes_alone_when_the_market_has_not_moved():
    desk = Desk(sim.MarketMaker())
    desk.other("buy", 9_995)
    desk.other("sell", 10_005)
    desk.act()

    assert desk.act() == []  # its own quotes do not move its idea of the mid


def test_market_maker_requotes_when_the_mid_moves():
    desk = Desk(sim.MarketMaker(half_spread_ticks=2))
    desk.other("buy", 9_995)
    ask = desk.other("sell", 10_005)
    desk.act()
    desk.cancel_other(ask)
    desk.other("sell", 10_015)  # others' mid moves from 10,000 to 10,005

    commands = desk.act()

    assert [type(c).__name__ for c in commands] == [
        "CancelOrder",
        "CancelOrder",
        "SubmitOrder",
        "SubmitOrder",
    ]
    assert [c.price_ticks for c in commands[2:]] == [10_003, 10_007]


@pytest.mark.parametrize(
    ("position", "bid", "ask"), [(0, 9_998, 10_002), (20, 9_994, 9_998), (-20, 10_002, 10_006)]
)
def test_market_maker_skews_quotes_against_its_inventory(position, bid, ask):
    desk = Desk(sim.MarketMaker(half_spread_ticks=2, skew_ticks=0.2, max_position=50))
    desk.other("buy", 9_990)
    desk.other("sell", 10_010)
    desk.state.account.lots = position

    assert desk.agent.quotes(desk.view) == (bid, ask)


def test_market_maker_never_crosses_others_quotes_when_skewed():
    desk = Desk(sim.MarketMaker(half_spread_ticks=1, skew_ticks=1.0, max_position=100))
    desk.other("buy", 9_999)
    desk.other("sell", 10_001)
    desk.state.account.lots = 30

    bid, ask = desk.agent.quotes(desk.view)

    assert bid < ask and ask >= 10_000 and bid < 10_001


def test_market_maker_stops_adding_to_a_position_at_its_limit():
    desk = Desk(sim.MarketMaker(size=5, max_position=10))
    desk.other("buy", 9_995)
    desk.other("sell", 10_005)
    desk.state.account.lots = 8

    bid, ask = desk.agent.quotes(desk.view)

    assert bid is None and ask is not None


def test_market_maker_keeps_quoting_both_sides_in_a_zero_intelligence_market():
    result = sim.run(
        [sim.ZeroIntelligence(), sim.MarketMaker(max_position=1_000)],
        "ACME",
        duration=600,
        seed=12,
        progress=False,
    )

    mm_orders = result.states["mm"].orders
    assert sorted(o.side for o in mm_orders.values()) == ["buy", "sell"]
    assert result.states["mm"].traded_lots > 0
    result.book.check_integrity()


# -- momentum trader --------------------------------------------------------------------------


def move_mid(desk: Desk, ids: list[int], bid: int) -> list[int]:
    for order_id in ids:
        desk.cancel_other(order_id)
    return [desk.other("buy", bid), desk.other("sell", bid + 2)]


@pytest.mark.parametrize(("step", "side"), [(1, "buy"), (-1, "sell")])
def test_momentum_trader_follows_moves_of_the_mid(step, side):
    desk = Desk(sim.MomentumTrader(lookback=3, threshold_ticks=2, size=2))
    ids: list[int] = []
    decisions = []
    for i in range(5):
        ids = move_mid(desk, ids, 10_000 + step * i)
        decisions.append(
            [(c.side, c.qty_lots, c.price_ticks) for c in desk.agent.act(desk.view, RNG, i)]
        )

    assert decisions[:3] == [[], [], []]  # not enough history yet
    assert decisions[3] == [(side, 2, None)]  # moved 3 ticks over 3 observations: a market order


def test_momentum_trader_stays_out_of_a_flat_market():
    desk = Desk(sim.MomentumTrader(lookback=2, threshold_ticks=1))
    desk.other("buy", 9_999)
    desk.other("sell", 10_001)

    assert [desk.agent.act(desk.view, RNG, i) for i in range(6)] == [[]] * 6


def test_momentum_trader_respects_its_position_limit():
    desk = Desk(sim.MomentumTrader(lookback=1, threshold_ticks=1, size=1, max_position=3))
    desk.state.account.lots = 3
    ids: list[int] = []
    for i in range(4):
        ids = move_mid(desk, ids, 10_000 + i)
        assert desk.agent.act(desk.view, RNG, i) == []


def test_momentum_trader_buys_after_up_moves_in_a_simulation():
    result = sim.run(
        [sim.ZeroIntelligence(), sim.MomentumTrader(interval=1.0, lookback=5, threshold_ticks=2)],
        "ACME",
        duration=600,
        seed=6,
        progress=False,
    )
    mids = result.bbo().set_index("ts_event")["mid"]
    trades = [e for e in result.events if type(e) is OrderAccepted and e.owner == "momentum"]

    assert len(trades) > 5
    for order in trades[:20]:
        stamp = mids.index[mids.index.asi8 < order.ts_event]
        now = mids.loc[stamp[-1]]
        before = mids.loc[stamp[stamp.asi8 < order.ts_event - 5 * 10**9][-1]]
        assert (now > before) == (order.side == "buy")


# -- noise trader -----------------------------------------------------------------------------


def test_noise_trader_sends_market_and_limit_orders_and_caps_its_live_orders():
    result = sim.run(
        [sim.ZeroIntelligence(), sim.NoiseTrader(interval=0.5, max_orders=4, size=(1, 3))],
        "ACME",
        duration=600,
        seed=10,
        progress=False,
    )
    mine = [e for e in result.events if type(e) is OrderAccepted and e.owner == "noise"]

    assert {e.order_type for e in mine} == {"limit", "market"}
    assert {e.side for e in mine} == {"buy", "sell"}
    assert {e.qty_lots for e in mine} == {1, 2, 3}
    assert len(result.states["noise"].orders) <= 4


# -- the base class ---------------------------------------------------------------------------


def test_fixed_interval_agent_wakes_exactly_every_interval():
    agent = sim.Agent("clock", interval=0.25, poisson=False)

    times = [0]
    for _ in range(4):
        times.append(agent.next_wakeup(None, RNG, times[-1]))

    assert times == [0, 250_000_000, 500_000_000, 750_000_000, 1_000_000_000]


def test_poisson_agent_wakes_at_exponential_gaps_with_the_given_mean():
    agent = sim.Agent("poisson", interval=0.5)
    rng = np.random.default_rng(1)

    gaps = [agent.next_wakeup(None, rng, 0) for _ in range(20_000)]

    assert abs(np.mean(gaps) / 1e9 - 0.5) < 0.02
    assert abs(np.std(gaps) / 1e9 - 0.5) < 0.02


def test_order_helpers_make_commands_owned_by_the_agent():
    agent = sim.Agent("me")

    assert (agent.buy(2).side, agent.buy(2).price_ticks, agent.buy(2).owner) == ("buy", None, "me")
    assert agent.sell(1, 10_001, tif="IOC").tif == "IOC"
    assert agent.cancel(7).owner == "me"
    assert agent.replace(7, qty_lots=3).qty_lots == 3


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: sim.Agent(""), "name"),
        (lambda: sim.Agent("a", interval=0), "interval"),
        (lambda: sim.MarketMaker(half_spread_ticks=0), "half_spread_ticks"),
        (lambda: sim.NoiseTrader(limit_fraction=2), "limit_fraction"),
        (lambda: sim.MomentumTrader(lookback=0), "lookback"),
    ],
)
def test_agents_refuse_bad_parameters(make, message):
    with pytest.raises(ValueError, match=message):
        make()
