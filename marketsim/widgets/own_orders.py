"""Your own resting orders in a live view: where they rest and their place in the queue.

``OwnOrders`` asks the market for the caller's open orders (``client.orders(symbol)``, whose
rows carry ``queue_position`` and ``orders_at_level``) whenever the private stream reports a
change, and also every ``interval`` seconds: your place in a queue improves when orders ahead
of you trade or are cancelled, which the private stream (about *your* orders) never reports.
Each new list goes to a callback, e.g. ``LiveBook.set_own_orders``.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from typing import NamedTuple

from marketsim import reruns
from marketsim.client import AsyncMarketClient


class OwnOrder(NamedTuple):
    """One of your resting orders: side ("buy"/"sell"), price, open qty and its queue place."""

    order_id: int
    side: str
    price: float
    qty: float
    queue_position: int
    orders_at_level: int


class OwnOrders:
    """Follows the caller's open orders in ``symbol`` on the running loop (see the module)."""

    def __init__(
        self,
        client: AsyncMarketClient,
        symbol: str,
        on_change: Callable[[tuple[OwnOrder, ...]], None],
        *,
        interval: float = 1.0,
    ) -> None:
        self._client = client
        self.symbol = symbol
        self.interval = interval
        self.orders: tuple[OwnOrder, ...] = ()
        self.refreshes = 0
        self._on_change = on_change
        self._changed = asyncio.Event()
        self._task = asyncio.get_running_loop().create_task(
            self._run(), name=f"marketsim own orders {symbol}"
        )
        reruns.track(self, "view")

    @property
    def running(self) -> bool:
        """False once stopped."""
        return not self._task.done()

    def stop(self) -> None:
        """Stop following (the last list stays with the callback's owner)."""
        self._task.cancel()

    async def wait_stopped(self, timeout: float | None = 10.0) -> None:
        """Wait until the task has ended."""
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.wait_for(asyncio.shield(self._task), timeout)

    async def _run(self) -> None:
        watcher = asyncio.create_task(self._watch_private())
        try:
            while True:
                await self._refresh()
                self._changed.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._changed.wait(), self.interval)
        finally:
            watcher.cancel()
            await asyncio.gather(watcher, return_exceptions=True)

    async def _watch_private(self) -> None:
        with contextlib.suppress(Exception):  # a stopped market ends it; polling goes on
            async for update in self._client.stream_private():
                if update.symbol == self.symbol:
                    self._changed.set()

    async def _refresh(self) -> None:
        try:
            frame = await asyncio.wait_for(self._client.orders(self.symbol), self._client.timeout)
        except asyncio.CancelledError:
            raise
        except Exception:  # the market may be gone: keep the last list
            return
        orders = tuple(
            OwnOrder(
                int(row.order_id),
                str(row.side),
                float(row.price),
                float(row.qty),
                int(row.queue_position),
                int(row.orders_at_level),
            )
            for row in frame.itertuples()
        )
        self.refreshes += 1
        if orders != self.orders:
            self.orders = orders
            self._on_change(orders)
