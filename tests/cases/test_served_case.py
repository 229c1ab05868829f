"""A case on a real gRPC server (127.0.0.1, port 0): students' private streams, tenders over
the wire, reconnecting, the moderator's controls, and the same trades as a dry run."""

import asyncio
import contextlib
import time

import pytest

import marketsim as ms
from marketsim import cases
from marketsim.cases import Case, CaseSession
from marketsim.core.events import Trade
from marketsim.errors import InvalidCommandError, NotFoundError, PermissionDeniedError

DEADLINE = 20.0
PEOPLE = {"prof": "admin", "ann": "trader", "bob": "trader", "cat": "trader"}

# The value stays at 100.00 (sigma 0); no bots, so only the students trade.
QUIET = """
name = "quiet"
[[instruments]]
symbol = "ACME"
start_price = 100.00
[heats]
count = 2
length = 4
[[schedule]]
at = 0
phase = "continuous"
[[news]]
at = 1.5
to = ["bob"]
text = "for bob only"
[[news]]
at = 2.0
text = "for everyone"
[[tenders]]
at = 0.5
side = "buy"
qty = 100
price = 99.00
expires = 1.5
"""


@contextlib.contextmanager
def served(text=QUIET, mode="thread", **run_options):
    case = Case.from_toml(text)
    market = ms.launch(**cases.launch_options(case), participants=PEOPLE, mode=mode)
    try:
        yield market, market.run_case(case, **run_options)  # a Case: its text is sent
    finally:
        market.stop()


async def collect_until_heat_ends(client):
    """Every case update until the heat's end, within the deadline."""
    updates = []

    async def read():
        async for update in client.stream_case():
            updates.append(update)
            if update.status["state"] in ("ended", "over"):
                return

    await asyncio.wait_for(read(), DEADLINE)
    return updates


def test_news_reaches_exactly_its_audience_on_the_private_stream_at_its_time():
    with served() as (market, moderator):

        async def main():
            clients = {name: await market.aclient(name) for name in ("ann", "bob", "cat")}
            readers = [asyncio.ensure_future(collect_until_heat_ends(c)) for c in clients.values()]
            await asyncio.sleep(0.5)  # the streams are open before the heat starts
            await asyncio.to_thread(moderator.start)
            results = dict(zip(clients, await asyncio.gather(*readers), strict=True))
            for client in clients.values():
                await client.close()
            return results

        updates = asyncio.run(main())
    for name, seen in updates.items():
        news = [(item["text"], item["seconds"]) for u in seen for item in u.news]
        expected = [("for bob only", 1.5)] if name == "bob" else []
        assert news == [*expected, ("for everyone", 2.0)], name
        for update in seen:
            for item in update.news:  # sent when it happened, not before
                assert update.status["ts_ns"] >= item["seconds"] * 1e9
        assert seen[0].status["state"] == "running" and seen[-1].status["heat"] == 1


def test_tender_accept_decline_and_expiry_over_the_wire_and_the_scores():
    with served(heats=1) as (market, moderator):
        ann, bob, cat = (market.client(name) for name in ("ann", "bob", "cat"))
        early = ann.submit("ACME", "buy", 1, 99.00)  # nothing trades before the heat opens
        assert (early.status, early.reason) == ("rejected", "halted")
        moderator.start()
        tenders = _wait_for(lambda: ann.tenders(), lambda frame: len(frame) == 1)
        assert tenders.loc[0, ["side", "qty", "price", "outcome"]].tolist() == [
            "buy",
            100.0,
            99.0,
            "open",
        ]
        assert ann.accept(int(tenders.tender_id[0]))["outcome"] == "accepted"
        assert bob.decline(int(bob.tenders().tender_id[0]))["outcome"] == "declined"
        with pytest.raises(NotFoundError):
            bob.accept(int(cat.tenders().tender_id[0]))  # not his
        account = ann.account("ACME")
        assert (account.position, account.cash) == (100, -9_900.0)
        assert bob.account("ACME").position == 0
        _wait_for(lambda: cat.tenders(), lambda frame: frame.outcome[0] == "expired")
        with pytest.raises(NotFoundError):
            cat.accept(int(cat.tenders().tender_id[0]))
        _wait_for(moderator.status, lambda status: status["state"] == "over")
        scores = moderator.scores()
        assert ann.submit("ACME", "buy", 1, 99.00).reason == "halted"  # nor after it
    # ann: 100 bought at 99.00, closed at the value 100.00: +100.00; bob and cat: 0, tied.
    table = scores.set_index("participant")[["pnl", "rank"]].to_dict("index")
    assert table == {
        "ann": {"pnl": 100.0, "rank": 1},
        "bob": {"pnl": 0.0, "rank": 2},
        "cat": {"pnl": 0.0, "rank": 2},
    }


def test_a_student_who_reconnects_mid_heat_gets_the_current_state():
    with served() as (market, moderator):
        moderator.start()
        _wait_for(moderator.status, lambda status: status["ts_ns"] > 2.2e9)
        fresh = market.client("bob")  # a new connection, as after a restart of the notebook
        state = fresh.case_state()
        assert state.status["state"] == "running" and state.status["heat"] == 1
        assert 0 < state.status["seconds_left"] < 2.0
        assert [item["text"] for item in state.news] == ["for bob only", "for everyone"]
        assert [t["outcome"] for t in state.tenders] == ["expired"]
        assert state.status["phases"] == {"ACME": "continuous"}


def test_pause_stops_the_heats_clock_and_resume_restarts_it():
    with served() as (_market, moderator):
        moderator.start()
        paused = moderator.pause()
        assert paused["state"] == "paused"
        time.sleep(0.3)
        assert moderator.status()["ts_ns"] == paused["ts_ns"]
        assert moderator.resume()["state"] == "running"
        _wait_for(moderator.status, lambda status: status["ts_ns"] > paused["ts_ns"])
        assert moderator.next_heat()["heat"] == 2
        assert moderator.end()["state"] == "over"
        assert sorted(moderator.scores().heat.unique()) == [1, 2]


def test_only_an_admin_runs_and_controls_a_case_and_students_answer_only_their_own():
    with served() as (market, moderator):
        ann = market.client("ann")
        with pytest.raises(PermissionDeniedError):
            ann.run_case(QUIET)
        with pytest.raises(PermissionDeniedError):
            ann.control_case("start")
        with pytest.raises(PermissionDeniedError):
            ann.case_scores()
        with pytest.raises(InvalidCommandError, match="action"):
            moderator.client.control_case("explode")
        with pytest.raises(InvalidCommandError, match="not over"):
            moderator.client.run_case(QUIET)


def test_a_market_without_a_case_says_so():
    market = ms.launch(participants={"prof": "admin", "ann": "trader"})
    try:
        with pytest.raises(NotFoundError, match="no case"):
            market.client("ann").case_state()
    finally:
        market.stop()


BOTS_ONLY = """
name = "bots"
[[instruments]]
symbol = "ACME"
start_price = 100.00
value = { sigma = 0.02 }
[heats]
length = 20
seed = 7
[[bots]]
agent = "ValueMaker"
name = "dealer"
params = { half_spread_ticks = 3, size = 5 }
[[bots]]
agent = "ZeroIntelligence"
name = "flow"
params = { limit_rate = 0.1, market_rate = 1.0, window_ticks = 10 }
"""


def test_a_served_case_on_a_simulated_clock_trades_as_the_dry_run_in_process_mode():
    students = {name: role for name, role in PEOPLE.items() if role == "trader"}
    dry = CaseSession(Case.from_toml(BOTS_ONLY), students).run()
    expected = [
        (e.price_ticks, e.qty_lots, e.maker_owner, e.taker_owner)
        for e in dry.heat.exchange["ACME"].events
        if isinstance(e, Trade)
    ]
    assert len(expected) > 20
    with served(BOTS_ONLY, mode="process", clock="simulated") as (market, moderator):

        async def record():
            admin = await market.aclient("prof")
            seen = []

            async def read():
                async for fill in admin.stream_trades("ACME"):
                    seen.append(
                        (round(fill.price * 100), fill.qty, fill.maker_owner, fill.taker_owner)
                    )
                    if len(seen) == len(expected):
                        return

            reader = asyncio.ensure_future(asyncio.wait_for(read(), DEADLINE))
            await asyncio.sleep(0.5)
            await asyncio.to_thread(moderator.start)
            await reader
            await admin.close()
            return seen

        assert asyncio.run(record()) == expected
        _wait_for(moderator.status, lambda status: status["state"] == "over")


def _wait_for(read, ready, deadline=DEADLINE):
    """Poll ``read()`` until ``ready(value)``; the value."""
    end = time.monotonic() + deadline
    while True:
        value = read()
        if ready(value):
            return value
        if time.monotonic() > end:
            raise AssertionError(f"not ready after {deadline} s: {value!r}")
        time.sleep(0.05)


def test_the_moderator_gets_a_served_heats_post_mortem_from_a_server_process():
    with served(heats=1, mode="process") as (market, moderator):
        ann, bob = market.client("ann"), market.client("bob")
        with pytest.raises(InvalidCommandError, match="the first heat has not finished yet"):
            moderator.post_mortem()
        moderator.start()
        _wait_for(moderator.status, lambda status: status["state"] == "running")
        ann.submit("ACME", "buy", 2, 99.50)
        bob.submit("ACME", "sell", 2, 99.50)
        _wait_for(moderator.status, lambda status: status["state"] == "over")
        post_mortem = moderator.post_mortem()
        scores = moderator.scores()
        with pytest.raises(PermissionDeniedError):
            ann.case_post_mortem()

    trade = post_mortem.trades.iloc[0]
    assert len(post_mortem.trades) == 1
    assert (trade.price, trade.qty, trade.buyer, trade.seller) == (99.5, 2, "ann", "bob")
    assert post_mortem.counterparties.loc["ann", "bob"] == 2
    # The P&L curves end at the settled P&L: 2 bought at 99.50, closed at the value 100.00.
    final = post_mortem.pnl.groupby("participant").pnl.last()
    assert final["ann"] == pytest.approx(1.0) and final["bob"] == pytest.approx(-1.0)
    assert final.to_dict() == pytest.approx(scores.set_index("participant").pnl.to_dict())
    assert {line.get_label() for line in post_mortem.plot_pnl().get_lines()} >= {"ann", "bob"}
