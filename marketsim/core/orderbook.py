"""``OrderBook``: one instrument's matching engine with a friendly, notebook-ready face.

It speaks in the numbers people type (prices like 100.05, quantities in shares), converts them
to integer ticks and lots with validation, keeps the event log, and answers questions about the
book. Malformed input raises ``InvalidCommandError`` before anything changes.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator, Sequence
from decimal import Decimal

from marketsim.core import display
from marketsim.core.book import BookHalf, Level
from marketsim.core.bookview import BookView
from marketsim.core.commands import (
    CancelOrder,
    Command,
    SetPhase,
    SubmitOrder,
    Uncross,
    replace_in_units,
    submit_in_units,
)
from marketsim.core.engine import MatchingEngine
from marketsim.core.eventlog import EventLog, EventStore
from marketsim.core.events import CONTINUOUS, REASON_HALTED, Event, Phase, Trade
from marketsim.core.matching import OrderIds
from marketsim.core.replay import commands_from_events
from marketsim.core.results import AuctionResult, OrderResult, QueueSpot
from marketsim.core.types import (
    BOOK_SIDES,
    BookSide,
    Instrument,
)
from marketsim.errors import InvalidCommandError, MarketHaltedError


class OrderBook(BookView):
    """A limit order book for one instrument with price-time priority matching.

    >>> book = OrderBook("ACME", tick_size=0.01)
    >>> book.submit("sell", 10, price=100.05).status
    'new'
    >>> book.submit("buy", 4).trades[0].price
    100.05

    ``ts_event`` (integer nanoseconds) may be passed to every command; without it the book uses
    a deterministic counter (one more than the last time it saw), never the wall clock.
    Set ``keep_events=False`` to skip the in-memory event log (results still carry their
    events), e.g. for long simulations that record elsewhere.
    """

    def __init__(
        self,
        symbol: str | Instrument,
        tick_size: float | Decimal | str = 0.01,
        lot_size: float | Decimal | str = 1,
        *,
        keep_events: bool = True,
        order_ids: OrderIds | None = None,
    ) -> None:
        self.instrument = (
            symbol if isinstance(symbol, Instrument) else Instrument(symbol, tick_size, lot_size)
        )
        self.engine = MatchingEngine(order_ids)
        self._events: EventStore | None = EventStore() if keep_events else None
        self._last_ts = 0

    # -- identity ---------------------------------------------------------------------------

    @property
    def symbol(self) -> str:
        """The instrument's symbol."""
        return self.instrument.symbol

    @property
    def tick_size(self) -> Decimal:
        """The price grid step."""
        return self.instrument.tick_size

    @property
    def lot_size(self) -> Decimal:
        """The quantity grid step."""
        return self.instrument.lot_size

    @property
    def seq(self) -> int:
        """Sequence number of the last event (0 before any)."""
        return self.engine.seq

    @property
    def ts_event(self) -> int:
        """Time (int ns) of the last command applied, 0 before any."""
        return self._last_ts

    @property
    def events(self) -> EventLog:
        """The sequence-numbered event log (empty when ``keep_events=False``)."""
        return EventLog(self._events if self._events is not None else [], self.instrument)

    # -- commands ---------------------------------------------------------------------------

    def submit(
        self,
        side: str,
        qty: float | Decimal,
        price: float | Decimal | None = None,
        *,
        tif: str = "GTC",
        post_only: bool = False,
        owner: str = "",
        stop_price: float | Decimal | None = None,
        display_qty: float | Decimal | None = None,
        stp: str | None = None,
        ts_event: int | None = None,
    ) -> OrderResult:
        """Submit an order: a limit order at ``price``, or a market order when price is None.

        ``side`` is "buy" or "sell"; ``qty`` a positive multiple of the lot size; ``tif`` one of
        "GTC", "IOC", "FOK"; ``post_only`` orders are rejected rather than take liquidity.
        Prices and quantities follow the one rule of ``Instrument``: a number (int, float,
        Decimal) or a string that spells one exactly ("100.05"), never a bool. Every bad field
        is named in one error.

        ``stop_price`` makes a stop order: it waits, unseen, until a trade reaches that price
        (at or above it for a buy, at or below for a sell), then enters as a limit order at
        ``price`` or a market order. A stop whose price the last trade has already reached is
        rejected ("stop_price_reached"). ``display_qty`` makes an iceberg that shows that much
        at a time. ``stp`` ("cancel_newest", "cancel_oldest", "cancel_both", "decrement")
        prevents trading with resting orders of the same non-empty ``owner``.
        """
        command = submit_in_units(
            self.instrument, side, qty, price, tif, post_only, owner, stop_price, display_qty, stp
        )
        return self.execute(command, ts_event)

    def cancel(
        self, order_id: int, *, owner: str | None = None, ts_event: int | None = None
    ) -> OrderResult:
        """Cancel a live order. Unknown, filled or cancelled ids raise ``UnknownOrderError``."""
        return self.execute(CancelOrder(order_id, owner), ts_event)

    def replace(
        self,
        order_id: int,
        *,
        qty: float | Decimal | None = None,
        price: float | Decimal | None = None,
        owner: str | None = None,
        stop_price: float | Decimal | None = None,
        ts_event: int | None = None,
    ) -> OrderResult:
        """Change a live order's open quantity and/or price, keeping its id.

        Lowering the quantity keeps the order's place in its queue; raising it or changing the
        price sends the order to the back of the queue, and a new price that crosses trades at
        once (a post-only order that would cross is cancelled instead). An iceberg's ``qty``
        is its whole open quantity; a pending stop can also get a new ``stop_price``. During a
        halt a replace is rejected (reason "halted") and changes nothing.
        """
        command = replace_in_units(self.instrument, order_id, qty, price, owner, stop_price)
        return self.execute(command, ts_event)

    # -- phases and auctions ----------------------------------------------------------------

    @property
    def phase(self) -> Phase:
        """The trading phase: "continuous" (the default), "auction" or "halted"."""
        return self.engine.phase  # type: ignore[return-value]

    def set_phase(self, phase: str, *, ts_event: int | None = None) -> AuctionResult:
        """Move to another trading phase.

        "auction": orders collect (GTC limit and market; IOC and FOK are rejected with reason
        "auction_phase") and nothing matches. "halted": new orders are rejected with reason
        "halted", cancels are accepted. "continuous": matching resumes; leaving an auction
        with a crossed book uncrosses it first, and stops the auction price reached enter.
        """
        command = SetPhase(phase)  # type: ignore[arg-type]
        return AuctionResult(self.instrument, "set_phase", self.apply(command, ts_event))

    def indicative(self) -> tuple[float, int | float, int | float, str | None] | None:
        """``(price, matched_qty, imbalance_qty, imbalance_side)`` of an uncross now.

        None outside an auction, or when nothing would match. The rules that pick the price
        are in ``marketsim.core.auction``.
        """
        indication = self.engine.indicative()
        if indication is None:
            return None
        to_qty = self.instrument.lots_to_qty
        return (
            self.instrument.ticks_to_price(indication.price_ticks),
            to_qty(indication.matched_lots),
            to_qty(indication.imbalance_lots),
            indication.imbalance_side,
        )

    def uncross(self, *, ts_event: int | None = None) -> AuctionResult:
        """Run the auction: every match at one price, in price-time priority.

        The rest stays in the book, which stays in the auction phase (uncrossed) until
        ``set_phase("continuous")``; market orders it does not fill are cancelled.
        """
        return AuctionResult(self.instrument, "uncross", self.apply(Uncross(), ts_event))

    def stops(self, side: str) -> list[tuple[int, float, int | float]]:
        """Pending stop orders of one side ("buy" or "sell"), next to trigger first:
        ``[(order_id, stop_price, qty), ...]``."""
        if side not in ("buy", "sell"):
            raise InvalidCommandError(f"side must be 'buy' or 'sell', got {side!r:.80}")
        to_price, to_qty = self.instrument.ticks_to_price, self.instrument.lots_to_qty
        return [
            (stop.order_id, to_price(stop.stop_price_ticks), to_qty(stop.qty_lots))
            for stop in self.engine.stops.listed(side)
        ]

    def apply(self, command: Command, ts_event: int | None = None) -> list[Event]:
        """Apply a tick-level command (see ``marketsim.core.commands``) and return its events."""
        if ts_event is None:
            ts_event = self._last_ts + 1
        elif type(ts_event) is not int or ts_event < 0:
            raise InvalidCommandError(f"ts_event must be a non-negative int, got {ts_event!r}")
        events = self.engine.apply(command, ts_event)
        self._last_ts = ts_event
        if self._events is not None:
            self._events.extend_list(events)
        return events

    def record(self, events: Sequence[Event], ts_event: int) -> None:
        """Log ``events`` that ``self.engine`` made for commands, the last at ``ts_event``.

        For bulk loops (``sim.run``, the LOBSTER replay) that call the engine directly, to
        save this class's checks on every command: the log and ``ts_event`` then read as if
        each command had gone through ``apply``. ``events`` is a list or a batch of any number
        of commands' events, such as the compiled engine's ``EventBatch``, which the log keeps
        as it is (do not change it afterwards) and turns into event objects when first read.
        """
        self._last_ts = ts_event
        if self._events is not None:
            self._events.extend(events)

    def execute(self, command: Command, ts_event: int | None = None) -> OrderResult:
        """Apply a tick-level command and summarise it as an ``OrderResult``."""
        engine = self.engine
        filled_before = None  # the lots a named resting order had filled before the command
        if isinstance(command, SubmitOrder):
            action = "submit"
            events = self.apply(command, ts_event)
            order_id = events[0].order_id  # type: ignore[union-attr]
        else:
            action = type(command).__name__.removesuffix("Order").lower()
            order_id = command.order_id
            before = engine.resting_state(order_id)
            filled_before = None if before is None else before[3]
            try:
                events = self.apply(command, ts_event)
            except MarketHaltedError:
                return self._halted_result(order_id)
        state = engine.resting_state(order_id)
        waiting = engine_waiting(engine, order_id)
        if waiting is not None:  # a pending stop, or a market order waiting for the auction
            spot, filled, leaves = None, 0, waiting
        elif state is not None:
            price_ticks, position, count, filled, leaves = state
            spot = QueueSpot(self.instrument.ticks_to_price(price_ticks), position, count)
        else:
            # Gone from the book: every lot it filled meanwhile is in a trade of this command.
            spot, leaves = None, 0
            filled = (filled_before or 0) + sum(
                e.qty_lots
                for e in events
                if isinstance(e, Trade) and order_id in (e.taker_order_id, e.maker_order_id)
            )
        return OrderResult(self.instrument, action, order_id, events, filled, leaves, spot)  # type: ignore[arg-type]

    def _halted_result(self, order_id: int) -> OrderResult:
        """A replace refused by a halt: rejected with reason "halted"; nothing changed, so
        there are no events and the order is as it was."""
        order = self.engine.book.orders.get(order_id)
        leaves = engine_waiting(self.engine, order_id)
        if leaves is None:
            leaves = 0 if order is None else order.qty_lots + order.hidden_lots
        filled = 0 if order is None else order.filled_lots
        result = OrderResult(self.instrument, "replace", order_id, [], filled, leaves, None)
        result.status, result.reason = "rejected", REASON_HALTED
        return result

    # -- queries ----------------------------------------------------------------------------

    def _half(self, side: str) -> BookHalf:
        return self.engine.book.half(_checked_side(side))

    def iter_levels(self, side: BookSide, depth: int | None = None) -> Iterator[Level]:
        """The levels of one side from best to worst (engine objects, for display code)."""
        return itertools.islice(self._half(side).iter_levels(), depth)

    @property
    def order_count(self) -> int:
        """Number of live orders resting in the book."""
        return len(self.engine.book.orders)

    def level_ticks(self, side: BookSide, depth: int | None = None) -> list[tuple[int, int, int]]:
        """``[(price_ticks, qty_lots, order_count), ...]`` of one side, best first."""
        return self.engine.level_ticks(_checked_side(side), depth)

    def queue(self, side: BookSide, price: float | Decimal) -> list[tuple[int, int | float]]:
        """``[(order_id, leaves_qty), ...]`` at one price level, in time priority.

        An iceberg's leaves include its hidden size (the level shows only its slice).
        """
        level = self._half(side).levels.get(self.instrument.price_to_ticks(price))
        if level is None:
            return []
        to_qty = self.instrument.lots_to_qty
        return [
            (order.order_id, to_qty(order.qty_lots + order.hidden_lots))
            for order in level.orders.values()
        ]

    def check_integrity(self) -> None:
        """Raise ``AssertionError`` if a structural invariant of the book is broken.

        Outside continuous trading the book may be crossed (an auction collects orders).
        """
        self.engine.book.check_integrity(allow_cross=self.engine.phase != CONTINUOUS)

    # -- display (ladders come from BookView) ------------------------------------------------

    def __repr__(self) -> str:
        return display.summary_line(self, "OrderBook", f"{self.order_count} orders, ")

    # -- replay -----------------------------------------------------------------------------

    @classmethod
    def replay(
        cls, events: Iterable[Event], instrument: Instrument | None = None, **book_options
    ) -> OrderBook:
        """Rebuild a book from its event log by re-applying the commands the log records.

        Each re-applied command must reproduce exactly the logged events (same seq, trades,
        deltas); a log that does not is rejected with ``ValueError`` naming the first
        divergence. ``instrument`` defaults to the one an ``EventLog`` carries.
        """
        if instrument is None:
            if not isinstance(events, EventLog):
                raise InvalidCommandError("replay needs instrument= unless given an EventLog")
            instrument = events.instrument
        logged = list(events)
        book = cls(instrument, **book_options)
        position = 0
        for command, ts_event in commands_from_events(logged):
            produced = book.apply(command, ts_event)
            expected = logged[position : position + len(produced)]
            if produced != expected:
                raise ValueError(
                    f"event log diverges at seq {produced[0].seq}: replay produced "
                    f"{produced!r}, the log has {expected!r}"
                )
            position += len(produced)
        if position != len(logged):
            raise ValueError(f"event log has {len(logged) - position} events no command explains")
        return book


def _checked_side(side: str) -> BookSide:
    """``side`` if it names a side of the book ("bid" or "ask"); else InvalidCommandError."""
    if side not in BOOK_SIDES:
        raise InvalidCommandError(f"side must be one of {BOOK_SIDES}, got {side!r:.80}")
    return side  # type: ignore[return-value]


def engine_waiting(engine: MatchingEngine, order_id: int) -> int | None:
    """The open lots of a live order that waits outside the book (a pending stop, or a market
    order collected by an auction), else None."""
    if not (engine.stops.orders or engine.auction_orders):
        return None
    order = engine.stops.orders.get(order_id) or engine.auction_orders.get(order_id)
    return None if order is None else order.qty_lots


__all__ = ["EventLog", "OrderBook"]
