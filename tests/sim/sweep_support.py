"""Agents and a small study shared by the sweep tests (a module, so worker processes can
import the agents by name)."""

from __future__ import annotations

import os
from typing import Any

from marketsim import sim

#: Exit status of a worker that a ``FailingTrader`` killed.
DEATH_STATUS = 17


class FailingTrader(sim.ZeroIntelligence):
    """Zero-intelligence flow that fails on purpose when its run starts, as ``fail`` says.

    "raise": raise an exception. "die": end its own process at once (like a segfault or the
    out-of-memory killer). "die-once": die only if it is the first to create the file
    ``marker``, so exactly one run in a study dies, once, and its retry succeeds.
    """

    def __init__(self, name: str = "zi", *, fail: str = "", marker: str = "", **options: Any):
        super().__init__(name, **options)
        self.fail, self.marker = fail, marker

    def start(self, view, rng) -> None:
        super().start(view, rng)
        if self.fail == "raise":
            raise RuntimeError("this run was told to fail")
        if self.fail == "die" or (self.fail == "die-once" and _first_to_create(self.marker)):
            os._exit(DEATH_STATUS)


def _first_to_create(path: str) -> bool:
    try:
        os.close(os.open(path, os.O_CREAT | os.O_EXCL))
    except FileExistsError:
        return False
    return True


def small_study(**overrides: Any) -> dict[str, Any]:
    """``sim.sweep`` arguments of a 2 x 2 grid over 2 seeds of 5-second runs."""
    options: dict[str, Any] = {
        "agents": {"zi": FailingTrader, "mm": sim.MarketMaker},
        "grid": {"mm.half_spread_ticks": [1, 3], "zi.market_rate": [1.0, 2.5]},
        "fixed": {"zi.limit_rate": 1.0},
        "seeds": range(2),
        "duration": 5,
        "progress": False,
    }
    return {**options, **overrides}
