"""The engine benchmark's untimed checks: equal events across books, bourse's trades vs ours."""

from __future__ import annotations

from dataclasses import dataclass

import bourse_peer
from heapq_book import HeapqBook
from workload import CANCEL, Op

from marketsim.core import engine
from marketsim.core.commands import CancelOrder, SubmitOrder
from marketsim.core.events import EVENT_TYPES, Event, Trade

#: Compact commands per ``apply_many`` call, as the timed bulk replay hands them over.
CHUNK = 1_000


def compact_chunks(ops: list[Op]) -> list[list[tuple[int, object]]]:
    """The workload as ``apply_many`` takes it: chunks of ``(ts_event, compact command)``."""
    batch = [
        (ts, arg if kind == CANCEL else (arg, qty, price, "GTC", ""))
        for ts, (kind, arg, qty, price) in enumerate(ops)
    ]
    return [batch[start : start + CHUNK] for start in range(0, len(batch), CHUNK)]


@dataclass(frozen=True)
class EventCheck:
    """Outcome of replaying the workload on the pure engine and the heapq book side by side."""

    events_by_type: dict[str, int]  # over the commands that matched, by event type
    mismatch_at: int | None  # index of the first op whose batches differ, None if none
    engine_batch: list[Event]  # the two differing batches (empty lists when all matched)
    heapq_batch: list[Event]
    heap_entries: int  # entries in the heapq book's two price heaps at the end
    live_levels: int  # its live levels at the end
    deque_entries: int  # order ids in its level deques at the end
    live_orders: int  # its live orders at the end


def compare_events(ops: list[Op]) -> EventCheck:
    """Replay ``ops`` on the pure engine and the heapq book; compare every event (==).

    Stops at the first op whose two batches differ. A cancel of an order that one book does
    not hold raises.
    """
    pure, book = engine.PureMatchingEngine(), HeapqBook()
    counts: dict[str, int] = dict.fromkeys((t.__name__ for t in EVENT_TYPES), 0)
    mismatch_at, engine_batch, heapq_batch = None, [], []
    for ts, (kind, arg, qty, price) in enumerate(ops):
        command = CancelOrder(arg) if kind == CANCEL else SubmitOrder(arg, qty, price)
        events, records = pure.apply(command, ts), book.apply(command, ts)
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


def compare_engines(ops: list[Op]) -> tuple[int, str | None]:
    """Events of the compiled engine (``apply`` and ``apply_many``) against the pure one's.

    Returns the number of events compared and a description of the first difference (None
    when every event of every command is equal).
    """
    pure, compiled, bulk = (
        engine.PureMatchingEngine(),
        engine.MatchingEngine(),
        engine.MatchingEngine(),
    )
    compared = 0
    for number, chunk in enumerate(compact_chunks(ops)):
        expected: list[Event] = []
        for ts, _ in chunk:
            kind, arg, qty, price = ops[ts]
            command = CancelOrder(arg) if kind == CANCEL else SubmitOrder(arg, qty, price)
            events = pure.apply(command, ts)
            if compiled.apply(command, ts) != events:
                return compared, f"apply differs at command {ts:,}"
            expected += events
        if bulk.apply_many(chunk) != expected:
            return compared, f"apply_many differs in chunk {number:,}"
        compared += len(expected)
    return compared, None


def compare_bourse(ops: list[Op]) -> tuple[int, str | None]:
    """bourse's trades against the pure engine's: the number equal before the first
    difference, and that difference (None when all are equal)."""
    pure, ours = engine.PureMatchingEngine(), []
    for ts, (kind, arg, qty, price) in enumerate(ops):
        command = CancelOrder(arg) if kind == CANCEL else SubmitOrder(arg, qty, price)
        ours += [
            (e.price_ticks, e.qty_lots, e.maker_order_id, e.taker_order_id)
            for e in pure.apply(command, ts)
            if type(e) is Trade
        ]
    theirs = bourse_peer.trades(ops)
    for index, (mine, peer) in enumerate(zip(ours, theirs, strict=False)):
        if mine != peer:
            return index, (
                f"trade {index:,}: engines {mine}, bourse {peer} (price, qty, maker id, taker id)"
            )
    if len(ours) != len(theirs):
        return min(len(ours), len(theirs)), f"{len(ours):,} trades here, {len(theirs):,} there"
    return len(ours), None
