"""Safe re-runs: everything a notebook started, so that one call stops it before it starts again.

A class re-runs cells, presses Run All twice, and restarts nothing: each run would leave the
previous market serving, its agents trading and its live views streaming. Markets (``launch``),
background agent flows (``sim.drive(wait=False)``) and live widgets register here when made;
``stop_all()`` stops whatever of them still runs, live views first, then flows, then markets,
so a first cell that calls it is safe to run any number of times.

Only weak references are kept: registering never keeps anything alive.
"""

from __future__ import annotations

import weakref
from typing import Any, Literal

Kind = Literal["view", "flow", "market"]
#: The order ``stop_all`` stops things in: readers before the market they read.
_ORDER: tuple[Kind, ...] = ("view", "flow", "market")
_started: dict[Kind, weakref.WeakSet[Any]] = {kind: weakref.WeakSet() for kind in _ORDER}


def track(thing: Any, kind: Kind) -> Any:
    """Remember ``thing`` (it has ``stop()``, or ``cancel()`` for a flow) and return it."""
    _started[kind].add(thing)
    return thing


def stop_all() -> dict[str, int]:
    """Stop every live view, agent flow and market this process started that still runs.

    Returns how many of each were stopped, e.g. ``{"view": 2, "flow": 1, "market": 1}``.
    Idempotent: a second call finds nothing left to stop.
    """
    stopped = dict.fromkeys(_ORDER, 0)
    for kind in _ORDER:
        for thing in list(_started[kind]):
            if kind == "flow":
                if not thing.done():
                    thing.cancel()
                    stopped[kind] += 1
            elif getattr(thing, "running", False):
                thing.stop()
                stopped[kind] += 1
            _started[kind].discard(thing)
    return stopped


def running() -> dict[str, int]:
    """How many registered views, flows and markets still run (for a notebook to check)."""
    return {
        kind: sum(
            1
            for thing in list(_started[kind])
            if (not thing.done() if kind == "flow" else getattr(thing, "running", False))
        )
        for kind in _ORDER
    }
