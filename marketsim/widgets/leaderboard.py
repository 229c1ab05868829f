"""``LiveLeaderboard``: every participant's P&L, best first, refreshed while the class trades.

    board = ms.widgets.LiveLeaderboard(market.client(owner="prof"), "ACME")   # shows itself
    ...
    board.stop()

It asks the server for the leaderboard every ``interval`` seconds (admins may; everyone, if the
server makes it public) and shows it as a table; the last table stays when it stops.
"""

from __future__ import annotations

import asyncio
import contextlib
import html
import math
import threading
from typing import Any

import ipywidgets as widgets
import pandas as pd

from marketsim import reruns
from marketsim.widgets._common import (
    DIM_COLOUR,
    ERROR_COLOUR,
    SIDE_COLOUR,
    call_on_loop,
    coloured,
    html_table,
    loop_client,
    running_loop,
)


class LiveLeaderboard(widgets.VBox):
    """A table of the leaderboard of ``symbol`` (or of all instruments), refreshed live.

    ``client`` is an admin's ``AsyncMarketClient`` or ``MarketClient`` (see ``OrderTicket``).
    For code and tests: ``frame`` (the last leaderboard DataFrame), ``refreshes``,
    ``last_error``, ``stop()`` and ``await wait_stopped()``.
    """

    def __init__(
        self, client: Any, symbol: str | None = None, *, interval: float = 1.0, rows: int = 30
    ) -> None:
        if not interval > 0:
            raise ValueError(f"interval must be positive, got {interval!r}")
        self._loop = running_loop("LiveLeaderboard")
        self._thread_id = threading.get_ident()
        self._client, self._owns_client = loop_client(client)
        self.symbol = symbol
        self.interval = interval
        self.rows = rows
        self.frame: pd.DataFrame | None = None
        self.refreshes = 0
        self.last_error: str | None = None
        self._stopped = False
        self.title = widgets.HTML(self._title("starting"))
        self.table = widgets.HTML()
        self.table.add_class("marketsim-leaderboard-table")
        super().__init__([self.title, self.table])
        self.add_class("marketsim-leaderboard")
        self._task = self._loop.create_task(self._run(), name="marketsim-leaderboard")
        reruns.track(self, "view")

    def _title(self, state: str) -> str:
        what = self.symbol or "all instruments"
        return f"<b>Leaderboard</b> · {html.escape(what)} · " + coloured(state, DIM_COLOUR)

    async def _run(self) -> None:
        try:
            while not self._stopped:
                try:
                    self.frame = await asyncio.wait_for(
                        self._client.leaderboard(self.symbol), self._client.timeout
                    )
                except asyncio.CancelledError:
                    raise
                except Exception as error:  # shown, and tried again next time
                    self.last_error = f"{type(error).__name__}: {error}"
                    self.title.value = (
                        self._title("live") + " " + coloured(self.last_error, ERROR_COLOUR)
                    )
                else:
                    self.refreshes += 1
                    self.last_error = None
                    self.table.value = leaderboard_html(self.frame, self.rows)
                    self.title.value = self._title(f"live · {self.refreshes} refreshes")
                await asyncio.sleep(self.interval)
        finally:
            self.title.value = self._title(f"stopped after {self.refreshes} refreshes")
            if self._owns_client:
                with contextlib.suppress(Exception):
                    await self._client.close()

    @property
    def running(self) -> bool:
        """False once ``stop()`` was called."""
        return not self._stopped

    def stop(self) -> None:
        """Stop refreshing; the last table stays."""
        call_on_loop(self._loop, self._thread_id, self._begin_stop)

    def _begin_stop(self) -> None:
        self._stopped = True
        self._task.cancel()

    async def wait_stopped(self, timeout: float | None = 10.0) -> None:
        """Wait until ``stop()`` has finished."""
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.wait_for(asyncio.shield(self._task), timeout)


def leaderboard_html(frame: pd.DataFrame, rows: int) -> str:
    """The top ``rows`` of a leaderboard frame as a table, P&L coloured by sign."""
    lines = []
    for row in frame.head(rows).itertuples(index=False):
        pnl = row.total_pnl
        colour = (
            DIM_COLOUR if math.isnan(pnl) or pnl == 0 else SIDE_COLOUR["buy" if pnl > 0 else "sell"]
        )
        lines.append(
            [
                str(row.rank),
                html.escape(row.participant),
                coloured(row.role, DIM_COLOUR),
                coloured(f"{pnl:+,.2f}", colour, bold=True),
                f"{row.realized_pnl:+,.2f}",
                f"{row.position:g}",
                f"{row.traded_qty:g}",
                str(row.open_orders),
            ]
        )
    header = ["#", "participant", "role", "P&L", "realized", "position", "traded", "orders"]
    return html_table(header, lines)
