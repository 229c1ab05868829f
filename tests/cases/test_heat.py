"""One heat, step by step: news reach exactly their audience at their time; tenders and
settlement change positions and cash exactly as stated (hand-computed tables)."""

import pytest

from marketsim.cases import Case, CaseSession, Heat
from marketsim.cases.events import NewsDelivered, Settled, TenderResolved
from marketsim.core.commands import SubmitOrder
from marketsim.errors import InvalidCommandError, NotFoundError

S = 1_000_000_000

# The value never moves by itself (sigma 0), so it is 100.00 until the news shock of +2.00.
CLASSROOM = """
name = "classroom"
[[instruments]]
symbol = "ACME"
tick = 0.01
start_price = 100.00
[heats]
count = 2
length = 60
[[schedule]]
at = 0
phase = "continuous"
[[tenders]]
at = 10
to = ["ann", "role:insider"]
side = "buy"
qty = 100
price = 99.00
expires = 5
[[news]]
at = 20
to = ["bob"]
text = "ACME beats estimates"
shock = 2.00
[fees.ACME]
maker = -0.01
taker = 0.02
"""
PARTICIPANTS = {"ann": "trader", "bob": "trader", "cat": "insider"}


def heat_of(text=CLASSROOM, participants=PARTICIPANTS):
    heat = Heat(Case.from_toml(text), 1, participants)
    heat.start()
    return heat


def test_news_reaches_exactly_its_audience_at_its_time():
    heat = heat_of()
    heat.advance(20 * S - 1)
    assert heat.news("bob") == []
    heat.advance(20 * S)
    (item,) = heat.news("bob")
    assert (item.ts_ns, item.text, item.recipients) == (20 * S, "ACME beats estimates", ("bob",))
    assert heat.news("ann") == [] and heat.news("cat") == []
    assert heat.values["ACME"].ticks == 10_200


def test_news_to_a_role_and_to_all():
    heat = heat_of(
        CLASSROOM
        + '[[news]]\nat = 1\nto = ["role:insider"]\ntext = "tip"\n'
        + '[[news]]\nat = 2\ntext = "public"\n'
    )
    heat.advance(2 * S)
    delivered = [e for e in heat.log if isinstance(e, NewsDelivered)]
    assert [(e.text, e.recipients) for e in delivered] == [
        ("tip", ("cat",)),
        ("public", ("ann", "bob", "cat")),
    ]


def test_accept_decline_and_expiry_change_positions_and_cash_exactly():
    heat = heat_of()
    heat.advance(5 * S)
    # ann rests a sell of 10 at 100.50 and bob's market buy takes it: a trade of 10 at 100.50.
    assert heat.submit("ann", "ACME", "sell", 10, 100.50) is None
    assert heat.submit("bob", "ACME", "buy", 10) is None
    heat.advance(10 * S)
    offers = {t.owner: t for t in heat.tenders("ann") + heat.tenders("cat")}
    assert set(offers) == {"ann", "cat"} and heat.tenders("bob") == []
    assert offers["ann"].expires_ns == 15 * S
    heat.advance(12 * S)
    heat.accept("ann", offers["ann"].tender_id)
    with pytest.raises(NotFoundError):  # not bob's tender
        heat.decline("bob", offers["cat"].tender_id)
    heat.advance(15 * S)  # cat let it expire
    assert heat.outcome(offers["cat"].tender_id) == "expired"
    with pytest.raises(NotFoundError):
        heat.accept("cat", offers["cat"].tender_id)
    position = heat.ledger.position("ann", "ACME")
    assert position.lots == -10 + 100
    assert heat.ledger.position("cat", "ACME").lots == 0

    heat.run()  # to the end at 60 s; the value is 102.00 after the news
    settled = {e.owner: e for e in heat.log if isinstance(e, Settled)}
    # ann: +1005.00 (sale) + 0.10 (maker rebate) - 9900.00 (tender) + 90 x 102.00 = 285.10
    # bob: -1005.00 (purchase) - 0.20 (taker fee) + 10 x 102.00 = 14.80
    assert settled["ann"].pnl == pytest.approx(285.10, abs=1e-9)
    assert settled["bob"].pnl == pytest.approx(14.80, abs=1e-9)
    assert (settled["cat"].pnl, settled["cat"].position) == (0.0, 0)
    assert settled["ann"].price == 102.0 and settled["ann"].position == 90
    assert heat.pnl() == pytest.approx({"ann": 285.10, "bob": 14.80, "cat": 0.0})


def test_a_declined_tender_changes_nothing_and_cannot_be_taken_back():
    heat = heat_of()
    heat.advance(10 * S)
    (tender,) = heat.tenders("ann")
    heat.decline("ann", tender.tender_id)
    assert heat.outcome(tender.tender_id) == "declined"
    with pytest.raises(NotFoundError):
        heat.accept("ann", tender.tender_id)
    assert heat.ledger.position("ann", "ACME").lots == 0


def test_an_answer_after_the_deadline_counts_as_expiry():
    heat = heat_of()
    heat.advance(10 * S)
    (tender,) = heat.tenders("ann")
    heat.clock.wait_until(16 * S)  # time passed, but the timeline has not caught up yet
    with pytest.raises(InvalidCommandError, match="expired"):
        heat.accept("ann", tender.tender_id)
    resolved = [e for e in heat.log if isinstance(e, TenderResolved)]
    assert [(e.outcome, e.ts_ns) for e in resolved] == [("expired", 15 * S)]


def test_open_tenders_expire_at_the_end_of_the_heat():
    heat = heat_of(CLASSROOM.replace("expires = 5", "expires = 500"))
    heat.run()
    assert {heat.outcome(t.tender_id) for t in heat.tenders("ann")} == {"expired"}


def test_closing_auction_sets_the_settlement_price():
    text = CLASSROOM.replace('phase = "continuous"', 'phase = "auction"') + (
        '[settlement]\nprice = "close"\n'
    )
    heat = heat_of(text)
    heat.advance(30 * S)
    heat.submit("ann", "ACME", "sell", 10, 101.00)
    heat.submit("bob", "ACME", "buy", 10, 101.00)
    heat.run()
    assert heat.settlement_ticks == {"ACME": 10_100}  # not the value (102.00)
    settled = {e.owner: e for e in heat.log if isinstance(e, Settled)}
    # Both traded 10 at 101.00 and are valued at 101.00, so all that is left of their P&L is
    # what they paid in fees (a rebate counts negative).
    assert settled["ann"].position == -10 and settled["bob"].position == 10
    assert settled["ann"].price == settled["bob"].price == 101.0
    fees = heat.ledger.account("ann", "ACME").fees + heat.ledger.account("bob", "ACME").fees
    assert settled["ann"].pnl + settled["bob"].pnl == pytest.approx(-fees)


def test_limits_refuse_a_students_order_before_the_book_sees_it():
    heat = heat_of(CLASSROOM + "[limits]\nmax_order_qty = 50\n")
    heat.advance(1 * S)
    assert heat.submit("ann", "ACME", "buy", 51, 99.0) == "risk_max_order_qty"
    assert heat.exchange["ACME"].best_bid is None


def test_only_participants_act_and_only_while_the_heat_runs():
    heat = heat_of()
    with pytest.raises(NotFoundError):
        heat.submit("mallory", "ACME", "buy", 1)
    heat.run()
    with pytest.raises(InvalidCommandError, match="ended"):
        heat.submit("ann", "ACME", "buy", 1)


def test_the_moderator_can_end_a_heat_early_and_start_the_next():
    session = CaseSession(Case.from_toml(CLASSROOM), PARTICIPANTS)
    first = session.start()
    first.advance(30 * S)
    second = session.next_heat()
    assert first.state == "ended" and first.log[-1].ts_ns == 30 * S
    assert second.number == 2 and second.state == "running"
    session.end()
    assert session.ended and list(session.scores()["heat"].unique()) == [1, 2]
    with pytest.raises(InvalidCommandError, match="no more heats"):
        session.start()


def test_a_bot_may_not_take_a_participants_name():
    text = CLASSROOM + '[[bots]]\nagent = "NoiseTrader"\nname = "ann"\n'
    with pytest.raises(InvalidCommandError, match="participant's name"):
        Heat(Case.from_toml(text), 1, PARTICIPANTS)


def test_role_news_reaches_a_group_as_well_as_a_role():
    case = Case.from_toml(CLASSROOM + '[[news]]\nat = 1\nto = ["role:insider"]\ntext = "tip"\n')
    traders = {"ann": "trader", "bob": "trader", "cat": "insider"}
    heat = Heat(case, 1, traders, groups={"bob": ("insider", "night-shift")})
    heat.start()
    heat.advance(1 * S)
    (tip,) = [e for e in heat.log if isinstance(e, NewsDelivered)]
    assert tip.recipients == ("bob", "cat")  # bob by his group, cat by her role


def test_the_end_of_a_heat_cancels_pending_stops_too():
    heat = heat_of()
    stop = SubmitOrder("buy", 5, stop_price_ticks=10_100, owner="ann")  # above the market
    heat.market.apply("ACME", stop, 1 * S)
    engine = heat.exchange["ACME"].engine
    assert list(engine.stop_orders)
    heat.advance(heat.end_ns)
    assert heat.state == "ended"
    assert not engine.stop_orders and not engine.book.orders
