"""Helpers shared by the widget tests."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import pytest

from marketsim.client import AsyncMarketClient

#: Seconds any single wait in these tests may take before the test fails.
DEADLINE = 15.0

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def is_png(value: bytes | memoryview) -> bool:
    """True when ``value`` (an ``Image`` widget's value) holds a PNG file."""
    return bytes(value[:8]) == PNG_SIGNATURE


async def eventually(condition: Callable[[], bool], what: str, timeout: float = DEADLINE) -> None:
    """Wait until ``condition()`` holds, failing the test after ``timeout`` seconds."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not condition():
        if loop.time() > deadline:
            pytest.fail(f"timed out after {timeout} s waiting for {what}")
        await asyncio.sleep(0.02)


async def rest_orders(client: AsyncMarketClient, count: int, *, start: int = 0) -> None:
    """``count`` limit orders that rest without trading (bids below 100, asks above), each
    changing the book: one book update per order."""
    for i in range(start, start + count):
        if i % 2:
            await client.submit("ACME", "buy", 1 + i % 5, round(99.99 - (i % 40) / 100, 2))
        else:
            await client.submit("ACME", "sell", 1 + i % 5, round(100.01 + (i % 40) / 100, 2))


async def server_seq(client: AsyncMarketClient) -> int:
    """The seq of the server's ACME book now."""
    return (await asyncio.wait_for(client.book("ACME", depth=1), DEADLINE)).seq


def seq_shown(label_value: str) -> int | None:
    """The number in a "seq 1234" label, or None for "seq -"."""
    text = label_value.removeprefix("seq ").strip()
    return int(text) if text.isdigit() else None
