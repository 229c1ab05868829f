"""Text and HTML ladders of a book, for ``print``, ``repr`` and notebooks.

The functions accept any ``LadderSource``: an engine ``OrderBook`` or a client's snapshot of a
remote book look the same here.
"""

from __future__ import annotations

from html import escape
from typing import Protocol

from marketsim.core.types import BookSide, Instrument

_HEADER = ("side", "price", "size", "orders")
_ROW_STYLE = {"ask": "background:#fde2e1;color:#8b1a1a", "bid": "background:#e1f5e4;color:#1a5e2a"}

LevelTicks = tuple[int, int, int]


class LadderSource(Protocol):
    """What the ladders need: identity, and levels as (price_ticks, qty_lots, order_count)."""

    @property
    def symbol(self) -> str: ...
    @property
    def seq(self) -> int: ...
    @property
    def instrument(self) -> Instrument: ...
    def level_ticks(self, side: BookSide, depth: int | None = None) -> list[LevelTicks]: ...


def _top_of_book(book: LadderSource) -> tuple[str, str, str]:
    """Best bid and best ask as "QTY @ PRICE" (or "-"), and the spread (or "")."""
    instrument = book.instrument
    bids, asks = book.level_ticks("bid", 1), book.level_ticks("ask", 1)

    def quote(levels: list[LevelTicks]) -> str:
        if not levels:
            return "-"
        price, qty, _ = levels[0]
        return f"{instrument.lots_to_qty(qty)} @ {instrument.format_price(price)}"

    spread = instrument.format_price(asks[0][0] - bids[0][0]) if bids and asks else ""
    return quote(bids), quote(asks), spread


def summary_line(book: LadderSource, kind: str = "OrderBook", extra: str = "") -> str:
    """One line: symbol, best bid and ask with sizes, spread and seq."""
    bid, ask, spread = _top_of_book(book)
    spread = f", spread {spread}" if spread else ""
    return f"<{kind} {book.symbol}: bid {bid} | ask {ask}{spread}; {extra}seq {book.seq}>"


def quote_line(book: LadderSource) -> str:
    """The top of the book for a terminal, e.g. ``ACME seq 7  bid 4 @ 99.95  ask 10 @ 100.05
    spread 0.10`` (``-`` for an empty side)."""
    bid, ask, spread = _top_of_book(book)
    spread = f"  spread {spread}" if spread else ""
    return f"{book.symbol} seq {book.seq}  bid {bid}  ask {ask}{spread}"


def _rows(book: LadderSource, depth: int) -> tuple[list[tuple[str, ...]], list[tuple[str, ...]]]:
    fmt, to_qty = book.instrument.format_price, book.instrument.lots_to_qty

    def rows(side: BookSide) -> list[tuple[str, ...]]:
        return [
            (side, fmt(price), str(to_qty(qty)), str(count))
            for price, qty, count in book.level_ticks(side, depth)
        ]

    return rows("ask")[::-1], rows("bid")


def _middle_line(book: LadderSource) -> str:
    bids, asks = book.level_ticks("bid", 1), book.level_ticks("ask", 1)
    if not bids or not asks:
        return "one side empty"
    return f"spread {book.instrument.format_price(asks[0][0] - bids[0][0])}"


def text_ladder(book: LadderSource, depth: int | None = 10) -> str:
    """The top ``depth`` levels of each side, asks above bids, as aligned plain text."""
    asks, bids = _rows(book, depth)
    rows = [_HEADER, *asks, *bids]
    widths = [max(len(row[i]) for row in rows) for i in range(4)]

    def line(row: tuple[str, ...]) -> str:
        return "  ".join(cell.rjust(width) for cell, width in zip(row, widths, strict=True))

    total_width = sum(widths) + 6
    middle = f" {_middle_line(book)} ".center(total_width, "-")
    title = f"{book.symbol} (seq {book.seq})"
    body = [line(row) for row in asks] or ["(no asks)".center(total_width)]
    body.append(middle)
    body += [line(row) for row in bids] or ["(no bids)".center(total_width)]
    return "\n".join(row.rstrip() for row in [title, line(_HEADER), *body])


def html_ladder(book: LadderSource, depth: int = 10) -> str:
    """The same ladder as ``text_ladder``, as a small HTML table with asks red and bids green."""
    asks, bids = _rows(book, depth)
    cell = 'style="padding:1px 10px;text-align:right;font-family:monospace"'

    def html_row(row: tuple[str, ...]) -> str:
        cells = "".join(f"<td {cell}>{escape(value)}</td>" for value in row)
        return f'<tr style="{_ROW_STYLE[row[0]]}">{cells}</tr>'

    head = "".join(f"<th {cell}>{escape(name)}</th>" for name in _HEADER)
    middle = (
        '<tr><td colspan="4" style="text-align:center;font-style:italic;color:#555">'
        f"{escape(_middle_line(book))}</td></tr>"
    )
    rows = [*map(html_row, asks), middle, *map(html_row, bids)]
    caption = f"<caption>{escape(book.symbol)} (seq {book.seq})</caption>"
    return (
        f'<table style="border-collapse:collapse">{caption}<thead><tr>{head}</tr></thead>'
        f"<tbody>{''.join(rows)}</tbody></table>"
    )
