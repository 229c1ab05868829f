"""Routers: apply an agent's command to the book, log its events, and update the agents' states.

The runner hands every command to a router. ``ObjectRouter`` does it with the engine's public
``apply`` and ``route`` (``marketsim.sim.view``) over the event objects; with the compiled
engine, ``command_router`` picks the ``RecordRouter`` of ``marketsim/sim/_crouter.pyx``
instead, which does the same from the engine's compact records, so that no event object is
built while the agents trade. Either way ``log`` holds the run's events, for
``OrderBook.record`` at the end.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from marketsim.core.commands import Command
from marketsim.core.events import Event
from marketsim.core.orderbook import OrderBook
from marketsim.sim.view import AgentState, MarketState, OwnOrder, OwnOrders, route

try:
    from marketsim.core._cengine import MatchingEngine as CompiledEngine
    from marketsim.sim._crouter import RecordRouter
except ImportError:  # not compiled: ObjectRouter serves every engine
    CompiledEngine = RecordRouter = None  # type: ignore[assignment,misc]


class Router(Protocol):
    """What the runner needs of a router."""

    @property
    def log(self) -> Sequence[Event]: ...

    def apply(self, command: Command, ts_event: int) -> None:
        """Apply ``command`` at ``ts_event``, log its events and route them to the states.
        Raises as ``MatchingEngine.apply`` does, and then logs and routes nothing."""


class ObjectRouter:
    """A router over event objects: ``engine.apply``, then ``route`` (any engine)."""

    __slots__ = ("_apply", "_market", "_states", "log")

    def __init__(self, book: OrderBook, states: dict[str, AgentState], market: MarketState):
        self._apply = book.engine.apply
        self._states = states
        self._market = market
        self.log: list[Event] = []

    def apply(self, command: Command, ts_event: int) -> None:
        events = self._apply(command, ts_event)
        self.log.extend(events)
        route(events, self._states, self._market)


def command_router(book: OrderBook, states: dict[str, AgentState], market: MarketState) -> Router:
    """The fastest router for ``book``'s engine: the compiled ``RecordRouter`` when the book
    runs the compiled engine, else an ``ObjectRouter``."""
    if RecordRouter is not None and isinstance(book.engine, CompiledEngine):
        return RecordRouter(
            book.engine, states, market, route, orders_class=OwnOrders, order_class=OwnOrder
        )
    return ObjectRouter(book, states, market)
