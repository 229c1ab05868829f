"""Fixtures for the client tests: a real server on 127.0.0.1 port 0 and clients of it.

``server`` runs on the test's own loop (for the async client); ``market`` is started with
``launch()`` on marketsim's IO thread (for the blocking client).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator

import pytest
from client_support import DEADLINE, INSTRUMENTS, within

from marketsim.client import AsyncMarketClient
from marketsim.server import MarketServer
from marketsim.session import Market, launch


@pytest.fixture
async def server() -> AsyncIterator[MarketServer]:
    """A running server listing ACME (tick 0.01) and XYZ (tick 0.05), on the test's loop."""
    server = MarketServer(dict(INSTRUMENTS))
    await within(server.start("127.0.0.1", 0))
    yield server
    await within(server.stop(grace=0.5))


@pytest.fixture
async def make_client(server: MarketServer) -> AsyncIterator[Callable[..., AsyncMarketClient]]:
    """``AsyncMarketClient``s of ``server`` acting for a given owner; closed afterwards."""
    clients: list[AsyncMarketClient] = []

    def make(owner: str = "alice") -> AsyncMarketClient:
        client = AsyncMarketClient(server.address, owner=owner, timeout=DEADLINE)
        clients.append(client)
        return client

    yield make
    for client in clients:
        await within(client.close())


@pytest.fixture
def client(make_client) -> AsyncMarketClient:
    """An async client acting for "alice"."""
    return make_client("alice")


@pytest.fixture
def market() -> Iterator[Market]:
    """A market started with ``launch()`` on marketsim's IO thread; stopped afterwards."""
    handle = launch(INSTRUMENTS)
    try:
        yield handle
    finally:
        handle.stop()
