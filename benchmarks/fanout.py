"""Fan-out isolation: does order entry keep its speed and latency whatever the subscribers do?

Usage::

    python benchmarks/fanout.py [--subs 0 10 100 1000] [--rounds 2] [--duration S] [--quick]
                                [--market-data inline|process]

For each subscriber count N (interleaved over ``--rounds`` rounds, a fresh market each run:
``marketsim.launch(mode="process", market_data=...)`` pre-filled like benchmarks/service.py;
with ``--market-data process``, the default, the subscribers connect to the market-data
process that ``GetServerInfo`` names, as marketsim's clients do), a subscriber
process (this script with ``--role subscribers``) opens N ``StreamBook`` subscriptions: half
live, which read every message (as raw bytes, not decoded, to keep the client's cost low), and
half stalled, which never read (own connections with a 1 KiB HTTP/2 window, so the server's
writes to them block at once). Then this process enters orders, the order cycle of
benchmarks/service.py, for ``--duration`` seconds each way:

  * unary: ``SubmitOrder`` one at a time (raw stub); orders/s and p50/p99 ack latency;
  * submit_many: ``AsyncMarketClient.submit_many`` in chunks of ``--chunk`` orders; orders/s.

The subscriber process counts the messages (book updates) each live subscriber receives during
both windows. ``srv us/order`` is the server process's CPU time during the unary window per
order, fan-out included (``md us/order``: the market-data process's), which depends much less
than the rates on what else the shared machine runs. The baseline of every ratio, row "base",
is a market with neither a market-data process nor subscribers. Targets (issue 9), each
printed PASS/FAIL: at every N, both order rates at least 50% of the same round's base rate;
p99 unary ack under 20 ms at the largest N; every live subscriber at least 10 updates/s.
Ratios are taken within a round, so machine load affects both sides alike; the load average
is printed.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import time

import grpc
import service as svc  # benchmarks/service.py: order cycle, market set-up, helpers

from marketsim.client import AsyncMarketClient
from marketsim.server.feed import MARKET_DATA_MODES
from marketsim.wire.v1 import market_pb2 as pb
from marketsim.wire.v1 import market_pb2_grpc as pb_grpc

TARGET_RATE_RATIO = 0.50
TARGET_P99_MS = 20.0
TARGET_UPDATES_PER_SUB = 10.0
#: Streams per connection, under the server's default limit of 100 calls per connection.
STREAMS_PER_CHANNEL = 90
STALLED_OPTIONS = [
    ("grpc.http2.bdp_probe", 0),
    ("grpc.http2.lookahead_bytes", 1024),
    ("grpc.use_local_subchannel_pool", 1),
]
STREAM_BOOK = "/marketsim.wire.v1.MarketService/StreamBook"


# ---- the subscriber process ----------------------------------------------------------------


async def role_subscribers(args) -> None:
    """Open ``count`` StreamBook subscriptions (half live, half stalled); report each live
    one's updates/s over the window this process is given on stdin."""
    live_count = args.count - args.count // 2
    channels: list[grpc.aio.Channel] = []

    def channel_for(k: int, options: list) -> grpc.aio.Channel:
        if k % STREAMS_PER_CHANNEL == 0:
            channels.append(grpc.aio.insecure_channel(args.address, options=options))
        return channels[-1]

    request = pb.StreamBookRequest(symbol=svc.SYMBOL, depth=10).SerializeToString()
    live_calls = []
    for k in range(live_count):
        raw = channel_for(k, [("grpc.use_local_subchannel_pool", 1)]).unary_stream(
            STREAM_BOOK, request_serializer=None, response_deserializer=None
        )
        live_calls.append(raw(request))
    stalled_calls = []
    for k in range(args.count // 2):
        stub = pb_grpc.MarketServiceStub(channel_for(k, STALLED_OPTIONS))
        stalled_calls.append(stub.StreamBook(pb.StreamBookRequest(symbol=svc.SYMBOL)))
    for call in (*live_calls, *stalled_calls):
        await call.initial_metadata()  # subscribed
    window = asyncio.get_running_loop().create_future()
    counts = [0] * live_count

    async def read(k: int, call) -> None:
        async for _ in call:
            if window.done():
                start, end = window.result()
                now = time.time()
                if now > end:
                    return
                if now >= start:
                    counts[k] += 1

    readers = [asyncio.create_task(read(k, call)) for k, call in enumerate(live_calls)]
    print(json.dumps({"ready": True}), flush=True)
    start, end = map(float, (await asyncio.to_thread(sys.stdin.readline)).split())
    window.set_result((start, end))
    await asyncio.sleep(max(0.0, end - time.time()) + 0.2)
    for task in readers:
        task.cancel()
    print(json.dumps({"per_sub": [c / (end - start) for c in counts]}), flush=True)
    for call in stalled_calls:
        call.cancel()
    for channel in channels:
        await channel.close()


# ---- order entry, in this process ------------------------------------------------------------


async def unary_orders(address: str, seconds: float) -> tuple[float, list[int]]:
    """SubmitOrder one at a time for ``seconds``: (orders/s, latencies in ns)."""
    requests = [svc.submit_request(order) for order in svc.CYCLE]
    latencies: list[int] = []
    async with grpc.aio.insecure_channel(address) as channel:
        stub = pb_grpc.MarketServiceStub(channel)
        metadata = (("marketsim-owner", "unary"),)
        started = time.perf_counter()
        while time.perf_counter() - started < seconds:
            t = time.perf_counter_ns()
            await stub.SubmitOrder(requests[len(latencies) % len(requests)], metadata=metadata)
            latencies.append(time.perf_counter_ns() - t)
        elapsed = time.perf_counter() - started
    return len(latencies) / elapsed, latencies


async def bulk_orders(address: str, seconds: float, chunk: int) -> float:
    """``submit_many`` in chunks of ``chunk`` orders for about ``seconds``: orders/s."""
    cycles = -(-chunk // len(svc.CYCLE))
    orders = [svc.unit_kwargs(order) for order in svc.CYCLE * cycles]
    done = 0
    async with AsyncMarketClient(address, owner="bulk") as client:
        started = time.perf_counter()
        while time.perf_counter() - started < seconds:
            done += len(await client.submit_many(svc.SYMBOL, orders, progress=False))
        return done / (time.perf_counter() - started)


class Run:
    """One measurement at one subscriber count."""

    def __init__(
        self,
        subs: int,
        unary: float,
        latencies: list[int],
        bulk: float,
        per_sub,
        cpu_us: float,
        md_cpu_us: float,
    ):
        self.subs = subs
        self.cpu_us = cpu_us  # server CPU per unary order, fan-out included
        self.md_cpu_us = md_cpu_us  # the market-data process's CPU per unary order
        self.unary = unary
        self.bulk = bulk
        quantiles = statistics.quantiles(latencies, n=100)
        self.p50_ms, self.p99_ms = quantiles[49] / 1e6, quantiles[98] / 1e6
        self.per_sub = per_sub


async def stream_address(address: str) -> str:
    """The address the market serves its streams at (see ``GetServerInfo``)."""
    async with grpc.aio.insecure_channel(address) as channel:
        info = await pb_grpc.MarketServiceStub(channel).GetServerInfo(pb.GetServerInfoRequest())
    if not info.market_data_port:
        return address
    return f"{address.rsplit(':', 1)[0]}:{info.market_data_port}"


def child_pid(pid: int) -> int | None:
    """The first child process of ``pid`` (the market-data process of a market), if any."""
    with open(f"/proc/{pid}/task/{pid}/children") as f:
        children = f.read().split()
    return int(children[0]) if children else None


async def measure(args, subs: int, market_data: str) -> Run:
    market = await svc.new_market(market_data)
    helper = None
    try:
        streams_at = await stream_address(market.address)
        pid = market.process.pid  # type: ignore[attr-defined]
        md_pid = child_pid(pid)
        if subs:
            helper = await asyncio.create_subprocess_exec(
                sys.executable,
                os.path.abspath(__file__),
                *("--role", "subscribers", "--address", streams_at, "--count", str(subs)),
                stdin=asyncio.subprocess.PIPE,
                stdout=asyncio.subprocess.PIPE,
            )
            await svc.read_json(helper)  # every subscription is in place
            start = time.time() + 0.5
            end = start + 2 * args.duration + 1.0
            helper.stdin.write(f"{start} {end}\n".encode())  # type: ignore[union-attr]
            await helper.stdin.drain()  # type: ignore[union-attr]
            await asyncio.sleep(start - time.time())
        cpu_before = svc.cpu_seconds(pid)
        md_before = svc.cpu_seconds(md_pid) if md_pid else 0.0
        unary, latencies = await unary_orders(market.address, args.duration)
        cpu_us = (svc.cpu_seconds(pid) - cpu_before) / len(latencies) * 1e6
        md_us = (svc.cpu_seconds(md_pid) - md_before) / len(latencies) * 1e6 if md_pid else 0.0
        bulk = await bulk_orders(market.address, args.duration, args.chunk)
        per_sub: list[float] = []
        if helper is not None:
            per_sub = (await svc.read_json(helper))["per_sub"]
    finally:
        if helper is not None:
            helper.stdin.close()  # type: ignore[union-attr]
            await helper.wait()
        await asyncio.to_thread(market.stop)
    return Run(subs, unary, latencies, bulk, per_sub, cpu_us, md_us)


def report(rounds: list[list[Run]]) -> bool:
    """Print the table and the targets; True if every target passes."""
    print(f"\nload average: {svc.loadavg()}")
    print(
        f"{'round':>5} {'subs':>5} {'unary/s':>8} {'ratio':>6} {'p50 ms':>7} {'p99 ms':>7} "
        f"{'bulk/s':>8} {'ratio':>6} {'live upd/s min':>14} {'median':>7} {'srv us/order':>12} "
        f"{'md us/order':>11}"
    )
    ok = True
    for r, runs in enumerate(rounds, 1):
        base = runs[0]
        for k, run in enumerate(runs):
            live = run.per_sub
            print(
                f"{r:>5} {'base' if k == 0 else run.subs:>5} {run.unary:>8.0f} "
                f"{run.unary / base.unary:>6.2f} "
                f"{run.p50_ms:>7.2f} {run.p99_ms:>7.2f} {run.bulk:>8.0f} "
                f"{run.bulk / base.bulk:>6.2f} "
                f"{min(live) if live else float('nan'):>14.1f} "
                f"{statistics.median(live) if live else float('nan'):>7.1f} {run.cpu_us:>12.0f} "
                f"{run.md_cpu_us:>11.0f}"
            )
    print()
    largest = max(run.subs for run in rounds[0])
    for subs in sorted({run.subs for run in rounds[0][1:]} - {0}):
        at = [next(x for x in runs[1:] if x.subs == subs) for runs in rounds]
        base = [runs[0] for runs in rounds]
        unary = statistics.mean(a.unary / b.unary for a, b in zip(at, base, strict=True))
        bulk = statistics.mean(a.bulk / b.bulk for a, b in zip(at, base, strict=True))
        slowest = min(min(a.per_sub) for a in at if a.per_sub)
        checks = [
            (f"unary orders/s >= {TARGET_RATE_RATIO:.0%} of 0 subs", unary, unary >= 0.5),
            (f"submit_many orders/s >= {TARGET_RATE_RATIO:.0%} of 0 subs", bulk, bulk >= 0.5),
            ("every live subscriber >= 10 updates/s", slowest, slowest >= 10),
        ]
        if subs == largest:
            p99 = max(a.p99_ms for a in at)
            checks.append((f"p99 unary ack < {TARGET_P99_MS:.0f} ms", p99, p99 < 20))
        for name, value, passed in checks:
            ok &= passed
            print(f"{subs:>5} subs: {name:<40} {value:>8.2f}  {'PASS' if passed else 'FAIL'}")
    return ok


async def run(args) -> None:
    print(
        f"fan-out: subs {args.subs}, market data {args.market_data}, {args.rounds} round(s), "
        f"{args.duration} s per way"
    )
    rounds = []
    for r in range(args.rounds):
        runs = [await measure(args, 0, "inline")]
        print(f"  round {r + 1}: base measured", flush=True)
        for subs in args.subs:
            runs.append(await measure(args, subs, args.market_data))
            print(f"  round {r + 1}: {subs} subs measured", flush=True)
        rounds.append(runs)
    sys.exit(0 if report(rounds) else 1)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--subs", type=int, nargs="+", default=[0, 10, 100, 1000])
    p.add_argument("--rounds", type=int, default=2)
    p.add_argument("--duration", type=float, default=3.0, help="seconds of each order-entry way")
    p.add_argument("--chunk", type=int, default=2000, help="orders per submit_many call")
    p.add_argument("--quick", action="store_true", help="one round of 0 and 100 subscribers")
    p.add_argument(
        "--market-data",
        choices=MARKET_DATA_MODES,
        default="process",
        help="where the market serves its streams (see marketsim.launch)",
    )
    p.add_argument("--role", default="main", help=argparse.SUPPRESS)
    p.add_argument("--address", help=argparse.SUPPRESS)
    p.add_argument("--count", type=int, help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.quick:
        args.subs, args.rounds, args.duration = [0, 100], 1, 1.5
    return args


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    if args.role == "subscribers":
        asyncio.run(role_subscribers(args))
    else:
        asyncio.run(run(args))


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    main()
