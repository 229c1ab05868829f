"""Throughput, latency and memory of the matching engine, against a naive ``heapq`` book.

Usage::

    python benchmarks/engine.py [--events N] [--seed S] [--profile]

The workload is one instrument's order flow: about 60% limit orders priced around a fixed mid
(roughly a quarter of them priced through it, so they trade at once), 10% market orders and
30% cancels of orders that are live at that moment, with quantities of 1 to 100 lots.

It is generated up front as plain tuples by running a seeded ``random.Random`` through a
``MatchingEngine`` once: the engine assigns order ids 1, 2, 3, ... and its events say which
orders are still live, so each cancel names a live order. Both books then replay exactly the
same list with exactly the same loop: build the core's ``SubmitOrder`` / ``CancelOrder`` from
the tuple (with its validation), call the book's ``apply(command, ts_event)`` and get the full
batch of event objects back (acceptance or rejection, trades, cancellations and one
``BookDelta`` per changed level): full event output is on for both. The baseline,
``heapq_book.HeapqBook``, is the straightforward heap-of-prices design with lazy deletion and
produces the very same events as the engine. Steps, each on a fresh book:

1. throughput: each book replays the workload untimed, three times, taking turns; events/s
   is workload events (commands) / wall time of its fastest replay (the one least disturbed by
   other processes). The CPU time of the process over the same replay is shown beside it
   ("cpu events/s"): on a shared machine it shows how much of the wall time was spent waiting;
2. latency: each book replays it again with ``time.perf_counter_ns`` read around every
   operation into a preallocated array (the timer's own cost, about 0.05 us, is included);
3. an untimed check that both books emit the same events: every event of every batch equal
   (``==``: same type, same values, ``seq`` and ``last`` included), command by command, over
   the whole workload;
4. memory: an untimed replay per book under ``tracemalloc``, reporting the peak of the traced
   Python heap (tracemalloc is too slow for the timed runs; unlike the peak RSS of the
   process, it is per book and does not include the workload).

Python's garbage collector stays on throughout, as in real use. The targets (engine events/s
and the engine / heapq ratio) are judged on the wall-clock figures.

``--profile`` instead runs ``cProfile`` over the engine on the first 200,000 events.

``benchmarks/mechanics.py`` replays this same workload on the engine before and after the
exchange mechanics (stops, icebergs, STP, auctions), and a variant with stops and icebergs.
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import random
import sys
import time
import tracemalloc
from array import array
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from heapq_book import HeapqBook  # benchmarks/ is on sys.path when run as a script

from marketsim.core.commands import CancelOrder, SubmitOrder
from marketsim.core.events import EVENT_TYPES, Event, OrderAccepted, OrderCancelled, Trade
from marketsim.core.matching import MatchingEngine

DEFAULT_EVENTS = 1_000_000
DEFAULT_SEED = 20_240_611
PROFILE_EVENTS = 200_000
THROUGHPUT_REPEATS = 3

TARGET_EVENTS_PER_S = 400_000
TARGET_RATIO = 2.0

# One operation of the workload is a tuple ``(kind, side or order id, qty_lots, price_ticks)``:
# ``(LIMIT, "buy", 10, 9_995)``, ``(MARKET, "sell", 7, None)`` or ``(CANCEL, 1234, 0, None)``.
LIMIT = "limit"
MARKET = "market"
CANCEL = "cancel"
KINDS = (LIMIT, MARKET, CANCEL)

LIMIT_SHARE = 0.6
MARKET_SHARE = 0.1  # the remaining 30% are cancels
MID_TICKS = 10_000
#: A limit order is priced this many ticks away from the mid on its own side; a negative
#: offset prices it through the mid. The range keeps the book at a steady ~2,000 orders or fewer.
OFFSET_TICKS = (-10, 30)
MAX_QTY_LOTS = 100

Op = tuple[str, str | int, int, int | None]


@dataclass(frozen=True)
class Workload:
    """The operations to replay, and how many orders rested in the book while making them."""

    ops: list[Op]
    resting_peak: int
    resting_at_end: int


class LiveOrders:
    """Open quantity of every live order, with a uniform random pick in O(1)."""

    def __init__(self) -> None:
        self._open: dict[int, int] = {}
        self._ids: list[int] = []
        self._position: dict[int, int] = {}

    def __len__(self) -> int:
        return len(self._ids)

    def add(self, order_id: int, qty_lots: int) -> None:
        """Start tracking a new order with ``qty_lots`` open."""
        self._open[order_id] = qty_lots
        self._position[order_id] = len(self._ids)
        self._ids.append(order_id)

    def fill(self, order_id: int, qty_lots: int) -> None:
        """Take a fill of ``qty_lots`` off an order, forgetting it once fully filled."""
        if order_id in self._open:
            self._open[order_id] -= qty_lots
            if not self._open[order_id]:
                self.remove(order_id)

    def remove(self, order_id: int) -> None:
        """Forget an order (swap the last id into its slot so removal is O(1))."""
        del self._open[order_id]
        position = self._position.pop(order_id)
        last = self._ids.pop()
        if last != order_id:
            self._ids[position] = last
            self._position[last] = position

    def pick(self, rng: random.Random) -> int:
        """A live order id chosen uniformly at random."""
        return self._ids[rng.randrange(len(self._ids))]

    def track(self, events: list[Event]) -> None:
        """Update from one batch of engine events."""
        for event in events:
            kind = type(event)
            if kind is OrderAccepted and event.order_type == LIMIT:
                self.add(event.order_id, event.qty_lots)
            elif kind is Trade:
                self.fill(event.maker_order_id, event.qty_lots)
                self.fill(event.taker_order_id, event.qty_lots)
            elif kind is OrderCancelled and event.order_id in self._open:
                self.remove(event.order_id)


def generate_workload(n_events: int, seed: int) -> Workload:
    """Draw ``n_events`` operations from ``random.Random(seed)`` (same seed, same list)."""
    rng = random.Random(seed)
    engine = MatchingEngine()
    live = LiveOrders()
    ops: list[Op] = []
    resting_peak = 0
    for ts in range(n_events):
        draw = rng.random()
        if draw >= LIMIT_SHARE + MARKET_SHARE and live:
            order_id = live.pick(rng)
            ops.append((CANCEL, order_id, 0, None))
            command: CancelOrder | SubmitOrder = CancelOrder(order_id)
        else:
            side = rng.choice(("buy", "sell"))
            qty = rng.randint(1, MAX_QTY_LOTS)
            if LIMIT_SHARE <= draw < LIMIT_SHARE + MARKET_SHARE:
                price = None
                ops.append((MARKET, side, qty, None))
            else:  # a limit order, also when a cancel finds no live order
                offset = rng.randint(*OFFSET_TICKS)
                price = MID_TICKS - offset if side == "buy" else MID_TICKS + offset
                ops.append((LIMIT, side, qty, price))
            command = SubmitOrder(side, qty, price)
        live.track(engine.apply(command, ts))
        resting_peak = max(resting_peak, len(live))
    return Workload(ops, resting_peak, len(live))


class Book(Protocol):
    """What both books offer: the engine's ``apply(command, ts_event) -> list[Event]``."""

    def apply(self, command: SubmitOrder | CancelOrder, ts_event: int) -> list[Event]: ...


def replay(new_book: Callable[[], Book], ops: list[Op]) -> tuple[float, float]:
    """Replay ``ops`` on a fresh book; return the wall time and the process CPU time in s.

    Each op's command object is built (and validated) from its tuple inside the timed loop,
    and every event batch is built in full.
    """
    apply = new_book().apply
    cpu_started = time.process_time()
    started = time.perf_counter()
    for ts, (kind, arg, qty, price) in enumerate(ops):
        if kind == CANCEL:
            apply(CancelOrder(arg), ts)
        else:
            apply(SubmitOrder(arg, qty, price), ts)
    return time.perf_counter() - started, time.process_time() - cpu_started


def time_each_op(new_book: Callable[[], Book], ops: list[Op], latencies: array) -> None:
    """Replay ``ops`` on a fresh book, storing each op's duration in ns."""
    apply = new_book().apply
    clock = time.perf_counter_ns
    for ts, (kind, arg, qty, price) in enumerate(ops):
        start = clock()
        if kind == CANCEL:
            apply(CancelOrder(arg), ts)
        else:
            apply(SubmitOrder(arg, qty, price), ts)
        latencies[ts] = clock() - start


@dataclass(frozen=True)
class Contender:
    """A book under test: a name and how to make a fresh one."""

    name: str
    new_book: Callable[[], Book]


ENGINE = Contender("marketsim engine", MatchingEngine)
BASELINE = Contender("heapq book", HeapqBook)


@dataclass(frozen=True)
class EventCheck:
    """Outcome of replaying the workload on both books side by side."""

    events_by_type: dict[str, int]  # over the commands that matched, by event type
    mismatch_at: int | None  # index of the first op whose batches differ, None if none
    engine_batch: list[Event]  # the two differing batches (empty lists when all matched)
    heapq_batch: list[Event]
    heap_entries: int  # entries in the heapq book's two price heaps at the end
    live_levels: int  # its live levels at the end
    deque_entries: int  # order ids in its level deques at the end
    live_orders: int  # its live orders at the end


def compare_events(ops: list[Op]) -> EventCheck:
    """Replay ``ops`` on both books side by side; compare every event of every batch (==).

    Stops at the first op whose two batches differ. A cancel of an order that one book does
    not hold raises.
    """
    engine, book = MatchingEngine(), HeapqBook()
    counts: dict[str, int] = dict.fromkeys((t.__name__ for t in EVENT_TYPES), 0)
    mismatch_at, engine_batch, heapq_batch = None, [], []
    for ts, (kind, arg, qty, price) in enumerate(ops):
        command = CancelOrder(arg) if kind == CANCEL else SubmitOrder(arg, qty, price)
        events, records = engine.apply(command, ts), book.apply(command, ts)
        if events != records:
            mismatch_at, engine_batch, heapq_batch = ts, events, records
            break
        for event in events:
            counts[type(event).__name__] += 1
    sides = (book._bids, book._asks)
    return EventCheck(
        counts,
        mismatch_at,
        engine_batch,
        heapq_batch,
        heap_entries=sum(len(side.heap) for side in sides),
        live_levels=sum(len(side.levels) for side in sides),
        deque_entries=sum(len(level.queue) for side in sides for level in side.levels.values()),
        live_orders=len(book._orders),
    )


def peak_traced_mb(new_book: Callable[[], Book], ops: list[Op]) -> float:
    """Peak Python heap (MB, by ``tracemalloc``) allocated while a fresh book replays ``ops``."""
    tracemalloc.start()
    try:
        replay(new_book, ops)
        return tracemalloc.get_traced_memory()[1] / 1e6
    finally:
        tracemalloc.stop()


def percentile(sorted_values: list[int], fraction: float) -> int:
    """Nearest-rank percentile of a non-empty sorted list."""
    return sorted_values[min(len(sorted_values) - 1, int(fraction * len(sorted_values)))]


def latency_columns(ops: list[Op], latencies: array) -> list[str]:
    """``"p50 / p99"`` in microseconds for all ops, then for each kind of op."""
    groups: dict[str, list[int]] = {kind: [] for kind in KINDS}
    for op, ns in zip(ops, latencies, strict=True):
        groups[op[0]].append(ns)
    columns = []
    for values in (list(latencies), *groups.values()):
        values.sort()
        if values:
            columns.append(
                f"{percentile(values, 0.5) / 1e3:.2f} / {percentile(values, 0.99) / 1e3:.2f}"
            )
        else:
            columns.append("-")
    return columns


def print_table(header: list[str], rows: list[list[str]]) -> None:
    """Print ``rows`` under ``header`` in aligned columns, the first left-aligned."""
    widths = [max(len(row[i]) for row in (header, *rows)) for i in range(len(header))]
    for row in (header, *rows):
        cells = [row[0].ljust(widths[0])]
        cells += [cell.rjust(width) for cell, width in zip(row[1:], widths[1:], strict=True)]
        print("  ".join(cells))


def benchmark(n_events: int, seed: int) -> None:
    """Run all four steps and print the table, the ratio, the event check and the targets."""
    workload = generate_workload(n_events, seed)
    ops = workload.ops
    counts = {kind: sum(1 for op in ops if op[0] == kind) for kind in KINDS}
    print(
        f"workload: {len(ops):,} events, seed {seed}: "
        + ", ".join(f"{counts[kind]:,} {kind}" for kind in KINDS)
        + f"; resting orders peak {workload.resting_peak:,}, at end {workload.resting_at_end:,}"
    )
    print(
        f"python {sys.version.split()[0]}; events/s = workload events (commands) per second, "
        f"best of {THROUGHPUT_REPEATS}; latencies in us (p50 / p99); peak MB by tracemalloc"
    )
    print()

    contenders = (ENGINE, BASELINE)
    rates = dict.fromkeys((contender.name for contender in contenders), 0.0)
    cpu_rates = dict.fromkeys((contender.name for contender in contenders), 0.0)
    for _ in range(THROUGHPUT_REPEATS):
        for contender in contenders:
            wall, cpu = replay(contender.new_book, ops)
            rates[contender.name] = max(rates[contender.name], len(ops) / wall)
            cpu_rates[contender.name] = max(cpu_rates[contender.name], len(ops) / cpu)
    rows = []
    for contender in contenders:
        latencies = array("q", bytes(8 * len(ops)))  # zeroed int64s
        time_each_op(contender.new_book, ops, latencies)
        rows.append(
            [
                contender.name,
                f"{rates[contender.name]:,.0f}",
                f"{cpu_rates[contender.name]:,.0f}",
                *latency_columns(ops, latencies),
            ]
        )
    for row, contender in zip(rows, contenders, strict=True):
        row.append(f"{peak_traced_mb(contender.new_book, ops):.1f}")
    header = ["book", "events/s", "cpu events/s", "all ops", LIMIT, MARKET, CANCEL, "peak MB"]
    print_table(header, rows)
    print()

    ratio = rates[ENGINE.name] / rates[BASELINE.name]
    cpu_ratio = cpu_rates[ENGINE.name] / cpu_rates[BASELINE.name]
    print(f"ratio marketsim / heapq: {ratio:.2f}x (by cpu time: {cpu_ratio:.2f}x)")
    check = compare_events(ops)
    checked = sum(check.events_by_type.values())
    by_type = ", ".join(f"{n:,} {name}" for name, n in check.events_by_type.items() if n)
    if check.mismatch_at is None:
        print(
            f"event check: all {checked:,} events equal (==), batch by batch, "
            f"over all {len(ops):,} commands ({by_type})"
        )
    else:
        print(
            f"event check: MISMATCH at command {check.mismatch_at:,} "
            f"after {checked:,} equal events ({by_type})"
        )
        print(f"  engine: {check.engine_batch}")
        print(f"  heapq:  {check.heapq_batch}")
    print(
        f"heapq book at end: {check.heap_entries:,} heap entries for {check.live_levels:,} "
        f"live levels, {check.deque_entries:,} deque entries for {check.live_orders:,} "
        "live orders"
    )
    fast_enough = rates[ENGINE.name] >= TARGET_EVENTS_PER_S
    print(
        f"target >= {TARGET_EVENTS_PER_S:,} events/s: {'PASS' if fast_enough else 'FAIL'} "
        f"({rates[ENGINE.name]:,.0f})"
    )
    print(
        f"target >= {TARGET_RATIO:.1f}x heapq: {'PASS' if ratio >= TARGET_RATIO else 'FAIL'} "
        f"({ratio:.2f}x)"
    )
    print(f"event check: {'PASS' if check.mismatch_at is None else 'FAIL'}")


def profile(n_events: int, seed: int) -> None:
    """Profile the engine replaying the first ``n_events`` ops; print the top 15 functions."""
    ops = generate_workload(n_events, seed).ops
    profiler = cProfile.Profile()
    profiler.runcall(replay, ENGINE.new_book, ops)
    print(f"cProfile of marketsim engine on {len(ops):,} events, seed {seed}")
    pstats.Stats(profiler).sort_stats("tottime").print_stats(15)


def main(argv: list[str] | None = None) -> None:
    """Parse the command line and run the benchmark or the profile."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=DEFAULT_EVENTS, help="workload length")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help="workload seed")
    parser.add_argument(
        "--profile",
        action="store_true",
        help=f"profile the engine on the first {PROFILE_EVENTS:,} events instead",
    )
    args = parser.parse_args(argv)
    if args.events < 1:
        parser.error("--events must be at least 1")
    if args.profile:
        profile(min(args.events, PROFILE_EVENTS), args.seed)
    else:
        benchmark(args.events, args.seed)


if __name__ == "__main__":
    main()
