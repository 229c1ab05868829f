"""The trader's widgets that hold more than text: the order ticket, the help and the
instrument switcher screens."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Checkbox, Input, OptionList, Select, Static

TIF_CHOICES = [("GTC", "GTC"), ("IOC", "IOC"), ("FOK", "FOK")]

HELP_TEXT = """\
[b]marketsim tui[/b]: a live market in the terminal

  [b]b[/b] / [b]s[/b]    new buy / sell order: fills the ticket at the bottom
            (Tab moves between symbol, qty, price, TIF and post-only;
            an empty price means a market order; Enter sends it)
  [b]a[/b]        amend the order selected in the open orders (new qty and/or price)
  [b]c[/b]        cancel the order selected in the open orders
  [b]↑ ↓[/b]      select an open order (after [b]o[/b] or Esc)
  [b]o[/b]        go to the open orders
  [b]i[/b]        switch instrument
  [b]Esc[/b]      leave the ticket
  [b]?[/b]        this help          [b]q[/b]  quit

The ladder marks your resting orders as [b]me QTY #N[/b]: N is the order's place in its
queue. The status bar shows the connection, the book's seq, updates per second and
reconnects; when the server goes away the screen keeps the last picture and reconnects.

Press any key to close."""


class Ticket(Horizontal):
    """One line of order entry: side (or the order being amended), symbol, qty, price, TIF,
    post-only."""

    DEFAULT_CSS = """
    Ticket { height: 1; }
    Ticket Input, Ticket Input:focus { border: none; height: 1; padding: 0 1; }
    Ticket Input:focus { background: $accent 30%; }
    Ticket #ticket-side { width: 10; text-style: bold; }
    Ticket #ticket-symbol { width: 10; }
    Ticket #ticket-qty { width: 11; }
    Ticket #ticket-price { width: 13; }
    Ticket Select { width: 12; height: 1; }
    Ticket SelectCurrent { border: none; height: 1; padding: 0 1; }
    Ticket Checkbox { border: none; height: 1; padding: 0; }
    """

    def __init__(self) -> None:
        super().__init__(id="ticket")
        self.side = "buy"
        #: The order being amended, or None for a new order.
        self.amending: int | None = None

    def compose(self) -> ComposeResult:
        yield Static("BUY", id="ticket-side")
        yield Input(placeholder="symbol", id="ticket-symbol")
        yield Input(placeholder="qty", id="ticket-qty")
        yield Input(placeholder="price/mkt", id="ticket-price")
        yield Select(TIF_CHOICES, value="GTC", allow_blank=False, id="ticket-tif")
        yield Checkbox("post-only", id="ticket-post-only")

    def new_order(self, side: str, symbol: str) -> None:
        """Set the ticket up for a new order of ``side``."""
        self.side, self.amending = side, None
        label = self.query_one("#ticket-side", Static)
        label.update(side.upper())
        label.styles.color = "green" if side == "buy" else "red"
        self.query_one("#ticket-symbol", Input).value = symbol
        self.query_one("#ticket-qty", Input).focus()

    def amend(self, order_id: int, qty: str, price: str) -> None:
        """Set the ticket up to change ``order_id``'s open qty and/or price."""
        self.amending = order_id
        label = self.query_one("#ticket-side", Static)
        label.update(f"AMEND {order_id}")
        label.styles.color = "yellow"
        self.query_one("#ticket-qty", Input).value = qty
        self.query_one("#ticket-price", Input).value = price
        self.query_one("#ticket-qty", Input).focus()

    @property
    def fields(self) -> dict[str, object]:
        """What the ticket says: symbol, qty, price (None for market), tif, post_only."""
        price = self.query_one("#ticket-price", Input).value.strip()
        return {
            "symbol": self.query_one("#ticket-symbol", Input).value.strip(),
            "qty": self.query_one("#ticket-qty", Input).value.strip(),
            "price": price or None,
            "tif": self.query_one("#ticket-tif", Select).value,
            "post_only": self.query_one("#ticket-post-only", Checkbox).value,
        }


class HelpScreen(ModalScreen[None]):
    """The key bindings and what the screen shows; any key closes it."""

    DEFAULT_CSS = """
    HelpScreen { align: center middle; }
    HelpScreen > Static { width: auto; max-width: 100%; height: auto; max-height: 100%;
                          border: round $accent; padding: 0 1; background: $surface; }
    """

    def compose(self) -> ComposeResult:
        yield Static(HELP_TEXT, id="help")

    def on_key(self) -> None:
        self.dismiss()


class InstrumentScreen(ModalScreen[str | None]):
    """Pick one of the listed instruments; Esc keeps the current one."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "dismiss(None)", "Back")]
    DEFAULT_CSS = """
    InstrumentScreen { align: center middle; }
    InstrumentScreen > Vertical { width: 30; height: auto; max-height: 80%;
                                  border: round $accent; background: $surface; }
    """

    def __init__(self, symbols: list[str], current: str) -> None:
        super().__init__()
        self.symbols, self.current = symbols, current

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static("instrument (Enter picks)")
            options = OptionList(*self.symbols, id="instruments")
            if self.current in self.symbols:
                options.highlighted = self.symbols.index(self.current)
            yield options

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(self.symbols[event.option_index])
