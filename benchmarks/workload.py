"""The engine benchmark's workload: one instrument's order flow, drawn once as plain tuples.

About 60% limit orders priced around a fixed mid (roughly a quarter of them priced through it,
so they trade at once), 10% market orders and 30% cancels of orders that are live at that
moment, with quantities of 1 to 100 lots. It is drawn from a seeded ``random.Random`` run
through the pure ``MatchingEngine`` once: the engine assigns order ids 1, 2, 3, ... and its
events say which orders are still live, so each cancel names a live order.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from marketsim.core.commands import CancelOrder, SubmitOrder
from marketsim.core.events import Event, OrderAccepted, OrderCancelled, Trade
from marketsim.core.matching import MatchingEngine

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
