"""``marketsim tui``: the command-line entry of the trading screen."""

from __future__ import annotations

import argparse
import os
from typing import Any


def client_options(token: str | None, tls: bool) -> dict[str, Any]:
    """Keyword arguments for the client constructor: only the credentials the user gave."""
    options: dict[str, Any] = {}
    if token:
        options["token"] = token
    if tls:
        options["tls"] = True
    return options


def _run(args: argparse.Namespace) -> None:
    from marketsim.tui import tui

    if args.admin:
        from marketsim.tui.moderator import ModeratorApp

        options = client_options(args.token, args.tls)
        ModeratorApp(args.address, owner=args.owner, client_options=options).run()
        return
    tui(
        symbol=args.symbol,
        address=args.address,
        owner=args.owner,
        client_options=client_options(args.token, args.tls),
    )


def add_tui_command(commands: Any, *, address: str, owner: str) -> None:
    """Register ``tui`` on the ``marketsim`` subcommands (``address``/``owner``: defaults)."""
    tui = commands.add_parser(
        "tui",
        help="a live trading screen in the terminal",
        description="Watch and trade one instrument: ladder with your orders and their queue "
        "places, trades, a mid/last chart, order entry, open orders, account. Press ? for "
        "the keys, q to quit.",
    )
    tui.add_argument("--address", default=address, help=f"server HOST:PORT (default {address})")
    tui.add_argument(
        "--owner",
        default=owner,
        help=f"who you trade as (default $MARKETSIM_OWNER, else your login name: {owner!r})",
    )
    tui.add_argument("--symbol", default="", help="instrument to show first (default: the first)")
    tui.add_argument(
        "--token",
        default=os.environ.get("MARKETSIM_TOKEN"),
        help="bearer token for servers that check participants (default $MARKETSIM_TOKEN)",
    )
    tui.add_argument("--tls", action="store_true", help="connect with TLS")
    tui.add_argument(
        "--admin",
        action="store_true",
        help="the moderator's screen of a trading case: leaderboard, who is connected, "
        "case controls",
    )
    tui.set_defaults(run=_run)
