"""What ``marketsim simulate`` and ``marketsim replay lobster`` do (``marketsim.cli`` parses).

    marketsim simulate --agents zi,mm --duration 600 --seed 1 --out zi-mm.parquet
    marketsim simulate --agents zi,mm,noise --duration 30 --live --address HOST:PORT
    marketsim replay lobster MESSAGES.csv --orderbook ORDERBOOK.csv --check --out day.parquet
    marketsim replay lobster MESSAGES.csv --orderbook ORDERBOOK.csv --into HOST:PORT --speed 60

Both show a progress bar on stderr and print a summary on stdout.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tqdm.auto import tqdm

from marketsim.core import Instrument
from marketsim.errors import InvalidCommandError, MarketsimError


class CheckFailedError(MarketsimError):
    """``replay --check``: the replay did not reproduce every orderbook row."""


def _agent_factories() -> dict[str, Callable[[], Any]]:
    from marketsim import sim

    return {
        "zi": sim.ZeroIntelligence,
        "mm": sim.MarketMaker,
        "noise": sim.NoiseTrader,
        "momentum": sim.MomentumTrader,
    }


#: The agent names ``--agents`` accepts, each an agent with its default parameters.
AGENT_NAMES = ("zi", "mm", "noise", "momentum")


def agent_list(text: str) -> list[str]:
    """Parse ``--agents zi,mm``: known names, each at most once (an argparse type)."""
    names = [name.strip() for name in text.split(",") if name.strip()]
    unknown = [name for name in names if name not in AGENT_NAMES]
    if unknown or not names:
        raise argparse.ArgumentTypeError(
            f"agents must be a comma-separated list of {', '.join(AGENT_NAMES)}; got {text!r}"
        )
    if len(set(names)) != len(names):
        raise argparse.ArgumentTypeError(f"each agent may appear once; got {text!r}")
    return names


def canonical_simulate_args(args: argparse.Namespace) -> list[str]:
    """The arguments that determine a simulation, in a fixed order, defaults left out
    (``--out`` and ``--quiet`` excluded): saved in the session's ``info["command"]``."""
    canonical = ["--agents", ",".join(args.agents)]
    if args.steps is not None:
        canonical += ["--steps", str(args.steps)]
    if args.duration is not None:
        canonical += ["--duration", f"{args.duration:g}"]
    if args.seed is not None:
        canonical += ["--seed", str(args.seed)]
    if args.symbol != "ACME":
        canonical += ["--symbol", args.symbol]
    if args.tick != "0.01":
        canonical += ["--tick", args.tick]
    return canonical


def simulate(args: argparse.Namespace) -> None:
    """``marketsim simulate``: run agents in-process (or live) and save the session."""
    if args.steps is None and args.duration is None:
        raise InvalidCommandError("simulate needs --steps or --duration")
    factories = _agent_factories()
    agents = [factories[name]() for name in args.agents]
    instrument = Instrument(args.symbol, args.tick)
    if args.live:
        _simulate_live(args, agents, instrument)
        return
    from marketsim import sim
    from marketsim.data.sessions import save_session

    result = sim.run(
        agents,
        instrument,
        steps=args.steps,
        duration=args.duration,
        seed=args.seed,
        progress=not args.quiet,
    )
    print(result)
    print(result.summary().to_string())
    if args.out:
        info = {"command": ["simulate", *canonical_simulate_args(args)]}
        _wrote(save_session(result, args.out, info=info), len(result.events))


def _simulate_live(args: argparse.Namespace, agents: list[Any], instrument: Instrument) -> None:
    from marketsim import sim
    from marketsim.client import MarketClient
    from marketsim.data.sessions import save_session

    if args.duration is None or args.steps is not None:
        raise InvalidCommandError("simulate --live runs for --duration seconds (not --steps)")
    symbol = instrument.symbol
    with MarketClient(args.address, owner="marketsim-simulate") as client:
        listed = {i.symbol for i in client.instruments()}
        if symbol not in listed:
            client.add_instrument(symbol, str(instrument.tick_size), str(instrument.lot_size))
        recorder = client.record(symbol) if args.out else None
        future = sim.drive(
            client,
            agents,
            symbol,
            duration=args.duration,
            seed=args.seed,
            speed=args.speed,
            wait=False,
        )
        bar = tqdm(
            total=args.duration,
            desc=f"drive {symbol} on {args.address}",
            bar_format="{l_bar}{bar}| {n:.1f}/{total:g} s",
            disable=args.quiet,
        )
        started = time.monotonic()
        try:
            while not future.done():
                time.sleep(0.1)
                bar.update(min(args.duration, time.monotonic() - started) - bar.n)
            result = future.result()
        except BaseException:
            future.cancel()
            raise
        finally:
            bar.close()
        print(result)
        print(result.summary().to_string())
        for error in result.errors:
            print(f"error: {error}")
        if recorder is not None:
            recorder.wait(client.book(symbol, depth=1).seq, timeout=30.0)
            recorder.stop()
            info = {"command": ["simulate", "--live", *canonical_simulate_args(args)]}
            _wrote(save_session(recorder, args.out, info=info), len(recorder))


def replay_lobster(args: argparse.Namespace) -> None:
    """``marketsim replay lobster``: replay a message file, in-process and/or into a server."""
    from marketsim.data import lobster
    from marketsim.data.sessions import save_session

    if args.check and args.orderbook is None:
        raise InvalidCommandError("--check compares with the orderbook file: give --orderbook")
    result = lobster.replay(
        args.messages,
        args.orderbook,
        symbol=args.symbol,
        progress=not args.quiet,
        into=args.into,
        speed=args.speed,
    )
    stats = result.stats
    print(f"{result.instrument.symbol}: {stats}")
    if stats.rows_compared:
        print(
            f"match rate {stats.match_rate:.4%}: {stats.rows_compared - stats.mismatches} of "
            f"{stats.rows_compared} orderbook rows ({stats.revealed_rows} after revealing "
            f"deeper levels)"
        )
    if result.live is not None:
        print(f"live: {result.live.stats}")
    if args.out:
        command = ["replay", "lobster", str(args.messages)]
        if args.orderbook is not None:
            command += ["--orderbook", str(args.orderbook)]
        if args.symbol is not None:
            command += ["--symbol", args.symbol]
        info = {"command": command}
        _wrote(save_session(result, args.out, info=info), len(result.events))
    if args.check and stats.mismatches:
        raise CheckFailedError(
            f"{stats.mismatches} of {stats.rows_compared} orderbook rows differ from the replay "
            f"(first rows: {stats.mismatch_rows})"
        )


def _wrote(path: Path, events: int) -> None:
    size = path.stat().st_size
    print(f"wrote {path} ({events:,} events, {size / 1024:,.1f} KiB)")
