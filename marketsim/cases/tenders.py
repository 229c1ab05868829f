"""``TenderDesk``: the house's private tender offers during one heat.

An offer goes to one participant, who may accept it (the position and cash change at once, at
the offer's price: a trade with the house, away from the book, without fees), decline it, or
let it expire, which counts as a decline. Each step is logged as a case event.
"""

from __future__ import annotations

from collections.abc import Mapping

from marketsim.cases.clock import NS_PER_SECOND
from marketsim.cases.events import CaseEvent, TenderOffered, TenderResolved
from marketsim.cases.market import CaseMarket
from marketsim.cases.model import TenderSpec
from marketsim.errors import InvalidCommandError, NotFoundError
from marketsim.sim.view import AgentState


class TenderDesk:
    """Tenders of heat ``heat``: booked in ``market``'s ledger and in the agents' ``states``
    ({symbol: {owner: AgentState}}), logged to ``log``."""

    def __init__(
        self,
        heat: int,
        market: CaseMarket,
        states: Mapping[str, Mapping[str, AgentState]],
        log: list[CaseEvent],
    ) -> None:
        self.heat = heat
        self._market = market
        self._states = states
        self._log = log
        self._offers: dict[int, TenderOffered] = {}
        self._outcomes: dict[int, str] = {}
        #: The offers not answered yet, by id.
        self.open: dict[int, TenderOffered] = {}

    def offer(self, ts_ns: int, spec: TenderSpec, owner: str) -> TenderOffered:
        """Offer ``spec`` to ``owner`` at ``ts_ns``; it expires ``spec.expires`` s later."""
        tender = TenderOffered(
            self.heat,
            ts_ns,
            len(self._offers) + 1,
            owner,
            spec.symbol,
            spec.side,
            spec.qty,
            spec.price,
            ts_ns + round(spec.expires * NS_PER_SECOND),
        )
        self._offers[tender.tender_id] = self.open[tender.tender_id] = tender
        self._log.append(tender)
        return tender

    def of(self, owner: str, *, open_only: bool = False) -> list[TenderOffered]:
        """The tenders offered to ``owner`` (only those still open if asked)."""
        source = self.open if open_only else self._offers
        return [tender for tender in source.values() if tender.owner == owner]

    def tender(self, tender_id: int) -> TenderOffered:
        """The offer of tender ``tender_id``."""
        try:
            return self._offers[tender_id]
        except (KeyError, TypeError):
            raise NotFoundError(f"no tender {tender_id!r:.40} in heat {self.heat}") from None

    def outcome(self, tender_id: int) -> str | None:
        """ "accepted", "declined", "expired", or None while the tender is open."""
        self.tender(tender_id)
        return self._outcomes.get(tender_id)

    def answer(self, owner: str, tender_id: int, outcome: str, now_ns: int) -> None:
        """``owner``'s answer ("accepted" or "declined") at ``now_ns``; one that comes at or
        after the deadline expires the tender and raises."""
        tender = self.open.get(tender_id)
        if tender is None or tender.owner != owner:
            raise NotFoundError(f"no open tender {tender_id!r:.40} for {owner!r:.40}")
        if now_ns >= tender.expires_ns:
            self.resolve(tender_id, "expired", tender.expires_ns)
            raise InvalidCommandError(f"tender {tender_id} expired")
        self.resolve(tender_id, outcome, now_ns)

    def resolve(self, tender_id: int, outcome: str, ts_ns: int) -> None:
        """Close an open tender with ``outcome``, booking it if accepted."""
        tender = self.open.pop(tender_id)
        if outcome == "accepted":
            instrument = self._market.exchange[tender.symbol].instrument
            lots = instrument.qty_to_lots(tender.qty)
            ticks = instrument.price_to_ticks(tender.price)
            self._market.ledger.book_off_exchange(
                tender.owner, tender.symbol, tender.side, ticks, lots
            )
            state = self._states[tender.symbol].get(tender.owner)
            if state is not None:
                state.account.fill(tender.side == "buy", ticks, lots, 0)
        self._outcomes[tender_id] = outcome
        self._log.append(TenderResolved(self.heat, ts_ns, tender_id, tender.owner, outcome))


__all__ = ["TenderDesk"]
