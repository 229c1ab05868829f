"""The pure matching core: order books, matching, events. Standard library only.

Nothing here reads a clock, does I/O, or imports grpc, protobuf, numpy, pandas or matplotlib;
a test checks it.
"""

from marketsim.core.commands import CancelOrder, Command, ExecuteOrder, ReplaceOrder, SubmitOrder
from marketsim.core.events import (
    BookDelta,
    Event,
    OrderAccepted,
    OrderCancelled,
    OrderRejected,
    OrderReplaced,
    Trade,
)
from marketsim.core.exchange import Exchange
from marketsim.core.matching import MatchingEngine
from marketsim.core.orderbook import EventLog, OrderBook
from marketsim.core.results import Fill, OrderResult, QueueSpot
from marketsim.core.types import Instrument

__all__ = [
    "BookDelta",
    "CancelOrder",
    "Command",
    "Event",
    "EventLog",
    "Exchange",
    "ExecuteOrder",
    "Fill",
    "Instrument",
    "MatchingEngine",
    "OrderAccepted",
    "OrderBook",
    "OrderCancelled",
    "OrderRejected",
    "OrderReplaced",
    "OrderResult",
    "QueueSpot",
    "ReplaceOrder",
    "SubmitOrder",
    "Trade",
]
