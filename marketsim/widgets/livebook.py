"""``LiveBook``: a book's depth, quotes, trades and headline numbers, live in a notebook.

    live = ms.widgets.LiveBook(client, "ACME")      # in a cell: it shows itself
    ...
    live.stop()
    await live.wait_stopped(timeout=10)              # the last picture stays

How it works (DESIGN section 8). Everything runs on the event loop of the code that makes the
widget, in a notebook the kernel's own loop, so widget updates go out like any other:

- two consumer tasks read the book and trade streams and only update the latest state (a
  reference to the client's live ``LocalBook``, bounded deques of quote changes and trades,
  counters); they never wait for drawing, so they keep up however slow drawing is;
- a render task wakes when the state changed, copies it (on the loop, where it is consistent)
  and draws it at most ``fps`` times a second: latest value wins, nothing queues up;
- drawing (matplotlib Agg + PNG encoding, tens of milliseconds) runs on one worker thread that
  alone makes and touches the ``Figure``, so the loop stays free for the streams and the kernel;
- numbers go to ``Label``/``HTML`` widgets, the picture to one persistent ``Image``;
- when stopped, or when the stream ends, one last frame is drawn and stays;
- a badge beside the title says "live" while a heartbeat rewrites it and turns to "stopped"
  by itself once nothing does (a kernel restart), see ``marketsim.widgets.liveness``.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import html
import threading
import time
from collections import deque
from typing import Any

import ipywidgets as widgets

from marketsim import reruns
from marketsim.client import AsyncMarketClient, BookUpdate, LocalBook
from marketsim.core import Fill, Instrument
from marketsim.widgets._common import call_on_loop, loop_client, running_loop
from marketsim.widgets.figure import BookFigure, FrameData, Quote
from marketsim.widgets.ladder import ladder_html
from marketsim.widgets.liveness import HEARTBEAT_SECONDS, live_badge, stopped_badge
from marketsim.widgets.numbers import headline_html, tape_html
from marketsim.widgets.own_orders import OwnOrder

#: Highest drawing rate allowed (frames per second).
MAX_FPS = 10.0


class LiveBook(widgets.VBox):
    """Live depth chart, price-and-spread chart, trade tape and headline numbers of ``symbol``.

    ``client`` is an ``AsyncMarketClient`` of the running loop or a ``MarketClient`` (then an
    async client to the same address is opened on this loop and closed on stop). Make it where
    an event loop runs: a notebook cell, or a coroutine. ``fps`` caps the drawing rate (at most
    10); ``depth`` levels per side are drawn; quotes of the last ``window_seconds`` are kept, at
    most ``max_points`` of them, and the last ``max_trades`` trades (``tape_rows`` in the tape).

    What it shows is also available as attributes: ``seq`` (last book update received),
    ``shown_seq`` (drawn), ``updates``, ``snapshots``, ``trade_count``, ``renders``,
    ``render_stats()``, ``quotes`` and ``trades`` (the bounded windows), ``reason`` (why it
    stopped), and the widgets ``image``, ``seq_label``, ``status_label``, ``headline``, ``tape``.
    """

    def __init__(
        self,
        client: Any,
        symbol: str,
        *,
        fps: float = 8.0,
        depth: int = 15,
        window_seconds: float = 60.0,
        max_points: int = 2000,
        max_trades: int = 500,
        tape_rows: int = 10,
        figsize: tuple[float, float] = (7.2, 2.8),
        dpi: int = 96,
    ) -> None:
        if not 0 < fps <= MAX_FPS:
            raise ValueError(f"fps must be above 0 and at most {MAX_FPS:g}, got {fps!r}")
        if window_seconds <= 0 or min(depth, max_points, max_trades, tape_rows) < 1:
            raise ValueError("depth, window_seconds, max_points, max_trades, tape_rows must be > 0")
        self._loop = running_loop("LiveBook")
        self._thread_id = threading.get_ident()
        self._client, self._owns_client = loop_client(client)
        self.symbol = symbol
        self.fps = float(fps)
        self.depth = depth
        self.window_seconds = float(window_seconds)
        self.tape_rows = tape_rows

        # The latest state, written only by the stream consumers (on the loop).
        self.seq: int | None = None
        self.updates = self.snapshots = self.trade_count = 0
        self.quotes: deque[Quote] = deque(maxlen=max_points)
        self.trades: deque[Fill] = deque(maxlen=max_trades)
        self._book: LocalBook | None = None
        self._instrument: Instrument | None = None
        self._last_quote: tuple[int | None, int | None] | None = None
        self._now = 0
        self._book_version = self._series_version = 0
        #: The viewer's own resting orders (see ``set_own_orders``), marked on depth and ladder.
        self.own_orders: tuple[OwnOrder, ...] = ()

        # What was drawn, and how long drawing takes.
        self.shown_seq: int | None = None
        self.renders = 0
        self.render_times: deque[float] = deque(maxlen=200)
        self.reason: str | None = None
        self._figsize, self._dpi = figsize, dpi
        self._figure: BookFigure | None = None  # made and used on the render thread only
        self._executor = concurrent.futures.ThreadPoolExecutor(
            max_workers=1, thread_name_prefix="marketsim-livebook"
        )

        self.image = widgets.Image(format="png")
        self.image.add_class("marketsim-livebook-image")
        self.seq_label = widgets.Label("seq -")
        self.seq_label.add_class("marketsim-seq")
        self.status_label = widgets.Label("connecting")
        self.status_label.add_class("marketsim-status")
        self.liveness = widgets.HTML(live_badge(0))
        self.liveness.add_class("marketsim-liveness-widget")
        self.headline = widgets.HTML(headline_html(None, None, (), 0))
        self.tape = widgets.HTML(layout=widgets.Layout(margin="0 0 0 8px"))
        self.ladder = widgets.HTML(layout=widgets.Layout(margin="0 0 0 8px"))
        self.ladder.add_class("marketsim-livebook-ladder")
        title = widgets.HTML(f"<b>{html.escape(symbol)}</b> live book")
        for part in (title, self.liveness, self.seq_label):
            part.layout.margin = "0 18px 0 0"
        header = widgets.HBox(
            [title, self.liveness, self.seq_label, self.status_label],
            layout=widgets.Layout(align_items="center"),
        )
        body = widgets.HBox(
            [self.image, self.ladder, self.tape], layout=widgets.Layout(flex_flow="row wrap")
        )  # the tape goes below the picture when the notebook is narrow
        super().__init__([header, self.headline, body])
        self.add_class("marketsim-livebook")

        self._wake = asyncio.Event()
        self._rendered = asyncio.Event()
        self._stop_requested = asyncio.Event()
        self._done = asyncio.Event()
        self._stopping = False
        self._task = self._loop.create_task(self._run(), name=f"marketsim LiveBook {symbol}")
        reruns.track(self, "view")

    # -- control ----------------------------------------------------------------------------

    @property
    def running(self) -> bool:
        """False once stopped and the last frame is drawn."""
        return not self._done.is_set()

    def stop(self) -> None:
        """Stop following the streams; the last frame is drawn and stays. Idempotent."""
        call_on_loop(self._loop, self._thread_id, self._stop_requested.set)

    def close(self) -> None:
        """Stop, then close the widget (its views disappear from the page)."""
        # Also called by ``__del__``, maybe half-built or after the loop closed.
        loop = getattr(self, "_loop", None)
        if loop is not None and not loop.is_closed() and self.running:
            self.stop()
        super().close()

    async def wait_stopped(self, timeout: float | None = 30.0) -> None:
        """Wait until stopped (by ``stop()`` or the stream's end) and the last frame is drawn."""
        await asyncio.wait_for(self._done.wait(), timeout)

    async def wait_shown(self, seq: int, timeout: float | None = 10.0) -> None:
        """Wait until the picture shows the book as of ``seq`` or later."""

        async def until_shown() -> None:
            while self.shown_seq is None or self.shown_seq < seq:
                if self._done.is_set():
                    raise RuntimeError(f"the LiveBook stopped ({self.reason}) before seq {seq}")
                self._rendered.clear()
                await self._rendered.wait()

        await asyncio.wait_for(until_shown(), timeout)

    def set_own_orders(self, orders: tuple[OwnOrder, ...]) -> None:
        """Mark these resting orders as the viewer's on the depth chart and the ladder."""
        self.own_orders = tuple(orders)
        self._book_version += 1
        self._wake.set()

    def render_stats(self) -> dict[str, float]:
        """Frames drawn and the milliseconds they took (last, mean, max of recent ones)."""
        times = list(self.render_times) or [0.0]
        return {
            "renders": self.renders,
            "updates": self.updates,
            "trades": self.trade_count,
            "fps_cap": self.fps,
            "last_ms": round(times[-1] * 1000, 1),
            "mean_ms": round(sum(times) / len(times) * 1000, 1),
            "max_ms": round(max(times) * 1000, 1),
        }

    # -- the tasks --------------------------------------------------------------------------

    async def _run(self) -> None:
        client = self._client
        reason = "stopped"
        tasks: list[asyncio.Task[Any]] = []
        renderer: asyncio.Task[None] | None = None
        try:
            self._instrument = await asyncio.wait_for(
                client.instrument(self.symbol), client.timeout + 5
            )
            if not self._stop_requested.is_set():
                self.status_label.value = "connected"
                stop = asyncio.create_task(self._stop_requested.wait())
                tasks = [
                    stop,
                    asyncio.create_task(self._follow_book(client)),
                    asyncio.create_task(self._follow_trades(client)),
                    asyncio.create_task(self._heartbeat()),
                ]
                renderer = asyncio.create_task(self._render_loop())
                done, _ = await asyncio.wait(
                    [*tasks, renderer], return_when=asyncio.FIRST_COMPLETED
                )
                reason = _why_stopped(done - {stop})
        except Exception as error:
            reason = f"error: {type(error).__name__}: {error}"
        finally:
            self._stopping = True
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            if renderer is not None:
                self._wake.set()
                await asyncio.gather(renderer, return_exceptions=True)
            try:
                await self._render(note=reason)
            except Exception as error:
                reason += f"; the last frame failed: {type(error).__name__}: {error}"
            if self._owns_client:
                with contextlib.suppress(Exception):
                    await client.close()
            self._executor.shutdown(wait=False)
            self.reason = reason
            self.status_label.value = f"{reason} · {self._stats_text()}"
            self.liveness.value = stopped_badge()
            self._done.set()
            self._rendered.set()

    async def _follow_book(self, client: AsyncMarketClient) -> None:
        async for update in client.stream_book(self.symbol):
            self._on_book(update)

    async def _follow_trades(self, client: AsyncMarketClient) -> None:
        async for fill in client.stream_trades(self.symbol):
            self._on_trade(fill)

    async def _heartbeat(self) -> None:
        """Rewrite the live badge now and then: it turns "stopped" by itself without that."""
        beat = 0
        while True:
            await asyncio.sleep(HEARTBEAT_SECONDS)
            beat += 1
            self.liveness.value = live_badge(beat)

    def _on_book(self, update: BookUpdate) -> None:
        """Keep the latest book and record a quote change; never waits for anything."""
        book = update.book
        self._book = book
        self.seq = update.seq
        self.updates += 1
        if update.kind == "snapshot":
            self.snapshots += 1
        self._book_version += 1
        quote = (book.best_bid_ticks, book.best_ask_ticks)
        if quote != self._last_quote:
            self._last_quote = quote
            ts = book.ts_event or time.time_ns()
            self._now = max(self._now, ts)
            self.quotes.append((ts, *quote))
            # Keep one quote older than the window, so the lines start at its left edge.
            oldest = self._now - self.window_seconds * 1e9
            while len(self.quotes) > 1 and self.quotes[1][0] < oldest:
                self.quotes.popleft()
            self._series_version += 1
        self._wake.set()

    def _on_trade(self, fill: Fill) -> None:
        self.trades.append(fill)
        self.trade_count += 1
        self._now = max(self._now, fill.ts_event)
        self._series_version += 1
        self._wake.set()

    async def _render_loop(self) -> None:
        """Draw the latest state when it changed, at most ``fps`` times a second."""
        period = 1.0 / self.fps
        loop = asyncio.get_running_loop()
        while not self._stopping:
            await self._wake.wait()
            if self._stopping:
                return
            self._wake.clear()
            started = loop.time()
            await self._render()
            rest = period - (loop.time() - started)
            if rest > 0:
                await asyncio.sleep(rest)

    async def _render(self, note: str = "") -> None:
        """Copy the state here on the loop, draw it on the render thread, show the result."""
        frame = self._frame(note)
        png, seconds = await self._loop.run_in_executor(self._executor, self._draw, frame)
        self.render_times.append(seconds)
        self.renders += 1
        self.image.value = png
        self.shown_seq = frame.seq
        self.seq_label.value = "seq -" if frame.seq is None else f"seq {frame.seq}"
        self.headline.value = headline_html(
            self._book, self._instrument, self.trades, self.trade_count
        )
        self.tape.value = tape_html(self.trades, self._instrument, self.tape_rows)
        if self._book is not None and self._instrument is not None:
            self.ladder.value = ladder_html(
                self._book.levels("bid", self.depth),
                self._book.levels("ask", self.depth),
                self._instrument.price_decimals,
                self.own_orders,
            )
        if not note:
            self.status_label.value = self._stats_text()
        self._rendered.set()

    def _draw(self, frame: FrameData) -> tuple[bytes, float]:
        """On the render thread: (PNG bytes, seconds). The only code that touches the Figure."""
        if self._figure is None:
            self._figure = BookFigure(self._figsize, self._dpi)
        return self._figure.draw(frame)

    # -- what a frame shows -----------------------------------------------------------------

    def _frame(self, note: str) -> FrameData:
        book, instrument = self._book, self._instrument
        bids: tuple[tuple[float, float], ...] = ()
        asks: tuple[tuple[float, float], ...] = ()
        if book is not None:
            bids = tuple((p, q) for p, q, _ in book.levels("bid", self.depth))
            asks = tuple((p, q) for p, q, _ in book.levels("ask", self.depth))
        return FrameData(
            symbol=self.symbol,
            seq=self.seq,
            tick=float(instrument.tick_size) if instrument is not None else 1.0,
            bids=bids,
            asks=asks,
            quotes=tuple(self.quotes),
            trades=tuple(self.trades),
            now=self._now or time.time_ns(),
            window_seconds=self.window_seconds,
            book_version=self._book_version,
            series_version=self._series_version,
            note=note,
            mine=tuple((order.price, order.side) for order in self.own_orders),
        )

    def _stats_text(self) -> str:
        stats = self.render_stats()
        return (
            f"{self.renders} frames, {stats['mean_ms']:.0f} ms each (at most {self.fps:g}/s) · "
            f"{self.updates} book updates"
        )


def _why_stopped(done: set[asyncio.Task[Any]]) -> str:
    """Why the tasks in ``done`` (other than the stop request) ended, or "stopped"."""
    for task in done:
        if task.cancelled():
            continue
        error = task.exception()
        if error is not None:
            return f"error: {type(error).__name__}: {error}"
        return "the market ended the stream"
    return "stopped"
