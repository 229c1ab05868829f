"""marketsim: explore and teach how electronic markets work.

    import marketsim as ms
    market = ms.launch({"ACME": 0.01})      # a gRPC market on a background thread
    client = market.client()
    client.submit("ACME", "sell", 10, 100.05)
    client.book("ACME")
    market.stop()

The matching core (``OrderBook``, ``Exchange``) needs only the standard library and is imported
eagerly; the network layer (``launch``, the clients), ``frames`` and the ``plot_*`` functions are
imported on first use, so ``import marketsim`` stays light.
"""

from importlib import import_module
from typing import Any

from marketsim.core import Exchange, Instrument, OrderBook, OrderResult
from marketsim.errors import (
    InvalidCommandError,
    MarketsimError,
    MarketUnavailableError,
    NotFoundError,
    PermissionDeniedError,
    StreamGapError,
    StreamOverflowError,
    UnknownOrderError,
    UnknownSymbolError,
)

__version__ = "0.1.0"

# Public names that live in modules importing grpc, loaded on first access.
_LAZY = {
    "launch": "marketsim.session",
    "stop_all": "marketsim.reruns",
    "Market": "marketsim.session",
    "MarketClient": "marketsim.client",
    "AsyncMarketClient": "marketsim.client",
    "Reconnect": "marketsim.client",
    "MarketServer": "marketsim.server",
    "plot_bbo": "marketsim.plotting",
    "plot_book_heatmap": "marketsim.plotting",
    "plot_depth": "marketsim.plotting",
    "plot_ladder": "marketsim.plotting",
    "plot_queue": "marketsim.plotting",
    "plot_trades": "marketsim.plotting",
    "tui": "marketsim.tui",
}


def __getattr__(name: str) -> Any:
    if name in ("frames", "plotting", "sim", "teach", "widgets"):  # subpackages, also loaded lazily
        return import_module(f"marketsim.{name}")
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'marketsim' has no attribute {name!r}")
    value = getattr(import_module(module), name)
    globals()[name] = value
    return value


__all__ = [
    "AsyncMarketClient",
    "Exchange",
    "Instrument",
    "InvalidCommandError",
    "Market",
    "MarketClient",
    "MarketServer",
    "MarketUnavailableError",
    "MarketsimError",
    "NotFoundError",
    "OrderBook",
    "OrderResult",
    "PermissionDeniedError",
    "Reconnect",
    "StreamGapError",
    "StreamOverflowError",
    "UnknownOrderError",
    "UnknownSymbolError",
    "launch",
    "plot_bbo",
    "plot_book_heatmap",
    "plot_depth",
    "plot_ladder",
    "plot_queue",
    "plot_trades",
    "stop_all",
    "teach",
    "tui",
]
