"""What the widgets share: the loop they live on, a client for that loop, small HTML helpers."""

from __future__ import annotations

import asyncio
import html
import threading
import time
from collections.abc import Callable
from typing import Any

from marketsim.client import AsyncMarketClient, MarketClient
from marketsim.plotting import ASK_COLOUR, BID_COLOUR, MID_COLOUR

#: The first bytes of every PNG file.
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"

SIDE_COLOUR = {"buy": BID_COLOUR, "sell": ASK_COLOUR, "bid": BID_COLOUR, "ask": ASK_COLOUR}
ERROR_COLOUR = ASK_COLOUR
DIM_COLOUR = MID_COLOUR


def running_loop(what: str) -> asyncio.AbstractEventLoop:
    """The running event loop (a Jupyter kernel's own), or a clear error without one."""
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        raise RuntimeError(
            f"{what} runs on the asyncio event loop of the code that makes it, and none is "
            "running here: make it in a notebook cell (the kernel's loop) or in a coroutine"
        ) from None


def loop_client(client: Any) -> tuple[AsyncMarketClient, bool]:
    """An ``AsyncMarketClient`` for the running loop, and whether the caller must close it.

    An ``AsyncMarketClient`` is used as it is (it must belong to this loop). A ``MarketClient``
    (whose own async client lives on marketsim's IO thread) gives a copy with the same identity
    (owner, or token and TLS); for anything else with an ``address`` (a ``Market`` handle) a
    new one is opened to the same address, owner and timeout: grpc.aio objects must be made on
    the loop that uses them.
    """
    if isinstance(client, AsyncMarketClient):
        return client, False
    if isinstance(client, MarketClient):
        return client.async_client(), True
    address = getattr(client, "address", None)
    if not isinstance(address, str):
        raise TypeError(
            "expected an AsyncMarketClient or a MarketClient (anything with an .address), "
            f"got {client!r}"
        )
    owner = getattr(client, "owner", "") or ""
    timeout = getattr(client, "timeout", 10.0)
    return AsyncMarketClient(address, owner=owner, timeout=timeout), True


def call_on_loop(loop: asyncio.AbstractEventLoop, thread_id: int, callback: Callable[[], Any]):
    """Run ``callback`` now when on the loop's thread, else soon on that loop."""
    if threading.get_ident() == thread_id:
        callback()
    else:
        loop.call_soon_threadsafe(callback)


def coloured(text: str, colour: str, *, bold: bool = False) -> str:
    """``text`` escaped, in a span of ``colour``."""
    weight = "font-weight:600;" if bold else ""
    return f'<span style="color:{colour};{weight}">{html.escape(text)}</span>'


def utc_clock(ts_event: int) -> str:
    """``HH:MM:SS.mmm`` (UTC) of a timestamp in nanoseconds."""
    seconds, nanos = divmod(ts_event, 1_000_000_000)
    return time.strftime("%H:%M:%S", time.gmtime(seconds)) + f".{nanos // 1_000_000:03d}"


def html_table(header: list[str], rows: list[list[str]], *, align: str = "right") -> str:
    """A compact table; ``rows`` cells are HTML already."""
    cell = f"padding:1px 4px;text-align:{align};white-space:nowrap"
    head = "".join(f'<th style="{cell};color:{DIM_COLOUR}">{html.escape(h)}</th>' for h in header)
    body = "".join(
        "<tr>" + "".join(f'<td style="{cell}">{value}</td>' for value in row) + "</tr>"
        for row in rows
    )
    return (
        '<table style="border-collapse:collapse;font-family:monospace;font-size:11px">'
        f"<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
    )
