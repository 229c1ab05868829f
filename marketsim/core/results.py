"""What a command did, in the units people typed: ``OrderResult`` and its ``Fill`` records."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from marketsim.core.events import (
    AuctionUncrossed,
    Event,
    IcebergRefilled,
    OrderAccepted,
    OrderCancelled,
    OrderRejected,
    OrderReplaced,
    PhaseChanged,
    StopTriggered,
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
            if isinstance(event, OrderCancelled) and event.order_id == order_id and not leaves_lots:
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
        lines = _describe_events(self.events, self._instrument)
        if self.status == "rejected" and not any(type(e) is OrderRejected for e in self.events):
            lines.append(
                f"{self.action} refused: {_REASON_TEXT.get(self.reason or '', self.reason)}"
            )
        spot = self.queue_spot
        if spot is not None:
            lines.append(
                f"{self.leaves_qty} rest at {spot.price:.{self._instrument.price_decimals}f}, "
                f"{ordinal(spot.position)} in a queue of {spot.orders_at_level}"
            )
        elif self.status == "filled":
            lines.append(f"fully filled: {self.filled_qty} executed, nothing rests")
        return _numbered(lines)


class AuctionResult:
    """The outcome of a phase change or an uncross.

    Attributes: ``action`` ("set_phase" or "uncross"); ``phase`` (the phase afterwards);
    ``price`` (the auction price, None when nothing was uncrossed); ``matched_qty``;
    ``trades`` (all executions, as ``Fill`` records: the auction's, then those of stops it let
    in); ``events`` (the raw engine events).
    """

    __slots__ = ("_instrument", "action", "events", "matched_lots", "phase", "price")

    def __init__(
        self,
        instrument: Instrument,
        action: Literal["set_phase", "uncross"],
        events: list[Event],
    ) -> None:
        self._instrument = instrument
        self.action = action
        self.events = events
        uncross = next((e for e in events if isinstance(e, AuctionUncrossed)), None)
        self.matched_lots = 0 if uncross is None else uncross.qty_lots
        self.price = (
            None
            if uncross is None or uncross.price_ticks is None
            else instrument.ticks_to_price(uncross.price_ticks)
        )
        change = next((e for e in events if isinstance(e, PhaseChanged)), None)
        self.phase: str | None = None if change is None else change.phase

    @property
    def matched_qty(self) -> int | float:
        """The quantity the auction executed, in the instrument's units."""
        return self._instrument.lots_to_qty(self.matched_lots)

    @property
    def trades(self) -> list[Fill]:
        """Every execution of the command, with prices and quantities as numbers."""
        instrument = self._instrument
        return [Fill.from_event(e, instrument) for e in self.events if isinstance(e, Trade)]

    def __repr__(self) -> str:
        price = "" if self.price is None else f" @ {self.price}"
        return (
            f"<AuctionResult {self.action}: matched {self.matched_qty}{price}, "
            f"{len(self.trades)} trades>"
        )

    def explain(self) -> str:
        """A plain-language account of the phase change or uncross, one step per line."""
        return _numbered(_describe_events(self.events, self._instrument))


def _numbered(lines: list[str]) -> str:
    return "\n".join(f"{i}. {line}" for i, line in enumerate(lines, 1))


def _order_words(event: OrderAccepted | OrderRejected, instrument: Instrument) -> str:
    fmt, qty = instrument.format_price, instrument.lots_to_qty
    if event.price_ticks is None:
        what = "at market"
    else:
        flags = event.tif + (", post-only" if event.post_only else "")
        what = f"@ {fmt(event.price_ticks)} ({flags})"
    if event.stop_price_ticks is not None:
        what += f", stop at {fmt(event.stop_price_ticks)}"
    if event.display_qty_lots:
        what += f", iceberg showing {qty(event.display_qty_lots)} at a time"
    if event.stp:
        what += f", self-trade prevention {event.stp}"
    # A gateway's risk check refuses before the book, which gives no seq and no order id.
    as_order = f"as order {event.order_id}" if event.seq else "(checked before it reached the book)"
    return f"{event.side} {qty(event.qty_lots)} {what} {as_order}"


def _describe_events(events: list[Event], instrument: Instrument) -> list[str]:
    """One line per event that tells a step of the story (book deltas tell none)."""
    fmt, qty = instrument.format_price, instrument.lots_to_qty
    lines: list[str] = []
    in_auction = False  # trades right after an AuctionUncrossed are the auction's
    for event in events:
        if isinstance(event, AuctionUncrossed | PhaseChanged | StopTriggered):
            in_auction = isinstance(event, AuctionUncrossed)
        if isinstance(event, OrderAccepted):
            lines.append(_order_words(event, instrument))
            if event.stop_price_ticks is not None:
                direction = "at or above" if event.side == "buy" else "at or below"
                lines.append(
                    f"stop pending, unseen in the book, until a trade {direction} "
                    f"{fmt(event.stop_price_ticks)}"
                )
        elif isinstance(event, OrderRejected):
            lines.append(_order_words(event, instrument))
            lines.append(f"rejected: {_REASON_TEXT.get(event.reason, event.reason)}")
        elif isinstance(event, OrderReplaced):
            lines.append(_replace_words(event, instrument))
        elif isinstance(event, Trade) and event.taker_order_id == 0:
            lines.append(
                f"order {event.maker_order_id} executed {qty(event.qty_lots)} @ "
                f"{fmt(event.price_ticks)} against a counterparty outside the book"
            )
        elif isinstance(event, Trade) and in_auction:
            lines.append(
                f"auction match: order {event.maker_order_id} with order "
                f"{event.taker_order_id}, {qty(event.qty_lots)} @ {fmt(event.price_ticks)}"
            )
        elif isinstance(event, Trade):
            maker_side = "ask" if event.aggressor_side == "buy" else "bid"
            lines.append(
                f"matched order {event.maker_order_id}: {qty(event.qty_lots)} @ "
                f"{fmt(event.price_ticks)} (the best {maker_side}, first in its queue; "
                f"trades at the resting order's price)"
            )
        elif isinstance(event, OrderCancelled):
            lines.append(
                f"{qty(event.qty_lots)} of order {event.order_id} cancelled: "
                f"{_REASON_TEXT[event.reason]}"
            )
        elif isinstance(event, StopTriggered):
            what = "at market" if event.price_ticks is None else f"@ {fmt(event.price_ticks)}"
            lines.append(
                f"the trade at {fmt(event.trigger_price_ticks)} reached the stop "
                f"{fmt(event.stop_price_ticks)} of order {event.order_id}: it enters now, "
                f"{event.side} {qty(event.qty_lots)} {what}, behind every order there"
            )
        elif isinstance(event, IcebergRefilled):
            lines.append(
                f"iceberg {event.order_id} shows a new slice of {qty(event.qty_lots)} at "
                f"{fmt(event.price_ticks)}, at the back of the queue "
                f"({qty(event.hidden_lots)} still hidden)"
            )
        elif isinstance(event, PhaseChanged):
            lines.append(f"phase {event.previous} -> {event.phase}: {_PHASE_TEXT[event.phase]}")
        elif isinstance(event, AuctionUncrossed):
            if event.price_ticks is None:
                lines.append("auction uncross: nothing crosses, so nothing trades")
            else:
                lines.append(
                    f"auction uncross at {fmt(event.price_ticks)}: {qty(event.qty_lots)} "
                    "match there, the price with the most volume (then the least imbalance, "
                    "then nearest the reference price); every trade at that one price"
                )
    return lines


def _replace_words(event: OrderReplaced, instrument: Instrument) -> str:
    fmt, qty = instrument.format_price, instrument.lots_to_qty
    change = []
    if event.price_ticks != event.old_price_ticks:
        old = "market" if event.old_price_ticks is None else fmt(event.old_price_ticks)
        new = "market" if event.price_ticks is None else fmt(event.price_ticks)
        change.append(f"price {old} -> {new}")
    if event.stop_price_ticks != event.old_stop_price_ticks:
        change.append(
            f"stop {fmt(event.old_stop_price_ticks)} -> {fmt(event.stop_price_ticks)}"  # type: ignore[arg-type]
        )
    if event.qty_lots != event.old_qty_lots:
        change.append(f"open qty {qty(event.old_qty_lots)} -> {qty(event.qty_lots)}")
    priority = (
        "keeps its place in the queue"
        if event.priority_kept
        else "loses its place and joins the back of the queue"
    )
    return f"replace order {event.order_id}: {', '.join(change) or 'no change'}; it {priority}"


_PHASE_TEXT = {
    "continuous": "orders match as they arrive",
    "auction": "orders collect and nothing matches until the uncross",
    "halted": "no matching and no new orders; cancels are accepted",
}

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
    "self_trade_prevented": "it would have traded with an order of the same owner",
    "halted": "trading is halted",
    "auction_phase": "only GTC limit and market orders are accepted during an auction",
    "stop_price_reached": "the last trade has already reached the stop price",
}


def ordinal(n: int) -> str:
    """1st, 2nd, 3rd, 4th, ... 11th, 12th, 13th, 21st."""
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"
