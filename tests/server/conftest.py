"""Fixtures for the gRPC server tests: real servers on 127.0.0.1 port 0, on the test's loop.

Every test here runs a ``MarketServer`` on the test's own event loop (``server``) or through
``launch()`` on marketsim's IO thread (``market``), and talks to it through the generated
stubs (``stub``, to send requests the Python client would refuse) or the ``AsyncMarketClient``.
Helpers live in ``server_support``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from typing import Any

import grpc
import pytest
from server_support import DEADLINE, INSTRUMENTS, within

from marketsim.client import AsyncMarketClient
from marketsim.server import MarketServer
from marketsim.wire.v1 import market_pb2_grpc as pb_grpc


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
async def make_channel() -> AsyncIterator[Callable[..., grpc.aio.Channel]]:
    """Open grpc.aio channels on the test's loop; all closed afterwards."""
    channels: list[grpc.aio.Channel] = []

    def open_channel(address: str, options: list[tuple[str, Any]] | None = None):
        channel = grpc.aio.insecure_channel(address, options=options or [])
        channels.append(channel)
        return channel

    yield open_channel
    for channel in channels:
        await within(channel.close())


@pytest.fixture
def channel(server: MarketServer, make_channel) -> grpc.aio.Channel:
    """A raw channel to ``server``."""
    return make_channel(server.address)


@pytest.fixture
def stub(channel: grpc.aio.Channel) -> pb_grpc.MarketServiceStub:
    """The generated stub: sends any proto, including ones the Python client refuses."""
    return pb_grpc.MarketServiceStub(channel)


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
def market() -> Iterator[Any]:
    """A market started with ``launch()`` on marketsim's IO thread; stopped afterwards."""
    from marketsim.session import launch

    handle = launch(INSTRUMENTS)
    try:
        yield handle
    finally:
        handle.stop()
