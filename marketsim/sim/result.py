"""``SimulationResult``: what ``run`` returns: the event log, the final book, and summaries."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from marketsim.core.events import Trade
from marketsim.core.orderbook import EventLog, OrderBook
from marketsim.core.types import Instrument
from marketsim.sim.agents import Agent
from marketsim.sim.view import AgentState

if TYPE_CHECKING:
    import pandas as pd


def _frames() -> Any:
    try:
        from marketsim import frames
    except ImportError as error:  # pragma: no cover - frames ship with marketsim
        raise ImportError(f"result frames need marketsim.frames ({error})") from error
    return frames


@dataclass(eq=False)
class SimulationResult:
    """The outcome of ``marketsim.sim.run``.

    ``events`` is the engine's event log (an ``EventLog``: compare runs with
    ``list(a.events) == list(b.events)``), ``book`` the final ``OrderBook`` (query it, print its
    ladder, or keep simulating on it), ``agents`` the run's own copies of the agents in their
    final state, and ``states`` each agent's live orders, position and counters by name. The
    frame methods project the log with ``marketsim.frames`` and share its schemas.
    """

    book: OrderBook
    agents: list[Agent]
    states: Mapping[str, AgentState]
    seed: int | None
    #: The seed entropy actually used: pass it as ``seed=`` to repeat a run made with None.
    entropy: int
    steps: int
    start_ns: int
    end_ns: int
    wall_seconds: float = field(repr=False)

    @property
    def instrument(self) -> Instrument:
        """The instrument simulated."""
        return self.book.instrument

    @property
    def events(self) -> EventLog:
        """The sequence-numbered engine events of the whole run."""
        return self.book.events

    @property
    def commands(self) -> int:
        """Commands the agents sent (submits, cancels, replaces)."""
        return sum(state.commands for state in self.states.values())

    @property
    def events_per_second(self) -> float:
        """Engine events per second of wall time, end to end."""
        return len(self.book.events) / self.wall_seconds if self.wall_seconds else float("nan")

    def positions(self) -> dict[str, int | float]:
        """Each agent's final position in the instrument's quantity units."""
        to_qty = self.instrument.lots_to_qty
        return {name: to_qty(state.position) for name, state in self.states.items()}

    # -- frames -------------------------------------------------------------------------------

    def events_frame(self) -> pd.DataFrame:
        """All events, one row each (schema ``events`` of ``marketsim.frames``)."""
        return _frames().events_frame(self.book.events, self.instrument)

    def trades(self) -> pd.DataFrame:
        """One row per execution (schema ``trades``)."""
        return _frames().trades_frame(self.book.events, self.instrument)

    def bbo(self) -> pd.DataFrame:
        """Best bid and offer after each book change (schema ``bbo``)."""
        return _frames().bbo_frame(self.book.events, self.instrument)

    def deltas(self) -> pd.DataFrame:
        """One row per price-level change (schema ``deltas``)."""
        return _frames().deltas_frame(self.book.events, self.instrument)

    def book_frame(self, depth: int | None = None) -> pd.DataFrame:
        """The final book, one row per side and level (schema ``book``)."""
        return _frames().book_frame(self.book, depth)

    def summary(self) -> pd.DataFrame:
        """One row per agent: activity, position, cash and profit marked at the last price.

        Indexed by agent name. Columns: agent (class name), wakeups, commands, stale (cancels
        and replaces of orders no longer live), live_orders, traded_qty, position, cash, pnl.
        Quantities are in the instrument's units, money in price x quantity; the mark is the
        final mid, else the last trade price (pnl is NaN when there is neither).
        """
        return agent_summary(self.agents, self.states, self.instrument, self.mark_ticks())

    def accounts(self) -> pd.DataFrame:
        """Every agent's account from the core ledger over the run (schema ``accounts``):
        position, average price, cash, realized and unrealized P&L, marked at the final mid,
        else the last trade."""
        return _frames().ledger_frame(
            self.book.events,
            self.instrument,
            best_bid_ticks=self.book.best_bid_ticks,
            best_ask_ticks=self.book.best_ask_ticks,
        )

    def mark_ticks(self) -> float | None:
        """The final mid in ticks, else the last trade price, else None."""
        bid, ask = self.book.best_bid_ticks, self.book.best_ask_ticks
        if bid is not None and ask is not None:
            return (bid + ask) / 2
        for event in reversed(self.book.events):
            if type(event) is Trade:
                return float(event.price_ticks)
        return None

    def __repr__(self) -> str:
        trades = sum(1 for event in self.book.events if type(event) is Trade)
        seconds = (self.end_ns - self.start_ns) / 1e9
        return (
            f"<SimulationResult {self.instrument.symbol}: {len(self.agents)} agents, "
            f"{self.steps:,} steps, {self.commands:,} commands, {len(self.book.events):,} events, "
            f"{trades:,} trades over {seconds:,.3f} simulated s; seed {self.entropy}>"
        )


def agent_summary(
    agents: list[Agent],
    states: Mapping[str, AgentState],
    instrument: Instrument,
    mark_ticks: float | None,
) -> pd.DataFrame:
    """The per-agent table of ``SimulationResult.summary``."""
    import pandas as pd

    tick = float(instrument.tick_size)
    # Quantities are integers for a whole lot, as in the frames of marketsim.frames.
    lot = int(instrument.lot_size) if instrument.whole_lots else float(instrument.lot_size)
    rows = []
    for agent in agents:
        state = states[agent.name]
        if mark_ticks is None:
            pnl = float("nan")
        else:
            pnl = (state.cash_ticks + state.position * mark_ticks) * tick * lot
        rows.append(
            (
                agent.name,
                type(agent).__name__,
                state.wakeups,
                state.commands,
                state.stale,
                len(state.orders),
                state.traded_lots * lot,
                state.position * lot,
                state.cash_ticks * tick * lot,
                pnl,
            )
        )
    quantity = "int64" if instrument.whole_lots else "float64"
    frame = pd.DataFrame.from_records(rows, columns=SUMMARY_COLUMNS)
    return frame.astype({"traded_qty": quantity, "position": quantity}).set_index("name")


SUMMARY_COLUMNS = [
    "name",
    "agent",
    "wakeups",
    "commands",
    "stale",
    "live_orders",
    "traded_qty",
    "position",
    "cash",
    "pnl",
]
