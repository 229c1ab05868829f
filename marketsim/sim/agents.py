"""Agents: the ``Agent`` base class and three simple traders built on it.

An agent is woken up by the runner at times it chooses (``next_wakeup``), looks at its
read-only ``MarketView`` and returns commands (``act``). It draws every random number from
the ``numpy.random.Generator`` it is handed and reads time only from ``now``, so a run is a
pure function of its seed. Keep per-run state in ``start`` (the runner works on a copy of
each agent, so the objects you pass in are never changed).
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Iterable

import numpy as np

from marketsim.core.commands import CancelOrder, Command, ReplaceOrder, SubmitOrder
from marketsim.core.types import Side, TimeInForce
from marketsim.errors import InvalidCommandError
from marketsim.sim.view import MarketView

NS_PER_SECOND = 1_000_000_000


def _positive(value: float, name: str) -> float:
    if not (isinstance(value, int | float) and math.isfinite(value) and value > 0):
        raise InvalidCommandError(f"{name} must be a positive number, got {value!r}")
    return float(value)


def _non_negative(value: float, name: str) -> float:
    if not (isinstance(value, int | float) and math.isfinite(value) and value >= 0):
        raise InvalidCommandError(f"{name} must be a non-negative number, got {value!r}")
    return float(value)


def _positive_int(value: int, name: str) -> int:
    if type(value) is not int or value < 1:
        raise InvalidCommandError(f"{name} must be an int >= 1, got {value!r}")
    return value


def _lots_range(size: int | tuple[int, int], name: str = "size") -> tuple[int, int]:
    """``size`` (lots, or an inclusive (low, high) range) as a (low, high) pair."""
    low, high = (size, size) if isinstance(size, int) else tuple(size)
    if type(low) is not int or type(high) is not int or not 0 < low <= high:
        raise InvalidCommandError(
            f"{name} must be a positive int of lots or a (low, high) range, got {size!r}"
        )
    return low, high


class Agent:
    """Base class of order-flow agents. Override ``act`` (and optionally the other hooks).

    ``name`` is the owner of the agent's orders and must be unique in a run. The agent wakes
    up on average every ``interval`` seconds of simulated time: at Poisson times (exponential
    gaps) when ``poisson`` is true, else exactly every ``interval``; ``None`` never wakes it.
    """

    def __init__(
        self, name: str = "agent", *, interval: float | None = 1.0, poisson: bool = True
    ) -> None:
        if not isinstance(name, str) or not name:
            raise InvalidCommandError(f"agent name must be a non-empty string, got {name!r}")
        self.name = name
        self.interval = None if interval is None else _positive(interval, "interval")
        self.poisson = bool(poisson)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.name!r})"

    # -- hooks ------------------------------------------------------------------------------

    def start(self, view: MarketView, rng: np.random.Generator) -> None:
        """Called once when a run starts, before the first wake-up: reset per-run state."""

    def next_wakeup(self, view: MarketView, rng: np.random.Generator, now: int) -> int | None:
        """Simulated time (int ns, >= ``now``) of the next call to ``act``, or None for never."""
        if self.interval is None:
            return None
        mean = self.interval * NS_PER_SECOND
        delay = rng.standard_exponential() * mean if self.poisson else mean
        return now + int(delay)

    def act(self, view: MarketView, rng: np.random.Generator, now: int) -> Iterable[Command]:
        """The commands to send now (a list, possibly empty). Override this."""
        return []

    # -- command helpers (owned by this agent; prices in ticks, quantities in lots) -----------

    def buy(
        self,
        qty_lots: int,
        price_ticks: int | None = None,
        *,
        tif: TimeInForce = "GTC",
        post_only: bool = False,
    ) -> SubmitOrder:
        """A buy order: limit at ``price_ticks``, or a market order when it is None."""
        return SubmitOrder("buy", qty_lots, price_ticks, tif, post_only, self.name)

    def sell(
        self,
        qty_lots: int,
        price_ticks: int | None = None,
        *,
        tif: TimeInForce = "GTC",
        post_only: bool = False,
    ) -> SubmitOrder:
        """A sell order: limit at ``price_ticks``, or a market order when it is None."""
        return SubmitOrder("sell", qty_lots, price_ticks, tif, post_only, self.name)

    def order(
        self, side: Side, qty_lots: int, price_ticks: int | None = None, **options
    ) -> SubmitOrder:
        """``buy`` or ``sell`` by side name."""
        return SubmitOrder(side, qty_lots, price_ticks, owner=self.name, **options)

    def cancel(self, order_id: int) -> CancelOrder:
        """Cancel one of this agent's live orders."""
        return CancelOrder(order_id, self.name)

    def replace(
        self, order_id: int, qty_lots: int | None = None, price_ticks: int | None = None
    ) -> ReplaceOrder:
        """Change one of this agent's live orders (see ``ReplaceOrder``)."""
        return ReplaceOrder(order_id, qty_lots, price_ticks, self.name)


class MarketMaker(Agent):
    """Quotes a bid and an ask around the mid, shifted against its inventory.

    At each wake-up (every ``interval`` s) it takes the fair price as the mid of the best
    quotes of *others* (its own quotes excluded, so it does not chase itself; the last known
    value or ``price`` when a side is empty) and wants

        bid = floor(fair - half_spread_ticks - skew_ticks * position)
        ask =  ceil(fair + half_spread_ticks - skew_ticks * position)

    so a long position lowers both quotes (sell more eagerly, buy less) and a short one raises
    them. Quotes are post-only and clamped so they never cross others' quotes; a quote already
    at its target price is left alone (it keeps its queue place). It stops bidding at
    ``max_position`` and stops offering at ``-max_position`` lots.
    """

    def __init__(
        self,
        name: str = "mm",
        *,
        half_spread_ticks: int = 2,
        size: int = 5,
        skew_ticks: float = 0.2,
        max_position: int = 50,
        interval: float = 0.25,
        price: float = 100.0,
        poisson: bool = False,
    ) -> None:
        super().__init__(name, interval=interval, poisson=poisson)
        self.half_spread_ticks = _positive_int(half_spread_ticks, "half_spread_ticks")
        self.size = _positive_int(size, "size")
        self.skew_ticks = _non_negative(skew_ticks, "skew_ticks")
        self.max_position = _positive_int(max_position, "max_position")
        self.price = _positive(price, "price")
        self._fair: float = 0.0

    def start(self, view: MarketView, rng: np.random.Generator) -> None:
        self._fair = float(view.instrument.price_to_ticks(self.price))

    def quotes(self, view: MarketView) -> tuple[int | None, int | None]:
        """The (bid, ask) in ticks this market maker wants now (None: no quote on that side)."""
        other_bid = _others_best(view, "bid")
        other_ask = _others_best(view, "ask")
        if other_bid is not None and other_ask is not None:
            self._fair = (other_bid + other_ask) / 2
        fair = self._fair - self.skew_ticks * view.position
        bid = math.floor(fair - self.half_spread_ticks)
        ask = math.ceil(fair + self.half_spread_ticks)
        if other_ask is not None:
            bid = min(bid, other_ask - 1)
        if other_bid is not None:
            ask = max(ask, other_bid + 1)
        position = view.position
        return (
            bid if bid > 0 and position + self.size <= self.max_position else None,
            ask if ask > 0 and position - self.size >= -self.max_position else None,
        )

    def act(self, view: MarketView, rng: np.random.Generator, now: int) -> list[Command]:
        bid, ask = self.quotes(view)
        cancels: list[Command] = []
        submits: list[Command] = []
        for side, target in (("buy", bid), ("sell", ask)):
            keep = None
            for order in view.orders.on_side(side):  # type: ignore[arg-type]
                if keep is None and order.price_ticks == target:
                    keep = order
                else:
                    cancels.append(self.cancel(order.order_id))
            if keep is None and target is not None:
                submits.append(self.order(side, self.size, target, post_only=True))  # type: ignore[arg-type]
        return cancels + submits  # cancel first, so a new quote never meets an old one


def _others_best(view: MarketView, side: str) -> int | None:
    """Best price of ``side`` ("bid"/"ask") not counting the agent's own orders."""
    own_side = "buy" if side == "bid" else "sell"
    own: dict[int, int] = {}
    for order in view.orders.values():
        if order.side == own_side:
            own[order.price_ticks] = own.get(order.price_ticks, 0) + order.qty_lots
    for price, qty, _count in view.level_ticks(side, len(own) + 1):  # type: ignore[arg-type]
        if qty > own.get(price, 0):
            return price
    return None


class NoiseTrader(Agent):
    """Trades at random: a random side and size at Poisson times (mean ``interval`` s).

    With probability ``limit_fraction`` it places a limit order up to ``offset_ticks`` behind
    the best quote of its own side (the other side's best, or ``price``, when that side is
    empty), else a market order. It keeps at most ``max_orders`` live orders, cancelling its
    oldest to make room.
    """

    def __init__(
        self,
        name: str = "noise",
        *,
        interval: float = 1.0,
        size: int | tuple[int, int] = (1, 5),
        limit_fraction: float = 0.5,
        offset_ticks: int = 5,
        max_orders: int = 10,
        price: float = 100.0,
    ) -> None:
        super().__init__(name, interval=interval)
        self.size = _lots_range(size)
        if not 0.0 <= limit_fraction <= 1.0:
            raise InvalidCommandError(f"limit_fraction must be in [0, 1], got {limit_fraction!r}")
        self.limit_fraction = float(limit_fraction)
        if type(offset_ticks) is not int or offset_ticks < 0:
            raise InvalidCommandError(f"offset_ticks must be an int >= 0, got {offset_ticks!r}")
        self.offset_ticks = offset_ticks
        self.max_orders = _positive_int(max_orders, "max_orders")
        self.price = _positive(price, "price")
        self._reference = 0

    def start(self, view: MarketView, rng: np.random.Generator) -> None:
        self._reference = view.instrument.price_to_ticks(self.price)

    def act(self, view: MarketView, rng: np.random.Generator, now: int) -> list[Command]:
        side: Side = "buy" if rng.random() < 0.5 else "sell"
        low, high = self.size
        qty = int(rng.integers(low, high + 1))
        if rng.random() >= self.limit_fraction:
            return [self.order(side, qty)]
        bid, ask = view.best_bid_ticks, view.best_ask_ticks
        if bid is not None and ask is not None:
            self._reference = (bid + ask) // 2
        offset = int(rng.integers(0, self.offset_ticks + 1))
        if side == "buy":
            anchor = bid if bid is not None else (ask - 1 if ask is not None else self._reference)
            price = anchor - offset
        else:
            anchor = ask if ask is not None else (bid + 1 if bid is not None else self._reference)
            price = anchor + offset
        commands: list[Command] = []
        orders = view.orders
        if len(orders) >= self.max_orders:
            commands.append(self.cancel(next(iter(orders))))  # the oldest
        commands.append(self.order(side, qty, max(1, price)))
        return commands


class MomentumTrader(Agent):
    """Follows trends: buys after the mid rose, sells after it fell.

    Every ``interval`` s it records the mid (the last trade when a side is empty). Once it has
    ``lookback`` earlier records, it compares: up by at least ``threshold_ticks`` -> a market
    buy of ``size`` lots, down by at least as much -> a market sell, while the position stays
    within +-``max_position`` lots.
    """

    def __init__(
        self,
        name: str = "momentum",
        *,
        lookback: int = 10,
        threshold_ticks: float = 2,
        size: int = 1,
        max_position: int = 20,
        interval: float = 1.0,
    ) -> None:
        super().__init__(name, interval=interval, poisson=False)
        self.lookback = _positive_int(lookback, "lookback")
        self.threshold_ticks = _positive(threshold_ticks, "threshold_ticks")
        self.size = _positive_int(size, "size")
        self.max_position = _positive_int(max_position, "max_position")
        self._history: deque[float] = deque(maxlen=lookback + 1)

    def start(self, view: MarketView, rng: np.random.Generator) -> None:
        self._history = deque(maxlen=self.lookback + 1)

    def act(self, view: MarketView, rng: np.random.Generator, now: int) -> list[Command]:
        price = view.mid_ticks
        if price is None:
            price = view.last_trade_ticks
        if price is None:
            return []
        history = self._history
        history.append(price)
        if len(history) <= self.lookback:
            return []
        change = price - history[0]
        position = view.position
        if change >= self.threshold_ticks and position + self.size <= self.max_position:
            return [self.buy(self.size)]
        if change <= -self.threshold_ticks and position - self.size >= -self.max_position:
            return [self.sell(self.size)]
        return []
