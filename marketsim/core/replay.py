"""Recover the commands that produced an event log, so replaying it rebuilds the book.

Each batch of events opens with the event that records its command: ``OrderAccepted`` or
``OrderRejected`` (a submit), ``OrderReplaced`` (a replace) or ``OrderCancelled`` with reason
"user" (a cancel), a ``Trade`` without a taker (an ``ExecuteOrder`` of a replay),
``PhaseChanged`` (a ``SetPhase``) or ``AuctionUncrossed`` (an ``Uncross``; leaving an auction
logs one in its own batch just before the phase change, and replaying it as a separate command
leaves nothing for the phase change to uncross). All other events are consequences the engine
will produce again: pending stops and hidden iceberg size come back with the commands.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from marketsim.core.commands import (
    CancelOrder,
    Command,
    ExecuteOrder,
    ReplaceOrder,
    SetPhase,
    SubmitOrder,
    Uncross,
)
from marketsim.core.events import (
    REASON_USER,
    AuctionUncrossed,
    Event,
    OrderAccepted,
    OrderCancelled,
    OrderRejected,
    OrderReplaced,
    PhaseChanged,
    Trade,
)


def commands_from_events(events: Iterable[Event]) -> Iterator[tuple[Command, int]]:
    """Yield ``(command, ts_event)`` for every command recorded in ``events``, in order."""
    for event in events:
        if isinstance(event, OrderAccepted | OrderRejected):
            yield (
                SubmitOrder(
                    event.side,
                    event.qty_lots,
                    event.price_ticks,
                    event.tif,
                    event.post_only,
                    event.owner,
                    event.order_id,
                    event.stop_price_ticks,
                    event.display_qty_lots,
                    event.stp,
                ),
                event.ts_event,
            )
        elif isinstance(event, OrderReplaced):
            yield (
                ReplaceOrder(
                    event.order_id,
                    event.qty_lots,
                    event.price_ticks,
                    stop_price_ticks=event.stop_price_ticks,
                ),
                event.ts_event,
            )
        elif isinstance(event, OrderCancelled) and event.reason == REASON_USER:
            yield CancelOrder(event.order_id), event.ts_event
        elif isinstance(event, Trade) and event.taker_order_id == 0:
            yield ExecuteOrder(event.maker_order_id, event.qty_lots), event.ts_event
        elif isinstance(event, PhaseChanged):
            yield SetPhase(event.phase), event.ts_event
        elif isinstance(event, AuctionUncrossed):
            yield Uncross(), event.ts_event
