"""Accounts: each owner's position, cash, fees and profit per instrument, fed by engine events.

One ledger serves the server (participants' accounts and the leaderboard), the simulator (each
agent's position and P&L) and recordings. It follows the same events everything else is
projected from: trades move positions and cash; order events keep each owner's open orders
(those resting in the book: a stop order joins them when it triggers).

Accounting is *average cost*. Buying adds to the cost basis of a long position at the price
paid; selling out of it realises ``qty x (price - average price)`` and keeps the average of what
remains (and the mirror image for short positions). With ``mark`` the current value of one unit:

    unrealized = position x mark - cost basis
    total      = cash + position x mark = realized + unrealized - fees

``cash`` is the money actually held: the price of every sale minus every purchase, minus the fees
paid (a rebate is a negative fee). Across all owners of an instrument positions sum to zero and
cash sums to minus the fees collected.

Money is exact inside. Cash and fees are integers in *money units* of ``tick x lot / scale``,
where ``scale`` is the smallest power of ten that puts the instrument's fees on that grid (1
without fees). The cost basis is an integer too, except after a partial close at an average
price between two grid points, when it is an exact ``Fraction``. Floats appear only in
``Account``, the view for people.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

from marketsim.core.events import (
    BookDelta,
    Event,
    OrderAccepted,
    OrderCancelled,
    OrderReplaced,
    StopTriggered,
    Trade,
)
from marketsim.core.types import Instrument, as_bounded_decimal
from marketsim.errors import InvalidCommandError, UnknownSymbolError

#: Fees need at most this many decimal places below the tick to be exact.
MAX_FEE_DIGITS = 12


def _exact_div(numerator: int | Fraction, denominator: int) -> int | Fraction:
    """``numerator / denominator``, an int when it divides evenly, else a Fraction."""
    if type(numerator) is int and numerator % denominator == 0:
        return numerator // denominator
    return Fraction(numerator, denominator)


@dataclass(frozen=True, slots=True)
class Fees:
    """Fees of one instrument per unit of quantity traded, in money (negative: a rebate).

    ``maker`` is charged to the resting order's owner, ``taker`` to the incoming order's.
    """

    maker: Decimal = Decimal(0)
    taker: Decimal = Decimal(0)

    def __init__(self, maker: float | Decimal | str = 0, taker: float | Decimal | str = 0) -> None:
        object.__setattr__(self, "maker", as_bounded_decimal(maker, "maker_fee", signed=True))
        object.__setattr__(self, "taker", as_bounded_decimal(taker, "taker_fee", signed=True))

    @classmethod
    def of(cls, spec: Fees | Mapping[str, object] | tuple | None) -> Fees:
        """Fees from ``Fees``, ``{"maker": ..., "taker": ...}``, ``(maker, taker)`` or None."""
        if spec is None:
            return cls()
        if isinstance(spec, Fees):
            return spec
        if isinstance(spec, Mapping):
            unknown = set(spec) - {"maker", "taker"}
            if unknown:
                raise InvalidCommandError(f"fees take 'maker' and 'taker', got {sorted(unknown)}")
            return cls(**spec)  # type: ignore[arg-type]
        if isinstance(spec, tuple) and len(spec) == 2:
            return cls(*spec)
        raise InvalidCommandError(f"fees must be (maker, taker) or a mapping, got {spec!r:.80}")


class _Grid:
    """An instrument's money grid: the scale of its money unit and its fees in those units."""

    __slots__ = ("fees", "instrument", "maker_fee", "scale", "taker_fee", "unit")

    def __init__(self, instrument: Instrument, fees: Fees) -> None:
        self.instrument = instrument
        self.fees = fees
        tick = instrument.tick_size
        for digits in range(MAX_FEE_DIGITS + 1):
            scale = 10**digits
            maker, taker = fees.maker * scale / tick, fees.taker * scale / tick
            if maker == maker.to_integral_value() and taker == taker.to_integral_value():
                break
        else:
            raise InvalidCommandError(
                f"fees of {instrument.symbol} need more than {MAX_FEE_DIGITS} decimals below "
                f"the tick {tick}"
            )
        self.scale = scale
        # Fees per lot traded, in money units (a fee is quoted per unit of quantity).
        self.maker_fee = int(maker * instrument.lot_size)
        self.taker_fee = int(taker * instrument.lot_size)
        #: The value of one money unit.
        self.unit = Fraction(tick * instrument.lot_size) / scale

    def money(self, units: int | Fraction) -> float:
        return float(units * self.unit)


class Position:
    """One owner's holding in one instrument, exact: see the module docstring for the units.

    ``lots`` (positive: long), ``cost`` (the cost basis, signed like the position), ``cash`` and
    ``fees`` in money units, ``traded_lots``; and the owner's open orders as
    ``{order_id: (side, open lots)}`` with their totals per side.
    """

    __slots__ = (
        "cash",
        "cost",
        "fees",
        "lots",
        "open_buy_lots",
        "open_orders",
        "open_sell_lots",
        "traded_lots",
    )

    def __init__(self) -> None:
        self.lots = 0
        self.cost: int | Fraction = 0
        self.cash = 0
        self.fees = 0
        self.traded_lots = 0
        self.open_orders: dict[int, list] = {}  # order_id -> [side, open lots]
        self.open_buy_lots = 0
        self.open_sell_lots = 0

    @property
    def realized(self) -> int | Fraction:
        """Realised profit before fees, in money units."""
        return self.cash + self.fees + self.cost

    def fill(self, buying: bool, price_units: int, lots: int, fee: int) -> None:
        """Book an execution of ``lots`` at ``price_units`` per lot, paying ``fee``."""
        held = self.lots
        signed = lots if buying else -lots
        self.cash -= signed * price_units + fee
        self.fees += fee
        self.traded_lots += lots
        if held == 0 or (held > 0) == buying:
            self.cost += signed * price_units
        elif lots < abs(held):  # a partial close keeps the average price
            self.cost = _exact_div(self.cost * (abs(held) - lots), abs(held))
        else:  # closed, and perhaps opened the other way at this price
            self.cost = (held + signed) * price_units
        self.lots = held + signed

    def open(self, order_id: int, side: str, lots: int) -> None:
        self.open_orders[order_id] = [side, lots]
        if side == "buy":
            self.open_buy_lots += lots
        else:
            self.open_sell_lots += lots

    def reduce(self, order_id: int, lots: int | None) -> None:
        """Take ``lots`` (None: all) off an open order, forgetting it when nothing is left."""
        order = self.open_orders.get(order_id)
        if order is None:
            return
        side, open_lots = order
        taken = open_lots if lots is None else min(lots, open_lots)
        if side == "buy":
            self.open_buy_lots -= taken
        else:
            self.open_sell_lots -= taken
        if taken == open_lots:
            del self.open_orders[order_id]
        else:
            order[1] = open_lots - taken


@dataclass(frozen=True, slots=True)
class Account:
    """One owner's account in one instrument, in the instrument's units (floats for money).

    ``position`` (positive: long) and ``traded_qty`` in quantity units; ``avg_price`` of the
    open position (NaN while flat); ``cash`` (sales minus purchases minus fees);
    ``realized_pnl`` (before fees), ``unrealized_pnl`` (the position valued at ``mark``),
    ``fees`` (paid; negative for net rebates) and ``total_pnl`` = realized + unrealized - fees
    = cash + position x mark. ``mark`` is the mid when both sides are quoted, else the last
    trade price, else NaN (and so are the unrealized and total P&L of an open position).
    ``open_orders`` counts the owner's resting orders.
    """

    owner: str
    symbol: str
    position: int | float
    avg_price: float
    cash: float
    realized_pnl: float
    unrealized_pnl: float
    total_pnl: float
    fees: float
    traded_qty: int | float
    open_orders: int
    mark: float

    #: The fields in order, as DataFrame columns.
    FIELDS = (
        "owner",
        "symbol",
        "position",
        "avg_price",
        "cash",
        "realized_pnl",
        "unrealized_pnl",
        "total_pnl",
        "fees",
        "traded_qty",
        "open_orders",
        "mark",
    )


class Ledger:
    """Accounts of every owner in every listed instrument, kept from engine events.

    >>> from marketsim.core import OrderBook
    >>> book, ledger = OrderBook("ACME", 0.01), Ledger()
    >>> ledger.add_instrument(book.instrument)
    >>> ledger.apply("ACME", book.submit("sell", 10, 100.00, owner="ann").events)
    >>> ledger.apply("ACME", book.submit("buy", 4, owner="bob").events)
    >>> ledger.account("bob", "ACME", mark_ticks=10_010).unrealized_pnl
    0.4

    ``apply`` takes each command's events in order. Owners appear when they first trade or
    rest an order; ``account`` of anyone else is flat.
    """

    def __init__(
        self,
        instruments: Iterable[Instrument] = (),
        fees: Mapping[str, Fees | Mapping | tuple] | None = None,
    ) -> None:
        self._grids: dict[str, _Grid] = {}
        self._positions: dict[str, dict[str, Position]] = {}
        self._last_trade: dict[str, int] = {}
        # Pending stop orders' time in force, by order id, until they trigger or go.
        self._stop_tif: dict[int, str] = {}
        for instrument in instruments:
            self.add_instrument(instrument, (fees or {}).get(instrument.symbol))

    @classmethod
    def from_events(
        cls, events: Iterable[Event], instrument: Instrument, fees: Fees | None = None
    ) -> Ledger:
        """The ledger of one instrument's event log (a book's, a recording's or a run's)."""
        ledger = cls()
        ledger.add_instrument(instrument, fees)
        ledger.apply(instrument.symbol, events)
        return ledger

    def add_instrument(
        self, instrument: Instrument, fees: Fees | Mapping | tuple | None = None
    ) -> None:
        """Start keeping accounts in ``instrument`` (with its maker/taker ``fees``)."""
        self._grids[instrument.symbol] = _Grid(instrument, Fees.of(fees))
        self._positions.setdefault(instrument.symbol, {})

    def fees(self, symbol: str) -> Fees:
        """The fees of ``symbol``."""
        return self._grid(symbol).fees

    def _grid(self, symbol: str) -> _Grid:
        try:
            return self._grids[symbol]
        except KeyError:
            raise UnknownSymbolError(f"the ledger keeps no instrument {symbol!r:.40}") from None

    # -- feeding ------------------------------------------------------------------------------

    def apply(self, symbol: str, events: Iterable[Event]) -> None:
        """Book one command's events (in order) of ``symbol``."""
        positions = self._positions[symbol]
        grid = self._grids[symbol]
        for event in events:
            kind = type(event)
            if kind is BookDelta:  # the most frequent event, and no concern of accounts
                continue
            if kind is Trade:
                price_units = event.price_ticks * grid.scale  # type: ignore[union-attr]
                lots = event.qty_lots  # type: ignore[union-attr]
                taker_buys = event.aggressor_side == "buy"  # type: ignore[union-attr]
                self._last_trade[symbol] = event.price_ticks  # type: ignore[union-attr]
                maker = positions.get(event.maker_owner)  # type: ignore[union-attr]
                if maker is None:
                    maker = positions[event.maker_owner] = Position()  # type: ignore[union-attr]
                maker.fill(not taker_buys, price_units, lots, grid.maker_fee * lots)
                maker.reduce(event.maker_order_id, lots)  # type: ignore[union-attr]
                taker = positions.get(event.taker_owner)  # type: ignore[union-attr]
                if taker is None:
                    taker = positions[event.taker_owner] = Position()  # type: ignore[union-attr]
                taker.fill(taker_buys, price_units, lots, grid.taker_fee * lots)
                taker.reduce(event.taker_order_id, lots)  # type: ignore[union-attr]
            elif kind is OrderAccepted:
                if event.stop_price_ticks is not None:  # type: ignore[union-attr]
                    # A stop waits outside the book; it opens when (and if) it triggers.
                    self._stop_tif[event.order_id] = event.tif  # type: ignore[union-attr]
                elif event.price_ticks is not None and event.tif == "GTC":  # type: ignore[union-attr]
                    # Only GTC limit orders may rest; their own trades follow and reduce them.
                    self._open(positions, event, event.qty_lots)  # type: ignore[union-attr]
            elif kind is StopTriggered:
                tif = self._stop_tif.pop(event.order_id, None)  # type: ignore[union-attr]
                if event.price_ticks is not None and tif == "GTC":  # type: ignore[union-attr]
                    self._open(positions, event, event.qty_lots)  # type: ignore[union-attr]
            elif kind is OrderCancelled:
                # By the cancelled quantity: a cancel may take only part of an order (e.g.
                # self-trade prevention's "decrement").
                self._stop_tif.pop(event.order_id, None)  # type: ignore[union-attr]
                position = positions.get(event.owner)  # type: ignore[union-attr]
                if position is not None:
                    position.reduce(event.order_id, event.qty_lots)  # type: ignore[union-attr]
            elif kind is OrderReplaced:
                position = positions.get(event.owner)  # type: ignore[union-attr]
                if position is not None and event.order_id in position.open_orders:  # type: ignore[union-attr]
                    position.reduce(event.order_id, None)  # type: ignore[union-attr]
                    position.open(event.order_id, event.side, event.qty_lots)  # type: ignore[union-attr]

    def book_off_exchange(
        self, owner: str, symbol: str, side: str, price_ticks: int, lots: int
    ) -> None:
        """Book a trade made away from the book, such as a tender offer accepted from the
        house: ``owner`` buys or sells (``side``) ``lots`` at ``price_ticks``, without fees.
        The counterparty keeps no account here, so cash and positions no longer sum to zero.
        """
        if side not in ("buy", "sell"):
            raise InvalidCommandError(f"side must be 'buy' or 'sell', got {side!r:.40}")
        if type(lots) is not int or lots < 1 or type(price_ticks) is not int or price_ticks < 1:
            raise InvalidCommandError("an off-exchange trade needs positive int lots and ticks")
        grid = self._grid(symbol)
        positions = self._positions[grid.instrument.symbol]
        position = positions.get(owner)
        if position is None:
            position = positions[owner] = Position()
        position.fill(side == "buy", price_ticks * grid.scale, lots, 0)

    @staticmethod
    def _open(positions: dict[str, Position], event, lots: int) -> None:
        position = positions.get(event.owner)
        if position is None:
            position = positions[event.owner] = Position()
        position.open(event.order_id, event.side, lots)

    # -- queries ------------------------------------------------------------------------------

    def position(self, owner: str, symbol: str) -> Position:
        """The exact ``Position`` of ``owner`` in ``symbol`` (a flat one, not kept, if none).

        Read it, never change it: the ledger changes positions only from events.
        """
        position = self._positions[self._grid(symbol).instrument.symbol].get(owner)
        return position if position is not None else Position()

    def owners(self, symbol: str | None = None) -> list[str]:
        """Everyone with an account, in one instrument or any, sorted."""
        symbols = [symbol] if symbol is not None else list(self._positions)
        return sorted({owner for s in symbols for owner in self._positions.get(s, ())})

    @property
    def symbols(self) -> list[str]:
        """The instruments the ledger keeps accounts in."""
        return list(self._grids)

    def mark_ticks(
        self, symbol: str, best_bid_ticks: int | None = None, best_ask_ticks: int | None = None
    ) -> Fraction | int | None:
        """The mark of ``symbol``: the mid of the given quotes, else the last trade, else None."""
        if best_bid_ticks is not None and best_ask_ticks is not None:
            return _exact_div(best_bid_ticks + best_ask_ticks, 2)
        return self._last_trade.get(symbol)

    def account(
        self,
        owner: str,
        symbol: str,
        *,
        best_bid_ticks: int | None = None,
        best_ask_ticks: int | None = None,
        mark_ticks: Fraction | int | float | None = None,
    ) -> Account:
        """``owner``'s ``Account`` in ``symbol``, marked at ``mark_ticks`` if given, else at the
        mid of the given best quotes, else at the last trade."""
        grid = self._grid(symbol)
        if mark_ticks is None:
            mark_ticks = self.mark_ticks(symbol, best_bid_ticks, best_ask_ticks)
        position = self._positions[symbol].get(owner) or Position()
        return _account(owner, grid, position, mark_ticks)

    def accounts(
        self, symbol: str, *, best_bid_ticks: int | None = None, best_ask_ticks: int | None = None
    ) -> Iterator[Account]:
        """Every owner's ``Account`` in ``symbol``, by owner name."""
        mark = self.mark_ticks(symbol, best_bid_ticks, best_ask_ticks)
        grid = self._grid(symbol)
        positions = self._positions[symbol]
        for owner in sorted(positions):
            yield _account(owner, grid, positions[owner], mark)


def _account(
    owner: str, grid: _Grid, position: Position, mark_ticks: Fraction | int | float | None
) -> Account:
    instrument = grid.instrument
    lots = position.lots
    nan = math.nan
    if mark_ticks is None or (isinstance(mark_ticks, float) and math.isnan(mark_ticks)):
        mark, unrealized, total = nan, (0.0 if lots == 0 else nan), nan
        if lots == 0:
            total = grid.money(position.cash)
    else:
        value = lots * Fraction(mark_ticks) * grid.scale
        mark = float(Fraction(mark_ticks) * Fraction(instrument.tick_size))
        unrealized = grid.money(value - position.cost)
        total = grid.money(position.cash + value)
    avg_price = (
        float(Fraction(position.cost) / (lots * grid.scale) * Fraction(instrument.tick_size))
        if lots
        else nan
    )
    return Account(
        owner,
        instrument.symbol,
        instrument.lots_to_qty(lots),
        avg_price,
        grid.money(position.cash),
        grid.money(position.realized),
        unrealized,
        total,
        grid.money(position.fees),
        instrument.lots_to_qty(position.traded_lots),
        len(position.open_orders),
        mark,
    )


__all__ = ["Account", "Fees", "Ledger", "Position"]
