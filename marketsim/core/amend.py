"""Cancels and replaces of orders the mechanics touch: pending stops, auction market orders,
icebergs, and any replace in an auction (which rests without matching) or a halt (refused).

A mixin of ``MatchingEngine``, whose ``replace`` this is for every order: replaces are not on
the hot path, so one general version serves plain orders too.
"""

from __future__ import annotations

from marketsim.core.book import Level, RestingOrder, crosses
from marketsim.core.commands import CancelOrder, ReplaceOrder
from marketsim.core.events import (
    CONTINUOUS,
    HALTED,
    REASON_POST_ONLY_WOULD_CROSS,
    REASON_USER,
    Event,
    OrderCancelled,
    OrderReplaced,
)
from marketsim.core.mechanics import EngineState, reduce_open_lots
from marketsim.core.stops import StopOrder, stop_reached
from marketsim.errors import InvalidCommandError, MarketHaltedError


class Amendments(EngineState):
    """Cancel and replace beyond the plain resting order (see the module docstring)."""

    __slots__ = ()

    # -- cancel and replace ------------------------------------------------------------------

    def cancel_pending(self, cmd: CancelOrder, ts: int) -> list[Event]:
        """Cancel a pending stop or a market order waiting for the auction (no level moves)."""
        order = self._live_order(cmd.order_id, cmd.owner)
        if isinstance(order, StopOrder):
            self.stops.remove(order.order_id)
        else:
            del self.auction_orders[order.order_id]
        self.seq += 1
        return [
            OrderCancelled(
                self.seq,
                ts,
                order.order_id,
                order.owner,
                order.side,
                order.price_ticks,
                order.qty_lots,
                REASON_USER,
            )
        ]

    def replace(self, cmd: ReplaceOrder, ts: int) -> list[Event]:
        """Change a live order's open quantity and/or price (see ``ReplaceOrder``)."""
        order = self._live_order(cmd.order_id, cmd.owner)
        if self.phase == HALTED:
            raise MarketHaltedError(f"order {cmd.order_id} cannot be replaced: trading is halted")
        if isinstance(order, StopOrder):
            return self._replace_stop(order, cmd, ts)
        if cmd.stop_price_ticks is not None:
            raise InvalidCommandError(f"order {order.order_id} is not a pending stop order")
        if order.order_id in self.auction_orders:
            raise InvalidCommandError(f"market order {order.order_id} has no price to replace")
        old_price, old_open = order.price_ticks, order.qty_lots + order.hidden_lots
        new_price = old_price if cmd.price_ticks is None else cmd.price_ticks
        new_open = old_open if cmd.qty_lots is None else cmd.qty_lots
        keeps_priority = new_price == old_price and new_open <= old_open
        self.seq += 1
        events: list[Event] = [
            OrderReplaced(
                self.seq,
                ts,
                order.order_id,
                order.owner,
                order.side,
                old_price,
                old_open,
                new_price,
                new_open,
                keeps_priority,
            )
        ]
        half = self.book.bids if order.side == "buy" else self.book.asks
        level = half.levels[old_price]
        touched: dict[Level, None] = {level: None}
        if keeps_priority:
            reduce_open_lots(order, level, old_open - new_open)
        elif new_price == old_price:
            level.qty_lots -= order.qty_lots
            order.set_open_lots(new_open)
            level.qty_lots += order.qty_lots
            level.orders.move_to_end(order.order_id)
        else:
            self._move(events, touched, order, new_price, new_open, ts)
        if self.stop_orders and self.phase is CONTINUOUS:
            self.trigger_stops(events, touched, ts)
        self._emit_deltas(events, touched, ts)
        return events

    def _move(
        self,
        events: list[Event],
        touched: dict[Level, None],
        order: RestingOrder,
        new_price: int,
        new_open: int,
        ts: int,
    ) -> None:
        """Move a resting order to a new price, trading first if it crosses (not in an auction)."""
        self._unrest(order)
        order.price_ticks = new_price
        opposite = self.book.asks if order.side == "buy" else self.book.bids
        best = opposite.best_level()
        leaves = new_open
        if (
            self.phase == CONTINUOUS
            and best is not None
            and crosses(order.side, new_price, best.price_ticks)
        ):
            if order.post_only:
                # The order already left its old level; a post-only order may not take.
                self.seq += 1
                events.append(
                    OrderCancelled(
                        self.seq,
                        ts,
                        order.order_id,
                        order.owner,
                        order.side,
                        new_price,
                        new_open,
                        REASON_POST_ONLY_WOULD_CROSS,
                    )
                )
                return
            leaves = self._match(
                events,
                touched,
                opposite,
                order.side,
                new_price,
                new_open,
                order.order_id,
                order.owner,
                ts,
            )
            order.filled_lots += new_open - leaves
        if leaves:
            order.set_open_lots(leaves)
            touched[self._rest(order)] = None

    def _replace_stop(self, stop: StopOrder, cmd: ReplaceOrder, ts: int) -> list[Event]:
        """Change a pending stop's stop price, limit price and/or quantity."""
        new_stop = stop.stop_price_ticks if cmd.stop_price_ticks is None else cmd.stop_price_ticks
        new_price = stop.price_ticks if cmd.price_ticks is None else cmd.price_ticks
        new_qty = stop.qty_lots if cmd.qty_lots is None else cmd.qty_lots
        if stop_reached(stop.side, new_stop, self.last_trade_ticks):
            raise InvalidCommandError(
                f"stop price ticks {new_stop} is already reached by the last trade at "
                f"{self.last_trade_ticks}"
            )
        keeps_priority = (
            new_stop == stop.stop_price_ticks
            and new_price == stop.price_ticks
            and new_qty <= stop.qty_lots
        )
        self.seq += 1
        event = OrderReplaced(
            self.seq,
            ts,
            stop.order_id,
            stop.owner,
            stop.side,  # type: ignore[arg-type]
            stop.price_ticks,
            stop.qty_lots,
            new_price,
            new_qty,
            keeps_priority,
            stop.stop_price_ticks,
            new_stop,
        )
        if not keeps_priority:
            self.stops.remove(stop.order_id)
        stop.stop_price_ticks, stop.price_ticks, stop.qty_lots = new_stop, new_price, new_qty
        if not keeps_priority:
            self.stops.add(stop)
        return [event]
