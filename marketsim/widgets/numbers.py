"""The live view's text: the headline numbers and the trade tape, as small HTML snippets."""

from __future__ import annotations

from collections.abc import Sequence

from marketsim.client import LocalBook
from marketsim.core import Fill, Instrument
from marketsim.widgets._common import DIM_COLOUR, SIDE_COLOUR, coloured, html_table, utc_clock


def headline_html(
    book: LocalBook | None, instrument: Instrument | None, trades: Sequence[Fill], count: int
) -> str:
    """Best bid and ask (qty @ price), spread, mid, the last trade and the number of trades."""
    if book is None or instrument is None:
        return coloured("waiting for the book...", DIM_COLOUR)
    fmt, qty = instrument.format_price, instrument.lots_to_qty
    items: list[tuple[str, str]] = []
    for side in ("bid", "ask"):
        top = book.level_ticks(side, 1)
        text = f"{qty(top[0][1]):g} @ {fmt(top[0][0])}" if top else "-"
        items.append((side, coloured(text, SIDE_COLOUR[side], bold=True)))
    bid, ask = book.best_bid_ticks, book.best_ask_ticks
    if bid is not None and ask is not None:
        items.append(("spread", fmt(ask - bid)))
        items.append(("mid", mid_text(book.mid, instrument.price_decimals)))
    if trades:
        last = trades[-1]
        text = f"{last.price:.{instrument.price_decimals}f} ({last.qty:g})"
        items.append(("last", coloured(text, SIDE_COLOUR[last.aggressor_side])))
    items.append(("trades", f"{count:,}"))
    cells = (
        f'<span style="color:{DIM_COLOUR}">{name}</span>&nbsp;{value}' for name, value in items
    )
    return '<div style="font-size:13px">' + " &nbsp;·&nbsp; ".join(cells) + "</div>"


def tape_html(trades: Sequence[Fill], instrument: Instrument | None, rows: int) -> str:
    """The last ``rows`` trades, newest first: time, aggressor side, qty, price."""
    decimals = instrument.price_decimals if instrument is not None else 2
    lines = []
    for fill in list(trades)[: -rows - 1 : -1]:
        colour = SIDE_COLOUR[fill.aggressor_side]
        lines.append(
            [
                utc_clock(fill.ts_event),
                coloured(fill.aggressor_side, colour),
                f"{fill.qty:g}",
                coloured(f"{fill.price:.{decimals}f}", colour),
            ]
        )
    return html_table(["time (UTC)", "side", "qty", "price"], lines)


def mid_text(mid: float | None, decimals: int) -> str:
    """The mid with the price's decimals, one more when it falls between two ticks."""
    if mid is None:
        return "-"
    text = f"{mid:.{decimals + 1}f}"
    return text[:-1] if text.endswith("0") else text
