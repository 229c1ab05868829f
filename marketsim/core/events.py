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

Leaving a call auction for continuous trading while the book is still crossed produces two
batches in one list: the uncross (``AuctionUncrossed`` and its consequences), then the phase
change and the stops it lets in, each closed by its own ``last`` delta.
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
REASON_SELF_TRADE = "self_trade_prevented"
REASON_HALTED = "halted"
REASON_AUCTION_PHASE = "auction_phase"
REASON_STOP_PRICE_REACHED = "stop_price_reached"

# Trading phases of a book.
CONTINUOUS = "continuous"
AUCTION = "auction"
HALTED = "halted"
PHASES = (CONTINUOUS, AUCTION, HALTED)
Phase = Literal["continuous", "auction", "halted"]

#: Self-trade prevention modes: what happens when an order meets one of the same owner.
STP_MODES = ("cancel_newest", "cancel_oldest", "cancel_both", "decrement")


@dataclass(slots=True)
class OrderAccepted:
    """A new order passed its checks and entered the book's matching.

    A stop order (``stop_price_ticks`` set) waits unseen until a trade reaches its stop price;
    an iceberg (``display_qty_lots`` > 0) shows that much at a time; ``stp`` is its
    self-trade prevention mode ("" for none).
    """

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
    stop_price_ticks: int | None = None
    display_qty_lots: int = 0
    stp: str = ""


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
    stop_price_ticks: int | None = None
    display_qty_lots: int = 0
    stp: str = ""


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
    """A live order's price and/or open quantity changed; ``priority_kept`` tells the queue.

    For a pending stop order the stop price may change too, and a stop-market order has no
    limit price (None).
    """

    seq: int
    ts_event: int
    order_id: int
    owner: str
    side: Side
    old_price_ticks: int | None
    old_qty_lots: int
    price_ticks: int | None
    qty_lots: int
    priority_kept: bool
    old_stop_price_ticks: int | None = None
    stop_price_ticks: int | None = None


@dataclass(slots=True)
class StopTriggered:
    """A trade at ``trigger_price_ticks`` reached a pending stop; the order enters now.

    It enters as a limit order at ``price_ticks`` (a market order when None) at the back of
    time priority, keeping its order id; its trades and remainder follow in the same batch.
    """

    seq: int
    ts_event: int
    order_id: int
    owner: str
    side: Side
    stop_price_ticks: int
    price_ticks: int | None
    qty_lots: int
    trigger_price_ticks: int


@dataclass(slots=True)
class IcebergRefilled:
    """An iceberg's shown slice was filled; a new slice of ``qty_lots`` shows at the back.

    ``hidden_lots`` is what is still hidden behind the new slice.
    """

    seq: int
    ts_event: int
    order_id: int
    owner: str
    side: Side
    price_ticks: int
    qty_lots: int
    hidden_lots: int


@dataclass(slots=True)
class PhaseChanged:
    """The book's trading phase changed from ``previous`` to ``phase``."""

    seq: int
    ts_event: int
    phase: Phase
    previous: Phase


@dataclass(slots=True)
class AuctionUncrossed:
    """A call auction executed: ``qty_lots`` matched, all at ``price_ticks``.

    ``price_ticks`` is None when nothing crossed (the uncross then only cancels the market
    orders collected during the auction). The trades follow in the same batch.
    """

    seq: int
    ts_event: int
    price_ticks: int | None
    qty_lots: int


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


Event = (
    OrderAccepted
    | OrderRejected
    | Trade
    | OrderCancelled
    | OrderReplaced
    | BookDelta
    | StopTriggered
    | IcebergRefilled
    | PhaseChanged
    | AuctionUncrossed
)

EVENT_TYPES: tuple[type, ...] = (
    OrderAccepted,
    OrderRejected,
    Trade,
    OrderCancelled,
    OrderReplaced,
    BookDelta,
    StopTriggered,
    IcebergRefilled,
    PhaseChanged,
    AuctionUncrossed,
)

#: Short names of the event types, as used in the ``events`` frame and on the wire.
EVENT_TYPE_NAMES: dict[type, str] = {
    OrderAccepted: "accepted",
    OrderRejected: "rejected",
    Trade: "trade",
    OrderCancelled: "cancelled",
    OrderReplaced: "replaced",
    BookDelta: "delta",
    StopTriggered: "stop_triggered",
    IcebergRefilled: "iceberg_refilled",
    PhaseChanged: "phase",
    AuctionUncrossed: "uncrossed",
}
