"""The naive reference of a call auction: try every candidate price, then pair in priority.

Orders are ``reference_book.RefOrder`` objects (``price`` None for a market order); their whole
open quantity, hidden iceberg size included, takes part. Rules as in ``marketsim.core.auction``:
most volume, then least imbalance, then nearest the last trade, or without one nearest the
middle of the tied range; the lower price on a tie.
"""

from __future__ import annotations


def _demand(orders, price: int) -> int:
    return sum(o.open for o in orders if o.side == "buy" and (o.price is None or o.price >= price))


def _supply(orders, price: int) -> int:
    return sum(o.open for o in orders if o.side == "sell" and (o.price is None or o.price <= price))


def indicative(orders, last_trade: int | None) -> tuple[int, int, int, str | None] | None:
    """(price, matched, imbalance, imbalance side) of an uncross now, or None."""
    rows = []
    for price in sorted({o.price for o in orders if o.price is not None}):
        demand, supply = _demand(orders, price), _supply(orders, price)
        if min(demand, supply) > 0:
            rows.append((price, min(demand, supply), demand - supply))
    if not rows:
        return None
    best = max(matched for _, matched, _ in rows)
    rows = [row for row in rows if row[1] == best]
    least = min(abs(surplus) for _, _, surplus in rows)
    rows = [row for row in rows if abs(row[2]) == least]
    # The reference price: the last trade, else the middle of the tied range.
    target = float(last_trade) if last_trade is not None else (rows[0][0] + rows[-1][0]) / 2
    price, matched, surplus = min(rows, key=lambda row: (abs(row[0] - target), row[0]))
    side = "buy" if surplus > 0 else "sell" if surplus < 0 else None
    return price, matched, abs(surplus), side


def _priority(orders, side: str, price: int) -> list:
    """The orders of ``side`` that accept ``price``: market orders first, then by price and
    time."""
    eligible = [
        o
        for o in orders
        if o.side == side
        and (o.price is None or (o.price >= price if side == "buy" else o.price <= price))
    ]
    sign = -1 if side == "buy" else 1
    eligible.sort(key=lambda o: (o.price is not None, sign * (o.price or 0), o.arrival))
    return eligible


def uncross_fills(orders, price: int, lots: int) -> list[tuple[object, object, int]]:
    """``[(buy order, sell order, lots), ...]`` pairing ``lots`` in priority order."""
    buys, sells = _priority(orders, "buy", price), _priority(orders, "sell", price)
    left = {id(o): o.open for o in buys + sells}
    fills = []
    b = s = 0
    while lots:
        buy, sell = buys[b], sells[s]
        fill = min(lots, left[id(buy)], left[id(sell)])
        fills.append((buy, sell, fill))
        lots -= fill
        left[id(buy)] -= fill
        left[id(sell)] -= fill
        b += left[id(buy)] == 0
        s += left[id(sell)] == 0
    return fills
