"""The ``marketsim`` command: serve a market, trade on it, watch it, run the demo.

    marketsim serve --symbol ACME:0.01            # prints "marketsim listening on HOST:PORT"
    marketsim submit ACME buy 10 100.05           # a limit order (omit the price for market)
    marketsim cancel ACME 7
    marketsim book ACME                           # the ladder
    marketsim subscribe ACME                      # book updates and trades until Ctrl-C
    marketsim demo                                # a 15-second market in the terminal + plots
    marketsim simulate --agents zi,mm --duration 600 --seed 1 --out zi-mm.parquet
    marketsim replay lobster MESSAGES.csv --orderbook ORDERBOOK.csv --check --out day.parquet

Client commands find the server with ``--address`` or ``$MARKETSIM_ADDRESS``.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import os
import signal
import sys
from collections.abc import Sequence
from pathlib import Path

from marketsim.cli_sweep import add_sweep_command
from marketsim.core import Instrument
from marketsim.errors import MarketsimError

DEFAULT_PORT = 50051
DEFAULT_ADDRESS = f"127.0.0.1:{DEFAULT_PORT}"
#: Garbage-collector thresholds of ``marketsim serve`` (see ``_serve``).
GC_THRESHOLDS = (50_000, 20, 100)


def _instrument(text: str) -> Instrument:
    """Parse SYMBOL[:TICK[:LOT]], e.g. ACME:0.01 or BTC:0.5:0.001."""
    symbol, tick, lot = [*text.split(":"), "0.01", "1"][:3]
    try:
        return Instrument(symbol, tick, lot)
    except MarketsimError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


async def _serve(args: argparse.Namespace) -> None:
    from marketsim.core import Exchange
    from marketsim.server import MarketServer

    instruments = args.symbol or [Instrument("ACME", "0.01")]
    # No event log: nothing can read it over the wire, and it grows without bound.
    server = MarketServer(Exchange({i.symbol: i for i in instruments}, keep_events=False))
    # Matching allocates several objects per event, nearly all short-lived: with the default
    # thresholds the collector ran ~20% of the server's time, and full collections over a big
    # heap stalled streams for 100+ ms. Keep the start-up heap out of collections and run
    # the young generation every GC_THRESHOLDS[0] allocations instead of every 700.
    gc.collect()
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLDS)
    # Handlers first: whoever reads the ready line may signal us at once.
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    try:
        address = await server.start(args.host, args.port)
        print(f"marketsim listening on {address}", flush=True)
        listed = ", ".join(f"{i.symbol} (tick {i.tick_size})" for i in instruments)
        print(f"instruments: {listed}; Ctrl-C stops", flush=True)
        await stop.wait()
    finally:
        await server.stop(grace=2.0)
    print("marketsim stopped", flush=True)


def _client(args: argparse.Namespace):
    from marketsim.client import MarketClient

    return MarketClient(args.address, owner=args.owner)


def _submit(args: argparse.Namespace) -> None:
    with _client(args) as client:
        result = client.submit(
            args.symbol, args.side, args.qty, args.price, tif=args.tif, post_only=args.post_only
        )
        print(result)
        print(result.explain())


def _cancel(args: argparse.Namespace) -> None:
    with _client(args) as client:
        print(client.cancel(args.symbol, args.order_id))


def _book(args: argparse.Namespace) -> None:
    with _client(args) as client:
        print(client.book(args.symbol, args.depth).ladder(args.depth))


async def _subscribe(args: argparse.Namespace) -> None:
    from marketsim.client import AsyncMarketClient

    async with AsyncMarketClient(args.address, owner=args.owner) as client:

        async def books() -> None:
            async for update in client.stream_book(args.symbol):
                print(f"book   {update.book!r}", flush=True)

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

    run_demo(seconds=args.seconds, out_dir=args.out)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="marketsim", description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)

    serve = commands.add_parser("serve", help="serve a market until Ctrl-C")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=DEFAULT_PORT, help="0 picks a free port")
    serve.add_argument(
        "--symbol",
        action="append",
        type=_instrument,
        metavar="SYM[:TICK[:LOT]]",
        help="an instrument to list (repeatable; default ACME:0.01)",
    )
    serve.set_defaults(run=lambda args: asyncio.run(_serve(args)))

    def client_command(name: str, help: str):
        command = commands.add_parser(name, help=help)
        address = os.environ.get("MARKETSIM_ADDRESS", DEFAULT_ADDRESS)
        command.add_argument("--address", default=address, help=f"default {address}")
        command.add_argument("--owner", default=os.environ.get("USER", ""))
        command.add_argument("symbol")
        return command

    submit = client_command("submit", "submit an order and explain what it did")
    submit.add_argument("side", choices=["buy", "sell"])
    submit.add_argument("qty", type=float)
    submit.add_argument("price", type=float, nargs="?", help="omit for a market order")
    submit.add_argument("--tif", choices=["GTC", "IOC", "FOK"], default="GTC")
    submit.add_argument("--post-only", action="store_true")
    submit.set_defaults(run=_submit)

    cancel = client_command("cancel", "cancel one of your orders")
    cancel.add_argument("order_id", type=int)
    cancel.set_defaults(run=_cancel)

    book = client_command("book", "print the book as a ladder")
    book.add_argument("--depth", type=int, default=10)
    book.set_defaults(run=_book)

    subscribe = client_command("subscribe", "print book updates and trades until Ctrl-C")
    subscribe.set_defaults(run=lambda args: asyncio.run(_subscribe(args)))

    demo = commands.add_parser("demo", help="a live market in the terminal, then plots")
    demo.add_argument("--seconds", type=float, default=15.0)
    demo.add_argument("--out", default="demo-output", help="folder for the PNG files")
    demo.set_defaults(run=_demo)

    _add_data_commands(commands)
    add_sweep_command(commands)
    return parser


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


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit status."""
    args = _parser().parse_args(argv)
    try:
        args.run(args)
    except KeyboardInterrupt:
        return 130
    except MarketsimError as error:
        print(f"marketsim: {error}", file=sys.stderr)
        return 1
    return 0
