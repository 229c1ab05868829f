"""Events: the engine's output, and the product everything else is projected from.

Every event carries ``seq`` (strictly increasing by one per book) and ``ts_event`` (integer
nanoseconds, supplied by the caller). Prices are integer ticks, quantities integer lots.

Events are slotted dataclasses. They are not frozen because a frozen dataclass is about five
times slower to build and the engine builds millions; treat them as read-only values.

One command produces one *batch*: the event that records the command (accepted, rejected,
cancelled by the user, replaced), then its consequences (trades, remainder cancellation), then
one ``BookDelta`` per price level it changed, the last of which has ``last=True``. A consumer
that applies deltas up to a ``last`` flag always shows a consistent book. (A batch that changes
no level, such as a rejection, has no delta; the book it leaves is the one before it.)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from marketsim.core.types import BookSide, Side, TimeInForce

OrderType = Literal["limit", "market"]
DeltaAction = Literal["add", "update", "delete"]

# Reason codes (stable strings, part of the public contract).
REASON_FOK_UNFILLABLE = "fok_unfillable"
REASON_POST_ONLY_WOULD_CROSS = "post_only_would_cross"
REASON_NO_LIQUIDITY = "no_liquidity"
REASON_USER = "user"
REASON_IOC_REMAINDER = "ioc_remainder"
REASON_MARKET_REMAINDER = "market_remainder"


@dataclass(slots=True)
class OrderAccepted:
    """A new order passed its checks and entered the book's matching."""

    seq: int
    ts_event: int
    order_id: int
    owner: str
    side: Side
    order_type: OrderType
    price_ticks: int | None
    qty_lots: int
    tif: TimeInForce
    post_only: bool


@dataclass(slots=True)
class OrderRejected:
    """A well-formed new order that the market could not take (see ``reason``)."""

    seq: int
    ts_event: int
    order_id: int
    owner: str
    side: Side
    order_type: OrderType
    price_ticks: int | None
    qty_lots: int
    tif: TimeInForce
    post_only: bool
    reason: str


@dataclass(slots=True)
class Trade:
    """An execution between a resting (maker) and an incoming (taker) order.

    It always happens at the maker's price.
    """

    seq: int
    ts_event: int
    trade_id: int
    price_ticks: int
    qty_lots: int
    aggressor_side: Side
    maker_order_id: int
    taker_order_id: int
    maker_owner: str
    taker_owner: str


@dataclass(slots=True)
class OrderCancelled:
    """An order's open quantity ``qty_lots`` left the book (by the user or by its rules)."""

    seq: int
    ts_event: int
    order_id: int
    owner: str
    side: Side
    price_ticks: int | None
    qty_lots: int
    reason: str


@dataclass(slots=True)
class OrderReplaced:
    """A live order's price and/or open quantity changed; ``priority_kept`` tells the queue."""

    seq: int
    ts_event: int
    order_id: int
    owner: str
    side: Side
    old_price_ticks: int
    old_qty_lots: int
    price_ticks: int
    qty_lots: int
    priority_kept: bool


@dataclass(slots=True)
class BookDelta:
    """The new state of one price level after a command: total lots and number of orders."""

    seq: int
    ts_event: int
    side: BookSide
    price_ticks: int
    qty_lots: int
    order_count: int
    action: DeltaAction
    last: bool


Event = OrderAccepted | OrderRejected | Trade | OrderCancelled | OrderReplaced | BookDelta

EVENT_TYPES: tuple[type, ...] = (
    OrderAccepted,
    OrderRejected,
    Trade,
    OrderCancelled,
    OrderReplaced,
    BookDelta,
)

#: Short names of the event types, as used in the ``events`` frame and on the wire.
EVENT_TYPE_NAMES: dict[type, str] = {
    OrderAccepted: "accepted",
    OrderRejected: "rejected",
    Trade: "trade",
    OrderCancelled: "cancelled",
    OrderReplaced: "replaced",
    BookDelta: "delta",
}
