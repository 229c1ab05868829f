"""Stops, icebergs, self-trade prevention and phases through a real server and both clients."""

from __future__ import annotations

import pytest
from grpc_support import within

from marketsim.core import AuctionUncrossed, OrderBook, PhaseChanged, StopTriggered
from marketsim.errors import InvalidCommandError, UnknownSymbolError


async def test_async_client_carries_stops_icebergs_stp_and_phases(server, make_client):
    alice, bob = make_client("alice"), make_client("bob")
    await within(alice.submit("ACME", "sell", 30, 100.0, display_qty=10))
    stop = await within(bob.submit("ACME", "buy", 5, stop_price=100.0))
    assert (stop.status, stop.leaves_qty) == ("new", 5)

    result = await within(bob.submit("ACME", "buy", 12, 100.0))
    kinds = [type(e).__name__ for e in result.events]
    assert "IcebergRefilled" in kinds and "StopTriggered" in kinds
    assert sum(f.qty for f in result.trades) == 17  # 12, and the triggered stop's 5
    snapshot = await within(alice.book("ACME"))
    assert snapshot.best_ask == (100.0, 3)  # what is left of the slice; 10 more are hidden

    prevented = await within(alice.submit("ACME", "buy", 2, 100.0, stp="cancel_newest"))
    assert (prevented.status, prevented.reason) == ("cancelled", "self_trade_prevented")

    opened = await within(alice.set_phase("ACME", "auction"))
    assert opened.phase == "auction" and opened.trades == []
    await within(bob.submit("ACME", "buy", 4, 100.5))
    rejected = await within(bob.submit("ACME", "buy", 1, 100.5, tif="IOC"))
    assert rejected.reason == "auction_phase"
    closed = await within(alice.set_phase("ACME", "continuous"))
    assert (closed.phase, closed.price, closed.matched_qty) == ("continuous", 100.0, 4)
    assert [type(e) for e in closed.events][:1] == [AuctionUncrossed]
    assert any(isinstance(e, PhaseChanged) for e in closed.events)

    await within(alice.set_phase("ACME", "halted"))
    halted = await within(bob.submit("ACME", "buy", 1, 99.0))
    assert halted.reason == "halted"
    refused = await within(alice.replace("ACME", 1, qty=5))
    assert (refused.status, refused.reason) == ("rejected", "halted")
    with pytest.raises(InvalidCommandError, match="already in the halted phase"):
        await within(alice.set_phase("ACME", "halted"))
    with pytest.raises(InvalidCommandError, match="phase must be one of"):
        await within(alice.set_phase("ACME", "x" * 5_000))
    with pytest.raises(UnknownSymbolError):
        await within(alice.set_phase("NOPE", "auction"))


async def test_decoded_results_hold_the_whole_log_and_replay_into_the_same_book(
    server, make_client
):
    alice = make_client("alice")
    results = [
        await within(alice.submit("ACME", "buy", 3, 99.0, stop_price=101.0)),
        await within(alice.submit("ACME", "sell", 3, 101.0)),
        await within(alice.set_phase("ACME", "auction")),
        await within(alice.submit("ACME", "buy", 3, 101.0)),
        await within(alice.set_phase("ACME", "continuous")),
    ]
    received = [event for result in results for event in result.events]
    book = server.exchange["ACME"]
    assert received == list(book.events)
    assert any(isinstance(e, StopTriggered) for e in received)
    replayed = OrderBook.replay(received, instrument=book.instrument)
    assert replayed.ladder() == book.ladder() and replayed.phase == "continuous"


def test_blocking_client_sets_phases_and_submits_stops(market):
    client = market.client(owner="carol")
    assert client.submit("XYZ", "sell", 2, stop_price=9.95).status == "new"
    assert client.replace("XYZ", 1, stop_price=9.9).status == "replaced"
    assert client.set_phase("XYZ", "halted").phase == "halted"
    assert client.replace("XYZ", 1, qty=1).reason == "halted"
    assert client.set_phase("XYZ", "continuous").phase == "continuous"
