"""What participants, accounts and limits cost order entry: open mode against a class market.

Usage::

    python benchmarks/participants.py [--orders N] [--rounds R] [--queries Q]

Each round starts two markets in child processes (``launch(mode="process")``), pre-filled like
``benchmarks/service.py``: an open one, and one with 30 participants whose every order passes
the token check, the rate limit (set high enough not to bind), the four risk limits and the
ledger. Into each, one client sends ``--orders`` orders with ``submit_many`` (the order mix of
``service.py``: resting levels swept by IOC orders, a trade every ~2 orders). The rounds
alternate which market goes first, and the figure compared is the median of the rounds, so
both modes see the same machine. Then ``--queries`` account queries (``client.account``, the
user path: one unary call, decoded) measure their round trip on the class market, after its
ledger holds every order of the rounds.

Account queries are also timed inside one process, without the network: the server's own
work for one query (``GetAccount``'s handler body: the ledger's exact account, marked at the
book's mid, encoded), over a ledger holding the same flow. On a busy machine the round trip's
tail is mostly the scheduler; this figure is what the query costs the market.

Targets: participants mode >= 90% of the open-mode rate; account queries p99 <= 1 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time

from service import CYCLE, SYMBOL, base_depth, cpu_seconds, loadavg, submit_request, unit_kwargs

import marketsim
from marketsim.client import AsyncMarketClient
from marketsim.core import Exchange
from marketsim.server import accounts
from marketsim.server.auth import Gate
from marketsim.server.hub import Hub
from marketsim.server.participants import Roster
from marketsim.server.service import MarketService
from marketsim.wire.v1 import market_pb2 as pb

TARGET_RATIO = 0.90
TARGET_ACCOUNT_P99_MS = 1.0
CLASS = {f"student{n:02d}": "trader" for n in range(29)} | {"prof": "admin"}
#: Limits that every order is checked against but none reaches in this workload.
LIMITS = {
    "max_order_qty": 1_000,
    "max_open_orders": 100_000,
    "max_position": 10_000_000,
    "max_notional": 1e12,
    "commands_per_second": 1e9,
    "burst": 10**9,
}


async def start(with_participants: bool) -> tuple[marketsim.Market, AsyncMarketClient]:
    options = {"participants": CLASS, "limits": LIMITS} if with_participants else {}
    market = await asyncio.to_thread(marketsim.launch, {SYMBOL: 0.01}, mode="process", **options)
    client = await market.aclient("student00")  # a name in open mode, a token otherwise
    await client.submit_many(SYMBOL, base_depth(), progress=False)
    return market, client


async def submit_rate(
    with_participants: bool, orders: list[dict]
) -> tuple[float, float, marketsim.Market, AsyncMarketClient]:
    """Orders per second of ``submit_many``, and the server's CPU microseconds per order."""
    market, client = await start(with_participants)
    pid = market.process.pid  # type: ignore[attr-defined]
    cpu, started = cpu_seconds(pid), time.perf_counter()
    results = await client.submit_many(SYMBOL, orders, progress=False)
    rate = len(results) / (time.perf_counter() - started)
    return rate, (cpu_seconds(pid) - cpu) / len(results) * 1e6, market, client


async def account_latencies(client: AsyncMarketClient, queries: int) -> list[float]:
    """Round trips of ``client.account`` in milliseconds, after a warm-up."""
    for _ in range(50):
        await client.account(SYMBOL)
    times = []
    for _ in range(queries):
        started = time.perf_counter_ns()
        await client.account(SYMBOL)
        times.append((time.perf_counter_ns() - started) / 1e6)
    return times


def account_cost_in_process(orders: int, queries: int) -> list[float]:
    """The server's work for one account query, in milliseconds, after ``orders`` orders."""
    roster, _ = Roster.create(CLASS, defaults=LIMITS)
    service = MarketService(Exchange({SYMBOL: 0.01}, keep_events=False), Hub(), gate=Gate(roster))
    caller = roster.participant("student00")
    for i in range(orders):
        service._execute(submit_request(CYCLE[i % len(CYCLE)]), caller, pb.OrderAck())
    book = service.exchange[SYMBOL]
    times = []
    for _ in range(queries):
        started = time.perf_counter_ns()
        accounts.account_list(service.ledger, [book], caller.name).SerializeToString()
        times.append((time.perf_counter_ns() - started) / 1e6)
    return times


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


async def run(args: argparse.Namespace) -> int:
    orders = [unit_kwargs(CYCLE[i % len(CYCLE)]) for i in range(args.orders)]
    rates: dict[bool, list[float]] = {False: [], True: []}
    costs: dict[bool, list[float]] = {False: [], True: []}
    print(f"load average at start: {loadavg()}", flush=True)
    for round_ in range(args.rounds):
        for with_participants in (False, True) if round_ % 2 == 0 else (True, False):
            rate, cost, market, client = await submit_rate(with_participants, orders)
            rates[with_participants].append(rate)
            costs[with_participants].append(cost)
            mode = "participants" if with_participants else "open"
            print(
                f"round {round_ + 1}: {mode:12s} {rate:9,.0f} orders/s, "
                f"server {cost:5.1f} us CPU/order",
                flush=True,
            )
            if with_participants and round_ == args.rounds - 1:
                latencies = await account_latencies(client, args.queries)
            await client.close()
            await asyncio.to_thread(market.stop)

    open_rate, class_rate = statistics.median(rates[False]), statistics.median(rates[True])
    open_cost, class_cost = statistics.median(costs[False]), statistics.median(costs[True])
    ratio = class_rate / open_rate
    p50, p99 = percentile(latencies, 50), percentile(latencies, 99)
    inside = account_cost_in_process(args.orders, args.queries)
    in_p50, in_p99 = percentile(inside, 50), percentile(inside, 99)
    ok_ratio, ok_latency = ratio >= TARGET_RATIO, in_p99 <= TARGET_ACCOUNT_P99_MS
    print(f"\nsubmit_many of {args.orders:,} orders, median of {args.rounds} rounds:")
    print(f"  open market      {open_rate:9,.0f} orders/s, server {open_cost:5.1f} us CPU/order")
    print(f"  30 participants  {class_rate:9,.0f} orders/s, server {class_cost:5.1f} us CPU/order")
    print("  (participants: token, rate limit, four risk limits; both keep the ledger)")
    print(f"  server CPU per order, participants / open: {class_cost / open_cost:.2f}")
    print(f"  ratio {ratio:.2f}  target >= {TARGET_RATIO:.2f}: {'PASS' if ok_ratio else 'FAIL'}")
    print(
        f"account queries: round trip p50 {p50:.3f} ms, p99 {p99:.3f} ms "
        f"({args.queries:,} over gRPC); the server's work p50 {in_p50 * 1000:.0f} us, "
        f"p99 {in_p99 * 1000:.0f} us  target p99 <= {TARGET_ACCOUNT_P99_MS} ms: "
        f"{'PASS' if ok_latency else 'FAIL'}"
    )
    print(f"load average at end: {loadavg()}")
    print(
        f"reproduce: python benchmarks/participants.py --orders {args.orders} "
        f"--rounds {args.rounds} --queries {args.queries}"
    )
    return 0 if ok_ratio and ok_latency else 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--orders", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--queries", type=int, default=5_000)
    return asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    raise SystemExit(main())
