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

The loop here (``_Replayer``, with ``VisibleWindow``) is the reference. On the compiled engine
``replay`` runs its compiled twin (``marketsim.data.lobster.compiled``), which gives the same
results and hands its rare rows back to these methods.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from tqdm.auto import tqdm

from marketsim._gc import gc_paused
from marketsim.core import (
    ENGINE,
    CancelOrder,
    ExecuteOrder,
    Instrument,
    OrderBook,
    ReplaceOrder,
    SubmitOrder,
)
from marketsim.core.book import RestingOrder
from marketsim.data.lobster.files import ASK_DUMMY, read_messages, read_orderbook
from marketsim.data.lobster.live import _check_speed, replay_into
from marketsim.data.lobster.result import ReplayResult
from marketsim.data.lobster.window import (
    ANON_ID_BASE,
    ORDER_SIDE,
    OWNER_INITIAL,
    OWNER_REVEALED,
    VisibleWindow,
)

__all__ = ["ANON_ID_BASE", "OWNER", "OWNER_INITIAL", "OWNER_REVEALED", "replay"]

OWNER = "lobster"
_OFFBOOK_KIND = {4: "unmatched", 5: "hidden", 6: "cross"}
#: Messages between progress-bar refreshes.
_PROGRESS_EVERY = 4096


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
    result = _replay_with(_loop_for(messages, orderbook), messages, orderbook, symbol, progress)
    if into is not None:
        replay_into(into, result, speed=speed, wait=wait, progress=progress)
    return result


def _loop_for(messages: pd.DataFrame, orderbook: pd.DataFrame | None) -> type[_Replayer]:
    """The compiled loop (``marketsim.data.lobster.compiled``) when the compiled engine runs
    and the frames hold plain integers; the pure loop otherwise."""
    if ENGINE != "compiled":
        return _Replayer
    try:
        from marketsim.data.lobster.compiled import CompiledReplayer
    except ImportError:  # the engine was built without the replay's extension
        return _Replayer
    return CompiledReplayer if CompiledReplayer.takes(messages, orderbook) else _Replayer


def _replay_with(
    loop: type[_Replayer],
    messages: pd.DataFrame,
    orderbook: pd.DataFrame | None,
    symbol: str,
    progress: bool,
) -> ReplayResult:
    """Replay checked frames with the loop ``loop`` (the differential tests pick it)."""
    divisor = _tick_divisor(messages, orderbook)
    book = OrderBook(Instrument(symbol, "0.01" if divisor == 100 else "0.0001"))
    replayer = loop(book, divisor, None if orderbook is None else orderbook.shape[1] // 4)
    replayer.run(messages, orderbook, progress)
    return ReplayResult(book, replayer.stats, replayer.row_seq, replayer.offbook, replayer.window)


def _tick_divisor(messages: pd.DataFrame, orderbook: pd.DataFrame | None) -> int:
    """100 (tick 0.01) if every price that reaches the book is a whole cent, else 1."""
    types = messages["type"].to_numpy()
    prices = messages["price"].to_numpy()[(types >= 1) & (types <= 4)]
    if (prices % 100).any():
        return 1
    if orderbook is not None:
        book_prices = orderbook.to_numpy()[:, ::2]
        if ((book_prices % 100 != 0) & (np.abs(book_prices) != ASK_DUMMY)).any():
            return 1
    return 100


#: ``_actions`` codes besides the message types.
MALFORMED = 0
UNKNOWN = -1


def _actions(messages: pd.DataFrame, divisor: int) -> np.ndarray:
    """What the replay does with each message, decided for all of them at once.

    The message type (1-7) for a well-formed message; ``MALFORMED`` for a book message (types
    1-4) without a side, a positive size and a positive price on the tick grid; ``UNKNOWN``
    for a type outside 1-7.
    """
    types = messages["type"].to_numpy().astype("int64")
    size, price = messages["size"].to_numpy(), messages["price"].to_numpy()
    direction = messages["direction"].to_numpy()
    book_message = (types >= 1) & (types <= 4)
    well_formed = (np.abs(direction) == 1) & (size > 0) & (price > 0) & (price % divisor == 0)
    actions = np.where((types >= 1) & (types <= 7), types, UNKNOWN)
    return np.where(book_message & ~well_formed, MALFORMED, actions)


class _Replayer(VisibleWindow):
    """The state of one replay; ``run`` is the loop, the window is ``VisibleWindow``'s."""

    def __init__(self, book: OrderBook, divisor: int, levels: int | None) -> None:
        super().__init__(book, divisor, levels)
        self.offbook: list[tuple] = []
        self.row_seq = np.zeros(0, dtype="int64")

    # -- the loop ---------------------------------------------------------------------------

    def run(self, messages: pd.DataFrame, orderbook: pd.DataFrame | None, progress: bool) -> None:
        """Apply every message, check the window after it, and note the engine seq."""
        n = len(messages)
        self.stats.messages = n
        ts_all = pd.DatetimeIndex(messages["time"]).as_unit("ns").asi8.tolist()
        actions = _actions(messages, self.divisor).tolist()
        ids = messages["order_id"].to_numpy().tolist()
        sizes = messages["size"].to_numpy().tolist()
        prices = messages["price"].to_numpy().tolist()
        ticks = (messages["price"].to_numpy() // self.divisor).tolist()
        directions = messages["direction"].to_numpy().tolist()
        rows = None if orderbook is None else orderbook.to_numpy().tolist()
        if rows and n:
            self.ts = ts_all[0]
            self.seed(rows[0], int(messages["type"].iat[0]), sizes[0], prices[0], directions[0])
        engine = self.book.engine
        seqs: list[int] = []
        bar = tqdm(total=n, desc=f"replay {self.book.symbol}", unit="msg", disable=not progress)
        with gc_paused():  # the event log grows by millions of acyclic objects
            for k in range(n):
                self.row = k
                self.ts = ts_all[k]
                self.apply_message(actions[k], ids[k], sizes[k], prices[k], ticks[k], directions[k])
                if rows is not None:
                    self.follow_row(k, rows[k])
                seqs.append(engine.seq)
                if not (k + 1) % _PROGRESS_EVERY:
                    bar.update(k + 1 - bar.n)
        bar.update(n - bar.n)
        bar.close()
        self.row_seq = np.asarray(seqs, dtype="int64")

    def apply_message(
        self, action: int, order_id: int, size: int, price: int, ticks: int, direction: int
    ) -> None:
        """Apply message ``self.row`` (``action`` from ``_actions``, ``ticks`` its price)."""
        if action == 1:
            self._submit(order_id, size, ticks, "bid" if direction == 1 else "ask")
        elif 2 <= action <= 4:
            side = "bid" if direction == 1 else "ask"
            self._reduce(action, order_id, size, ticks, side, price)
        elif action == 5 or action == 6:
            self._offbook_print(action, order_id, price, size, direction)
        elif action == MALFORMED:
            self.stats.issues["malformed_message"] += 1
        elif action == UNKNOWN:
            self.stats.issues["unknown_type"] += 1

    def follow_row(self, k: int, row: list[int]) -> None:
        """Check the window against orderbook row ``k`` (row 0 seeded it) and drop below it."""
        if k:
            self.check(row)
        else:
            self.compare(row, count=False)
        state, depth = self.state, self.levels
        if len(state.bids.keys) > depth or len(state.asks.keys) > depth:  # type: ignore[operator]
            self.drop_deep_levels()

    # -- message types ----------------------------------------------------------------------

    def _submit(self, order_id: int, size: int, price: int, side: str) -> None:
        state = self.state
        if order_id in state.orders or order_id <= 0:
            self.stats.issues["duplicate_or_bad_order_id"] += 1
            return
        buying = side == "bid"
        opposite = state.asks if buying else state.bids
        keys = opposite.keys
        if keys:
            best = opposite.sign * keys[-1]
            if price >= best if buying else price <= best:
                # Submissions never cross in LOBSTER data: what rests there must be stale.
                self.stats.issues["crossing_submit"] += 1
                for level in list(opposite.iter_levels()):
                    if price >= level.price_ticks if buying else price <= level.price_ticks:
                        self.drop_level(level.side, level.price_ticks, "drop_crossed")
        ts = self.ts
        self.record(
            self.apply(
                SubmitOrder(
                    "buy" if buying else "sell", size, price, "GTC", False, OWNER, order_id
                ),
                ts,
            ),
            ts,
        )

    def _reduce(self, kind: int, order_id: int, size: int, price: int, side: str, raw: int) -> None:
        issues = self.stats.issues
        orders = self.state.orders
        order = orders.get(order_id)
        known = order is not None
        if order is None:
            anon_id = self.anon.get((side, price))
            order = None if anon_id is None else orders.get(anon_id)
            if order is None:
                issues["unknown_order"] += 1
                if kind == 4:
                    self._offbook_print(4, order_id, raw, size, 1 if side == "bid" else -1)
                return
        elif order.price_ticks != price or ORDER_SIDE[side] != order.side:
            issues["order_price_or_side_differs"] += 1
        open_qty = order.qty_lots
        qty = size
        if size > open_qty:
            issues["size_exceeds_open_qty"] += 1
            qty = open_qty
        if kind == 4:
            self._count_execution(order)
            command: ExecuteOrder | CancelOrder | ReplaceOrder = ExecuteOrder(order.order_id, qty)
        elif kind == 3 and known:
            if size != open_qty:
                issues["delete_size_differs"] += 1
            command = CancelOrder(order.order_id)
        elif qty == open_qty:
            command = CancelOrder(order.order_id)
        else:
            command = ReplaceOrder(order.order_id, qty_lots=open_qty - qty)
        ts = self.ts
        self.record(self.apply(command, ts), ts)

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
