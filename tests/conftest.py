"""Fixtures shared by the gRPC tests (tests/server, tests/client): real servers on 127.0.0.1.

``server`` runs a ``MarketServer`` on the test's own loop (for the async client and raw stubs);
``market`` is started with ``launch()`` on marketsim's IO thread (for the blocking client).
Both list ACME (tick 0.01) and XYZ (tick 0.05) on a free port.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from typing import Any

import pytest
from grpc_support import DEADLINE, INSTRUMENTS, within

from marketsim.client import AsyncMarketClient
from marketsim.server import MarketServer
from marketsim.session import Market, launch


@pytest.fixture
async def make_server() -> AsyncIterator[Callable[..., Awaitable[MarketServer]]]:
    """Start ``MarketServer(INSTRUMENTS, **options)`` on the test's loop; stopped afterwards."""
    servers: list[MarketServer] = []

    async def start(**options: Any) -> MarketServer:
        server = MarketServer(dict(INSTRUMENTS), **options)
        await within(server.start("127.0.0.1", 0))
        servers.append(server)
        return server

    yield start
    for server in servers:
        await within(server.stop(grace=0.5))


@pytest.fixture
async def server(make_server) -> MarketServer:
    """A running server listing ACME (tick 0.01) and XYZ (tick 0.05)."""
    return await make_server()


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
