"""``sim.run``: determinism, time and ownership of the event log, integrity, result contents."""

from __future__ import annotations

import doctest
import os
import subprocess
import sys

import pytest

import marketsim.sim
from marketsim import InvalidCommandError, OrderBook, PermissionDeniedError, sim
from marketsim.core.events import OrderAccepted, OrderRejected, Trade
from marketsim.core.types import Instrument


def all_agents() -> list[sim.Agent]:
    return [
        sim.ZeroIntelligence(),
        sim.MarketMaker(),
        sim.NoiseTrader(),
        sim.MomentumTrader(interval=0.5, lookback=4, threshold_ticks=1),
    ]


def test_same_seed_gives_identical_event_log():
    first = sim.run(all_agents(), "ACME", duration=120, seed=11, progress=False)
    second = sim.run(all_agents(), "ACME", duration=120, seed=11, progress=False)

    assert len(first.events) > 5_000
    assert list(first.events) == list(second.events)


FINGERPRINT = """
import hashlib
from marketsim import sim
agents = [sim.ZeroIntelligence(), sim.MarketMaker(), sim.NoiseTrader(), sim.MomentumTrader()]
result = sim.run(agents, "ACME", duration=60, seed=99, progress=False)
print(hashlib.sha256(repr(list(result.events)).encode()).hexdigest())
"""


def test_same_seed_gives_identical_event_log_across_processes_and_hash_seeds():
    def fingerprint(hash_seed: str) -> str:
        environment = {**os.environ, "PYTHONHASHSEED": hash_seed}
        completed = subprocess.run(
            [sys.executable, "-c", FINGERPRINT],
            capture_output=True,
            text=True,
            env=environment,
            timeout=120,
            check=True,
        )
        return completed.stdout.strip()

    assert fingerprint("1") == fingerprint("2")


def test_different_seeds_give_different_event_logs():
    first = sim.run(all_agents(), "ACME", duration=30, seed=1, progress=False)
    second = sim.run(all_agents(), "ACME", duration=30, seed=2, progress=False)

    assert list(first.events) != list(second.events)


def test_reusing_agent_objects_across_runs_gives_identical_logs_and_leaves_them_unchanged():
    agents = all_agents()
    first = sim.run(agents, "ACME", steps=3_000, seed=5)
    second = sim.run(agents, "ACME", steps=3_000, seed=5)

    assert list(first.events) == list(second.events)
    assert next(agents[0]._uniforms, None) is None  # the runner worked on copies
    assert first.agents[0] is not agents[0]


def test_run_without_seed_is_repeatable_from_its_entropy():
    first = sim.run([sim.ZeroIntelligence()], "ACME", steps=2_000, seed=None)
    again = sim.run([sim.ZeroIntelligence()], "ACME", steps=2_000, seed=first.entropy)

    assert list(first.events) == list(again.events)


def test_adding_an_agent_does_not_change_the_draws_of_the_others():
    alone = sim.run([sim.MomentumTrader(), sim.NoiseTrader()], "ACME", duration=30, seed=3)
    joined = sim.run(
        [sim.MomentumTrader(), sim.NoiseTrader(), sim.Agent("idle", interval=None)],
        "ACME",
        duration=30,
        seed=3,
        progress=False,
    )

    assert list(alone.events) == list(joined.events)


def test_steps_counts_wakeups_and_zero_intelligence_sends_one_command_per_wakeup():
    result = sim.run([sim.ZeroIntelligence()], "ACME", steps=5_000, seed=1)

    assert result.steps == 5_000
    assert result.commands == 5_000
    assert result.states["zi"].wakeups == 5_000


def test_event_times_are_simulated_ns_from_start_within_the_duration():
    start = 1_700_000_000 * 10**9
    result = sim.run(all_agents(), "ACME", duration=20, seed=4, start_ns=start, progress=False)

    times = [event.ts_event for event in result.events]
    seqs = [event.seq for event in result.events]
    assert times == sorted(times)
    assert start < times[0] and times[-1] <= start + 20 * 10**9
    assert seqs == list(range(1, len(seqs) + 1))
    assert result.start_ns == start and result.end_ns == start + 20 * 10**9


def test_whichever_of_steps_and_duration_comes_first_stops_the_run():
    by_steps = sim.run([sim.ZeroIntelligence()], "ACME", steps=100, duration=3600, seed=1)
    by_time = sim.run([sim.ZeroIntelligence()], "ACME", steps=10**9, duration=1, seed=1)

    assert by_steps.steps == 100
    assert by_steps.end_ns == by_steps.events[-1].ts_event
    assert 0 < by_time.steps < 1_000
    assert by_time.end_ns == 10**9


def test_orders_belong_to_the_agents_that_sent_them():
    result = sim.run(all_agents(), "ACME", duration=60, seed=8, progress=False)

    owners = {e.owner for e in result.events if isinstance(e, OrderAccepted | OrderRejected)}
    assert owners == {"zi", "mm", "noise", "momentum"}


def test_long_run_keeps_the_book_sound_and_the_agents_bookkeeping_exact():
    result = sim.run(all_agents(), "ACME", steps=60_000, seed=21)

    result.book.check_integrity()
    resting: dict[str, dict[int, int]] = {}
    for order in result.book.engine.book.orders.values():
        resting.setdefault(order.owner, {})[order.order_id] = order.qty_lots
    positions: dict[str, int] = {}
    for event in result.events:
        if type(event) is Trade:
            signed = event.qty_lots if event.aggressor_side == "buy" else -event.qty_lots
            positions[event.taker_owner] = positions.get(event.taker_owner, 0) + signed
            positions[event.maker_owner] = positions.get(event.maker_owner, 0) - signed
    for name, state in result.states.items():
        assert {i: o.qty_lots for i, o in state.orders.items()} == resting.get(name, {})
        assert state.position == positions.get(name, 0)
        assert state.stale == 0
    assert sum(state.position for state in result.states.values()) == 0
    assert sum(state.cash_ticks for state in result.states.values()) == 0


def test_replaying_the_event_log_rebuilds_the_final_book():
    result = sim.run(all_agents(), "ACME", duration=60, seed=9, progress=False)

    rebuilt = OrderBook.replay(result.events)

    for side in ("bid", "ask"):
        assert rebuilt.level_ticks(side) == result.book.level_ticks(side)


def test_instrument_can_be_given_with_its_grid():
    result = sim.run(
        [sim.ZeroIntelligence(price=50.0)], Instrument("XYZ", "0.05", "10"), steps=500, seed=1
    )

    assert result.instrument == Instrument("XYZ", "0.05", "10")
    assert 900 <= result.book.best_bid_ticks <= 1100  # 50.00 is 1000 ticks of 0.05


def test_summary_has_one_row_per_agent_and_positions_net_to_zero():
    result = sim.run(all_agents(), "ACME", duration=120, seed=2, progress=False)

    summary = result.summary()

    assert list(summary.index) == ["zi", "mm", "noise", "momentum"]
    assert list(summary.columns) == [
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
    assert summary["position"].sum() == 0
    assert summary.loc["mm", "agent"] == "MarketMaker"
    assert "SimulationResult ACME" in repr(result)


class _CancelTwice(sim.Agent):
    """Places an order, then cancels it twice in one go (the second cancel is stale)."""

    def act(self, view, rng, now):
        if not view.orders:
            return [self.buy(1, 9_000)]
        order_id = next(iter(view.orders))
        return [self.cancel(order_id), self.cancel(order_id)]


def test_cancel_of_an_order_no_longer_live_is_skipped_and_counted_stale():
    result = sim.run([_CancelTwice("twice", interval=1.0)], "ACME", steps=10, seed=1)

    assert result.states["twice"].stale == 5


class _ReturnsNone(sim.Agent):
    def act(self, view, rng, now):
        return None


class _ReturnsText(sim.Agent):
    def act(self, view, rng, now):
        return ["buy 1"]


class _Rogue(sim.Agent):
    def act(self, view, rng, now):
        return [sim.Agent.cancel(self, 1)]


class _PlaceOnce(sim.Agent):
    def act(self, view, rng, now):
        return [] if view.orders else [self.buy(1, 9_000)]


class _TimeTraveller(sim.Agent):
    def next_wakeup(self, view, rng, now):
        return now - 1 if now else 10


def test_an_agent_returning_none_does_nothing():
    result = sim.run([_ReturnsNone("quiet", interval=1.0)], "ACME", steps=5, seed=1)

    assert len(result.events) == 0 and result.steps == 5


@pytest.mark.parametrize(
    ("agents", "options", "message"),
    [
        ([sim.ZeroIntelligence()], {}, "steps= or duration="),
        ([sim.ZeroIntelligence(), sim.ZeroIntelligence()], {"steps": 1}, "named 'zi'"),
        ([], {"steps": 1}, "at least one agent"),
        ([object()], {"steps": 1}, "not an agent"),
        ([_ReturnsText("text")], {"steps": 1}, "expected SubmitOrder"),
        ([_TimeTraveller("tardis")], {"steps": 5}, "back in time"),
        ([sim.ZeroIntelligence()], {"steps": 1, "seed": -1}, "seed"),
        ([sim.ZeroIntelligence()], {"duration": -1.0}, "duration"),
    ],
)
def test_run_refuses_bad_input_with_a_clear_message(agents, options, message):
    with pytest.raises(InvalidCommandError, match=message):
        sim.run(agents, "ACME", **options)


def test_agents_cannot_cancel_orders_of_other_agents():
    with pytest.raises(PermissionDeniedError):
        # order 1 is the placer's; the rogue's cancel is stamped with the rogue's name
        sim.run(
            [_PlaceOnce("placer", interval=0.001), _Rogue("rogue", interval=1.0)],
            "ACME",
            steps=5_000,
            seed=1,
        )


def test_package_docstring_examples_including_the_custom_agent_work():
    failures, tried = doctest.testmod(marketsim.sim, raise_on_error=False, verbose=False)

    assert tried >= 5
    assert failures == 0


def test_the_ledger_over_the_event_log_agrees_with_each_agents_account():
    result = sim.run(
        [sim.ZeroIntelligence(), sim.MarketMaker(), sim.NoiseTrader()],
        "ACME",
        duration=30,
        seed=7,
        progress=False,
    )
    accounts = result.accounts().set_index("owner")
    summary = result.summary()

    assert accounts["traded_qty"].sum() > 0
    for name in summary.index:
        assert accounts.loc[name, "position"] == summary.loc[name, "position"]
        assert accounts.loc[name, "cash"] == pytest.approx(summary.loc[name, "cash"])
        assert accounts.loc[name, "total_pnl"] == pytest.approx(summary.loc[name, "pnl"])
