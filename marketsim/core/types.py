"""Basic vocabulary of the engine: sides, time in force, and instruments.

Sides and time-in-force values are plain interned strings (``"buy"``, ``"GTC"``, ...) rather
than enums: they print well, compare fast in the matching loop, and match the categories of the
DataFrame schemas one to one.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
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

#: The side of the book an order of each side rests on.
BOOK_SIDE_OF: Final = {BUY: BID, SELL: ASK}


def _as_decimal(value: object, field_name: str) -> Decimal:
    """Convert a user-supplied number to ``Decimal`` exactly as it was written."""
    if isinstance(value, bool) or not isinstance(value, Real | Decimal | str):
        raise InvalidCommandError(
            f"{field_name} must be a number, got {value!r} ({type(value).__name__})"
        )
    try:
        # str() of a float is its shortest round-tripping repr: 100.1 -> Decimal("100.1").
        number = Decimal(str(value))
    except InvalidOperation:
        raise InvalidCommandError(f"{field_name} must be a number, got {value!r}") from None
    if not number.is_finite():
        raise InvalidCommandError(f"{field_name} must be finite, got {value!r}")
    return number


def _grid_divmod(
    number: Decimal, step: Decimal, field_name: str, value: object
) -> tuple[Decimal, Decimal]:
    """``divmod(number, step)``, refusing numbers too large to place on the grid."""
    try:
        return divmod(number, step)
    except InvalidOperation:  # more digits than the decimal context holds
        raise InvalidCommandError(f"{field_name} {value!r} is too large") from None


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
        if not isinstance(symbol, str) or not symbol or not symbol.isprintable():
            raise InvalidCommandError(f"symbol must be a non-empty string, got {symbol!r}")
        tick = _as_decimal(tick_size, "tick_size")
        lot = _as_decimal(lot_size, "lot_size")
        if tick <= 0:
            raise InvalidCommandError(f"tick_size must be positive, got {tick_size!r}")
        if lot <= 0:
            raise InvalidCommandError(f"lot_size must be positive, got {lot_size!r}")
        object.__setattr__(self, "symbol", symbol)
        object.__setattr__(self, "tick_size", tick)
        object.__setattr__(self, "lot_size", lot)
        object.__setattr__(self, "_price_decimals", max(0, -tick.normalize().as_tuple().exponent))

    @property
    def price_decimals(self) -> int:
        """Number of decimals needed to print any price on this instrument's grid."""
        return self._price_decimals

    def price_to_ticks(self, price: object, field_name: str = "price") -> int:
        """Convert a price to integer ticks; raise ``InvalidCommandError`` if off the grid."""
        if isinstance(price, float) and not math.isfinite(price):
            raise InvalidCommandError(f"{field_name} must be finite, got {price!r}")
        number = _as_decimal(price, field_name)
        if number <= 0:
            raise InvalidCommandError(
                f"{field_name} must be a positive multiple of tick {self.tick_size} "
                f"for {self.symbol}, got {price!r}"
            )
        ticks, remainder = _grid_divmod(number, self.tick_size, field_name, price)
        if remainder:
            raise InvalidCommandError(
                f"{field_name} {price!r} is not a multiple of tick {self.tick_size} "
                f"for {self.symbol}"
            )
        if ticks > MAX_PRICE_TICKS:
            raise InvalidCommandError(
                f"{field_name} {price!r} is too large: at most {MAX_PRICE_TICKS * self.tick_size}"
            )
        return int(ticks)

    def qty_to_lots(self, qty: object, field_name: str = "qty") -> int:
        """Convert a quantity to integer lots; raise ``InvalidCommandError`` if invalid."""
        if isinstance(qty, float) and not math.isfinite(qty):
            raise InvalidCommandError(f"{field_name} must be finite, got {qty!r}")
        number = _as_decimal(qty, field_name)
        if number <= 0:
            raise InvalidCommandError(
                f"{field_name} must be a positive multiple of lot {self.lot_size} "
                f"for {self.symbol}, got {qty!r}"
            )
        lots, remainder = _grid_divmod(number, self.lot_size, field_name, qty)
        if remainder:
            raise InvalidCommandError(
                f"{field_name} {qty!r} is not a multiple of lot {self.lot_size} for {self.symbol}"
            )
        if lots > MAX_QTY_LOTS:
            raise InvalidCommandError(
                f"{field_name} {qty!r} is too large: at most {MAX_QTY_LOTS * self.lot_size}"
            )
        return int(lots)

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
