"""``BookView``: the questions every kind of book answers, from its levels alone.

An engine ``OrderBook``, a client's ``BookSnapshot`` and its live ``LocalBook`` each provide
``symbol``, ``seq``, ``instrument`` and ``level_ticks(side, depth)``; this mixin turns those
into prices and quantities, best quotes, spread, mid and the ladders.
"""

from __future__ import annotations

from marketsim.core import display
from marketsim.core.types import BookSide, Instrument


class BookView:
    """Mixin: derived queries and display over ``level_ticks`` (see the module docstring)."""

    symbol: str
    seq: int
    instrument: Instrument

    def level_ticks(self, side: BookSide, depth: int | None = None) -> list[tuple[int, int, int]]:
        """``[(price_ticks, qty_lots, order_count), ...]`` of one side, best first."""
        raise NotImplementedError

    def levels(
        self, side: BookSide, depth: int | None = None
    ) -> list[tuple[float, int | float, int]]:
        """``[(price, qty, order_count), ...]`` of one side ("bid" or "ask"), best first."""
        to_price, to_qty = self.instrument.ticks_to_price, self.instrument.lots_to_qty
        return [(to_price(p), to_qty(q), n) for p, q, n in self.level_ticks(side, depth)]

    @property
    def best_bid_ticks(self) -> int | None:
        """Best bid price in ticks, or None."""
        top = self.level_ticks("bid", 1)
        return top[0][0] if top else None

    @property
    def best_ask_ticks(self) -> int | None:
        """Best ask price in ticks, or None."""
        top = self.level_ticks("ask", 1)
        return top[0][0] if top else None

    @property
    def best_bid(self) -> tuple[float, int | float] | None:
        """(price, qty) of the best bid, or None when there are no bids."""
        top = self.levels("bid", 1)
        return top[0][:2] if top else None

    @property
    def best_ask(self) -> tuple[float, int | float] | None:
        """(price, qty) of the best ask, or None when there are no asks."""
        top = self.levels("ask", 1)
        return top[0][:2] if top else None

    @property
    def spread(self) -> float | None:
        """Best ask minus best bid, or None when a side is empty."""
        bid, ask = self.best_bid_ticks, self.best_ask_ticks
        return None if bid is None or ask is None else self.instrument.ticks_to_price(ask - bid)

    @property
    def mid(self) -> float | None:
        """Midpoint of best bid and ask, or None when a side is empty."""
        bid, ask = self.best_bid_ticks, self.best_ask_ticks
        if bid is None or ask is None:
            return None
        decimals = self.instrument.price_decimals + 1  # a mid can fall between two ticks
        return round(float(self.instrument.tick_size) * (bid + ask) / 2, decimals)

    def ladder(self, depth: int | None = 10) -> str:
        """The top ``depth`` levels (all for None) as a text ladder, asks above bids."""
        return display.text_ladder(self, depth)

    def __str__(self) -> str:
        """``print(book)`` shows the ladder; ``repr`` stays one line."""
        return self.ladder()

    def _repr_html_(self) -> str:
        return display.html_ladder(self)
