"""Fixtures for the widget tests: a real market on 127.0.0.1 port 0 and an async client of it.

The widgets run on the event loop that makes them; here that is each test's own loop, as in a
notebook it is the kernel's.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest
from widget_support import DEADLINE

from marketsim.client import AsyncMarketClient
from marketsim.session import Market, launch


@pytest.fixture
def market() -> Iterator[Market]:
    """A market listing ACME (tick 0.01), served from marketsim's IO thread."""
    handle = launch({"ACME": 0.01})
    try:
        yield handle
    finally:
        handle.stop()


@pytest.fixture
async def trader(market: Market) -> AsyncIterator[AsyncMarketClient]:
    """An async client of ``market`` on the test's loop, trading as "trader"."""
    client = await market.aclient(owner="trader", timeout=DEADLINE)
    try:
        yield client
    finally:
        await client.close()
