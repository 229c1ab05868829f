"""Replay LOBSTER messages through a real engine ``OrderBook``, message by message.

A level-N message file only holds events that touch the best N levels, so a replay has to learn
some volume from the orderbook rows. It does so in three explicit ways, all recorded in
``ReplayResult.window_changes``:

- **seed**: the book starts from orderbook row 0 (message 0 undone), one anonymous order per
  price (owner ``"lobster-initial"``) at the head of its queue. Messages naming an order id the
  replay has never seen (orders from before the window) reduce that anonymous volume.
- **reveal**: when the engine's top levels of a side are a strict prefix of the row's (a level
  emptied or was never seen), the deeper levels the row shows are adopted as anonymous volume
  (owner ``"lobster-revealed"``). Such rows count as ``revealed_rows``, not as mismatches.
- **drop**: after each row, levels deeper than N are cancelled: the file will say nothing about
  them until they come back, and then with a size that may have changed (they are revealed
  again). The engine book is therefore the visible window, and its deltas describe that window.

Anything else is a *mismatch*: it is counted, and the side is re-synchronised to the row.

Message types: 1 submit (a GTC limit order with the LOBSTER id, owner ``"lobster"``), 2 partial
cancel (lower the quantity, keeping priority), 3 delete, 4 execute the *named* resting order
(``ExecuteOrder``: NASDAQ did not always fill FIFO), 5 hidden execution and 6 cross trade
(off-book prints: recorded in ``offbook_trades()``, the book is untouched), 7 halt (nothing).

Prices: LOBSTER prices are in 1/10,000 dollar. The instrument has tick 0.01 when every book
price (message types 1-4 and the orderbook file) is a multiple of 100, else tick 0.0001.
Off-book prints keep their exact price (midpoint executions print at half cents).
"""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from tqdm.auto import tqdm

from marketsim.core import (
    CancelOrder,
    Event,
    ExecuteOrder,
    Instrument,
    OrderBook,
    OrderRejected,
    ReplaceOrder,
    SubmitOrder,
)
from marketsim.core.book import BookHalf, RestingOrder
from marketsim.data.lobster.files import ASK_DUMMY, BID_DUMMY, read_messages, read_orderbook
from marketsim.data.lobster.live import _check_speed, replay_into
from marketsim.data.lobster.result import ReplayResult, ReplayStats

OWNER = "lobster"
OWNER_INITIAL = "lobster-initial"
OWNER_REVEALED = "lobster-revealed"
#: Engine ids of anonymous volume start here, far above NASDAQ order reference numbers.
ANON_ID_BASE = 10**15
_SIDE = {1: "bid", -1: "ask"}
_ORDER_SIDE = {"bid": "buy", "ask": "sell"}
_OFFBOOK_KIND = {4: "unmatched", 5: "hidden", 6: "cross"}


def replay(
    messages: pd.DataFrame | str | Path,
    orderbook: pd.DataFrame | str | Path | None = None,
    *,
    symbol: str | None = None,
    progress: bool = True,
    into: Any = None,
    speed: float | None = None,
    wait: bool = True,
) -> ReplayResult:
    """Replay LOBSTER messages through an engine ``OrderBook``, message by message.

    ``messages`` is a frame from ``read_messages`` (or a path). With ``orderbook`` (a frame
    from ``read_orderbook`` or a path, one row per message) the book is seeded from row 0 and
    compared with every row; see the module docstring for seed, reveal and drop. Without it
    the replay starts from an empty book, and messages about orders it never saw are counted
    in ``stats.issues``. ``symbol`` defaults to the one in the file name.

    ``into`` (a client of a marketsim server, or its "host:port") also sends the replay to
    that server, paced by the message times divided by ``speed`` (``None``: as fast as
    possible), so the live views can watch it; ``wait=False`` returns as soon as the
    in-process replay is done, while the server is fed in the background. See
    ``marketsim.data.lobster.live`` (and ``result.live``) for how, and for its one
    approximation (executions of orders that are not first in their queue).
    """
    if into is not None:
        _check_speed(speed)
    if not isinstance(messages, pd.DataFrame):
        messages = read_messages(messages)
    if orderbook is not None and not isinstance(orderbook, pd.DataFrame):
        orderbook = read_orderbook(orderbook)
    if orderbook is not None and len(orderbook) != len(messages):
        raise ValueError(f"{len(messages)} messages but {len(orderbook)} orderbook rows")
    if len(messages) and int(messages["order_id"].max()) >= ANON_ID_BASE:
        raise ValueError(f"order ids must be below {ANON_ID_BASE} (kept for anonymous volume)")
    symbol = symbol or messages.attrs.get("symbol") or "LOBSTER"
    divisor = _tick_divisor(messages, orderbook)
    book = OrderBook(Instrument(symbol, "0.01" if divisor == 100 else "0.0001"))
    replayer = _Replayer(book, divisor, None if orderbook is None else orderbook.shape[1] // 4)
    replayer.run(messages, orderbook, progress)
    result = ReplayResult(book, replayer.stats, replayer.row_seq, replayer.offbook, replayer.window)
    if into is not None:
        replay_into(into, result, speed=speed, wait=wait, progress=progress)
    return result


def _tick_divisor(messages: pd.DataFrame, orderbook: pd.DataFrame | None) -> int:
    """100 (tick 0.01) if every price that reaches the book is a whole cent, else 1."""
    types = messages["type"].to_numpy()
    prices = [messages["price"].to_numpy()[(types >= 1) & (types <= 4)]]
    if orderbook is not None:
        values = orderbook.to_numpy()
        book_prices = values[:, np.r_[0 : values.shape[1] : 2]]
        prices.append(book_prices[np.abs(book_prices) != ASK_DUMMY])
    return 100 if all((p % 100 == 0).all() for p in prices) else 1


class _Replayer:
    """The state of one replay; ``run`` is the loop."""

    def __init__(self, book: OrderBook, divisor: int, levels: int | None) -> None:
        self.book = book
        self.state = book.engine.book  # read-only access to the engine's orders and levels
        self.divisor = divisor
        self.levels = levels
        self.stats = ReplayStats(levels=levels)
        self.anon: dict[tuple[str, int], int] = {}
        self.anon_ids = itertools.count(ANON_ID_BASE)
        self.offbook: list[tuple] = []
        self.window: list[tuple] = []
        self.row_seq = np.zeros(0, dtype="int64")
        self.row = 0
        self.ts = 0

    # -- the loop ---------------------------------------------------------------------------

    def run(self, messages: pd.DataFrame, orderbook: pd.DataFrame | None, progress: bool) -> None:
        n = len(messages)
        self.stats.messages = n
        ts_all = pd.DatetimeIndex(messages["time"]).as_unit("ns").asi8.tolist()
        types = messages["type"].to_numpy().tolist()
        ids = messages["order_id"].to_numpy().tolist()
        sizes = messages["size"].to_numpy().tolist()
        prices = messages["price"].to_numpy().tolist()
        directions = messages["direction"].to_numpy().tolist()
        rows = None if orderbook is None else orderbook.to_numpy().tolist()
        if rows and n:
            self.ts = ts_all[0]
            self._seed(rows[0], types[0], sizes[0], prices[0], directions[0])
        bar = tqdm(range(n), desc=f"replay {self.book.symbol}", unit="msg", disable=not progress)
        row_seq = []
        for k in bar:
            self.row, self.ts = k, ts_all[k]
            self._message(types[k], ids[k], sizes[k], prices[k], directions[k])
            if rows is not None:
                self._compare(rows[k], count=k > 0)
                self._drop_deep_levels()
            row_seq.append(self.book.seq)
        self.row_seq = np.asarray(row_seq, dtype="int64")

    def _message(self, kind: int, order_id: int, size: int, price: int, direction: int) -> None:
        side = _SIDE.get(direction)
        if kind in (1, 2, 3, 4):
            if side is None or size <= 0 or price <= 0 or price % self.divisor:
                self.stats.issues["malformed_message"] += 1
            elif kind == 1:
                self._submit(order_id, size, price // self.divisor, side)
            else:
                self._reduce(kind, order_id, size, price // self.divisor, side, price)
        elif kind in (5, 6):
            self._offbook_print(kind, order_id, price, size, direction)
        elif kind != 7:
            self.stats.issues["unknown_type"] += 1

    # -- message types ----------------------------------------------------------------------

    def _submit(self, order_id: int, size: int, price: int, side: str) -> None:
        if order_id in self.state.orders or order_id <= 0:
            self.stats.issues["duplicate_or_bad_order_id"] += 1
            return
        opposite = self.state.asks if side == "bid" else self.state.bids
        best = opposite.best_level()
        if best is not None and (
            price >= best.price_ticks if side == "bid" else price <= best.price_ticks
        ):
            # Submissions never cross in LOBSTER data: what rests there must be stale.
            self.stats.issues["crossing_submit"] += 1
            for level in list(opposite.iter_levels()):
                if price >= level.price_ticks if side == "bid" else price <= level.price_ticks:
                    self._drop_level(level.side, level.price_ticks, "drop_crossed")
        self.book.apply(
            SubmitOrder(_ORDER_SIDE[side], size, price, owner=OWNER, order_id=order_id), self.ts
        )

    def _reduce(self, kind: int, order_id: int, size: int, price: int, side: str, raw: int) -> None:
        issues = self.stats.issues
        order = self.state.orders.get(order_id)
        known = order is not None
        if order is None:
            anon_id = self.anon.get((side, price))
            order = None if anon_id is None else self.state.orders.get(anon_id)
            if order is None:
                issues["unknown_order"] += 1
                if kind == 4:
                    self._offbook_print(4, order_id, raw, size, 1 if side == "bid" else -1)
                return
        elif order.price_ticks != price or _ORDER_SIDE[side] != order.side:
            issues["order_price_or_side_differs"] += 1
        open_qty = order.qty_lots
        qty = size
        if size > open_qty:
            issues["size_exceeds_open_qty"] += 1
            qty = open_qty
        if kind == 4:
            self._count_execution(order)
            command = ExecuteOrder(order.order_id, qty)
        elif kind == 3 and known:
            if size != open_qty:
                issues["delete_size_differs"] += 1
            command = CancelOrder(order.order_id)
        elif qty == open_qty:
            command = CancelOrder(order.order_id)
        else:
            command = ReplaceOrder(order.order_id, qty_lots=open_qty - qty)
        self.book.apply(command, self.ts)

    def _count_execution(self, order: RestingOrder) -> None:
        stats = self.stats
        stats.executions += 1
        half = self.state.bids if order.side == "buy" else self.state.asks
        queue = half.levels[order.price_ticks].orders
        if next(iter(queue)) == order.order_id:
            return
        stats.executions_not_first += 1
        for ahead in queue.values():
            if ahead is order:
                break
            if ahead.owner == OWNER:
                stats.executions_behind_known += 1
                if len(stats.behind_known_rows) < 100:
                    stats.behind_known_rows.append(self.row)
                break

    def _offbook_print(
        self, kind: int, order_id: int, price: int, size: int, direction: int
    ) -> None:
        aggressor = "buy" if direction == -1 else "sell"
        kind_name = _OFFBOOK_KIND[kind]
        row = (self.ts, self.row, self.book.seq, kind_name, order_id, price, size, aggressor)
        self.offbook.append(row)

    # -- the window -------------------------------------------------------------------------

    def _seed(self, row: list[int], kind: int, size: int, price: int, direction: int) -> None:
        """Rest row 0 as anonymous volume, with message 0 undone (it is applied next)."""
        sides = self._row_levels(row)
        side = _SIDE.get(direction)
        if kind in (1, 2, 3, 4) and side is not None and price % self.divisor == 0:
            levels = dict(sides[side])
            ticks = price // self.divisor
            levels[ticks] = levels.get(ticks, 0) + (-size if kind == 1 else size)
            if levels[ticks] < 0:
                self.stats.issues["seed_inconsistent"] += 1
            sides[side] = [(p, q) for p, q in levels.items() if q > 0]
        for side_name, levels in sides.items():
            for p, q in levels:
                self._add_anon(side_name, p, q, OWNER_INITIAL, "seed")

    def _row_levels(self, row: list[int]) -> dict[str, list[tuple[int, int]]]:
        divisor, width = self.divisor, len(row)
        return {
            "ask": [
                (row[i] // divisor, row[i + 1]) for i in range(0, width, 4) if row[i] != ASK_DUMMY
            ],
            "bid": [
                (row[i] // divisor, row[i + 1]) for i in range(2, width, 4) if row[i] != BID_DUMMY
            ],
        }

    def _matches(self, half: BookHalf, row: list[int], offset: int) -> bool:
        """Are the top levels of ``half`` exactly those in ``row`` from column ``offset``?"""
        levels, keys, sign, divisor = half.levels, half.keys, half.sign, self.divisor
        count = len(keys)
        for i in range(self.levels):  # type: ignore[arg-type]
            price = row[offset + 4 * i]
            if price in (ASK_DUMMY, BID_DUMMY):
                return count == i
            if i >= count:
                return False
            level = levels[sign * keys[count - 1 - i]]
            if level.price_ticks * divisor != price or level.qty_lots != row[offset + 4 * i + 1]:
                return False
        return True

    def _compare(self, row: list[int], count: bool) -> None:
        """Compare the top levels with ``row``; adopt revealed levels, resync on mismatch."""
        if self._matches(self.state.asks, row, 0) and self._matches(self.state.bids, row, 2):
            if count:
                self.stats.rows_compared += 1
                self.stats.exact_rows += 1
            return
        depth = self.levels
        drops: list[tuple[str, int]] = []
        adds: list[tuple[str, int, int, str]] = []
        revealed = mismatch = False
        for side, theirs in self._row_levels(row).items():
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
            self._drop_level(side, p, "resync_drop")
        for side, p, q, action in adds:
            owner = OWNER_REVEALED if action == "reveal" else OWNER_INITIAL
            self._add_anon(side, p, q, owner, action)
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

    def _drop_deep_levels(self) -> None:
        depth = self.levels
        for half in (self.state.bids, self.state.asks):
            while len(half) > depth:  # type: ignore[operator]
                self._drop_level(half.side, half.sign * half.keys[0], "drop")

    def _add_anon(self, side: str, price: int, qty: int, owner: str, action: str) -> None:
        order_id = next(self.anon_ids)
        command = SubmitOrder(_ORDER_SIDE[side], qty, price, "GTC", True, owner, order_id)  # type: ignore[arg-type]
        events: list[Event] = self.book.apply(command, self.ts)
        if isinstance(events[0], OrderRejected):  # post-only: it would have crossed
            self.stats.issues["anonymous_volume_would_cross"] += 1
            return
        self.anon[(side, price)] = order_id
        self.window.append((self.row, action, side, price, qty, self.book.seq))

    def _drop_level(self, side: str, price: int, action: str) -> None:
        level = self.state.half(side).levels[price]  # type: ignore[arg-type]
        qty = level.qty_lots
        for order_id in list(level.orders):
            self.book.apply(CancelOrder(order_id), self.ts)
        self.anon.pop((side, price), None)
        self.window.append((self.row, action, side, price, qty, self.book.seq))
