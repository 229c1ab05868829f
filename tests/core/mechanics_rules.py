"""The state machine's rules for the exchange mechanics: stops, phases and auctions.

A mixin of ``test_properties.MatchingMachine`` (whose ``book``, ``ref`` and checks it uses);
Hypothesis collects rules and invariants from the whole class hierarchy.
"""

from __future__ import annotations

from hypothesis import assume
from hypothesis import strategies as st
from hypothesis.stateful import invariant, precondition, rule
from machine_support import (
    owners,
    price_of,
    price_ticks,
    quantities,
    sides,
    snapshot,
    stp_modes,
    ticks_of,
    trades_of,
)
from reference_book import RefusedError, reached

from marketsim import InvalidCommandError, OrderBook
from marketsim.core import OrderCancelled, StopTriggered


class MechanicsRules:
    """Rules and invariants for stops, phases and auctions (see the module docstring)."""

    @rule(
        side=sides,
        qty=quantities,
        stop=price_ticks,
        limit=st.none() | price_ticks,
        tif=st.sampled_from(("GTC", "GTC", "IOC", "FOK")),
        owner=owners,
        stp=stp_modes,
    )
    def submit_stop(self, side, qty, stop, limit, tif, owner, stp) -> None:
        before = snapshot(self.book)
        result = self.book.submit(
            side,
            qty,
            price=None if limit is None else price_of(limit),
            stop_price=price_of(stop),
            tif=tif,
            owner=owner,
            stp=stp or None,
            ts_event=self.next_ts(),
        )
        outcome = self.ref.submit(side, qty, limit, tif, False, owner, stop=stop, stp=stp)
        self.owner_of[outcome.order_id] = owner
        self.check_batch(result, before, outcome)

    @precondition(lambda self: self.ref.stops)
    @rule(data=st.data(), stop=st.none() | price_ticks, qty=st.none() | quantities)
    def replace_stop(self, data, stop, qty) -> None:
        order_id = data.draw(st.sampled_from(self.stop_ids()), label="order_id")
        assume(stop is not None or qty is not None)
        before = snapshot(self.book)
        try:
            outcome = self.ref.replace_stop(order_id, stop, qty, None)
        except RefusedError:
            self.assert_refused(
                before,
                lambda: self.book.replace(
                    order_id, qty=qty, stop_price=None if stop is None else price_of(stop)
                ),
            )
            return
        result = self.book.replace(
            order_id,
            qty=qty,
            stop_price=None if stop is None else price_of(stop),
            ts_event=self.next_ts(),
        )
        self.check_batch(result, before, outcome)
        assert result.events[0].priority_kept == outcome.priority_kept

    @rule(phase=st.sampled_from(("continuous", "continuous", "auction", "halted")))
    def set_phase(self, phase) -> None:
        before = snapshot(self.book)
        try:
            outcome = self.ref.set_phase(phase)
        except RefusedError:
            try:
                self.book.set_phase(phase)
            except InvalidCommandError:
                self.assert_unchanged(before)
                return
            raise AssertionError(f"set_phase({phase!r}) twice was accepted") from None
        result = self.book.set_phase(phase, ts_event=self.next_ts())
        assert self.book.phase == phase
        assert trades_of(result.events) == outcome.trades
        triggered = [e.order_id for e in result.events if isinstance(e, StopTriggered)]
        assert triggered == outcome.triggered
        self.check_deltas(result.events, before)

    @precondition(lambda self: self.ref.phase == "auction")
    @rule()
    def uncross(self) -> None:
        before = snapshot(self.book)
        expected = self.ref.indicative()
        result = self.book.uncross(ts_event=self.next_ts())
        outcome = self.ref.uncross()
        assert trades_of(result.events) == outcome.trades
        assert result.matched_lots == (0 if expected is None else expected[1])
        remainders = [
            (e.qty_lots, e.reason) for e in result.events if isinstance(e, OrderCancelled)
        ]
        assert remainders == outcome.cancelled
        self.check_deltas(result.events, before)
        bid, ask = self.book.best_bid_ticks, self.book.best_ask_ticks
        assert bid is None or ask is None or bid < ask, "a cross rests after the uncross"
        assert not self.book.engine.auction_orders

    @invariant()
    def phase_stops_and_indication_equal_the_reference(self) -> None:
        assert self.book.phase == self.ref.phase
        assert self.book.engine.last_trade_ticks == self.ref.last_trade
        for side in ("buy", "sell"):
            stops = [(i, ticks_of(p), q) for i, p, q in self.book.stops(side)]
            assert stops == self.ref.pending_stops(side)
        expected = self.ref.indicative()
        indication = self.book.indicative()
        if expected is None:
            assert indication is None
        else:
            price, matched, imbalance, side = indication
            assert (ticks_of(price), matched, imbalance, side) == expected

    @invariant()
    def no_pending_stop_is_already_reached(self) -> None:
        if self.ref.phase != "continuous":
            return  # stops wait for continuous trading
        last = self.book.engine.last_trade_ticks
        for side in ("buy", "sell"):
            for order_id, stop, _ in self.book.stops(side):
                assert not reached(side, ticks_of(stop), last), (order_id, stop, last)

    def teardown(self) -> None:
        """The event log of the whole run replays into the same book."""
        rebuilt = OrderBook.replay(self.book.events)
        assert snapshot(rebuilt)[1:] == snapshot(self.book)[1:]
        assert rebuilt.phase == self.book.phase
        for side in ("buy", "sell"):
            assert rebuilt.stops(side) == self.book.stops(side)
