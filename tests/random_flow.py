"""``RandomFlow``: a seeded random order flow that makes realistic books for frame and plot
tests (it used to drive ``marketsim demo``, which now runs the ``marketsim.sim`` agents)."""

from __future__ import annotations

import random
from typing import Any

from marketsim.core import Instrument


class RandomFlow:
    """Random orders around a fair price that takes a random walk, one tick at a time.

    Most orders are limit orders resting 1 to 10 ticks from the fair price; some cross it
    (aggressive limits) and some are market orders, which make the trades.
    """

    def __init__(self, instrument: Instrument, seed: int = 7, price: float = 100.0) -> None:
        self.instrument = instrument
        self.fair_ticks = instrument.price_to_ticks(price)
        self._rng = random.Random(seed)

    def orders(self, count: int) -> list[dict[str, Any]]:
        """``count`` orders as ``submit`` keyword arguments (side, qty, price)."""
        rng, orders = self._rng, []
        for _ in range(count):
            if rng.random() < 0.1:
                self.fair_ticks += rng.choice((-1, 1))
            side = rng.choice(("buy", "sell"))
            kind = rng.random()
            if kind < 0.07:
                orders.append({"side": side, "qty": rng.randint(1, 8)})  # a market order
                continue
            # Passive orders rest away from the fair price; aggressive ones reach across it.
            offset = rng.randint(1, 10) if kind > 0.2 else -rng.randint(0, 2)
            ticks = self.fair_ticks - offset if side == "buy" else self.fair_ticks + offset
            price = self.instrument.ticks_to_price(ticks)
            orders.append({"side": side, "qty": rng.choice((1, 2, 3, 5, 10, 20)), "price": price})
        return orders

    def take_cancels(self, live: list[int], count: int) -> list[int]:
        """Remove ``count`` random order ids from ``live`` (or all it has) and return them."""
        chosen = []
        for _ in range(min(count, len(live))):
            index = self._rng.randrange(len(live))
            live[index], live[-1] = live[-1], live[index]  # swap-remove: O(1)
            chosen.append(live.pop())
        return chosen
