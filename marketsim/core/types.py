"""Basic vocabulary of the engine: sides, time in force, and instruments.

Sides and time-in-force values are plain interned strings (``"buy"``, ``"GTC"``, ...) rather
than enums: they print well, compare fast in the matching loop, and match the categories of the
DataFrame schemas one to one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation
from numbers import Real
from typing import Final, Literal

from marketsim.errors import InvalidCommandError

Side = Literal["buy", "sell"]
BookSide = Literal["bid", "ask"]
TimeInForce = Literal["GTC", "IOC", "FOK"]

BUY: Final = "buy"
SELL: Final = "sell"
BID: Final = "bid"
ASK: Final = "ask"
SIDES: Final = (BUY, SELL)
BOOK_SIDES: Final = (BID, ASK)
TIME_IN_FORCE: Final = ("GTC", "IOC", "FOK")

#: Largest quantity of one order and largest price, in lots and ticks. Far beyond any real
#: market, they keep every level total and price inside int64 (the wire) and exact in the
#: float64 columns of the frames.
MAX_QTY_LOTS: Final = 10**12
MAX_PRICE_TICKS: Final = 10**15

#: What a symbol may be made of: short, printable, and safe in file names and URLs.
SYMBOL_PATTERN: Final = re.compile(r"[A-Za-z0-9._-]{1,32}")
#: Tick, lot and fee sizes: at most this many significant digits, within 1e-12..1e12.
MAX_SIZE_DIGITS: Final = 12
MIN_SIZE: Final = Decimal("1e-12")
MAX_SIZE: Final = Decimal("1e12")
#: Longest text accepted for a number; a longer one is refused before it is parsed.
MAX_NUMBER_TEXT: Final = 40
#: A float this close to a grid point, relative to the step, counts as that grid point:
#: ``10010 * 0.01`` is 100.10000000000001, which is meant as 100.10.
SNAP_TOLERANCE: Final = Decimal("1e-9")
#: For large values float rounding itself exceeds that (a double holds ~16 digits), so a float
#: within 16 units in the last place of a grid point (relative 2**-48) counts too; never more
#: than a quarter step, so a value still snaps to one grid point only.
FLOAT_ROUNDING: Final = Decimal(2) ** -48

#: The side of the book an order of each side rests on.
BOOK_SIDE_OF: Final = {BUY: BID, SELL: ASK}


def _as_decimal(value: object, field_name: str) -> Decimal:
    """Convert a user-supplied number to ``Decimal`` exactly as it was written.

    The one rule for every price, quantity, tick and lot size: an int, float, Decimal (or
    another real number type), or a string that spells a decimal number ("100.05": exact,
    as typed on a command line or in a form). Booleans are refused although Python counts
    them as ints: ``True`` as a quantity is a mistake, never one share.
    """
    if isinstance(value, bool) or not isinstance(value, Real | Decimal | str):
        raise InvalidCommandError(
            f"{field_name} must be a number, got {quoted(value)} ({type(value).__name__})"
        )
    try:
        # str() of a float is its shortest round-tripping repr: 100.1 -> Decimal("100.1").
        number = Decimal(str(value))
    except InvalidOperation:
        raise InvalidCommandError(f"{field_name} must be a number, got {quoted(value)}") from None
    if not number.is_finite():
        raise InvalidCommandError(f"{field_name} must be finite, got {quoted(value)}")
    return number


def quoted(value: object, limit: int = 80) -> str:
    """``repr(value)`` cut to ``limit`` characters, for error messages about untrusted input.

    A ``Decimal`` shows as the number it spells (``99.995``, as a float would), not as
    ``Decimal('99.995')``: a form that parses prices exactly must not read differently.
    """
    text = str(value) if isinstance(value, Decimal) else repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def check_symbol(symbol: object) -> str:
    """``symbol`` if it matches ``SYMBOL_PATTERN``; else ``InvalidCommandError``."""
    if not isinstance(symbol, str) or not SYMBOL_PATTERN.fullmatch(symbol):
        raise InvalidCommandError(
            f"symbol must be 1 to 32 of the characters A-Z a-z 0-9 . _ -, got {quoted(symbol)}"
        )
    return symbol


def as_bounded_decimal(value: object, field_name: str, *, signed: bool = False) -> Decimal:
    """A size (tick, lot or fee) as ``Decimal``: at most ``MAX_SIZE_DIGITS`` significant digits
    and, unless zero, between ``MIN_SIZE`` and ``MAX_SIZE`` in magnitude.

    Sizes must be positive unless ``signed`` (fees: zero, or negative for a rebate).
    """
    if isinstance(value, str) and len(value) > MAX_NUMBER_TEXT:
        raise InvalidCommandError(
            f"{field_name} is too long: at most {MAX_NUMBER_TEXT} characters, got {quoted(value)}"
        )
    number = _as_decimal(value, field_name)
    if not signed and number <= 0:
        raise InvalidCommandError(f"{field_name} must be positive, got {quoted(value)}")
    if number and not MIN_SIZE <= number.copy_abs() <= MAX_SIZE:  # copy_abs: no overflow
        raise InvalidCommandError(
            f"{field_name} must be between {MIN_SIZE} and {MAX_SIZE:.0f}"
            f"{' in magnitude' if signed else ''}, got {quoted(value)}"
        )
    if len(number.normalize().as_tuple().digits) > MAX_SIZE_DIGITS:
        raise InvalidCommandError(
            f"{field_name} may have at most {MAX_SIZE_DIGITS} significant digits, "
            f"got {quoted(value)}"
        )
    return number


@dataclass(frozen=True, slots=True)
class Instrument:
    """A listed instrument: its symbol, price grid (tick) and quantity grid (lot).

    Inside the engine prices are integer ticks and quantities integer lots; this class owns the
    conversion between those integers and the numbers people type, with validation.
    """

    symbol: str
    tick_size: Decimal
    lot_size: Decimal = Decimal(1)
    _price_decimals: int = field(init=False, repr=False, compare=False)

    def __init__(
        self, symbol: str, tick_size: float | Decimal | str, lot_size: float | Decimal | str = 1
    ) -> None:
        check_symbol(symbol)
        tick = as_bounded_decimal(tick_size, "tick_size")
        lot = as_bounded_decimal(lot_size, "lot_size")
        object.__setattr__(self, "symbol", symbol)
        object.__setattr__(self, "tick_size", tick)
        object.__setattr__(self, "lot_size", lot)
        object.__setattr__(self, "_price_decimals", max(0, -tick.normalize().as_tuple().exponent))

    @property
    def price_decimals(self) -> int:
        """Number of decimals needed to print any price on this instrument's grid."""
        return self._price_decimals

    @property
    def whole_lots(self) -> bool:
        """True when a lot is a whole number of units (1 share, 100 shares), so every
        quantity is an integer; False for a fractional lot (0.001 of a coin)."""
        return self.lot_size == self.lot_size.to_integral_value()

    def price_to_ticks(self, price: object, field_name: str = "price") -> int:
        """Convert a price to integer ticks; raise ``InvalidCommandError`` if off the grid."""
        return self._whole_steps(price, field_name, self.tick_size, "tick", MAX_PRICE_TICKS)

    def qty_to_lots(self, qty: object, field_name: str = "qty") -> int:
        """Convert a quantity to integer lots; raise ``InvalidCommandError`` if invalid."""
        return self._whole_steps(qty, field_name, self.lot_size, "lot", MAX_QTY_LOTS)

    def _whole_steps(
        self, value: object, field_name: str, step: Decimal, step_name: str, maximum: int
    ) -> int:
        """``value`` as a positive whole number of ``step`` (at most ``maximum``)."""
        number = _as_decimal(value, field_name)
        if number <= 0:
            raise InvalidCommandError(
                f"{field_name} must be a positive multiple of {step_name} {step} "
                f"for {self.symbol}, got {quoted(value)}"
            )
        try:
            steps, remainder = divmod(number, step)
        except InvalidOperation:  # more digits than the decimal context holds
            raise InvalidCommandError(f"{field_name} {quoted(value)} is too large") from None
        if remainder and isinstance(value, float):
            snapped = _snapped_steps(number, step)
            if snapped is not None:
                steps, remainder = snapped, Decimal(0)
        if remainder:
            raise InvalidCommandError(
                f"{field_name} {quoted(value)} is not a multiple of {step_name} {step} "
                f"for {self.symbol}"
            )
        if steps > maximum:
            raise InvalidCommandError(
                f"{field_name} {quoted(value)} is too large: at most {maximum * step}"
            )
        return int(steps)

    def ticks_to_price(self, ticks: int) -> float:
        """The price of ``ticks`` as a float, rounded to the grid's decimals."""
        return round(float(ticks * self.tick_size), self._price_decimals)

    def lots_to_qty(self, lots: int) -> int | float:
        """The quantity of ``lots``: an int when the lot size is whole, else a float."""
        qty = lots * self.lot_size
        return int(qty) if qty == qty.to_integral_value() else float(qty)

    def format_price(self, ticks: int) -> str:
        """The price of ``ticks`` as text with the grid's number of decimals."""
        return f"{self.ticks_to_price(ticks):.{self._price_decimals}f}"


def _snapped_steps(number: Decimal, step: Decimal) -> Decimal | None:
    """The grid point a float lies within rounding distance of, else None (see
    ``SNAP_TOLERANCE`` and ``FLOAT_ROUNDING``).

    Only floats snap: their arithmetic (``mid + k * tick``) lands a hair off the grid, while a
    ``Decimal`` or a string says exactly what it means and must be on the grid.
    """
    nearest = (number / step).to_integral_value(ROUND_HALF_EVEN)
    tolerance = min(max(step * SNAP_TOLERANCE, abs(number) * FLOAT_ROUNDING), step / 4)
    if abs(number - nearest * step) <= tolerance:
        return nearest
    return None
