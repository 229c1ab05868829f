"""What a journal costs order entry, and how fast a journaled market comes back.

Usage::

    python benchmarks/journal.py [--quick] [--orders N] [--records N] [--rounds R]

1. Order entry: ``AsyncMarketClient.submit_many`` of ``--orders`` orders (the balanced order
   cycle of benchmarks/service.py, 500 per message) against a fresh
   ``launch(mode="process")`` market without a journal, with ``--fsync batch`` and with
   ``--fsync always``, the three interleaved for ``--rounds`` rounds. Target: batch keeps at
   least 75% of the rate without a journal (median of the per-round ratios).
2. Recovery: a journal of ``--records`` commands (the same cycle, with cancels) is written
   through the server's ``Sequencer``, snapshotting every 100,000 records as a server does.
   Then, ``--rounds`` times: a restart from the journal alone (every record replayed), and a
   restart with the snapshots. Beside them, as a same-run baseline, the bare engine applies the
   same commands (``OrderBook.execute``, no journal, no ledger, no protobuf). Targets: replay
   at least 300,000 commands/s; a restart of a 1,000,000-command journal with snapshots
   under 5 s.

Journals live in a temporary directory under the current one (a real disk, not tmpfs).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import contextlib

from service import CYCLE, SYMBOL, submit_request, unit_kwargs

import marketsim
from marketsim.client import AsyncMarketClient
from marketsim.core import Instrument, OrderBook
from marketsim.core.commands import CancelOrder
from marketsim.journal import snapshots
from marketsim.server.durability import open_journal
from marketsim.wire import codec
from marketsim.wire.v1 import market_pb2 as pb

TARGET_BATCH_RATIO = 0.75
TARGET_REPLAY_RATE = 300_000
TARGET_RESTART_SECONDS = 5.0
INSTRUMENT = Instrument(SYMBOL, "0.01")


# ---- 1. order entry ------------------------------------------------------------------------


async def submit_many_rate(orders: int, journal: Path | None, fsync: str) -> float:
    options = {"journal": journal, "fsync": fsync} if journal else {}
    market = marketsim.launch({SYMBOL: 0.01}, mode="process", **options)
    try:
        batch = [unit_kwargs(order) for order in CYCLE] * (orders // len(CYCLE))
        async with AsyncMarketClient(market.address, owner="bench") as client:
            await client.submit_many(SYMBOL, batch[:2_000], progress=False)  # warm up
            started = time.perf_counter()
            await client.submit_many(SYMBOL, batch, progress=False)
            return len(batch) / (time.perf_counter() - started)
    finally:
        market.stop()


async def order_entry(args, work: Path) -> bool:
    print(f"\n1. submit_many of {args.orders:,} orders, {args.rounds} interleaved rounds")
    rates: dict[str, list[float]] = {"none": [], "batch": [], "always": []}
    for round_no in range(args.rounds):
        for fsync in rates:
            journal = None if fsync == "none" else work / f"entry-{fsync}-{round_no}"
            rates[fsync].append(await submit_many_rate(args.orders, journal, fsync))
    for fsync, values in rates.items():
        print(f"   journal {fsync:>6}: {statistics.median(values):>9,.0f} orders/s (median)")
    ratios = {
        fsync: statistics.median(r / n for r, n in zip(rates[fsync], rates["none"], strict=True))
        for fsync in ("batch", "always")
    }
    passed = ratios["batch"] >= TARGET_BATCH_RATIO
    print(
        f"   ratio batch/none {ratios['batch']:.2f}, always/none {ratios['always']:.2f} "
        f"(target batch >= {TARGET_BATCH_RATIO}): {'PASS' if passed else 'FAIL'}"
    )
    return passed


# ---- 2. recovery ---------------------------------------------------------------------------


def commands(count: int):
    """``count`` order-entry requests: the order cycle, and a cancel of every 10th order."""
    produced, next_id, cancelled = 0, 1, set()
    while True:
        for order in CYCLE:
            request = submit_request(order)
            yield request
            produced += 1
            if produced == count:
                return
            if order[3] == "GTC" and next_id % 10 == 0 and next_id not in cancelled:
                cancelled.add(next_id)
                yield pb.CancelOrderRequest(symbol=SYMBOL, order_id=next_id)
                produced += 1
                if produced == count:
                    return
            next_id += 1


def write_journal(directory: Path, count: int) -> None:
    journal = open_journal(directory, [INSTRUMENT], {}, keep_events=False)
    sequencer, snapshot_every = journal.sequencer, journal.snapshot_every
    for n, request in enumerate(commands(count), 1):
        command = codec.command_from_proto(request, "bench")
        with contextlib.suppress(marketsim.errors.MarketsimError):  # a cancel after a fill
            sequencer.order(request, command, n, None, None)
        if n % snapshot_every == 0:
            os.fsync(journal.writer.fd)
            snapshots.write(directory, n, snapshots.encode(sequencer.state(), journal.writer.size))
    asyncio.run(journal.close())


def bare_engine_seconds(count: int) -> float:
    book = OrderBook(INSTRUMENT, keep_events=False)
    engine_commands = []
    for request in commands(count):
        if type(request) is pb.SubmitOrderRequest:
            engine_commands.append(codec.command_from_proto(request, "bench"))
        else:
            engine_commands.append(CancelOrder(request.order_id, "bench"))
    started = time.perf_counter()
    for n, command in enumerate(engine_commands, 1):
        with contextlib.suppress(marketsim.errors.MarketsimError):
            book.execute(command, n)
    return time.perf_counter() - started


def restart_seconds(directory: Path) -> tuple[float, int]:
    started = time.perf_counter()
    journal = open_journal(directory, keep_events=False)
    seconds = time.perf_counter() - started
    replayed = journal.recovery.replayed
    asyncio.run(journal.close())
    return seconds, replayed


def recovery(args, work: Path) -> bool:
    print(f"\n2. recovery of a {args.records:,}-command journal, {args.rounds} rounds")
    with_snapshots = work / "recovery"
    started = time.perf_counter()
    write_journal(with_snapshots, args.records)
    print(f"   wrote it in {time.perf_counter() - started:.1f} s")
    journal_only = work / "recovery-journal-only"
    journal_only.mkdir()
    shutil.copy(with_snapshots / "journal.msj", journal_only)
    replay, restart, engine = [], [], []
    for _ in range(args.rounds):
        seconds, replayed = restart_seconds(journal_only)
        replay.append(replayed / seconds)
        restart.append(restart_seconds(with_snapshots)[0])
        engine.append(args.records / bare_engine_seconds(args.records))
    replay_rate, engine_rate = statistics.median(replay), statistics.median(engine)
    restart_s = statistics.median(restart)
    print(f"   replay, journal only:  {replay_rate:>9,.0f} commands/s (median)")
    print(
        f"   bare engine, same run: {engine_rate:>9,.0f} commands/s; replay/engine "
        f"{replay_rate / engine_rate:.2f}"
    )
    print(f"   restart with snapshots: {restart_s:.2f} s")
    replay_ok = replay_rate >= TARGET_REPLAY_RATE
    restart_ok = restart_s < TARGET_RESTART_SECONDS
    print(f"   replay >= {TARGET_REPLAY_RATE:,}/s: {'PASS' if replay_ok else 'FAIL'}")
    print(
        f"   restart < {TARGET_RESTART_SECONDS} s (the target is for 1,000,000 commands): "
        f"{'PASS' if restart_ok else 'FAIL'}"
    )
    return replay_ok and restart_ok


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, one round")
    parser.add_argument("--orders", type=int, default=100_000)
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--skip-entry", action="store_true")
    args = parser.parse_args(argv)
    if args.quick:
        args.orders, args.records, args.rounds = 20_000, 200_000, 1
    print(f"load average {os.getloadavg()[0]:.2f}, {os.cpu_count()} cores")
    with tempfile.TemporaryDirectory(dir=".", prefix="journal-bench-") as folder:
        work = Path(folder)
        results = [] if args.skip_entry else [asyncio.run(order_entry(args, work))]
        results.append(recovery(args, work))
    print("\nall targets met" if all(results) else "\nsome targets missed")


if __name__ == "__main__":
    main()
