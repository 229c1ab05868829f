"""The live view's per-level ladder: one bar per price level, your own orders marked on it.

Asks above, bids below, best prices in the middle. Each bar's length is the level's quantity
(one scale for the whole ladder); the part of it that is yours is drawn darker with an
outline, and the row says where your order stands in that level's queue ("you 3 · 2nd of 5").
Plain HTML, redrawn with the live picture.
"""

from __future__ import annotations

import html
from collections.abc import Sequence

from marketsim.core.results import ordinal
from marketsim.widgets._common import DIM_COLOUR, SIDE_COLOUR
from marketsim.widgets.own_orders import OwnOrder

#: (price, qty, order_count) of one level.
Level = tuple[float, float, int]
_BAR_PIXELS = 120
_TINT = {"bid": "#a8dcb7", "ask": "#f4b1a8"}
_OWN_SIDE = {"buy": "bid", "sell": "ask"}


def ladder_html(
    bids: Sequence[Level],
    asks: Sequence[Level],
    decimals: int,
    own: Sequence[OwnOrder] = (),
    depth: int = 8,
) -> str:
    """The ladder of the top ``depth`` levels per side, with ``own`` orders marked."""
    bids, asks = list(bids)[:depth], list(asks)[:depth]
    largest = max((qty for _, qty, _ in (*bids, *asks)), default=0.0) or 1.0
    mine: dict[tuple[str, str], list[OwnOrder]] = {}
    for order in own:
        mine.setdefault((_OWN_SIDE[order.side], f"{order.price:.{decimals}f}"), []).append(order)
    rows = [
        _row(side, level, decimals, largest, mine)
        for side, levels in (("ask", asks[::-1]), ("bid", bids))
        for level in levels
    ]
    if not rows:
        rows = [f'<tr><td colspan="4" style="color:{DIM_COLOUR}">no orders</td></tr>']
    caption = (
        f'<caption style="font-size:11px;color:{DIM_COLOUR};text-align:left">levels '
        f'(<span style="outline:1px solid #222;padding:0 3px">outlined</span>: yours)</caption>'
    )
    return (
        '<table class="marketsim-ladder" style="border-collapse:collapse;font-family:monospace;'
        f'font-size:11px">{caption}<tbody>{"".join(rows)}</tbody></table>'
    )


def _row(
    side: str,
    level: Level,
    decimals: int,
    largest: float,
    mine: dict[tuple[str, str], list[OwnOrder]],
) -> str:
    price, qty, count = level
    text = f"{price:.{decimals}f}"
    own = mine.get((side, text), [])
    own_qty = min(sum(order.qty for order in own), qty)
    width = max(2, round(_BAR_PIXELS * qty / largest))
    own_width = round(width * own_qty / qty) if qty else 0
    bar = (
        f'<div style="display:flex;width:{width}px;height:11px;background:{_TINT[side]}">'
        + (
            f'<div class="marketsim-ladder-own" style="width:{own_width}px;height:11px;'
            f'background:{SIDE_COLOUR[side]};outline:1px solid #222"></div>'
            if own
            else ""
        )
        + "</div>"
    )
    note = " ".join(
        f"you {order.qty:g} · {ordinal(order.queue_position)} of {order.orders_at_level}"
        for order in own
    )
    cell = "padding:0 4px;white-space:nowrap"
    colour = SIDE_COLOUR[side]
    mark = ' data-own="1"' if own else ""
    return (
        f'<tr data-side="{side}" data-price="{text}"{mark}>'
        f'<td style="{cell};color:{colour};text-align:right">{text}</td>'
        f'<td style="{cell}">{bar}</td>'
        f'<td style="{cell};text-align:right">{qty:g} ({count})</td>'
        f'<td style="{cell};font-weight:600">{html.escape(note)}</td></tr>'
    )
