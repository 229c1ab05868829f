"""``marketsim journal verify|export``: read a durable market's journal without serving it."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from marketsim.journal.writer import FSYNC_POLICIES


def add_journal_options(serve: argparse.ArgumentParser) -> None:
    """The ``serve`` options that make a market durable."""
    serve.add_argument(
        "--journal",
        type=Path,
        metavar="DIR",
        help="journal every command in DIR and recover the market from it on start "
        "(without --symbol, the journal's instruments are used)",
    )
    serve.add_argument(
        "--fsync",
        choices=FSYNC_POLICIES,
        default="batch",
        help="always: acks wait for fsync; batch (default): fsync every 50 ms, acks wait for "
        "the write only (a process crash loses nothing, a power loss up to 50 ms); off: never",
    )
    serve.add_argument(
        "--snapshot-every",
        type=int,
        default=None,
        metavar="N",
        help="snapshot the market every N journal records (default 100,000)",
    )


def add_journal_command(commands: Any) -> None:
    """Register ``journal verify`` and ``journal export``."""
    journal = commands.add_parser("journal", help="check or export a market's journal")
    actions = journal.add_subparsers(dest="action", required=True)
    verify = actions.add_parser(
        "verify",
        help="check every checksum, replay every record, compare the snapshots",
        description="Exit status 0 when the journal is intact and its snapshots agree with it.",
    )
    verify.add_argument("directory", type=Path, metavar="DIR")
    verify.set_defaults(run=_verify)
    export = actions.add_parser(
        "export", help="write an instrument's events to a session file (load_session reads it)"
    )
    export.add_argument("directory", type=Path, metavar="DIR")
    export.add_argument("--out", type=Path, required=True, metavar="FILE.parquet")
    export.add_argument("--symbol", help="the instrument (needed when the journal lists several)")
    export.set_defaults(run=_export)


def _verify(args: argparse.Namespace) -> int:
    from marketsim.server.journal_audit import verify

    report = verify(args.directory)
    print("\n".join(report.lines()))
    return 0 if report.ok else 1


def _export(args: argparse.Namespace) -> None:
    from marketsim.server.journal_audit import export

    path = export(args.directory, args.out, args.symbol)
    print(f"wrote {path}")
