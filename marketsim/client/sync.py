"""``MarketClient``: the blocking twin of ``AsyncMarketClient``, for cells, scripts and threads.

Each call runs the async client's coroutine on marketsim's IO thread and waits for it, so it
works the same in a notebook cell (whose own loop is busy), a plain script or a worker thread.
Calling it from the IO thread itself raises instead of deadlocking.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar, overload

from marketsim import runtime
from marketsim.client.aio import AsyncMarketClient, Identity, OrderSpec, PrivateUpdate
from marketsim.client.cases import CaseMethods
from marketsim.client.reconnect import Reconnect
from marketsim.client.recorder import Recorder
from marketsim.client.views import BookSnapshot, BookUpdate, EventBatch
from marketsim.core import AuctionResult, Fill, Instrument, OrderResult
from marketsim.core.ledger import Account

if TYPE_CHECKING:
    import pandas as pd

T = TypeVar("T")


class MarketClient(CaseMethods):
    """Blocking client of a marketsim server; same methods as ``AsyncMarketClient``.

    ``timeout`` bounds each call (streams wait for their next item without a deadline).
    Streams reconnect by themselves unless ``reconnect=False`` (see ``Reconnect``).
    """

    def __init__(
        self,
        address: str,
        *,
        owner: str = "",
        token: str | None = None,
        tls: bool = False,
        root_certificates: bytes | str | Path | None = None,
        certificate_chain: bytes | str | Path | None = None,
        private_key: bytes | str | Path | None = None,
        timeout: float = 10.0,
        reconnect: Reconnect | bool = True,
    ) -> None:
        self._client = AsyncMarketClient(
            address,
            owner=owner,
            token=token,
            tls=tls,
            root_certificates=root_certificates,
            certificate_chain=certificate_chain,
            private_key=private_key,
            timeout=timeout,
            reconnect=reconnect,
        )
        self.timeout = timeout

    @property
    def address(self) -> str:
        """The server's "host:port"."""
        return self._client.address

    @property
    def owner(self) -> str:
        """Whom the orders of this client belong to."""
        return self._client.owner

    def async_client(self) -> AsyncMarketClient:
        """A new ``AsyncMarketClient`` of the same server with the same identity, for use on
        the calling event loop (close it when done)."""
        return self._client.copy()

    def _wait(self, coroutine, timeout: float | None = None):
        # A little slack over the call's own deadline, so grpc reports its timeout first.
        return runtime.run_sync(coroutine, (timeout or self.timeout) + 5.0)

    def instruments(self) -> list[Instrument]:
        """The listed instruments."""
        return self._wait(self._client.instruments())

    def instrument(self, symbol: str) -> Instrument:
        """The instrument ``symbol``."""
        return self._wait(self._client.instrument(symbol))

    def add_instrument(
        self, symbol: str, tick_size: float | str = 0.01, lot_size: float | str = 1
    ) -> Instrument:
        """List a new instrument on the server."""
        return self._wait(self._client.add_instrument(symbol, tick_size, lot_size))

    def submit(
        self,
        symbol: str,
        side: str,
        qty: float,
        price: float | None = None,
        *,
        tif: str = "GTC",
        post_only: bool = False,
        client_order_id: str = "",
        stop_price: float | None = None,
        display_qty: float | None = None,
        stp: str | None = None,
    ) -> OrderResult:
        """Submit an order (a market order when ``price`` is None); the mechanics keywords
        are those of ``OrderBook.submit``."""
        return self._wait(
            self._client.submit(
                symbol,
                side,
                qty,
                price,
                tif=tif,
                post_only=post_only,
                client_order_id=client_order_id,
                stop_price=stop_price,
                display_qty=display_qty,
                stp=stp,
            )
        )

    def cancel(self, symbol: str, order_id: int) -> OrderResult:
        """Cancel one of your live orders."""
        return self._wait(self._client.cancel(symbol, order_id))

    def replace(
        self,
        symbol: str,
        order_id: int,
        *,
        qty: float | None = None,
        price: float | None = None,
        stop_price: float | None = None,
    ) -> OrderResult:
        """Change one of your live orders' open quantity and/or price, or a stop's price."""
        return self._wait(
            self._client.replace(symbol, order_id, qty=qty, price=price, stop_price=stop_price)
        )

    def set_phase(self, symbol: str, phase: str) -> AuctionResult:
        """Move a book to "continuous", "auction" or "halted" trading (an operator's call)."""
        return self._wait(self._client.set_phase(symbol, phase))

    def submit_many(
        self,
        symbol: str,
        orders: Iterable[OrderSpec],
        *,
        batch_size: int = 500,
        progress: bool | None = None,
        timeout: float = 600.0,
    ) -> list[OrderResult]:
        """Submit many orders over the order-entry stream (see ``AsyncMarketClient``)."""
        coroutine = self._client.submit_many(
            symbol, list(orders), batch_size=batch_size, progress=progress
        )
        return self._wait(coroutine, timeout)

    def whoami(self) -> Identity:
        """Who the server takes you for: participant name, role, and whether it checked."""
        return self._wait(self._client.whoami())

    @overload
    def account(self, symbol: str) -> Account: ...
    @overload
    def account(self, symbol: None = None) -> pd.DataFrame: ...
    def account(self, symbol: str | None = None) -> Account | pd.DataFrame:
        """Your ``Account`` in ``symbol``, or a frame of all your accounts."""
        return self._wait(self._client.account(symbol))

    def orders(self, symbol: str | None = None) -> pd.DataFrame:
        """Your open orders (schema ``orders``)."""
        return self._wait(self._client.orders(symbol))

    def leaderboard(self, symbol: str | None = None) -> pd.DataFrame:
        """Every participant ranked by total P&L (schema ``leaderboard``)."""
        return self._wait(self._client.leaderboard(symbol))

    def stream_private(self) -> Iterator[PrivateUpdate]:
        """Your own activity as it happens, as a blocking iterator."""
        return _blocking(self._client.stream_private())

    def book(self, symbol: str, depth: int = 10) -> BookSnapshot:
        """A snapshot of ``symbol``'s book, ``depth`` levels per side (0 for all)."""
        return self._wait(self._client.book(symbol, depth))

    def stream_book(self, symbol: str, *, max_updates_per_second: int = 0) -> Iterator[BookUpdate]:
        """The live book, as a blocking iterator (see ``AsyncMarketClient.stream_book``)."""
        return _blocking(
            self._client.stream_book(symbol, max_updates_per_second=max_updates_per_second)
        )

    def stream_trades(self, symbol: str | None = None) -> Iterator[Fill]:
        """Trades as they happen, as a blocking iterator."""
        return _blocking(self._client.stream_trades(symbol))

    def stream_events(self, symbol: str | None = None) -> Iterator[EventBatch]:
        """Engine events in batches, as a blocking iterator."""
        return _blocking(self._client.stream_events(symbol))

    def record(self, symbol: str, *, max_events: int | None = None) -> Recorder:
        """Start recording ``symbol``'s events on the IO thread; see ``Recorder``."""
        return self._wait(self._client.record(symbol, max_events=max_events))

    def close(self) -> None:
        """Close the connection."""
        self._wait(self._client.close())

    def __enter__(self) -> MarketClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __repr__(self) -> str:
        owner = f" as {self.owner!r}" if self.owner else ""
        return f"<MarketClient {self.address}{owner}>"


class _Puller:
    """Pulls the items of an async iterator that lives on the IO loop, for a blocking caller."""

    def __init__(self, stream: AsyncIterator[T]) -> None:
        self.stream = stream
        self._task: asyncio.Task | None = None

    async def next(self) -> T:
        self._task = asyncio.current_task()
        return await self.stream.__anext__()

    async def close(self) -> None:
        # A caller interrupted while waiting (Ctrl-C) leaves next() running: end it first,
        # or closing the generator fails with "asynchronous generator is already running".
        task = self._task
        if task is not None and not task.done():
            task.cancel()
            with contextlib.suppress(BaseException):
                await task
        await self.stream.aclose()  # type: ignore[attr-defined]


def _blocking(stream: AsyncIterator[T]) -> Iterator[T]:
    """Iterate an async iterator that lives on the IO thread, one item per round trip."""
    puller = _Puller(stream)
    try:
        while True:
            try:
                yield runtime.run_sync(puller.next(), timeout=None)
            except StopAsyncIteration:
                return
    finally:
        runtime.run_sync(puller.close(), timeout=10.0)
