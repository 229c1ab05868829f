"""The grpc.aio shell around the exchange: service, fan-out hub, error mapping, participants.

``MarketServer`` is imported on first use, so the plain parts (participants files, connection
limits) load without grpc.
"""

from importlib import import_module
from typing import Any

__all__ = ["MarketServer"]


def __getattr__(name: str) -> Any:
    if name == "MarketServer":
        return import_module("marketsim.server.app").MarketServer
    raise AttributeError(f"module 'marketsim.server' has no attribute {name!r}")
