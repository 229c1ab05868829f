"""Text and HTML ladders of a book, for ``print``, ``repr`` and notebooks."""

from __future__ import annotations

from html import escape
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from marketsim.core.orderbook import OrderBook

_HEADER = ("side", "price", "size", "orders")


def summary_line(book: OrderBook) -> str:
    """One line: symbol, best bid and ask with sizes, spread, resting orders and seq."""
    fmt = book.instrument.format_price

    def quote(level: tuple[float, int | float] | None, ticks: int | None) -> str:
        return "-" if level is None or ticks is None else f"{level[1]} @ {fmt(ticks)}"

    bid, ask = book.best_bid, book.best_ask
    bid_ticks, ask_ticks = book.best_bid_ticks, book.best_ask_ticks
    spread = (
        f", spread {fmt(ask_ticks - bid_ticks)}"
        if bid_ticks is not None and ask_ticks is not None
        else ""
    )
    return (
        f"<OrderBook {book.symbol}: bid {quote(bid, bid_ticks)} | ask {quote(ask, ask_ticks)}"
        f"{spread}; {book.order_count} orders, seq {book.seq}>"
    )


def _rows(book: OrderBook, depth: int) -> tuple[list[tuple[str, ...]], list[tuple[str, ...]]]:
    fmt = book.instrument.format_price
    lots = book.instrument.lots_to_qty
    asks = [
        ("ask", fmt(level.price_ticks), str(lots(level.qty_lots)), str(len(level.orders)))
        for level in book.iter_levels("ask", depth)
    ]
    bids = [
        ("bid", fmt(level.price_ticks), str(lots(level.qty_lots)), str(len(level.orders)))
        for level in book.iter_levels("bid", depth)
    ]
    return asks[::-1], bids


def _middle_line(book: OrderBook) -> str:
    bid, ask = book.best_bid_ticks, book.best_ask_ticks
    if bid is None or ask is None:
        return "one side empty"
    return f"spread {book.instrument.format_price(ask - bid)}"


def text_ladder(book: OrderBook, depth: int = 10) -> str:
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


_ROW_STYLE = {"ask": "background:#fde2e1;color:#8b1a1a", "bid": "background:#e1f5e4;color:#1a5e2a"}


def html_ladder(book: OrderBook, depth: int = 10) -> str:
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
