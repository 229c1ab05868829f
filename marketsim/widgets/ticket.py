"""``OrderTicket``: a small order form whose results and errors show in the widget itself.

    ticket = ms.widgets.OrderTicket(client, "ACME")          # in a cell: it shows itself
    await ticket.submit(side="buy", qty=5, price=99.5)       # or fill the form and click Submit

Clicks run on the event loop the ticket was made on (the kernel's loop in a notebook). A
refused or malformed order never raises into the notebook: the error text shows under the form
(and in ``last_error``); a result shows with its plain-language explanation.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import html
import threading
from collections import deque
from decimal import Decimal, InvalidOperation
from typing import Any

import ipywidgets as widgets

from marketsim import reruns
from marketsim.client import AsyncMarketClient
from marketsim.core import OrderResult
from marketsim.core.ledger import Account
from marketsim.errors import InvalidCommandError
from marketsim.widgets._common import (
    DIM_COLOUR,
    ERROR_COLOUR,
    SIDE_COLOUR,
    call_on_loop,
    coloured,
    loop_client,
    running_loop,
)

#: Marks a ``submit`` argument that was not given (``price=None`` means a market order).
_KEEP: Any = object()

_TIFS = ("GTC", "IOC", "FOK")


class OrderTicket(widgets.VBox):
    """A form (side, qty, price, tif, post-only) that submits orders on ``symbol``.

    ``client`` is an ``AsyncMarketClient`` of the running loop or a ``MarketClient`` (then an
    async client with the same address and owner is opened on this loop, closed by ``stop()``).
    An empty price (or "market") sends a market order. The outcome of the last order shows
    under the form, the ones before in a short history. For code and tests: ``last_result``,
    ``last_error``, ``submitted``, ``failed``, ``await wait_idle()``.
    """

    def __init__(self, client: Any, symbol: str, *, history: int = 5) -> None:
        self._loop = running_loop("OrderTicket")
        self._thread_id = threading.get_ident()
        self._client, self._owns_client = loop_client(client)
        self.symbol = symbol
        self.last_result: OrderResult | None = None
        self.last_error: str | None = None
        self.submitted = self.failed = 0
        self.history: deque[str] = deque(maxlen=history)
        self._pending: set[concurrent.futures.Future[Any]] = set()
        self._stopped = False
        self._done = asyncio.Event()

        narrow = {"description_width": "36px"}
        self.side = widgets.ToggleButtons(
            options=["buy", "sell"], value="buy", style={"button_width": "52px"}
        )
        self.qty = widgets.FloatText(
            value=1, description="qty", style=narrow, layout=widgets.Layout(width="130px")
        )
        self.price = widgets.Text(
            value="",
            placeholder="market",
            description="price",
            style=narrow,
            layout=widgets.Layout(width="150px"),
        )
        self.tif = widgets.Dropdown(
            options=_TIFS,
            value="GTC",
            description="tif",
            style=narrow,
            layout=widgets.Layout(width="115px"),
        )
        self.post_only = widgets.Checkbox(
            value=False, description="post-only", indent=False, layout=widgets.Layout(width="90px")
        )
        self.submit_button = widgets.Button(
            description="Submit", button_style="primary", layout=widgets.Layout(width="80px")
        )
        for control, name in (
            (self.qty, "qty"),
            (self.price, "price"),
            (self.submit_button, "submit"),
        ):
            control.add_class(f"marketsim-ticket-{name}")
        self.result = widgets.HTML()
        self.result.add_class("marketsim-ticket-result")
        #: Your latest ``Account`` in the symbol (None until the server answered).
        self.account: Account | None = None
        self.account_html = widgets.HTML(coloured("position: asking the market...", DIM_COLOUR))
        self.account_html.add_class("marketsim-ticket-account")
        self.history_html = widgets.HTML()
        self.submit_button.on_click(self._on_click)
        self._inputs = [self.side, self.qty, self.price, self.tif, self.post_only]
        for control in self._inputs:
            control.layout.margin = "2px 8px 2px 0"
        form = widgets.HBox(
            [*self._inputs, self.submit_button],
            layout=widgets.Layout(align_items="center", flex_flow="row wrap"),
        )
        title = widgets.HTML(f"<b>{html.escape(symbol)}</b> order ticket")
        super().__init__([title, form, self.account_html, self.result, self.history_html])
        self.add_class("marketsim-ticket")
        self._account_task = self._loop.create_task(
            self._follow_account(), name="marketsim-ticket-account"
        )
        reruns.track(self, "view")

    # -- submitting -------------------------------------------------------------------------

    async def submit(
        self,
        side: str | None = None,
        qty: float | None = None,
        price: Any = _KEEP,
        *,
        tif: str | None = None,
        post_only: bool | None = None,
    ) -> OrderResult | None:
        """Fill in the given fields (the others keep their values) and submit the form.

        ``price=None`` sends a market order. Returns the ``OrderResult``, or None when the
        order was malformed or refused (the error shows in the widget and ``last_error``).
        """
        try:
            self._fill_in(side, qty, price, tif, post_only)
            order = self._read_form()
        except Exception as error:
            self._show_error("", error)
            return None
        return await self._place(order)

    async def wait_idle(self, timeout: float | None = 10.0) -> None:
        """Wait until every order sent by clicking Submit has its result shown."""
        pending = [asyncio.wrap_future(future) for future in list(self._pending)]
        if pending:
            await asyncio.wait_for(asyncio.gather(*pending, return_exceptions=True), timeout)

    @property
    def client(self) -> AsyncMarketClient:
        """The async client the ticket sends orders with (its owner owns the orders)."""
        return self._client

    @property
    def running(self) -> bool:
        """False once ``stop()`` was called."""
        return not self._stopped

    def stop(self) -> None:
        """Disable the form and, once pending orders are answered, close an opened client."""
        call_on_loop(self._loop, self._thread_id, self._begin_stop)

    def close(self) -> None:
        """Stop, then close the widget."""
        # Also called by ``__del__``, maybe half-built or after the loop closed.
        loop = getattr(self, "_loop", None)
        if loop is not None and not loop.is_closed() and not self._stopped:
            self.stop()
        super().close()

    async def wait_stopped(self, timeout: float | None = 30.0) -> None:
        """Wait until ``stop()`` has finished."""
        await asyncio.wait_for(self._done.wait(), timeout)

    def _begin_stop(self) -> None:
        if self._stopped or self._loop.is_closed():
            return
        self._stopped = True
        self._account_task.cancel()
        for control in [*self._inputs, self.submit_button]:
            control.disabled = True
        self._loop.create_task(self._close())

    async def _close(self) -> None:
        with contextlib.suppress(Exception):
            await self.wait_idle(timeout=self._client.timeout + 5)
        if self._owns_client:
            with contextlib.suppress(Exception):
                await self._client.close()
        self._done.set()

    def _on_click(self, _button: Any = None) -> None:
        """Read the form now and send the order on the ticket's loop."""
        if self._stopped:
            return
        try:
            order = self._read_form()
        except Exception as error:
            self._show_error("", error)
            return
        future = asyncio.run_coroutine_threadsafe(self._place(order), self._loop)
        self._pending.add(future)
        future.add_done_callback(self._pending.discard)

    def _fill_in(self, side, qty, price, tif, post_only) -> None:  # type: ignore[no-untyped-def]
        if side is not None:
            self.side.value = side
        if qty is not None:
            self.qty.value = qty
        if price is not _KEEP:
            self.price.value = "" if price is None else str(price)
        if tif is not None:
            self.tif.value = tif
        if post_only is not None:
            self.post_only.value = post_only

    def _read_form(self) -> dict[str, Any]:
        text = self.price.value.strip()
        price: Decimal | None = None
        if text and text.lower() != "market":
            try:
                price = Decimal(text)
            except InvalidOperation:
                raise InvalidCommandError(
                    f"price must be a number, or empty for a market order; got {text!r}"
                ) from None
        return {
            "side": self.side.value,
            "qty": self.qty.value,
            "price": price,
            "tif": self.tif.value,
            "post_only": self.post_only.value,
        }

    async def _place(self, order: dict[str, Any]) -> OrderResult | None:
        what = _describe(order)
        if self._stopped:
            self._show_error(what, RuntimeError("the ticket was stopped"))
            return None
        self.result.value = coloured(f"sending {what} ...", DIM_COLOUR)
        client = self._client
        try:
            result = await asyncio.wait_for(
                client.submit(
                    self.symbol,
                    order["side"],
                    order["qty"],
                    order["price"],
                    tif=order["tif"],
                    post_only=order["post_only"],
                ),
                client.timeout + 5,
            )
        except Exception as error:
            self._show_error(what, error)
            return None
        self._show_result(what, result)
        return result

    async def _follow_account(self) -> None:
        """Show your account now, then after every change the private stream reports."""
        try:
            self._show_account(await self._client.account(self.symbol))
            async for update in self._client.stream_private():
                if update.symbol == self.symbol:
                    self._show_account(update.account)
        except asyncio.CancelledError:
            raise
        except Exception as error:  # e.g. the market stopped: the last figures stay
            self.account_html.value += " " + coloured(f"({type(error).__name__})", DIM_COLOUR)

    def _show_account(self, account: Account) -> None:
        self.account = account
        self.account_html.value = account_html(account)

    # -- showing outcomes -------------------------------------------------------------------

    def _remember(self, line: str) -> None:
        self.history.appendleft(line)
        self.history_html.value = "".join(
            f'<div style="font-size:12px;opacity:{1 - 0.12 * i:.2f}">{item}</div>'
            for i, item in enumerate(list(self.history)[1:], 1)
        )

    def _show_result(self, what: str, result: OrderResult) -> None:
        self.submitted += 1
        self.last_result, self.last_error = result, None
        reason = f" ({result.reason})" if result.reason else ""
        colour = ERROR_COLOUR if result.status in ("rejected", "cancelled") else SIDE_COLOUR["buy"]
        line = (
            f"{coloured(what, DIM_COLOUR)} &rarr; "
            + coloured(f"order {result.order_id}: {result.status}{reason}", colour, bold=True)
            + html.escape(f", filled {result.filled_qty:g}, leaves {result.leaves_qty:g}")
        )
        explanation = html.escape(result.explain())
        self.result.value = (
            f'<div style="font-size:13px">{line}</div><pre style="font-size:11px;margin:2px 0;'
            f'color:{DIM_COLOUR};white-space:pre-wrap">{explanation}</pre>'
        )
        self._remember(line)

    def _show_error(self, what: str, error: BaseException) -> None:
        self.failed += 1
        self.last_error = f"{type(error).__name__}: {error}"
        prefix = f"{coloured(what, DIM_COLOUR)} &rarr; " if what else ""
        line = prefix + coloured(self.last_error, ERROR_COLOUR, bold=True)
        self.result.value = f'<div style="font-size:13px">{line}</div>'
        self._remember(line)


def account_html(account: Account) -> str:
    """``position 5 @ 100.05 · P&L +0.20 (realized +0.10, fees 0.00) · 2 open orders``."""
    pnl = account.total_pnl
    colour = DIM_COLOUR if not pnl or pnl != pnl else SIDE_COLOUR["buy" if pnl > 0 else "sell"]
    average = "" if account.position == 0 else f" @ {account.avg_price:g}"
    parts = [
        f"position <b>{account.position:g}</b>{html.escape(average)}",
        "P&amp;L "
        + coloured(f"{pnl:+,.2f}", colour, bold=True)
        + html.escape(f" (realized {account.realized_pnl:+,.2f}, fees {account.fees:,.2f})"),
        f"{account.open_orders} open orders",
    ]
    return '<div style="font-size:12px">' + " &nbsp;·&nbsp; ".join(parts) + "</div>"


def _describe(order: dict[str, Any]) -> str:
    """``"buy 5 @ 99.5 GTC"`` / ``"sell 3 @ market"``."""
    qty = order["qty"]
    size = f"{qty:g}" if isinstance(qty, int | float) else str(qty)
    if order["price"] is None:
        return f"{order['side']} {size} @ market"
    flags = order["tif"] + (", post-only" if order["post_only"] else "")
    return f"{order['side']} {size} @ {order['price']} {flags}"
