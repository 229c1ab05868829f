"""The visible window of a LOBSTER replay: seeding, checking against orderbook rows, dropping.

A level-N orderbook file shows the top N levels of each side after every message. The replay
keeps the engine's book equal to that window (see ``marketsim.data.lobster.replay`` for the
three ways it learns volume: seed, reveal, drop). ``VisibleWindow`` holds that part of a
replay: it compares the engine's top levels with a row, adopts levels that came into view,
re-synchronises a side that disagrees, and cancels levels that fell out of the window.

The check runs after every message, so its common outcomes are decided by ``agreement``
straight from the engine's levels and the row's numbers, without building a list of levels
per row; only a row that disagrees takes the general (slower) comparison.
"""

from __future__ import annotations

import itertools

from marketsim.core import CancelOrder, Event, OrderBook, OrderRejected, SubmitOrder
from marketsim.core.book import BookHalf
from marketsim.data.lobster.files import ASK_DUMMY, BID_DUMMY
from marketsim.data.lobster.result import ReplayStats

OWNER_INITIAL = "lobster-initial"
OWNER_REVEALED = "lobster-revealed"
#: Engine ids of anonymous volume start here, far above NASDAQ order reference numbers.
ANON_ID_BASE = 10**15
ORDER_SIDE = {"bid": "buy", "ask": "sell"}
#: ``agreement`` found the engine's top levels equal to the row's.
EXACT = -1
#: ``agreement`` found a difference that only the general comparison can sort out.
DIFFERENT = -2
_DUMMIES = (ASK_DUMMY, BID_DUMMY)


class VisibleWindow:
    """The engine book of a replay kept equal to the orderbook file's window of N levels."""

    def __init__(self, book: OrderBook, divisor: int, levels: int | None) -> None:
        self.book = book
        self.state = book.engine.book  # read-only access to the engine's orders and levels
        # Commands go to the engine directly and its events to the book's log (OrderBook.record).
        self.apply, self.record = book.engine.apply, book.record
        self.divisor = divisor
        self.levels = levels
        self.stats = ReplayStats(levels=levels)
        self.anon: dict[tuple[str, int], int] = {}
        self.anon_ids = itertools.count(ANON_ID_BASE)
        self.window: list[tuple] = []
        #: The price column of each level in an orderbook row, best first, per side.
        self.ask_columns = tuple(range(0, 4 * (levels or 0), 4))
        self.bid_columns = tuple(range(2, 4 * (levels or 0), 4))
        self.row = 0
        self.ts = 0

    def seed(self, row: list[int], kind: int, size: int, price: int, direction: int) -> None:
        """Rest row 0 as anonymous volume, with message 0 undone (it is applied next)."""
        sides = self.row_levels(row)
        side = {1: "bid", -1: "ask"}.get(direction)
        if kind in (1, 2, 3, 4) and side is not None and price % self.divisor == 0:
            levels = dict(sides[side])
            ticks = price // self.divisor
            levels[ticks] = levels.get(ticks, 0) + (-size if kind == 1 else size)
            if levels[ticks] < 0:
                self.stats.issues["seed_inconsistent"] += 1
            sides[side] = [(p, q) for p, q in levels.items() if q > 0]
        for side_name, levels in sides.items():
            for p, q in levels:
                self.add_anon(side_name, p, q, OWNER_INITIAL, "seed")

    def row_levels(self, row: list[int]) -> dict[str, list[tuple[int, int]]]:
        """The row's levels of each side as ``(price_ticks, size)``, best first."""
        divisor, width = self.divisor, len(row)
        return {
            "ask": [
                (row[i] // divisor, row[i + 1]) for i in range(0, width, 4) if row[i] != ASK_DUMMY
            ],
            "bid": [
                (row[i] // divisor, row[i + 1]) for i in range(2, width, 4) if row[i] != BID_DUMMY
            ],
        }

    # -- the check after every message --------------------------------------------------------

    def agreement(self, half: BookHalf, row: list[int], columns: tuple[int, ...]) -> int:
        """How ``half``'s top levels compare with ``row``'s levels at ``columns`` (the price
        column of each level of that side, best first; the size is the next column).

        ``EXACT`` when they are the row's levels; ``m >= 0`` when the engine's ``m`` levels
        are the row's first ``m`` and the row shows more (they came into view); ``DIFFERENT``
        otherwise. A dummy level followed by a real one is ``DIFFERENT`` too, so the general
        comparison decides such a row.
        """
        levels, keys, sign, divisor = half.levels, half.keys, half.sign, self.divisor
        count = len(keys)
        for i, column in enumerate(columns):
            price = row[column]
            if price in _DUMMIES:
                if count != i or any(row[c] not in _DUMMIES for c in columns[i + 1 :]):
                    return DIFFERENT
                return EXACT
            if i == count:
                return i
            level = levels[sign * keys[-1 - i]]
            if level.price_ticks * divisor != price or level.qty_lots != row[column + 1]:
                return DIFFERENT
        return EXACT

    def check(self, row: list[int]) -> None:
        """Compare the top levels with ``row`` (after message ``self.row``) and follow it."""
        state, stats = self.state, self.stats
        asks = self.agreement(state.asks, row, self.ask_columns)
        bids = self.agreement(state.bids, row, self.bid_columns)
        if asks == EXACT and bids == EXACT:
            stats.rows_compared += 1
            stats.exact_rows += 1
        elif asks != DIFFERENT and bids != DIFFERENT:
            if asks != EXACT:
                self.reveal("ask", row, self.ask_columns[asks:])
            if bids != EXACT:
                self.reveal("bid", row, self.bid_columns[bids:])
            stats.rows_compared += 1
            stats.revealed_rows += 1
        else:
            self.compare(row, count=True)

    def reveal(self, side: str, row: list[int], columns: tuple[int, ...]) -> None:
        """Adopt the row's levels at ``columns`` (price columns) as anonymous volume."""
        divisor = self.divisor
        for column in columns:
            price = row[column]
            if price not in _DUMMIES:
                self.add_anon(side, price // divisor, row[column + 1], OWNER_REVEALED, "reveal")

    def compare(self, row: list[int], count: bool) -> None:
        """The general comparison: adopt revealed levels, resync a side on a mismatch."""
        depth = self.levels
        drops: list[tuple[str, int]] = []
        adds: list[tuple[str, int, int, str]] = []
        revealed = mismatch = False
        for side, theirs in self.row_levels(row).items():
            ours = [(p, q) for p, q, _ in self.book.level_ticks(side, depth)]  # type: ignore[arg-type]
            if ours == theirs:
                continue
            m = len(ours)
            if m < len(theirs) and theirs[:m] == ours:
                revealed = True
                adds.extend((side, p, q, "reveal") for p, q in theirs[m:])
                continue
            mismatch = True
            wanted = set(theirs)
            kept = set()
            for p, q, _ in self.book.level_ticks(side):  # type: ignore[arg-type]
                if (p, q) in wanted:
                    kept.add(p)
                else:
                    drops.append((side, p))
            adds.extend((side, p, q, "resync_add") for p, q in theirs if p not in kept)
        for side, p in drops:  # all drops before any add, so no add can cross a stale level
            self.drop_level(side, p, "resync_drop")
        for side, p, q, action in adds:
            owner = OWNER_REVEALED if action == "reveal" else OWNER_INITIAL
            self.add_anon(side, p, q, owner, action)
        if not count:
            if mismatch:
                self.stats.issues["seed_mismatch"] += 1
            return
        stats = self.stats
        stats.rows_compared += 1
        if mismatch:
            stats.mismatches += 1
            if len(stats.mismatch_rows) < 20:
                stats.mismatch_rows.append(self.row)
        elif revealed:
            stats.revealed_rows += 1
        else:
            stats.exact_rows += 1

    # -- volume in and out of the window ------------------------------------------------------

    def drop_deep_levels(self) -> None:
        """Cancel the levels below the window (the file says nothing more about them)."""
        depth = self.levels
        for half in (self.state.bids, self.state.asks):
            keys = half.keys
            while len(keys) > depth:  # type: ignore[operator]
                self.drop_level(half.side, half.sign * keys[0], "drop")

    def add_anon(self, side: str, price: int, qty: int, owner: str, action: str) -> None:
        """Rest anonymous volume at one price (post-only: it never trades on arrival)."""
        order_id = next(self.anon_ids)
        command = SubmitOrder(ORDER_SIDE[side], qty, price, "GTC", True, owner, order_id)  # type: ignore[arg-type]
        ts = self.ts
        events: list[Event] = self.apply(command, ts)
        self.record(events, ts)
        if isinstance(events[0], OrderRejected):  # post-only: it would have crossed
            self.stats.issues["anonymous_volume_would_cross"] += 1
            return
        self.anon[(side, price)] = order_id
        self.window.append((self.row, action, side, price, qty, self.book.seq))

    def drop_level(self, side: str, price: int, action: str) -> None:
        """Cancel every order of one level."""
        level = self.state.half(side).levels[price]  # type: ignore[arg-type]
        qty = level.qty_lots
        apply, record, ts = self.apply, self.record, self.ts
        for order_id in list(level.orders):
            record(apply(CancelOrder(order_id), ts), ts)
        self.anon.pop((side, price), None)
        self.window.append((self.row, action, side, price, qty, self.book.seq))
