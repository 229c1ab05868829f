"""Order-flow agents and a deterministic runner: simulate a market in-process, or drive a live one.

Agents see a read-only ``MarketView`` (best quotes, levels, mid, last trade, their own live
orders and position, the simulated time ``now`` in ns) and return commands in ticks and lots.
They take every random number from the ``numpy.random.Generator`` they are handed and never
read the wall clock, so ``run`` is deterministic: the same seed gives the same event log.

    >>> from marketsim import sim
    >>> result = sim.run(
    ...     [sim.ZeroIntelligence(), sim.MarketMaker(), sim.NoiseTrader(), sim.MomentumTrader()],
    ...     "ACME", duration=60, seed=42, progress=False,
    ... )
    >>> result.book.check_integrity()
    >>> len(result.events) > 1000
    True

``result.trades()``, ``.bbo()``, ``.events_frame()`` and ``.deltas()`` are DataFrames with the
schemas of ``marketsim.frames``; ``result.summary()`` has one row per agent; ``result.book`` is
the final ``OrderBook``.

Writing an agent takes a few lines: subclass ``Agent``, set how often it wakes up, and return
commands from ``act`` (``self.buy``/``self.sell`` make orders it owns; no price means a market
order). This one buys the dip and sells the rip around a fixed value:

    >>> class ValueTrader(sim.Agent):
    ...     def __init__(self, name="value", value_ticks=10_000, size=2):
    ...         super().__init__(name, interval=0.5)   # wakes every 0.5 s on average
    ...         self.value_ticks, self.size = value_ticks, size
    ...
    ...     def act(self, view, rng, now):
    ...         ask, bid = view.best_ask_ticks, view.best_bid_ticks
    ...         if ask is not None and ask < self.value_ticks - 3 and view.position < 10:
    ...             return [self.buy(self.size, ask, tif="IOC")]
    ...         if bid is not None and bid > self.value_ticks + 3 and view.position > -10:
    ...             return [self.sell(self.size, bid, tif="IOC")]
    ...         return []
    >>> result = sim.run([sim.ZeroIntelligence(), ValueTrader()], "ACME", duration=300, seed=7,
    ...                  progress=False)
    >>> result.summary().loc["value", "commands"] > 0
    np.True_

The same agents trade on a live server with ``drive`` (blocking, or in the background with
``wait=False``) or ``await adrive(...)``, paced in real time, so the market can be watched
with the live widgets::

    market = marketsim.launch({"ACME": 0.01})
    sim.drive(market.client(), [sim.ZeroIntelligence(), sim.MarketMaker()], "ACME", duration=10)
"""

from marketsim.sim.agents import Agent, MarketMaker, MomentumTrader, NoiseTrader
from marketsim.sim.live import DriveResult, LiveMarketView, adrive, drive
from marketsim.sim.result import SimulationResult
from marketsim.sim.runner import run
from marketsim.sim.view import AgentState, BookMarketView, MarketView, OwnOrder, OwnOrders
from marketsim.sim.zi import ZeroIntelligence

__all__ = [
    "Agent",
    "AgentState",
    "BookMarketView",
    "DriveResult",
    "LiveMarketView",
    "MarketMaker",
    "MarketView",
    "MomentumTrader",
    "NoiseTrader",
    "OwnOrder",
    "OwnOrders",
    "SimulationResult",
    "ZeroIntelligence",
    "adrive",
    "drive",
    "run",
]

# ``sweep`` needs pandas (and Dask when installed): loaded on first use, like the frames.
__all__ += ["Study", "sweep"]


def __getattr__(name: str):
    if name in ("Study", "sweep"):
        from marketsim import sweep

        return getattr(sweep, name)
    raise AttributeError(f"module 'marketsim.sim' has no attribute {name!r}")
