"""What an agent sees: a read-only ``MarketView`` of the book plus its own orders and position.

The runner gives each agent one view. In-process it is a ``BookMarketView`` reading the
engine's book directly; live (``drive``) it reads a client's ``LocalBook``. Either way the
agent's own live orders and position are kept by an ``AgentState`` that follows the events
of the agent's commands (and the fills of its resting orders), so agents never query the
exchange and never mutate the book: they return commands.

Prices are integer ticks and quantities integer lots, as in ``marketsim.core``.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Protocol, runtime_checkable

from marketsim.core.events import (
    BookDelta,
    Event,
    OrderAccepted,
    OrderCancelled,
    OrderReplaced,
    Trade,
)
from marketsim.core.ledger import Position
from marketsim.core.orderbook import OrderBook
from marketsim.core.types import BookSide, Instrument, Side
from marketsim.errors import InvalidCommandError

LevelTicks = tuple[int, int, int]


class OwnOrder:
    """One of the agent's live resting orders: id, side, price (ticks), open lots."""

    __slots__ = ("_index", "order_id", "price_ticks", "qty_lots", "side")

    def __init__(self, order_id: int, side: Side, price_ticks: int, qty_lots: int) -> None:
        self.order_id = order_id
        self.side = side
        self.price_ticks = price_ticks
        self.qty_lots = qty_lots
        self._index = 0

    def __repr__(self) -> str:
        return (
            f"OwnOrder(order_id={self.order_id}, side={self.side!r}, "
            f"price_ticks={self.price_ticks}, qty_lots={self.qty_lots})"
        )


class OwnOrders(Mapping[int, OwnOrder]):
    """An agent's live orders by id, oldest first.

    ``ids`` lists the same ids in no particular order and supports picking one uniformly at
    random in O(1) (``ids[int(u * len(ids))]``), which cancellation models need.
    """

    __slots__ = ("_by_id", "ids")

    def __init__(self) -> None:
        self._by_id: dict[int, OwnOrder] = {}
        self.ids: list[int] = []

    def __getitem__(self, order_id: int) -> OwnOrder:
        return self._by_id[order_id]

    def __contains__(self, order_id: object) -> bool:
        return order_id in self._by_id

    def __iter__(self) -> Iterator[int]:
        return iter(self._by_id)

    def __len__(self) -> int:
        return len(self.ids)

    def __repr__(self) -> str:
        return f"OwnOrders({list(self._by_id.values())!r})"

    def on_side(self, side: Side) -> list[OwnOrder]:
        """The live orders of one side ("buy" or "sell"), oldest first."""
        return [order for order in self._by_id.values() if order.side == side]

    # -- bookkeeping (runner only) -----------------------------------------------------------

    def add(self, order_id: int, side: Side, price_ticks: int, qty_lots: int) -> None:
        order = OwnOrder(order_id, side, price_ticks, qty_lots)
        ids = self.ids
        order._index = len(ids)
        ids.append(order_id)
        self._by_id[order_id] = order

    def discard(self, order_id: int) -> None:
        order = self._by_id.pop(order_id, None)
        if order is not None:
            ids = self.ids
            last = ids.pop()
            if last != order_id:
                index = order._index
                ids[index] = last
                self._by_id[last]._index = index

    def reduce(self, order_id: int, lots: int) -> None:
        order = self._by_id.get(order_id)
        if order is not None:
            order.qty_lots -= lots
            if order.qty_lots <= 0:
                self.discard(order_id)


class AgentState:
    """What the runner knows about one agent: live orders, account and counters.

    The account is the core ledger's ``Position`` (average-cost accounting, exact money), fed
    with the agent's fills: ``position`` is in lots (positive = long) and ``cash_ticks`` the
    money paid and received in ticks x lots (buying lowers it), so ``cash_ticks + position *
    price_ticks`` is the agent's profit marked at ``price_ticks``.
    """

    __slots__ = ("_early_fills", "account", "commands", "orders", "stale", "wakeups")

    def __init__(self) -> None:
        self.orders = OwnOrders()
        self.account = Position()
        self.commands = 0
        self.wakeups = 0
        #: Cancels and replaces of orders that were no longer live when they arrived.
        self.stale = 0
        self._early_fills: dict[int, int] = {}

    @property
    def position(self) -> int:
        """The agent's inventory in lots (positive = long)."""
        return self.account.lots

    @property
    def cash_ticks(self) -> int:
        """Money received minus money paid, in ticks x lots."""
        return self.account.cash  # type: ignore[return-value]  (no fees in simulations)

    @property
    def traded_lots(self) -> int:
        """Lots bought and sold."""
        return self.account.traded_lots

    def fill(self, order_id: int, bought: bool, price_ticks: int, qty_lots: int) -> None:
        """Book an execution of ``order_id`` (the agent bought when ``bought``)."""
        self.account.fill(bought, price_ticks, qty_lots, 0)
        self.orders.reduce(order_id, qty_lots)

    def fill_before_ack(self, order_id: int, bought: bool, price_ticks: int, qty: int) -> None:
        """Live only: a resting order filled before its own acknowledgement came back."""
        known = order_id in self.orders
        self.fill(order_id, bought, price_ticks, qty)
        if not known:
            self._early_fills[order_id] = self._early_fills.get(order_id, 0) + qty

    def rest(self, order_id: int, side: Side, price_ticks: int, qty_lots: int) -> None:
        """A new GTC limit order entered matching (its own trades follow and reduce it)."""
        if self._early_fills:
            qty_lots -= self._early_fills.pop(order_id, 0)
            if qty_lots <= 0:
                return
        self.orders.add(order_id, side, price_ticks, qty_lots)


class MarketState:
    """Facts about the market shared by all views: the last trade price (ticks)."""

    __slots__ = ("last_trade_ticks",)

    def __init__(self) -> None:
        self.last_trade_ticks: int | None = None


def route(events: list[Event], states: Mapping[str, AgentState], market: MarketState) -> None:
    """Update the agents' states (looked up by owner name) from one batch of events."""
    get = states.get
    for event in events:
        kind = type(event)
        if kind is BookDelta:
            continue
        if kind is OrderAccepted:
            if event.tif == "GTC" and event.price_ticks is not None:  # type: ignore[union-attr]
                state = get(event.owner)  # type: ignore[union-attr]
                if state is not None:
                    if state._early_fills:
                        state.rest(event.order_id, event.side, event.price_ticks, event.qty_lots)  # type: ignore[union-attr,arg-type]
                    else:  # the common case, without the call
                        state.orders.add(
                            event.order_id,  # type: ignore[union-attr]
                            event.side,  # type: ignore[union-attr]
                            event.price_ticks,  # type: ignore[union-attr,arg-type]
                            event.qty_lots,  # type: ignore[union-attr]
                        )
        elif kind is Trade:
            price, qty = event.price_ticks, event.qty_lots  # type: ignore[union-attr]
            market.last_trade_ticks = price
            buy_aggressor = event.aggressor_side == "buy"  # type: ignore[union-attr]
            state = get(event.taker_owner)  # type: ignore[union-attr]
            if state is not None:
                state.fill(event.taker_order_id, buy_aggressor, price, qty)  # type: ignore[union-attr]
            state = get(event.maker_owner)  # type: ignore[union-attr]
            if state is not None:
                state.fill(event.maker_order_id, not buy_aggressor, price, qty)  # type: ignore[union-attr]
        elif kind is OrderCancelled:
            state = get(event.owner)  # type: ignore[union-attr]
            if state is not None:
                state.orders.discard(event.order_id)  # type: ignore[union-attr]
        elif kind is OrderReplaced:
            state = get(event.owner)  # type: ignore[union-attr]
            if state is not None:
                order = state.orders.get(event.order_id)  # type: ignore[union-attr]
                if order is not None:
                    order.price_ticks = event.price_ticks  # type: ignore[union-attr]
                    order.qty_lots = event.qty_lots  # type: ignore[union-attr]


@runtime_checkable
class MarketView(Protocol):
    """The read-only market an agent sees when it acts (ticks and lots throughout).

    Attributes and properties:

    - ``instrument``: the ``Instrument`` traded (tick and lot sizes, unit conversions);
    - ``now``: the current simulated time in integer nanoseconds;
    - ``best_bid_ticks`` / ``best_ask_ticks``: best prices, or None when a side is empty;
    - ``mid_ticks``: ``(bid + ask) / 2`` as a float, ``spread_ticks``: ``ask - bid``
      (None unless both sides are present);
    - ``last_trade_ticks``: price of the most recent trade seen, or None;
    - ``level_ticks(side, depth)``: ``[(price_ticks, qty_lots, order_count), ...]`` of
      "bid" or "ask", best first;
    - ``orders``: the agent's own live orders (``OwnOrders``: a mapping id -> ``OwnOrder``);
    - ``position``: the agent's inventory in lots (positive = long); ``cash_ticks``.
    """

    instrument: Instrument
    now: int

    @property
    def best_bid_ticks(self) -> int | None: ...
    @property
    def best_ask_ticks(self) -> int | None: ...
    @property
    def mid_ticks(self) -> float | None: ...
    @property
    def spread_ticks(self) -> int | None: ...
    @property
    def last_trade_ticks(self) -> int | None: ...
    @property
    def orders(self) -> OwnOrders: ...
    @property
    def position(self) -> int: ...
    @property
    def cash_ticks(self) -> int: ...
    def level_ticks(self, side: BookSide, depth: int | None = None) -> list[LevelTicks]: ...


class _ViewBase:
    """Derived queries and the agent's own state, shared by the in-process and live views."""

    __slots__ = ("_market", "_state", "instrument", "now")

    instrument: Instrument
    now: int
    _state: AgentState
    _market: MarketState

    best_bid_ticks: int | None
    best_ask_ticks: int | None

    @property
    def mid_ticks(self) -> float | None:
        """Midpoint of the best quotes in ticks (may end in .5), or None."""
        bid, ask = self.best_bid_ticks, self.best_ask_ticks
        return None if bid is None or ask is None else (bid + ask) / 2

    @property
    def spread_ticks(self) -> int | None:
        """Best ask minus best bid in ticks, or None."""
        bid, ask = self.best_bid_ticks, self.best_ask_ticks
        return None if bid is None or ask is None else ask - bid

    @property
    def last_trade_ticks(self) -> int | None:
        """Price of the last trade seen, or None."""
        return self._market.last_trade_ticks

    @property
    def orders(self) -> OwnOrders:
        """The agent's live orders."""
        return self._state.orders

    @property
    def position(self) -> int:
        """The agent's inventory in lots (positive = long)."""
        return self._state.position

    @property
    def cash_ticks(self) -> int:
        """Money received minus money paid, in ticks x lots."""
        return self._state.cash_ticks

    def __repr__(self) -> str:
        return (
            f"<{type(self).__name__} {self.instrument.symbol} t={self.now} ns "
            f"bid={self.best_bid_ticks} ask={self.best_ask_ticks} "
            f"position={self.position} orders={len(self.orders)}>"
        )


class BookMarketView(_ViewBase):
    """A ``MarketView`` over an in-process ``OrderBook``: it asks the engine, which the
    compiled one answers from its C book without moving it into Python objects."""

    __slots__ = ("_engine",)

    def __init__(self, book: OrderBook, state: AgentState, market: MarketState) -> None:
        self.instrument = book.instrument
        self.now = 0
        self._state = state
        self._market = market
        self._engine = book.engine

    @property
    def best_bid_ticks(self) -> int | None:  # type: ignore[override]
        """Best bid in ticks, or None."""
        return self._engine.best_ticks("bid")

    @property
    def best_ask_ticks(self) -> int | None:  # type: ignore[override]
        """Best ask in ticks, or None."""
        return self._engine.best_ticks("ask")

    def level_ticks(self, side: BookSide, depth: int | None = None) -> list[LevelTicks]:
        """``[(price_ticks, qty_lots, order_count), ...]`` of one side, best first."""
        if side not in ("bid", "ask"):
            raise InvalidCommandError(f"side must be 'bid' or 'ask', got {side!r}")
        if depth is not None and depth <= 0:
            return []
        return self._engine.level_ticks(side, depth)
