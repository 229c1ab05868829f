"""The order gateway's checks before a command reaches a book: rate limits and risk limits.

Both depend only on the participant, the ledger and the book, and change nothing when they
refuse. A rate-limited command is an error (RESOURCE_EXHAUSTED, with when to retry); a risk
breach is a market outcome, a rejected order with reason ``risk_<limit>``.
"""

from __future__ import annotations

from marketsim.core import Instrument, OrderBook
from marketsim.core.commands import Command, ReplaceOrder, SubmitOrder
from marketsim.core.ledger import Ledger
from marketsim.core.risk import LotLimits, RiskLimits
from marketsim.errors import RateLimitError
from marketsim.server.errors import RATE_LIMIT_PREFIX
from marketsim.server.participants import Participant, RateLimit


class TokenBucket:
    """``rate.burst`` tokens, refilled at ``rate.commands_per_second``; a command takes one.

    Time is integer nanoseconds from the caller: the service passes the clock reading it
    stamps the command with, so the check costs no clock read of its own.
    """

    __slots__ = ("_burst", "_per_ns", "_stamp", "_tokens")

    def __init__(self, rate: RateLimit, now_ns: int) -> None:
        self._burst = float(rate.burst)
        self._per_ns = rate.commands_per_second / 1e9
        self._tokens = self._burst
        self._stamp = now_ns

    def take(self, now_ns: int) -> float:
        """Take a token; return 0.0, or the seconds to wait if there is none (none taken)."""
        tokens = self._tokens + (now_ns - self._stamp) * self._per_ns
        if tokens > self._burst:
            tokens = self._burst
        self._stamp = now_ns
        if tokens >= 1:
            self._tokens = tokens - 1
            return 0.0
        self._tokens = tokens
        return (1 - tokens) / self._per_ns / 1e9


class Gateway:
    """Per-participant rate and risk checks (a participant without limits passes for free)."""

    def __init__(self, ledger: Ledger) -> None:
        self.ledger = ledger
        self._buckets: dict[str, TokenBucket] = {}
        # Per (participant, symbol): its limits on the symbol's grid, None without limits.
        self._lot_limits: dict[tuple[str, str], LotLimits | None] = {}

    def admit(self, participant: Participant, now_ns: int) -> None:
        """Count one command at ``now_ns`` against ``participant``'s rate limit;
        ``RateLimitError`` if it is over."""
        if participant.rate is None:
            return
        bucket = self._buckets.get(participant.name)
        if bucket is None:
            bucket = self._buckets[participant.name] = TokenBucket(participant.rate, now_ns)
        wait = bucket.take(now_ns)
        if wait:
            raise RateLimitError(
                f"{RATE_LIMIT_PREFIX} of {participant.rate.commands_per_second:g} commands/s "
                f"(bursts of {participant.rate.burst}) reached; retry in {wait:.3f} s",
                wait,
            )

    def set_limits(self, name: str, instrument: Instrument, limits: RiskLimits) -> None:
        """Check ``name``'s orders in ``instrument`` against ``limits`` from now on, instead of
        the limits of the participants file (a trading case sets its own)."""
        self._lot_limits[name, instrument.symbol] = limits.in_lots(instrument)

    def risk_reason(
        self, participant: Participant, book: OrderBook, command: Command
    ) -> str | None:
        """Why ``command`` breaches ``participant``'s risk limits, or None."""
        key = (participant.name, book.symbol)
        try:
            lot_limits = self._lot_limits[key]
        except KeyError:
            limits = participant.limits
            lot_limits = self._lot_limits[key] = (
                None if limits == _NO_LIMITS else limits.in_lots(book.instrument)
            )
        if lot_limits is None:
            return None
        position = self.ledger.position(participant.name, book.symbol)
        if type(command) is SubmitOrder:
            best = None  # a market order's value: at the best opposite price
            if command.price_ticks is None:
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
