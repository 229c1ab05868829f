"""``CaseSession``: a case's heats one after another, with the moderator's controls and scores.

The session owns the clock. On a ``SimulatedClock`` (dry runs, tests) ``run()`` plays every
heat at machine speed; on a ``RealClock`` the same heats follow wall time, ``pause()`` and
``resume()`` stop and restart the clock (and with it the schedule and the bots), and
``next_heat()``/``end()`` cut a heat short. ``scores()`` ranks the finished heats.

    >>> from marketsim import cases
    >>> session = cases.simulate("spread", bots=4, heats=2)
    >>> sorted(session.scores().columns)[:3]
    ['final_rank', 'final_score', 'heat']
"""

from __future__ import annotations

from collections.abc import Mapping

from marketsim.cases.agents import StudentBot
from marketsim.cases.clock import Clock, SimulatedClock
from marketsim.cases.events import CaseEvent, HeatChanged
from marketsim.cases.heat import Heat
from marketsim.cases.market import CaseMarket
from marketsim.cases.model import Case
from marketsim.cases.scoring import scores_frame
from marketsim.errors import InvalidCommandError

#: The most bot students a dry run may have.
MAX_BOT_STUDENTS = 500


class CaseSession:
    """Heats of ``case`` for ``participants`` ({name: role}), bot ``students`` among them.

    ``heats`` limits how many of the case's heats run (all by default). Each heat gets a
    fresh in-process market unless ``market`` is given (a live server's, reused by every heat).
    """

    def __init__(
        self,
        case: Case,
        participants: Mapping[str, str],
        *,
        students: Mapping[str, StudentBot] | None = None,
        clock: Clock | None = None,
        heats: int | None = None,
        market: CaseMarket | None = None,
        groups: Mapping[str, tuple[str, ...]] | None = None,
    ) -> None:
        if heats is not None and (type(heats) is not int or not 1 <= heats <= case.heat_count):
            raise InvalidCommandError(f"heats must be a whole number in [1, {case.heat_count}]")
        unknown = sorted(set(students or {}) - set(participants))
        if unknown:
            raise InvalidCommandError(f"bot student {unknown[0]!r:.40} is not a participant")
        self.case = case
        self.participants = dict(participants)
        #: Groups of participants beside their role (see ``Heat.recipients``).
        self.groups = dict(groups or {})
        self.students = dict(students or {})
        self.clock = clock if clock is not None else SimulatedClock()
        self.heat_count = heats or case.heat_count
        self.market = market
        if market is not None:
            market.check_lists(case)
        self.heats: list[Heat] = []
        self.ended = False

    @property
    def heat(self) -> Heat | None:
        """The current (or last) heat, None before the first starts."""
        return self.heats[-1] if self.heats else None

    @property
    def log(self) -> list[CaseEvent]:
        """Every heat's case events, in order."""
        return [event for heat in self.heats for event in heat.log]

    def start(self) -> Heat:
        """Start the next heat (the first, at first) and return it."""
        if self.heat is not None and self.heat.state != "ended":
            raise InvalidCommandError(f"heat {self.heat.number} is still running")
        if self.ended or len(self.heats) >= self.heat_count:
            raise InvalidCommandError("the case has no more heats to run")
        self.clock.reset()
        heat = Heat(
            self.case,
            len(self.heats) + 1,
            self.participants,
            self.students,
            self.clock,
            self.market,
            self.groups,
        )
        self.heats.append(heat)
        heat.start()
        return heat

    def run(self) -> CaseSession:
        """Run every remaining heat to its end on the session's clock."""
        while not self.ended and len(self.heats) < self.heat_count:
            if self.heat is None or self.heat.state == "ended":
                self.start()
            self.heat.run()  # type: ignore[union-attr]
        return self

    def _running(self) -> Heat:
        heat = self.heat
        if heat is None or heat.state != "running":
            raise InvalidCommandError("no heat is running")
        return heat

    def pause(self) -> None:
        """Freeze the running heat: its clock, schedule and bots stop until ``resume``."""
        heat = self._running()
        self.clock.pause()
        heat.log.append(HeatChanged(heat.number, heat.now_ns, "paused", heat.seconds_left))

    def resume(self) -> None:
        """Let a paused heat go on from where it stopped."""
        heat = self._running()
        self.clock.resume()
        heat.log.append(HeatChanged(heat.number, heat.now_ns, "resumed", heat.seconds_left))

    def next_heat(self) -> Heat:
        """End the running heat now, if one runs, and start the next."""
        if self.heat is not None and self.heat.state == "running":
            self.heat.finish()
        return self.start()

    def end(self) -> None:
        """End the running heat now and the case with it."""
        if self.heat is not None and self.heat.state == "running":
            self.heat.finish()
        self.ended = True

    def scores(self):
        """DataFrame: participant, heat, pnl, rank, final_score (mean rank), final_rank.

        Only finished heats count. One row per participant and heat, best final rank first.
        """
        finished = {heat.number: heat.pnl() for heat in self.heats if heat.state == "ended"}
        if not finished:
            raise InvalidCommandError("no heat has finished yet")
        return scores_frame(finished)

    def post_mortem(self, heat: int | None = None):
        """The ``PostMortem`` of a finished heat (default: the last): P&L over time, trades
        against the value, who traded with whom."""
        from marketsim.cases.postmortem import post_mortem

        finished = [h for h in self.heats if h.state == "ended"]
        chosen = [h for h in finished if heat is None or h.number == heat]
        if not chosen:
            which = "the first heat" if heat is None else f"heat {heat!r:.20}"
            raise InvalidCommandError(f"{which} has not finished yet")
        return post_mortem(chosen[-1])


def bot_students(count: int, **params) -> dict[str, StudentBot]:
    """``count`` bot students named student01, student02, ..."""
    if type(count) is not int or not 0 <= count <= MAX_BOT_STUDENTS:
        raise InvalidCommandError(f"bots must be a whole number in [0, {MAX_BOT_STUDENTS}]")
    width = max(2, len(str(count)))
    names = [f"student{i:0{width}d}" for i in range(1, count + 1)]
    return {name: StudentBot(name, **params) for name in names}


def simulate(
    case: Case | str, *, bots: int = 20, heats: int | None = None, role: str = "trader"
) -> CaseSession:
    """A dry run: ``bots`` bot students play ``heats`` heats on a simulated clock.

    ``case`` is a ``Case`` or what ``load`` takes (a built-in name or a path).
    """
    from marketsim.cases import load

    case = load(case) if isinstance(case, str) else case
    students = bot_students(bots)
    participants = dict.fromkeys(students, role)
    return CaseSession(case, participants, students=students, heats=heats).run()


__all__ = ["CaseSession", "bot_students", "simulate"]
