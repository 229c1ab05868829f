"""``CasePanel``: a student's view of a trading case, live: heat, phase, time left, news and
tenders with Accept and Decline buttons.

    panel = ms.widgets.CasePanel(market.client("alice"))      # in a cell: it shows itself
    ...
    panel.stop()

It reads the case's state once (so a student who reconnects sees the heat so far), then follows
the private case stream. Clicks run on the loop the panel was made on, like ``OrderTicket``;
an answer the server refuses (a tender that just expired) shows in the panel, never raises.
"""

from __future__ import annotations

import asyncio
import contextlib
import html
import threading
from typing import Any

import ipywidgets as widgets

from marketsim.client.cases import CaseUpdate
from marketsim.widgets._common import (
    DIM_COLOUR,
    ERROR_COLOUR,
    SIDE_COLOUR,
    call_on_loop,
    coloured,
    loop_client,
    running_loop,
)


class CasePanel(widgets.VBox):
    """The running case as ``client``'s participant sees it (see the module docstring).

    For code and tests: ``status``, ``news`` and ``tenders`` (dicts, by id), ``updates``,
    ``last_error``, ``await answer(tender_id, accept)``, ``stop()``, ``await wait_stopped()``.
    """

    def __init__(self, client: Any) -> None:
        self._loop = running_loop("CasePanel")
        self._thread_id = threading.get_ident()
        self._client, self._owns_client = loop_client(client)
        self.status: dict[str, Any] = {}
        self.news: dict[int, dict[str, Any]] = {}
        self.tenders: dict[int, dict[str, Any]] = {}
        self.updates = 0
        self.last_error: str | None = None
        self.status_html = widgets.HTML(coloured("waiting for the case ...", DIM_COLOUR))
        self.news_html = widgets.HTML()
        self.tender_box = widgets.VBox()
        self.error_html = widgets.HTML()
        super().__init__([self.status_html, self.tender_box, self.news_html, self.error_html])
        self.add_class("marketsim-case-panel")
        self._task = self._loop.create_task(self._run(), name="marketsim-case-panel")

    async def _run(self) -> None:
        client = self._client
        try:
            self._merge(await asyncio.wait_for(client.case_state(), client.timeout))
            async for update in client.stream_case():
                self._merge(update)
        except asyncio.CancelledError:
            raise
        except Exception as error:  # no case, or the market stopped: what was seen stays
            self._show_error(error)
        finally:
            if self._owns_client:
                with contextlib.suppress(Exception):
                    await client.close()

    def _merge(self, update: CaseUpdate) -> None:
        if update.status.get("heat") != self.status.get("heat"):
            self.news.clear()  # a new heat: its own news and tenders
            self.tenders.clear()
        self.status = update.status
        for item in update.news:
            self.news[item["news_id"]] = item
        for tender in update.tenders:
            self.tenders[tender["tender_id"]] = tender
        self.updates += 1
        self._render()

    def _render(self) -> None:
        self.status_html.value = status_html(self.status)
        items = sorted(self.news.values(), key=lambda item: -item["seconds"])
        self.news_html.value = "".join(
            '<div style="font-size:12px">'
            + coloured(f"{item['seconds']:.0f} s", DIM_COLOUR)
            + f" {html.escape(item['text'])}</div>"
            for item in items
        )
        self.tender_box.children = [self._tender_row(t) for t in self.tenders.values()]

    def _tender_row(self, tender: dict[str, Any]) -> widgets.Widget:
        text = widgets.HTML(tender_html(tender))
        if tender["outcome"] != "open":
            return text
        accept = widgets.Button(description="Accept", button_style="success")
        decline = widgets.Button(description="Decline")
        tender_id = tender["tender_id"]
        accept.on_click(lambda _: self._loop.create_task(self.answer(tender_id, True)))
        decline.on_click(lambda _: self._loop.create_task(self.answer(tender_id, False)))
        return widgets.HBox([text, accept, decline])

    async def answer(self, tender_id: int, accept: bool) -> dict[str, Any] | None:
        """Accept or decline a tender; the outcome (or the error) shows in the panel."""
        client = self._client
        call = client.accept if accept else client.decline
        try:
            tender = await asyncio.wait_for(call(tender_id), client.timeout + 5)
        except Exception as error:
            self._show_error(error)
            return None
        self.tenders[tender_id] = tender
        self.last_error = None
        self.error_html.value = ""
        self._render()
        return tender

    def _show_error(self, error: BaseException) -> None:
        self.last_error = f"{type(error).__name__}: {error}"
        self.error_html.value = coloured(self.last_error, ERROR_COLOUR)

    def stop(self) -> None:
        """Stop following the case; what was seen stays."""
        call_on_loop(self._loop, self._thread_id, self._task.cancel)

    async def wait_stopped(self, timeout: float | None = 10.0) -> None:
        """Wait until ``stop()`` has finished."""
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.wait_for(asyncio.shield(self._task), timeout)


def status_html(status: dict[str, Any]) -> str:
    """``<b>news</b> · heat 1/3 · running · ACME continuous · 123 s left``."""
    if not status:
        return coloured("no case", DIM_COLOUR)
    phases = ", ".join(f"{s} {p}" for s, p in sorted(status["phases"].items()))
    parts = [
        f"<b>{html.escape(status['case'])}</b>",
        f"heat {status['heat']}/{status['heat_count']}",
        coloured(
            status["state"], SIDE_COLOUR["buy"] if status["state"] == "running" else DIM_COLOUR
        ),
        html.escape(phases),
        f"{status['seconds_left']:.0f} s left",
    ]
    return '<div style="font-size:13px">' + " &nbsp;·&nbsp; ".join(parts) + "</div>"


def tender_html(tender: dict[str, Any]) -> str:
    """``tender 3: buy 500 ACME at 99.50 until 80 s · open``."""
    outcome = tender["outcome"]
    colour = SIDE_COLOUR["buy"] if outcome == "accepted" else DIM_COLOUR
    return (
        f'<span style="font-size:12px">tender {tender["tender_id"]}: '
        f"<b>{tender['side']} {tender['qty']:g} {html.escape(tender['symbol'])} at "
        f"{tender['price']:g}</b> until {tender['expires_seconds']:.0f} s · "
        f"{coloured(outcome, colour, bold=outcome == 'open')}</span>"
    )
