"""Streams that reconnect by themselves: the ``Reconnect`` policy and the ``follow`` loop.

When a stream breaks (the server stopped, restarted, dropped the connection or ended the stream
of a subscriber that fell behind), ``follow`` waits a little, opens the stream again with
``from_seq`` set to the last seq the caller has seen, and goes on: the server sends what was
missed first, so the caller sees every event once. When the server no longer has those events
(OUT_OF_RANGE), ``follow`` subscribes afresh and lets the caller resynchronise from a snapshot.
Each reconnection is logged and reported to the policy's callback.

Only streams reconnect. Unary calls are never retried blindly: an order sent again could be
entered twice (use ``client_order_id`` to make a retry safe).
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any, NamedTuple

import grpc

from marketsim.errors import MarketUnavailableError
from marketsim.server.errors import exception_for

log = logging.getLogger("marketsim.client")

#: Status codes after which a stream is opened again: the server or the connection went away,
#: or the server ended the stream of a subscriber that fell behind (RESOURCE_EXHAUSTED).
RETRYABLE = frozenset(
    {
        grpc.StatusCode.UNAVAILABLE,
        grpc.StatusCode.RESOURCE_EXHAUSTED,
        grpc.StatusCode.CANCELLED,
        grpc.StatusCode.ABORTED,
        grpc.StatusCode.INTERNAL,
        grpc.StatusCode.UNKNOWN,
    }
)


class Reconnected(NamedTuple):
    """What ``Reconnect.on_reconnect`` is told after a stream is open again."""

    #: "book", "trades" or "events".
    stream: str
    #: The instrument, or None for a stream of all of them.
    symbol: str | None
    #: Attempts it took (1 when the first one succeeded).
    attempts: int
    #: The seq the stream resumed after (None for a fresh subscription).
    from_seq: int | None
    #: Why the stream had broken.
    reason: str
    #: True when events may have been missed: the server could not resume the stream, or it
    #: is a stream of all instruments (those cannot resume); see the stream's docstring.
    gap: bool


@dataclass(frozen=True)
class Reconnect:
    """How streams reconnect: wait ``initial_delay`` seconds after a break, doubling up to
    ``max_delay`` (with jitter, so many clients do not return at once), and give up with
    ``MarketUnavailableError`` after ``give_up_after`` seconds without a connection.
    ``on_reconnect`` (optional) is called with a ``Reconnected`` each time a stream is back.

    Pass ``reconnect=False`` to a client to let streams fail on the first break instead.
    """

    initial_delay: float = 0.05
    max_delay: float = 2.0
    give_up_after: float = 60.0
    on_reconnect: Callable[[Reconnected], None] | None = None

    def __post_init__(self) -> None:
        if not 0 < self.initial_delay <= self.max_delay:
            raise ValueError(
                f"need 0 < initial_delay <= max_delay, got {self.initial_delay} and "
                f"{self.max_delay}"
            )
        if self.give_up_after < 0:
            raise ValueError(f"give_up_after must be >= 0, got {self.give_up_after}")

    def channel_options(self) -> list[tuple[str, int]]:
        """grpc channel options that keep the channel's own reconnection as prompt as ours
        (grpc otherwise waits 1 s, then longer and longer, before it dials a lost server).

        ``grpc.min_reconnect_backoff_ms`` is left alone: grpc takes it as the least time a
        connection attempt is given, and a short one fails connections on a busy machine.
        """
        initial_ms = max(1, round(self.initial_delay * 1000))
        return [
            ("grpc.initial_reconnect_backoff_ms", initial_ms),
            ("grpc.max_reconnect_backoff_ms", max(initial_ms, round(self.max_delay * 1000))),
        ]


async def follow(
    open_call: Callable[[int | None], Awaitable[Any]],
    resume_from: Callable[[], int | None],
    policy: Reconnect | None,
    stream: str,
    symbol: str | None,
    *,
    call: Any = None,
    on_gap: Callable[[], Awaitable[None]] | None = None,
) -> AsyncIterator[Any]:
    """The messages of a server stream, across reconnections.

    ``await open_call(from_seq)`` opens the stream (``from_seq`` None: a fresh subscription) and
    ``resume_from()`` says where the caller is; ``call`` is an already open first call, if
    any. After a gap, once the fresh subscription is confirmed and before its first message,
    ``on_gap()`` lets the caller resynchronise. Without a ``policy`` the first break raises
    (and a stream the server ends simply ends), as a plain call would.
    """
    lost_at: float | None = None  # when the stream broke, while it is not back
    attempts, reason, gap, fresh = 0, "", False, False
    delay = policy.initial_delay if policy else 0.0
    while True:
        from_seq = None if fresh or symbol is None else resume_from()
        try:
            if call is None:
                call = await open_call(from_seq)
            await call.initial_metadata()  # the server sends headers once subscribed
            if lost_at is not None and not call.done():
                gap = gap or symbol is None
                _report(policy, Reconnected(stream, symbol, attempts, from_seq, reason, gap))
                if gap and on_gap is not None:
                    await on_gap()
                lost_at, attempts, gap, fresh = None, 0, False, False
                delay = policy.initial_delay if policy else 0.0
            async for message in call:
                yield message
            if policy is None:
                return
            reason = "the server ended the stream"
        except grpc.aio.AioRpcError as error:
            code = error.code()
            if policy is None or (code not in RETRYABLE and code != grpc.StatusCode.OUT_OF_RANGE):
                raise exception_for(code, error.details() or "") from None
            reason = f"{code.name}: {(error.details() or '')[:80]}"
        finally:
            if call is not None:
                call.cancel()
            call = None
        now = time.monotonic()
        if lost_at is None:
            lost_at = now
            log.warning("%s stream of %s broke (%s); reconnecting", stream, symbol or "*", reason)
        if reason.startswith("OUT_OF_RANGE"):
            gap = fresh = True  # the server cannot fill the gap: subscribe afresh, at once
            continue
        if now - lost_at > policy.give_up_after:
            raise MarketUnavailableError(
                f"{stream} stream of {symbol or 'all instruments'} could not reconnect within "
                f"{policy.give_up_after} s ({reason})"
            )
        attempts += 1
        await asyncio.sleep(delay * random.uniform(0.5, 1.0))
        delay = min(delay * 2, policy.max_delay)


def _report(policy: Reconnect | None, event: Reconnected) -> None:
    if event.gap:
        log.warning(
            "%s stream of %s reconnected after %d attempt(s) but may have missed events; "
            "resynchronising",
            event.stream,
            event.symbol or "*",
            event.attempts,
        )
    else:
        log.info(
            "%s stream of %s reconnected after %d attempt(s), resuming after seq %s",
            event.stream,
            event.symbol or "*",
            event.attempts,
            event.from_seq,
        )
    if policy is not None and policy.on_reconnect is not None:
        policy.on_reconnect(event)
