"""The ``marketsim`` command: serve a market, trade on it, watch it, run the demo.

    marketsim serve --symbol ACME:0.01            # prints "marketsim listening on HOST:PORT"
    marketsim submit ACME buy 10 100.05           # a limit order (omit the price for market)
    marketsim cancel ACME 7
    marketsim book ACME                           # the ladder
    marketsim subscribe ACME                      # book updates and trades until Ctrl-C
    marketsim tui --symbol ACME                   # a live trading screen in the terminal
    marketsim demo                                # simulated traders, watched in the TUI, + plots
    marketsim simulate --agents zi,mm --duration 600 --seed 1 --out zi-mm.parquet
    marketsim replay lobster MESSAGES.csv --orderbook ORDERBOOK.csv --check --out day.parquet

Client commands find the server with ``--address`` or ``$MARKETSIM_ADDRESS`` and trade as
``--owner`` (default ``$MARKETSIM_OWNER``, else the login name).

Errors print one line, ``marketsim: ...``, and exit with a status that says what went wrong
(see ``EXIT_STATUS``): 1 refused input, 2 bad command line, 3 unknown symbol or order, 4 not
allowed (someone else's order, no or unknown token, a role without the right), 5 no server at
the address, 6 cannot listen on the address, 70 an unexpected error, 130 interrupted.
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import os
import signal
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import NoReturn

from marketsim import __version__
from marketsim._gc import tune_for_serving
from marketsim.cli_case import add_case_command
from marketsim.cli_journal import add_journal_command, add_journal_options
from marketsim.cli_sweep import add_sweep_command
from marketsim.core import Instrument
from marketsim.errors import (
    AuthenticationError,
    InvalidCommandError,
    MarketsimError,
    MarketUnavailableError,
    NotFoundError,
    PermissionDeniedError,
)
from marketsim.server.connections import ConnectionLimits
from marketsim.server.feed import MARKET_DATA_MODES

DEFAULT_PORT = 50051
DEFAULT_ADDRESS = f"127.0.0.1:{DEFAULT_PORT}"


#: Exit status of each kind of failure (the first matching class wins).
EXIT_STATUS: tuple[tuple[type[BaseException], int], ...] = (
    (NotFoundError, 3),
    (PermissionDeniedError, 4),
    (AuthenticationError, 4),
    (MarketUnavailableError, 5),
)
EXIT_REFUSED, EXIT_USAGE, EXIT_CANNOT_LISTEN, EXIT_INTERNAL, EXIT_INTERRUPTED = 1, 2, 6, 70, 130


class CannotListenError(MarketsimError):
    """``serve`` could not bind its address (taken by another process, or not local)."""


def default_owner() -> str:
    """Who client commands trade as: ``$MARKETSIM_OWNER``, else the login name."""
    try:
        login = getpass.getuser()
    except (KeyError, OSError):  # no login name (e.g. a container without a passwd entry)
        login = "anonymous"
    return os.environ.get("MARKETSIM_OWNER") or login


def _instrument(text: str) -> Instrument:
    """Parse SYMBOL[:TICK[:LOT]]: ACME (tick 0.01, lot 1), ACME:0.05 (lot 1), BTC:0.5:0.001."""
    parts = text.split(":")
    if len(parts) > 3:
        raise argparse.ArgumentTypeError(
            f"expected SYMBOL[:TICK[:LOT]], got {len(parts)} fields in {text[:80]!r}"
        )
    symbol, tick, lot = [*parts, "0.01", "1"][:3] if len(parts) == 1 else [*parts, "1"][:3]
    try:
        return Instrument(symbol, tick, lot)
    except MarketsimError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def _market_config(args: argparse.Namespace):
    """The participants, fees and TLS that ``serve``'s options ask for."""
    from marketsim.server.config import OPEN_BEYOND_LOOPBACK, MarketConfig, is_loopback
    from marketsim.server.tls import TlsConfig

    if (args.tls_cert is None) != (args.tls_key is None):
        raise InvalidCommandError("--tls-cert and --tls-key go together")
    if args.tls_client_ca is not None and args.tls_cert is None:
        raise InvalidCommandError("--tls-client-ca needs --tls-cert and --tls-key")
    tls = (
        None
        if args.tls_cert is None
        else TlsConfig.from_files(args.tls_cert, args.tls_key, args.tls_client_ca)
    )
    fees = dict(args.fee or ())
    connections = ConnectionLimits(
        args.keepalive, args.keepalive_timeout, args.idle_timeout, max_streams=args.max_streams
    )
    config = MarketConfig.make(
        args.participants, None, fees, args.public_leaderboard, tls, connections
    )
    if config.roster is None and not args.insecure_open and not is_loopback(args.host):
        raise InvalidCommandError(OPEN_BEYOND_LOOPBACK.format(host=args.host))
    return config


def _non_negative_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text[:80]!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be 0 or more, got {value}")
    return value


async def _serve(args: argparse.Namespace) -> None:
    # gRPC's own log would add a second, cryptic line to the one-line errors below.
    os.environ.setdefault("GRPC_VERBOSITY", "NONE")
    from marketsim.server import MarketServer

    # A journal without --symbol brings its own instruments.
    instruments = args.symbol or (None if args.journal else [Instrument("ACME", "0.01")])
    config = _market_config(args)
    durable = {}
    if args.journal:
        durable = {"journal": args.journal, "fsync": args.fsync}
        if args.snapshot_every:
            durable["snapshot_every"] = args.snapshot_every
    # No event log: nothing can read it over the wire, and it grows without bound.
    server = MarketServer(
        None if instruments is None else {i.symbol: i for i in instruments},
        roster=config.roster,
        public_leaderboard=config.public_leaderboard,
        fees=config.fees,
        tls=config.tls,
        connections=config.connections,
        keep_events=False,
        market_data=args.market_data,
        **durable,
    )
    if server.journal is not None:
        print(f"journal {args.journal}: {server.journal.recovery.summary()}", flush=True)
        for warning in server.journal.recovery.warnings:
            print(f"warning: {warning}", file=sys.stderr, flush=True)
    tune_for_serving()
    # Handlers first: whoever reads the ready line may signal us at once.
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    try:
        try:
            address = await server.start(args.host, args.port)
        except RuntimeError as error:  # grpc: "Failed to bind to address ..."
            raise CannotListenError(
                f"cannot listen on {args.host}:{args.port}: the port is taken or the "
                "address is not this machine's (try --port 0 for a free port)"
            ) from error
        print(f"marketsim listening on {address}", flush=True)
        who = (
            "open market (no participants)"
            if config.roster is None
            else f"{len(config.roster)} participants from {args.participants}"
        )
        print(f"{who}{'; TLS' if config.tls else ''}", flush=True)
        listed = ", ".join(f"{i.symbol} (tick {i.tick_size})" for i in server.exchange.instruments)
        print(f"instruments: {listed}; Ctrl-C stops", flush=True)
        await stop.wait()
    finally:
        await server.stop(grace=2.0)
    print("marketsim stopped", flush=True)


def _client_keywords(args: argparse.Namespace) -> dict:
    return {
        "owner": args.owner,
        "token": args.token or None,
        "tls": args.tls or args.ca is not None,
        "root_certificates": args.ca,
    }


def _client(args: argparse.Namespace):
    from marketsim.client import MarketClient

    return MarketClient(args.address, **_client_keywords(args))


def _account(args: argparse.Namespace) -> None:
    from marketsim.frames import accounts_frame

    with _client(args) as client:
        if args.symbol is None:
            frame = client.account()
        else:
            frame = accounts_frame([client.account(args.symbol)], client.instrument(args.symbol))
        print(frame.to_string(index=False))


def _orders(args: argparse.Namespace) -> None:
    with _client(args) as client:
        print(client.orders(args.symbol).to_string(index=False))


def _leaderboard(args: argparse.Namespace) -> None:
    with _client(args) as client:
        print(client.leaderboard(args.symbol).to_string(index=False))


def _participants_new(args: argparse.Namespace) -> None:
    from marketsim.server.participants import ADMIN, TRADER, VIEWER, Roster

    roles: dict[str, str] = {}
    for names, role in ((args.traders, TRADER), (args.viewers, VIEWER), (args.admin, ADMIN)):
        for name in filter(None, (names or "").split(",")):
            if name in roles:
                raise InvalidCommandError(f"{name!r:.70} is named twice")
            roles[name] = role
    if not roles:
        raise InvalidCommandError("name at least one participant (--traders, --viewers, --admin)")
    if args.file.exists() and not args.force:
        raise InvalidCommandError(f"{args.file} exists; --force replaces it (and its tokens)")
    defaults = {
        "max_order_qty": args.max_order_qty,
        "max_open_orders": args.max_open_orders,
        "max_position": args.max_position,
        "commands_per_second": args.commands_per_second,
        "burst": args.burst,
    }
    roster, tokens = Roster.create(roles, defaults={k: v for k, v in defaults.items() if v})
    roster.save(args.file)
    print(f"wrote {args.file} ({len(roles)} participants; it stores only hashes of the tokens)")
    print("Each token is shown only now. Hand each participant its own line:")
    for name, token in tokens.items():
        print(f"  {name} ({roles[name]}): {token}")


def _submit(args: argparse.Namespace) -> None:
    with _client(args) as client:
        result = client.submit(
            args.symbol,
            args.side,
            args.qty,
            args.price,
            tif=args.tif,
            post_only=args.post_only,
            stop_price=args.stop,
            display_qty=args.display,
            stp=args.stp,
        )
        print(result)
        print(result.explain())


def _phase(args: argparse.Namespace) -> None:
    with _client(args) as client:
        print(client.set_phase(args.symbol, args.phase).explain())


def _cancel(args: argparse.Namespace) -> None:
    with _client(args) as client:
        print(client.cancel(args.symbol, args.order_id))


def _book(args: argparse.Namespace) -> None:
    with _client(args) as client:
        book = client.book(args.symbol, args.depth)
        print(book.ladder(args.depth or None))


async def _subscribe(args: argparse.Namespace) -> None:
    from marketsim.client import AsyncMarketClient
    from marketsim.core import display

    async with AsyncMarketClient(args.address, **_client_keywords(args)) as client:

        async def books() -> None:
            async for update in client.stream_book(args.symbol):
                print(f"book   {display.quote_line(update.book)}", flush=True)

        async def trades() -> None:
            async for fill in client.stream_trades(args.symbol):
                print(
                    f"trade  {fill.symbol} {fill.qty} @ {fill.price} ({fill.aggressor_side} "
                    f"aggressor, maker {fill.maker_order_id}, taker {fill.taker_order_id})",
                    flush=True,
                )

        await asyncio.gather(books(), trades())


def _demo(args: argparse.Namespace) -> None:
    from marketsim.demo import run_demo

    # Without --plain the demo decides: the screen on a terminal, the ticker elsewhere.
    run_demo(seconds=args.seconds, out_dir=args.out, plain=args.plain or None)


class _OneLineErrorParser(argparse.ArgumentParser):
    """An argument parser whose errors are one line (with a pointer to ``--help``)."""

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_USAGE, f"{self.prog}: {message} (see {self.prog} --help)\n")


def _parser() -> argparse.ArgumentParser:
    parser = _OneLineErrorParser(prog="marketsim", description=__doc__.split("\n\n")[0])
    parser.add_argument("--version", action="version", version=f"marketsim {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)

    serve = commands.add_parser("serve", help="serve a market until Ctrl-C")
    serve.add_argument(
        "--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1: this machine)"
    )
    serve.add_argument("--port", type=int, default=DEFAULT_PORT, help="0 picks a free port")
    serve.add_argument(
        "--symbol",
        action="append",
        type=_instrument,
        metavar="SYM[:TICK[:LOT]]",
        help="an instrument to list (repeatable; default ACME:0.01)",
    )
    serve.add_argument(
        "--participants",
        type=Path,
        metavar="FILE.toml",
        help="who may trade: a participants file (see `marketsim participants new`)",
    )
    serve.add_argument(
        "--fee",
        action="append",
        type=_fee,
        metavar="SYM:MAKER:TAKER",
        help="fees per unit traded (negative: a rebate), e.g. ACME:-0.002:0.003",
    )
    serve.add_argument(
        "--public-leaderboard",
        action="store_true",
        help="every participant may read the leaderboard (default: admins only)",
    )
    serve.add_argument("--tls-cert", type=Path, metavar="PEM", help="serve TLS with this chain")
    serve.add_argument("--tls-key", type=Path, metavar="PEM", help="the TLS private key")
    serve.add_argument(
        "--tls-client-ca",
        type=Path,
        metavar="PEM",
        help="require client certificates signed by this CA (mutual TLS)",
    )
    defaults = ConnectionLimits()
    serve.add_argument(
        "--keepalive",
        type=_positive_float,
        default=defaults.keepalive,
        metavar="S",
        help="ping every connection this often (seconds)",
    )
    serve.add_argument(
        "--keepalive-timeout",
        type=_positive_float,
        default=defaults.keepalive_timeout,
        metavar="S",
        help="close a connection whose ping is unanswered this long",
    )
    serve.add_argument(
        "--idle-timeout",
        type=_positive_float,
        default=defaults.idle,
        metavar="S",
        help="close a connection without calls this long",
    )
    serve.add_argument(
        "--max-streams",
        type=int,
        default=defaults.max_streams,
        metavar="N",
        help="calls one connection may have open at once",
    )
    serve.add_argument(
        "--insecure-open",
        action="store_true",
        help="allow an open market (no participants) on a non-loopback address",
    )
    serve.add_argument(
        "--market-data",
        choices=MARKET_DATA_MODES,
        default="inline",
        help="process: serve the book, trade and event streams from a second process too, so "
        "hundreds of subscribers do not slow order entry (clients find it by themselves)",
    )
    add_journal_options(serve)
    serve.set_defaults(
        run=lambda args: asyncio.run(_serve(args)),
        check_arguments=lambda args: _check_serve(serve, args),
    )

    def client_command(name: str, help: str, optional_symbol: bool = False):
        command = commands.add_parser(name, help=help)
        address = os.environ.get("MARKETSIM_ADDRESS", DEFAULT_ADDRESS)
        command.add_argument("--address", default=address, help=f"default {address}")
        owner = default_owner()
        command.add_argument(
            "--owner",
            default=owner,
            help=f"who you trade as (default $MARKETSIM_OWNER, else your login name: {owner!r})",
        )
        command.add_argument(
            "--token",
            default=os.environ.get("MARKETSIM_TOKEN", ""),
            help="your participant token (default $MARKETSIM_TOKEN)",
        )
        command.add_argument("--tls", action="store_true", help="connect over TLS")
        command.add_argument("--ca", type=Path, metavar="PEM", help="trust this CA (implies --tls)")
        command.add_argument(
            "symbol",
            nargs="?" if optional_symbol else None,
            help="instrument symbol, e.g. ACME" + (" (default: all)" if optional_symbol else ""),
        )
        return command

    submit = client_command("submit", "submit an order and explain what it did")
    submit.add_argument("side", choices=["buy", "sell"])
    submit.add_argument("qty", type=float)
    submit.add_argument("price", type=float, nargs="?", help="omit for a market order")
    submit.add_argument(
        "--tif",
        choices=["GTC", "IOC", "FOK"],
        default="GTC",
        help="time in force: rest (GTC), fill what you can now (IOC), all or nothing (FOK)",
    )
    submit.add_argument(
        "--post-only", action="store_true", help="reject rather than take liquidity"
    )
    submit.add_argument(
        "--stop",
        type=float,
        metavar="PRICE",
        help="a stop order: waits unseen until a trade reaches PRICE",
    )
    submit.add_argument(
        "--display", type=float, metavar="QTY", help="an iceberg: shows QTY at a time"
    )
    submit.add_argument(
        "--stp",
        choices=["cancel_newest", "cancel_oldest", "cancel_both", "decrement"],
        help="self-trade prevention against your own resting orders",
    )
    submit.set_defaults(run=_submit)

    phase = client_command("phase", "move a book to another trading phase (admins)")
    phase.add_argument("phase", choices=["continuous", "auction", "halted"])
    phase.set_defaults(run=_phase)

    cancel = client_command("cancel", "cancel one of your orders")
    cancel.add_argument("order_id", type=int)
    cancel.set_defaults(run=_cancel)

    book = client_command("book", "print the book as a ladder")
    book.add_argument(
        "--depth",
        type=_non_negative_int,
        default=10,
        help="levels per side to show (default 10; 0 shows every level)",
    )
    book.set_defaults(run=_book)

    account = client_command("account", "print your account (one symbol or all)", True)
    account.set_defaults(run=_account)
    orders = client_command("orders", "print your open orders (one symbol or all)", True)
    orders.set_defaults(run=_orders)
    leaderboard = client_command("leaderboard", "print every participant's P&L, best first", True)
    leaderboard.set_defaults(run=_leaderboard)

    participants = commands.add_parser("participants", help="make a participants file")
    participant_commands = participants.add_subparsers(dest="action", required=True)
    new = participant_commands.add_parser(
        "new",
        help="write a participants file with fresh tokens, and print each token once",
    )
    new.add_argument("file", type=Path, metavar="FILE.toml")
    new.add_argument("--traders", metavar="A,B,...", help="participants who trade")
    new.add_argument("--viewers", metavar="A,B,...", help="participants who only watch")
    new.add_argument("--admin", metavar="A,B,...", help="participants who run the market")
    new.add_argument("--max-order-qty", type=_positive_float, help="default risk limit")
    new.add_argument("--max-open-orders", type=int, help="default risk limit")
    new.add_argument("--max-position", type=_positive_float, help="default risk limit")
    new.add_argument("--commands-per-second", type=_positive_float, help="default rate limit")
    new.add_argument("--burst", type=int, help="commands allowed at once (with the rate limit)")
    new.add_argument("--force", action="store_true", help="replace an existing file")
    new.set_defaults(run=_participants_new)

    subscribe = client_command("subscribe", "print book updates and trades until Ctrl-C")
    subscribe.set_defaults(run=lambda args: asyncio.run(_subscribe(args)))

    demo = commands.add_parser(
        "demo",
        help="simulated traders on a live market, shown in the TUI, then plots",
        description="Launch a market, let the simulation agents trade on it for --seconds "
        "while the trading screen shows it (q ends early), then write three plots.",
    )
    demo.add_argument(
        "--seconds", type=_positive_float, default=15.0, help="how long to trade (default 15)"
    )
    demo.add_argument("--out", default="demo-output", help="folder for the PNG files")
    demo.add_argument(
        "--plain",
        action="store_true",
        help="no screen: print a summary line per second (for logs and CI)",
    )
    demo.set_defaults(run=_demo)

    from marketsim.tui.command import add_tui_command

    add_tui_command(
        commands,
        address=os.environ.get("MARKETSIM_ADDRESS", DEFAULT_ADDRESS),
        owner=default_owner(),
    )

    _add_data_commands(commands)
    add_sweep_command(commands)
    add_journal_command(commands)
    add_case_command(commands)
    return parser


def _fee(text: str) -> tuple[str, tuple[str, str]]:
    """Parse SYM:MAKER:TAKER, e.g. ACME:-0.002:0.003."""
    parts = text.split(":")
    if len(parts) != 3:
        raise argparse.ArgumentTypeError(f"expected SYM:MAKER:TAKER, got {text!r:.60}")
    return parts[0], (parts[1], parts[2])


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not value > 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"must be a positive number, got {text!r}")
    return value


def _add_data_commands(commands) -> None:
    """``simulate`` and ``replay lobster`` (implemented in ``marketsim.data.console``, imported
    only when one of them runs: it needs pandas and pyarrow)."""

    def console():
        from marketsim.data import console

        return console

    address = os.environ.get("MARKETSIM_ADDRESS", DEFAULT_ADDRESS)
    simulate = commands.add_parser(
        "simulate",
        help="run order-flow agents and save the session (or drive a live server)",
        description="Run agents on an in-process book, deterministic for --seed, and write "
        "the session file (--out); or, with --live, drive them on the server at --address.",
    )
    simulate.add_argument(
        "--agents",
        type=lambda text: console().agent_list(text),
        default=["zi"],
        metavar="NAMES",
        help="comma-separated, from zi,mm,noise,momentum (default zi)",
    )
    simulate.add_argument("--steps", type=int, help="stop after this many agent wake-ups")
    simulate.add_argument("--duration", type=_positive_float, help="simulated seconds")
    simulate.add_argument("--seed", type=int, help="random seed (default: fresh entropy)")
    simulate.add_argument("--symbol", default="ACME")
    simulate.add_argument("--tick", default="0.01", help="tick size (default 0.01)")
    simulate.add_argument("--out", type=Path, metavar="FILE.parquet", help="session file")
    simulate.add_argument("--live", action="store_true", help="trade on a running server")
    simulate.add_argument("--address", default=address, help=f"with --live; default {address}")
    simulate.add_argument(
        "--speed", type=_positive_float, default=1.0, help="with --live: time acceleration"
    )
    simulate.add_argument("--quiet", action="store_true", help="no progress bar")
    simulate.set_defaults(run=lambda args: console().simulate(args))

    replay = commands.add_parser("replay", help="replay market data files")
    formats = replay.add_subparsers(dest="format", required=True)
    lobster = formats.add_parser(
        "lobster",
        help="replay a LOBSTER message file",
        description="Replay a LOBSTER message file through the engine; with --orderbook, "
        "seed the book from it and print how many rows the replay reproduces.",
    )
    lobster.add_argument("messages", type=Path, metavar="MESSAGES.csv")
    lobster.add_argument("--orderbook", type=Path, metavar="ORDERBOOK.csv")
    lobster.add_argument(
        "--check", action="store_true", help="exit with status 1 unless every row matches"
    )
    lobster.add_argument("--symbol", help="default: from the file name")
    lobster.add_argument("--out", type=Path, metavar="FILE.parquet", help="session file")
    lobster.add_argument("--into", metavar="ADDR", help="also replay into the server at ADDR")
    lobster.add_argument(
        "--speed", type=_positive_float, help="with --into: time acceleration (default: max)"
    )
    lobster.add_argument("--quiet", action="store_true", help="no progress bar")
    lobster.set_defaults(run=lambda args: console().replay_lobster(args))


def _check_serve(parser: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    symbols = [instrument.symbol for instrument in args.symbol or []]
    repeated = sorted({symbol for symbol in symbols if symbols.count(symbol) > 1})
    if repeated:
        parser.error(f"--symbol lists {', '.join(repeated)} more than once")


def _exit_status(error: MarketsimError) -> int:
    for kind, status in EXIT_STATUS:
        if isinstance(error, kind):
            return status
    return EXIT_CANNOT_LISTEN if isinstance(error, CannotListenError) else EXIT_REFUSED


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit status (see ``EXIT_STATUS``)."""
    parser = _parser()
    args = parser.parse_args(argv)
    if hasattr(args, "check_arguments"):  # checks that span several arguments
        args.check_arguments(args)
    try:
        status = args.run(args)  # None, or an exit status of its own
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED
    except MarketsimError as error:
        print(f"marketsim: {error}", file=sys.stderr)
        return _exit_status(error)
    except Exception as error:  # a bug or an environment problem: still one line
        if os.environ.get("MARKETSIM_DEBUG"):
            raise
        message = str(error).splitlines()[0][:200] if str(error) else ""
        print(
            f"marketsim: unexpected {type(error).__name__}: {message} "
            "(set MARKETSIM_DEBUG=1 to see the traceback)",
            file=sys.stderr,
        )
        return EXIT_INTERNAL
    return status or 0
