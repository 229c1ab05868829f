"""Pending stop orders: held outside the visible book until a trade reaches their stop price.

A buy stop triggers when a trade happens at or above its stop price, a sell stop at or below.
Stops reached by the same trade come out in the order the price reached them: buy stops from
the lowest stop price up, sell stops from the highest down, and by submission time within one
stop price (buys before sells in the rare case of a first trade reaching both).
"""

from __future__ import annotations

import itertools
from bisect import bisect_left, insort

from marketsim.core.types import Side, TimeInForce


class StopOrder:
    """A stop order waiting for its trigger; it enters as a limit (or market) order."""

    __slots__ = (
        "arrival",
        "order_id",
        "owner",
        "price_ticks",
        "qty_lots",
        "side",
        "stop_price_ticks",
        "stp",
        "tif",
    )

    def __init__(
        self,
        order_id: int,
        owner: str,
        side: Side,
        stop_price_ticks: int,
        price_ticks: int | None,
        qty_lots: int,
        tif: TimeInForce,
        stp: str,
    ) -> None:
        self.order_id = order_id
        self.owner = owner
        self.side = side
        self.stop_price_ticks = stop_price_ticks
        self.price_ticks = price_ticks
        self.qty_lots = qty_lots
        self.tif = tif
        self.stp = stp
        self.arrival = 0  # set when it is filed; orders stops of one stop price

    def __repr__(self) -> str:
        return (
            f"StopOrder(order_id={self.order_id}, side={self.side!r}, "
            f"stop_price_ticks={self.stop_price_ticks}, price_ticks={self.price_ticks}, "
            f"qty_lots={self.qty_lots})"
        )


def stop_reached(side: str, stop_price_ticks: int, trade_price_ticks: int | None) -> bool:
    """Has a trade at ``trade_price_ticks`` (None: no trade yet) reached this stop?"""
    if trade_price_ticks is None:
        return False
    if side == "buy":
        return trade_price_ticks >= stop_price_ticks
    return trade_price_ticks <= stop_price_ticks


class PendingStops:
    """The stop orders of one book, each side sorted so the next to trigger is last.

    Buy keys are ``(-stop price, -arrival, id)`` and sell keys ``(stop price, -arrival, id)``:
    in ascending order the stop that a moving price reaches first, and the earliest of a tie,
    sit at the end, where popping is cheap.
    """

    __slots__ = ("_arrivals", "_keys", "orders")

    def __init__(self) -> None:
        self.orders: dict[int, StopOrder] = {}
        self._keys: dict[str, list[tuple[int, int, int]]] = {"buy": [], "sell": []}
        self._arrivals = itertools.count(1).__next__

    def __len__(self) -> int:
        return len(self.orders)

    @staticmethod
    def _key(stop: StopOrder) -> tuple[int, int, int]:
        sign = -1 if stop.side == "buy" else 1
        return (sign * stop.stop_price_ticks, -stop.arrival, stop.order_id)

    def add(self, stop: StopOrder) -> None:
        """File ``stop`` behind every stop already pending at its stop price."""
        stop.arrival = self._arrivals()
        self.orders[stop.order_id] = stop
        insort(self._keys[stop.side], self._key(stop))

    def remove(self, order_id: int) -> StopOrder:
        """Take a pending stop out (a cancel, or before a replace files it again)."""
        stop = self.orders.pop(order_id)
        keys = self._keys[stop.side]
        del keys[bisect_left(keys, self._key(stop))]
        return stop

    def pop_reached(self, trade_price_ticks: int) -> list[StopOrder]:
        """Remove and return the stops a trade at this price reaches, in trigger order."""
        reached = []
        for side in ("buy", "sell"):
            keys = self._keys[side]
            while keys and stop_reached(side, abs(keys[-1][0]), trade_price_ticks):
                reached.append(self.orders.pop(keys.pop()[2]))
        return reached

    def listed(self, side: str) -> list[StopOrder]:
        """The pending stops of one side, next to trigger first."""
        return [self.orders[key[2]] for key in reversed(self._keys[side])]
