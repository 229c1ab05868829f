"""The ledger: hand-computed accounts, and invariants over random markets."""

from __future__ import annotations

import math
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from marketsim.core import OrderBook
from marketsim.core.ledger import Fees, Ledger
from marketsim.errors import InvalidCommandError, UnknownSymbolError


def market(fees: Fees | None = None) -> tuple[OrderBook, Ledger]:
    book = OrderBook("ACME", tick_size=0.01)
    ledger = Ledger()
    ledger.add_instrument(book.instrument, fees)
    return book, ledger


def trade(book, ledger, seller: str, buyer: str, qty: int, price: float) -> None:
    """``seller`` rests an offer, ``buyer`` takes it (maker: seller, taker: buyer)."""
    ledger.apply("ACME", book.submit("sell", qty, price, owner=seller).events)
    ledger.apply("ACME", book.submit("buy", qty, owner=buyer).events)


def test_buying_in_two_lots_averages_the_price_and_selling_realises_against_it():
    book, ledger = market()
    trade(book, ledger, "s", "bob", 10, 100.00)
    trade(book, ledger, "s", "bob", 10, 101.00)  # bob: 20 @ 100.50
    trade(book, ledger, "bob", "t", 5, 102.00)  # sells 5: realises 5 x 1.50

    bob = ledger.account("bob", "ACME", mark_ticks=10_300)

    assert (bob.position, bob.avg_price) == (15, 100.5)
    assert bob.cash == pytest.approx(-2010.0 + 510.0)
    assert bob.realized_pnl == pytest.approx(7.5)
    assert bob.unrealized_pnl == pytest.approx(15 * 2.5)  # marked at 103.00
    assert bob.total_pnl == pytest.approx(7.5 + 37.5)
    assert bob.traded_qty == 25


def test_a_sale_beyond_the_position_closes_it_and_opens_a_short_at_that_price():
    book, ledger = market()
    trade(book, ledger, "s", "bob", 10, 100.00)
    trade(book, ledger, "bob", "t", 15, 99.00)  # closes 10 at a loss of 10, shorts 5 @ 99

    bob = ledger.account("bob", "ACME", mark_ticks=9_800)

    assert (bob.position, bob.avg_price) == (-5, 99.0)
    assert bob.realized_pnl == pytest.approx(-10.0)
    assert bob.unrealized_pnl == pytest.approx(5.0)  # short 5 from 99, marked at 98
    assert bob.total_pnl == pytest.approx(-5.0)


def test_an_average_between_ticks_stays_exact_through_partial_closes():
    book, ledger = market()
    trade(book, ledger, "s", "bob", 1, 100.00)
    trade(book, ledger, "s", "bob", 2, 100.01)  # average 100.00666...
    trade(book, ledger, "bob", "t", 1, 100.02)

    position = ledger.position("bob", "ACME")

    assert position.cost == Fraction(2 * 30_002, 3)  # two thirds of the cost of all three
    assert position.realized == Fraction(100_02 * 3 - 30_002, 3)  # in ticks x lots
    bob = ledger.account("bob", "ACME", mark_ticks=10_002)
    assert bob.realized_pnl + bob.unrealized_pnl - bob.fees == pytest.approx(bob.total_pnl)
    assert bob.total_pnl == pytest.approx(0.04)  # cash -200.00, two held at 100.02


def test_maker_and_taker_fees_are_charged_per_unit_and_a_negative_fee_is_a_rebate():
    book, ledger = market(Fees(maker=-0.002, taker=0.003))
    trade(book, ledger, "maker", "taker", 100, 50.00)

    maker = ledger.account("maker", "ACME")
    taker = ledger.account("taker", "ACME")

    assert maker.fees == pytest.approx(-0.2) and taker.fees == pytest.approx(0.3)
    assert maker.cash == pytest.approx(5000.2) and taker.cash == pytest.approx(-5000.3)
    # Marked at the trade price (the book is empty): P&L is the fees alone.
    assert maker.total_pnl == pytest.approx(0.2) and taker.total_pnl == pytest.approx(-0.3)
    assert maker.realized_pnl == 0 and taker.realized_pnl == 0


def test_the_mark_is_the_mid_then_the_last_trade_then_nothing():
    book, ledger = market()
    flat = ledger.account("bob", "ACME")
    assert math.isnan(flat.mark) and math.isnan(flat.avg_price)
    assert (flat.position, flat.cash, flat.total_pnl, flat.unrealized_pnl) == (0, 0, 0, 0)

    trade(book, ledger, "s", "bob", 2, 100.00)
    assert ledger.account("bob", "ACME").mark == 100.0  # last trade
    marked = ledger.account("bob", "ACME", best_bid_ticks=9_990, best_ask_ticks=10_001)
    assert marked.mark == 99.955  # the mid of 99.90 and 100.01, exact
    assert marked.unrealized_pnl == pytest.approx(2 * -0.045)


def test_an_open_position_without_any_mark_has_no_pnl_but_its_cash_and_realized_pnl():
    book, ledger = market()
    ledger.apply("ACME", book.submit("sell", 3, 100.00, owner="s").events)
    events = book.submit("buy", 3, owner="bob").events
    ledger.apply("ACME", events)

    unmarked = ledger.account("bob", "ACME", mark_ticks=math.nan)

    assert math.isnan(unmarked.total_pnl) and math.isnan(unmarked.unrealized_pnl)
    assert unmarked.cash == pytest.approx(-300.0) and unmarked.realized_pnl == 0


def test_open_orders_follow_rests_fills_replaces_and_cancels():
    book, ledger = market()
    first = book.submit("buy", 10, 99.00, owner="bob")
    second = book.submit("buy", 5, 98.00, owner="bob")
    for result in (first, second):
        ledger.apply("ACME", result.events)
    ledger.apply("ACME", book.submit("sell", 4, owner="s").events)  # fills 4 of the first
    ledger.apply("ACME", book.replace(second.order_id, qty=2, owner="bob").events)

    position = ledger.position("bob", "ACME")
    assert position.open_orders == {first.order_id: ["buy", 6], second.order_id: ["buy", 2]}
    assert (position.open_buy_lots, position.open_sell_lots) == (8, 0)

    ledger.apply("ACME", book.cancel(first.order_id, owner="bob").events)
    assert list(ledger.position("bob", "ACME").open_orders) == [second.order_id]
    assert ledger.account("bob", "ACME").open_orders == 1


def test_unknown_symbols_and_bad_fees_are_refused():
    ledger = Ledger()
    with pytest.raises(UnknownSymbolError, match="no instrument 'NOPE'"):
        ledger.account("bob", "NOPE")
    with pytest.raises(InvalidCommandError, match="maker_fee"):
        Fees(maker="1e-40")
    with pytest.raises(InvalidCommandError, match="'maker' and 'taker'"):
        Fees.of({"maker": 0.1, "rebate": 0.2})


OWNERS = ["ann", "bob", "cy", ""]
command = st.one_of(
    st.tuples(
        st.just("submit"),
        st.sampled_from(OWNERS),
        st.sampled_from(["buy", "sell"]),
        st.integers(1, 20),
        st.one_of(st.none(), st.integers(9_990, 10_010)),
        st.sampled_from(["GTC", "GTC", "IOC"]),
    ),
    st.tuples(st.just("cancel"), st.integers(0, 40)),
    st.tuples(st.just("replace"), st.integers(0, 40), st.integers(1, 20)),
)


@settings(max_examples=150, deadline=None)
@given(
    commands=st.lists(command, max_size=60),
    fees=st.tuples(st.sampled_from([0, -0.001, 0.002]), st.sampled_from([0, 0.003, 0.0015])),
)
def test_accounts_conserve_positions_and_cash_and_add_up_exactly(commands, fees):
    book, ledger = market(Fees(*fees))
    for step in commands:
        if step[0] == "submit":
            _, owner, side, qty, price_ticks, tif = step
            price = None if price_ticks is None else price_ticks / 100
            result = book.submit(side, qty, price, owner=owner, tif=tif if price else "GTC")
        else:
            live = list(book.engine.book.orders.values())
            if not live:
                continue
            order = live[step[1] % len(live)]
            if step[0] == "cancel":
                result = book.cancel(order.order_id, owner=order.owner)
            else:
                result = book.replace(order.order_id, qty=step[2], owner=order.owner)
        ledger.apply("ACME", result.events)

    positions = [ledger.position(owner, "ACME") for owner in ledger.owners("ACME")]
    assert sum(p.lots for p in positions) == 0
    assert sum(p.cash for p in positions) == -sum(p.fees for p in positions)
    for owner in ledger.owners("ACME"):
        position = ledger.position(owner, "ACME")
        resting = {
            o.order_id: [o.side, o.qty_lots]
            for o in book.engine.book.orders.values()
            if o.owner == owner
        }
        assert position.open_orders == resting
        mark = Fraction(10_000)
        value = position.lots * mark * ledger._grid("ACME").scale
        unrealized = value - position.cost
        # Exact identity: realized + unrealized - fees = cash + position x mark.
        assert position.realized + unrealized - position.fees == position.cash + value
        account = ledger.account(owner, "ACME", mark_ticks=10_000)
        assert account.realized_pnl + account.unrealized_pnl - account.fees == pytest.approx(
            account.total_pnl, abs=1e-9
        )


mechanics_command = st.one_of(
    st.tuples(
        st.just("submit"),
        st.sampled_from(OWNERS),
        st.sampled_from(["buy", "sell"]),
        st.integers(1, 20),
        st.one_of(st.none(), st.integers(9_990, 10_010)),  # price
        st.one_of(st.none(), st.integers(9_990, 10_010)),  # stop price
        st.sampled_from([None, None, 2, 5]),  # display qty
        st.sampled_from([None, "cancel_newest", "cancel_oldest", "cancel_both", "decrement"]),
    ),
    st.tuples(st.just("cancel"), st.integers(0, 40)),
    st.tuples(st.just("replace"), st.integers(0, 40), st.integers(1, 20)),
    st.tuples(st.just("phase"), st.sampled_from(["continuous", "auction", "halted"])),
)


def resting_orders(book: OrderBook, owner: str) -> dict[int, list]:
    """``owner``'s orders in the book (shown and hidden quantity), as the ledger keeps them."""
    return {
        o.order_id: [o.side, o.qty_lots + o.hidden_lots]
        for o in book.engine.book.orders.values()
        if o.owner == owner
    }


@settings(max_examples=150, deadline=None)
@given(commands=st.lists(mechanics_command, max_size=60))
def test_accounts_follow_stops_icebergs_self_trade_prevention_and_auctions(commands):
    book, ledger = market(Fees(-0.001, 0.002))
    for step in commands:
        try:
            if step[0] == "submit":
                _, owner, side, qty, price_ticks, stop_ticks, display, stp = step
                result = book.submit(
                    side,
                    qty,
                    None if price_ticks is None else price_ticks / 100,
                    owner=owner,
                    stop_price=None if stop_ticks is None else stop_ticks / 100,
                    display_qty=display if display and price_ticks and display <= qty else None,
                    stp=stp,
                )
                events = result.events
            elif step[0] == "phase":
                events = book.set_phase(step[1]).events
            else:
                live = list(book.engine.book.orders.values())
                if not live:
                    continue
                order = live[step[1] % len(live)]
                if step[0] == "cancel":
                    events = book.cancel(order.order_id, owner=order.owner).events
                else:
                    events = book.replace(order.order_id, qty=step[2], owner=order.owner).events
        except InvalidCommandError:  # e.g. a phase it is already in, an iceberg stop
            continue
        ledger.apply("ACME", events)

    positions = [ledger.position(owner, "ACME") for owner in ledger.owners("ACME")]
    assert sum(p.lots for p in positions) == 0
    assert sum(p.cash for p in positions) == -sum(p.fees for p in positions)
    for owner in {*ledger.owners("ACME"), *(o.owner for o in book.engine.book.orders.values())}:
        assert ledger.position(owner, "ACME").open_orders == resting_orders(book, owner)
