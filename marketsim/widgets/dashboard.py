"""``Dashboard``: a ``LiveBook`` above an ``OrderTicket`` for the same symbol."""

from __future__ import annotations

import asyncio
from typing import Any

import ipywidgets as widgets

from marketsim.widgets.livebook import LiveBook
from marketsim.widgets.ticket import OrderTicket


class Dashboard(widgets.VBox):
    """Watch ``symbol`` live and trade it: ``livebook`` (a ``LiveBook``) and ``ticket``.

    ``client`` is an ``AsyncMarketClient`` of the running loop or a ``MarketClient``; orders
    from the ticket belong to its owner. ``kwargs`` go to ``LiveBook`` (``fps=``, ``depth=``,
    ``window_seconds=``, ...). ``stop()`` stops both; ``await wait_stopped()`` waits for them.
    """

    def __init__(self, client: Any, symbol: str, **kwargs: Any) -> None:
        self.livebook = LiveBook(client, symbol, **kwargs)
        self.ticket = OrderTicket(client, symbol)
        self.ticket.layout.margin = "10px 0 0 0"
        super().__init__([self.livebook, self.ticket], layout=widgets.Layout(padding="4px"))
        self.add_class("marketsim-dashboard")

    @property
    def running(self) -> bool:
        """False once the live book has stopped."""
        return self.livebook.running

    def stop(self) -> None:
        """Stop the live book (its last frame stays) and disable the ticket. Idempotent."""
        self.livebook.stop()
        self.ticket.stop()

    def close(self) -> None:
        """Stop both parts and close the widgets."""
        for part in (getattr(self, "livebook", None), getattr(self, "ticket", None)):
            if part is not None:  # also called by ``__del__``, maybe half-built
                part.close()
        super().close()

    async def wait_stopped(self, timeout: float | None = 30.0) -> None:
        """Wait until both parts have stopped."""
        await asyncio.wait_for(
            asyncio.gather(self.livebook.wait_stopped(None), self.ticket.wait_stopped(None)),
            timeout,
        )
