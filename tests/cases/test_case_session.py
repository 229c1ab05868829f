"""Whole cases on the simulated clock: deterministic for the seeds; the clock pauses."""

import dataclasses
import time

import pytest

from marketsim import cases
from marketsim.cases import CaseSession, RealClock
from marketsim.cases.events import HeatChanged, Settled, TenderResolved
from marketsim.core.events import Trade
from marketsim.errors import InvalidCommandError


def trades_of(session):
    return [
        (heat.number, e.ts_event, e.price_ticks, e.qty_lots, e.maker_owner, e.taker_owner)
        for heat in session.heats
        for e in heat.exchange["ACME"].events
        if isinstance(e, Trade)
    ]


@pytest.mark.parametrize("name", ["spread", "news", "rebates", "tender", "auction"])
def test_each_built_in_case_runs_a_dry_run_with_bot_students(name):
    session = cases.simulate(name, bots=4, heats=1)
    heat = session.heat
    assert heat.state == "ended" and heat.log[-1] == HeatChanged(1, heat.end_ns, "ended", 0.0)
    assert len(trades_of(session)) > 50
    students = {e.owner for e in heat.log if isinstance(e, Settled)}
    assert students == {"student01", "student02", "student03", "student04"}
    assert any(heat.ledger.position(s, "ACME").traded_lots for s in students)
    heat.exchange["ACME"].check_integrity()


def test_the_same_seeds_give_the_same_events_trades_and_scores():
    first = cases.simulate("tender", bots=6, heats=2)
    second = cases.simulate("tender", bots=6, heats=2)
    assert first.log == second.log
    assert trades_of(first) == trades_of(second)
    assert first.scores().equals(second.scores())
    assert any(isinstance(e, TenderResolved) and e.outcome == "accepted" for e in first.log)


def test_other_seeds_give_another_market():
    case = cases.load("news")
    other = dataclasses.replace(case, seeds=tuple(seed + 1000 for seed in case.seeds))
    assert trades_of(cases.simulate(case, bots=3, heats=1)) != trades_of(
        cases.simulate(other, bots=3, heats=1)
    )


def test_heats_differ_from_each_other():
    session = cases.simulate("spread", bots=3, heats=2)
    by_heat = {}
    for heat, *trade in trades_of(session):
        by_heat.setdefault(heat, []).append(tuple(trade))
    assert by_heat[1] != by_heat[2]


def test_a_real_clock_stands_still_while_paused():
    clock = RealClock(speed=10.0)
    clock.reset()
    time.sleep(0.05)
    clock.pause()
    stopped = clock.now_ns
    assert stopped > 0
    time.sleep(0.05)
    assert clock.now_ns == stopped
    clock.resume()
    time.sleep(0.02)
    assert clock.now_ns > stopped


def test_pause_freezes_the_heats_time_schedule_and_bots_until_resume():
    clock = RealClock(speed=100.0)  # 100 heat seconds per wall second
    session = CaseSession(
        cases.load("news"),
        {"student01": "trader"},
        students=cases.bot_students(1),
        clock=clock,
    )
    heat = session.start()
    time.sleep(0.1)
    session.pause()
    heat.advance(heat.now_ns)  # catch up with everything due before the pause
    paused_at, seq = heat.now_ns, heat.exchange["ACME"].seq
    assert seq > 0
    time.sleep(0.1)
    heat.advance(heat.now_ns)  # what a driver loop does: nothing is due while paused
    assert heat.now_ns == paused_at and heat.exchange["ACME"].seq == seq
    session.resume()
    time.sleep(0.05)
    heat.advance(heat.now_ns)
    assert heat.now_ns > paused_at and heat.exchange["ACME"].seq > seq
    states = [e.state for e in heat.log if isinstance(e, HeatChanged)]
    assert states == ["started", "paused", "resumed"]


def test_bot_students_are_bounded():
    with pytest.raises(InvalidCommandError, match="bots"):
        cases.bot_students(10_000)
    with pytest.raises(InvalidCommandError, match="heats"):
        cases.simulate("spread", bots=1, heats=9)
