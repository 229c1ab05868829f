"""Conflated book streams: a subscriber's rate cap and the budget its instrument's subscribers
share. Fewer messages, never fewer changes: the book a client keeps stays exact."""

from __future__ import annotations

import asyncio
import time

from server_support import get_book, levels, wait_until, within

from marketsim.client import AsyncMarketClient
from marketsim.server.market_data import BOOK_UPDATE_BUDGET

RATE = 4  # updates per second the subscriber asks for


async def test_a_capped_subscriber_gets_coalesced_updates_and_an_exact_book(server, stub):
    async with (
        AsyncMarketClient(server.address, owner="watcher") as watcher,
        AsyncMarketClient(server.address, owner="alice") as alice,
    ):
        updates = []

        async def follow() -> None:
            async for update in watcher.stream_book("ACME", max_updates_per_second=RATE):
                updates.append((time.monotonic(), update.kind, update.seq))

        task = asyncio.ensure_future(follow())
        await wait_until(lambda: updates)
        started = time.monotonic()
        for k in range(60):  # each order changes a level
            last = await within(alice.submit("ACME", "buy", 1, 90 + k % 7))
        elapsed = time.monotonic() - started
        seq = last.events[-1].seq
        await wait_until(lambda: updates[-1][2] == seq)
        task.cancel()
        deltas = [when for when, kind, _ in updates if kind == "deltas"]
        # at most one message per 1/RATE s (plus the first, sent at once), however many orders
        assert len(deltas) <= RATE * (deltas[-1] - started) + 2
        assert len(deltas) < 60 / 2, f"{len(deltas)} messages for 60 orders in {elapsed:.2f} s"
        book = await within(watcher.book("ACME", depth=0))
        assert levels(book) == levels(await get_book(stub))


def test_subscribers_of_one_instrument_share_the_budget(server):
    service = server.service
    assert service.book_pause("ACME", 0) == 0  # nobody to share with, no cap
    for _ in range(10):
        server.hub.follow("ACME")
    server.hub.follow("XYZ")  # another instrument's subscribers do not count
    assert service.book_pause("ACME", 0) == 10 / BOOK_UPDATE_BUDGET
    assert service.book_pause("ACME", 2) == 0.5  # the subscriber's own cap is lower
    service.book_update_budget = 20
    assert service.book_pause("ACME", 100) == 0.5  # the shared budget is lower
    with server.hub.sending("ACME"), server.hub.sending("ACME"):  # two stalled readers
        assert service.book_pause("ACME", 100) == 8 / 20
    assert server.hub.readers_of("ACME") == 10
