"""Book state: resting orders, FIFO price levels, and the two sides of the book.

This module holds state and answers questions about it; it does not decide who trades with
whom (that is ``matching``). Each level keeps its orders in an ``OrderedDict`` keyed by order
id: insertion order is time priority, and removing any order (a cancel) is O(1).
"""

from __future__ import annotations

from bisect import bisect_left, insort
from collections import OrderedDict
from collections.abc import Iterator

from marketsim.core.types import ASK, BID, BookSide, Side


class RestingOrder:
    """A live order in the book.

    ``qty_lots`` is its open (leaves) quantity as the book shows it and ``filled_lots`` what it
    has executed so far. Its whole open quantity is ``qty_lots + hidden_lots``: only an
    ``IcebergOrder`` hides any (a plain order reads the class defaults below, which keeps it as
    small and quick to build as before icebergs existed).
    """

    __slots__ = ("filled_lots", "order_id", "owner", "post_only", "price_ticks", "qty_lots", "side")

    display_lots = 0
    hidden_lots = 0

    def __init__(
        self,
        order_id: int,
        owner: str,
        side: Side,
        price_ticks: int,
        qty_lots: int,
        filled_lots: int,
        post_only: bool,
    ) -> None:
        self.order_id = order_id
        self.owner = owner
        self.side = side
        self.price_ticks = price_ticks
        self.qty_lots = qty_lots
        self.filled_lots = filled_lots
        self.post_only = post_only

    def set_open_lots(self, open_lots: int) -> None:
        """Set a new whole open quantity (an iceberg shows up to its display size of it)."""
        self.qty_lots = open_lots

    def __reduce__(self) -> tuple:
        # Pickled by its constructor's arguments: several times faster than the generic
        # handling of __slots__, which matters for snapshots of books with many orders.
        return (
            RestingOrder,
            (
                self.order_id,
                self.owner,
                self.side,
                self.price_ticks,
                self.qty_lots,
                self.filled_lots,
                self.post_only,
            ),
        )

    def __repr__(self) -> str:
        hidden = f", hidden_lots={self.hidden_lots}" if self.display_lots else ""
        return (
            f"{type(self).__name__}(order_id={self.order_id}, owner={self.owner!r}, "
            f"side={self.side!r}, price_ticks={self.price_ticks}, qty_lots={self.qty_lots}"
            f"{hidden}, filled_lots={self.filled_lots})"
        )


class IcebergOrder(RestingOrder):
    """A resting order that shows at most ``display_lots`` (``qty_lots``) and hides the rest."""

    __slots__ = ("display_lots", "hidden_lots")

    def __init__(
        self,
        order_id: int,
        owner: str,
        side: Side,
        price_ticks: int,
        open_lots: int,
        filled_lots: int,
        post_only: bool,
        display_lots: int,
    ) -> None:
        super().__init__(order_id, owner, side, price_ticks, 0, filled_lots, post_only)
        self.display_lots = display_lots
        self.set_open_lots(open_lots)

    def set_open_lots(self, open_lots: int) -> None:
        """Show up to the display size of ``open_lots`` and hide the rest."""
        shown = min(self.display_lots, open_lots)
        self.qty_lots, self.hidden_lots = shown, open_lots - shown

    def __reduce__(self) -> tuple:
        # The shown part may be below the display size (partly filled), so both are kept.
        return (
            _restored_iceberg,
            (
                self.order_id,
                self.owner,
                self.side,
                self.price_ticks,
                self.qty_lots,
                self.hidden_lots,
                self.filled_lots,
                self.post_only,
                self.display_lots,
            ),
        )


def _restored_iceberg(
    order_id: int,
    owner: str,
    side: Side,
    price_ticks: int,
    shown_lots: int,
    hidden_lots: int,
    filled_lots: int,
    post_only: bool,
    display_lots: int,
) -> IcebergOrder:
    """An unpickled ``IcebergOrder`` with exactly its shown and hidden quantities."""
    order = IcebergOrder(
        order_id,
        owner,
        side,
        price_ticks,
        shown_lots + hidden_lots,
        filled_lots,
        post_only,
        display_lots,
    )
    order.qty_lots, order.hidden_lots = shown_lots, hidden_lots
    return order


def new_resting_order(
    order_id: int,
    owner: str,
    side: Side,
    price_ticks: int,
    open_lots: int,
    filled_lots: int,
    post_only: bool,
    display_lots: int,
) -> RestingOrder:
    """A ``RestingOrder``, or an ``IcebergOrder`` when ``display_lots`` is set."""
    if display_lots:
        return IcebergOrder(
            order_id, owner, side, price_ticks, open_lots, filled_lots, post_only, display_lots
        )
    return RestingOrder(order_id, owner, side, price_ticks, open_lots, filled_lots, post_only)


class Level:
    """All resting orders at one price on one side, in time priority, with their total."""

    __slots__ = ("is_new", "orders", "price_ticks", "qty_lots", "side")

    def __init__(self, side: BookSide, price_ticks: int) -> None:
        self.side = side
        self.price_ticks = price_ticks
        self.orders: OrderedDict[int, RestingOrder] = OrderedDict()
        self.qty_lots = 0
        # True from creation until the engine has published the level's first delta.
        self.is_new = True

    def __repr__(self) -> str:
        return (
            f"Level({self.side!r}, price_ticks={self.price_ticks}, qty_lots={self.qty_lots}, "
            f"orders={len(self.orders)})"
        )


class BookHalf:
    """One side of the book: levels by price, plus the prices kept sorted best-last.

    ``keys`` holds the sort key of each level (the price for bids, minus the price for asks) in
    ascending order, so the best level is always ``keys[-1]`` and removing it is a cheap pop.
    """

    __slots__ = ("keys", "levels", "side", "sign")

    def __init__(self, side: BookSide) -> None:
        self.side = side
        self.sign = 1 if side == BID else -1
        self.levels: dict[int, Level] = {}
        self.keys: list[int] = []

    def best_level(self) -> Level | None:
        """The best level, or None when this side is empty."""
        keys = self.keys
        return self.levels[self.sign * keys[-1]] if keys else None

    def level_for(self, price_ticks: int) -> Level:
        """The level at ``price_ticks``, created (empty) if there is none yet."""
        level = self.levels.get(price_ticks)
        if level is None:
            level = self.levels[price_ticks] = Level(self.side, price_ticks)
            insort(self.keys, self.sign * price_ticks)
        return level

    def remove_level(self, price_ticks: int) -> None:
        """Drop an empty level."""
        del self.levels[price_ticks]
        keys = self.keys
        key = self.sign * price_ticks
        if keys[-1] == key:
            keys.pop()
        else:
            del keys[bisect_left(keys, key)]

    def iter_levels(self) -> Iterator[Level]:
        """Levels from best to worst."""
        levels, sign = self.levels, self.sign
        for key in reversed(self.keys):
            yield levels[sign * key]

    def __len__(self) -> int:
        return len(self.levels)


class BookState:
    """Both sides of one instrument's book plus an index of live orders by id."""

    __slots__ = ("asks", "bids", "orders")

    def __init__(self) -> None:
        self.bids = BookHalf(BID)
        self.asks = BookHalf(ASK)
        self.orders: dict[int, RestingOrder] = {}

    def half(self, side: BookSide) -> BookHalf:
        """The bid or ask half."""
        return self.bids if side == BID else self.asks

    def check_integrity(self, allow_cross: bool = False) -> None:
        """Raise ``AssertionError`` if any structural invariant of the book is broken.

        Checked: the book is not crossed (unless ``allow_cross``: a call auction collects
        crossing orders); an iceberg with hidden lots shows a slice of at most its display size;
        keys are sorted, unique and match the levels; no level
        is empty; each level's total equals the sum of its orders; every order sits on the right
        side and price with a positive quantity; the id index holds exactly the resting orders.
        """
        seen: dict[int, RestingOrder] = {}
        for half in (self.bids, self.asks):
            keys = half.keys
            if keys != sorted(set(keys)):
                raise AssertionError(f"{half.side} keys not sorted and unique: {keys}")
            if sorted(half.sign * k for k in keys) != sorted(half.levels):
                raise AssertionError(f"{half.side} keys do not match levels")
            book_side_of_order = "buy" if half.side == BID else "sell"
            for price, level in half.levels.items():
                if level.price_ticks != price or level.side != half.side:
                    raise AssertionError(f"level filed under the wrong key: {level!r}")
                if not level.orders:
                    raise AssertionError(f"empty level left in the book: {level!r}")
                total = sum(order.qty_lots for order in level.orders.values())
                if total != level.qty_lots:
                    raise AssertionError(f"{level!r} total {level.qty_lots} != orders {total}")
                for order_id, order in level.orders.items():
                    if order_id in seen:
                        raise AssertionError(f"order id {order_id} rests twice")
                    if order.order_id != order_id or order.qty_lots <= 0:
                        raise AssertionError(f"bad order in {level!r}: {order!r}")
                    if order.side != book_side_of_order or order.price_ticks != price:
                        raise AssertionError(f"order in the wrong level: {order!r}")
                    if order.hidden_lots < 0 or (
                        order.hidden_lots and not 0 < order.qty_lots <= order.display_lots
                    ):
                        raise AssertionError(f"iceberg slice out of shape: {order!r}")
                    seen[order_id] = order
        if seen.keys() != self.orders.keys() or any(
            self.orders[i] is not order for i, order in seen.items()
        ):
            raise AssertionError("order index does not match the resting orders")
        best_bid, best_ask = self.bids.best_level(), self.asks.best_level()
        crossed = best_bid and best_ask and best_bid.price_ticks >= best_ask.price_ticks
        if crossed and not allow_cross:
            raise AssertionError(
                f"book crossed at rest: bid {best_bid.price_ticks} >= ask {best_ask.price_ticks}"  # type: ignore[union-attr]
            )


def crosses(side: str, price: int, opposite_price: int) -> bool:
    """Would a ``side`` order at ``price`` trade against a resting order at ``opposite_price``?"""
    return price >= opposite_price if side == "buy" else price <= opposite_price


def fillable_lots(opposite: BookHalf, side: str, limit: int | None, wanted: int) -> int:
    """Lots available to a ``side`` order up to ``limit``, counted until ``wanted`` is reached.

    Hidden iceberg size counts: it refills within the same command.
    """
    available = 0
    for level in opposite.iter_levels():
        if limit is not None and not crosses(side, limit, level.price_ticks):
            break
        available += level.qty_lots + sum(order.hidden_lots for order in level.orders.values())
        if available >= wanted:
            break
    return available
