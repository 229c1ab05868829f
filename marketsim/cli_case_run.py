"""``marketsim case run``: serve a trading case to a class, with the moderator at the terminal.

    marketsim case run news --participants class.toml --host 0.0.0.0

The market lists the case's instruments with its fees, and the case is loaded for the
participants file's traders. The moderator types commands (start, pause, resume, next, end,
status, scores, quit); ``--auto`` runs every heat back to back and prints the scores at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys

from marketsim.errors import InvalidCommandError

COMMANDS = {
    "start": "start the next heat",
    "pause": "freeze the heat (clock, schedule, bots)",
    "resume": "go on after a pause",
    "next": "end this heat now and start the next",
    "end": "end this heat and the case",
    "status": "heat, state, phases and time left",
    "scores": "P&L and ranks of the finished heats",
    "quit": "stop the market",
}
ACTION_OF = {"next": "next_heat"}


def add_run_arguments(run: argparse.ArgumentParser) -> None:
    run.add_argument("case", metavar="CASE", help="a built-in name or a case file")
    run.add_argument("--participants", required=True, metavar="FILE", help="participants file")
    run.add_argument("--host", default="127.0.0.1", help="address to listen on")
    run.add_argument("--port", type=int, default=50051, help="0 picks a free port")
    run.add_argument("--speed", type=float, default=1.0, help="heat seconds per real second")
    run.add_argument("--heats", type=int, help="heats to run (default: all of the case's)")
    run.add_argument("--auto", action="store_true", help="run every heat, print scores, stop")
    run.set_defaults(run=lambda args: asyncio.run(_run(args)))


async def _run(args: argparse.Namespace) -> None:
    os.environ.setdefault("GRPC_VERBOSITY", "NONE")
    from marketsim import cases
    from marketsim.client.cases import case_text
    from marketsim.core import Exchange
    from marketsim.server import MarketServer
    from marketsim.server.participants import Roster
    from marketsim.wire.v1 import market_pb2 as pb

    case = cases.load(args.case)
    roster = Roster.load(args.participants)
    options = cases.launch_options(case)
    # No in-memory event log, as with `serve`: a class runs for hours and nothing reads it.
    exchange = Exchange(options["symbols"], keep_events=False)
    server = MarketServer(exchange, roster=roster, fees=options["fees"])
    address = await server.start(args.host, args.port)
    try:
        request = pb.RunCaseRequest(
            case_toml=case_text(args.case), speed=args.speed, heats=args.heats or 0
        )
        server.service.load_case(request)
        host = server.service.case_host
        students = ", ".join(sorted(host.session.participants)) or "none"
        print(f"marketsim case {case.name} ({case.title}) on {address}", flush=True)
        print(f"students: {students}", flush=True)
        if args.auto:
            await _auto(host)
        else:
            print("commands: " + "; ".join(f"{c}: {w}" for c, w in COMMANDS.items()), flush=True)
            await _moderate(host)
    finally:
        await server.stop(grace=2.0)
    print("marketsim stopped", flush=True)


async def _auto(host) -> None:
    """Every heat back to back; the scores after each."""
    while not host.over:
        host.control("start")
        print(f"heat {host.session.heat.number} started", flush=True)
        while host.session.heat.state != "ended":
            await asyncio.sleep(0.05)
        _print_scores(host)


async def _moderate(host) -> None:
    """Carry out the moderator's commands from standard input until quit (or end of input)."""
    loop = asyncio.get_running_loop()
    lines: asyncio.Queue[str] = asyncio.Queue()
    loop.add_reader(sys.stdin, lambda: lines.put_nowait(sys.stdin.readline()))
    try:
        while (line := await lines.get()) != "":
            command = line.strip().lower()
            if command == "quit":
                return
            try:
                if command == "status":
                    status = host.status()
                    print(
                        f"heat {status.heat}/{status.heat_count} {status.state}, "
                        f"{status.seconds_left:.0f} s left, phases {dict(status.phases)}",
                        flush=True,
                    )
                elif command == "scores":
                    _print_scores(host)
                elif command in COMMANDS:
                    host.control(ACTION_OF.get(command, command))
                    print(f"{command}: ok", flush=True)
                elif command:
                    raise InvalidCommandError(f"unknown command; one of {', '.join(COMMANDS)}")
            except InvalidCommandError as error:
                print(f"{command[:20]}: {error}", flush=True)
    finally:
        loop.remove_reader(sys.stdin)


def _print_scores(host) -> None:
    try:
        print(host.session.scores().to_string(index=False), flush=True)
    except InvalidCommandError as error:
        print(f"scores: {error}", flush=True)
