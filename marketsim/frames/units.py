"""Integer ticks and lots to float prices and quantities, a whole column at a time.

A step of the grid (tick or lot size) with ``d`` decimals is ``units / 10**d`` exactly, so a
count ``n`` of steps is ``n * units / 10**d``: an exact integer product and one correctly
rounded division. The result is the float nearest to the true decimal value, the same number
``Instrument.ticks_to_price`` gives for a single price (100.05, never 100.05000000000001).

Quantities of a whole lot (``divisor`` 1) stay integers, exact up to 2**63 - 1 units; see
``Scale.quantities`` and the frame schemas.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

import numpy as np
import pandas as pd

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

    @property
    def whole(self) -> bool:
        """True when the step is a whole number of units, so every count is an integer."""
        return self.divisor == 1

    def quantities(
        self, counts: Sequence[int | None] | np.ndarray
    ) -> np.ndarray | pd.api.extensions.ExtensionArray:
        """``counts`` of a lot as quantities, in the dtype of the frames' quantity columns.

        For a whole step, integers: an ``int64`` array from an array of counts, a nullable
        ``Int64`` array (``<NA>`` where a count is None) from a sequence. Otherwise floats,
        NaN where a count is None. ``OverflowError`` if a quantity exceeds int64.
        """
        if not self.whole:
            return self(counts)
        if isinstance(counts, np.ndarray):
            values, missing = counts.astype(np.int64, copy=False), None
        else:
            values, missing = _counts_and_gaps(counts)
        if self.units != 1:
            limit = np.iinfo(np.int64).max // self.units
            if values.size and np.abs(values).max() > limit:
                raise OverflowError(
                    f"a quantity of more than {limit} lots of {self.units} exceeds int64"
                )
            values = values * self.units
        return values if missing is None else pd.arrays.IntegerArray(values, missing)


#: Every integer below this is exact as a float64.
_EXACT_IN_FLOAT = 2**53


def _counts_and_gaps(counts: Sequence[int | None]) -> tuple[np.ndarray, np.ndarray]:
    """``counts`` as int64 (0 where None) and a mask of the Nones.

    numpy converts a sequence holding None to float64 (None as NaN) in C, several times faster
    than a Python loop; the loop remains for counts too large to be exact as floats.
    """
    floats = np.asarray(counts, dtype=np.float64)
    missing = np.isnan(floats)
    if missing.all() or np.abs(floats[~missing]).max() < _EXACT_IN_FLOAT:
        return np.where(missing, 0, floats).astype(np.int64), missing
    exact = np.fromiter((count or 0 for count in counts), np.int64, len(counts))
    return exact, missing


@dataclass(frozen=True)
class Units:
    """The price and quantity scales of one instrument."""

    price: Scale
    qty: Scale

    @classmethod
    def of(cls, instrument: Instrument) -> Units:
        """The scales of ``instrument``'s tick and lot sizes."""
        return cls(Scale.of(instrument.tick_size), Scale.of(instrument.lot_size))
