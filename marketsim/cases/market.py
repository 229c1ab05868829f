"""``CaseMarket``: where a heat trades, in process or on a live server.

A heat needs an exchange to send orders to, the ledger that keeps the accounts, and someone to
tell about new events (the server's fan-out hub; nobody in a dry run). Between heats the same
market is reused: the end of a heat cancels every resting order and closes every position at
the settlement price, so the next heat starts from an empty book and flat accounts.
"""

from __future__ import annotations

from collections.abc import Callable

from marketsim.cases.model import Case, CaseFileError
from marketsim.core.commands import CancelOrder, Command
from marketsim.core.events import Event
from marketsim.core.exchange import Exchange
from marketsim.core.ledger import Fees, Ledger

Publish = Callable[[str, list[Event]], None]


class CaseMarket:
    """An exchange, its ledger, a ``publish(symbol, events)`` callback, and ``stamp``, which
    turns heat time into the events' ``ts_event`` (a server stamps wall time; by default
    events carry heat time)."""

    def __init__(
        self,
        exchange: Exchange,
        ledger: Ledger,
        publish: Publish | None = None,
        stamp: Callable[[int], int] | None = None,
    ) -> None:
        self.exchange = exchange
        self.ledger = ledger
        self.publish = publish
        self.stamp = stamp

    @classmethod
    def fresh(cls, case: Case) -> CaseMarket:
        """A new in-process market listing the case's instruments with its fees."""
        exchange = Exchange({spec.symbol: spec.instrument for spec in case.instruments})
        return cls(exchange, Ledger(exchange.instruments, dict(case.fees)))

    def check_lists(self, case: Case) -> None:
        """Refuse a market that does not list the case's instruments with its fees."""
        fees = dict(case.fees)
        for spec in case.instruments:
            book = self.exchange.get(spec.symbol)
            if book is None or book.instrument != spec.instrument:
                raise CaseFileError(
                    f"the market must list {spec.instrument} for case {case.name!r}"
                )
            if self.ledger.fees(spec.symbol) != fees.get(spec.symbol, Fees()):
                raise CaseFileError(
                    f"the market's fees of {spec.symbol} differ from case {case.name!r}'s"
                )

    def apply(self, symbol: str, command: Command, ts_ns: int) -> list[Event]:
        """Apply ``command`` at ``ts_ns``, book its events and publish them."""
        ts_event = ts_ns if self.stamp is None else self.stamp(ts_ns)
        events = self.exchange[symbol].apply(command, ts_event)
        self.ledger.apply(symbol, events)
        if self.publish is not None and events:
            self.publish(symbol, events)
        return events

    def clear_book(self, symbol: str, ts_ns: int) -> list[Event]:
        """Cancel every live order of ``symbol``: resting, pending stops, and market orders
        waiting for an auction; return the events."""
        engine = self.exchange[symbol].engine
        live = [*engine.book.orders, *engine.stop_orders, *engine.auction_orders]
        events: list[Event] = []
        for order_id in live:
            events += self.apply(symbol, CancelOrder(order_id), ts_ns)
        return events

    def close_position(self, owner: str, symbol: str, price_ticks: int) -> int:
        """Close ``owner``'s position in ``symbol`` at ``price_ticks``; return the lots it
        held (positive: long)."""
        lots = self.ledger.position(owner, symbol).lots
        if lots:
            side = "sell" if lots > 0 else "buy"
            self.ledger.book_off_exchange(owner, symbol, side, price_ticks, abs(lots))
        return lots


__all__ = ["CaseMarket"]
