"""How fast a ``Recorder`` records, and how fast it turns a large recording into frames.

Usage::

    python benchmarks/recorder.py [--quick] [--duration S] [--warmup S] [--load-procs N]
                                  [--batch N] [--events N] [--repeats N] [--no-live]

Three parts, each printing figures with a target and PASS/FAIL:

1. live: the market is ``marketsim.launch(mode="process")``; ``--load-procs`` load processes
   (this script re-run with ``--role load``, plain subprocesses) call
   ``MarketClient.submit_many`` with ``--batch`` orders per request, over and over, so the
   server emits events as fast as it can. First the server's event rate (its seq, read with
   ``GetBook``) is measured over a ``--duration`` window with no subscriber; then a recorder
   (``MarketClient.record``, on this process's IO thread) is started under load and, after a
   warm-up, the rates at which its seq and the server's seq advance are measured over a second
   window. Then the load stops, the time for the recorder to reach the server's last seq is
   taken, and the recording is checked to be complete (every seq once, the book exact). The
   recorder can only go as fast as the server produces: when the server makes fewer than
   200,000 events/s, the live figure measures the server, not the recorder (see part 2).
2. decode: the recorder's own processing rate. ``EventBatch`` messages are encoded from an
   in-process engine run of the same order flow (``--events`` events, 5,000 per message,
   as serialized bytes), then fed to a ``Recorder`` in this process through the path a live
   recording takes: bytes parsed with ``EventBatch.FromString`` (what grpc's deserializer does),
   ``codec.events_from_proto``, the seq filter and the append under the lock
   (``Recorder.begin`` with a stand-in for the grpc call). No network, no server.
3. frames: the time to build ``events()``, ``trades()``, ``deltas()``, ``bbo()`` and
   ``book()`` (and ``book(at=...)`` halfway) from that recording of ``--events`` events, best
   of ``--repeats``.

Order flow (keeps the book bounded, trades a lot): a cycle of 22 orders: 10 one-lot sells at
mid+1..mid+10 ticks, a 10-lot buy at mid+10 that sweeps them (10 trades, 10 level deletes),
then the mirror image on the bid side: 82 events per cycle, about 3.7 events per order. A
recording of it is ~24% trades, ~49% level deltas, ~27% accepted orders.
"""

from __future__ import annotations

import argparse
import asyncio
import subprocess
import sys
import time
from dataclasses import dataclass

import marketsim
from marketsim.client import MarketClient, Recorder
from marketsim.client.views import BookSnapshot
from marketsim.core import Instrument, OrderBook
from marketsim.wire import codec
from marketsim.wire.v1 import market_pb2 as pb

SYMBOL = "ACME"
TICK = "0.01"
MID_TICKS = 10_000  # 100.00
LEVELS = 10
EVENTS_PER_CYCLE = 2 * (LEVELS * 2 + 1 + LEVELS + LEVELS)  # 82
EVENTS_PER_MESSAGE = 5_000  # the server's MAX_ITEMS_PER_MESSAGE

TARGET_RATE = 200_000  # events/s
TARGET_FRAME_SECONDS = 1.0  # per frame of a 1,000,000-event recording
FRAME_EVENTS = 1_000_000


def cycle() -> list[tuple[str, int, float]]:
    """One cycle of the order flow (see the module docstring), as (side, qty, price)."""
    orders: list[tuple[str, int, float]] = []
    for sell_side, sign in (("sell", 1), ("buy", -1)):
        for k in range(1, LEVELS + 1):
            orders.append((sell_side, 1, (MID_TICKS + sign * k) / 100))
        taker = "buy" if sell_side == "sell" else "sell"
        orders.append((taker, LEVELS, (MID_TICKS + sign * LEVELS) / 100))
    return orders


# ---- the load process ----------------------------------------------------------------------


def run_load(address: str, owner: str, seconds: float, batch: int) -> None:
    """Submit cycles with ``submit_many`` (``batch`` orders per request) for ``seconds``."""
    orders = cycle() * max(1, 10 * batch // 22)  # 10 requests per call
    client = MarketClient(address, owner=owner, timeout=60.0)
    deadline = time.monotonic() + seconds
    sent = 0
    while time.monotonic() < deadline:
        client.submit_many(SYMBOL, orders, batch_size=batch, progress=False)
        sent += len(orders)
    client.close()
    print(f"{owner}: {sent:,} orders", file=sys.stderr)


# ---- results -------------------------------------------------------------------------------


@dataclass
class Figure:
    name: str
    value: float
    unit: str
    target: str = ""
    passed: bool | None = None  # None: informational

    def row(self) -> str:
        verdict = {True: "PASS", False: "FAIL", None: ""}[self.passed]
        whole = self.value >= 100 or self.value == int(self.value)
        value = f"{self.value:,.0f}" if whole else f"{self.value:.3f}"
        return f"| {self.name} | {value} {self.unit} | {self.target} | {verdict} |"


def rate_figure(name: str, rate: float) -> Figure:
    return Figure(name, rate, "events/s", f">= {TARGET_RATE:,}", rate >= TARGET_RATE)


def frame_figure(name: str, seconds: float, rows: int) -> Figure:
    return Figure(
        f"{name} ({rows:,} rows)",
        seconds,
        "s",
        f"< {TARGET_FRAME_SECONDS:g} s",
        seconds < TARGET_FRAME_SECONDS,
    )


# ---- 1. live -------------------------------------------------------------------------------


def bench_live(args: argparse.Namespace) -> list[Figure]:
    market = marketsim.launch({SYMBOL: TICK}, mode="process")
    loads: list[subprocess.Popen] = []
    try:
        client = market.client("bench", timeout=30.0)
        load_seconds = 2 * (args.warmup + args.duration) + 1.0
        for i in range(args.load_procs):
            command = [sys.executable, __file__, "--role", "load", "--address", market.address]
            command += ["--owner", f"load{i}", "--seconds", str(load_seconds)]
            command += ["--batch", str(args.batch)]
            loads.append(subprocess.Popen(command))

        # Window A: the load alone, for the server's rate without a recorder subscribed.
        _wait(lambda: client.book(SYMBOL, 1).seq > 0, 60.0, "first events")
        time.sleep(args.warmup)
        alone = _window(client, None, args.duration)

        # Window B: a recorder started under load, in this process.
        rec = client.record(SYMBOL)
        start_seq = rec.seq
        time.sleep(args.warmup)
        server_rate, rec_rate, lag = _window(client, rec, args.duration)

        for load in loads:
            if load.wait(120) != 0:
                raise RuntimeError(f"a load process failed ({load.returncode})")
        final = client.book(SYMBOL, 0)
        t_end = time.perf_counter()
        rec.wait(final.seq, timeout=300.0)
        catch_up = time.perf_counter() - t_end

        log = rec.event_log()
        complete = (
            rec.error is None
            and len(log) == final.seq - start_seq
            and all(e.seq == start_seq + 1 + i for i, e in enumerate(log))
            and rec.book() == final
        )
        rec.stop()
        print(
            f"live: {args.load_procs} load process(es), {args.batch:,} orders per request; "
            f"{len(log):,} events recorded from seq {start_seq + 1:,} (started under load); "
            f"every seq once and book exact: {complete}"
        )
        return [
            Figure("live: server event rate, no recorder", alone[0], "events/s"),
            Figure("live: server event rate, recorder subscribed", server_rate, "events/s"),
            rate_figure("live: recorder seq rate (same window)", rec_rate),
            Figure("live: recorder lag at the window's end", lag, "events"),
            Figure(
                "live: catch-up after the load stopped (recording complete)",
                catch_up,
                "s",
                "< 5 s",
                catch_up < 5.0 and complete,
            ),
        ]
    finally:
        for load in loads:
            if load.poll() is None:
                load.kill()
                load.wait()
        market.stop()


def _window(client: MarketClient, rec: Recorder | None, seconds: float) -> tuple[float, float, int]:
    """(server events/s, recorder events/s, recorder lag at the end) over ``seconds``."""
    t0, server0 = time.perf_counter(), client.book(SYMBOL, 1).seq
    rec0 = rec.seq if rec is not None else 0
    time.sleep(seconds)
    t1, server1 = time.perf_counter(), client.book(SYMBOL, 1).seq
    rec1 = rec.seq if rec is not None else 0
    elapsed = t1 - t0
    lag = server1 - rec1 if rec is not None else 0
    return (server1 - server0) / elapsed, (rec1 - rec0) / elapsed, lag


def _wait(condition, seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError(f"no {what} within {seconds} s")
        time.sleep(0.01)


# ---- 2. decode -----------------------------------------------------------------------------


def encoded_batches(events: int) -> tuple[list[bytes], int, Instrument]:
    """``EventBatch`` messages (serialized) of an engine run of about ``events`` events."""
    book = OrderBook(SYMBOL, TICK, keep_events=True)
    orders = cycle()
    while book.seq < events:
        for side, qty, price in orders:
            book.submit(side, qty, price, owner="load0")
    log = list(book.events)[:events]
    payloads = []
    for i in range(0, len(log), EVENTS_PER_MESSAGE):
        message = pb.EventBatch(symbol=SYMBOL)
        codec.append_events(message.events, log[i : i + EVENTS_PER_MESSAGE])
        payloads.append(message.SerializeToString())
    return payloads, len(log), book.instrument


class ReplayCall:
    """Stands in for a StreamEvents call: yields ``EventBatch`` messages parsed from bytes."""

    def __init__(self, payloads: list[bytes]) -> None:
        self._payloads = payloads

    async def _messages(self):
        for payload in self._payloads:
            yield pb.EventBatch.FromString(payload)

    def __aiter__(self):
        return self._messages()

    def cancel(self) -> bool:
        return False


def empty_start(instrument: Instrument) -> BookSnapshot:
    return BookSnapshot(SYMBOL, 0, 0, instrument, (), ())


async def record_replay(payloads: list[bytes], instrument: Instrument, last: int):
    rec = Recorder(instrument, empty_start(instrument))
    started = time.perf_counter()
    rec.begin(ReplayCall(payloads), codec.events_from_proto)
    await rec.wait_for_seq(last, timeout=600.0)
    return rec, time.perf_counter() - started


def bench_decode(args: argparse.Namespace) -> tuple[list[Figure], Recorder]:
    started = time.perf_counter()
    payloads, count, instrument = encoded_batches(args.events)
    megabytes = sum(map(len, payloads)) / 1e6
    print(
        f"decode: {count:,} events in {len(payloads)} EventBatch messages ({megabytes:.0f} MB), "
        f"made in {time.perf_counter() - started:.1f} s"
    )
    best, rec = float("inf"), None
    for _ in range(args.repeats):
        rec, seconds = asyncio.run(record_replay(payloads, instrument, count))
        best = min(best, seconds)
    assert rec is not None and len(rec) == count and rec.seq == count

    started = time.perf_counter()  # for comparison: parsing and decoding alone
    for payload in payloads:
        codec.events_from_proto(pb.EventBatch.FromString(payload).events)
    decode_only = time.perf_counter() - started
    return [
        rate_figure("decode: recorder processing rate (parse + decode + append)", count / best),
        Figure("decode: parse + events_from_proto alone", count / decode_only, "events/s"),
    ], rec


# ---- 3. frames -----------------------------------------------------------------------------


def bench_frames(args: argparse.Namespace, rec: Recorder) -> list[Figure]:
    halfway = rec.seq // 2
    builders = {
        "events()": rec.events,
        "trades()": rec.trades,
        "deltas()": rec.deltas,
        "bbo()": rec.bbo,
        "book()": rec.book,
        "book(at=halfway)": lambda: rec.book(at=halfway),
    }
    figures = []
    for name, build in builders.items():
        best, rows = float("inf"), 0
        for _ in range(args.repeats):
            started = time.perf_counter()
            result = build()
            best = min(best, time.perf_counter() - started)
        rows = len(result) if hasattr(result, "columns") else len(rec)
        label = name if hasattr(result, "columns") else f"{name} from events"
        figures.append(frame_figure(f"frames: {label}", best, rows))
    return figures


# ---- main ----------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="a short smoke run")
    parser.add_argument("--duration", type=float, default=10.0, help="live window, seconds")
    parser.add_argument("--warmup", type=float, default=2.0, help="live warm-up, seconds")
    parser.add_argument("--load-procs", type=int, default=1, help="load processes")
    parser.add_argument("--batch", type=int, default=1_100, help="orders per OrderEntry request")
    parser.add_argument("--events", type=int, default=FRAME_EVENTS, help="recording size")
    parser.add_argument("--repeats", type=int, default=3, help="best of N for decode, frames")
    parser.add_argument("--no-live", action="store_true", help="skip part 1 (no server)")
    parser.add_argument("--role", choices=["bench", "load"], default="bench")
    parser.add_argument("--address", default="")
    parser.add_argument("--owner", default="load")
    parser.add_argument("--seconds", type=float, default=10.0)
    args = parser.parse_args()
    if args.role == "load":
        run_load(args.address, args.owner, args.seconds, args.batch)
        return
    if args.quick:
        args.duration, args.warmup, args.events, args.repeats = 2.0, 0.5, 100_000, 1

    figures = [] if args.no_live else bench_live(args)
    decode_figures, rec = bench_decode(args)
    figures += decode_figures
    figures += bench_frames(args, rec)

    print()
    print("| figure | value | target | result |")
    print("|---|---|---|---|")
    for figure in figures:
        print(figure.row())
    if args.quick:
        print("\n(--quick: a smoke run; frame times are for the smaller recording)")


if __name__ == "__main__":
    main()
