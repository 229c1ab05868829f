"""``marketsim demo``: simulated traders on a live market, watched in the TUI, then three plots.

It launches an in-process market listing ACME (tick 0.01), records its events, and lets the
agents of ``marketsim.sim`` (zero-intelligence traders, a market maker, noise and momentum
traders) trade on it in real time through their own connections. On a terminal the trading
screen of ``marketsim tui`` shows the market (you can trade too; ``q`` ends early); with
``plain=True`` or when stdout is not a terminal, one summary line per second is printed
instead. At the end it writes ``depth.png``, ``price_spread.png`` and ``trades.png``.

The agents are seeded, so their random draws repeat; the fills depend on network timing.
"""

from __future__ import annotations

import concurrent.futures
import sys
import threading
import time
from pathlib import Path

from matplotlib.axes import Axes
from matplotlib.figure import Figure

from marketsim import sim
from marketsim.client import MarketClient, Recorder
from marketsim.core import display
from marketsim.errors import InvalidCommandError
from marketsim.plotting import plot_bbo, plot_depth, plot_trades
from marketsim.session import launch

SYMBOL = "ACME"
TICK_SIZE = 0.01
#: Simulated seconds per wall second: the agents' default rates, a little livelier.
SPEED = 4.0


def demo_agents() -> list[sim.Agent]:
    """The traders of the demo: the four kinds of ``marketsim.sim`` with their defaults."""
    return [sim.ZeroIntelligence(), sim.MarketMaker(), sim.NoiseTrader(), sim.MomentumTrader()]


def _ticker(client: MarketClient, future: concurrent.futures.Future, seconds: float) -> None:
    """One line per second until the agents are done: time left, top of book, trades."""
    started = time.monotonic()
    while not future.done():
        left = max(0.0, seconds - (time.monotonic() - started))
        book = client.book(SYMBOL, depth=1)
        print(f"demo {left:4.1f} s left  {display.quote_line(book)}", flush=True)
        concurrent.futures.wait([future], timeout=1.0)


def _watch(address: str, future: concurrent.futures.Future) -> None:
    """The trading screen, closed when the agents are done (or by the user's ``q``)."""
    from marketsim.tui.app import TraderApp

    app = TraderApp(address, SYMBOL, owner="you")

    def close_when_done() -> None:
        concurrent.futures.wait([future])
        if app.is_running:
            app.call_from_thread(app.exit)

    threading.Thread(target=close_when_done, daemon=True, name="marketsim-demo-watch").start()
    app.run()


def _save_plots(out_dir: Path, client: MarketClient, recorder: Recorder) -> list[Path]:
    """Write the depth, price-and-spread and trades plots; return their paths."""

    def axes() -> Axes:  # object-API figures: a script needs no pyplot
        return Figure(figsize=(9, 4.5), layout="constrained").add_subplot()

    plots = {
        "depth.png": (
            plot_depth(client.book(SYMBOL, depth=25), ax=axes()),
            f"{SYMBOL}: cumulative depth at the end",
        ),
        "price_spread.png": (
            plot_bbo(recorder.bbo(), ax=axes()),
            f"{SYMBOL}: best bid and ask, spread shaded",
        ),
        "trades.png": (
            plot_trades(recorder.trades(), ax=axes()),
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
    seconds: float = 15.0,
    out_dir: str | Path = "demo-output",
    *,
    seed: int = 7,
    plain: bool | None = None,
) -> list[Path]:
    """Let the simulation agents trade ACME for ``seconds`` while you watch, then plot.

    ``plain`` prints a line per second instead of the trading screen (default: when stdout
    is not a terminal). Returns the paths of the three plots. Takes about ``seconds`` + 3 s.
    """
    if not isinstance(seconds, int | float) or not 0 < seconds < float("inf"):
        raise InvalidCommandError(f"seconds must be a positive number, got {seconds!r}")
    plain = not sys.stdout.isatty() if plain is None else plain
    market = launch({SYMBOL: TICK_SIZE})
    try:
        client = market.client(owner="demo")
        recorder = client.record(SYMBOL)
        future = sim.drive(
            client, demo_agents(), SYMBOL, duration=seconds, seed=seed, speed=SPEED, wait=False
        )
        try:
            if plain:
                _ticker(client, future, seconds)
            else:
                _watch(market.address, future)
        finally:
            future.cancel()  # the user quit the screen early
        result = None if future.cancelled() else future.result()
        recorder.wait(client.book(SYMBOL, depth=1).seq)
        recorder.stop()
        paths = _save_plots(Path(out_dir), client, recorder)
    finally:
        market.stop()
    if result is not None:
        print(f"{result.commands:,} orders and cancels from {len(result.summary())} agents")
    print(f"{len(recorder.trades()):,} trades; final book: {display.quote_line(recorder.book())}")
    print(f"wrote {', '.join(path.name for path in paths)} to {Path(out_dir).resolve()}")
    return paths
