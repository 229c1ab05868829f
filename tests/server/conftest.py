"""Fixtures for the gRPC server tests: raw channels and stubs to a real server.

The servers and clients themselves (``server``, ``make_server``, ``client``, ``market``) come
from ``tests/conftest.py``; ``stub`` sends requests the Python client would refuse. Helpers live
in ``server_support``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

import grpc
import pytest
from grpc_support import within

from marketsim.server import MarketServer
from marketsim.wire.v1 import market_pb2_grpc as pb_grpc


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
