"""What a command did, in the units people typed: ``OrderResult`` and its ``Fill`` records."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from marketsim.core.events import (
    BookDelta,
    Event,
    OrderAccepted,
    OrderCancelled,
    OrderRejected,
    OrderReplaced,
    Trade,
)
from marketsim.core.types import Instrument

Status = Literal["new", "partially_filled", "filled", "cancelled", "rejected", "replaced"]


@dataclass(frozen=True, slots=True)
class Fill:
    """One trade seen from the order that caused it, with price and quantity as numbers."""

    price: float
    qty: int | float
    maker_order_id: int
    taker_order_id: int
    aggressor_side: str
    seq: int
    ts_event: int
    trade_id: int
    maker_owner: str
    taker_owner: str
    symbol: str = ""

    @classmethod
    def from_event(cls, event: Trade, instrument: Instrument) -> Fill:
        """The ``Fill`` of a ``Trade`` event on ``instrument``."""
        return cls(
            instrument.ticks_to_price(event.price_ticks),
            instrument.lots_to_qty(event.qty_lots),
            event.maker_order_id,
            event.taker_order_id,
            event.aggressor_side,
            event.seq,
            event.ts_event,
            event.trade_id,
            event.maker_owner,
            event.taker_owner,
            instrument.symbol,
        )


@dataclass(frozen=True, slots=True)
class QueueSpot:
    """Where an order rests after a command: its price and 1-based place in the queue."""

    price: float
    position: int
    orders_at_level: int


class OrderResult:
    """The outcome of one submit, cancel or replace.

    Attributes: ``order_id``; ``status`` ("new", "partially_filled", "filled", "cancelled",
    "rejected", or "replaced" for a replace that traded nothing); ``reason`` (why it was
    cancelled or rejected, else None); ``filled_qty`` (all the order has executed, including
    earlier commands) and ``leaves_qty`` (what is still open); ``trades`` (this command's
    executions as ``Fill`` records); ``events`` (the raw batch of engine events);
    ``queue_spot`` (where the order rests, if it does). ``filled_lots`` and ``leaves_lots``
    are the same quantities in integer lots.
    """

    __slots__ = (
        "_instrument",
        "action",
        "events",
        "filled_lots",
        "leaves_lots",
        "order_id",
        "queue_spot",
        "reason",
        "status",
    )

    def __init__(
        self,
        instrument: Instrument,
        action: Literal["submit", "cancel", "replace", "execute"],
        order_id: int,
        events: list[Event],
        filled_lots: int,
        leaves_lots: int,
        queue_spot: QueueSpot | None,
    ) -> None:
        self._instrument = instrument
        self.action = action
        self.order_id = order_id
        self.events = events
        self.filled_lots = filled_lots
        self.leaves_lots = leaves_lots
        self.queue_spot = queue_spot
        self.reason: str | None = None
        self.status: Status
        for event in events:
            if isinstance(event, OrderRejected):
                self.status, self.reason = "rejected", event.reason
                return
            if isinstance(event, OrderCancelled) and event.order_id == order_id:
                self.status, self.reason = "cancelled", event.reason
                return
        if leaves_lots == 0:
            self.status = "filled"
        elif action == "replace" and not any(type(event) is Trade for event in events):
            self.status = "replaced"
        elif filled_lots:
            self.status = "partially_filled"
        else:
            self.status = "new"

    @property
    def filled_qty(self) -> int | float:
        """Everything the order has executed so far, in the instrument's quantity units."""
        return self._instrument.lots_to_qty(self.filled_lots)

    @property
    def leaves_qty(self) -> int | float:
        """What is still open in the book, in the instrument's quantity units."""
        return self._instrument.lots_to_qty(self.leaves_lots)

    @property
    def trades(self) -> list[Fill]:
        """This command's executions, with prices and quantities as numbers."""
        instrument = self._instrument
        return [Fill.from_event(e, instrument) for e in self.events if isinstance(e, Trade)]

    def __repr__(self) -> str:
        reason = f", reason={self.reason!r}" if self.reason else ""
        return (
            f"<OrderResult {self.action} order {self.order_id}: {self.status}{reason}, "
            f"filled {self.filled_qty}, leaves {self.leaves_qty}, {len(self.trades)} trades>"
        )

    def explain(self) -> str:
        """A plain-language account of what the command did, one step per line."""
        fmt = self._instrument.format_price
        qty = self._instrument.lots_to_qty
        lines: list[str] = []
        for event in self.events:
            if isinstance(event, OrderAccepted | OrderRejected):
                if event.price_ticks is None:
                    what = "at market"
                else:
                    flags = event.tif + (", post-only" if event.post_only else "")
                    what = f"@ {fmt(event.price_ticks)} ({flags})"
                as_order = (
                    f"as order {event.order_id}"
                    if event.seq
                    else "(checked before it reached the book)"  # a gateway's risk check
                )
                lines.append(f"{event.side} {qty(event.qty_lots)} {what} {as_order}")
                if isinstance(event, OrderRejected):
                    lines.append(f"rejected: {_REASON_TEXT.get(event.reason, event.reason)}")
            elif isinstance(event, OrderReplaced):
                change = []
                if event.price_ticks != event.old_price_ticks:
                    change.append(f"price {fmt(event.old_price_ticks)} -> {fmt(event.price_ticks)}")
                if event.qty_lots != event.old_qty_lots:
                    change.append(f"open qty {qty(event.old_qty_lots)} -> {qty(event.qty_lots)}")
                priority = (
                    "keeps its place in the queue"
                    if event.priority_kept
                    else "loses its place and joins the back of the queue"
                )
                lines.append(
                    f"replace order {event.order_id}: {', '.join(change) or 'no change'}; "
                    f"it {priority}"
                )
            elif isinstance(event, Trade) and event.taker_order_id == 0:
                lines.append(
                    f"order {event.maker_order_id} executed {qty(event.qty_lots)} @ "
                    f"{fmt(event.price_ticks)} against a counterparty outside the book"
                )
            elif isinstance(event, Trade):
                maker_side = "ask" if event.aggressor_side == "buy" else "bid"
                lines.append(
                    f"matched order {event.maker_order_id}: {qty(event.qty_lots)} @ "
                    f"{fmt(event.price_ticks)} (the best {maker_side}, first in its queue; "
                    f"trades at the resting order's price)"
                )
            elif isinstance(event, OrderCancelled):
                lines.append(f"{qty(event.qty_lots)} cancelled: {_REASON_TEXT[event.reason]}")
            elif isinstance(event, BookDelta):
                continue
        if self.status == "rejected" and not any(type(e) is OrderRejected for e in self.events):
            lines.append(
                f"{self.action} refused: {_REASON_TEXT.get(self.reason or '', self.reason)}"
            )
        spot = self.queue_spot
        if spot is not None:
            lines.append(
                f"{self.leaves_qty} rest at {spot.price:.{self._instrument.price_decimals}f}, "
                f"{_ordinal(spot.position)} in a queue of {spot.orders_at_level}"
            )
        elif self.status == "filled":
            lines.append(f"fully filled: {self.filled_qty} executed, nothing rests")
        return "\n".join(f"{i}. {line}" for i, line in enumerate(lines, 1))


_REASON_TEXT = {
    "fok_unfillable": "fill-or-kill, and the book could not fill all of it at once",
    "post_only_would_cross": "post-only, and it would have traded against a resting order",
    "no_liquidity": "market order, and there is nothing on the other side",
    "user": "cancelled on request",
    "ioc_remainder": "immediate-or-cancel, so the unfilled rest is cancelled",
    "market_remainder": "market orders never rest, so the unfilled rest is cancelled",
    "risk_max_order_qty": "risk limit: the quantity is above your largest order size",
    "risk_max_open_orders": "risk limit: you already have the most resting orders allowed",
    "risk_max_position": "risk limit: filling it (with your other orders on that side) could "
    "take your position past the largest allowed",
    "risk_max_notional": "risk limit: its value (price x quantity) is above the largest allowed",
}


def _ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"
