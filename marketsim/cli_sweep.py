"""``marketsim sweep STUDY.toml``: run a study described in a TOML file (see ``sim.sweep``).

    # spread-study.toml
    duration = 60                  # simulated seconds per run
    seeds = 20                     # a count (range(20)) or a list of seeds
    # instrument = "ACME", tick_size = 0.01, lot_size = 1, out = "runs/spread-study"

    [agents]                       # name = a class of marketsim.sim, or "package.module:factory"
    zi = "ZeroIntelligence"
    mm = "MarketMaker"

    [grid]
    "mm.half_spread_ticks" = [1, 2, 4]
    "zi.market_rate" = [1.0, 2.5]

    [fixed]
    "zi.limit_rate" = 1.0

    marketsim sweep spread-study.toml [--scheduler tcp://host:8786 | --workers N] [--out DIR]

Without ``out`` in the file or ``--out``, results go to a folder named after the file, next
to it (``spread-study/``). Heavy imports wait until the command runs.
"""

from __future__ import annotations

import argparse
import importlib
import tomllib
from pathlib import Path
from typing import Any

from marketsim.errors import InvalidCommandError

#: The keys a study file may have, with what each must be.
STUDY_KEYS = {
    "agents": "a table of name = agent class",
    "grid": 'a table of "agent.param" = [values]',
    "fixed": 'a table of "agent.param" = value',
    "seeds": "a count or a list of seeds",
    "duration": "simulated seconds per run",
    "instrument": "the symbol",
    "tick_size": "the tick size",
    "lot_size": "the lot size",
    "out": "the output folder or URL",
}

#: Columns left out of the printed table (they are in summary.parquet).
HIDDEN_COLUMNS = ("run_id", "traceback")


def add_sweep_command(commands: Any) -> None:
    """Register ``sweep`` on the ``marketsim`` subcommand parsers."""
    command = commands.add_parser(
        "sweep",
        help="run a study (a grid of simulations over seeds) from a TOML file",
        description="Run every point of a study's grid for every seed, resuming from the runs "
        "already in the output folder, then print the summary table.",
    )
    command.add_argument("study", type=Path, metavar="STUDY.toml")
    where = command.add_mutually_exclusive_group()
    where.add_argument(
        "--scheduler",
        metavar="WHERE",
        help="serial, processes, or a Dask scheduler address like tcp://HOST:8786 "
        "(default: a local Dask cluster on every core)",
    )
    where.add_argument("--workers", type=int, metavar="N", help="local worker processes")
    command.add_argument("--out", metavar="DIR", help="output folder or fsspec URL")
    command.add_argument("--quiet", action="store_true", help="no progress bar")
    command.set_defaults(run=run_sweep_command)


def read_study(path: Path) -> dict[str, Any]:
    """The ``sim.sweep`` keyword arguments a study file describes."""
    if not path.is_file():
        raise InvalidCommandError(f"no study file at {str(path)[:80]}")
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        raise InvalidCommandError(f"{path.name} is not valid TOML: {error}") from None
    unknown = sorted(set(data) - set(STUDY_KEYS))
    if unknown:
        known = "; ".join(f"{key}: {what}" for key, what in STUDY_KEYS.items())
        raise InvalidCommandError(f"{path.name}: unknown keys {unknown[:5]} (known: {known})")
    for key in ("agents", "duration"):
        if key not in data:
            raise InvalidCommandError(f"{path.name} needs {key} ({STUDY_KEYS[key]})")
    for key in ("agents", "grid", "fixed"):
        if not isinstance(data.get(key, {}), dict):
            raise InvalidCommandError(f"{path.name}: {key} must be {STUDY_KEYS[key]}")
    data["agents"] = {name: agent_factory(spec) for name, spec in data["agents"].items()}
    data.setdefault("out", str(path.with_suffix("")))
    return data


def agent_factory(spec: Any) -> Any:
    """An agent class named in a study file: ``ZeroIntelligence`` or ``package.module:name``."""
    from marketsim import sim

    if not isinstance(spec, str):
        raise InvalidCommandError(f"an agent is named by a string, got {str(spec)[:80]!r}")
    module_name, _, attribute = spec.rpartition(":")
    try:
        module = importlib.import_module(module_name) if module_name else sim
        factory = getattr(module, attribute)
    except (ImportError, AttributeError):
        raise InvalidCommandError(
            f"unknown agent {spec[:80]!r}: give a class of marketsim.sim (ZeroIntelligence, "
            "MarketMaker, NoiseTrader, MomentumTrader) or 'package.module:factory'"
        ) from None
    if not callable(factory):
        raise InvalidCommandError(f"{spec[:80]!r} is not an agent class or factory")
    return factory


def run_sweep_command(args: argparse.Namespace) -> None:
    """``marketsim sweep``: run the study, then print its summary table."""
    from marketsim.sweep import sweep

    options = read_study(args.study)
    if args.out is not None:
        options["out"] = args.out
    study = sweep(
        **options, scheduler=args.scheduler, workers=args.workers, progress=not args.quiet
    )
    table = study.summary.drop(columns=list(HIDDEN_COLUMNS))
    if table["error"].isna().all():
        table = table.drop(columns="error")
    print(table.to_string(index=False, max_rows=100))
    print(
        f"{len(study.summary)} runs ({study.ran} run now, {study.reused} found done, "
        f"{len(study.errors)} not ok); summary in {study.out}/summary.parquet"
    )
