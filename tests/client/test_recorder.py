"""``Recorder`` against a real server: what it records is exactly what the engine did.

The server is ``launch()``-ed on 127.0.0.1 port 0 (marketsim's IO thread). Every order of a test
comes from one client, sequentially, so the events in the acks, concatenated, are the whole
event log of the instrument: the recording is compared with them, and with ``GetBook``
snapshots taken along the way.
"""

from __future__ import annotations

import asyncio
import random
import threading
import time
from collections.abc import Callable

import pandas as pd
import pytest
from grpc_support import DEADLINE, within

from marketsim.client import MarketClient, Recorder
from marketsim.client.views import BookSnapshot
from marketsim.core import OrderResult
from marketsim.core.events import BookDelta, OrderCancelled, Trade
from marketsim.frames import SCHEMAS

#: Seconds a recording may take to catch up with a large flow (not a speed target).
CATCH_UP = 120.0

ACME_MID = 100.00  # tick 0.01
FRAMES = ("events", "trades", "deltas", "bbo")


# ---- helpers ---------------------------------------------------------------------------------


def wait_until(condition: Callable[[], bool], seconds: float = DEADLINE) -> None:
    """Poll ``condition`` until it holds, failing the test after ``seconds``."""
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {seconds} s")
        time.sleep(0.005)


async def async_wait_until(condition: Callable[[], bool], seconds: float = DEADLINE) -> None:
    """``wait_until`` without blocking the running loop."""
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {seconds} s")
        await asyncio.sleep(0.005)


def ack_events(acks: list[OrderResult]) -> list:
    """The events of ``acks``, in order: the event log when one client made them all."""
    return [event for ack in acks for event in ack.events]


def last_seq(acks: list[OrderResult]) -> int:
    return next(e.seq for ack in reversed(acks) for e in reversed(ack.events))


def limit_orders(rng: random.Random, count: int, mid: float = ACME_MID, tick: float = 0.01):
    """Limit orders around ``mid``: mostly resting, some crossing by a few ticks."""
    orders = []
    for _ in range(count):
        side = rng.choice(("buy", "sell"))
        away = rng.randint(-3, 15) * (-1 if side == "buy" else 1)
        orders.append(
            {"side": side, "qty": rng.randint(1, 10), "price": round(mid + away * tick, 2)}
        )
    return orders


class Flow:
    """A random flow of one client on one symbol that knows its live orders (to cancel them)."""

    def __init__(self, client: MarketClient, symbol: str = "ACME", seed: int = 7) -> None:
        self.client = client
        self.symbol = symbol
        self.rng = random.Random(seed)
        self.acks: list[OrderResult] = []
        self.live: dict[int, int] = {}  # order_id -> open lots

    def _track(self, results: list[OrderResult], resting: bool = True) -> None:
        for result in results:
            for event in result.events:
                if type(event) is Trade and event.maker_order_id in self.live:
                    self.live[event.maker_order_id] -= event.qty_lots
                    if self.live[event.maker_order_id] == 0:
                        del self.live[event.maker_order_id]
                elif type(event) is OrderCancelled:
                    self.live.pop(event.order_id, None)
            if resting and result.action == "submit" and result.leaves_qty > 0:
                self.live[result.order_id] = round(result.leaves_qty)
        self.acks.extend(results)

    def submit_many(self, count: int) -> None:
        orders = limit_orders(self.rng, count)
        self._track(self.client.submit_many(self.symbol, orders, batch_size=97, progress=False))

    def cancel_some(self, count: int) -> None:
        assert self.live, "nothing to cancel"
        for order_id in self.rng.sample(sorted(self.live), min(count, len(self.live))):
            self._track([self.client.cancel(self.symbol, order_id)])

    def market_orders(self, count: int) -> None:
        for _ in range(count):
            side = self.rng.choice(("buy", "sell"))
            result = self.client.submit(self.symbol, side, self.rng.randint(1, 25))
            self._track([result], resting=False)


def assert_schema(frame: pd.DataFrame, name: str) -> None:
    assert list(frame.columns) == list(SCHEMAS[name]), name
    assert dict(frame.dtypes) == dict(SCHEMAS[name]), name


def utc(ns: int) -> pd.Timestamp:
    return pd.Timestamp(ns, unit="ns", tz="UTC")


@pytest.fixture
def alice(market) -> MarketClient:
    return market.client("alice", timeout=DEADLINE)


# ---- the start ---------------------------------------------------------------------------------


def test_recorder_started_after_trading_begins_from_the_book_as_it_was(alice):
    flow = Flow(alice)
    flow.submit_many(200)
    flow.market_orders(5)
    flow.submit_many(20)  # ends on a limit order, so the last command changed a level
    before = alice.book("ACME", 0)

    rec = alice.record("ACME")
    try:
        assert rec.running and rec.seq == before.seq == last_seq(flow.acks)
        assert len(rec) == 0
        assert rec.book() == before
        assert rec.book(at=before.seq) == before
        assert rec.book(at=utc(before.ts_event)) == before

        flow.submit_many(10)
        rec.wait(last_seq(flow.acks))
        assert rec.event_log()[0].seq == before.seq + 1
        assert rec.events()["seq"].iloc[0] == before.seq + 1
    finally:
        rec.stop()


def test_recorder_with_nothing_recorded_gives_empty_frames_of_the_exact_schemas(alice):
    rec = alice.record("XYZ")  # nothing ever traded on XYZ
    try:
        assert (rec.seq, len(rec), rec.event_log()) == (0, 0, [])
        for name in FRAMES:
            frame = getattr(rec, name)()
            assert len(frame) == 0, name
            assert_schema(frame, name)
        assert rec.book() == alice.book("XYZ", 0)
        assert rec.book().level_ticks("bid") == rec.book().level_ticks("ask") == []
    finally:
        rec.stop()


# ---- a random flow -------------------------------------------------------------------------------


def test_recording_of_a_random_flow_matches_the_acks_and_every_intermediate_book(alice):
    flow = Flow(alice, seed=11)
    flow.submit_many(100)  # trading before the recording starts
    rec = alice.record("ACME")
    start = alice.book("ACME", 0)
    snapshots: list[BookSnapshot] = []
    try:
        for _ in range(6):
            flow.market_orders(8)
            flow.cancel_some(15)
            snapshots.append(alice.book("ACME", 0))
            flow.submit_many(150)
            snapshots.append(alice.book("ACME", 0))
        rec.wait(last_seq(flow.acks), timeout=DEADLINE)
        final = alice.book("ACME", 0)
        recorded = flow.acks[100:]  # the acks after the recorder's start

        # The book, exactly (levels, seq, time of the last change).
        assert final.seq == last_seq(flow.acks)
        assert rec.book() == final
        assert rec.book(depth=3) == alice.book("ACME", 3)

        # Every event, in order, numbered consecutively from the start.
        assert rec.event_log() == ack_events(recorded)
        events = rec.events()
        assert_schema(events, "events")
        assert events["seq"].tolist() == list(range(start.seq + 1, final.seq + 1))

        # Exactly the trades of the acks.
        fills = [e for e in ack_events(recorded) if type(e) is Trade]
        assert len(fills) > 50
        trades = rec.trades()
        assert_schema(trades, "trades")
        assert trades["trade_id"].tolist() == [t.trade_id for t in fills]
        assert trades["price_ticks"].tolist() == [t.price_ticks for t in fills]
        assert trades["price"].tolist() == [t.price_ticks / 100 for t in fills]
        assert trades["qty"].tolist() == [t.qty_lots for t in fills]
        assert trades["seq"].tolist() == [t.seq for t in fills]
        assert trades["maker_order_id"].tolist() == [t.maker_order_id for t in fills]

        deltas = rec.deltas()
        assert_schema(deltas, "deltas")
        assert deltas["seq"].tolist() == [
            e.seq for e in ack_events(recorded) if type(e) is BookDelta
        ]

        bbo = rec.bbo()
        assert_schema(bbo, "bbo")
        top = bbo.iloc[-1]
        assert (top["bid_price"], top["bid_qty"]) == final.best_bid
        assert (top["ask_price"], top["ask_qty"]) == final.best_ask
        assert top["seq"] <= final.seq

        # The book as it was at intermediate points, by seq and by time.
        assert rec.book(at=start.seq) == start
        for snapshot in snapshots:
            assert rec.book(at=snapshot.seq) == snapshot
            assert rec.book(at=utc(snapshot.ts_event)) == snapshot
            assert rec.book(at=snapshot.seq, depth=2) == alice_top(snapshot, 2)
    finally:
        rec.stop()


def alice_top(snapshot: BookSnapshot, depth: int) -> BookSnapshot:
    """``snapshot`` cut to ``depth`` levels per side."""
    return BookSnapshot(
        snapshot.symbol,
        snapshot.seq,
        snapshot.ts_event,
        snapshot.instrument,
        snapshot.bids[:depth],
        snapshot.asks[:depth],
    )


def test_book_at_a_point_before_the_recording_raises_value_error(alice):
    Flow(alice).submit_many(50)
    start = alice.book("ACME", 0)
    rec = alice.record("ACME")
    try:
        Flow(alice, seed=3).submit_many(50)
        rec.wait(alice.book("ACME", 0).seq)
        with pytest.raises(ValueError, match="before"):
            rec.book(at=start.seq - 1)
        with pytest.raises(ValueError, match="before"):
            rec.book(at=utc(start.ts_event - 1))
        with pytest.raises(ValueError, match="time zone"):
            rec.book(at=pd.Timestamp(start.ts_event, unit="ns"))  # naive: ambiguous
    finally:
        rec.stop()


def test_recorded_book_equals_get_book_after_a_command_that_changed_no_level(alice):
    alice.submit("ACME", "buy", 5, 100.0)
    rec = alice.record("ACME")
    try:
        rejected = alice.submit("ACME", "buy", 3)  # a market buy with no asks: no_liquidity
        assert (rejected.status, rejected.reason) == ("rejected", "no_liquidity")
        rec.wait(rejected.events[-1].seq)
        assert rec.book() == alice.book("ACME", 0)
    finally:
        rec.stop()


# ---- bounded memory --------------------------------------------------------------------------


def test_max_events_bounds_memory_while_the_book_and_latest_bbo_stay_exact(alice):
    max_events = 500
    Flow(alice, seed=5).submit_many(100)
    full = alice.record("ACME")
    bounded = alice.record("ACME", max_events=max_events)
    flow = Flow(alice, seed=6)
    lengths: list[int] = []
    try:
        assert full.seq == bounded.seq
        start_seq = full.seq
        while full.seq < start_seq + 10 * max_events:
            flow.submit_many(200)
            flow.market_orders(3)
            flow.cancel_some(5)
            flow.submit_many(10)
            full.wait(last_seq(flow.acks))
            bounded.wait(last_seq(flow.acks))
            lengths.append(len(bounded))
        final = alice.book("ACME", 0)

        assert max(lengths) <= max_events
        # Old events are folded at command boundaries, so a few fewer may be kept.
        assert max_events - 50 <= len(bounded) <= max_events
        assert len(full) == final.seq - start_seq >= 10 * max_events
        assert bounded.event_log() == full.event_log()[-len(bounded) :]
        assert bounded.book() == full.book() == final

        # Older states were folded away...
        window_start = bounded.event_log()[0].seq - 1
        with pytest.raises(ValueError):
            bounded.book(at=window_start - 1)
        # ... the retained ones are still exact.
        for at in (window_start, window_start + 1, window_start + max_events // 2, final.seq):
            assert bounded.book(at=at) == full.book(at=at)

        # bbo: identical to the full recording's from the first complete command in the window.
        first_batch_end = next(
            e.seq for e in bounded.event_log() if type(e) is BookDelta and e.last
        )
        tail, expected = (
            frame[frame["seq"] > first_batch_end].reset_index(drop=True)
            for frame in (bounded.bbo(), full.bbo())
        )
        assert len(expected) > 10
        pd.testing.assert_frame_equal(tail, expected)
        assert_schema(bounded.bbo(), "bbo")
    finally:
        full.stop()
        bounded.stop()


def test_bounded_bbo_never_shows_a_half_applied_command(alice):
    full = alice.record("ACME")
    bounded = alice.record("ACME", max_events=1)
    try:
        alice.submit("ACME", "sell", 1, 100.01)
        alice.submit("ACME", "sell", 1, 100.02)
        sweep = alice.submit("ACME", "buy", 2, 100.02)  # trades both; deltas 100.01, 100.02
        assert [type(e).__name__ for e in sweep.events][-2:] == ["BookDelta", "BookDelta"]
        full.wait(sweep.events[-1].seq)
        bounded.wait(sweep.events[-1].seq)

        command_ends = {e.seq for e in full.event_log() if type(e) is BookDelta and e.last}
        assert set(full.bbo()["seq"]) <= command_ends
        assert set(bounded.bbo()["seq"]) <= command_ends  # seq 8: ask 100.02 after half a sweep
    finally:
        full.stop()
        bounded.stop()


def test_max_events_must_be_positive(alice):
    with pytest.raises(ValueError, match="max_events"):
        alice.record("ACME", max_events=0)


# ---- stopping --------------------------------------------------------------------------------


def test_stop_from_another_thread_ends_the_recording_and_keeps_what_was_recorded(alice):
    flow = Flow(alice, seed=9)
    rec = alice.record("ACME")
    witness = alice.record("ACME")  # keeps recording, to prove the later orders were streamed
    try:
        flow.submit_many(50)
        rec.wait(last_seq(flow.acks))
        stopper = threading.Thread(target=rec.stop)
        stopper.start()
        stopper.join(DEADLINE)
        assert not stopper.is_alive()
        wait_until(lambda: not rec.running)
        stopped_at, recorded = rec.seq, len(rec)
        events_before = rec.events()

        flow.submit_many(50)
        witness.wait(last_seq(flow.acks))
        time.sleep(0.2)  # the stopped recorder would have had the same batches by now

        assert not rec.running
        assert (rec.seq, len(rec)) == (stopped_at, recorded)
        pd.testing.assert_frame_equal(rec.events(), events_before)
        assert witness.seq == last_seq(flow.acks) > stopped_at
        with pytest.raises(RuntimeError, match="stopped"):
            rec.wait(stopped_at + 1, timeout=DEADLINE)
        rec.stop()  # idempotent
    finally:
        rec.stop()
        witness.stop()


# ---- which thread, which loop -----------------------------------------------------------------


def test_blocking_client_records_from_a_plain_thread(market):
    outcome: dict[str, object] = {}

    def worker() -> None:
        try:
            client = market.client("bob", timeout=DEADLINE)
            rec = client.record("ACME")
            flow = Flow(client, seed=13)
            flow.market_orders(4)
            flow.submit_many(120)
            rec.wait(last_seq(flow.acks))
            outcome["same_book"] = rec.book() == client.book("ACME", 0)
            outcome["same_events"] = rec.event_log() == ack_events(flow.acks)
            rec.stop()
            wait_until(lambda: not rec.running)
            outcome["stopped"] = True
        except BaseException as error:  # reported by the test thread
            outcome["error"] = error

    thread = threading.Thread(target=worker)
    thread.start()
    thread.join(3 * DEADLINE)
    assert not thread.is_alive()
    assert "error" not in outcome, outcome.get("error")
    assert outcome == {"same_book": True, "same_events": True, "stopped": True}


async def test_async_client_records_on_the_tests_own_loop(market):
    client = await market.aclient("carol", timeout=DEADLINE)
    try:
        rec = await within(client.record("ACME"))
        assert isinstance(rec, Recorder) and rec.running
        start = await within(client.book("ACME", 0))
        assert rec.book() == start

        rng = random.Random(17)
        acks = await within(client.submit_many("ACME", limit_orders(rng, 300), batch_size=64))
        acks.append(await within(client.submit("ACME", "sell", 12)))
        acks.append(await within(client.cancel("ACME", acks[0].order_id)))
        acks += await within(client.submit_many("ACME", limit_orders(rng, 5)))
        await within(rec.wait_for_seq(last_seq(acks), timeout=DEADLINE), DEADLINE + 1)

        assert rec.book() == await within(client.book("ACME", 0))
        assert rec.event_log() == ack_events(acks)
        assert rec.events()["seq"].tolist() == list(range(start.seq + 1, last_seq(acks) + 1))

        # stop() from another thread reaches the recorder on this loop.
        await within(asyncio.to_thread(rec.stop))
        await async_wait_until(lambda: not rec.running)
        assert rec.seq == last_seq(acks)
    finally:
        rec.stop()
        await within(client.close())


# ---- one symbol among several ------------------------------------------------------------------


def test_recording_one_symbol_ignores_the_others(alice):
    acme, xyz = Flow(alice, "ACME", seed=21), Flow(alice, "XYZ", seed=22)
    rec = alice.record("ACME")
    other = alice.record("XYZ")
    try:
        for _ in range(3):
            acme.market_orders(2)
            xyz.client.submit_many("XYZ", [("buy", 2, 99.95), ("sell", 1, 99.95)] * 30)
            acme.submit_many(60)
        rec.wait(last_seq(acme.acks))
        xyz_seq = alice.book("XYZ", 0).seq
        other.wait(xyz_seq)
        time.sleep(0.1)  # anything else for ACME would have arrived with the XYZ batches

        assert rec.event_log() == ack_events(acme.acks)
        assert rec.book() == alice.book("ACME", 0)
        assert rec.instrument.symbol == "ACME"
        assert len(other) == xyz_seq
        assert other.trades()["price"].unique().tolist() == [99.95]
    finally:
        rec.stop()
        other.stop()


# ---- keeping up --------------------------------------------------------------------------------


async def test_recorder_on_a_busy_loop_reaches_the_last_of_200_000_events(market):
    """Load on another thread, the recorder on this loop: it gets to the end, in order."""
    client = await market.aclient("dave", timeout=DEADLINE)
    loader = market.client("erin", timeout=DEADLINE)
    rec = await within(client.record("ACME"))
    try:
        start_seq = rec.seq
        # A resting buy then a sell that takes it: 2 + 3 events per pair.
        pairs = [("buy", 1, 100.0), ("sell", 1, 100.0)] * 40_000
        acks = await asyncio.wait_for(
            asyncio.to_thread(loader.submit_many, "ACME", pairs, batch_size=1000, progress=False),
            CATCH_UP,
        )
        end = last_seq(acks)
        assert end - start_seq == 200_000
        await asyncio.wait_for(rec.wait_for_seq(end, timeout=CATCH_UP), CATCH_UP + 1)

        assert rec.error is None and rec.running
        assert len(rec) == 200_000
        assert [e.seq for e in rec.event_log()] == list(range(start_seq + 1, end + 1))
        assert len(rec.trades()) == 40_000
        assert rec.book() == await within(client.book("ACME", 0))
    finally:
        rec.stop()
        await async_wait_until(lambda: not rec.running)
        await within(client.close())


def test_recorded_accounts_match_the_servers_ledger(market, alice):
    bob = market.client("bob", timeout=DEADLINE)
    rec = alice.record("ACME")
    try:
        alice.submit("ACME", "sell", 10, 100.00)
        alice.submit("ACME", "sell", 5, 100.10)
        bob.submit("ACME", "buy", 12)
        last = bob.submit("ACME", "buy", 2, 99.90)
        rec.wait(last.events[-1].seq)
        recorded = rec.accounts().set_index("owner")
    finally:
        rec.stop()

    for client in (alice, bob):
        served = client.account("ACME")
        mine = recorded.loc[client.owner]
        assert (mine["position"], mine["cash"]) == (served.position, served.cash)
        assert mine["total_pnl"] == pytest.approx(served.total_pnl)
        assert mine["open_orders"] == served.open_orders
