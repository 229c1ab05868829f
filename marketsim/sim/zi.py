"""The zero-intelligence order flow of Santa Fe / Farmer et al.

Daniels, Farmer, Gillemot, Iori & Smith (2003), "Quantitative model of price diffusion and
market friction based on trading as a mechanistic random process", and Farmer, Patelli &
Zovko (2005), "The predictive power of zero intelligence in financial markets": orders arrive
at random, with no strategy at all, and the book's statistics follow from the rates alone.

Three independent Poisson processes, in continuous simulated time:

- limit orders: rate ``limit_rate`` (alpha) per tick of price, per side, over a window of
  ``window_ticks`` (K) ticks: a buy is priced uniformly in ``[ask - K, ask - 1]`` and a sell in
  ``[bid + 1, bid + K]``, so limit orders never cross but may improve the quote (when the
  opposite side is empty the last two-sided mid, at first ``price``, stands in for it);
- market orders: rate ``market_rate`` (mu) per side;
- cancellations: each of the agent's resting orders is cancelled at rate ``cancel_rate``
  (delta), i.e. a uniformly random live order at total rate ``delta * n``.

The total rate is ``R = 2 alpha K + 2 mu + delta n``; the agent is woken after an exponential
gap of mean ``1 / R`` and picks the event in proportion to the rates (Gillespie). It follows
its own orders exactly, including fills by its own market orders; when other agents also trade
against its orders, ``n`` catches up at its next event. One uniform draw chooses the event,
the side, the price and the order to cancel; draws come from the injected generator in blocks
of ``block`` numbers (each read through an iterator, the next block drawn when it runs out),
which is what makes 200,000+ events/s possible in pure Python.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from marketsim.core.commands import CancelOrder, Command, SubmitOrder
from marketsim.errors import InvalidCommandError
from marketsim.sim.agents import NS_PER_SECOND, Agent, _lots_range, _non_negative, _positive
from marketsim.sim.view import MarketView


class ZeroIntelligence(Agent):
    """Zero-intelligence limit, market and cancel flow (see the module docstring).

    Rates are per second of simulated time: ``limit_rate`` per tick per side, ``market_rate``
    per side, ``cancel_rate`` per resting order. ``size`` is a fixed number of lots or an
    inclusive ``(low, high)`` range drawn uniformly. ``price`` seeds the reference price while
    the book is empty. The defaults keep a book of a few hundred orders a few ticks wide.
    """

    def __init__(
        self,
        name: str = "zi",
        *,
        limit_rate: float = 1.0,
        market_rate: float = 2.5,
        cancel_rate: float = 0.05,
        window_ticks: int = 20,
        size: int | tuple[int, int] = 1,
        price: float = 100.0,
        block: int = 8192,
    ) -> None:
        super().__init__(name, interval=None)
        self.limit_rate = _positive(limit_rate, "limit_rate")
        self.market_rate = _non_negative(market_rate, "market_rate")
        self.cancel_rate = _non_negative(cancel_rate, "cancel_rate")
        if type(window_ticks) is not int or window_ticks < 1:
            raise InvalidCommandError(f"window_ticks must be an int >= 1, got {window_ticks!r}")
        self.window_ticks = window_ticks
        self.size = _lots_range(size)
        self.price = _positive(price, "price")
        if type(block) is not int or block < 1:
            raise InvalidCommandError(f"block must be an int >= 1, got {block!r}")
        self.block = block
        self._reset()

    def _reset(self) -> None:
        # The current blocks of draws, empty until the first draw of each kind.
        self._uniforms: Iterator[float] = iter(())
        self._exponentials: Iterator[float] = iter(())
        self._sizes: Iterator[int] = iter(())
        self._mid2 = 0  # twice the last two-sided mid, in ticks
        self._ids: list[int] = []  # the agent's live order ids (the view's OwnOrders.ids)
        self._fixed_rate = 0.0
        self._fixed_size = True

    @property
    def limit_total(self) -> float:
        """Rate of limit orders, both sides (per second)."""
        return 2 * self.limit_rate * self.window_ticks

    @property
    def market_total(self) -> float:
        """Rate of market orders, both sides (per second)."""
        return 2 * self.market_rate

    def total_rate(self, live_orders: int) -> float:
        """Events per second with ``live_orders`` resting orders."""
        return self.limit_total + self.market_total + self.cancel_rate * live_orders

    def start(self, view: MarketView, rng: np.random.Generator) -> None:
        self._reset()
        self._mid2 = 2 * view.instrument.price_to_ticks(self.price)
        self._ids = view.orders.ids
        # Constants of the hot path, fixed for the run.
        self._fixed_rate = self.limit_total + self.market_total
        self._fixed_size = self.size[0] == self.size[1]

    def next_wakeup(self, view: MarketView, rng: np.random.Generator, now: int) -> int:
        gap = next(self._exponentials, None)
        if gap is None:
            block = rng.standard_exponential(self.block) * NS_PER_SECOND
            self._exponentials = iter(block.tolist())
            gap = next(self._exponentials)
        return now + int(gap / (self._fixed_rate + self.cancel_rate * len(self._ids)))

    def _draw_size(self, rng: np.random.Generator) -> int:
        low, high = self.size
        if low == high:
            return low
        size = next(self._sizes, None)
        if size is None:
            self._sizes = iter(rng.integers(low, high + 1, self.block).tolist())
            size = next(self._sizes)
        return size

    def act(self, view: MarketView, rng: np.random.Generator, now: int) -> list[Command]:
        u = next(self._uniforms, None)
        if u is None:
            self._uniforms = iter(rng.random(self.block).tolist())
            u = next(self._uniforms)
        ids = self._ids
        live = len(ids)
        x = u * (self._fixed_rate + self.cancel_rate * live)
        alpha = self.limit_rate
        # x / alpha is uniform on [0, 2K + 2 mu / alpha + ...): the first K ticks are buy
        # limits, the next K sell limits, then market buys, market sells and cancels.
        k = int(x / alpha)
        window = self.window_ticks
        if k < 2 * window:
            bid, ask = view.best_bid_ticks, view.best_ask_ticks
            if bid is not None and ask is not None:
                self._mid2 = bid + ask
            if k < window:
                price = (ask if ask is not None else self._mid2 // 2) - 1 - k
                side = "buy"
            else:
                price = (bid if bid is not None else (self._mid2 + 1) // 2) + 1 + k - window
                side = "sell"
            size = self.size[0] if self._fixed_size else self._draw_size(rng)
            return [SubmitOrder(side, size, price if price > 0 else 1, "GTC", False, self.name)]
        x -= 2 * alpha * window
        mu = self.market_rate
        if x < 2 * mu or not live:
            size = self.size[0] if self._fixed_size else self._draw_size(rng)
            return [SubmitOrder("buy" if x < mu else "sell", size, None, "GTC", False, self.name)]
        j = int((x - 2 * mu) / self.cancel_rate)
        return [CancelOrder(ids[j if j < live else live - 1], self.name)]
