"""Clients of a marketsim server: ``AsyncMarketClient`` and its blocking twin ``MarketClient``."""

from marketsim.client.aio import AsyncMarketClient
from marketsim.client.reconnect import Reconnect, Reconnected
from marketsim.client.recorder import Recorder
from marketsim.client.sync import MarketClient
from marketsim.client.views import BookSnapshot, BookUpdate, EventBatch, LocalBook

__all__ = [
    "AsyncMarketClient",
    "BookSnapshot",
    "BookUpdate",
    "EventBatch",
    "LocalBook",
    "MarketClient",
    "Reconnect",
    "Reconnected",
    "Recorder",
]
