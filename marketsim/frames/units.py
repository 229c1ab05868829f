"""Integer ticks and lots to float prices and quantities, a whole column at a time.

A step of the grid (tick or lot size) with ``d`` decimals is ``units / 10**d`` exactly, so a
count ``n`` of steps is ``n * units / 10**d``: an exact integer product and one correctly
rounded division. The result is the float nearest to the true decimal value, the same number
``Instrument.ticks_to_price`` gives for a single price (100.05, never 100.05000000000001).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

import numpy as np

from marketsim.core.types import Instrument


@dataclass(frozen=True)
class Scale:
    """Converts counts of one grid step to floats: ``count * units / divisor``."""

    units: int
    divisor: int

    @classmethod
    def of(cls, step: Decimal) -> Scale:
        """The scale of a grid step such as ``Decimal("0.01")``."""
        exponent = step.normalize().as_tuple().exponent
        assert isinstance(exponent, int)  # a tick or lot size is always finite
        decimals = max(0, -exponent)
        return cls(int(step.scaleb(decimals)), 10**decimals)

    def __call__(self, counts: Sequence[int | float | None] | np.ndarray) -> np.ndarray:
        """``counts`` as float64 values; ``None`` or NaN counts become NaN."""
        return np.asarray(counts, dtype=np.float64) * self.units / self.divisor


@dataclass(frozen=True)
class Units:
    """The price and quantity scales of one instrument."""

    price: Scale
    qty: Scale

    @classmethod
    def of(cls, instrument: Instrument) -> Units:
        """The scales of ``instrument``'s tick and lot sizes."""
        return cls(Scale.of(instrument.tick_size), Scale.of(instrument.lot_size))
