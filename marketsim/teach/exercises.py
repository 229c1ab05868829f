"""The "predict, then run" exercises: small scenes on an in-process book, one question each.

An ``Exercise`` is a setup (commands that build a book), one more command to predict, and a
question about that command. Its answer is never written down here: ``Exercise.run`` plays
the scene on a fresh ``BookTimeline`` and measures the answer from what the engine did, so the
answer, and the explanation the checker shows, always follow the engine's rules.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from marketsim.core import StopTriggered
from marketsim.core.results import AuctionResult, OrderResult
from marketsim.teach.timeline import BookTimeline

#: How an answer is read and compared: a trader's name, a price, a quantity (or a queue
#: position), yes or no, or an order status ("new", "filled", "rejected", ...).
AnswerKind = Literal["owner", "price", "qty", "yes/no", "status"]
Result = OrderResult | AuctionResult


@dataclass(frozen=True)
class Command:
    """One command of a scene: a ``BookTimeline`` method and its arguments."""

    method: str
    args: tuple[Any, ...] = ()
    kwargs: dict[str, Any] = field(default_factory=dict)

    def apply(self, timeline: BookTimeline) -> Result:
        """Run the command on ``timeline`` and return the engine's result."""
        return getattr(timeline, self.method)(*self.args, **self.kwargs)


def submit(owner: str, side: str, qty: int, price: float | None = None, **options) -> Command:
    """A submit by ``owner`` (a market order when ``price`` is None)."""
    return Command("submit", (side, qty, price), {"owner": owner, **options})


def replace(order_id: int, **changes) -> Command:
    """A replace of order ``order_id`` (``qty=`` and/or ``price=``)."""
    return Command("replace", (order_id,), changes)


def phase(name: str) -> Command:
    """A change of trading phase."""
    return Command("set_phase", (name,))


UNCROSS = Command("uncross")


@dataclass(frozen=True)
class Exercise:
    """A scene to read, a command to predict, and how to measure the answer from its result."""

    key: str
    rule: str
    setup: tuple[Command, ...]
    act: Command
    question: str
    kind: AnswerKind
    measure: Callable[[Result], Any]

    def run(self) -> tuple[BookTimeline, Result]:
        """Play the scene on a fresh book: the timeline afterwards and the act's result."""
        timeline = BookTimeline()
        for command in self.setup:
            command.apply(timeline)
        return timeline, self.act.apply(timeline)


def first_maker(result: Result) -> str:
    """The owner of the resting order the first trade hit."""
    return result.trades[0].maker_owner


def first_price(result: Result) -> float:
    """The price of the first trade."""
    return result.trades[0].price


def last_price(result: Result) -> float:
    """The price of the last trade."""
    return result.trades[-1].price


def leaves(result: Result) -> int | float:
    """What of the order is still open (resting) after the command."""
    return result.leaves_qty  # type: ignore[union-attr]


def traded(result: Result) -> int | float:
    """The quantity the command traded in all."""
    return sum(fill.qty for fill in result.trades)


def filled_completely(result: Result) -> bool:
    """Whether the order filled completely."""
    return result.status == "filled"  # type: ignore[union-attr]


def status(result: Result) -> str:
    """The order's status after the command."""
    return result.status  # type: ignore[union-attr]


def queue_position(result: Result) -> int:
    """The order's 1-based place in its level's queue after the command."""
    return result.queue_spot.position  # type: ignore[union-attr]


def stop_triggered(result: Result) -> bool:
    """Whether the command set off a stop order."""
    return any(isinstance(event, StopTriggered) for event in result.events)


def bob_sold(result: Result) -> int | float:
    """What bob's resting orders sold in the command."""
    return sum(fill.qty for fill in result.trades if fill.maker_owner == "bob")


def auction_price(result: Result) -> float | None:
    """The single price of the auction (None when nothing matched)."""
    return result.price  # type: ignore[union-attr]


_THREE_BIDS = (
    submit("alice", "buy", 5, 99.99),
    submit("bob", "buy", 5, 99.99),
    submit("carol", "buy", 5, 99.99),
)
_AUCTION_ORDERS = (
    phase("auction"),
    submit("alice", "buy", 5, 100.03),
    submit("bob", "buy", 3, 100.01),
    submit("carol", "sell", 4, 99.99),
    submit("dave", "sell", 4, 100.02),
)

EXERCISES: tuple[Exercise, ...] = (
    Exercise(
        "price-priority",
        "price priority: the best price trades first",
        (submit("alice", "buy", 5, 99.98), submit("bob", "buy", 5, 99.99)),
        submit("carol", "sell", 3),
        "Whose order fills first?",
        "owner",
        first_maker,
    ),
    Exercise(
        "time-priority",
        "time priority: at one price, first come, first served",
        (submit("alice", "buy", 4, 99.99), submit("bob", "buy", 4, 99.99)),
        submit("carol", "sell", 4, 99.99),
        "Whose order fills?",
        "owner",
        first_maker,
    ),
    Exercise(
        "trade-price",
        "a trade happens at the resting order's price",
        (submit("alice", "sell", 5, 100.02),),
        submit("bob", "buy", 5, 100.05),
        "At what price do they trade?",
        "price",
        first_price,
    ),
    Exercise(
        "walk-the-book",
        "a large order walks the book, level by level",
        (
            submit("alice", "sell", 3, 100.01),
            submit("bob", "sell", 4, 100.02),
            submit("carol", "sell", 5, 100.03),
        ),
        submit("dave", "buy", 9),
        "At what price does the last share trade?",
        "price",
        last_price,
    ),
    Exercise(
        "remainder-rests",
        "the unfilled rest of a GTC limit order rests in the book",
        (submit("alice", "sell", 3, 100.01),),
        submit("bob", "buy", 5, 100.01),
        "How much of bob's order rests in the book?",
        "qty",
        leaves,
    ),
    Exercise(
        "ioc",
        "immediate-or-cancel: trade what you can now, cancel the rest",
        (submit("alice", "sell", 3, 100.01),),
        submit("bob", "buy", 5, 100.01, tif="IOC"),
        "How much of bob's order rests in the book?",
        "qty",
        leaves,
    ),
    Exercise(
        "fok",
        "fill-or-kill: all of it at once, or nothing",
        (submit("alice", "sell", 3, 100.01), submit("bob", "sell", 3, 100.02)),
        submit("carol", "buy", 8, 100.02, tif="FOK"),
        "Does carol's order fill?",
        "yes/no",
        filled_completely,
    ),
    Exercise(
        "replace-smaller",
        "a smaller quantity keeps its place in the queue",
        _THREE_BIDS,
        replace(2, qty=2),
        "Bob (order 2) lowers his quantity to 2. What is his queue position now?",
        "qty",
        queue_position,
    ),
    Exercise(
        "replace-larger",
        "a larger quantity goes to the back of the queue",
        _THREE_BIDS,
        replace(1, qty=8),
        "Alice (order 1) raises her quantity to 8. What is her queue position now?",
        "qty",
        queue_position,
    ),
    Exercise(
        "replace-price",
        "a new price goes to the back of the new level's queue",
        (submit("alice", "buy", 5, 99.98), submit("bob", "buy", 5, 99.99)),
        replace(1, price=99.99),
        "Alice (order 1) moves her bid to 99.99. What is her queue position now?",
        "qty",
        queue_position,
    ),
    Exercise(
        "post-only",
        "a post-only order never takes liquidity",
        (submit("alice", "sell", 5, 100.01),),
        submit("bob", "buy", 5, 100.01, post_only=True),
        "What becomes of bob's order: new, filled or rejected?",
        "status",
        status,
    ),
    Exercise(
        "market-empty-side",
        "a market order needs something on the other side",
        (submit("alice", "buy", 5, 99.99),),
        submit("bob", "buy", 3),
        "What becomes of bob's market order: new, filled or rejected?",
        "status",
        status,
    ),
    Exercise(
        "stop-trigger",
        "a stop waits, unseen, until a trade reaches its stop price",
        (
            submit("alice", "buy", 5, 99.97),
            submit("bob", "buy", 10, 99.95),
            submit("carol", "sell", 5, stop_price=99.96),
        ),
        submit("dave", "sell", 6, 99.95),
        "Does carol's stop order trigger?",
        "yes/no",
        stop_triggered,
    ),
    Exercise(
        "stop-already-reached",
        "a stop whose price the last trade already reached is refused",
        (submit("alice", "sell", 5, 100.01), submit("bob", "buy", 5, 100.01)),
        submit("carol", "buy", 3, stop_price=100.00),
        "What becomes of carol's buy stop at 100.00: new or rejected?",
        "status",
        status,
    ),
    Exercise(
        "iceberg",
        "an iceberg's new slice goes to the back of the queue",
        (
            submit("alice", "sell", 10, 100.01, display_qty=2),
            submit("bob", "sell", 3, 100.01),
        ),
        submit("carol", "buy", 4, 100.01),
        "How much does bob sell to carol?",
        "qty",
        bob_sold,
    ),
    Exercise(
        "self-trade",
        "self-trade prevention stops an owner trading with itself",
        (submit("alice", "buy", 5, 99.99),),
        submit("alice", "sell", 3, 99.99, stp="cancel_newest"),
        "How much trades?",
        "qty",
        traded,
    ),
    Exercise(
        "auction-price",
        "an auction uncrosses every match at one price",
        _AUCTION_ORDERS,
        UNCROSS,
        "At what single price does the auction trade?",
        "price",
        auction_price,
    ),
    Exercise(
        "halted",
        "a halted market refuses new orders",
        (submit("alice", "sell", 5, 100.01), phase("halted")),
        submit("bob", "buy", 5, 100.01),
        "What becomes of bob's order during the halt: new, filled or rejected?",
        "status",
        status,
    ),
)

BY_KEY = {exercise.key: exercise for exercise in EXERCISES}
