"""``TraderApp``: the Textual screen of ``marketsim tui``.

The feed writes into a ``TraderState`` as fast as the market moves; a timer redraws the panels
from a fresh ``Picture`` at most ``REDRAWS_PER_SECOND`` times a second, and only when the
state changed. Order entry, amend and cancel go through the feed's connected client, on the
same event loop; their results (or the reason nothing was sent) appear under the ticket.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping
from typing import Any, ClassVar

from rich.text import Text
from textual import work
from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.css.query import NoMatches
from textual.widgets import DataTable, Footer, Input, Static

from marketsim.errors import MarketsimError
from marketsim.tui import render
from marketsim.tui.feed import MarketFeed
from marketsim.tui.state import OpenOrder, Picture, RateMeter, TraderState
from marketsim.tui.widgets import HelpScreen, InstrumentScreen, Ticket

REDRAWS_PER_SECOND = 10
#: Levels per side taken from the state for a redraw: more than any screen shows.
PICTURE_DEPTH = 60


class TraderApp(App[None]):
    """A live trading screen for one instrument of the server at ``address``.

    ``client_options`` go to the client constructor unchanged (e.g. ``token``/``tls``, only
    when the user gave them). ``follow=False`` starts no feed: the screen
    then shows whatever is fed into ``state`` (for tests and benchmarks).
    """

    TITLE = "marketsim"
    CSS = """
    #status { dock: top; height: 1; background: $panel; }
    #main { height: 1fr; }
    #ladder { width: 40; height: 100%; border-top: hkey $primary; }
    #right { width: 1fr; }
    #tape { height: 1fr; min-height: 3; border-top: hkey $primary; }
    #chart { height: 5; border-top: hkey $primary; }
    #orders { height: 5; border-top: hkey $primary; scrollbar-size-horizontal: 0; }
    #account { height: 3; border-top: hkey $primary; }
    #message { height: auto; max-height: 4; padding: 0 1; }
    .wide #chart { height: 14; }
    .wide #orders { height: 8; }
    .wide #ladder { width: 56; }
    .case #account { height: 6; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("b", "new_order('buy')", "Buy"),
        Binding("s", "new_order('sell')", "Sell"),
        Binding("a", "amend", "Amend"),
        Binding("c", "cancel_order", "Cancel"),
        Binding("o", "focus_orders", "Orders", show=False),
        Binding("i", "instruments", "Instrument"),
        Binding("t", "answer_tender(True)", "Accept tender", show=False),
        Binding("x", "answer_tender(False)", "Decline tender", show=False),
        Binding("escape", "leave_ticket", "Leave ticket", show=False),
        Binding("question_mark", "help", "Help", key_display="?"),
        Binding("q", "quit", "Quit"),
    ]

    def __init__(
        self,
        address: str = "",
        symbol: str = "",
        *,
        owner: str = "",
        client_options: Mapping[str, Any] | None = None,
        state: TraderState | None = None,
        follow: bool = True,
    ) -> None:
        super().__init__()
        self.state = state or TraderState(symbol)
        self.feed = MarketFeed(
            self.state,
            address,
            owner=owner,
            client_options=client_options,
        )
        self.follow = follow
        self.redraws = 0
        #: The seq of the book the screen shows now.
        self.shown_seq = 0
        self._drawn: tuple = ()
        self._update_rate = RateMeter()
        self._orders: list[OpenOrder] = []

    def compose(self) -> ComposeResult:
        yield Static(id="status")
        with Horizontal(id="main"):
            yield Static(id="ladder")
            with Vertical(id="right"):
                yield Static(id="tape")
                yield Static(id="chart")
                yield DataTable(id="orders", cursor_type="row", zebra_stripes=True)
                yield Static(id="account")
        yield Ticket()
        yield Static(id="message")
        yield Footer()

    def on_mount(self) -> None:
        titles = {"ladder": "book", "tape": "trades", "chart": "mid / last", "orders": "my orders"}
        for widget_id, title in {**titles, "account": "account"}.items():
            self.query_one(f"#{widget_id}").border_title = title
        self.query_one("#orders", DataTable).add_columns(
            "order", "side", "qty", "price", "queue", "ahead"
        )
        self.query_one("#ticket-symbol", Input).value = self.state.symbol
        self.run_worker(self._redraw_forever(), group="redraw")
        if self.follow:
            self.start_feed()

    def on_resize(self) -> None:
        self.screen.set_class(self.size.width >= 120 and self.size.height >= 36, "wide")

    # -- drawing ----------------------------------------------------------------------------

    async def _redraw_forever(self) -> None:
        """Redraw every 1/REDRAWS_PER_SECOND s, straight from the loop (a Textual timer goes
        through the app's message queue, and a busy queue made it skip ticks)."""
        loop = asyncio.get_running_loop()
        interval = 1 / REDRAWS_PER_SECOND
        next_time = loop.time()
        while True:
            next_time = max(next_time + interval, loop.time())
            await asyncio.sleep(next_time - loop.time())
            try:
                self.redraw()
            except NoMatches:  # the app is closing and its widgets are already gone
                return

    def redraw(self) -> None:
        """Draw the latest picture, if anything changed since the last one."""
        state = self.state
        rate = self._update_rate.measure(state.updates)
        ladder = self.query_one("#ladder", Static)
        drawn = (state.version, ladder.content_size, self.feed.account_note)
        if drawn == self._drawn:
            return
        self._drawn = drawn
        picture = state.picture(PICTURE_DEPTH, rate)
        self.shown_seq = picture.seq
        self.redraws += 1
        ladder.update(render.ladder(picture, ladder.content_size.height))
        tape = self.query_one("#tape", Static)
        tape.update(render.tape(picture, tape.content_size.height))
        chart = self.query_one("#chart", Static)
        chart.update(render.chart(picture, chart.content_size.width, chart.content_size.height))
        account = render.account(self.feed.account, self.feed.account_note)
        case = self.feed.case
        self.screen.set_class(case is not None, "case")
        if case is not None:
            account = Text("\n").join([account, render.case(case)])
        self.query_one("#account", Static).update(account)
        self.query_one("#status", Static).update(render.status(picture, picture.seq))
        self._draw_orders(picture)
        symbol_input = self.query_one("#ticket-symbol", Input)
        if not symbol_input.value and picture.symbol:
            symbol_input.value = picture.symbol

    def _draw_orders(self, picture: Picture) -> None:
        if picture.orders == self._orders:
            return
        selected = self.selected_order()  # keep the cursor on the same order
        self._orders = picture.orders
        table = self.query_one("#orders", DataTable)
        table.clear()
        instrument = picture.instrument
        for order in picture.orders:
            style = render.SIDE_STYLE[order.side]
            table.add_row(
                Text(str(order.order_id)),
                Text("buy" if order.side == "bid" else "sell", style=style),
                Text(f"{instrument.lots_to_qty(order.leaves_lots):g}", justify="right"),
                Text(instrument.format_price(order.price_ticks), justify="right"),
                Text(f"#{order.queue_position}", justify="right"),
                Text(f"{instrument.lots_to_qty(order.ahead_lots):g}", justify="right"),
                key=str(order.order_id),
            )
        if selected is not None and str(selected.order_id) in table.rows:
            table.move_cursor(row=table.get_row_index(str(selected.order_id)))

    def say(self, text: str, *, error: bool = False) -> None:
        """Show ``text`` under the ticket (red for something that was refused)."""
        self.query_one("#message", Static).update(Text(text, style="bold red" if error else ""))

    # -- the feed ---------------------------------------------------------------------------

    def start_feed(self) -> None:
        """(Re)start following ``state.symbol``."""
        self.run_worker(self.feed.run(), group="feed", exclusive=True, exit_on_error=False)

    def switch_symbol(self, symbol: str | None) -> None:
        """Follow ``symbol`` instead of the current instrument."""
        if not symbol or symbol == self.state.symbol:
            return
        self.workers.cancel_group(self, "feed")
        self.state.switch(symbol)
        self._orders = []
        self.query_one("#ticket-symbol", Input).value = symbol
        if self.follow:
            self.start_feed()

    # -- actions ----------------------------------------------------------------------------

    def action_new_order(self, side: str) -> None:
        self.query_one(Ticket).new_order(side, self.state.symbol)

    def selected_order(self) -> OpenOrder | None:
        """The open order under the cursor of the orders table."""
        table = self.query_one("#orders", DataTable)
        if not self._orders or not 0 <= table.cursor_row < len(self._orders):
            return None
        return self._orders[table.cursor_row]

    def action_amend(self) -> None:
        order = self.selected_order()
        if order is None or self.state.instrument is None:
            self.say("no open order selected: nothing to amend", error=True)
            return
        instrument = self.state.instrument
        self.query_one(Ticket).amend(
            order.order_id,
            f"{instrument.lots_to_qty(order.leaves_lots):g}",
            instrument.format_price(order.price_ticks),
        )

    def action_cancel_order(self) -> None:
        order = self.selected_order()
        if order is None:
            self.say("no open order selected: nothing to cancel", error=True)
            return
        self.send("cancel", order_id=order.order_id)

    def action_focus_orders(self) -> None:
        self.query_one("#orders", DataTable).focus()

    def action_leave_ticket(self) -> None:
        self.action_focus_orders()

    async def action_answer_tender(self, accept: bool) -> None:
        """Accept or decline the open tender the account panel shows."""
        case, client = self.feed.case, self.feed.client
        open_tenders = [t for t in case.tenders if t["outcome"] == "open"] if case else []
        if not open_tenders or client is None:
            self.say("no open tender", error=True)
            return
        tender_id = open_tenders[0]["tender_id"]
        try:
            tender = await (client.accept if accept else client.decline)(tender_id)
        except MarketsimError as error:
            self.say(f"tender {tender_id}: {error}", error=True)
            return
        self.say(f"tender {tender_id}: {tender['outcome']}")
        self.feed.case = await client.case_state()
        self.state.version += 1

    def action_help(self) -> None:
        self.push_screen(HelpScreen())

    def action_instruments(self) -> None:
        symbols = self.state.symbols or [self.state.symbol]
        self.push_screen(InstrumentScreen(symbols, self.state.symbol), self.switch_symbol)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        ticket = self.query_one(Ticket)
        fields = ticket.fields
        if ticket.amending is not None:
            self.send(
                "replace",
                order_id=ticket.amending,
                qty=fields["qty"] or None,
                price=fields["price"],
                symbol=fields["symbol"],
            )
        else:
            self.send("submit", side=ticket.side, **fields)

    @work(group="orders")
    async def send(self, action: str, *, symbol: str = "", **arguments: Any) -> None:
        """Send one command and show what it did; refused input changes nothing."""
        client = self.feed.client
        if client is None:
            self.say("not connected: nothing was sent", error=True)
            return
        symbol = symbol or self.state.symbol
        started = time.perf_counter()
        try:
            if action == "submit":
                result = await client.submit(symbol, **arguments)
            elif action == "replace":
                result = await client.replace(symbol, **arguments)
            else:
                result = await client.cancel(symbol, **arguments)
        except MarketsimError as error:
            self.say(f"{action} refused: {error}", error=True)
            return
        if action == "submit" and symbol == self.state.symbol:
            self.state.own(result.order_id)
        elapsed = (time.perf_counter() - started) * 1000
        self.say(f"{result.explain()}  ({elapsed:.1f} ms)")
        if action == "replace":
            self.query_one(Ticket).new_order(self.query_one(Ticket).side, self.state.symbol)
