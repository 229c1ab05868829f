"""Pre-trade risk limits: the checks a market runs on an order before it reaches the book.

A breach is not an error: the order is *rejected* with a stable reason ``risk_<limit>`` and the
book never sees it, like a broker's or exchange gateway's risk check. The checks are pure: they
read the owner's exact ``Position`` from the ledger and the book's best prices.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from decimal import Decimal
from typing import Any

from marketsim.core.commands import ReplaceOrder, SubmitOrder
from marketsim.core.ledger import Position
from marketsim.core.types import Instrument
from marketsim.errors import InvalidCommandError

REASON_MAX_ORDER_QTY = "risk_max_order_qty"
REASON_MAX_OPEN_ORDERS = "risk_max_open_orders"
REASON_MAX_POSITION = "risk_max_position"
REASON_MAX_NOTIONAL = "risk_max_notional"


@dataclass(frozen=True, slots=True)
class RiskLimits:
    """A participant's limits, in the instrument's units; None means no limit.

    - ``max_order_qty``: the largest quantity of one order;
    - ``max_open_orders``: how many orders may rest at once, per instrument;
    - ``max_position``: the largest absolute position the owner could reach if every open
      order on the order's side filled, this one included;
    - ``max_notional``: the largest value (price x quantity) of one order; a market order is
      valued at the best opposite price.
    """

    max_order_qty: Decimal | None = None
    max_open_orders: int | None = None
    max_position: Decimal | None = None
    max_notional: Decimal | None = None

    @classmethod
    def from_mapping(cls, values: dict[str, Any]) -> RiskLimits:
        """Limits from a mapping such as a participants file's table; unknown keys raise."""
        names = {f.name for f in fields(cls)}
        unknown = sorted(set(values) - names)
        if unknown:
            raise InvalidCommandError(f"unknown limit {unknown[0]!r:.40}; known: {sorted(names)}")
        checked: dict[str, Any] = {}
        for name, value in values.items():
            if name == "max_open_orders":
                if type(value) is not int or value < 0:
                    raise InvalidCommandError(
                        f"{name} must be a whole number >= 0, got {value!r:.40}"
                    )
                checked[name] = value
            else:
                if isinstance(value, bool) or not isinstance(value, int | float | str | Decimal):
                    raise InvalidCommandError(f"{name} must be a number, got {value!r:.40}")
                number = Decimal(str(value))
                if not number.is_finite() or number < 0:
                    raise InvalidCommandError(f"{name} must be a number >= 0, got {value!r:.40}")
                checked[name] = number
        return cls(**checked)

    def merged(self, override: RiskLimits) -> RiskLimits:
        """These limits with every limit ``override`` sets replacing this one's."""
        return RiskLimits(
            **{
                f.name: getattr(override, f.name)
                if getattr(override, f.name) is not None
                else getattr(self, f.name)
                for f in fields(self)
            }
        )

    def as_dict(self) -> dict[str, Any]:
        """The limits that are set, as plain numbers."""
        out: dict[str, Any] = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if value is not None:
                out[f.name] = value if isinstance(value, int) else float(value)
        return out

    def in_lots(self, instrument: Instrument) -> LotLimits:
        """The same limits on ``instrument``'s grid of ticks and lots."""
        lot, money_per_tick_lot = instrument.lot_size, instrument.tick_size * instrument.lot_size
        return LotLimits(
            None if self.max_order_qty is None else int(self.max_order_qty / lot),
            self.max_open_orders,
            None if self.max_position is None else int(self.max_position / lot),
            None if self.max_notional is None else int(self.max_notional / money_per_tick_lot),
        )


@dataclass(frozen=True, slots=True)
class LotLimits:
    """``RiskLimits`` of one instrument in lots and ticks x lots (rounded down)."""

    max_order_lots: int | None
    max_open_orders: int | None
    max_position_lots: int | None
    max_notional: int | None  # in ticks x lots

    def check_submit(
        self, order: SubmitOrder, position: Position, best_opposite_ticks: int | None
    ) -> str | None:
        """The reason ``order`` breaches a limit, or None."""
        lots = order.qty_lots
        if self.max_order_lots is not None and lots > self.max_order_lots:
            return REASON_MAX_ORDER_QTY
        if (
            self.max_open_orders is not None
            and order.price_ticks is not None
            and order.tif == "GTC"
            and len(position.open_orders) >= self.max_open_orders
        ):
            return REASON_MAX_OPEN_ORDERS
        if (
            self.max_position_lots is not None
            and _worst_position(position, order.side, lots) > self.max_position_lots
        ):
            return REASON_MAX_POSITION
        if self.max_notional is not None:
            price = order.price_ticks if order.price_ticks is not None else best_opposite_ticks
            if price is not None and price * lots > self.max_notional:
                return REASON_MAX_NOTIONAL
        return None

    def check_replace(
        self, replace: ReplaceOrder, position: Position, side: str, price_ticks: int, lots: int
    ) -> str | None:
        """The reason replacing an open order (now ``lots`` at ``price_ticks``) breaches a
        limit, or None. Only what the replace raises is checked."""
        new_lots = lots if replace.qty_lots is None else replace.qty_lots
        new_price = price_ticks if replace.price_ticks is None else replace.price_ticks
        if self.max_order_lots is not None and new_lots > self.max_order_lots:
            return REASON_MAX_ORDER_QTY
        added = new_lots - lots
        if (
            self.max_position_lots is not None
            and added > 0
            and _worst_position(position, side, added) > self.max_position_lots
        ):
            return REASON_MAX_POSITION
        if self.max_notional is not None and new_price * new_lots > self.max_notional:
            return REASON_MAX_NOTIONAL
        return None


def _worst_position(position: Position, side: str, lots: int) -> int:
    """The absolute position reached if every open order of ``side`` and ``lots`` more fill."""
    if side == "buy":
        return abs(position.lots + position.open_buy_lots + lots)
    return abs(position.lots - position.open_sell_lots - lots)


__all__ = ["LotLimits", "RiskLimits"]
