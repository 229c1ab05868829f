"""``Playground``: an order book in the notebook that a student drives with clicks.

    from marketsim.widgets import Playground
    Playground()          # in a cell: pick a trader, side, qty, price and TIF, then Submit

No market server is involved: the widget owns an in-process ``OrderBook`` (through a
``marketsim.teach.BookTimeline``, which gives it undo, redo and reset by replay). Each price
level is a row: a button with the price (click it to put that price in the form) and the
level's queue drawn as blocks, one per order, front of the queue on the left. It needs only
ipywidgets (HTML and buttons), so it works in JupyterLab, Notebook 7 and VS Code alike, and
keeps working after the kernel has gone (the last picture is plain HTML).
"""

from __future__ import annotations

import html
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from typing import Any

import ipywidgets as widgets

from marketsim.core import OrderBook
from marketsim.core.results import OrderResult
from marketsim.errors import InvalidCommandError
from marketsim.teach.timeline import BookTimeline, Queue, describe_submit
from marketsim.widgets._common import DIM_COLOUR, ERROR_COLOUR, coloured
from marketsim.widgets.queue_picture import OWNER_PALETTE, row_svg, scale

_TIFS = ("GTC", "IOC", "FOK")
#: Levels shown per side, and empty prices offered next to the best quotes.
_LEVELS_PER_SIDE = 5
_SPARE_PRICES = 2
_ROWS = 2 * _LEVELS_PER_SIDE + 2 * _SPARE_PRICES
_KEEP: Any = object()


class Playground(widgets.VBox):
    """An in-process order book with a form, a queue picture, explanations and undo.

    ``traders`` are the names the form offers (each gets a colour); ``start_price`` centres
    the empty book's picture. For code and tests: ``timeline`` (its ``book`` and ``steps``),
    ``submit(...)``, ``cancel(order_id)``, ``undo()``, ``redo()``, ``reset()``,
    ``pick_price(price)`` (what a click on a price does), ``last_error``.
    """

    def __init__(
        self,
        symbol: str = "ACME",
        tick_size: float | Decimal | str = 0.01,
        *,
        traders: tuple[str, ...] = ("alice", "bob", "carol", "dave"),
        start_price: float | Decimal | str = 100,
    ) -> None:
        self.timeline = BookTimeline(symbol, tick_size)
        instrument = self.timeline.instrument
        self._start_ticks = instrument.price_to_ticks(start_price, "start_price")
        self.colours = {
            name: OWNER_PALETTE[i % len(OWNER_PALETTE)] for i, name in enumerate(traders)
        }
        self.last_error: str | None = None
        self._before: dict[tuple[str, int], Queue] | None = None

        form = self._make_form()
        picture = self._make_picture()
        title = widgets.HTML(f"<b>{html.escape(instrument.symbol)}</b> order-book playground")
        super().__init__(
            [title, form, self.preview, self.status, widgets.HBox([picture, self.explanation])]
        )
        self.add_class("marketsim-playground")
        self._redraw()

    def _make_form(self) -> widgets.VBox:
        """The controls: trader, side, qty, price, TIF, the command buttons, cancel by id."""
        compact = {"button_width": "72px", "description_width": "50px"}
        self.trader = widgets.ToggleButtons(
            options=list(self.colours), description="trader", style=compact
        )
        self.side = widgets.ToggleButtons(
            options=["buy", "sell"], description="side", style=compact
        )
        self.qty = widgets.BoundedIntText(value=5, min=1, max=1_000_000, description="qty")
        self.price = widgets.Text(placeholder="market", description="price")
        self.tif = widgets.Dropdown(options=_TIFS, value="GTC", description="tif")
        self.submit_button = widgets.Button(description="Submit", button_style="primary")
        self.undo_button = widgets.Button(description="Undo", icon="undo")
        self.redo_button = widgets.Button(description="Redo", icon="repeat")
        self.reset_button = widgets.Button(description="Reset", button_style="warning")
        self.cancel_id = widgets.BoundedIntText(value=1, min=1, max=10**9, description="order")
        self.cancel_button = widgets.Button(description="Cancel order")
        for control in (self.qty, self.price, self.tif, self.cancel_id):
            control.layout = widgets.Layout(width="190px")
        for name, control in (
            ("trader", self.trader), ("side", self.side), ("qty", self.qty),
            ("price", self.price), ("tif", self.tif), ("order", self.cancel_id),
        ):  # fmt: skip
            control.add_class(f"marketsim-playground-{name}")
        for name, button in self._buttons().items():
            button.layout = widgets.Layout(width="110px")
            button.add_class(f"marketsim-playground-{name}")
        self.submit_button.on_click(lambda _: self.submit())
        self.undo_button.on_click(lambda _: self.undo())
        self.redo_button.on_click(lambda _: self.redo())
        self.reset_button.on_click(lambda _: self.reset())
        self.cancel_button.on_click(lambda _: self.cancel(self.cancel_id.value))

        return widgets.VBox(
            [
                self.trader,
                self.side,
                widgets.HBox([self.qty, self.price, self.tif]),
                widgets.HBox(
                    [self.submit_button, self.undo_button, self.redo_button, self.reset_button]
                ),
                widgets.HBox([self.cancel_id, self.cancel_button]),
            ]
        )

    def _make_picture(self) -> widgets.VBox:
        """The legend, the rows of price buttons and queues, the preview, status and
        explanation."""
        self.legend = widgets.HTML(self._legend_html())
        self.status = widgets.HTML()
        self.status.add_class("marketsim-playground-status")
        #: The order Submit would send, as the kernel reads the form now.
        self.preview = widgets.HTML()
        self.preview.add_class("marketsim-playground-preview")
        for control in (self.trader, self.side, self.qty, self.price, self.tif):
            control.observe(lambda _: self._show_preview(), "value")
        self._show_preview()
        self.explanation = widgets.HTML()
        self.explanation.add_class("marketsim-playground-explanation")
        self.price_buttons = [
            widgets.Button(layout=widgets.Layout(width="96px", height="24px", padding="0"))
            for _ in range(_ROWS)
        ]
        self.queue_rows = [widgets.HTML(layout=widgets.Layout(height="24px")) for _ in range(_ROWS)]
        self.rows = [
            widgets.HBox([button, picture], layout=widgets.Layout(margin="0", height="26px"))
            for button, picture in zip(self.price_buttons, self.queue_rows, strict=True)
        ]
        for button in self.price_buttons:
            button.add_class("marketsim-playground-level")
            button.on_click(lambda clicked: self.pick_price(clicked.description))
        self.ladder = widgets.VBox(self.rows)
        self.ladder.add_class("marketsim-playground-ladder")

        return widgets.VBox([self.legend, self.ladder], layout=widgets.Layout(margin="0 16px 0 0"))

    # -- commands ---------------------------------------------------------------------------

    @property
    def book(self) -> OrderBook:
        """The ``OrderBook`` as it is now (a new object after undo, redo and reset)."""
        return self.timeline.book

    def submit(
        self,
        trader: str | None = None,
        side: str | None = None,
        qty: int | None = None,
        price: Any = _KEEP,
        tif: str | None = None,
    ) -> OrderResult | None:
        """Put the given values in the form, then submit what the form says.

        ``price=None`` (or an empty price box) is a market order. Returns the ``OrderResult``,
        or None when the order was refused before reaching the book (see ``last_error``).
        """
        for control, value in (
            (self.trader, trader),
            (self.side, side),
            (self.qty, qty),
            (self.tif, tif),
        ):
            if value is not None:
                control.value = value
        if price is not _KEEP:
            self.price.value = "" if price is None else str(price)
        return self._run(
            lambda: self.timeline.submit(
                self.side.value,
                self.qty.value,
                self._form_price(),
                tif=self.tif.value,
                owner=self.trader.value,
            )
        )

    def cancel(self, order_id: int) -> OrderResult | None:
        """Cancel a resting order by id."""
        return self._run(lambda: self.timeline.cancel(order_id))

    def undo(self) -> bool:
        """Take back the last command (the book is rebuilt by replaying the rest)."""
        return self._move(self.timeline.undo())

    def redo(self) -> bool:
        """Apply the last undone command again."""
        return self._move(self.timeline.redo())

    def reset(self) -> None:
        """An empty book and no history."""
        self.timeline.reset()
        self._move(True)

    def pick_price(self, price: str) -> None:
        """Put ``price`` in the form (a click on a price level does this)."""
        self.price.value = price

    def _form_price(self) -> Decimal | None:
        text = self.price.value.strip()
        if not text or text.lower() == "market":
            return None
        try:
            return Decimal(text)
        except InvalidOperation:
            raise InvalidCommandError(
                f"price must be a number, or empty for market; got {text!r:.80}"
            ) from None

    def _show_preview(self) -> None:
        price = self.price.value.strip()[:40] or None
        order = describe_submit(
            self.side.value,
            self.qty.value,
            price,
            {"owner": self.trader.value, "tif": self.tif.value},
        )
        self.preview.value = coloured(f"next order: {order}", DIM_COLOUR)

    def _run(self, command: Callable[[], OrderResult]) -> OrderResult | None:
        before = self._snapshot()
        try:
            result = command()
        except ValueError as error:  # refused before the book: nothing changed
            self.last_error = str(error)
            self.status.value = coloured(f"refused: {error}", ERROR_COLOUR)
            return None
        self.last_error = None
        self._before = before
        self.status.value = coloured(
            f"{self.timeline.steps[-1].label}: {result.status}", DIM_COLOUR
        )
        self._redraw()
        return result

    def _move(self, moved: bool) -> bool:
        if moved:
            self._before = None  # an undo or redo jumps; nothing to animate
            self.last_error = None
            self.status.value = coloured(f"{len(self.timeline.steps)} commands applied", DIM_COLOUR)
            self._redraw()
        return moved

    # -- drawing ----------------------------------------------------------------------------

    def _snapshot(self) -> dict[tuple[str, int], Queue]:
        to_ticks = self.timeline.instrument.price_to_ticks
        return {
            (side, to_ticks(price)): queue
            for side in ("bid", "ask")
            for price, queue in self.timeline.queues(side)
        }

    def _price_rows(self, now: dict[tuple[str, int], Queue]) -> list[int]:
        """The prices to show, highest first: the best levels of each side and a few empty
        prices next to the best quotes (or around the start price in an empty book)."""
        bids = sorted((ticks for side, ticks in now if side == "bid"), reverse=True)[
            :_LEVELS_PER_SIDE
        ]
        asks = sorted(ticks for side, ticks in now if side == "ask")[:_LEVELS_PER_SIDE]
        spare: set[int] = set()
        if asks:
            spare |= {asks[0] - k for k in range(1, _SPARE_PRICES + 1)}
        if bids:
            spare |= {bids[0] + k for k in range(1, _SPARE_PRICES + 1)}
        if not asks and not bids:
            spare = {self._start_ticks + k for k in range(-_SPARE_PRICES, _SPARE_PRICES + 1)}
        if bids and asks:  # only the gap between the quotes
            spare = {t for t in spare if bids[0] < t < asks[0]}
        prices = {*bids, *asks, *(t for t in spare if t > 0)}
        return sorted(prices, reverse=True)[:_ROWS]

    def _redraw(self) -> None:
        now, before = self._snapshot(), self._before
        traded = self.timeline.steps[-1].traded_order_ids if before is not None else frozenset()
        # A level the last command emptied keeps its row this once, to show its orders leave.
        prices = self._price_rows({**(before or {}), **now})
        queues = [*now.values(), *(before or {}).values()]
        pixels = scale([float(sum(qty for *_, qty in queue)) for queue in queues])
        padded = [*prices, *[None] * (_ROWS - len(prices))]
        for row, button, picture, ticks in zip(
            self.rows, self.price_buttons, self.queue_rows, padded, strict=True
        ):
            row.layout.display = "none" if ticks is None else None
            if ticks is None:
                continue
            side = next((side for side in ("ask", "bid") if (side, ticks) in now), "")
            previous = None
            if before is not None:  # the row's orders before the command, of either side
                previous = before.get(("ask", ticks), ()) + before.get(("bid", ticks), ())
                side = side or next((x for x in ("ask", "bid") if (x, ticks) in before), "")
            button.description = self.timeline.instrument.format_price(ticks)
            button.tooltip = f"use {button.description} as the price"
            queue = now.get((side, ticks), ())
            picture.value = row_svg(side, queue, previous, traded, pixels, self.colours)
        self.undo_button.disabled = not self.timeline.can_undo
        self.redo_button.disabled = not self.timeline.can_redo
        self.explanation.value = self._explanation_html()

    def _explanation_html(self) -> str:
        if not self.timeline.steps:
            return coloured("Submit an order: each step the engine takes is told here.", DIM_COLOUR)
        step = self.timeline.steps[-1]
        return (
            f"<b>{html.escape(step.label)}</b>"
            f'<pre style="white-space:pre-wrap;max-width:460px;font-size:11px">'
            f"{html.escape(step.explanation)}</pre>"
        )

    def _legend_html(self) -> str:
        swatches = "".join(
            f'<span style="display:inline-block;margin-right:10px">'
            f'<span style="display:inline-block;width:12px;height:12px;background:{colour};'
            f'vertical-align:middle;border-radius:2px"></span> {html.escape(name)}</span>'
            for name, colour in self.colours.items()
        )
        return f'<div style="font-size:12px">{swatches} · front of each queue on the left</div>'

    def _buttons(self) -> dict[str, widgets.Button]:
        return {
            "submit": self.submit_button,
            "undo": self.undo_button,
            "redo": self.redo_button,
            "reset": self.reset_button,
            "cancel": self.cancel_button,
        }
