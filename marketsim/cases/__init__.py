"""Trading cases: scripted classroom markets with news, a hidden value, tenders, bots, heats.

A case is a TOML file (see ``marketsim.cases.model`` for every key, and the built-in cases in
``marketsim/cases/builtin/`` for examples with teaching notes). It runs without a server:

    >>> from marketsim import cases
    >>> case = cases.load("news")                    # a built-in name, or a path to a file
    >>> case.heat_count, case.settlement
    (3, 'value')
    >>> session = cases.simulate(case, bots=5, heats=1)   # bot students, simulated clock
    >>> len(session.scores())
    5

The layers: ``model`` (the file, validated), ``value`` (the fundamental value), ``clock``
(simulated or real time), ``heat`` (one run: schedule, news, tenders, bots, settlement),
``session`` (heats and the moderator's controls), ``scoring`` (competition ranks).
"""

from __future__ import annotations

from pathlib import Path

from marketsim.cases.agents import StudentBot, ValueMaker, ValueTrader
from marketsim.cases.clock import RealClock, SimulatedClock
from marketsim.cases.heat import Heat
from marketsim.cases.model import Case, CaseFileError
from marketsim.cases.scoring import competition_ranks
from marketsim.cases.session import CaseSession, bot_students, simulate

BUILTIN = Path(__file__).with_name("builtin")


def builtin_names() -> list[str]:
    """The names of the built-in cases, in teaching order."""
    return [path.stem.split("_", 1)[1] for path in sorted(BUILTIN.glob("*.toml"))]


def launch_options(case: Case) -> dict:
    """The ``marketsim.launch`` keywords that list ``case``'s instruments with its fees:
    ``ms.launch(**cases.launch_options(case), participants=...)``."""
    return {
        "symbols": {spec.symbol: spec.instrument for spec in case.instruments},
        "fees": {symbol: (fees.maker, fees.taker) for symbol, fees in case.fees},
    }


def load(case: str | Path) -> Case:
    """A built-in case by name ("news"), or a case file by path."""
    if isinstance(case, str) and case in builtin_names():
        (path,) = BUILTIN.glob(f"*_{case}.toml")
        return Case.from_file(path)
    path = Path(case)
    if not path.is_file():
        raise CaseFileError(
            f"no case file {str(case)!r:.80} and no built-in case of that name; "
            f"built-in: {', '.join(builtin_names())}"
        )
    return Case.from_file(path)


__all__ = [
    "Case",
    "CaseFileError",
    "CaseSession",
    "Heat",
    "RealClock",
    "SimulatedClock",
    "StudentBot",
    "ValueMaker",
    "ValueTrader",
    "bot_students",
    "builtin_names",
    "competition_ranks",
    "launch_options",
    "load",
    "simulate",
]
