"""``ModeratorApp``: the moderator's screen of a trading case (``marketsim tui --admin``).

It shows the case (heat, state, phases, time left), the leaderboard with who is following the
case now, and takes the case controls as keys: s start, p pause, r resume, n next heat, e end.
It polls the server once a second as an admin; answers and refusals show under the table.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any, ClassVar

from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import DataTable, Footer, Static

from marketsim.errors import MarketsimError, NotFoundError

POLL_SECONDS = 1.0


class ModeratorApp(App[None]):
    """Case status, leaderboard and controls for an admin of the market at ``address``."""

    TITLE = "marketsim moderator"
    CSS = """
    #case { dock: top; height: 2; background: $panel; padding: 0 1; }
    #board { height: 1fr; border-top: hkey $primary; }
    #message { height: auto; max-height: 3; padding: 0 1; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("s", "control('start')", "Start heat"),
        Binding("p", "control('pause')", "Pause"),
        Binding("r", "control('resume')", "Resume"),
        Binding("n", "control('next_heat')", "Next heat"),
        Binding("e", "control('end')", "End case"),
        Binding("q", "quit", "Quit"),
    ]

    def __init__(
        self, address: str, *, owner: str = "", client_options: Mapping[str, Any] | None = None
    ) -> None:
        super().__init__()
        self.address = address
        self.client_options = {"owner": owner, **dict(client_options or {})}
        self.client: Any = None
        self.status: dict[str, Any] = {}
        self.polls = 0

    def compose(self) -> ComposeResult:
        yield Static("connecting ...", id="case")
        yield DataTable(id="board", zebra_stripes=True)
        yield Static(id="message")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#board").border_title = "leaderboard"
        self.query_one("#board", DataTable).add_columns(
            "#", "participant", "role", "P&L", "position", "traded", "online"
        )
        self.run_worker(self._poll_forever(), group="poll")

    async def _poll_forever(self) -> None:
        from marketsim.client import AsyncMarketClient

        self.client = AsyncMarketClient(self.address, **self.client_options)
        try:
            while True:
                await self.refresh_view()
                await asyncio.sleep(POLL_SECONDS)
        finally:
            await self.client.close()

    async def refresh_view(self) -> None:
        """Read the case and the leaderboard once and show them."""
        try:
            self.status = (await self.client.case_state()).status
            board = await self.client.leaderboard()
        except NotFoundError:
            self.query_one("#case", Static).update("no case loaded on this market")
            return
        except MarketsimError as error:
            self.say(f"{type(error).__name__}: {error}")
            return
        self.polls += 1
        self.query_one("#case", Static).update(case_line(self.status))
        table = self.query_one("#board", DataTable)
        table.clear()
        online = set(self.status.get("connected", ()))
        for row in board.itertuples(index=False):
            table.add_row(
                str(row.rank),
                row.participant,
                row.role,
                f"{row.total_pnl:+,.2f}",
                f"{row.position:g}",
                f"{row.traded_qty:g}",
                "yes" if row.participant in online else "",
            )

    async def action_control(self, action: str) -> None:
        try:
            status = await self.client.control_case(action)
        except MarketsimError as error:
            self.say(f"{action}: {error}")
            return
        self.say(f"{action}: heat {status['heat']} {status['state']}")
        await self.refresh_view()

    def shown(self) -> str:
        """The case line and the last message, as the screen shows them (for tests)."""
        case = self.query_one("#case", Static).render()
        return f"{case} | {self.query_one('#message', Static).render()} | polls {self.polls}"

    def say(self, text: str) -> None:
        self.query_one("#message", Static).update(text)


def case_line(status: dict[str, Any]) -> str:
    """``news · heat 1/3 · running · ACME continuous · 123 s left · 12 following``."""
    phases = ", ".join(f"{s} {p}" for s, p in sorted(status["phases"].items()))
    return (
        f"{status['case']} · heat {status['heat']}/{status['heat_count']} · {status['state']} · "
        f"{phases} · {status['seconds_left']:.0f} s left · "
        f"{len(status.get('connected', ()))} following"
    )
