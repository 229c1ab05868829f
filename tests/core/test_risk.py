"""Pre-trade risk limits: each limit's breach, and what stays within it."""

from __future__ import annotations

from decimal import Decimal

import pytest

from marketsim.core import Instrument, OrderBook
from marketsim.core.commands import ReplaceOrder, SubmitOrder
from marketsim.core.ledger import Ledger
from marketsim.core.risk import RiskLimits
from marketsim.errors import InvalidCommandError

INSTRUMENT = Instrument("ACME", "0.01", "10")  # lots of 10 shares


def position_after(*results):
    ledger = Ledger([INSTRUMENT])
    for result in results:
        ledger.apply("ACME", result.events)
    return ledger.position("bob", "ACME")


@pytest.mark.parametrize(
    ("limits", "order", "reason"),
    [
        (
            RiskLimits(max_order_qty=Decimal(50)),
            SubmitOrder("buy", 6, 10_000),
            "risk_max_order_qty",
        ),
        (RiskLimits(max_order_qty=Decimal(50)), SubmitOrder("buy", 5, 10_000), None),
        (RiskLimits(max_position=Decimal(100)), SubmitOrder("buy", 9, 10_000), "risk_max_position"),
        (RiskLimits(max_position=Decimal(100)), SubmitOrder("sell", 9, 10_000), None),
        (RiskLimits(max_notional=Decimal(5000)), SubmitOrder("buy", 5, 10_000), None),
        (
            RiskLimits(max_notional=Decimal(5000)),
            SubmitOrder("buy", 6, 10_000),
            "risk_max_notional",
        ),
        (RiskLimits(max_open_orders=1), SubmitOrder("buy", 1, 9_000), "risk_max_open_orders"),
        (RiskLimits(max_open_orders=1), SubmitOrder("buy", 1, tif="IOC", price_ticks=9_000), None),
    ],
)
def test_a_submit_is_checked_against_every_limit(limits, order, reason):
    # bob already rests 2 lots (20 shares) to buy at 99.00: one open order, 20 long if filled.
    book = OrderBook(INSTRUMENT)
    resting = book.submit("buy", 20, 99.00, owner="bob")

    found = limits.in_lots(INSTRUMENT).check_submit(order, position_after(resting), None)

    assert found == reason


def test_a_market_order_is_valued_at_the_best_opposite_price():
    limits = RiskLimits(max_notional=Decimal(1000)).in_lots(INSTRUMENT)
    flat = position_after()

    assert limits.check_submit(SubmitOrder("buy", 1), flat, 10_001) == "risk_max_notional"
    assert limits.check_submit(SubmitOrder("buy", 1), flat, 9_999) is None
    assert limits.check_submit(SubmitOrder("buy", 1), flat, None) is None  # nothing to price


def test_a_replace_is_checked_on_what_it_raises():
    book = OrderBook(INSTRUMENT)
    resting = book.submit("buy", 50, 99.00, owner="bob")
    position = position_after(resting)
    limits = RiskLimits(max_position=Decimal(60), max_order_qty=Decimal(80)).in_lots(INSTRUMENT)

    def check(qty_lots):
        return limits.check_replace(
            ReplaceOrder(resting.order_id, qty_lots=qty_lots), position, "buy", 9_900, 5
        )

    assert check(3) is None  # smaller: always allowed
    assert check(6) is None  # 60 shares: at the limit
    assert check(7) == "risk_max_position"
    assert check(9) == "risk_max_order_qty"


def test_limits_from_a_file_table_are_validated():
    limits = RiskLimits.from_mapping({"max_position": 100, "max_open_orders": 5})
    assert (limits.max_position, limits.max_open_orders) == (Decimal(100), 5)
    assert limits.merged(RiskLimits(max_open_orders=2)).as_dict() == {
        "max_open_orders": 2,
        "max_position": 100.0,
    }
    with pytest.raises(InvalidCommandError, match="unknown limit 'max_fun'"):
        RiskLimits.from_mapping({"max_fun": 1})
    with pytest.raises(InvalidCommandError, match="max_open_orders must be a whole number"):
        RiskLimits.from_mapping({"max_open_orders": 2.5})
    with pytest.raises(InvalidCommandError, match="max_position must be a number >= 0"):
        RiskLimits.from_mapping({"max_position": -1})
