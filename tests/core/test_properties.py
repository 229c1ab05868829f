"""Property tests: a Hypothesis state machine drives ``OrderBook`` and a naive reference book.

Every step sends the same random command to both and compares what happened (order ids,
trades, rejections, cancellations, status) and how the books look afterwards (levels, queues);
invariants of the book and of its event log are checked after every step.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
)
from machine_support import (
    HIGH_TICKS,
    LOW_TICKS,
    TICK,
    ladder,
    owners,
    price_of,
    price_ticks,
    quantities,
    queues,
    sides,
    snapshot,
    stp_modes,
    ticks_of,
    trades_of,
)
from mechanics_rules import MechanicsRules
from reference_book import Outcome, ReferenceBook, RefusedError

from marketsim import InvalidCommandError, OrderBook, PermissionDeniedError, UnknownOrderError
from marketsim.core import (
    BookDelta,
    ExecuteOrder,
    OrderAccepted,
    OrderCancelled,
    OrderRejected,
    OrderReplaced,
    OrderResult,
    PhaseChanged,
    StopTriggered,
    Trade,
)


@dataclass
class Ledger:
    """One order's quantity accounting, built from the event log alone."""

    budget: int  # original qty, adjusted by every replace of the open qty
    filled: int = 0
    cancelled: int = 0


# -- malformed commands: each must raise InvalidCommandError and change nothing --------------

MALFORMED_SUBMITS = [
    {"side": "hold", "qty": 1, "price": Decimal("100")},
    {"side": "BUY", "qty": 1, "price": Decimal("100")},
    {"side": None, "qty": 1},
    {"side": "buy", "qty": 0, "price": Decimal("100")},
    {"side": "sell", "qty": -3, "price": Decimal("100")},
    {"side": "buy", "qty": 1.5, "price": Decimal("100")},
    {"side": "buy", "qty": True, "price": Decimal("100")},
    {"side": "buy", "qty": float("nan")},
    {"side": "buy", "qty": float("inf")},
    {"side": "buy", "qty": "lots"},
    {"side": "buy", "qty": None},
    {"side": "buy", "qty": 1, "price": Decimal("100.005")},
    {"side": "sell", "qty": 1, "price": 0},
    {"side": "sell", "qty": 1, "price": -100},
    {"side": "sell", "qty": 1, "price": float("nan")},
    {"side": "sell", "qty": 1, "price": float("-inf")},
    {"side": "sell", "qty": 1, "price": True},
    {"side": "sell", "qty": 1, "price": [100]},
    {"side": "buy", "qty": 1, "price": Decimal("100"), "tif": "DAY"},
    {"side": "buy", "qty": 1, "price": Decimal("100"), "tif": "ioc"},
    {"side": "buy", "qty": 1, "post_only": True},
    {"side": "buy", "qty": 1, "price": Decimal("100"), "tif": "IOC", "post_only": True},
    {"side": "buy", "qty": 1, "price": Decimal("100"), "tif": "FOK", "post_only": True},
    {"side": "buy", "qty": 1, "price": Decimal("100"), "post_only": "yes"},
    {"side": "buy", "qty": 1, "price": Decimal("100"), "owner": 7},
    {"side": "buy", "qty": 1, "price": Decimal("100"), "ts_event": -1},
    {"side": "buy", "qty": 1, "price": Decimal("100"), "ts_event": 1.5},
    {"side": "buy", "qty": 1, "price": Decimal("100"), "ts_event": True},
]

BAD_ORDER_IDS = [0, -1, 1.0, "1", None, True]

#: Replace arguments that are malformed whatever the order: (qty, price) keyword pairs.
MALFORMED_REPLACES = [
    {},
    {"qty": 0},
    {"qty": -2},
    {"qty": 2.5},
    {"qty": "two"},
    {"price": Decimal("100.001")},
    {"price": 0},
    {"price": float("nan")},
    {"qty": 1, "price": -1},
    {"qty": 1, "ts_event": -5},
]


class MatchingMachine(MechanicsRules, RuleBasedStateMachine):
    """Drives an ``OrderBook`` and a ``ReferenceBook`` with identical commands."""

    def __init__(self) -> None:
        super().__init__()
        self.book = OrderBook("TEST", tick_size=str(TICK), lot_size=1)
        self.ref = ReferenceBook()
        self.owner_of: dict[int, str] = {}
        self.ledger: dict[int, Ledger] = {}
        self.seq_checked = 0  # events whose seq has been checked
        self.ledger_read = 0  # events already entered in the ledger
        self.ts = 0

    # -- plumbing -----------------------------------------------------------------------------

    def next_ts(self) -> int | None:
        """Alternate between explicit, non-decreasing ts_event values and the book's default."""
        self.ts += 1
        return self.ts if self.ts % 3 else None

    def live_ids(self) -> list[int]:
        return self.ref.live_ids()

    def resting_ids(self) -> list[int]:
        return sorted(o.order_id for o in self.ref.resting if o.price is not None)

    def stop_ids(self) -> list[int]:
        return sorted(stop.order_id for stop in self.ref.stops)

    def finished_ids(self) -> list[int]:
        live = set(self.live_ids())
        return [i for i in range(1, self.ref.last_order_id + 1) if i not in live]

    def check_batch(self, result: OrderResult, before: tuple, outcome: Outcome) -> None:
        """Compare one command's result and event batch with the reference's outcome."""
        events = result.events
        assert list(self.book.events)[-len(events) :] == events, "batch missing from the log"
        assert len(self.book.events) == before[0] + len(events)
        assert result.order_id == outcome.order_id
        assert trades_of(events) == outcome.trades
        rejected = [e.reason for e in events if isinstance(e, OrderRejected)]
        assert rejected == ([] if outcome.rejected is None else [outcome.rejected])
        cancelled = [
            (e.qty_lots, e.reason)
            for e in events
            if isinstance(e, OrderCancelled) and e.order_id == outcome.order_id
        ]
        assert cancelled == outcome.cancelled
        assert [e.order_id for e in events if isinstance(e, StopTriggered)] == outcome.triggered
        assert result.status == outcome.status
        cancel_reason = outcome.cancelled[0][1] if outcome.status == "cancelled" else None
        assert result.reason == (outcome.rejected or cancel_reason)
        assert (result.filled_qty, result.leaves_qty) == (outcome.filled, outcome.leaves)
        self.check_deltas(events, before)

    def check_deltas(self, events: list, before: tuple) -> None:
        """Check the batch's ``BookDelta`` events against the ladder before and after.

        Deltas close the batch and only the last says so; every level that changed has one,
        showing its new total and order count; the action is "add" for a new level, "delete"
        for an emptied one, else "update".
        """
        kinds = [type(e) for e in events]
        deltas = [e for e in events if isinstance(e, BookDelta)]
        one_batch = PhaseChanged not in kinds  # leaving an auction can log two batches
        if one_batch:
            assert kinds[len(kinds) - len(deltas) :] == [BookDelta] * len(deltas)
            assert [d.last for d in deltas] == [False] * (len(deltas) - 1) + [True] * bool(deltas)
        after = ladder(self.book)
        delta_state = {(d.side, d.price_ticks): (d.qty_lots, d.order_count) for d in deltas}
        existed = {(side, p) for side in ("bid", "ask") for p, _, _ in before[2][side]}
        for d in deltas if one_batch else []:
            if d.order_count == 0:
                assert d.action == "delete" and (d.side, d.price_ticks) in existed, d
            else:
                assert d.action == ("update" if (d.side, d.price_ticks) in existed else "add"), d
        for side in ("bid", "ask"):
            old = {p: (q, n) for p, q, n in before[2][side]}
            new = {p: (q, n) for p, q, n in after[side]}
            for price in old.keys() | new.keys():
                state = new.get(price, (0, 0))
                if old.get(price) != state:
                    assert delta_state.get((side, price)) == state, (side, price, deltas)
            for (delta_side, price), state in delta_state.items():
                if delta_side == side:
                    assert new.get(price, (0, 0)) == state

    def assert_unchanged(self, before: tuple) -> None:
        assert snapshot(self.book) == before

    def assert_refused(self, before: tuple, replace) -> None:
        """A replace the reference refuses: the book raises ``InvalidCommandError``, or in a
        halt returns it rejected with reason "halted"; either way nothing changes."""
        try:
            result = replace()
        except InvalidCommandError:
            pass
        else:
            assert self.ref.phase == "halted"
            assert (result.status, result.reason, result.events) == ("rejected", "halted", [])
        self.assert_unchanged(before)

    # -- commands -----------------------------------------------------------------------------

    @initialize(
        bids=st.lists(st.tuples(quantities, st.integers(LOW_TICKS, 10_000)), max_size=4),
        asks=st.lists(st.tuples(quantities, st.integers(10_000, HIGH_TICKS)), max_size=4),
    )
    def seed_book(self, bids, asks) -> None:
        """Start from a book with some depth (orders may still cross each other here)."""
        for side, orders in (("buy", bids), ("sell", asks)):
            for qty, ticks in orders:
                self.submit_limit(side, qty, ticks, "GTC", False, "alice", "")

    @rule(
        side=sides,
        qty=quantities,
        ticks=price_ticks,
        tif=st.sampled_from(("GTC", "GTC", "IOC", "FOK")),
        post_only=st.booleans(),
        owner=owners,
        stp=stp_modes,
        display=st.none() | st.integers(1, 3),
    )
    def submit_limit(self, side, qty, ticks, tif, post_only, owner, stp, display=None) -> None:
        post_only = post_only and tif == "GTC"
        display = display if display is not None and tif == "GTC" and display <= qty else None
        before = snapshot(self.book)
        result = self.book.submit(
            side,
            qty,
            price=price_of(ticks),
            tif=tif,
            post_only=post_only,
            owner=owner,
            stp=stp or None,
            display_qty=display,
            ts_event=self.next_ts(),
        )
        outcome = self.ref.submit(
            side, qty, ticks, tif, post_only, owner, display=display or 0, stp=stp
        )
        self.owner_of[outcome.order_id] = owner
        self.check_batch(result, before, outcome)

    @rule(
        side=sides,
        qty=st.integers(1, 20),
        tif=st.sampled_from(("GTC", "IOC", "FOK")),
        stp=stp_modes,
    )
    def submit_market(self, side, qty, tif, stp) -> None:
        before = snapshot(self.book)
        result = self.book.submit(
            side, qty, tif=tif, owner="bob", stp=stp or None, ts_event=self.next_ts()
        )
        outcome = self.ref.submit(side, qty, None, tif, owner="bob", stp=stp)
        self.owner_of[outcome.order_id] = "bob"
        self.check_batch(result, before, outcome)
        if self.ref.phase == "continuous":
            assert result.leaves_qty == 0, "a market order rested"

    @precondition(lambda self: self.ref.live_ids())
    @rule(data=st.data(), as_owner=st.booleans())
    def cancel_live(self, data, as_owner) -> None:
        order_id = data.draw(st.sampled_from(self.live_ids()), label="order_id")
        owner = self.owner_of[order_id] if as_owner else None
        before = snapshot(self.book)
        result = self.book.cancel(order_id, owner=owner, ts_event=self.next_ts())
        outcome = self.ref.cancel(order_id)
        self.check_batch(result, before, outcome)

    @precondition(lambda self: self.ref.resting)
    @rule(
        data=st.data(),
        change=st.sampled_from(("qty", "price", "both")),
        qty=quantities,
        ticks=price_ticks,
    )
    def replace_live(self, data, change, qty, ticks, order_id=None) -> None:
        if order_id is None:
            order_id = data.draw(st.sampled_from(self.live_ids()), label="order_id")
        if order_id in self.stop_ids():
            return
        old = self.ref.find(order_id)
        old_price, old_qty = old.price, old.open
        new_qty = None if change == "price" else qty
        new_ticks = None if change == "qty" else ticks
        before = snapshot(self.book)
        try:
            outcome = self.ref.replace(order_id, new_qty, new_ticks)
        except RefusedError:
            self.assert_refused(
                before,
                lambda: self.book.replace(
                    order_id,
                    qty=new_qty,
                    price=None if new_ticks is None else price_of(new_ticks),
                ),
            )
            return
        result = self.book.replace(
            order_id,
            qty=new_qty,
            price=None if new_ticks is None else price_of(new_ticks),
            ts_event=self.next_ts(),
        )
        self.check_batch(result, before, outcome)
        replaced = result.events[0]
        assert isinstance(replaced, OrderReplaced)
        assert (replaced.old_price_ticks, replaced.old_qty_lots) == (old_price, old_qty)
        assert replaced.price_ticks == (old_price if new_ticks is None else new_ticks)
        assert replaced.qty_lots == (old_qty if new_qty is None else new_qty)
        assert replaced.priority_kept == outcome.priority_kept

    @precondition(lambda self: self.ref.resting)
    @rule(data=st.data(), through=st.integers(0, 2), qty=st.none() | quantities)
    def replace_live_across_the_spread(self, data, through, qty) -> None:
        """Move an order to (or through) the best opposite price, when there is one."""
        order_id = data.draw(st.sampled_from(self.live_ids()), label="order_id")
        if order_id not in self.resting_ids():
            return
        order = self.ref.find(order_id)
        opposite = self.ref.levels("ask" if order.side == "buy" else "bid")
        if not opposite:
            return
        best = opposite[0][0]
        ticks = best + through if order.side == "buy" else best - through
        self.replace_live(data, "price" if qty is None else "both", qty or 1, ticks, order_id)

    @precondition(lambda self: any(o.price is not None for o in self.ref.resting))
    @rule(data=st.data(), part=st.sampled_from(("some", "all", "too_much")))
    def execute_resting_order(self, data, part) -> None:
        order_id = data.draw(st.sampled_from(self.resting_ids()), label="order_id")
        open_qty = self.ref.find(order_id).qty  # the shown quantity
        qty = {"all": open_qty, "too_much": open_qty + 1}.get(part) or data.draw(
            st.integers(1, open_qty), label="qty"
        )
        before = snapshot(self.book)
        if part == "too_much":
            try:
                self.book.execute(ExecuteOrder(order_id, qty), ts_event=self.next_ts())
            except InvalidCommandError:
                self.assert_unchanged(before)
            else:
                raise AssertionError(f"executing {qty} of order {order_id} ({open_qty} open)")
            return
        result = self.book.execute(ExecuteOrder(order_id, qty), ts_event=self.next_ts())
        self.check_batch(result, before, self.ref.execute(order_id, qty))

    @rule(data=st.data(), action=st.sampled_from(("cancel", "replace")))
    def change_order_that_is_not_live(self, data, action) -> None:
        candidates = st.integers(self.ref.last_order_id + 1, self.ref.last_order_id + 50)
        if self.finished_ids():
            candidates = st.sampled_from(self.finished_ids()) | candidates
        order_id = data.draw(candidates, label="order_id")
        assert not self.ref.is_live(order_id)
        before = snapshot(self.book)
        try:
            if action == "cancel":
                self.book.cancel(order_id)
            else:
                self.book.replace(order_id, qty=1)
        except UnknownOrderError:
            pass
        else:
            raise AssertionError(f"{action} of order {order_id} (not live) did not raise")
        self.assert_unchanged(before)

    @precondition(lambda self: self.ref.resting)
    @rule(data=st.data(), action=st.sampled_from(("cancel", "replace")))
    def change_order_of_someone_else(self, data, action) -> None:
        order_id = data.draw(st.sampled_from(self.live_ids()), label="order_id")
        before = snapshot(self.book)
        try:
            if action == "cancel":
                self.book.cancel(order_id, owner="mallory")
            else:
                self.book.replace(order_id, qty=1, owner="mallory")
        except PermissionDeniedError:
            pass
        else:
            raise AssertionError(f"{action} of order {order_id} by another owner succeeded")
        self.assert_unchanged(before)

    @rule(data=st.data(), kind=st.sampled_from(("submit", "cancel", "replace", "query")))
    def malformed_command(self, data, kind) -> None:
        live = self.live_ids()
        before = snapshot(self.book)
        try:
            if kind == "submit":
                kwargs = dict(data.draw(st.sampled_from(MALFORMED_SUBMITS), label="submit"))
                self.book.submit(kwargs.pop("side"), kwargs.pop("qty"), **kwargs)
            elif kind == "cancel":
                self.book.cancel(data.draw(st.sampled_from(BAD_ORDER_IDS), label="order_id"))
            elif kind == "replace":
                # A live id when there is one: the bad arguments must be caught all the same.
                order_id = data.draw(st.sampled_from(live or BAD_ORDER_IDS), label="order_id")
                kwargs = data.draw(st.sampled_from(MALFORMED_REPLACES), label="replace")
                self.book.replace(order_id, **kwargs)
            else:
                self.book.levels(data.draw(st.sampled_from(("buy", "BID", None)), label="side"))
        except InvalidCommandError:
            pass
        else:
            raise AssertionError(f"malformed {kind} was accepted")
        self.assert_unchanged(before)

    # -- invariants ---------------------------------------------------------------------------

    @invariant()
    def book_passes_its_integrity_check(self) -> None:
        self.book.check_integrity()

    @invariant()
    def book_is_never_crossed_at_rest(self) -> None:
        if self.ref.phase != "continuous":
            return  # an auction collects crossing orders
        bid, ask = self.book.best_bid_ticks, self.book.best_ask_ticks
        assert bid is None or ask is None or bid < ask, f"crossed: bid {bid} >= ask {ask}"

    @invariant()
    def levels_and_queues_equal_the_reference(self) -> None:
        expected = {side: self.ref.levels(side) for side in ("bid", "ask")}
        assert ladder(self.book) == expected
        assert {side: self.book.level_ticks(side) for side in ("bid", "ask")} == expected
        for (side, ticks), queue in queues(self.book).items():
            assert queue == self.ref.queue(side, ticks), (side, ticks)
        assert self.book.order_count == len(self.resting_ids())

    @invariant()
    def each_level_total_is_the_sum_of_its_shown_slices(self) -> None:
        for side in ("bid", "ask"):
            for price, qty, count in self.book.levels(side):
                queue = self.book.queue(side, price)
                level = self.book.engine.book.half(side).levels[ticks_of(price)]
                shown = [order.qty_lots for order in level.orders.values()]
                hidden = [order.hidden_lots for order in level.orders.values()]
                assert qty == sum(shown)
                assert [q for _, q in queue] == [s + h for s, h in zip(shown, hidden, strict=True)]
                assert count == len(queue) > 0
            assert self.book.levels(side, 2) == self.book.levels(side)[:2]

    @invariant()
    def each_queue_is_in_arrival_order(self) -> None:
        for queue in queues(self.book).values():
            arrivals = [self.ref.arrival_of(order_id) for order_id, _ in queue]
            assert arrivals == sorted(arrivals), f"queue {queue} is not first-in-first-out"

    @invariant()
    def seq_increases_by_one_without_gaps(self) -> None:
        events = self.book.events
        assert [e.seq for e in events[self.seq_checked :]] == list(
            range(self.seq_checked + 1, len(events) + 1)
        )
        assert self.book.seq == len(events)
        self.seq_checked = len(events)

    @invariant()
    def quantity_of_every_order_is_conserved(self) -> None:
        """original qty (with replace changes) == filled + cancelled + open, for every order."""
        events = self.book.events
        for event in events[self.ledger_read :]:
            if isinstance(event, OrderAccepted):
                self.ledger[event.order_id] = Ledger(event.qty_lots)
            elif isinstance(event, Trade):
                self.ledger[event.maker_order_id].filled += event.qty_lots
                if event.taker_order_id:  # 0: an outside counterparty (ExecuteOrder)
                    self.ledger[event.taker_order_id].filled += event.qty_lots
            elif isinstance(event, OrderCancelled):
                self.ledger[event.order_id].cancelled += event.qty_lots
            elif isinstance(event, OrderReplaced):
                self.ledger[event.order_id].budget += event.qty_lots - event.old_qty_lots
        self.ledger_read = len(events)
        open_qty = {i: q for queue in queues(self.book).values() for i, q in queue}
        for side in ("buy", "sell"):
            open_qty.update((i, q) for i, _, q in self.book.stops(side))
        open_qty.update((i, o.qty_lots) for i, o in self.book.engine.auction_orders.items())
        assert open_qty.keys() <= self.ledger.keys()
        for order_id, entry in self.ledger.items():
            leaves = open_qty.get(order_id, 0)
            assert entry.budget == entry.filled + entry.cancelled + leaves, (order_id, entry)
            if order_id in self.resting_ids():
                assert entry.filled == self.ref.find(order_id).filled


MatchingMachine.TestCase.settings = settings(
    max_examples=200,
    stateful_step_count=50,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
TestMatchingAgainstReferenceBook = MatchingMachine.TestCase
