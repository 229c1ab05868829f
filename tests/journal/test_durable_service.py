"""A journaled market over gRPC: exact recovery, and what a full or read-only disk does."""

from __future__ import annotations

import asyncio
import subprocess
from pathlib import Path

import pytest

from marketsim import cases
from marketsim.client import AsyncMarketClient, Reconnect
from marketsim.data.sessions import load_session
from marketsim.errors import InvalidCommandError, MarketUnavailableError
from marketsim.journal.writer import JournalUnavailableError
from marketsim.server import MarketServer
from marketsim.server.config import MarketConfig
from marketsim.server.durability import fingerprint
from marketsim.server.journal_audit import export, verify
from marketsim.wire.v1 import market_pb2 as pb

PARTICIPANTS = {"alice": "trader", "bob": "trader", "prof": "admin"}


async def trade_a_little(address: str, tokens: dict[str, str]) -> dict[str, object]:
    """Orders, a trade, a cancel, a replace, a risk rejection, a phase change; their acks."""
    acks: dict[str, object] = {}
    async with (
        AsyncMarketClient(address, token=tokens["alice"]) as alice,
        AsyncMarketClient(address, token=tokens["bob"]) as bob,
        AsyncMarketClient(address, token=tokens["prof"]) as prof,
    ):
        acks["rest"] = await alice.submit("ACME", "buy", 5, price=99.9, client_order_id="a1")
        acks["cross"] = await bob.submit("ACME", "sell", 2, price=99.9)
        acks["other"] = await bob.submit("ACME", "sell", 3, price=100.2)
        acks["replace"] = await alice.replace("ACME", acks["rest"].order_id, qty=1)
        acks["cancel"] = await bob.cancel("ACME", acks["other"].order_id)
        acks["too_big"] = await alice.submit("ACME", "buy", 50, price=99.0)  # over the limit
        await prof.set_phase("ACME", "auction")
        acks["auction"] = await bob.submit("ACME", "sell", 1, price=99.5)
        await prof.set_phase("ACME", "continuous")
    return acks


@pytest.mark.parametrize("fsync", ["always", "batch", "off"])
async def test_a_restarted_market_is_the_same_market(tmp_path, fsync):
    config = MarketConfig.make(PARTICIPANTS, limits={"max_order_qty": 10})
    options = dict(roster=config.roster, journal=tmp_path / "j", fsync=fsync, snapshot_every=4)
    server = MarketServer({"ACME": 0.01}, **options)
    address = await server.start()
    acks = await trade_a_little(address, config.tokens)
    before = fingerprint(server.service.sequencer)
    events_before = list(server.exchange["ACME"].events)
    await server.stop()

    server = MarketServer({"ACME": 0.01}, **options)
    assert server.journal.recovery.snapshot is not None  # snapshots were taken on the way
    assert fingerprint(server.service.sequencer) == before
    address = await server.start()
    async with AsyncMarketClient(address, token=config.tokens["alice"]) as alice:
        # The idempotency key survived: the retry gets the original ack, no second order.
        retry = await alice.submit("ACME", "buy", 5, price=99.9, client_order_id="a1")
        assert retry.order_id == acks["rest"].order_id
        account = await alice.account("ACME")
        assert account.position == 3  # 2 in continuous trading, 1 at the uncross
        new = await alice.submit("ACME", "buy", 1, price=98.0)
        assert new.order_id == max(a.order_id for a in acks.values()) + 1
    await server.stop()

    assert acks["too_big"].status == "rejected"
    report = verify(tmp_path / "j")
    assert report.ok and report.records == 10, report.lines()  # the retry was not journaled
    session = load_session(export(tmp_path / "j", tmp_path / "day.parquet"))
    assert list(session.events)[: len(events_before)] == events_before


@pytest.fixture
def small_disk(tmp_path):
    """A 64 KiB tmpfs: a real disk that fills up."""
    mount = tmp_path / "disk"
    mount.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(mount)], check=True)
    yield mount
    subprocess.run(["umount", "-l", str(mount)], check=True)


async def test_a_full_disk_stops_order_entry_keeps_reads_and_loses_no_ack(small_disk, tmp_path):
    server = MarketServer({"ACME": 0.01}, journal=small_disk / "j", snapshot_every=10**9)
    address = await server.start()
    acknowledged = []
    async with AsyncMarketClient(address, owner="filler") as client:
        with pytest.raises(MarketUnavailableError, match="journal cannot be written") as refused:
            for i in range(100_000):
                result = await client.submit("ACME", "buy", 1, price=1 + i % 1000 * 0.01)
                acknowledged.append(result.order_id)
        assert "No space left on device" in str(refused.value)
        seq = server.exchange["ACME"].seq
        with pytest.raises(MarketUnavailableError):  # stays refused, even for a cancel
            await client.cancel("ACME", acknowledged[0])
        assert server.exchange["ACME"].seq == seq  # nothing applied
        book = await client.book("ACME", depth=0)  # reads go on
        assert sum(qty for _price, qty, _orders in book.level_ticks("bid")) == len(acknowledged)
    await server.stop()

    copy = tmp_path / "copy"
    subprocess.run(["cp", "-r", str(small_disk / "j"), str(copy)], check=True)
    server = MarketServer({"ACME": 0.01}, journal=copy)
    assert len(server.exchange["ACME"].engine.book.orders) == len(acknowledged)
    assert server.journal.recovery.torn_bytes == 0  # the writer cut its partial record
    await server.stop()


async def test_a_read_only_journal_directory_refuses_to_start_and_says_why(small_disk):
    server = MarketServer({"ACME": 0.01}, journal=small_disk / "j")
    address = await server.start()
    async with AsyncMarketClient(address, owner="x") as client:
        await client.submit("ACME", "buy", 1, price=10)
    await server.stop()
    subprocess.run(["mount", "-o", "remount,ro", str(small_disk)], check=True)

    with pytest.raises(JournalUnavailableError, match="Read-only file system"):
        MarketServer({"ACME": 0.01}, journal=small_disk / "j")
    report = verify(small_disk / "j")  # reading needs no write access
    assert report.ok and report.records == 1


async def test_the_journal_gives_back_a_books_history_from_any_seq(tmp_path):
    config = MarketConfig.make(PARTICIPANTS, limits={"max_order_qty": 10})
    server = MarketServer({"ACME": 0.01, "XYZ": 0.05}, roster=config.roster, journal=tmp_path / "j")
    address = await server.start()
    await trade_a_little(address, config.tokens)
    async with AsyncMarketClient(address, token=config.tokens["bob"]) as bob:
        await bob.submit("XYZ", "buy", 1, price=5.0)  # another book's events stay out
    log = list(server.exchange["ACME"].events)

    assert await server.journal.history("ACME", 0) == log
    assert await server.journal.history("ACME", 7) == [e for e in log if e.seq > 7]
    assert await server.journal.history("ACME", log[-1].seq) == []
    assert await server.journal.history("ACME", log[-1].seq + 1) is None  # never reached
    await server.stop()


async def test_a_trading_case_is_refused_on_a_journaled_market(tmp_path):
    config = MarketConfig.make(PARTICIPANTS)
    server = MarketServer({"ACME": 0.01}, roster=config.roster, journal=tmp_path / "j")
    request = pb.RunCaseRequest(case_toml=cases.load("spread").source, clock="simulated")
    with pytest.raises(InvalidCommandError, match="cannot run on a journaled market yet"):
        server.service.load_case(request)
    await server.stop()


async def test_a_recorder_goes_on_across_a_journaled_restart_with_every_event_once(tmp_path):
    import sys

    sys.path.insert(0, str(Path(__file__).parents[1] / "server"))
    from server_support import random_flow

    journal = tmp_path / "j"
    server = MarketServer({"ACME": 0.01}, journal=journal)
    address = await server.start()
    policy = Reconnect(initial_delay=0.02, max_delay=0.2, give_up_after=20)
    clients = [AsyncMarketClient(address, owner=o, reconnect=policy) for o in ("a", "b", "w")]
    alice, bob, watcher = clients
    await random_flow([alice, bob], seed=1, commands=30)
    recorder = await watcher.record("ACME")
    start = recorder.seq
    await random_flow([alice, bob], seed=2, commands=30)
    await recorder.wait_for_seq(server.exchange["ACME"].seq)

    await server.stop()  # the market goes away; a new server recovers it from the journal
    server = MarketServer({"ACME": 0.01}, journal=journal)
    await server.start("127.0.0.1", int(address.rsplit(":", 1)[1]))
    for client in (alice, bob):
        await wait_reachable(client)
    await random_flow([alice, bob], seed=3, commands=30)
    await recorder.wait_for_seq(server.exchange["ACME"].seq)
    recorder.stop()

    uninterrupted = [e for e in server.exchange["ACME"].events if e.seq > start]
    assert recorder.event_log() == uninterrupted
    assert recorder.gaps == []
    for client in clients:
        await client.close()
    await server.stop()


async def wait_reachable(client: AsyncMarketClient) -> None:
    """Until the client's channel has reconnected (unary calls are not retried)."""
    for _ in range(500):
        try:
            await client.whoami()
            return
        except MarketUnavailableError:
            await asyncio.sleep(0.02)
