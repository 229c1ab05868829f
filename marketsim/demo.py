"""``marketsim demo``: a market that trades by itself for a few seconds, then three plots.

It starts an in-process market, records its book and event streams in the background, sends
a random order flow (limit orders around a wandering fair price, some market orders, cancels),
shows a live ladder and trade tape in the terminal, and finally writes ``depth.png``,
``price_spread.png`` and ``trades.png``.

The flow is ``RandomFlow``: seeded, so the same seed sends the same orders (the interleaving
with the network, and so the exact fills, still vary from run to run).
"""

from __future__ import annotations

import random
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import suppress
from itertools import zip_longest
from pathlib import Path
from typing import Any, TextIO

from matplotlib.axes import Axes
from matplotlib.figure import Figure

from marketsim.client import BookSnapshot, BookUpdate, EventBatch, MarketClient
from marketsim.core import BookDelta, Event, Instrument, Trade
from marketsim.errors import UnknownOrderError
from marketsim.frames import bbo_frame, trades_frame
from marketsim.plotting import plot_bbo, plot_depth, plot_trades
from marketsim.session import launch

SYMBOL = "ACME"
TICK_SIZE = 0.01
#: One step of the flow: this many new orders and cancels every ``STEP_SECONDS`` (~320/s).
STEP_SECONDS = 0.05
ORDERS_PER_STEP = 16
CANCELS_PER_STEP = 9
LADDER_LEVELS = 8
TAPE_LENGTH = 12


class RandomFlow:
    """Random orders around a fair price that takes a random walk, one tick at a time.

    Most orders are limit orders resting 1 to 10 ticks from the fair price; some cross it
    (aggressive limits) and some are market orders, which make the trades.
    """

    def __init__(self, instrument: Instrument, seed: int = 7, price: float = 100.0) -> None:
        self.instrument = instrument
        self.fair_ticks = instrument.price_to_ticks(price)
        self._rng = random.Random(seed)

    def orders(self, count: int) -> list[dict[str, Any]]:
        """``count`` orders as ``submit`` keyword arguments (side, qty, price)."""
        rng, orders = self._rng, []
        for _ in range(count):
            if rng.random() < 0.1:
                self.fair_ticks += rng.choice((-1, 1))
            side = rng.choice(("buy", "sell"))
            kind = rng.random()
            if kind < 0.07:
                orders.append({"side": side, "qty": rng.randint(1, 8)})  # a market order
                continue
            # Passive orders rest away from the fair price; aggressive ones reach across it.
            offset = rng.randint(1, 10) if kind > 0.2 else -rng.randint(0, 2)
            ticks = self.fair_ticks - offset if side == "buy" else self.fair_ticks + offset
            price = self.instrument.ticks_to_price(ticks)
            orders.append({"side": side, "qty": rng.choice((1, 2, 3, 5, 10, 20)), "price": price})
        return orders

    def take_cancels(self, live: list[int], count: int) -> list[int]:
        """Remove ``count`` random order ids from ``live`` (or all it has) and return them."""
        chosen = []
        for _ in range(min(count, len(live))):
            index = self._rng.randrange(len(live))
            live[index], live[-1] = live[-1], live[index]  # swap-remove: O(1)
            chosen.append(live.pop())
        return chosen


class Recorder:
    """Records a market's book stream (ladder, deltas) and event stream (trades) in threads.

    The book stream starts with a snapshot, so ``start`` plus ``deltas`` rebuild every state
    of the book exactly; the event stream supplies the trades.
    """

    def __init__(self, address: str, symbol: str) -> None:
        self.client = MarketClient(address, owner="recorder")
        self.changed = threading.Condition()  # guards the fields below; notified per update
        self.start: BookSnapshot | None = None
        self.top: BookSnapshot | None = None
        self.deltas: list[BookDelta] = []
        self.events: list[Event] = []
        self.recent_trades: deque[Trade] = deque(maxlen=TAPE_LENGTH)
        self.trade_count = 0
        self.book_seq = self.events_seq = 0
        self._threads = [
            _StreamThread(self.client.stream_book(symbol), self._on_book),
            _StreamThread(self.client.stream_events(symbol), self._on_events),
        ]

    def begin(self, timeout: float = 10.0) -> None:
        """Start both streams and wait for the book's first snapshot."""
        for thread in self._threads:
            thread.start()
        self.wait_until(lambda: self.start is not None, timeout, "the first book snapshot")

    def _on_book(self, update: BookUpdate) -> None:
        with self.changed:
            if update.kind == "snapshot":  # the start, or a resynchronisation: begin again
                self.start, self.deltas = update.book.snapshot(), []
            else:
                self.deltas.extend(update.deltas)
            self.top = update.book.snapshot(LADDER_LEVELS)
            self.book_seq = update.seq
            self.changed.notify_all()

    def _on_events(self, batch: EventBatch) -> None:
        trades = [event for event in batch.events if type(event) is Trade]
        with self.changed:
            self.events.extend(batch.events)
            self.recent_trades.extend(trades)
            self.trade_count += len(trades)
            self.events_seq = batch.events[-1].seq
            self.changed.notify_all()

    def wait_until(self, condition: Callable[[], bool], timeout: float, what: str) -> None:
        """Wait until ``condition()`` holds, or raise ``TimeoutError`` mentioning ``what``."""
        with self.changed:
            if not self.changed.wait_for(condition, timeout):
                raise TimeoutError(f"the demo's recorder did not receive {what} in {timeout} s")

    def catch_up(self, seq: int, timeout: float = 10.0) -> None:
        """Wait until both streams have delivered everything up to event ``seq``.

        The book stream only carries commands that changed the book, so it is complete once
        it reaches the last delta the event stream delivered.
        """

        def caught_up() -> bool:
            last_delta = next(
                (e.seq for e in reversed(self.events) if type(e) is BookDelta), self.book_seq
            )
            return self.events_seq >= seq and self.book_seq >= last_delta

        self.wait_until(caught_up, timeout, f"all events up to seq {seq}")

    def finish(self, timeout: float = 10.0) -> None:
        """Wait for both streams to end (the market was stopped) and close the client."""
        try:
            for thread in self._threads:
                thread.finish(timeout)
        finally:
            self.client.close()


class _StreamThread(threading.Thread):
    """A daemon thread handing each item of a blocking stream to ``consume``."""

    def __init__(self, stream: Iterator[Any], consume: Callable[[Any], None]) -> None:
        super().__init__(daemon=True, name="marketsim-demo-recorder")
        self._stream, self._consume = stream, consume
        self._error: BaseException | None = None

    def run(self) -> None:
        try:
            for item in self._stream:
                self._consume(item)
        except BaseException as error:  # re-raised by finish(), in the main thread
            self._error = error

    def finish(self, timeout: float) -> None:
        """Join the thread; raise what the stream raised, or ``TimeoutError``."""
        self.join(timeout)
        if self.is_alive():
            raise TimeoutError(f"a recorded stream did not end within {timeout} s")
        if self._error is not None:
            raise self._error


# -- the terminal -------------------------------------------------------------------------------

GREEN, RED, DIM, RESET = "\x1b[32m", "\x1b[31m", "\x1b[2m", "\x1b[0m"
SIDE_CODE = {"bid": GREEN, "buy": GREEN, "ask": RED, "sell": RED}
LADDER_WIDTH = 50

Segment = tuple[str, str]  # (text, ANSI colour code or "")


def _utc_clock(ts_event: int) -> str:
    """``HH:MM:SS.mmm`` (UTC) of a timestamp in nanoseconds."""
    seconds, nanos = divmod(ts_event, 1_000_000_000)
    return time.strftime("%H:%M:%S", time.gmtime(seconds)) + f".{nanos // 1_000_000:03d}"


def _ladder(book: BookSnapshot) -> list[Segment]:
    """Asks (highest first) above the spread, then bids, each with a bar for its quantity."""
    decimals = book.instrument.price_decimals
    asks, bids = book.levels("ask"), book.levels("bid")
    largest = max((qty for _, qty, _ in asks + bids), default=1)

    def row(side: str, price: float, qty: float, count: int) -> Segment:
        bar = "█" * max(1, round(12 * qty / largest))
        return f"{side:<5}{price:>9.{decimals}f}{qty:>8g}{count:>8}  {bar}", SIDE_CODE[side]

    spread = "-" if book.spread is None else f"{book.spread:.{decimals}f}"
    return [
        (f"{'':5}{'price':>9}{'qty':>8}{'orders':>8}", DIM),
        *(row("ask", *level) for level in reversed(asks)),
        (f"{'':5}spread {spread}   mid {book.mid or '-'}", DIM),
        *(row("bid", *level) for level in bids),
    ]


def _tape(trades: list[Trade], instrument: Instrument) -> list[Segment]:
    """The trades, newest first."""
    lines = [(f"{'time (UTC)':<14}{'side':<6}{'qty':>5}{'price':>10}", DIM)]
    for trade in reversed(trades):
        qty = instrument.lots_to_qty(trade.qty_lots)
        price = instrument.format_price(trade.price_ticks)
        text = f"{_utc_clock(trade.ts_event):<14}{trade.aggressor_side:<6}{qty:>5g}{price:>10}"
        lines.append((text, SIDE_CODE[trade.aggressor_side]))
    return lines


def render(book: BookSnapshot, trades: list[Trade], status: str) -> list[list[Segment]]:
    """The screen: a status line, then the ladder with the trade tape to its right."""
    pairs = zip_longest(_ladder(book), _tape(trades, book.instrument), fillvalue=("", ""))
    return [
        [(status, "")],
        [],
        *([(f"{left:<{LADDER_WIDTH}}", code), tape] for (left, code), tape in pairs),
    ]


def paint(line: list[Segment]) -> str:
    """One rendered line as text with ANSI colours."""
    return "".join(f"{code}{text}{RESET}" if code else text for text, code in line).rstrip()


class Screen:
    """Redraws the screen a few times a second on a terminal; elsewhere prints a summary line
    every second, so logs stay readable."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.live = stream.isatty()
        self.interval = 0.25 if self.live else 1.0
        self._next_draw = 0.0

    def __enter__(self) -> Screen:
        if self.live:
            self.stream.write("\x1b[2J\x1b[?25l")  # clear the screen, hide the cursor
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self.live:
            self.stream.write("\x1b[?25h")  # show the cursor again
            self.stream.flush()

    def update(self, recorder: Recorder, status: str, *, force: bool = False) -> None:
        """Draw the current book and tape if the last drawing is old enough (or ``force``)."""
        now = time.monotonic()
        if not force and now < self._next_draw:
            return
        self._next_draw = now + self.interval
        with recorder.changed:
            book, trades = recorder.top, list(recorder.recent_trades)
        if book is None:
            return
        if self.live:
            lines = (paint(line) + "\x1b[K" for line in render(book, trades, status))
            self.stream.write("\x1b[H" + "\n".join(lines) + "\n\x1b[J")  # home, draw, clear rest
        else:
            self.stream.write(f"{status} | {book!r}\n")
        self.stream.flush()


# -- the demo ----------------------------------------------------------------------------------


def _status(seconds_left: float, orders: int, cancels: int, trades: int) -> str:
    return (
        f"marketsim demo: {SYMBOL}  {seconds_left:4.1f} s left  orders {orders:,}  "
        f"cancels {cancels:,}  trades {trades:,}"
    )


def _trade(
    client: MarketClient, flow: RandomFlow, recorder: Recorder, screen: Screen, seconds: float
) -> tuple[int, int]:
    """Send the flow for ``seconds``, a step every ``STEP_SECONDS``, redrawing as it goes.

    Returns the numbers of orders and of cancels sent.
    """
    live: list[int] = []  # ids of orders that rested when submitted (some filled since)
    orders = cancels = 0
    started = time.monotonic()
    while (elapsed := time.monotonic() - started) < seconds:
        results = client.submit_many(SYMBOL, flow.orders(ORDERS_PER_STEP), progress=False)
        orders += len(results)
        live.extend(r.order_id for r in results if r.status in ("new", "partially_filled"))
        for order_id in flow.take_cancels(live, CANCELS_PER_STEP):
            with suppress(UnknownOrderError):  # it was filled in the meantime
                client.cancel(SYMBOL, order_id)
                cancels += 1
        screen.update(recorder, _status(seconds - elapsed, orders, cancels, recorder.trade_count))
        time.sleep(max(0.0, elapsed + STEP_SECONDS - (time.monotonic() - started)))
    return orders, cancels


def _save_plots(
    out_dir: Path, book: BookSnapshot, recorder: Recorder, instrument: Instrument
) -> list[Path]:
    """Write the depth, price-and-spread and trades plots; return their paths."""

    def axes() -> Axes:  # object-API figures: a script needs no pyplot
        return Figure(figsize=(9, 4.5), layout="constrained").add_subplot()

    plots = {
        "depth.png": (plot_depth(book, ax=axes()), f"{SYMBOL}: cumulative depth at the end"),
        "price_spread.png": (
            plot_bbo(bbo_frame(recorder.deltas, instrument, start=recorder.start), ax=axes()),
            f"{SYMBOL}: best bid and ask, spread shaded",
        ),
        "trades.png": (
            plot_trades(trades_frame(recorder.events, instrument), ax=axes()),
            f"{SYMBOL}: trades (marker area ~ quantity)",
        ),
    }
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, (ax, title) in plots.items():
        ax.set_title(title)
        ax.figure.savefig(out_dir / name, dpi=110)
        paths.append(out_dir / name)
    return paths


def run_demo(
    seconds: float = 15.0, out_dir: str | Path = "demo-output", *, seed: int = 7
) -> list[Path]:
    """Run a self-trading market for ``seconds``, show it live, then save three plots.

    Starts an in-process market listing ACME (tick 0.01), records its streams, sends
    ``RandomFlow(seed)`` at about 320 orders a second with cancels, draws a ladder and trade
    tape in the terminal (a summary line per second when stdout is not a terminal), then
    writes ``depth.png``, ``price_spread.png`` and ``trades.png`` to ``out_dir`` and stops
    the market. Returns the paths written. Takes about ``seconds`` + 3 s.
    """
    market = launch({SYMBOL: TICK_SIZE})
    recorder: Recorder | None = None
    try:
        client = market.client(owner="demo")
        instrument = client.instrument(SYMBOL)
        recorder = Recorder(market.address, SYMBOL)
        recorder.begin()
        with Screen(sys.stdout) as screen:
            orders, cancels = _trade(
                client, RandomFlow(instrument, seed), recorder, screen, seconds
            )
            final_book = client.book(SYMBOL, depth=25)
            recorder.catch_up(final_book.seq)
            screen.update(recorder, _status(0, orders, cancels, recorder.trade_count), force=True)
    finally:
        market.stop()  # ends the recorded streams too
        if recorder is not None:
            recorder.finish()
    paths = _save_plots(Path(out_dir), final_book, recorder, instrument)
    print(f"wrote {', '.join(path.name for path in paths)} to {Path(out_dir).resolve()}")
    return paths
