"""``BookTimeline``: an in-process order book with undo, redo and reset, for teaching.

The book's event log is the timeline. Every command adds one batch of events; undo drops the
last batch and rebuilds the book by replaying what remains (``OrderBook.replay``), so the book
after an undo is exactly the book that existed before that command, order ids included. Redo
replays the dropped batch again; a new command forgets whatever could have been redone.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from marketsim.core import Event, Instrument, OrderBook, Trade
from marketsim.core.results import AuctionResult, OrderResult

#: The queue at one level: ``(order_id, owner, shown qty)`` per order, in time priority.
Queue = tuple[tuple[int, str, int | float], ...]


@dataclass(frozen=True)
class Step:
    """One command on the timeline: what was asked, in words, and the events it produced."""

    label: str
    events: tuple[Event, ...]
    explanation: str

    @property
    def traded_order_ids(self) -> frozenset[int]:
        """The resting (maker) orders this step traded against."""
        return frozenset(e.maker_order_id for e in self.events if isinstance(e, Trade))


class BookTimeline:
    """An ``OrderBook`` whose commands can be undone, redone and reset.

    >>> timeline = BookTimeline()
    >>> _ = timeline.submit("sell", 5, 100.01, owner="alice")
    >>> _ = timeline.submit("buy", 2, 100.01, owner="bob")
    >>> timeline.book.best_ask
    (100.01, 3)
    >>> timeline.undo()
    True
    >>> timeline.book.best_ask
    (100.01, 5)
    """

    def __init__(self, symbol: str = "ACME", tick_size: float | Decimal | str = 0.01) -> None:
        self.instrument = Instrument(symbol, tick_size)
        self.book = OrderBook(self.instrument)
        self.steps: list[Step] = []
        self._undone: list[Step] = []

    # -- commands ---------------------------------------------------------------------------

    def submit(
        self,
        side: str,
        qty: float | Decimal,
        price: float | Decimal | None = None,
        **options,
    ) -> OrderResult:
        """``OrderBook.submit`` (same arguments), recorded as one step."""
        result = self.book.submit(side, qty, price, **options)
        self._record(describe_submit(side, qty, price, options), result)
        return result

    def cancel(self, order_id: int) -> OrderResult:
        """Cancel a resting order, recorded as one step."""
        result = self.book.cancel(order_id)
        self._record(f"cancel order {order_id}", result)
        return result

    def replace(self, order_id: int, **changes) -> OrderResult:
        """``OrderBook.replace`` (qty=, price=), recorded as one step."""
        result = self.book.replace(order_id, **changes)
        what = ", ".join(f"{name} {value}" for name, value in changes.items())
        self._record(f"replace order {order_id}: {what}", result)
        return result

    def set_phase(self, phase: str) -> AuctionResult:
        """Change the trading phase, recorded as one step."""
        result = self.book.set_phase(phase)
        self._record(f"phase -> {phase}", result)
        return result

    def uncross(self) -> AuctionResult:
        """Run the auction, recorded as one step."""
        result = self.book.uncross()
        self._record("uncross the auction", result)
        return result

    def _record(self, label: str, result: OrderResult | AuctionResult) -> None:
        self.steps.append(Step(label, tuple(result.events), result.explain()))
        self._undone.clear()

    # -- moving along the timeline ----------------------------------------------------------

    @property
    def can_undo(self) -> bool:
        """Whether there is a step to undo."""
        return bool(self.steps)

    @property
    def can_redo(self) -> bool:
        """Whether an undone step can be redone."""
        return bool(self._undone)

    def undo(self) -> bool:
        """Go back one step (rebuilding the book by replay); False when there is none."""
        if not self.steps:
            return False
        self._undone.append(self.steps.pop())
        self._rebuild()
        return True

    def redo(self) -> bool:
        """Apply the last undone step again; False when there is none."""
        if not self._undone:
            return False
        self.steps.append(self._undone.pop())
        self._rebuild()
        return True

    def reset(self) -> None:
        """An empty book and an empty timeline (nothing to undo or redo)."""
        self.steps.clear()
        self._undone.clear()
        self.book = OrderBook(self.instrument)

    def _rebuild(self) -> None:
        events = [event for step in self.steps for event in step.events]
        self.book = OrderBook.replay(events, self.instrument)

    # -- what the picture needs -------------------------------------------------------------

    def queues(self, side: str) -> list[tuple[float, Queue]]:
        """``[(price, queue), ...]`` of one side ("bid" or "ask"), best first; each queue lists
        the orders at that price in time priority with their owner and shown quantity."""
        to_price, to_qty = self.instrument.ticks_to_price, self.instrument.lots_to_qty
        return [
            (
                to_price(level.price_ticks),
                tuple(
                    (order.order_id, order.owner, to_qty(order.qty_lots))
                    for order in level.orders.values()
                ),
            )
            for level in self.book.iter_levels(side)  # type: ignore[arg-type]
        ]

    def queue_text(self) -> str:
        """Every level with its queue, asks above bids, e.g. ``ask 100.01: #1 alice 2, #2 bob 3``
        (the phase is named when it is not continuous)."""
        fmt = self.instrument.format_price

        def lines(side: str, levels: list[tuple[float, Queue]]) -> list[str]:
            return [
                f"{side} {fmt(self.instrument.price_to_ticks(price))}: "
                + ", ".join(f"#{order_id} {owner} {qty}" for order_id, owner, qty in queue)
                for price, queue in levels
            ]

        asks = lines("ask", self.queues("ask"))[::-1] or ["(no asks)"]
        bids = lines("bid", self.queues("bid")) or ["(no bids)"]
        phase = "" if self.book.phase == "continuous" else f" (phase: {self.book.phase})"
        return "\n".join([f"{self.instrument.symbol} queues{phase}", *asks, "--", *bids])


def describe_submit(side: str, qty: object, price: object, options: dict) -> str:
    """A submit in words, e.g. ``alice: sell 5 @ 100.01 GTC, iceberg showing 2``."""
    owner = options.get("owner") or "anonymous"
    where = "at market" if price is None else f"@ {price}"
    words = [f"{owner}: {side} {qty} {where} {options.get('tif', 'GTC')}"]
    if options.get("post_only"):
        words.append("post-only")
    if options.get("stop_price") is not None:
        words.append(f"stop at {options['stop_price']}")
    if options.get("display_qty") is not None:
        words.append(f"iceberg showing {options['display_qty']}")
    if options.get("stp"):
        words.append(f"self-trade prevention {options['stp']}")
    return ", ".join(words)
