"""marketsim: explore and teach how electronic markets work.

The matching core (``OrderBook``, ``Exchange``) needs only the standard library and is
imported eagerly; the network, frames and plotting layers are imported on first use.
"""

from marketsim.core import Exchange, Instrument, OrderBook, OrderResult
from marketsim.errors import (
    InvalidCommandError,
    MarketsimError,
    NotFoundError,
    PermissionDeniedError,
    UnknownOrderError,
    UnknownSymbolError,
)

__version__ = "0.1.0"

__all__ = [
    "Exchange",
    "Instrument",
    "InvalidCommandError",
    "MarketsimError",
    "NotFoundError",
    "OrderBook",
    "OrderResult",
    "PermissionDeniedError",
    "UnknownOrderError",
    "UnknownSymbolError",
]
