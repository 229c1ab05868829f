"""The fundamental value of an instrument: a seeded random process on the tick grid.

Students never see it directly; they see news about it and prices that automated traders set
from it. At the end of a heat positions may settle at it. It changes only when the heat steps
it (every ``every`` seconds) or when a news item shocks it, so for a given seed it follows the
same path however fast the clock runs.
"""

from __future__ import annotations

import math

import numpy as np

from marketsim.cases.model import InstrumentSpec


class FundamentalValue:
    """One instrument's value in ticks (a float inside, read as the nearest tick)."""

    def __init__(self, spec: InstrumentSpec, rng: np.random.Generator) -> None:
        instrument = spec.instrument
        self.spec = spec.value
        self._rng = rng
        self._tick = float(instrument.tick_size)
        self._start = float(instrument.price_to_ticks(spec.start_price))
        self._ticks = self._start
        # The chance of at least one jump in a step of a Poisson process of rate jump_rate.
        self._jump_chance = -math.expm1(-self.spec.jump_rate * self.spec.every)

    @property
    def ticks(self) -> int:
        """The value on the tick grid (never below one tick)."""
        return max(1, round(self._ticks))

    def step(self) -> int:
        """Move one step of the process and return the new value in ticks."""
        spec = self.spec
        change = self._rng.normal(0.0, spec.sigma / self._tick) if spec.sigma else 0.0
        if spec.process == "mean_reversion":
            change += spec.kappa * (self._start - self._ticks)
        elif spec.process == "jumps" and self._rng.random() < self._jump_chance:
            change += self._rng.normal(0.0, spec.jump_size / self._tick)
        self._ticks = max(1.0, self._ticks + change)
        return self.ticks

    def shock(self, price_change: float) -> int:
        """Add a news shock (price units, may be negative); return the new value in ticks."""
        self._ticks = max(1.0, self._ticks + price_change / self._tick)
        return self.ticks
