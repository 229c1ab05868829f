"""A live trading screen in the terminal, built on Textual: ``marketsim tui`` or ``ms.tui``.

    import marketsim as ms
    market = ms.launch({"ACME": 0.01, "BETA": 0.05})
    ms.tui(market)                       # blocks until q; or: marketsim tui --address HOST:PORT

The state layer (``TraderState``) is plain Python fed by the streams; the screen
(``TraderApp``) redraws from it at most ten times a second.
"""

from __future__ import annotations

from collections.abc import Mapping
from importlib import import_module
from typing import Any

from marketsim.errors import InvalidCommandError

# Loaded on first use, so ``marketsim --help`` imports neither Textual nor grpc.
_LAZY = {
    "MarketFeed": "marketsim.tui.feed",
    "Picture": "marketsim.tui.state",
    "TraderApp": "marketsim.tui.app",
    "TraderState": "marketsim.tui.state",
}

__all__ = ["MarketFeed", "Picture", "TraderApp", "TraderState", "tui"]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'marketsim.tui' has no attribute {name!r}")
    return getattr(import_module(module), name)


def tui(
    market: Any = None,
    symbol: str = "",
    *,
    address: str | None = None,
    owner: str = "",
    client_options: Mapping[str, Any] | None = None,
) -> None:
    """Run the trading screen against ``market`` (a launched ``Market``) or ``address``.

    ``symbol`` picks the first instrument shown (default: the first listed). Blocks until the
    user quits with ``q``.
    """
    target = address or getattr(market, "address", None)
    if not target:
        raise InvalidCommandError("tui needs a launched market or an address 'host:port'")
    from marketsim.tui.app import TraderApp

    options = dict(client_options or {})
    if market is not None and address is None:  # the launcher knows how to connect as owner
        options = {**market.client_options(owner), **options}
    owner = options.pop("owner", owner)
    TraderApp(target, symbol, owner=owner, client_options=options).run()
