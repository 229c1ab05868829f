"""``adrive`` / ``drive``: the same agents, live against a marketsim server, in real time.

Each agent trades through its own ``AsyncMarketClient`` whose owner is the agent's name. A
shared book stream keeps a ``LocalBook`` that every agent's ``LiveMarketView`` reads; an event
stream reports trades (the last price, and fills of the agents' resting orders). An agent's own
orders and position follow the acknowledgements of its commands plus those fills.

The scheduler is the in-process one, paced by the loop's clock: an agent due at simulated time
``t`` acts at ``start + t / speed`` seconds of wall time (later if the previous command is
still in flight). Live outcomes depend on timing and on anyone else trading, so ``seed`` fixes
the agents' random draws, not the event log.

This module imports the client (grpc) only when called, so ``import marketsim.sim`` stays
free of the network layer.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import datetime
import heapq
import math
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from marketsim.core.commands import CancelOrder, Command, ReplaceOrder, SubmitOrder
from marketsim.core.events import Event, Trade
from marketsim.core.types import BookSide, Instrument
from marketsim.errors import InvalidCommandError, MarketUnavailableError, UnknownOrderError
from marketsim.sim.agents import NS_PER_SECOND, Agent
from marketsim.sim.result import agent_summary
from marketsim.sim.runner import _checked_time, duration_ns, prepare_agents, spawn_generators
from marketsim.sim.view import AgentState, LevelTicks, MarketState, _ViewBase, route

if TYPE_CHECKING:
    import pandas as pd

    from marketsim.client.aio import AsyncMarketClient
    from marketsim.client.views import LocalBook


class _Feed:
    """What the streams deliver: the live book shared by all views, and how far they got."""

    def __init__(self) -> None:
        self.book: LocalBook | None = None
        self.market = MarketState()
        self.ready = asyncio.Event()
        #: Highest seq in an acknowledgement of the agents' commands.
        self.acked_seq = 0
        #: Highest seq the event stream has delivered.
        self.streamed_seq = 0
        self.errors: list[str] = []

    async def settle(self, timeout: float) -> None:
        """Wait (at most ``timeout`` s) until the event stream has caught up with the acks."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while self.streamed_seq < self.acked_seq and loop.time() < deadline and not self.errors:
            await asyncio.sleep(0.01)


class LiveMarketView(_ViewBase):
    """A ``MarketView`` over a client's live ``LocalBook`` (see ``MarketView``)."""

    __slots__ = ("_feed",)

    def __init__(
        self, feed: _Feed, instrument: Instrument, state: AgentState, market: MarketState
    ) -> None:
        self.instrument = instrument
        self.now = 0
        self._feed = feed
        self._state = state
        self._market = market

    def level_ticks(self, side: BookSide, depth: int | None = None) -> list[LevelTicks]:
        """``[(price_ticks, qty_lots, order_count), ...]`` of one side, best first."""
        book = self._feed.book
        return [] if book is None else book.level_ticks(side, depth)

    @property
    def best_bid_ticks(self) -> int | None:  # type: ignore[override]
        """Best bid in ticks, or None."""
        top = self.level_ticks("bid", 1)
        return top[0][0] if top else None

    @property
    def best_ask_ticks(self) -> int | None:  # type: ignore[override]
        """Best ask in ticks, or None."""
        top = self.level_ticks("ask", 1)
        return top[0][0] if top else None


@dataclass(eq=False)
class DriveResult:
    """What ``drive``/``adrive`` did: the agents' final copies and states, and counters."""

    symbol: str
    instrument: Instrument
    agents: list[Agent]
    states: Mapping[str, AgentState]
    entropy: int
    steps: int
    wall_seconds: float
    #: The mid (else last trade) in ticks when driving stopped, used to mark positions.
    mark_ticks: float | None = None
    errors: list[str] = field(default_factory=list)

    @property
    def commands(self) -> int:
        """Commands the agents sent."""
        return sum(state.commands for state in self.states.values())

    def positions(self) -> dict[str, int | float]:
        """Each agent's position, in the instrument's quantity units, as the agents tracked it."""
        to_qty = self.instrument.lots_to_qty
        return {name: to_qty(state.position) for name, state in self.states.items()}

    def summary(self) -> pd.DataFrame:
        """One row per agent, as ``SimulationResult.summary``."""
        return agent_summary(self.agents, self.states, self.instrument, self.mark_ticks)

    def __repr__(self) -> str:
        return (
            f"<DriveResult {self.symbol}: {len(self.agents)} agents, {self.steps:,} steps, "
            f"{self.commands:,} commands in {self.wall_seconds:.1f} s>"
        )


async def adrive(
    client: AsyncMarketClient,
    agents: Iterable[Agent],
    symbol: str = "ACME",
    *,
    duration: float | datetime.timedelta,
    seed: int | None = None,
    speed: float = 1.0,
    cancel_at_end: bool = False,
    ready_timeout: float = 10.0,
) -> DriveResult:
    """Run ``agents`` live on ``symbol`` of the server ``client`` talks to, for ``duration`` s.

    ``speed`` scales simulated time to wall time (2.0: agents act twice as often as their
    rates say). Each agent trades under its own name as owner, through its own connection to
    ``client.address``. ``cancel_at_end`` cancels the agents' live orders before returning;
    by default they stay in the book. Runs on the calling event loop.
    """
    from marketsim.client.aio import AsyncMarketClient

    if not isinstance(speed, int | float) or not math.isfinite(speed) or speed <= 0:
        raise InvalidCommandError(f"speed must be a positive number, got {speed!r}")
    wall_ns = duration_ns(duration)
    end_ns = round(wall_ns * speed)
    instrument = await client.instrument(symbol)
    agents = prepare_agents(agents)
    rngs, entropy = spawn_generators(seed, len(agents))
    states = {agent.name: AgentState() for agent in agents}
    feed = _Feed()
    market = feed.market
    views = [LiveMarketView(feed, instrument, states[a.name], market) for a in agents]
    clients = {
        a.name: AsyncMarketClient(client.address, owner=a.name, timeout=client.timeout)
        for a in agents
    }
    result = DriveResult(symbol, instrument, agents, states, entropy, 0, 0.0, errors=feed.errors)
    loop = asyncio.get_running_loop()
    # Fills first, then the book: by the time the book's snapshot arrives, the server has
    # (almost certainly) registered the event subscription too.
    followers = [
        asyncio.create_task(_follow_fills(client, symbol, states, market, feed)),
        asyncio.create_task(_follow_book(client, symbol, feed)),
    ]
    started = time.perf_counter()
    try:
        try:
            await asyncio.wait_for(feed.ready.wait(), ready_timeout)
        except TimeoutError:
            raise MarketUnavailableError(
                f"no book of {symbol!r} from {client.address} within {ready_timeout} s "
                f"({'; '.join(feed.errors) or 'no answer'})"
            ) from None
        for agent, view, rng in zip(agents, views, rngs, strict=True):
            agent.start(view, rng)
        heap = []
        for index, (agent, view, rng) in enumerate(zip(agents, views, rngs, strict=True)):
            first = agent.next_wakeup(view, rng, 0)
            if first is not None:
                heap.append((_checked_time(first, 0, agent), index))
        heapq.heapify(heap)
        origin = loop.time()
        while heap:
            now, index = heap[0]
            if now > end_ns:
                break
            delay = origin + now / NS_PER_SECOND / speed - loop.time()
            if delay > 0:
                await asyncio.sleep(delay)
            agent, view, rng = agents[index], views[index], rngs[index]
            state = states[agent.name]
            view.now = now
            state.wakeups += 1
            for command in agent.act(view, rng, now) or ():
                await _send(clients[agent.name], symbol, instrument, agent, command, state, feed)
            following = agent.next_wakeup(view, rng, now)
            if following is None:
                heapq.heappop(heap)
            else:
                heapq.heapreplace(heap, (_checked_time(following, now, agent), index))
            result.steps += 1
        remaining = origin + wall_ns / NS_PER_SECOND - loop.time()
        if remaining > 0:
            await asyncio.sleep(remaining)
        if cancel_at_end:
            for agent in agents:
                for order_id in list(states[agent.name].orders):
                    command = CancelOrder(order_id, agent.name)
                    state = states[agent.name]
                    await _send(
                        clients[agent.name], symbol, instrument, agent, command, state, feed
                    )
        # Fills of resting orders arrive on the event stream: let it catch up with the acks.
        await feed.settle(ready_timeout)
    finally:
        result.wall_seconds = time.perf_counter() - started
        for task in followers:
            task.cancel()
        for task in followers:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        for agent_client in clients.values():
            with contextlib.suppress(Exception):
                await agent_client.close()
    result.mark_ticks = _mark(feed, market)
    return result


def drive(
    client: Any,
    agents: Iterable[Agent],
    symbol: str = "ACME",
    *,
    duration: float | datetime.timedelta,
    seed: int | None = None,
    speed: float = 1.0,
    cancel_at_end: bool = False,
    wait: bool = True,
) -> DriveResult | concurrent.futures.Future[DriveResult]:
    """``adrive`` on marketsim's IO thread, for a blocking ``MarketClient`` (or any client).

    Only ``client.address``, ``.owner`` and ``.timeout`` are used. With ``wait=True`` (the
    default) it blocks until done and returns the ``DriveResult``. With ``wait=False`` it
    returns at once with a ``concurrent.futures.Future``: the notebook stays responsive (live
    widgets keep updating) and ``future.result()`` or ``await asyncio.wrap_future(future)``
    gives the result; ``future.cancel()`` stops early.
    """
    from marketsim import reruns, runtime
    from marketsim.client.aio import AsyncMarketClient

    agents = prepare_agents(agents)  # copy now: later changes to the caller's agents are ignored
    seconds = duration_ns(duration) / NS_PER_SECOND
    address, owner, timeout = client.address, getattr(client, "owner", ""), client.timeout

    async def main() -> DriveResult:
        watcher = AsyncMarketClient(address, owner=owner, timeout=timeout)
        try:
            return await adrive(
                watcher,
                agents,
                symbol,
                duration=seconds,
                seed=seed,
                speed=speed,
                cancel_at_end=cancel_at_end,
            )
        finally:
            await watcher.close()

    if not wait:  # registered so that ``ms.stop_all()`` can cancel it
        return reruns.track(runtime.submit(main()), "flow")
    return runtime.run_sync(main(), timeout=seconds + 30 + 3 * timeout)


async def _send(
    agent_client: AsyncMarketClient,
    symbol: str,
    instrument: Instrument,
    agent: Agent,
    command: Command,
    state: AgentState,
    feed: _Feed,
) -> None:
    """Send one command for ``agent`` and book its acknowledged events in ``state``."""
    kind = type(command)
    state.commands += 1
    try:
        if kind is SubmitOrder:
            price = command.price_ticks  # type: ignore[union-attr]
            result = await agent_client.submit(
                symbol,
                command.side,  # type: ignore[union-attr]
                instrument.lots_to_qty(command.qty_lots),  # type: ignore[union-attr]
                None if price is None else instrument.ticks_to_price(price),
                tif=command.tif,  # type: ignore[union-attr]
                post_only=command.post_only,  # type: ignore[union-attr]
            )
        elif kind is CancelOrder:
            result = await agent_client.cancel(symbol, command.order_id)  # type: ignore[union-attr]
        elif kind is ReplaceOrder:
            qty, price = command.qty_lots, command.price_ticks  # type: ignore[union-attr]
            result = await agent_client.replace(
                symbol,
                command.order_id,  # type: ignore[union-attr]
                qty=None if qty is None else instrument.lots_to_qty(qty),
                price=None if price is None else instrument.ticks_to_price(price),
            )
        else:
            raise InvalidCommandError(
                f"agent {agent.name!r} returned {command!r}; expected SubmitOrder, "
                "CancelOrder or ReplaceOrder"
            )
    except UnknownOrderError:
        state.stale += 1
        state.orders.discard(command.order_id)  # type: ignore[union-attr]
        return
    events = result.events
    if events:
        feed.acked_seq = max(feed.acked_seq, events[-1].seq)
        route(events, {agent.name: state}, feed.market)


async def _follow_book(client: AsyncMarketClient, symbol: str, feed: _Feed) -> None:
    try:
        async for update in client.stream_book(symbol):
            feed.book = update.book
            feed.ready.set()
    except asyncio.CancelledError:
        raise
    except Exception as error:  # the server went away: agents keep the last book they saw
        feed.errors.append(f"book stream: {error!r}")


async def _follow_fills(
    client: AsyncMarketClient,
    symbol: str,
    states: Mapping[str, AgentState],
    market: MarketState,
    feed: _Feed,
) -> None:
    """Book fills of the agents' resting orders by others (their own acks cover the rest)."""
    try:
        async for batch in client.stream_events(symbol):
            _book_fills(batch.events, states, market)
            if batch.events:
                feed.streamed_seq = batch.events[-1].seq
    except asyncio.CancelledError:
        raise
    except Exception as error:
        feed.errors.append(f"event stream: {error!r}")


def _book_fills(events: list[Event], states: Mapping[str, AgentState], market: MarketState) -> None:
    for event in events:
        if type(event) is Trade:
            market.last_trade_ticks = event.price_ticks
            maker = event.maker_owner
            if maker != event.taker_owner:
                state = states.get(maker)
                if state is not None:
                    state.fill_before_ack(
                        event.maker_order_id,
                        event.aggressor_side == "sell",
                        event.price_ticks,
                        event.qty_lots,
                    )


def _mark(feed: _Feed, market: MarketState) -> float | None:
    book = feed.book
    if book is not None:
        bid, ask = book.best_bid_ticks, book.best_ask_ticks
        if bid is not None and ask is not None:
            return (bid + ask) / 2
    last = market.last_trade_ticks
    return None if last is None else float(last)
