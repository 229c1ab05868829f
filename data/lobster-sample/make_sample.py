"""Generate a tiny LOBSTER-format sample (level 2) with the marketsim engine and a fixed seed.

    python data/lobster-sample/make_sample.py          # rewrites the two CSV files here

A full book is simulated with ``OrderBook``; like LOBSTER, only events that change the best
two levels of either side are written to the message file (plus hidden executions, a cross
trade and a halt), each followed by the top two levels in the orderbook file. See README.md.
"""

from __future__ import annotations

import random
import sys
from pathlib import Path

from marketsim.core import CancelOrder, ExecuteOrder, OrderBook, ReplaceOrder, SubmitOrder

SEED = 20_120_621
MESSAGES = 300
LEVELS = 2
NAME = "SMPL_2020-01-02_34200000_57600000_{kind}_2.csv"
HERE = Path(__file__).parent
SCALE = 100  # engine ticks are cents; LOBSTER prices are 1/10,000 dollar
DIRECTION = {"buy": 1, "sell": -1}


class Sample:
    """The simulated full book and the two files being written."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.book = OrderBook("SMPL", tick_size="0.01")
        self.ns = 34_200 * 10**9
        self.next_id = 1
        self.messages: list[str] = []
        self.rows: list[str] = []

    # -- the book ---------------------------------------------------------------------------

    def top(self) -> list[tuple[int, int]]:
        asks = [(p, q) for p, q, _ in self.book.level_ticks("ask", LEVELS)]
        bids = [(p, q) for p, q, _ in self.book.level_ticks("bid", LEVELS)]
        return asks + [(0, 0)] * (LEVELS - len(asks)) + bids + [(0, 0)] * (LEVELS - len(bids))

    def row(self) -> str:
        asks = self.book.level_ticks("ask", LEVELS)
        bids = self.book.level_ticks("bid", LEVELS)
        cells: list[int] = []
        for i in range(LEVELS):
            cells += [asks[i][0] * SCALE, asks[i][1]] if i < len(asks) else [9999999999, 0]
            cells += [bids[i][0] * SCALE, bids[i][1]] if i < len(bids) else [-9999999999, 0]
        return ",".join(map(str, cells))

    def write(self, kind: int, order_id: int, size: int, price: int, direction: int) -> None:
        seconds, ns = divmod(self.ns, 10**9)
        self.messages.append(f"{seconds}.{ns:09d},{kind},{order_id},{size},{price},{direction}")
        self.rows.append(self.row())

    def event(self, command, kind: int, order_id: int, size: int, price: int, side: str) -> None:
        """Apply one command; write it if it changed the top levels (LOBSTER's window)."""
        before = self.top()
        self.book.apply(command, self.ns)
        if self.top() != before:
            self.write(kind, order_id, size, price * SCALE, DIRECTION[side])

    def tick(self) -> None:
        self.ns += self.rng.choice((0, 137, 1_000, 250_000, 30_000_000, 400_000_000))

    # -- order flow -------------------------------------------------------------------------

    def submit(self, side: str, price: int, size: int, *, write: bool = True) -> int:
        order_id, self.next_id = self.next_id, self.next_id + 1
        command = SubmitOrder(side, size, price, owner="sample", order_id=order_id)  # type: ignore[arg-type]
        if write:
            self.event(command, 1, order_id, size, price, side)
        else:
            self.book.apply(command, self.ns)
        return order_id

    def random_order(self, side: str) -> None:
        best = self.book.best_bid_ticks if side == "buy" else self.book.best_ask_ticks
        other = self.book.best_ask_ticks if side == "buy" else self.book.best_bid_ticks
        assert best is not None and other is not None
        away = self.rng.choice((-1, 0, 0, 1, 1, 2, 3, 4, 5))
        price = best - away if side == "buy" else best + away
        if (side == "buy" and price >= other) or (side == "sell" and price <= other):
            price = best
        self.submit(side, price, self.rng.choice((1, 5, 10, 18, 50, 100, 100, 200)))

    def take(self, side: str) -> None:
        """A marketable order: one execution row per resting order it hits, FIFO."""
        wanted = self.rng.choice((1, 10, 40, 100, 150))
        resting = "ask" if side == "buy" else "bid"
        level = self.book.level_ticks(resting, 1)[0][0]
        for order_id, qty in self.book.queue(resting, level / 100):  # type: ignore[arg-type]
            fill = min(wanted, int(qty))
            other_side = "sell" if side == "buy" else "buy"
            self.event(ExecuteOrder(order_id, fill), 4, order_id, fill, level, other_side)
            wanted -= fill
            if not wanted:
                break

    def random_cancel(self) -> None:
        orders = list(self.book.engine.book.orders.values())
        order = self.rng.choice(orders)
        side, price = order.side, order.price_ticks
        if order.qty_lots > 1 and self.rng.random() < 0.25:
            cut = self.rng.randint(1, order.qty_lots - 1)
            command = ReplaceOrder(order.order_id, qty_lots=order.qty_lots - cut)
            self.event(command, 2, order.order_id, cut, price, side)
        else:
            command = CancelOrder(order.order_id)
            self.event(command, 3, order.order_id, order.qty_lots, price, side)

    def hidden(self) -> None:
        bid, ask = self.book.best_bid_ticks, self.book.best_ask_ticks
        assert bid is not None and ask is not None
        if ask - bid >= 2:  # a hidden order inside the spread; midpoints can be half a cent
            price = self.rng.randint(bid * 2 + 1, ask * 2 - 1) * SCALE // 2
            self.write(5, 0, self.rng.choice((1, 100)), price, self.rng.choice((1, -1)))

    def not_fifo(self) -> None:
        """Two orders at a new best bid; NASDAQ-style, the later one is executed first."""
        bid, ask = self.book.best_bid_ticks, self.book.best_ask_ticks
        assert bid is not None and ask is not None
        price = bid + 1 if ask - bid >= 2 else bid
        first = self.submit("buy", price, 30)
        self.tick()
        second = self.submit("buy", price, 20)
        self.tick()
        self.event(ExecuteOrder(second, 20), 4, second, 20, price, "buy")
        assert any(order_id == first for order_id, _ in self.book.queue("bid", price / 100))

    def run(self) -> None:
        # Before the window: orders resting at 09:30 that the message file never shows.
        for depth in range(6):
            for _ in range(self.rng.randint(1, 3)):
                self.submit("buy", 9_990 - depth, self.rng.choice((10, 100, 300)), write=False)
                self.submit("sell", 9_995 + depth, self.rng.choice((10, 100, 300)), write=False)
        self.next_id = 1_000  # window orders have larger ids, like NASDAQ's
        step = 0
        while len(self.messages) < MESSAGES:
            step += 1
            self.tick()
            for side, book_side in (("buy", "bid"), ("sell", "ask")):
                if len(self.book.level_ticks(book_side)) < 4:  # keep some depth
                    best = self.book.level_ticks(book_side)[-1][0]
                    self.submit(side, best - 2 if side == "buy" else best + 2, 100)
            if step == 120:
                self.not_fifo()
            elif step == 200:
                self.write(6, 0, 500, self.book.level_ticks("bid", 1)[0][0] * SCALE, -1)
            elif step == 260:
                for signal in (-1, 0, 1):
                    self.write(7, 0, 0, signal, -1)
                    self.tick()
            roll = self.rng.random()
            if roll < 0.45:
                self.random_order(self.rng.choice(("buy", "sell")))
            elif roll < 0.80:
                self.random_cancel()
            elif roll < 0.93:
                self.take(self.rng.choice(("buy", "sell")))
            else:
                self.hidden()
        del self.messages[MESSAGES:], self.rows[MESSAGES:]


def generate(seed: int = SEED) -> tuple[str, str]:
    """The message file and orderbook file contents for ``seed``."""
    sample = Sample(seed)
    sample.run()
    return "\n".join(sample.messages) + "\n", "\n".join(sample.rows) + "\n"


def main(folder: Path = HERE) -> None:
    messages, orderbook = generate()
    (folder / NAME.format(kind="message")).write_text(messages)
    (folder / NAME.format(kind="orderbook")).write_text(orderbook)


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else HERE)
