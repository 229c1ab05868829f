"""``Exchange``: several instruments, each with its own book, sharing one order-id space."""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Mapping
from decimal import Decimal

from marketsim.core.matching import OrderIds
from marketsim.core.orderbook import OrderBook
from marketsim.core.types import Instrument, quoted
from marketsim.errors import DuplicateSymbolError, UnknownOrderError, UnknownSymbolError

TickSpec = float | Decimal | str | Instrument


class Exchange(Mapping[str, OrderBook]):
    """A set of order books by symbol; ``exchange["ACME"]`` is an ``OrderBook``.

    >>> ex = Exchange({"ACME": 0.01, "XYZ": 0.05})
    >>> ex["XYZ"].tick_size
    Decimal('0.05')

    Order ids are unique across all instruments, so an id alone finds its order.
    """

    def __init__(
        self, instruments: Mapping[str, TickSpec] | None = None, *, keep_events: bool = True
    ) -> None:
        self._keep_events = keep_events  # see OrderBook(keep_events=...)
        self._books: dict[str, OrderBook] = {}
        self._order_ids = OrderIds()
        for symbol, spec in (instruments or {}).items():
            if isinstance(spec, Instrument):
                self.add_instrument(spec)
            else:
                self.add_instrument(symbol, spec)

    def add_instrument(
        self,
        symbol: str | Instrument,
        tick_size: float | Decimal | str = 0.01,
        lot_size: float | Decimal | str = 1,
    ) -> OrderBook:
        """List a new instrument and return its (empty) book."""
        instrument = (
            symbol if isinstance(symbol, Instrument) else Instrument(symbol, tick_size, lot_size)
        )
        if instrument.symbol in self._books:
            raise DuplicateSymbolError(f"instrument {instrument.symbol!r} is already listed")
        book = OrderBook(instrument, order_ids=self._order_ids, keep_events=self._keep_events)
        self._books[instrument.symbol] = book
        return book

    def __getitem__(self, symbol: str) -> OrderBook:
        try:
            return self._books[symbol]
        except (KeyError, TypeError):
            raise UnknownSymbolError(
                f"unknown symbol {quoted(symbol, 40)}; {self._listing()}"
            ) from None

    def _listing(self, most: int = 10) -> str:
        """ "listed: A, B, ..." naming at most ``most`` symbols (error messages stay short)."""
        if not self._books:
            return "none listed"
        symbols = list(itertools.islice(self._books, most))
        more = len(self._books) - len(symbols)
        return f"listed: {', '.join(symbols)}" + (f" and {more} more" if more else "")

    def __iter__(self) -> Iterator[str]:
        return iter(self._books)

    def __len__(self) -> int:
        return len(self._books)

    @property
    def instruments(self) -> list[Instrument]:
        """The listed instruments, in listing order."""
        return [book.instrument for book in self._books.values()]

    def book_of_order(self, order_id: int) -> OrderBook:
        """The book in which a live order rests; ``UnknownOrderError`` if there is none."""
        for book in self._books.values():
            if order_id in book.engine.book.orders:
                return book
        raise UnknownOrderError(f"order {order_id!r} is not live (unknown, filled or cancelled)")

    def __repr__(self) -> str:
        return f"<Exchange: {', '.join(map(repr, self._books.values())) or 'no instruments'}>"
