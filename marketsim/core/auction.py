"""Call auctions: collect orders without matching, then execute them all at one price.

The auction price is chosen among the *candidate prices*, the limit prices in the book at which
something would match, by these rules in turn:

1. it maximises the matched volume;
2. then it minimises the imbalance (the unmatched volume left on the heavier side);
3. then it is nearest the reference price, the last trade (the lower price on a tie); without a
   last trade, it is the candidate nearest the middle of the still tied range (again the lower
   one on a tie).

Market orders count at every candidate price and have priority over every limit order; the
whole quantity of an iceberg takes part. The uncross executes the matched volume at that price
in price-time priority; whatever market orders it does not fill is cancelled.
"""

from __future__ import annotations

from typing import NamedTuple

from marketsim.core.book import BookState, Level, RestingOrder
from marketsim.core.events import (
    AUCTION,
    CONTINUOUS,
    REASON_MARKET_REMAINDER,
    AuctionUncrossed,
    Event,
    OrderCancelled,
    PhaseChanged,
    Trade,
)
from marketsim.core.mechanics import EngineState
from marketsim.errors import InvalidCommandError


class Indication(NamedTuple):
    """Where the auction would uncross now, in ticks and lots."""

    price_ticks: int
    matched_lots: int
    imbalance_lots: int
    imbalance_side: str | None  # "buy", "sell" or None when balanced


def _open_lots(level: Level) -> int:
    return sum(order.qty_lots + order.hidden_lots for order in level.orders.values())


def indicate(
    book: BookState, market_orders: dict[int, RestingOrder], reference_ticks: int | None
) -> Indication | None:
    """The auction price and volumes by the rules of the module docstring; None if no cross."""
    market = {"buy": 0, "sell": 0}
    for order in market_orders.values():
        market[order.side] += order.qty_lots
    bid_open = {price: _open_lots(level) for price, level in book.bids.levels.items()}
    ask_open = {price: _open_lots(level) for price, level in book.asks.levels.items()}
    prices = sorted(bid_open.keys() | ask_open.keys())
    # Demand at p: buys willing to pay p or more; supply at p: sells content with p or less.
    demand = {}
    running = market["buy"]
    for price in reversed(prices):
        running += bid_open.get(price, 0)
        demand[price] = running
    candidates = []
    running = market["sell"]
    for price in prices:
        running += ask_open.get(price, 0)
        matched = min(demand[price], running)
        if matched:
            candidates.append((price, matched, demand[price] - running))
    if not candidates:
        return None
    most = max(matched for _, matched, _ in candidates)
    candidates = [c for c in candidates if c[1] == most]
    least = min(abs(surplus) for _, _, surplus in candidates)
    candidates = [c for c in candidates if abs(c[2]) == least]
    if reference_ticks is not None:
        target2 = 2 * reference_ticks
    else:
        target2 = candidates[0][0] + candidates[-1][0]  # twice the middle of the tied range
    price, matched, surplus = min(candidates, key=lambda c: (abs(2 * c[0] - target2), c[0]))
    side = "buy" if surplus > 0 else "sell" if surplus < 0 else None
    return Indication(price, matched, abs(surplus), side)


def priority_queue(
    book: BookState, market_orders: dict[int, RestingOrder], side: str, price_ticks: int
) -> list[RestingOrder]:
    """The ``side`` orders eligible at ``price_ticks``, in price-time priority (markets first)."""
    queue = [order for order in market_orders.values() if order.side == side]
    half = book.bids if side == "buy" else book.asks
    for level in half.iter_levels():
        if (
            (level.price_ticks < price_ticks)
            if side == "buy"
            else (level.price_ticks > price_ticks)
        ):
            break
        queue.extend(level.orders.values())
    return queue


class CallAuction(EngineState):
    """Mixin of ``MatchingEngine``: trading phases and the uncross."""

    __slots__ = ()

    def indicative(self) -> Indication | None:
        """Where an uncross would trade now; None outside an auction or without a cross."""
        if self.phase != AUCTION:
            return None
        return indicate(self.book, self.auction_orders, self.last_trade_ticks)

    def set_phase(self, cmd, ts: int) -> list[Event]:  # cmd: SetPhase
        """Change the trading phase; entering continuous trading uncrosses a crossed book first
        and lets in the stops the auction price reached."""
        if cmd.phase == self.phase:
            raise InvalidCommandError(f"the book is already in the {cmd.phase} phase")
        events: list[Event] = []
        if cmd.phase == CONTINUOUS and self._needs_uncross():
            events = self._uncross(ts)
        self.seq += 1
        batch: list[Event] = [PhaseChanged(self.seq, ts, cmd.phase, self.phase)]  # type: ignore[arg-type]
        self.phase = cmd.phase
        if cmd.phase == CONTINUOUS and self.stops.orders and self.last_trade_ticks is not None:
            touched: dict[Level, None] = {}
            self.trigger_stops(batch, touched, ts, self.last_trade_ticks)
            if touched:
                self._emit_deltas(batch, touched, ts)
        return events + batch

    def uncross(self, ts: int) -> list[Event]:
        """Execute the auction now; the book stays in its phase (auction, or a halt that an
        auction is about to end). Continuous trading has nothing to uncross."""
        if self.phase == CONTINUOUS:
            raise InvalidCommandError("uncross needs the auction phase; trading is continuous")
        return self._uncross(ts)

    def _needs_uncross(self) -> bool:
        best_bid, best_ask = self.book.bids.best_level(), self.book.asks.best_level()
        crossed = best_bid and best_ask and best_bid.price_ticks >= best_ask.price_ticks
        return bool(crossed or self.auction_orders)

    def _uncross(self, ts: int) -> list[Event]:
        indication = indicate(self.book, self.auction_orders, self.last_trade_ticks)
        self.seq += 1
        events: list[Event] = [
            AuctionUncrossed(
                self.seq,
                ts,
                None if indication is None else indication.price_ticks,
                0 if indication is None else indication.matched_lots,
            )
        ]
        touched: dict[Level, None] = {}
        if indication is not None:
            self._execute(events, touched, indication.price_ticks, indication.matched_lots, ts)
            self.last_trade_ticks = indication.price_ticks
        for order in list(self.auction_orders.values()):
            self.seq += 1
            events.append(
                OrderCancelled(
                    self.seq,
                    ts,
                    order.order_id,
                    order.owner,
                    order.side,
                    None,
                    order.qty_lots,
                    REASON_MARKET_REMAINDER,
                )
            )
        self.auction_orders.clear()
        if touched:
            self._emit_deltas(events, touched, ts)
        return events

    def _execute(
        self, events: list[Event], touched: dict[Level, None], price: int, lots: int, ts: int
    ) -> None:
        """Pair buyers and sellers in priority order for ``lots`` at ``price``.

        In each pair the order that arrived first (the lower id) is the maker.
        """
        buys = iter(priority_queue(self.book, self.auction_orders, "buy", price))
        sells = iter(priority_queue(self.book, self.auction_orders, "sell", price))
        buy, sell = next(buys), next(sells)
        next_trade_id = self._next_trade_id
        while lots:
            fill = min(lots, buy.qty_lots + buy.hidden_lots, sell.qty_lots + sell.hidden_lots)
            maker, taker = (buy, sell) if buy.order_id < sell.order_id else (sell, buy)
            self.seq += 1
            events.append(
                Trade(
                    self.seq,
                    ts,
                    next_trade_id(),
                    price,
                    fill,
                    taker.side,  # type: ignore[arg-type]
                    maker.order_id,
                    taker.order_id,
                    maker.owner,
                    taker.owner,
                )
            )
            lots -= fill
            if not self._fill(events, touched, buy, fill, ts) and lots:
                buy = next(buys)
            if not self._fill(events, touched, sell, fill, ts) and lots:
                sell = next(sells)

    def _fill(
        self,
        events: list[Event],
        touched: dict[Level, None],
        order: RestingOrder,
        lots: int,
        ts: int,
    ) -> int:
        """Execute ``lots`` of ``order`` in the uncross; return what it still has open."""
        order.filled_lots += lots
        if order.order_id in self.auction_orders:
            order.qty_lots -= lots
            if not order.qty_lots:
                del self.auction_orders[order.order_id]
            return order.qty_lots
        half = self.book.bids if order.side == "buy" else self.book.asks
        level = half.levels[order.price_ticks]
        touched[level] = None
        from_shown = min(lots, order.qty_lots)
        order.qty_lots -= from_shown
        level.qty_lots -= from_shown
        if lots > from_shown:
            order.hidden_lots -= lots - from_shown
        if order.qty_lots:
            return order.qty_lots + order.hidden_lots
        if order.hidden_lots:
            self.seq = self._refill(events, order, level, self.seq, ts)
            return order.qty_lots + order.hidden_lots
        del level.orders[order.order_id]
        del self.book.orders[order.order_id]
        if not level.orders:
            half.remove_level(order.price_ticks)
        return 0
