"""Synthetic LOBSTER days for the differential tests of the two replay loops.

``lobster_days()`` draws a message frame and its orderbook frame from a small "true" book:
orders from before the window (known only through row 0), submits at and behind the best
(so a level-N window reveals and drops levels), partial cancels, deletes and executions of
any order in a queue, and the awkward messages a replay has to survive: unknown order ids,
deletes and executions with sizes that disagree, crossing submits, duplicate ids, hidden and
cross prints, halts, unknown types, malformed messages and corrupted orderbook rows.
"""

from __future__ import annotations

import pandas as pd
from hypothesis import strategies as st

from marketsim.data.lobster import ASK_DUMMY, BID_DUMMY, MESSAGE_DTYPES, orderbook_columns

MID = 1_000_000  # $100 in LOBSTER's 1/10,000 dollar
START_NS = pd.Timestamp("2020-01-02 14:30", tz="UTC").value

KINDS = (
    "submit", "submit", "submit", "cancel", "cancel", "delete", "delete", "execute", "execute",
    "unknown_id", "crossing_submit", "duplicate_id", "hidden", "cross", "halt", "unknown_type",
    "malformed", "size_differs",
)  # fmt: skip

#: What happens to an orderbook row: mostly nothing; a size or price off (a mismatch); a size
#: of zero, which the engine refuses when the replay adopts it (both loops raise).
CORRUPTIONS = ("none",) * 75 + ("size", "price") * 2 + ("zero",)


class TrueBook:
    """The book the messages describe; its top levels are the orderbook rows."""

    def __init__(self) -> None:
        self.sides: dict[int, dict[int, list[list[int]]]] = {1: {}, -1: {}}  # price -> [[id, qty]]
        self.where: dict[int, tuple[int, int]] = {}  # id -> (direction, price)

    def add(self, order_id: int, direction: int, price: int, qty: int) -> None:
        self.sides[direction].setdefault(price, []).append([order_id, qty])
        self.where[order_id] = (direction, price)

    def reduce(self, order_id: int, qty: int) -> None:
        direction, price = self.where[order_id]
        queue = self.sides[direction][price]
        entry = next(e for e in queue if e[0] == order_id)
        entry[1] -= qty
        if entry[1] <= 0:
            queue.remove(entry)
            del self.where[order_id]
            if not queue:
                del self.sides[direction][price]

    def best(self, direction: int) -> int | None:
        prices = self.sides[direction]
        if not prices:
            return None
        return max(prices) if direction == 1 else min(prices)

    def row(self, depth: int) -> list[int]:
        asks = sorted(self.sides[-1])[:depth]
        bids = sorted(self.sides[1], reverse=True)[:depth]
        values = []
        for i in range(depth):
            for prices, direction, dummy in ((asks, -1, ASK_DUMMY), (bids, 1, BID_DUMMY)):
                if i < len(prices):
                    price = prices[i]
                    values += [price, sum(q for _, q in self.sides[direction][price])]
                else:
                    values += [dummy, 0]
        return values


@st.composite
def lobster_days(draw) -> tuple[pd.DataFrame, pd.DataFrame | None]:
    """``(messages, orderbook)`` frames as ``read_messages``/``read_orderbook`` give them;
    the orderbook is None in some days (a replay of the messages alone)."""
    depth = draw(st.integers(1, 3))
    unit = draw(st.sampled_from([100, 100, 1]))  # whole cents, or a sub-penny book
    book = TrueBook()
    next_id = 1
    for direction in (1, -1):
        for _ in range(draw(st.integers(0, 4))):
            price = MID - direction * unit * draw(st.integers(1, 6))
            book.add(next_id, direction, price, draw(st.integers(1, 300)))
            next_id += 1
    messages, rows = [], []
    for k in range(draw(st.integers(1, 40))):
        kind = draw(st.sampled_from(KINDS))
        direction = draw(st.sampled_from([1, -1]))
        live = sorted(book.where)
        if kind in ("cancel", "delete", "execute", "size_differs") and not live:
            kind = "submit"
        if kind in ("submit", "crossing_submit"):
            offset = draw(st.integers(1, 6)) if kind == "submit" else -draw(st.integers(0, 3))
            price = MID - direction * unit * offset
            qty = draw(st.integers(1, 300))
            opposite = book.best(-direction)
            if opposite is not None and direction * (price - opposite) >= 0:  # it crosses
                for stale in [p for p in book.sides[-direction] if direction * (price - p) >= 0]:
                    for order_id, _ in list(book.sides[-direction][stale]):
                        book.reduce(order_id, 10**9)
            book.add(next_id, direction, price, qty)
            message = (1, next_id, qty, price, direction)
            next_id += 1
        elif kind in ("cancel", "delete", "execute", "size_differs"):
            order_id = draw(st.sampled_from(live))
            direction, price = book.where[order_id]
            open_qty = next(q for i, q in book.sides[direction][price] if i == order_id)
            if kind == "cancel":
                qty = draw(st.integers(1, open_qty))
                message = (2, order_id, qty, price, direction)
            elif kind == "size_differs":  # a delete or execution larger or smaller than open
                qty = max(1, open_qty + draw(st.sampled_from([-1, 1, 50])))
                message = (draw(st.sampled_from([3, 4])), order_id, qty, price, direction)
                qty = open_qty if message[0] == 3 else min(qty, open_qty)
            else:
                qty = open_qty if kind == "delete" else draw(st.integers(1, open_qty))
                message = (3 if kind == "delete" else 4, order_id, qty, price, direction)
            book.reduce(order_id, qty)
        elif kind == "unknown_id":
            price = draw(st.sampled_from(sorted(book.sides[direction]) or [MID]))
            message = (draw(st.sampled_from([2, 3, 4])), 10**9 + k, 5, price, direction)
        elif kind == "duplicate_id":
            order_id = draw(st.sampled_from(live or [1]))
            message = (1, order_id, 10, MID - direction * unit * 3, direction)
        elif kind in ("hidden", "cross"):
            price = MID + draw(st.sampled_from([-50, 0, 50]))  # midpoint prints at half cents
            message = (5 if kind == "hidden" else 6, draw(st.integers(0, 5)), 7, price, direction)
        elif kind == "halt":
            message = (7, 0, 0, -1, 0)
        elif kind == "unknown_type":
            message = (draw(st.sampled_from([0, 8, 9])), 3, 1, MID, direction)
        else:  # malformed: no side, no size, or no price
            bad = draw(st.sampled_from(["direction", "size", "price"]))
            message = (
                draw(st.sampled_from([1, 2, 3, 4])),
                next_id,
                0 if bad == "size" else 10,
                0 if bad == "price" else MID,
                0 if bad == "direction" else direction,
            )
        messages.append(message)
        row = book.row(depth)
        corruption = draw(st.sampled_from(CORRUPTIONS))
        column = draw(st.integers(0, 4 * depth - 1)) // 2 * 2  # a price column
        if corruption != "none" and row[column] not in (ASK_DUMMY, BID_DUMMY):
            if corruption == "size":
                row[column + 1] += 7
            elif corruption == "price":
                row[column] += unit
            else:
                row[column + 1] = 0
        rows.append(row)
    frame = pd.DataFrame(messages, columns=["type", "order_id", "size", "price", "direction"])
    times = [START_NS + k * 1_000 for k in range(len(frame))]
    frame.insert(0, "time", pd.to_datetime(times, utc=True))
    frame = frame.astype(MESSAGE_DTYPES)
    frame.attrs["symbol"] = "SYNTH"
    if draw(st.booleans()) and draw(st.booleans()):
        return frame, None
    return frame, pd.DataFrame(rows, columns=orderbook_columns(depth), dtype="int64")
