"""The Playground's picture of one price level: its queue as a row of blocks, in SVG.

Each resting order is a block, front of the queue on the left, as wide as its shown quantity
and coloured by its owner. When the row is drawn after a command, blocks move from where that
command found them to where it left them with SVG's own animation elements (no JavaScript, so
any notebook front end that shows HTML plays it): orders that traded flash and shrink (to
nothing when filled), a new or re-queued order slides in at the back, a cancelled one fades.
"""

from __future__ import annotations

import html
from collections.abc import Mapping
from dataclasses import dataclass

from marketsim.teach.timeline import Queue

#: Owners' colours, in the order traders are first seen; chosen apart from the bid green and
#: the ask red that tint the rows.
OWNER_PALETTE = ("#3b6fd4", "#f28e2b", "#8e5ac8", "#8c6d31", "#e377c2", "#17becf", "#7f7f7f")
ROW_TINT = {"bid": "#e1f5e4", "ask": "#fde2e1", "": "#f4f4f4"}
ROW_HEIGHT = 24
ROW_WIDTH = 440
_GAP = 2
_PAD = 3
_ANIMATION = "0.9s"


@dataclass(frozen=True)
class Block:
    """Where one order's block is drawn: x and width in pixels, and its label."""

    order_id: int
    owner: str
    qty: int | float
    x: float
    width: float


def layout(queue: Queue, pixels_per_unit: float) -> dict[int, Block]:
    """The blocks of a queue, left to right in time priority."""
    blocks, x = {}, float(_PAD)
    for order_id, owner, qty in queue:
        width = max(3.0, float(qty) * pixels_per_unit)
        blocks[order_id] = Block(order_id, owner, qty, x, width)
        x += width + _GAP
    return blocks


def scale(total_quantities: list[float]) -> float:
    """Pixels per unit of quantity so that the fullest row fits the width (at most 30)."""
    widest = max(total_quantities, default=0.0)
    usable = ROW_WIDTH - 2 * _PAD - 12 * _GAP
    return 30.0 if widest <= 0 else min(30.0, usable / widest)


def row_svg(
    side: str,
    queue: Queue,
    before: Queue | None,
    traded: frozenset[int],
    pixels_per_unit: float,
    colours: Mapping[str, str],
) -> str:
    """The SVG of one level's queue; ``before`` is the queue there before the last command
    (None: draw it still, without animation), ``traded`` the orders that command traded."""
    now = layout(queue, pixels_per_unit)
    old = layout(before, pixels_per_unit) if before is not None else {}
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{ROW_WIDTH}" height="{ROW_HEIGHT}" '
        f'class="marketsim-queue-row" data-side="{side}">',
        f'<rect width="{ROW_WIDTH}" height="{ROW_HEIGHT}" fill="{ROW_TINT[side]}"/>',
    ]
    if before is not None:
        for order_id, block in old.items():
            if order_id not in now:  # filled or cancelled by the last command
                parts.append(_leaving(block, order_id in traded, colours))
    for order_id, block in now.items():
        parts.append(
            _block(block, old.get(order_id), order_id in traded, before is not None, colours)
        )
    parts.append("</svg>")
    return "".join(parts)


def _block(
    block: Block, previous: Block | None, traded: bool, animate: bool, colours: Mapping[str, str]
) -> str:
    animations = []
    if animate and previous is None:  # new here: slide in at the back
        animations.append(_animate("x", f"{block.x + 40:.1f}", f"{block.x:.1f}"))
        animations.append(_animate("opacity", "0", "1"))
    elif animate and previous is not None:
        if (previous.x, previous.width) != (block.x, block.width):
            animations.append(_animate("x", f"{previous.x:.1f}", f"{block.x:.1f}"))
            animations.append(_animate("width", f"{previous.width:.1f}", f"{block.width:.1f}"))
        if traded:
            animations.append(_flash())
    state = "traded" if traded and animate else "resting"
    return _rect(block, colours, "".join(animations), state)


def _leaving(block: Block, traded: bool, colours: Mapping[str, str]) -> str:
    """A block the last command removed: it flashes and shrinks away (traded) or fades; the
    animation is frozen at its end, so the block stays gone."""
    if traded:
        motion = _flash() + _animate("width", f"{block.width:.1f}", "0")
    else:
        motion = _animate("opacity", "1", "0")
    return _rect(block, colours, motion.replace("/>", ' fill="freeze"/>'), "leaving")


def _rect(block: Block, colours: Mapping[str, str], animations: str, state: str) -> str:
    """One order's block, with its tooltip, its animations and (unless leaving) its label."""
    colour = colours.get(block.owner, OWNER_PALETTE[-1])
    owner = html.escape(block.owner or "anonymous")
    label = "" if state == "leaving" else _label(block)
    return (
        f'<g><rect x="{block.x:.1f}" y="3" width="{block.width:.1f}" height="{ROW_HEIGHT - 6}" '
        f'rx="3" fill="{colour}" stroke="white" data-order="{block.order_id}" '
        f'data-owner="{owner}" data-qty="{block.qty}" data-state="{state}">'
        f"<title>order {block.order_id}: {owner}, {block.qty}</title>{animations}</rect>"
        f"{label}</g>"
    )


def _label(block: Block) -> str:
    """The quantity (and id when there is room) written on the block."""
    text = f"#{block.order_id} {block.qty}" if block.width >= 44 else str(block.qty)
    if block.width < 7 * len(text):
        return ""
    return (
        f'<text x="{block.x + block.width / 2:.1f}" y="{ROW_HEIGHT / 2 + 4:.1f}" '
        'text-anchor="middle" font-family="monospace" font-size="11" fill="white" '
        f'pointer-events="none">{html.escape(text)}</text>'
    )


def _animate(attribute: str, start: str, end: str) -> str:
    return f'<animate attributeName="{attribute}" from="{start}" to="{end}" dur="{_ANIMATION}"/>'


def _flash() -> str:
    return f'<animate attributeName="fill-opacity" values="1;0.25;1;0.25;1" dur="{_ANIMATION}"/>'
