"""``marketsim case check|simulate|list``: trading cases from the command line.

    marketsim case list                                   # the built-in cases
    marketsim case check news                             # validate, print the plan
    marketsim case simulate news --bots 20 --heats 3      # a dry run with bot students
    marketsim case run news --participants class.toml     # serve it to a class

A case is a built-in name or a path to a case file. ``simulate`` runs on a simulated clock
(``--speed max``, the only speed of a dry run) and prints the scores: each bot student's P&L
and rank per heat and the average rank.
"""

from __future__ import annotations

import argparse
import time
from typing import Any

from marketsim.cli_case_run import add_run_arguments
from marketsim.errors import InvalidCommandError


def add_case_command(commands: Any) -> None:
    """Register ``case`` on the ``marketsim`` subcommand parsers."""
    case = commands.add_parser(
        "case",
        help="trading cases for a class: list, check, simulate",
        description="Classroom trading cases: scripted markets with news, a hidden value, "
        "tender offers, bots, heats and scores.",
    )
    actions = case.add_subparsers(dest="action", required=True)
    actions.add_parser("list", help="list the built-in cases").set_defaults(run=_list)
    check = actions.add_parser("check", help="validate a case and print its plan")
    check.add_argument("case", metavar="CASE", help="a built-in name or a case file")
    check.set_defaults(run=_check)
    simulate = actions.add_parser(
        "simulate", help="a dry run with bot students on a simulated clock; print the scores"
    )
    simulate.add_argument("case", metavar="CASE", help="a built-in name or a case file")
    simulate.add_argument("--bots", type=int, default=20, help="bot students (default 20)")
    simulate.add_argument("--heats", type=int, help="heats to run (default: all of the case's)")
    simulate.add_argument(
        "--speed", default="max", choices=["max"], help="a dry run goes as fast as it can"
    )
    simulate.set_defaults(run=_simulate)
    add_run_arguments(
        actions.add_parser(
            "run", help="serve a case to a class; the moderator controls it from the terminal"
        )
    )


def _list(args: argparse.Namespace) -> None:
    from marketsim import cases

    for name in cases.builtin_names():
        case = cases.load(name)
        print(f"{name:10} {case.title} ({case.heat_count} heats of {case.heat_seconds:g} s)")


def _check(args: argparse.Namespace) -> None:
    from marketsim import cases
    from marketsim.cases.plan import check

    print(check(cases.load(args.case)))
    print("ok")


def _simulate(args: argparse.Namespace) -> None:
    from marketsim import cases

    case = cases.load(args.case)
    if args.heats is not None and not 1 <= args.heats <= case.heat_count:
        raise InvalidCommandError(f"--heats must be in [1, {case.heat_count}] for {case.name}")
    started = time.perf_counter()
    session = cases.simulate(case, bots=args.bots, heats=args.heats)
    elapsed = time.perf_counter() - started
    scores = session.scores()
    pnl = scores.pivot(index="participant", columns="heat", values="pnl")
    ranks = scores.pivot(index="participant", columns="heat", values="rank")
    table = pnl.add_prefix("pnl ").join(ranks.add_prefix("rank "))
    final = scores.groupby("participant")[["final_score", "final_rank"]].first()
    table = table.join(final).sort_values(["final_rank", "final_score"])
    print(table.to_string(float_format=lambda v: f"{v:.2f}"))
    trades = sum(
        1
        for heat in session.heats
        for book in heat.exchange.values()
        for e in book.events
        if type(e).__name__ == "Trade"
    )
    print(
        f"{case.name}: {len(session.heats)} heats, {args.bots} bot students, {trades} trades, "
        f"simulated in {elapsed:.1f} s"
    )
