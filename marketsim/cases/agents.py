"""The traders of a case: automated traders that may see the fundamental value, and bot
students for dry runs.

Automated traders are ``marketsim.sim`` agents. In a case their view also has ``value_ticks``:
the fundamental value on the tick grid for automated traders, None for students. Two agents
here use it: ``ValueTrader`` (an informed trader who takes mispriced quotes) and
``ValueMaker`` (a market maker who quotes around the value). ``StudentBot`` plays a student:
it trades a little at random, follows the news it is shown and decides on tenders.
"""

from __future__ import annotations

import inspect
import math
from typing import Any

import numpy as np

from marketsim.cases.model import BotSpec, CaseFileError, InstrumentSpec
from marketsim.core.commands import Command
from marketsim.core.orderbook import OrderBook
from marketsim.errors import InvalidCommandError
from marketsim.sim import Agent, MarketMaker, MomentumTrader, NoiseTrader, ZeroIntelligence
from marketsim.sim.agents import _positive_int
from marketsim.sim.view import AgentState, BookMarketView, MarketState


class CaseMarketView(BookMarketView):
    """A ``BookMarketView`` that also carries the fundamental value (None when hidden)."""

    __slots__ = ("value_ticks",)

    def __init__(self, book: OrderBook, state: AgentState, market: MarketState) -> None:
        super().__init__(book, state, market)
        self.value_ticks: int | None = None


class ValueTrader(Agent):
    """An informed trader: takes any quote at least ``edge_ticks`` away from the value.

    Every ``interval`` s (Poisson) it buys ``size`` lots at the best ask when the ask is below
    value - edge, or sells at the best bid above value + edge (IOC), within +-``max_position``.
    """

    def __init__(
        self,
        name: str = "informed",
        *,
        interval: float = 1.0,
        size: int = 5,
        edge_ticks: int = 2,
        max_position: int = 200,
    ) -> None:
        super().__init__(name, interval=interval)
        self.size = _positive_int(size, "size")
        self.edge_ticks = _positive_int(edge_ticks, "edge_ticks")
        self.max_position = _positive_int(max_position, "max_position")

    def act(self, view: Any, rng: np.random.Generator, now: int) -> list[Command]:
        value = getattr(view, "value_ticks", None)
        if value is None:
            return []
        ask, bid, position = view.best_ask_ticks, view.best_bid_ticks, view.position
        can_buy = position + self.size <= self.max_position
        can_sell = position - self.size >= -self.max_position
        if ask is not None and ask <= value - self.edge_ticks and can_buy:
            return [self.buy(self.size, ask, tif="IOC")]
        if bid is not None and bid >= value + self.edge_ticks and can_sell:
            return [self.sell(self.size, bid, tif="IOC")]
        return []


class ValueMaker(MarketMaker):
    """A ``MarketMaker`` whose fair price is the fundamental value (skewed by inventory)."""

    def quotes(self, view: Any) -> tuple[int | None, int | None]:
        value = getattr(view, "value_ticks", None)
        if value is None:
            return super().quotes(view)
        fair = value - self.skew_ticks * view.position
        position = view.position
        bid = math.floor(fair - self.half_spread_ticks)
        ask = math.ceil(fair + self.half_spread_ticks)
        return (
            bid if bid > 0 and position + self.size <= self.max_position else None,
            ask if ask > 0 and position - self.size >= -self.max_position else None,
        )


class StudentBot(Agent):
    """A scripted student for dry runs and benchmarks.

    Every ``interval`` s (Poisson) it places a small limit order near the mid, or with
    probability ``market_fraction`` a market order. When news with a value shock reaches it,
    it trades ``news_size`` lots in the shock's direction with probability ``attention``. It
    accepts a tender whose price is better than the mid for it, declines one that is worse,
    and ignores one now and then (``attention``), which lets it expire. It keeps within
    +-``max_position`` lots.
    """

    def __init__(
        self,
        name: str = "student",
        *,
        interval: float = 2.0,
        size: int = 2,
        market_fraction: float = 0.2,
        news_size: int = 5,
        attention: float = 0.8,
        max_position: int = 50,
    ) -> None:
        super().__init__(name, interval=interval)
        self.size = _positive_int(size, "size")
        self.news_size = _positive_int(news_size, "news_size")
        self.max_position = _positive_int(max_position, "max_position")
        for value, label in ((market_fraction, "market_fraction"), (attention, "attention")):
            if not isinstance(value, int | float) or not 0 <= value <= 1:
                raise InvalidCommandError(f"{label} must be in [0, 1], got {value!r:.40}")
        self.market_fraction = float(market_fraction)
        self.attention = float(attention)

    def _room(self, view: Any, side: str, lots: int) -> bool:
        after = view.position + (lots if side == "buy" else -lots)
        return abs(after) <= self.max_position

    def act(self, view: Any, rng: np.random.Generator, now: int) -> list[Command]:
        side = "buy" if rng.random() < 0.5 else "sell"
        if not self._room(view, side, self.size):
            side = "sell" if side == "buy" else "buy"
        commands: list[Command] = []
        if len(view.orders) >= 3:
            commands.append(self.cancel(next(iter(view.orders))))
        bid, ask = view.best_bid_ticks, view.best_ask_ticks
        if rng.random() < self.market_fraction or bid is None or ask is None:
            if (ask if side == "buy" else bid) is not None:
                commands.append(self.order(side, self.size))  # type: ignore[arg-type]
            return commands
        offset = int(rng.integers(0, 3))
        price = bid - offset if side == "buy" else ask + offset
        commands.append(self.order(side, self.size, max(1, price)))  # type: ignore[arg-type]
        return commands

    def on_news(self, shock: float | None, view: Any, rng: np.random.Generator) -> list[Command]:
        """Commands in answer to a news item (``shock``: its value change, None if none)."""
        if not shock or rng.random() >= self.attention:
            return []
        side = "buy" if shock > 0 else "sell"
        if not self._room(view, side, self.news_size):
            return []
        return [self.order(side, self.news_size)]  # type: ignore[arg-type]

    def on_tender(
        self, side: str, price_ticks: int, view: Any, rng: np.random.Generator
    ) -> str | None:
        """ "accept", "decline", or None to let the tender expire."""
        if rng.random() >= self.attention:
            return None
        mid = view.mid_ticks if view.mid_ticks is not None else view.last_trade_ticks
        if mid is None:
            return "decline"
        better = price_ticks < mid if side == "buy" else price_ticks > mid
        return "accept" if better else "decline"


#: The agents a case file may name in ``[[bots]]``.
AGENTS: dict[str, type[Agent]] = {
    cls.__name__: cls
    for cls in (
        ZeroIntelligence,
        MarketMaker,
        NoiseTrader,
        MomentumTrader,
        ValueTrader,
        ValueMaker,
        StudentBot,
    )
}


def build_bot(spec: BotSpec, instrument: InstrumentSpec) -> Agent:
    """The agent a ``[[bots]]`` entry describes; ``price`` defaults to the start price."""
    cls = AGENTS.get(spec.agent)
    if cls is None:
        raise CaseFileError(
            f"bot {spec.name!r}: unknown agent {spec.agent!r:.40}; known: {', '.join(AGENTS)}"
        )
    params = dict(spec.params)
    if "price" in inspect.signature(cls).parameters:
        params.setdefault("price", float(instrument.start_price))
    try:
        return cls(spec.name, **params)
    except (TypeError, InvalidCommandError) as exc:
        raise CaseFileError(f"bot {spec.name!r}: {exc}") from None


__all__ = ["AGENTS", "CaseMarketView", "StudentBot", "ValueMaker", "ValueTrader", "build_bot"]
