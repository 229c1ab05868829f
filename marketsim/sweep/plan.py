"""The plan of a study: which runs it has, what each is called, and how its agents are built.

A study is a grid of agent parameters crossed with seeds. Each run is a ``RunSpec``: its
parameter values and seed, and a ``run_id`` that hashes them together with everything else
that decides the outcome (agent factories, instrument, duration, marketsim version). The id
names the run's files, so a run already on disk is recognised and skipped, while a changed
grid, duration or marketsim release gives new ids and new runs.
"""

from __future__ import annotations

import hashlib
import inspect
import itertools
import json
import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from marketsim.core.types import Instrument
from marketsim.errors import InvalidCommandError
from marketsim.sim.agents import Agent

#: Parameter values a study accepts: they go into hashes, JSON records and Parquet columns.
Scalar = bool | int | float | str


def _scalar(value: Any, key: str) -> Scalar:
    if isinstance(value, bool | int | str) or (isinstance(value, float) and math.isfinite(value)):
        return value
    raise InvalidCommandError(
        f"values of {key!r} must be numbers, strings or booleans, got {str(value)[:80]!r}"
    )


def _factory_name(factory: Callable[..., Any]) -> str:
    """A stable name of an agent class or factory function, part of every run id."""
    module = getattr(factory, "__module__", None) or ""
    qualname = getattr(factory, "__qualname__", None) or type(factory).__qualname__
    return f"{module}.{qualname}"


@dataclass(frozen=True)
class RunSpec:
    """One run of a study: its parameter values (grid then fixed keys) and seed."""

    run_id: str
    params: tuple[tuple[str, Scalar], ...]
    seed: int

    def row(self) -> dict[str, Any]:
        """The run's identifying columns in the summary."""
        return {**dict(self.params), "seed": self.seed, "run_id": self.run_id}


@dataclass(frozen=True)
class StudyConfig:
    """What every run of a study shares: agent factories, instrument and duration."""

    agents: tuple[tuple[str, Callable[..., Agent]], ...]
    instrument: Instrument
    duration: float

    @property
    def agent_names(self) -> list[str]:
        """The agents' names, in the order given (also their order in each run)."""
        return [name for name, _ in self.agents]

    def build_agents(self, params: Iterable[tuple[str, Scalar]]) -> list[Agent]:
        """Fresh agents for one run: each factory called with its parameters and its name."""
        by_agent: dict[str, dict[str, Scalar]] = {name: {} for name in self.agent_names}
        for key, value in params:
            agent, param = key.split(".", 1)
            by_agent[agent][param] = value
        agents = []
        for name, factory in self.agents:
            kwargs = by_agent[name]
            if _accepts_name(factory):
                kwargs = {"name": name, **kwargs}
            agent = factory(**kwargs)
            if getattr(agent, "name", None) != name:
                raise InvalidCommandError(
                    f"agent factory {_factory_name(factory)} made an agent named "
                    f"{getattr(agent, 'name', None)!r}; the study calls it {name!r}"
                )
            agents.append(agent)
        return agents

    def run_id(self, params: Iterable[tuple[str, Scalar]], seed: int) -> str:
        """The hash naming a run: parameters, seed and everything else fixing its outcome."""
        from marketsim import __version__

        identity = {
            "marketsim": __version__,
            "agents": [[name, _factory_name(factory)] for name, factory in self.agents],
            "instrument": [
                self.instrument.symbol,
                str(self.instrument.tick_size),
                str(self.instrument.lot_size),
            ],
            "duration": self.duration,
            "params": sorted([key, value] for key, value in params),
            "seed": seed,
        }
        text = json.dumps(identity, sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(text.encode()).hexdigest()[:16]


def _accepts_name(factory: Callable[..., Any]) -> bool:
    try:
        parameters = inspect.signature(factory).parameters.values()
    except (TypeError, ValueError):  # a builtin without a signature
        return False
    return any(p.name == "name" or p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters)


def study_config(
    agents: Mapping[str, Callable[..., Agent]],
    instrument: str | Instrument,
    tick_size: float | Decimal | str,
    lot_size: float | Decimal | str,
    duration: float,
) -> StudyConfig:
    """Check the parts shared by every run and bundle them."""
    if not isinstance(agents, Mapping) or not agents:
        raise InvalidCommandError("agents must map names to agent classes or factories")
    for name, factory in agents.items():
        if not isinstance(name, str) or not name or "." in name:
            raise InvalidCommandError(f"agent names must be non-empty, without '.': {name!r}")
        if not callable(factory):
            raise InvalidCommandError(f"agents[{name!r}] must be an agent class or factory")
    if isinstance(duration, bool) or not isinstance(duration, int | float):
        raise InvalidCommandError(f"duration must be a number of seconds, got {duration!r}")
    if not (math.isfinite(duration) and duration > 0):
        raise InvalidCommandError(f"duration must be a positive number of seconds: {duration!r}")
    if not isinstance(instrument, Instrument):
        instrument = Instrument(instrument, tick_size, lot_size)
    # A float either way, so that duration=60 and duration=60.0 name the same runs.
    return StudyConfig(tuple(agents.items()), instrument, float(duration))


def _checked_key(key: Any, agent_names: list[str]) -> str:
    agent = key.split(".", 1)[0] if isinstance(key, str) else None
    if agent not in agent_names or "." not in key or not key.split(".", 1)[1]:
        raise InvalidCommandError(
            f"parameter keys look like 'agent.param' with an agent from {agent_names}; "
            f"got {str(key)[:80]!r}"
        )
    return key


def seed_list(seeds: int | Iterable[int]) -> list[int]:
    """``seeds`` as a list of distinct non-negative ints (an int ``n`` means ``range(n)``)."""
    if isinstance(seeds, int) and not isinstance(seeds, bool):
        seeds = range(seeds)
    values = list(seeds)
    if not values:
        raise InvalidCommandError("seeds must not be empty")
    for seed in values:
        if type(seed) is not int or seed < 0:
            raise InvalidCommandError(f"seeds must be non-negative ints, got {seed!r}")
    if len(set(values)) != len(values):
        raise InvalidCommandError("seeds must be distinct")
    return values


def plan_runs(
    config: StudyConfig,
    grid: Mapping[str, Iterable[Scalar]],
    fixed: Mapping[str, Scalar],
    seeds: int | Iterable[int],
) -> list[RunSpec]:
    """Every run of the study, in summary order: grid points (first key slowest), then seeds."""
    names = config.agent_names
    axes: dict[str, list[Scalar]] = {}
    for key, values in grid.items():
        if isinstance(values, str) or not isinstance(values, Iterable):
            raise InvalidCommandError(f"grid[{str(key)[:80]!r}] must be a list of values")
        checked = [_scalar(value, key) for value in values]
        if not checked:
            raise InvalidCommandError(f"grid[{str(key)[:80]!r}] has no values")
        axes[_checked_key(key, names)] = checked
    constants = {_checked_key(key, names): _scalar(value, key) for key, value in fixed.items()}
    both = sorted(set(axes) & set(constants))
    if both:
        raise InvalidCommandError(f"keys both in grid and fixed: {both}")
    seed_values = seed_list(seeds)
    runs = []
    for point in itertools.product(*axes.values()):
        params = (*zip(axes, point, strict=True), *constants.items())
        runs.extend(RunSpec(config.run_id(params, seed), params, seed) for seed in seed_values)
    _check_parameter_names(config, runs[0].params)
    return runs


def _check_parameter_names(config: StudyConfig, params: tuple[tuple[str, Scalar], ...]) -> None:
    """Build the first run's agents, so that a misspelt parameter fails the study at once
    rather than every run. Other errors (a bad value) are left to the runs to record."""
    try:
        config.build_agents(params)
    except TypeError as error:
        raise InvalidCommandError(f"cannot build the study's agents: {error}") from None
    except Exception:
        pass
