"""``run``: agents trading on an in-process ``OrderBook``, deterministic for a seed.

The runner keeps a heap of each agent's next wake-up time in simulated nanoseconds. It pops
the earliest (ties go to the agent listed first), sets the agent's view to that time, calls
``act``, applies the returned commands to the book one by one with ``ts_event`` = that time,
routes the resulting events to the agents' states (own orders, positions), and asks the agent
for its next wake-up. Nothing reads the wall clock or a global random state: each agent gets
its own ``numpy.random.Generator`` spawned from ``seed``, so the same seed gives the same
event log, and adding an agent does not change the draws of the others.
"""

from __future__ import annotations

import copy
import datetime
import heapq
import math
import numbers
import sys
import time
from collections.abc import Iterable
from decimal import Decimal

import numpy as np
from tqdm.auto import tqdm

from marketsim._gc import gc_paused
from marketsim.core.commands import CancelOrder, ReplaceOrder, SetPhase, SubmitOrder
from marketsim.core.orderbook import OrderBook
from marketsim.core.types import Instrument
from marketsim.errors import InvalidCommandError, UnknownOrderError
from marketsim.sim.agents import NS_PER_SECOND, Agent
from marketsim.sim.result import SimulationResult
from marketsim.sim.routing import command_router
from marketsim.sim.view import AgentState, BookMarketView, MarketState

#: Steps between progress-bar refreshes (a power of two minus one, used as a mask).
_PROGRESS_MASK = 4095
#: What an agent may send (stamped with its name as owner).
AGENT_COMMANDS = frozenset({SubmitOrder, CancelOrder, ReplaceOrder})


def as_instrument(
    instrument: str | Instrument, tick_size: float | Decimal | str, lot_size: float | Decimal | str
) -> Instrument:
    """``instrument`` itself, or a new ``Instrument`` for a symbol."""
    if isinstance(instrument, Instrument):
        return instrument
    return Instrument(instrument, tick_size, lot_size)


def prepare_agents(agents: Iterable[Agent]) -> list[Agent]:
    """Private copies of ``agents`` (so runs never share state), checked for unique names."""
    if isinstance(agents, Agent):
        agents = [agents]
    copies = []
    names: set[str] = set()
    for agent in agents:
        for method in ("act", "next_wakeup", "start"):
            if not callable(getattr(agent, method, None)):
                raise InvalidCommandError(f"{agent!r} is not an agent: it has no {method}()")
        name = getattr(agent, "name", None)
        if not isinstance(name, str) or not name:
            raise InvalidCommandError(f"{agent!r} needs a non-empty string name")
        if name in names:
            raise InvalidCommandError(f"two agents are named {name!r}; names must be unique")
        names.add(name)
        copies.append(copy.deepcopy(agent))
    if not copies:
        raise InvalidCommandError("run needs at least one agent")
    return copies


def spawn_generators(seed: int | None, count: int) -> tuple[list[np.random.Generator], int]:
    """One independent generator per agent from ``seed``, and the entropy that reproduces them."""
    if seed is not None and (type(seed) is not int or seed < 0):
        raise InvalidCommandError(f"seed must be a non-negative int or None, got {seed!r}")
    sequence = np.random.SeedSequence(seed)
    return [np.random.default_rng(child) for child in sequence.spawn(count)], sequence.entropy  # type: ignore[return-value]


def duration_ns(duration: float | datetime.timedelta, name: str = "duration") -> int:
    """A duration in seconds (or a ``timedelta``) as integer nanoseconds."""
    if isinstance(duration, datetime.timedelta):
        duration = duration.total_seconds()
    if not isinstance(duration, int | float) or not math.isfinite(duration) or duration < 0:
        raise InvalidCommandError(f"{name} must be a non-negative number of seconds: {duration!r}")
    return round(duration * NS_PER_SECOND)


def run(
    agents: Iterable[Agent],
    instrument: str | Instrument = "ACME",
    *,
    steps: int | None = None,
    duration: float | datetime.timedelta | None = None,
    seed: int | None = None,
    start_ns: int = 0,
    tick_size: float | Decimal | str = 0.01,
    lot_size: float | Decimal | str = 1,
    progress: bool | None = None,
    open_auction: float | datetime.timedelta | None = None,
) -> SimulationResult:
    """Run ``agents`` on a fresh book of ``instrument`` and return a ``SimulationResult``.

    ``instrument`` is an ``Instrument`` or a symbol (with ``tick_size`` and ``lot_size``).
    The run stops after ``steps`` agent wake-ups or ``duration`` seconds of simulated time,
    whichever comes first (give at least one), or when no agent wants to wake up again.
    Simulated time starts at ``start_ns`` (int ns, the engine's ``ts_event``). The same
    ``seed`` gives the identical event log; ``seed=None`` draws fresh entropy (kept in
    ``result.entropy``). ``progress`` shows a tqdm bar (default: for runs of 100,000+ steps
    or any ``duration``).

    ``open_auction`` (seconds) opens the day with a call auction: the book starts in the
    "auction" phase, orders collect without matching (IOC and FOK orders are rejected), and
    that many seconds after ``start_ns`` the book uncrosses and trades continuously.

    Commands an agent returns are stamped with its name as owner. A cancel or replace of an
    order that is no longer live is skipped and counted as ``stale``. Python's cyclic garbage
    collector is paused while the agents run (the log is millions of acyclic objects that it
    would rescan again and again) and resumed afterwards.
    """
    if steps is None and duration is None:
        raise InvalidCommandError("run needs steps= or duration=")
    if steps is not None and (type(steps) is not int or steps < 0):
        raise InvalidCommandError(f"steps must be a non-negative int, got {steps!r}")
    if type(start_ns) is not int or start_ns < 0:
        raise InvalidCommandError(f"start_ns must be a non-negative int, got {start_ns!r}")
    end_ns = math.inf if duration is None else start_ns + duration_ns(duration)
    auction_end_ns = (
        None if open_auction is None else start_ns + duration_ns(open_auction, "open_auction")
    )
    max_steps = sys.maxsize if steps is None else steps
    instrument = as_instrument(instrument, tick_size, lot_size)
    agents = prepare_agents(agents)
    rngs, entropy = spawn_generators(seed, len(agents))
    book = OrderBook(instrument)
    market = MarketState()
    states = {agent.name: AgentState() for agent in agents}
    if auction_end_ns is not None:
        book.apply(SetPhase("auction"), start_ns)
    views = [BookMarketView(book, states[agent.name], market) for agent in agents]
    for agent, view, rng in zip(agents, views, rngs, strict=True):
        view.now = start_ns
        agent.start(view, rng)
    heap = []
    for index, (agent, view, rng) in enumerate(zip(agents, views, rngs, strict=True)):
        first = agent.next_wakeup(view, rng, start_ns)
        if first is not None:
            heap.append((_checked_time(first, start_ns, agent), index))
    heapq.heapify(heap)

    if progress is None:
        progress = duration is not None or (steps is not None and steps >= 100_000)
    by_time = duration is not None
    bar = tqdm(
        total=(end_ns - start_ns) / NS_PER_SECOND if by_time else steps,
        unit="s" if by_time else "step",
        desc=f"simulate {instrument.symbol}",
        disable=not progress,
    )

    slots = [
        (agent, agent.name, agent.act, agent.next_wakeup, view, rng, states[agent.name])
        for agent, view, rng in zip(agents, views, rngs, strict=True)
    ]
    # Commands go to the engine directly; the router logs their events and hands them to
    # the agents' states, and the book gets the log once, at the end (OrderBook.record).
    router = command_router(book, states, market)
    deliver = router.apply
    applied_ns = None  # ts_event of the last command applied
    heapreplace, heappop = heapq.heapreplace, heapq.heappop
    progress_mask = _PROGRESS_MASK
    done = 0
    last_ns = start_ns
    started = time.perf_counter()
    try:
        # Millions of events are allocated next to the millions already kept.
        with gc_paused():
            while heap and done < max_steps:
                now, index = heap[0]
                if now > end_ns:
                    break
                if auction_end_ns is not None and now >= auction_end_ns:
                    deliver(SetPhase("continuous"), auction_end_ns)
                    applied_ns, auction_end_ns = auction_end_ns, None
                agent, name, act, next_wakeup, view, rng, state = slots[index]
                view.now = now
                state.wakeups += 1
                actions = act(view, rng, now)
                if actions:
                    for command in actions:
                        if type(command) not in AGENT_COMMANDS:
                            raise InvalidCommandError(
                                f"agent {name!r} returned {command!r}; expected SubmitOrder, "
                                "CancelOrder or ReplaceOrder"
                            )
                        if command.owner != name:
                            command.owner = name
                        state.commands += 1
                        try:
                            deliver(command, now)
                        except UnknownOrderError:
                            state.stale += 1
                            continue
                        applied_ns = now
                following = next_wakeup(view, rng, now)
                if following is None:
                    heappop(heap)
                else:
                    if type(following) is not int or following < now:
                        following = _checked_time(following, now, agent)
                    heapreplace(heap, (following, index))
                done += 1
                last_ns = now
                if not done & progress_mask:
                    bar.update(((now - start_ns) / NS_PER_SECOND if by_time else done) - bar.n)
    finally:
        if applied_ns is not None:
            book.record(router.log, applied_ns)
        wall = time.perf_counter() - started
        stopped_by_steps = done >= max_steps
        final_ns = end_ns if by_time and not stopped_by_steps else last_ns
        bar.update(((final_ns - start_ns) / NS_PER_SECOND if by_time else done) - bar.n)
        bar.close()
    return SimulationResult(
        book=book,
        agents=agents,
        states=states,
        seed=seed,
        entropy=entropy,
        steps=done,
        start_ns=start_ns,
        end_ns=int(final_ns),
        wall_seconds=wall,
    )


def _checked_time(wakeup: object, now: int, agent: Agent) -> int:
    """``wakeup`` as an int of nanoseconds, refusing non-integers and times before ``now``."""
    if isinstance(wakeup, numbers.Integral) and not isinstance(wakeup, bool):
        wakeup = int(wakeup)
    else:
        raise InvalidCommandError(
            f"{agent!r}.next_wakeup returned {wakeup!r}; expected an int of nanoseconds or None"
        )
    if wakeup < now:
        raise InvalidCommandError(f"{agent!r}.next_wakeup went back in time: {wakeup} < {now}")
    return wakeup
