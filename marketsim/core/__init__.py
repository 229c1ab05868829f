"""The pure matching core: order books, matching, events. Standard library only.

Nothing here reads a clock, does I/O, or imports grpc, protobuf, numpy, pandas or matplotlib;
a test checks it.
"""

from marketsim.core.commands import (
    CancelOrder,
    Command,
    ExecuteOrder,
    ReplaceOrder,
    SetPhase,
    SubmitOrder,
    Uncross,
)
from marketsim.core.engine import ENGINE, MatchingEngine
from marketsim.core.events import (
    AuctionUncrossed,
    BookDelta,
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
from marketsim.core.exchange import Exchange
from marketsim.core.orderbook import EventLog, OrderBook
from marketsim.core.results import AuctionResult, Fill, OrderResult, QueueSpot
from marketsim.core.types import Instrument

__all__ = [
    "ENGINE",
    "AuctionResult",
    "AuctionUncrossed",
    "BookDelta",
    "CancelOrder",
    "Command",
    "Event",
    "EventLog",
    "Exchange",
    "ExecuteOrder",
    "Fill",
    "IcebergRefilled",
    "Instrument",
    "MatchingEngine",
    "OrderAccepted",
    "OrderBook",
    "OrderCancelled",
    "OrderRejected",
    "OrderReplaced",
    "OrderResult",
    "PhaseChanged",
    "QueueSpot",
    "ReplaceOrder",
    "SetPhase",
    "StopTriggered",
    "SubmitOrder",
    "Trade",
    "Uncross",
]
