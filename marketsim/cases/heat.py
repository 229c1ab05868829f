"""``Heat``: one run of a case on an in-process exchange, driven by a schedule and a clock.

A heat is deterministic. Everything that happens at a set time (phase changes, value steps,
news, tender offers and expiries, bot wake-ups, the end) sits in one timeline ordered by
(time, kind, arrival); ``advance(ts_ns)`` carries out everything due by ``ts_ns``. Randomness
comes from generators spawned from the heat's seed: one for each instrument's value, one for
each bot and one for each bot student, so the same seed gives the same heat.

Students act between timeline moments: ``submit``/``cancel`` (checked against the case's
limits), ``accept``/``decline`` a tender, read their ``news`` and ``tenders``. They are stamped
with the clock's time, which is what makes a real-time heat live and a simulated one exact.
"""

from __future__ import annotations

import heapq
import itertools
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

import numpy as np

from marketsim.cases.agents import CaseMarketView, StudentBot, build_bot
from marketsim.cases.clock import NS_PER_SECOND, Clock, SimulatedClock
from marketsim.cases.events import (
    CaseEvent,
    HeatChanged,
    NewsDelivered,
    PhaseSet,
    Settled,
    TenderOffered,
)
from marketsim.cases.fields import EVERYONE, ROLE_PREFIX
from marketsim.cases.market import CaseMarket
from marketsim.cases.model import Case, NewsSpec, TenderSpec
from marketsim.cases.tenders import TenderDesk
from marketsim.cases.value import FundamentalValue
from marketsim.core.commands import (
    CancelOrder,
    Command,
    ReplaceOrder,
    SetPhase,
    SubmitOrder,
    submit_in_units,
)
from marketsim.core.events import AuctionUncrossed, Event, Trade
from marketsim.errors import InvalidCommandError, NotFoundError, UnknownOrderError
from marketsim.sim import Agent
from marketsim.sim.view import AgentState, MarketState, route

# Timeline kinds, in the order they happen when they fall at the same time.
_PHASE, _VALUE, _NEWS, _TENDER, _EXPIRY, _AGENT, _END = range(7)
_OUTCOMES = {"accept": "accepted", "decline": "declined"}


class Heat:
    """Heat number ``number`` of ``case`` for ``participants`` ({name: role}).

    ``students`` are bot students ({name: StudentBot}, each a participant) that trade the
    case's first instrument; human students use the methods below instead.
    """

    def __init__(
        self,
        case: Case,
        number: int,
        participants: Mapping[str, str],
        students: Mapping[str, StudentBot] | None = None,
        clock: Clock | None = None,
        market: CaseMarket | None = None,
        groups: Mapping[str, tuple[str, ...]] | None = None,
    ) -> None:
        self.case = case
        self.number = number
        self.participants = dict(participants)
        #: Groups of participants beside their role ("role:NAME" reaches either).
        self.groups = dict(groups or {})
        self.clock = clock if clock is not None else SimulatedClock()
        self.end_ns = round(case.heat_seconds * NS_PER_SECOND)
        self.market = market if market is not None else CaseMarket.fresh(case)
        self.exchange = self.market.exchange
        #: The case's instruments (a server may list others, which the case leaves alone).
        self.symbols = [spec.symbol for spec in case.instruments]
        self.ledger = self.market.ledger
        self.limits = {
            spec.symbol: case.limits.in_lots(spec.instrument) for spec in case.instruments
        }
        self.log: list[CaseEvent] = []
        self.state = "ready"
        self.settlement_ticks: dict[str, int] = {}
        self._last_ns = 0
        self._cash_at_start: dict[tuple[str, str], float] = {}
        self._closing_ticks: dict[str, int] = {}
        #: The heat's trades: (time on the heat's clock in ns, symbol, Trade), in order.
        self.trades: list[tuple[int, str, Trade]] = []
        self._news: dict[str, list[NewsDelivered]] = {name: [] for name in self.participants}
        self._timeline: list[tuple[int, int, int, Any]] = []
        self._arrivals = itertools.count()  # ties in the timeline go to what was planned first

        clash = sorted({spec.name for spec in case.bots} & set(self.participants))
        if clash:
            raise InvalidCommandError(f"bot {clash[0]!r:.40} has a participant's name")
        bots = [(build_bot(spec, case.instrument(spec.symbol)), spec.symbol) for spec in case.bots]
        first = case.instruments[0].symbol
        students = dict(students or {})
        agents: list[tuple[Agent, str]] = bots + [(students[n], first) for n in sorted(students)]
        rngs = [
            np.random.default_rng(child)
            for child in np.random.SeedSequence(case.seed_of(number)).spawn(
                len(case.instruments) + len(agents)
            )
        ]
        self.values = {
            spec.symbol: FundamentalValue(spec, rng)
            for spec, rng in zip(case.instruments, rngs, strict=False)
        }
        #: Each instrument's fundamental value over the heat: [(ts_ns, ticks), ...].
        self.value_path = {symbol: [(0, value.ticks)] for symbol, value in self.values.items()}
        self._markets = {symbol: MarketState() for symbol in self.symbols}
        self._states: dict[str, dict[str, AgentState]] = {symbol: {} for symbol in self.symbols}
        self._agents: list[tuple[Agent, CaseMarketView, np.random.Generator, bool]] = []
        for (agent, symbol), rng in zip(agents, rngs[len(case.instruments) :], strict=True):
            state = self._states[symbol][agent.name] = AgentState()
            view = CaseMarketView(self.exchange[symbol], state, self._markets[symbol])
            self._agents.append((agent, view, rng, agent.name in self.participants))
        for name in self.participants:  # human students' states, so views and routing agree
            for symbol in self.symbols:
                self._states[symbol].setdefault(name, AgentState())
        self.desk = TenderDesk(number, self.market, self._states, self.log)
        self._schedule()

    # -- the timeline ---------------------------------------------------------------------------

    def _at(self, ts_ns: int, kind: int, payload: Any) -> None:
        heapq.heappush(self._timeline, (ts_ns, kind, next(self._arrivals), payload))

    def _schedule(self) -> None:
        seconds = NS_PER_SECOND
        for step in self.case.schedule:
            self._at(round(step.at * seconds), _PHASE, step.phase)
        for spec in self.case.instruments:
            self._at(round(spec.value.every * seconds), _VALUE, spec.symbol)
        for news_id, item in enumerate(self.case.news, 1):
            self._at(round(item.at * seconds), _NEWS, (news_id, item))
        for tender in self.case.tenders:
            self._at(round(tender.at * seconds), _TENDER, tender)
        self._at(self.end_ns, _END, None)

    def next_ns(self) -> int | None:
        """Time of the next timeline moment, or None once the heat has ended."""
        return self._timeline[0][0] if self._timeline and self.state != "ended" else None

    @property
    def now_ns(self) -> int:
        """The heat's time: the clock's, never before the last thing that happened."""
        self._last_ns = max(self._last_ns, min(self.clock.now_ns, self.end_ns))
        return self._last_ns

    @property
    def seconds_left(self) -> float:
        return max(0.0, (self.end_ns - self.now_ns) / NS_PER_SECOND)

    def start(self) -> None:
        """Open the heat: log it, start the agents and plan their first wake-ups."""
        if self.state != "ready":
            raise InvalidCommandError(f"heat {self.number} has already started")
        self.state = "running"
        self.log.append(HeatChanged(self.number, 0, "started", self.case.heat_seconds))
        for symbol in self.symbols:
            self.market.clear_book(symbol, 0)  # orders left from before the heat
            for name in self.participants:
                self._cash_at_start[name, symbol] = self.ledger.account(name, symbol).cash
        if not any(step.at == 0 for step in self.case.schedule):
            self._set_phase(0, "continuous")  # the schedule's own first step opens it otherwise
        for agent, view, rng, _ in self._agents:
            agent.start(view, rng)
        for index, (agent, view, rng, _) in enumerate(self._agents):
            self._wake_later(index, agent.next_wakeup(view, rng, 0))

    def _wake_later(self, index: int, ts_ns: int | None) -> None:
        if ts_ns is not None and ts_ns < self.end_ns:
            self._at(int(ts_ns), _AGENT, index)

    def advance(self, until_ns: int) -> None:
        """Carry out every timeline moment due at or before ``until_ns``."""
        if self.state == "ready":
            self.start()
        while self._timeline and self._timeline[0][0] <= until_ns and self.state == "running":
            ts, kind, _, payload = heapq.heappop(self._timeline)
            self._last_ns = max(self._last_ns, ts)
            if kind == _PHASE:
                self._set_phase(ts, payload)
            elif kind == _VALUE:
                self._step_value(ts, payload)
            elif kind == _NEWS:
                self._deliver(ts, *payload)
            elif kind == _TENDER:
                self._offer(ts, payload)
            elif kind == _EXPIRY:
                if payload in self.desk.open:
                    self.desk.resolve(payload, "expired", ts)
            elif kind == _AGENT:
                self._wake(ts, payload)
            else:
                self._end(ts)

    def finish(self) -> None:
        """End the heat now (the moderator's call): settle as if its time were up."""
        if self.state == "ready":
            self.start()
        if self.state == "running":
            self._end(self.now_ns)

    def run(self) -> None:
        """Run the heat to its end on its clock (at once on a simulated clock)."""
        while (ts := self.next_ns()) is not None:
            self.clock.wait_until(ts)
            self.advance(ts)

    # -- what the timeline does -----------------------------------------------------------------

    def _apply(self, symbol: str, command: Command, ts: int) -> list[Event]:
        events = self.market.apply(symbol, command, ts)
        route(events, self._states[symbol], self._markets[symbol])
        self._note(symbol, events, ts)
        return events

    def observe(self, symbol: str, events: list[Event]) -> None:
        """Events that reached the market from elsewhere (students' orders on a server)."""
        if symbol not in self._states:
            return  # an instrument the case does not trade
        route(events, self._states[symbol], self._markets[symbol])
        self._note(symbol, events, self.now_ns)

    def _note(self, symbol: str, events: list[Event], ts: int) -> None:
        """Keep the heat's trades with their time on the heat's clock (on a server, events
        carry wall time), and the closing auction's price."""
        for event in events:
            kind = type(event)
            if kind is Trade:
                self.trades.append((ts, symbol, event))  # type: ignore[arg-type]
            elif kind is AuctionUncrossed and event.price_ticks is not None:  # type: ignore[union-attr]
                self._closing_ticks[symbol] = event.price_ticks  # type: ignore[union-attr]

    def _set_phase(self, ts: int, phase: str) -> None:
        for symbol in self.symbols:
            if self.exchange[symbol].phase != phase:
                self._apply(symbol, SetPhase(phase), ts)  # type: ignore[arg-type]
                self.log.append(PhaseSet(self.number, ts, symbol, phase))

    def _step_value(self, ts: int, symbol: str) -> None:
        self.value_path[symbol].append((ts, self.values[symbol].step()))
        self._at(ts + round(self.values[symbol].spec.every * NS_PER_SECOND), _VALUE, symbol)

    def recipients(self, audience: tuple[str, ...]) -> tuple[str, ...]:
        """The participants an audience ("all", names, "role:NAME") names, sorted; "role:NAME"
        reaches those whose role or one of whose groups is NAME."""
        names = set()
        for entry in audience:
            for name, role in self.participants.items():
                roles = (role, *self.groups.get(name, ()))
                if entry in (EVERYONE, name) or entry in [ROLE_PREFIX + r for r in roles]:
                    names.add(name)
        return tuple(sorted(names))

    def _deliver(self, ts: int, news_id: int, item: NewsSpec) -> None:
        if item.shock is not None and item.symbol is not None:
            ticks = self.values[item.symbol].shock(float(item.shock))
            self.value_path[item.symbol].append((ts, ticks))
        recipients = self.recipients(item.to)
        delivered = NewsDelivered(self.number, ts, news_id, item.text, item.symbol, recipients)
        self.log.append(delivered)
        for name in recipients:
            self._news[name].append(delivered)
        shock = None if item.shock is None else float(item.shock)
        for agent, view, rng, is_student in self._agents:
            if is_student and agent.name in recipients and isinstance(agent, StudentBot):
                view.now = ts
                if item.symbol in (None, view.instrument.symbol):
                    for command in agent.on_news(shock, view, rng):
                        self._student_command(agent.name, view.instrument.symbol, command, ts)

    def _offer(self, ts: int, spec: TenderSpec) -> None:
        instrument = self.exchange[spec.symbol].instrument
        for name in self.recipients(spec.to):
            tender = self.desk.offer(ts, spec, name)
            self._at(tender.expires_ns, _EXPIRY, tender.tender_id)
            bot = self._student_bot(name)
            if bot is not None:
                agent, view, rng = bot
                view.now = ts
                price_ticks = instrument.price_to_ticks(spec.price)
                answer = agent.on_tender(spec.side, price_ticks, view, rng)
                if answer is not None:
                    self.desk.resolve(tender.tender_id, _OUTCOMES[answer], ts)

    def _student_bot(self, name: str) -> tuple[StudentBot, CaseMarketView, Any] | None:
        for agent, view, rng, is_student in self._agents:
            if is_student and agent.name == name and isinstance(agent, StudentBot):
                return agent, view, rng
        return None

    def _wake(self, ts: int, index: int) -> None:
        agent, view, rng, is_student = self._agents[index]
        view.now = ts
        symbol = view.instrument.symbol
        view.value_ticks = None if is_student else self.values[symbol].ticks
        for command in agent.act(view, rng, ts) or ():
            if is_student:
                self._student_command(agent.name, symbol, command, ts)
            else:
                self._bot_command(agent.name, symbol, command, ts)
        self._wake_later(index, agent.next_wakeup(view, rng, ts))

    def _bot_command(self, name: str, symbol: str, command: Command, ts: int) -> None:
        if not isinstance(command, SubmitOrder | CancelOrder | ReplaceOrder):
            raise InvalidCommandError(f"bot {name!r} returned {command!r:.80}")
        command.owner = name
        try:
            self._apply(symbol, command, ts)
        except UnknownOrderError:
            self._states[symbol][name].stale += 1

    def _student_command(self, name: str, symbol: str, command: Command, ts: int) -> str | None:
        """Apply a student's command after the risk check; the breach reason, or None."""
        command.owner = name  # type: ignore[union-attr]
        if isinstance(command, SubmitOrder):
            book = self.exchange[symbol]
            opposite = book.best_ask_ticks if command.side == "buy" else book.best_bid_ticks
            position = self.ledger.position(name, symbol)
            reason = self.limits[symbol].check_submit(command, position, opposite)
            if reason is not None:
                return reason
        try:
            self._apply(symbol, command, ts)
        except UnknownOrderError:
            self._states[symbol][name].stale += 1
        return None

    def _end(self, ts: int) -> None:
        for tender_id in sorted(self.desk.open):
            self.desk.resolve(tender_id, "expired", ts)
        for symbol in self.symbols:
            book = self.exchange[symbol]
            if book.phase == "auction":
                self._apply(symbol, SetPhase("continuous"), ts)  # the closing uncross
                self.log.append(PhaseSet(self.number, ts, symbol, "continuous"))
            ticks = self.settlement_ticks[symbol] = self._settlement_ticks(symbol)
            route(self.market.clear_book(symbol, ts), self._states[symbol], self._markets[symbol])
            price = book.instrument.ticks_to_price(ticks)
            to_qty = book.instrument.lots_to_qty
            for name in sorted(self.participants):
                lots = self.market.close_position(name, symbol, ticks)
                pnl = self.ledger.account(name, symbol).cash - self._cash_at_start[name, symbol]
                self.log.append(Settled(self.number, ts, name, symbol, to_qty(lots), price, pnl))
            for owner in self.ledger.owners(symbol):  # the bots too: the next heat starts flat
                self.market.close_position(owner, symbol, ticks)
        self._set_phase(ts, "halted")  # nothing trades between heats
        self.state = "ended"
        self.log.append(HeatChanged(self.number, ts, "ended", 0.0))

    def _settlement_ticks(self, symbol: str) -> int:
        if self.case.settlement == "close":
            ticks = self._closing_ticks.get(symbol, self.ledger.mark_ticks(symbol))
            if ticks is not None:
                return ticks
        return self.values[symbol].ticks

    # -- what students do -------------------------------------------------------------------------

    def _participant(self, name: str) -> str:
        if name not in self.participants:
            raise NotFoundError(f"{name!r:.40} is not a participant of this case")
        if self.state != "running":
            raise InvalidCommandError(f"heat {self.number} is {self.state}, not running")
        return name

    def submit(
        self,
        owner: str,
        symbol: str,
        side: str,
        qty: float | Decimal,
        price: float | Decimal | None = None,
        tif: str = "GTC",
    ) -> str | None:
        """A student's order, now; returns the risk limit it breached (then refused), or None."""
        self._participant(owner)
        command = submit_in_units(self.exchange[symbol].instrument, side, qty, price, tif)
        return self._student_command(owner, symbol, command, self.now_ns)

    def news(self, owner: str) -> list[NewsDelivered]:
        """The news ``owner`` has been shown so far in this heat."""
        if owner not in self._news:
            raise NotFoundError(f"{owner!r:.40} is not a participant of this case")
        return list(self._news[owner])

    def tenders(self, owner: str, *, open_only: bool = False) -> list[TenderOffered]:
        """The tenders offered to ``owner`` in this heat (only those still open if asked)."""
        return self.desk.of(owner, open_only=open_only)

    def tender(self, tender_id: int) -> TenderOffered:
        """The offer of tender ``tender_id``."""
        return self.desk.tender(tender_id)

    def outcome(self, tender_id: int) -> str | None:
        """ "accepted", "declined", "expired", or None while the tender is open."""
        return self.desk.outcome(tender_id)

    def accept(self, owner: str, tender_id: int) -> None:
        """``owner`` takes tender ``tender_id``: the position and cash change at its price."""
        self.desk.answer(self._participant(owner), tender_id, "accepted", self.now_ns)

    def decline(self, owner: str, tender_id: int) -> None:
        """``owner`` turns tender ``tender_id`` down; nothing changes."""
        self.desk.answer(self._participant(owner), tender_id, "declined", self.now_ns)

    # -- results --------------------------------------------------------------------------------

    def pnl(self) -> dict[str, float]:
        """Each participant's settled P&L (all instruments), once the heat has ended."""
        if self.state != "ended":
            raise InvalidCommandError(f"heat {self.number} has not ended")
        totals = dict.fromkeys(sorted(self.participants), 0.0)
        for event in self.log:
            if type(event) is Settled:
                totals[event.owner] += event.pnl
        return totals


__all__ = ["Heat"]
