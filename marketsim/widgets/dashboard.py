"""``Dashboard``: a ``LiveBook`` above an ``OrderTicket`` for the same symbol, with your own
resting orders (and their queue places) marked on the live view."""

from __future__ import annotations

import asyncio
from typing import Any

import ipywidgets as widgets

from marketsim.widgets.livebook import LiveBook
from marketsim.widgets.own_orders import OwnOrders
from marketsim.widgets.ticket import OrderTicket


class Dashboard(widgets.VBox):
    """Watch ``symbol`` live and trade it: ``livebook`` (a ``LiveBook``) and ``ticket``.

    ``client`` is an ``AsyncMarketClient`` of the running loop or a ``MarketClient``; orders
    from the ticket belong to its owner. ``kwargs`` go to ``LiveBook`` (``fps=``, ``depth=``,
    ``window_seconds=``, ...). The ticket owner's resting orders are marked on the depth chart
    and the ladder with their queue places (``own_orders``, refreshed on every change and each
    second). ``stop()`` stops it all; ``await wait_stopped()`` waits for it.
    """

    def __init__(self, client: Any, symbol: str, **kwargs: Any) -> None:
        self.livebook = LiveBook(client, symbol, **kwargs)
        self.ticket = OrderTicket(client, symbol)
        self.ticket.layout.margin = "10px 0 0 0"
        self.own_orders = OwnOrders(self.ticket.client, symbol, self.livebook.set_own_orders)
        super().__init__([self.livebook, self.ticket], layout=widgets.Layout(padding="4px"))
        self.add_class("marketsim-dashboard")

    @property
    def running(self) -> bool:
        """False once the live book has stopped."""
        return self.livebook.running

    def stop(self) -> None:
        """Stop the live book (its last frame stays) and disable the ticket. Idempotent."""
        self.own_orders.stop()
        self.livebook.stop()
        self.ticket.stop()

    def close(self) -> None:
        """Stop both parts and close the widgets."""
        own_orders = getattr(self, "own_orders", None)
        if own_orders is not None:
            own_orders.stop()
        for part in (getattr(self, "livebook", None), getattr(self, "ticket", None)):
            if part is not None:  # also called by ``__del__``, maybe half-built
                part.close()
        super().close()

    async def wait_stopped(self, timeout: float | None = 30.0) -> None:
        """Wait until both parts have stopped."""
        await asyncio.wait_for(
            asyncio.gather(
                self.livebook.wait_stopped(None),
                self.ticket.wait_stopped(None),
                self.own_orders.wait_stopped(None),
            ),
            timeout,
        )
