"""Recover the commands that produced an event log, so replaying it rebuilds the book.

Each batch of events opens with the event that records its command: ``OrderAccepted`` or
``OrderRejected`` (a submit), ``OrderReplaced`` (a replace) or ``OrderCancelled`` with reason
"user" (a cancel), or a ``Trade`` without a taker (an ``ExecuteOrder`` of a replay). All other
events are consequences the engine will produce again.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from marketsim.core.commands import CancelOrder, Command, ExecuteOrder, ReplaceOrder, SubmitOrder
from marketsim.core.events import (
    REASON_USER,
    Event,
    OrderAccepted,
    OrderCancelled,
    OrderRejected,
    OrderReplaced,
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
                ),
                event.ts_event,
            )
        elif isinstance(event, OrderReplaced):
            yield ReplaceOrder(event.order_id, event.qty_lots, event.price_ticks), event.ts_event
        elif isinstance(event, OrderCancelled) and event.reason == REASON_USER:
            yield CancelOrder(event.order_id), event.ts_event
        elif isinstance(event, Trade) and event.taker_order_id == 0:
            yield ExecuteOrder(event.maker_order_id, event.qty_lots), event.ts_event
