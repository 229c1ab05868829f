"""A trading case on a live server: the case engine driven on the server's event loop.

``CaseHost`` runs a ``CaseSession`` against the server's own exchange, ledger and hub: bots
trade in the same books as the students, phases change for everyone, and each student's news,
tenders, heat and phase changes and time left go to that student's private stream. A driver
task sleeps until the next moment of the heat's timeline (or, on a simulated clock, runs the
timeline in slices, yielding between them), so it never blocks the loop. ``CaseRpcs`` adds the
case methods to the market service.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import logging
import time
from collections.abc import Callable
from typing import Any

from marketsim.cases.clock import NS_PER_SECOND, RealClock, SimulatedClock
from marketsim.cases.events import (
    HeatChanged,
    NewsDelivered,
    PhaseSet,
    TenderOffered,
    TenderResolved,
)
from marketsim.cases.market import CaseMarket
from marketsim.cases.model import Case
from marketsim.cases.scoring import score_rows
from marketsim.cases.session import CaseSession
from marketsim.core.commands import SetPhase
from marketsim.core.events import Event
from marketsim.errors import InvalidCommandError, MarketsimError, NotFoundError
from marketsim.server.errors import status_for
from marketsim.server.participants import ADMIN, TRADER
from marketsim.wire import case_codec
from marketsim.wire.v1 import market_pb2 as pb

log = logging.getLogger(__name__)

#: Heat time between two "time left" notices on the private streams.
STATUS_EVERY_NS = 5 * NS_PER_SECOND
#: Simulated heat time run between two yields to the event loop.
SIMULATED_SLICE_NS = NS_PER_SECOND // 2
ACTIONS = ("start", "pause", "resume", "next_heat", "end")


class CaseNotice:
    """A case update queued on a private subscription (shaped like a hub ``Published``)."""

    __slots__ = ("update",)
    symbol = ""
    events = ()

    def __init__(self, update: pb.CaseUpdate) -> None:
        self.update = update


class CaseHost:
    """``case`` hosted on a server (``service``: its ``MarketService``) for ``participants``."""

    def __init__(
        self,
        service: Any,
        case: Case,
        participants: dict[str, str],
        *,
        simulated: bool = False,
        speed: float = 1.0,
        heats: int | None = None,
        groups: dict[str, tuple[str, ...]] | None = None,
    ) -> None:
        self.service = service
        self.case = case
        clock = SimulatedClock() if simulated else RealClock(speed)
        market = CaseMarket(
            service.exchange, service.ledger, service.hub.publish, stamp=wall_clock_stamp
        )
        self.session = CaseSession(
            case, participants, clock=clock, heats=heats, market=market, groups=groups
        )
        self.simulated = simulated
        self._seen = 0  # how much of the current heat's log has been announced
        self._next_status_ns = 0
        self._applying = False
        self._task: asyncio.Task | None = None
        service.hub.observers.append(self._observe)
        self._limit_students()
        for spec in case.instruments:  # nothing trades before the first heat opens
            if service.exchange[spec.symbol].phase != "halted":
                market.apply(spec.symbol, SetPhase("halted"), 0)

    def _limit_students(self) -> None:
        """The case's limits apply to its students, over their own."""
        gate, gateway = self.service.gate, self.service.gateway
        for name in self.session.participants:
            own = gate.roster.participant(name).limits if gate.roster is not None else None
            limits = self.case.limits if own is None else own.merged(self.case.limits)
            for spec in self.case.instruments:
                gateway.set_limits(name, spec.instrument, limits)

    # -- the driver -------------------------------------------------------------------------

    @property
    def over(self) -> bool:
        session = self.session
        last = session.heat is not None and session.heat.state == "ended"
        return session.ended or (last and len(session.heats) >= session.heat_count)

    def control(self, action: str) -> None:
        """Carry out a moderator's ``action`` (see ``ACTIONS``)."""
        if action not in ACTIONS:
            raise InvalidCommandError(f"action must be one of {', '.join(ACTIONS)}")
        session = self.session
        self._applying = True
        try:
            if action == "start":
                session.start()
            elif action == "next_heat":
                session.next_heat()
            else:
                getattr(session, action)()
        finally:
            self._applying = False
        if action in ("start", "next_heat"):
            self._seen = 0
            self._next_status_ns = 0
        self._announce()
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(self._drive())

    async def _drive(self) -> None:
        """Follow the running heat's timeline until it ends."""
        session = self.session
        while (heat := session.heat) is not None and heat.state == "running":
            due = heat.next_ns()
            if due is None:
                break
            if self.simulated:
                until = min(due + SIMULATED_SLICE_NS, heat.end_ns)
                session.clock.wait_until(until)  # type: ignore[union-attr]
                self._advance(heat, until)
                await asyncio.sleep(0)
                continue
            wait = (due - heat.now_ns) / NS_PER_SECOND / session.clock.speed  # type: ignore[union-attr]
            if wait > 0 or session.clock.paused:
                # Short naps: a pause, or a heat ended by the moderator, is seen within 50 ms.
                await asyncio.sleep(min(max(wait, 0.0), 0.05))
                continue
            # One moment at a time, letting orders in between: after the loop was held up,
            # a backlog of bot wake-ups must not hold up order entry in turn.
            self._advance(heat, due)
            await asyncio.sleep(0)
        self._announce()

    def _advance(self, heat, until_ns: int) -> None:
        self._applying = True
        try:
            heat.advance(until_ns)
        finally:
            self._applying = False
        self._announce()

    def _observe(self, symbol: str, events: list[Event]) -> None:
        """Students' order events reach the heat too (the bots' views see their fills)."""
        heat = self.session.heat
        if not self._applying and heat is not None and heat.state == "running":
            heat.observe(symbol, events)

    # -- telling the students ----------------------------------------------------------------

    def status(self) -> pb.CaseStatus:
        session, heat = self.session, self.session.heat
        if heat is None:
            state, number, ts, left = "ready", 0, 0, self.case.heat_seconds
        else:
            state = "over" if self.over else heat.state
            if state == "running" and session.clock.paused:
                state = "paused"
            number, ts, left = heat.number, heat.now_ns, heat.seconds_left
        phases = {symbol: book.phase for symbol, book in self.service.exchange.items()}
        return case_codec.status_to_proto(
            self.case.name, number, session.heat_count, state, ts, left, phases
        )

    def _announce(self) -> None:
        """Send what the heat logged since the last call to whom it concerns."""
        heat = self.session.heat
        if heat is None:
            return
        if len(heat.log) == self._seen and heat.now_ns < self._next_status_ns:
            return  # nothing new, and the time left was sent a moment ago
        new, self._seen = heat.log[self._seen :], len(heat.log)
        updates: dict[str, pb.CaseUpdate] = {}
        status = self.status()
        everyone = any(type(e) in (HeatChanged, PhaseSet) for e in new)
        if everyone or heat.now_ns >= self._next_status_ns:
            self._next_status_ns = heat.now_ns + STATUS_EVERY_NS
            for name in self.session.participants:
                updates[name] = pb.CaseUpdate()
        for event in new:
            if type(event) is NewsDelivered:
                for name in event.recipients:
                    updates.setdefault(name, pb.CaseUpdate()).news.append(
                        case_codec.news_to_proto(event)
                    )
            elif type(event) in (TenderOffered, TenderResolved):
                tender = heat.tender(event.tender_id)
                outcome = event.outcome if type(event) is TenderResolved else None
                updates.setdefault(event.owner, pb.CaseUpdate()).tenders.append(
                    case_codec.tender_to_proto(tender, outcome)
                )
        hub = self.service.hub
        for name, update in updates.items():
            update.status.CopyFrom(status)
            hub.publish_to_owner(name, CaseNotice(update))

    def state_for(self, name: str, *, admin: bool = False) -> pb.CaseUpdate:
        """Everything ``name`` may see of the current heat: what a reconnecting student needs
        (and, for an ``admin``, which students follow the case now)."""
        update = pb.CaseUpdate(status=self.status())
        if admin:
            online = set(self.service.hub.private_subscribers())
            update.status.connected.extend(n for n in self.session.participants if n in online)
        heat = self.session.heat
        if heat is not None and name in heat.participants:
            update.news.extend(case_codec.news_to_proto(item) for item in heat.news(name))
            update.tenders.extend(
                case_codec.tender_to_proto(t, heat.outcome(t.tender_id)) for t in heat.tenders(name)
            )
        return update

    def answer(self, name: str, tender_id: int, accept: bool) -> pb.CaseUpdate:
        heat = self.session.heat
        if heat is None:
            raise NotFoundError("no heat has started")
        self._applying = True
        try:
            (heat.accept if accept else heat.decline)(name, tender_id)
        finally:
            self._applying = False
            self._announce()
        return self.state_for(name)

    def close(self) -> None:
        """Stop driving (a new case replaces this one, or the server stops)."""
        if self._task is not None:
            self._task.cancel()
        with contextlib.suppress(ValueError):
            self.service.hub.observers.remove(self._observe)


class CaseRpcs:
    """The trading-case methods of ``MarketService`` (roles: see ``auth.METHOD_ROLES``)."""

    case_host: CaseHost | None = None

    def _host(self) -> CaseHost:
        if self.case_host is None:
            raise NotFoundError("no case has been loaded on this market")
        return self.case_host

    async def RunCase(self, request, context):
        return await _answer(context, lambda: self.load_case(request))

    def load_case(self, request: pb.RunCaseRequest) -> pb.CaseUpdate:
        """Load the case a ``RunCaseRequest`` describes (what RunCase does once allowed)."""
        if self.case_host is not None and not self.case_host.over:
            raise InvalidCommandError("a case is loaded and not over; end it first")
        case = Case.from_toml(request.case_toml, "case")
        if request.clock not in ("", "real", "simulated"):
            raise InvalidCommandError("clock must be 'real' or 'simulated'")
        roster = self.gate.roster  # type: ignore[attr-defined]
        if roster is None:
            raise InvalidCommandError("a case needs a market with participants (a roster)")
        if self.journal is not None:  # type: ignore[attr-defined]
            # The case's bots, tenders and settlement change the market outside the journal,
            # so a recovered market would miss them.
            raise InvalidCommandError("a trading case cannot run on a journaled market yet")
        if self.market_data is not None:  # type: ignore[attr-defined]
            # Nor would a market-data process, which follows the sequencer's records, see them.
            raise InvalidCommandError(
                "a trading case cannot run on a market with a market-data process yet"
            )
        students = {p.name: p.role for p in roster if p.role == TRADER}
        host = CaseHost(
            self,
            case,
            students,
            groups={p.name: p.groups for p in roster if p.name in students and p.groups},
            simulated=request.clock == "simulated",
            speed=request.speed or 1.0,
            heats=request.heats or None,
        )
        if self.case_host is not None:
            self.case_host.close()
        self.case_host = host
        return pb.CaseUpdate(status=host.status())

    async def ControlCase(self, request, context):
        def control() -> pb.CaseUpdate:
            host = self._host()
            host.control(request.action[:20])
            return pb.CaseUpdate(status=host.status())

        return await _answer(context, control)

    async def GetCaseState(self, request, context):
        caller = self.caller(context)  # type: ignore[attr-defined]
        admin = caller.role == ADMIN
        return await _answer(context, lambda: self._host().state_for(caller.name, admin=admin))

    async def AnswerTender(self, request, context):
        name = self.caller(context).name  # type: ignore[attr-defined]
        return await _answer(
            context, lambda: self._host().answer(name, request.tender_id, request.accept)
        )

    async def GetCaseScores(self, request, context):
        def scores() -> pb.CaseScores:
            session = self._host().session
            finished = {h.number: h.pnl() for h in session.heats if h.state == "ended"}
            return case_codec.scores_to_proto(score_rows(finished))

        return await _answer(context, scores)

    async def GetCasePostMortem(self, request, context):
        def build() -> pb.CasePostMortem:
            post_mortem = self._host().session.post_mortem(request.heat or None)
            return case_codec.post_mortem_to_proto(post_mortem)

        # A finished heat no longer changes, so its frames are built off the loop.
        loop = asyncio.get_running_loop()
        return await _answer(context, lambda: loop.run_in_executor(None, build))


async def _answer(context, work: Callable[[], Any]) -> Any:
    """``work()`` (awaited if it gives an awaitable), or the call ended with the status its
    error maps to."""
    try:
        result = work()
        return await result if inspect.isawaitable(result) else result
    except Exception as error:
        code, message = status_for(error)
        if not isinstance(error, MarketsimError):
            log.error("unexpected error in a trading-case handler", exc_info=error)
        await context.abort(code, message)


def wall_clock_stamp(_heat_ns: int) -> int:
    """Events of a hosted heat carry wall time, like the students' own orders."""
    return time.time_ns()
