"""Throughput and latency of the gRPC service: order entry, market data, a stalled subscriber.

Usage::

    python benchmarks/service.py [--quick] [--duration S] [--md-duration S] [--orders N] ...

Everything runs on 127.0.0.1 in separate processes, so both CPU cores are used: the market is
``marketsim.launch(mode="process")`` (a fresh one per scenario, pre-filled with 20 resting
levels per side), and the load generators and subscribers are this script re-run with
``--role`` (``echo-server``, ``load``, ``subscribers``). Timing windows are wall-clock
(``time.time``), shared by all processes on the machine; latencies are ``perf_counter_ns``
round trips, except market data, which is ``time.time_ns()`` at receipt minus the delta's
``ts_event`` (set by the server from ``time.time_ns()`` when it applied the command).

Order mix (keeps the book bounded): a fixed cycle of 18 orders per owner: 8 pairs of resting
limit orders, buys at mid-1..mid-8 and sells at mid+1..mid+8 ticks (1-3 lots), then an IOC sell
and an IOC buy of exactly the lots just rested, limited to mid-8/mid+8, which sweep those
levels. One cycle makes 16 level adds/updates and up to 16 level deletes (~1.8 deltas/order)
and 16 trades; the 20 pre-filled levels per side (from mid+-9 out) are never touched.

Order entry (one market for the whole section; load generator = this process):
  1. unary submit, 1 and 16 calls in flight: ``AsyncMarketClient.submit`` (the user path:
     validation, unit conversion, results decoded into ``OrderResult``), and the raw stub's
     ``SubmitOrder`` with prebuilt requests for comparison;
  2. the ``OrderEntry`` stream with one command per message (raw stub, prebuilt requests), one
     message in flight and pipelined (``--window`` messages in flight);
  3. ``AsyncMarketClient.submit_many`` of ``--orders`` orders (default batch size), end to end;
  4. a raw grpc.aio echo service (bytes in/out, ``method_handlers_generic_handler``, its own
     process, the same async-generator handler shape as ``OrderEntry``) driven the same way
     as in 2, and the ratio OrderEntry / echo.

Market data: N ``StreamBook`` subscribers (raw stub: count the deltas of each message and take
each delta's latency; no decoding into core objects) in ``--sub-procs`` subscriber processes,
while ``--load-procs`` load processes send ``OrderEntry`` batches of ``--load-batch`` commands
(raw stub, ``--load-window`` batches in flight) for the whole window. The stalled-subscriber
check repeats the N=``--stall-subs`` run with and without one extra subscriber (raw stub, own
connection, in this process) that opens ``StreamBook`` and never reads, alternating
``--stall-repeats`` times, and compares the means.

Besides rates and latencies the table shows the server's CPU (``srv CPU``), its CPU time per
order (``us/op``, per message for the echo server), and ``other``: CPU cores used during the
measurement by processes outside the benchmark. On a shared machine ``other`` > 0 lowers every
rate; ``us/op`` is much less affected, so compare it between runs.

To measure a modified copy of the package, put it first on PYTHONPATH and start the script from
a directory that has no ``marketsim/`` in it: ``python -m marketsim serve`` puts the current
directory first on ``sys.path``, so from the repository root the server would use the repository
copy whatever PYTHONPATH says.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import time
from array import array
from collections import deque
from dataclasses import dataclass, field

import grpc
import numpy as np

import marketsim
from marketsim.client import AsyncMarketClient
from marketsim.wire.v1 import market_pb2 as pb
from marketsim.wire.v1 import market_pb2_grpc as pb_grpc

SYMBOL = "ACME"
MID = 10_000  # ticks of 0.01
SWEEP = 8  # levels per side rested, then swept, per cycle
BASE_LEVELS = 20
ECHO_METHOD = "/bench.Echo/Echo"
ECHO_PAYLOAD = b"x" * 64

TARGET_SUBMIT_MANY = 30_000  # orders/s
TARGET_STREAM_RATIO = 0.50
TARGET_DELTAS_ONE_SUB = 100_000  # delta updates/s delivered to one subscriber
TARGET_STALL_CHANGE = 0.10

# ---- order mix ---------------------------------------------------------------------------

Order = tuple[str, int, int, str]  # side, qty_lots, price_ticks, tif


def order_cycle() -> list[Order]:
    """One balanced cycle: rest SWEEP levels per side, then sweep exactly what was rested."""
    cycle: list[Order] = []
    for j in range(SWEEP):
        qty = 1 + j % 3
        cycle += [("buy", qty, MID - 1 - j, "GTC"), ("sell", qty, MID + 1 + j, "GTC")]
    swept = sum(1 + j % 3 for j in range(SWEEP))
    cycle += [("sell", swept, MID - SWEEP, "IOC"), ("buy", swept, MID + SWEEP, "IOC")]
    return cycle


CYCLE = order_cycle()


def unit_kwargs(order: Order) -> dict:
    side, qty, ticks, tif = order
    return {"side": side, "qty": qty, "price": round(ticks / 100, 2), "tif": tif}


def submit_request(order: Order) -> pb.SubmitOrderRequest:
    side, qty, ticks, tif = order
    return pb.SubmitOrderRequest(
        symbol=SYMBOL,
        side=pb.SIDE_BUY if side == "buy" else pb.SIDE_SELL,
        order_type=pb.ORDER_TYPE_LIMIT,
        qty_lots=qty,
        price_ticks=ticks,
        tif=pb.TIME_IN_FORCE_GTC if tif == "GTC" else pb.TIME_IN_FORCE_IOC,
    )


def entry_request(orders: list[Order]) -> pb.OrderEntryRequest:
    return pb.OrderEntryRequest(
        commands=[pb.OrderCommand(submit=submit_request(o)) for o in orders]
    )


def batch_request(size: int) -> pb.OrderEntryRequest:
    """A batch of whole cycles (``size`` rounded up to a multiple of the cycle), reusable."""
    cycles = max(1, -(-size // len(CYCLE)))
    return entry_request(CYCLE * cycles)


# ---- measurement helpers -----------------------------------------------------------------


def cpu_seconds(pid: int) -> float:
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rss_mb(pid: int) -> float:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def loadavg() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def pct_us(latencies_ns, q: float) -> float:
    if len(latencies_ns) == 0:
        return float("nan")
    return float(np.percentile(np.frombuffer(latencies_ns, dtype=np.int64), q)) / 1e3


# Latency histogram shared by subscriber processes: geometric bins, 1 us .. 100 s, 2% wide.
HIST_EDGES_US = np.geomspace(1.0, 1e8, int(np.log(1e8) / np.log(1.02)) + 1)


def histogram_us(latencies_ns: array) -> np.ndarray:
    values = np.frombuffer(latencies_ns, dtype=np.int64) / 1e3
    return np.histogram(np.clip(values, 1.0, 1e8), HIST_EDGES_US)[0]


def hist_pct_us(counts: np.ndarray, q: float) -> float:
    total = counts.sum()
    if total == 0:
        return float("nan")
    index = int(np.searchsorted(np.cumsum(counts), total * q / 100))
    return float(np.sqrt(HIST_EDGES_US[index] * HIST_EDGES_US[index + 1]))


@dataclass
class Row:
    name: str
    rate: float = float("nan")
    unit: str = ""
    p50_us: float = float("nan")
    p99_us: float = float("nan")
    server_cpu: float = float("nan")  # share of one core
    other_cpu: float = float("nan")  # cores used by processes outside the benchmark
    srv_us: float = float("nan")  # server CPU microseconds per operation (order or message)
    target: str = ""
    ok: bool | None = None
    note: str = ""


@dataclass
class Report:
    rows: list[Row] = field(default_factory=list)

    def add(self, row: Row) -> Row:
        if np.isnan(row.srv_us) and row.rate > 0 and row.unit.endswith("/s"):
            row.srv_us = row.server_cpu / row.rate * 1e6
        self.rows.append(row)
        if row.unit:  # progress while the run goes on; the table comes at the end
            print(f"  {row.name}: {row.rate:,.3f} {row.unit} {row.note}", flush=True)
        return row

    def print(self) -> None:
        head = f"{'measurement':<58}{'rate':>10} {'unit':<10}{'p50 ms':>8}{'p99 ms':>8}"
        head += f"{'srv CPU':>8}{'us/op':>7}{'other':>6}  {'target':<14}{'result':<7}note"
        print("\n" + head + "\n" + "-" * len(head))
        for r in self.rows:
            if not r.unit:
                print(f"\n{r.name}")
                continue
            result = "" if r.ok is None else ("PASS" if r.ok else "FAIL")
            cpu = "" if np.isnan(r.server_cpu) else f"{r.server_cpu:.0%}"
            other = "" if np.isnan(r.other_cpu) else f"{r.other_cpu:.2f}"
            per_op = "" if np.isnan(r.srv_us) else f"{r.srv_us:.1f}"
            rate = f"{r.rate:+.1%}" if r.unit == "change" else fmt_rate(r.rate)
            rate = f"{r.rate:.0%}" if r.unit == "ratio" else rate
            print(
                f"{r.name:<58}{rate:>10} {r.unit:<10}{fmt_ms(r.p50_us):>8}{fmt_ms(r.p99_us):>8}"
                f"{cpu:>8}{per_op:>7}{other:>6}  {r.target:<14}{result:<7}{r.note}"
            )


def fmt_rate(value: float) -> str:
    return "" if np.isnan(value) else f"{value:,.0f}"


def fmt_ms(us: float) -> str:
    return "" if np.isnan(us) else f"{us / 1e3:.2f}"


# ---- processes ---------------------------------------------------------------------------


def script(*args: object) -> list[str]:
    return [sys.executable, os.path.abspath(__file__), *map(str, args)]


async def spawn(*args: object) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        *script(*args), stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE
    )


async def read_json(process: asyncio.subprocess.Process) -> dict:
    assert process.stdout is not None
    line = await process.stdout.readline()
    if not line:
        raise RuntimeError(f"helper process exited with {await process.wait()}")
    return json.loads(line)


def base_depth() -> list[dict]:
    """BASE_LEVELS resting levels per side, outside the levels the cycle rests and sweeps."""
    orders = []
    for level in range(1, BASE_LEVELS + 1):
        orders.append(unit_kwargs(("buy", 10, MID - SWEEP - level, "GTC")))
        orders.append(unit_kwargs(("sell", 10, MID + SWEEP + level, "GTC")))
    return orders


async def new_market(market_data: str = "inline") -> marketsim.Market:
    """A fresh market in a child process, pre-filled with the base depth (``market_data``:
    see ``marketsim.launch``)."""
    market = await asyncio.to_thread(
        marketsim.launch, {SYMBOL: 0.01}, mode="process", market_data=market_data
    )
    async with AsyncMarketClient(market.address, owner="prefill") as client:
        await client.submit_many(SYMBOL, base_depth(), progress=False)
    return market


def host_busy_seconds() -> float:
    with open("/proc/stat") as f:
        ticks = [int(x) for x in f.readline().split()[1:9]]
    return (sum(ticks) - ticks[3] - ticks[4]) / os.sysconf("SC_CLK_TCK")  # minus idle, iowait


class CpuMeter:
    """CPU used by the server, and by processes outside this benchmark (other load)."""

    def __init__(self, pid: int, helpers: list[int] = ()) -> None:  # type: ignore[assignment]
        self.pid = pid
        self.pids = [pid, os.getpid(), *helpers]
        self.start()

    def start(self) -> None:
        self.cpu0, self.t0 = cpu_seconds(self.pid), time.perf_counter()
        self.ours0 = sum(map(cpu_seconds, self.pids))
        self.host0 = host_busy_seconds()

    def share(self) -> float:
        """The server's CPU since ``start``, in cores."""
        return (cpu_seconds(self.pid) - self.cpu0) / (time.perf_counter() - self.t0)

    def other(self) -> float:
        """Cores used since ``start`` by processes that are not part of the benchmark."""
        ours = sum(map(cpu_seconds, self.pids)) - self.ours0
        return max(0.0, host_busy_seconds() - self.host0 - ours) / (time.perf_counter() - self.t0)


# ---- order entry -------------------------------------------------------------------------


async def unary_run(call_one, concurrency: int, duration: float, warmup: float):
    """``concurrency`` workers calling ``call_one(i)`` in a loop; (calls/s, latencies)."""
    latencies = array("q")
    stop_at = time.perf_counter() + warmup + duration
    measure_from = time.perf_counter() + warmup
    counted = 0

    async def worker(w: int) -> None:
        nonlocal counted
        i = 0
        while (now := time.perf_counter()) < stop_at:
            t = time.perf_counter_ns()
            await call_one(i)
            if now >= measure_from:
                latencies.append(time.perf_counter_ns() - t)
                counted += 1
            i += 1

    t0 = time.perf_counter()
    await asyncio.gather(*(worker(w) for w in range(concurrency)))
    return counted / (time.perf_counter() - t0 - warmup), latencies


async def stream_run(call, requests: list, window: int, duration: float, warmup: float):
    """Drive a bidi stream: ``window`` messages in flight, replies in order."""
    latencies = array("q")
    sent: deque[int] = deque()
    slots = asyncio.Semaphore(window)
    measure_from = time.perf_counter() + warmup
    stop_at = measure_from + duration
    counted = 0

    async def writer() -> None:
        i = 0
        while time.perf_counter() < stop_at:
            await slots.acquire()
            sent.append(time.perf_counter_ns())
            await call.write(requests[i % len(requests)])
            i += 1
        await call.done_writing()

    task = asyncio.create_task(writer())
    while (reply := await call.read()) is not grpc.aio.EOF:
        t_send = sent.popleft()
        slots.release()
        if time.perf_counter() >= measure_from:
            latencies.append(time.perf_counter_ns() - t_send)
            counted += 1
            if hasattr(reply, "acks") and reply.acks[0].HasField("error"):
                raise RuntimeError(reply.acks[0].error.message)
    await task
    return counted / duration, latencies


async def order_entry_section(args, report: Report) -> None:
    report.add(Row("ORDER ENTRY (fresh market; load generator = the benchmark process)"))
    market = await new_market()
    meter = CpuMeter(market.process.pid)  # type: ignore[attr-defined]
    d, w = args.duration, args.warmup
    try:
        client = AsyncMarketClient(market.address, owner="bench")
        await client.instrument(SYMBOL)
        kwargs = [unit_kwargs(o) for o in CYCLE]

        async def client_submit(i: int) -> None:
            await client.submit(SYMBOL, **kwargs[i % len(kwargs)])

        for n in (1, 16):
            meter.start()
            rate, lat = await unary_run(client_submit, n, d, w)
            report.add(
                Row(
                    f"unary submit, AsyncMarketClient, {n} in flight",
                    rate,
                    "orders/s",
                    pct_us(lat, 50),
                    pct_us(lat, 99),
                    meter.share(),
                    meter.other(),
                )
            )
        stub = client.stub
        requests = [submit_request(o) for o in CYCLE]

        async def raw_submit(i: int) -> None:
            await stub.SubmitOrder(requests[i % len(requests)])

        for n in (1, 16):
            meter.start()
            rate, lat = await unary_run(raw_submit, n, d, w)
            report.add(
                Row(
                    f"unary SubmitOrder, raw stub, {n} in flight",
                    rate,
                    "orders/s",
                    pct_us(lat, 50),
                    pct_us(lat, 99),
                    meter.share(),
                    meter.other(),
                )
            )

        singles = [entry_request([o]) for o in CYCLE]
        stream_rates = {}
        for window in (1, args.window):
            meter.start()
            rate, lat = await stream_run(stub.OrderEntry(), singles, window, d, w)
            stream_rates[window] = rate
            report.add(
                Row(
                    f"OrderEntry stream, 1 command/message, {window} in flight",
                    rate,
                    "acks/s",
                    pct_us(lat, 50),
                    pct_us(lat, 99),
                    meter.share(),
                    meter.other(),
                    note="raw stub",
                )
            )

        orders = [kwargs[i % len(kwargs)] for i in range(args.orders)]
        meter.start()
        t = time.perf_counter()
        results = await client.submit_many(SYMBOL, orders, progress=False)
        rate = len(results) / (time.perf_counter() - t)
        report.add(
            Row(
                f"submit_many, {args.orders:,} orders, batch_size 500",
                rate,
                "orders/s",
                server_cpu=meter.share(),
                other_cpu=meter.other(),
                target=f">= {TARGET_SUBMIT_MANY:,}",
                ok=rate >= TARGET_SUBMIT_MANY,
                note="end to end incl. client validation + result decoding",
            )
        )
        book = await client.book(SYMBOL, 0)
        await client.close()
        note = f"book after section: {len(book.bids)}+{len(book.asks)} levels"
        report.rows[-1].note += f"; {note}; server RSS {rss_mb(market.process.pid):.0f} MB"  # type: ignore[attr-defined]
    finally:
        market.stop()

    echo = await spawn("--role", "echo-server")
    try:
        address = (await read_json(echo))["address"]
        meter = CpuMeter(echo.pid)
        channel = grpc.aio.insecure_channel(address)
        method = channel.stream_stream(ECHO_METHOD)
        for window in (1, args.window):
            meter.start()
            rate, lat = await stream_run(method(), [ECHO_PAYLOAD], window, d, w)
            ratio = stream_rates[window] / rate
            report.add(
                Row(
                    f"raw grpc.aio echo stream, 64 B, {window} in flight",
                    rate,
                    "msgs/s",
                    pct_us(lat, 50),
                    pct_us(lat, 99),
                    meter.share(),
                    meter.other(),
                    note="separate process, bytes in/out",
                )
            )
            report.add(
                Row(
                    f"  ratio OrderEntry stream / echo stream, {window} in flight",
                    ratio,
                    "ratio",
                    target=f">= {TARGET_STREAM_RATIO:.0%}",
                    ok=ratio >= TARGET_STREAM_RATIO,
                )
            )
        await channel.close()
    finally:
        echo.stdin.close()  # type: ignore[union-attr]
        await echo.wait()


# ---- market data -------------------------------------------------------------------------


@dataclass
class MdResult:
    per_sub: list[float]  # delta updates/s of each subscriber
    messages: float  # messages/s, all subscribers
    hist: np.ndarray
    orders: float  # orders/s acked to the load generators
    server_cpu: float
    other_cpu: float
    server_rss: float  # MB at the end of the window
    resnapshots: int  # snapshots after the first (overflow recovery)

    @property
    def total(self) -> float:
        return sum(self.per_sub)


async def md_run(args, subscribers: int, stalled: bool = False) -> MdResult:
    market = await new_market()
    procs = min(args.sub_procs, subscribers)
    subs = [
        await spawn(
            "--role",
            "subscribers",
            "--address",
            market.address,
            "--count",
            subscribers // procs + (k < subscribers % procs),
        )
        for k in range(procs)
    ]
    stalled_channel = stalled_call = None
    try:
        for sub in subs:
            await read_json(sub)  # {"ready": true}: every stream has its snapshot
        if stalled:
            # Own connection (local subchannel pool), never read: the server's writes block.
            stalled_channel = grpc.aio.insecure_channel(
                market.address, options=[("grpc.use_local_subchannel_pool", 1)]
            )
            stalled_call = pb_grpc.MarketServiceStub(stalled_channel).StreamBook(
                pb.StreamBookRequest(symbol=SYMBOL)
            )
            await stalled_call.initial_metadata()  # the server has subscribed it
        start_at = time.time() + args.load_startup + args.warmup
        end_at = start_at + args.md_duration
        for sub in subs:
            sub.stdin.write(f"{start_at} {end_at}\n".encode())  # type: ignore[union-attr]
            await sub.stdin.drain()  # type: ignore[union-attr]
        loads = [
            await spawn(
                "--role",
                "load",
                "--address",
                market.address,
                "--start-at",
                start_at,
                "--end-at",
                end_at,
                "--load-batch",
                args.load_batch,
                "--load-window",
                args.load_window,
                "--owner",
                f"load{k}",
            )
            for k in range(args.load_procs)
        ]
        pid = market.process.pid  # type: ignore[attr-defined]
        await asyncio.sleep(start_at - time.time())
        meter = CpuMeter(pid, [p.pid for p in (*subs, *loads)])
        await asyncio.sleep(end_at - time.time())
        server_cpu, other_cpu = meter.share(), meter.other()
        server_rss = rss_mb(pid)
        load_results = [await read_json(p) for p in loads]
        sub_results = [await read_json(p) for p in subs]
        for p in (*loads, *subs):
            p.stdin.close()  # type: ignore[union-attr]
            await p.wait()
    finally:
        if stalled_call is not None:
            stalled_call.cancel()
            await stalled_channel.close()  # type: ignore[union-attr]
        await asyncio.to_thread(market.stop)
    per_sub = [rate for r in sub_results for rate in r["per_sub"]]
    return MdResult(
        per_sub=per_sub,
        messages=sum(r["messages"] for r in sub_results),
        hist=sum(np.array(r["hist"]) for r in sub_results),
        orders=sum(r["orders"] for r in load_results),
        server_cpu=server_cpu,
        other_cpu=other_cpu,
        server_rss=server_rss,
        resnapshots=sum(r["resnapshots"] for r in sub_results),
    )


async def market_data_section(args, report: Report) -> None:
    report.add(
        Row(
            f"MARKET DATA (raw-stub StreamBook subscribers in up to {args.sub_procs} subscriber "
            f"processes; {args.load_procs} load process(es), OrderEntry batches of "
            f"{len(batch_request(args.load_batch).commands)}, {args.load_window} in flight)"
        )
    )
    for n in args.subs:
        r = await md_run(args, n)
        p50, p99 = hist_pct_us(r.hist, 50), hist_pct_us(r.hist, 99)
        ctx = f"orders/s {r.orders:,.0f}; msgs/s {r.messages:,.0f}; resnapshots {r.resnapshots}"
        ctx += f"; server RSS {r.server_rss:.0f} MB"
        one = n == 1
        report.add(
            Row(
                f"StreamBook {n} subscriber(s): delta updates/s per subscriber",
                float(np.mean(r.per_sub)),
                "deltas/s",
                p50,
                p99,
                r.server_cpu,
                r.other_cpu,
                r.server_cpu / r.orders * 1e6,
                f">= {TARGET_DELTAS_ONE_SUB:,}" if one else "",
                (min(r.per_sub) >= TARGET_DELTAS_ONE_SUB) if one else None,
                f"min {min(r.per_sub):,.0f}; {ctx}",
            )
        )
        if not one:
            report.add(Row(f"StreamBook {n} subscribers: total", r.total, "deltas/s"))

    n = args.stall_subs
    runs: dict[bool, list[MdResult]] = {False: [], True: []}
    for _ in range(args.stall_repeats):
        for stalled in (False, True):
            runs[stalled].append(await md_run(args, n, stalled))
    means = {}
    for stalled, results in runs.items():
        rate = float(np.mean([np.mean(r.per_sub) for r in results]))
        orders = float(np.mean([r.orders for r in results]))
        hist = sum(r.hist for r in results)
        cost = float(np.mean([r.server_cpu / r.orders * 1e6 for r in results]))
        means[stalled] = rate, orders, cost
        label = "with 1 stalled" if stalled else "no stalled"
        report.add(
            Row(
                f"{n} subscribers, {label}: deltas/s per normal subscriber",
                rate,
                "deltas/s",
                hist_pct_us(hist, 50),
                hist_pct_us(hist, 99),
                float(np.mean([r.server_cpu for r in results])),
                float(np.mean([r.other_cpu for r in results])),
                float(np.mean([r.server_cpu / r.orders * 1e6 for r in results])),
                note=f"runs: {', '.join(f'{np.mean(r.per_sub):,.0f}' for r in results)}; "
                f"server RSS {np.mean([r.server_rss for r in results]):.0f} MB",
            )
        )
        report.add(
            Row(
                f"{n} subscribers, {label}: matching throughput",
                orders,
                "orders/s",
                note=f"runs: {', '.join(f'{r.orders:,.0f}' for r in results)}",
            )
        )
    for i, what in ((0, "subscriber rate"), (1, "matching throughput")):
        change = means[True][i] / means[False][i] - 1
        report.add(
            Row(
                f"  change with the stalled subscriber: {what}",
                change,
                "change",
                target=f"|x| <= {TARGET_STALL_CHANGE:.0%}",
                ok=abs(change) <= TARGET_STALL_CHANGE,
            )
        )
    change = means[True][2] / means[False][2] - 1
    report.add(
        Row(
            "  change with the stalled subscriber: server CPU per order",
            change,
            "change",
            note="less sensitive to other load on the machine than the rates",
        )
    )


# ---- helper roles ------------------------------------------------------------------------


async def role_echo_server() -> None:
    async def echo(requests, context):
        async for message in requests:
            yield message

    server = grpc.aio.server(options=[("grpc.so_reuseport", 0)])
    handler = grpc.method_handlers_generic_handler(
        "bench.Echo", {"Echo": grpc.stream_stream_rpc_method_handler(echo)}
    )
    server.add_generic_rpc_handlers((handler,))
    port = server.add_insecure_port("127.0.0.1:0")
    await server.start()
    print(json.dumps({"address": f"127.0.0.1:{port}"}), flush=True)
    await asyncio.to_thread(sys.stdin.read)  # until the parent closes our stdin
    await server.stop(0)


async def role_load(args) -> None:
    """OrderEntry batches, ``load_window`` in flight, from now until ``end_at``."""
    request = batch_request(args.load_batch)
    size = len(request.commands)
    channel = grpc.aio.insecure_channel(args.address)
    call = pb_grpc.MarketServiceStub(channel).OrderEntry(
        metadata=(("marketsim-owner", args.owner),)
    )
    slots = asyncio.Semaphore(args.load_window)

    async def writer() -> None:
        while time.time() < args.end_at:
            await slots.acquire()
            await call.write(request)
        await call.done_writing()

    task = asyncio.create_task(writer())
    acked = errors = 0
    async for response in call:
        slots.release()
        if args.start_at <= time.time() <= args.end_at:
            acked += size
        errors += response.acks[0].HasField("error")
    await task
    await channel.close()
    rate = acked / (args.end_at - args.start_at)
    print(json.dumps({"orders": rate, "errors": errors}), flush=True)
    await asyncio.to_thread(sys.stdin.read)


async def role_subscribers(args) -> None:
    channel = grpc.aio.insecure_channel(
        args.address, options=[("grpc.max_receive_message_length", 64 * 1024 * 1024)]
    )
    stub = pb_grpc.MarketServiceStub(channel)
    ready = [asyncio.Event() for _ in range(args.count)]
    window = asyncio.get_running_loop().create_future()
    counts = [0] * args.count
    messages = resnapshots = 0
    latencies = array("q")
    hist = np.zeros(len(HIST_EDGES_US) - 1, dtype=np.int64)

    async def subscriber(k: int) -> None:
        nonlocal messages, resnapshots, latencies, hist
        call = stub.StreamBook(pb.StreamBookRequest(symbol=SYMBOL))
        start = end = None
        async for message in call:
            now = time.time_ns()
            if message.HasField("snapshot"):
                if ready[k].is_set():
                    resnapshots += 1
                ready[k].set()
                continue
            if start is None:
                if not window.done():
                    continue
                start, end = (int(t * 1e9) for t in window.result())
            if now < start:
                continue
            if now > end:
                break
            deltas = message.deltas.deltas
            counts[k] += len(deltas)
            messages += 1
            latencies.extend([now - d.ts_event for d in deltas])
            if len(latencies) > 1_000_000:
                hist += histogram_us(latencies)
                latencies = array("q")
        call.cancel()

    tasks = [asyncio.create_task(subscriber(k)) for k in range(args.count)]
    await asyncio.gather(*(e.wait() for e in ready))
    print(json.dumps({"ready": True}), flush=True)
    line = await asyncio.to_thread(sys.stdin.readline)
    start_at, end_at = map(float, line.split())
    window.set_result((start_at, end_at))
    await asyncio.gather(*tasks)
    hist += histogram_us(latencies)
    seconds = end_at - start_at
    print(
        json.dumps(
            {
                "per_sub": [c / seconds for c in counts],
                "messages": messages / seconds,
                "hist": hist.tolist(),
                "resnapshots": resnapshots,
            }
        ),
        flush=True,
    )
    await channel.close()
    await asyncio.to_thread(sys.stdin.read)


# ---- main --------------------------------------------------------------------------------


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--quick", action="store_true", help="a short smoke run (about 1 minute)")
    p.add_argument("--duration", type=float, default=5.0, help="seconds per order-entry run")
    p.add_argument("--md-duration", type=float, default=8.0, help="seconds per market-data run")
    p.add_argument("--warmup", type=float, default=1.0, help="seconds before each window")
    p.add_argument("--orders", type=int, default=100_000, help="orders for submit_many")
    p.add_argument("--window", type=int, default=32, help="messages in flight when pipelined")
    p.add_argument("--subs", type=int, nargs="+", default=[1, 10, 50])
    p.add_argument("--sub-procs", type=int, default=2, help="subscriber processes")
    p.add_argument("--load-procs", type=int, default=1, help="market-data load processes")
    p.add_argument("--load-batch", type=int, default=1000, help="commands per OrderEntry batch")
    p.add_argument("--load-window", type=int, default=2, help="load batches in flight")
    p.add_argument("--load-startup", type=float, default=1.5, help="seconds to start loads")
    p.add_argument("--stall-subs", type=int, default=10, help="normal subscribers in the check")
    p.add_argument("--stall-repeats", type=int, default=3)
    p.add_argument("--skip", choices=["order-entry", "market-data"], action="append", default=[])
    # helper roles
    p.add_argument("--role", choices=["echo-server", "load", "subscribers"])
    p.add_argument("--address")
    p.add_argument("--count", type=int)
    p.add_argument("--start-at", type=float)
    p.add_argument("--end-at", type=float)
    p.add_argument("--owner", default="load")
    args = p.parse_args(argv)
    if args.quick:
        args.duration, args.md_duration, args.warmup = 1.0, 2.0, 0.5
        args.orders, args.subs, args.stall_repeats = 20_000, [1, 10], 1
    return args


async def run(args) -> None:
    cores = os.cpu_count()
    print(f"marketsim service benchmark: {cores} CPU cores, Python {sys.version.split()[0]}, ")
    print(f"grpcio {grpc.__version__}; every figure from runs on 127.0.0.1", flush=True)
    print(f"load average at start: {loadavg()}", flush=True)
    if os.getloadavg()[0] > 1.5:
        print("WARNING: the machine is busy; figures will be low and noisy", flush=True)
    report = Report()
    t = time.perf_counter()
    if "order-entry" not in args.skip:
        await order_entry_section(args, report)
    if "market-data" not in args.skip:
        await market_data_section(args, report)
    report.print()
    print(
        "\nsrv CPU: the server's CPU (one core = 100%); us/op: server CPU microseconds per order"
        "\n(per message for the echo server); other: CPU cores used during the measurement by"
        "\nprocesses outside this benchmark (a busy machine makes every rate lower and noisier)."
    )
    print(f"\nwall time {time.perf_counter() - t:.0f} s; load average at end: {loadavg()}")


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    if args.role == "echo-server":
        asyncio.run(role_echo_server())
    elif args.role == "load":
        asyncio.run(role_load(args))
    elif args.role == "subscribers":
        asyncio.run(role_subscribers(args))
    else:
        asyncio.run(run(args))


if __name__ == "__main__":
    main()
