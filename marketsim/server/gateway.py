"""The order gateway's checks before a command reaches a book: rate limits and risk limits.

Both depend only on the participant, the ledger and the book, and change nothing when they
refuse. A rate-limited command is an error (RESOURCE_EXHAUSTED, with when to retry); a risk
breach is a market outcome, a rejected order with reason ``risk_<limit>``.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from marketsim.core import OrderBook
from marketsim.core.commands import Command, ReplaceOrder, SubmitOrder
from marketsim.core.ledger import Ledger
from marketsim.core.risk import LotLimits, RiskLimits
from marketsim.errors import RateLimitError
from marketsim.server.errors import RATE_LIMIT_PREFIX
from marketsim.server.participants import Participant, RateLimit


class TokenBucket:
    """``rate.burst`` tokens, refilled at ``rate.commands_per_second``; a command takes one."""

    __slots__ = ("_clock", "_rate", "_stamp", "_tokens")

    def __init__(self, rate: RateLimit, clock: Callable[[], float]) -> None:
        self._rate = rate
        self._clock = clock
        self._tokens = float(rate.burst)
        self._stamp = clock()

    def take(self) -> float:
        """Take a token; return 0.0, or the seconds to wait if there is none (none taken)."""
        now = self._clock()
        rate = self._rate
        self._tokens = min(
            rate.burst, self._tokens + (now - self._stamp) * rate.commands_per_second
        )
        self._stamp = now
        if self._tokens >= 1:
            self._tokens -= 1
            return 0.0
        return (1 - self._tokens) / rate.commands_per_second


class Gateway:
    """Per-participant rate and risk checks (a participant without limits passes for free)."""

    def __init__(self, ledger: Ledger, clock: Callable[[], float] = time.monotonic) -> None:
        self.ledger = ledger
        self._clock = clock
        self._buckets: dict[str, TokenBucket] = {}
        self._lot_limits: dict[tuple[RiskLimits, str], LotLimits] = {}

    def admit(self, participant: Participant) -> None:
        """Count one command against ``participant``'s rate limit; ``RateLimitError`` if over."""
        if participant.rate is None:
            return
        bucket = self._buckets.get(participant.name)
        if bucket is None:
            bucket = self._buckets[participant.name] = TokenBucket(participant.rate, self._clock)
        wait = bucket.take()
        if wait:
            raise RateLimitError(
                f"{RATE_LIMIT_PREFIX} of {participant.rate.commands_per_second:g} commands/s "
                f"(bursts of {participant.rate.burst}) reached; retry in {wait:.3f} s",
                wait,
            )

    def risk_reason(
        self, participant: Participant, book: OrderBook, command: Command
    ) -> str | None:
        """Why ``command`` breaches ``participant``'s risk limits, or None."""
        limits = participant.limits
        if limits == _NO_LIMITS:
            return None
        key = (limits, book.symbol)
        lot_limits = self._lot_limits.get(key)
        if lot_limits is None:
            lot_limits = self._lot_limits[key] = limits.in_lots(book.instrument)
        position = self.ledger.position(participant.name, book.symbol)
        if type(command) is SubmitOrder:
            best = book.best_ask_ticks if command.side == "buy" else book.best_bid_ticks
            return lot_limits.check_submit(command, position, best)
        if type(command) is ReplaceOrder:
            order = book.engine.book.orders.get(command.order_id)
            if order is None or order.owner != participant.name:
                return None  # the engine refuses it with the right error
            return lot_limits.check_replace(
                command, position, order.side, order.price_ticks, order.qty_lots
            )
        return None


_NO_LIMITS = RiskLimits()
