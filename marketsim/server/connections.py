"""Connection hygiene: how long a peer may stay silent, idle or half-way through a message.

A peer that stops answering (a crashed laptop, a half-sent message, a script that opened a
socket and forgot it) must not hold the server's resources forever. The server pings every
connection; one that does not answer within the timeout is closed, whatever it was in the
middle of. A connection with no call for the idle limit is closed too, and one connection may
carry only so many calls at once. Streams that are merely quiet (a book nobody trades) stay
open: their client answers the pings.
"""

from __future__ import annotations

from dataclasses import dataclass

from marketsim.errors import InvalidCommandError


@dataclass(frozen=True, slots=True)
class ConnectionLimits:
    """Limits on every connection, in seconds (``max_streams`` in calls at once)."""

    #: How often the server pings a connection, and how long it waits for the answer.
    keepalive: float = 30.0
    keepalive_timeout: float = 10.0
    #: A connection without any call for this long is closed.
    idle: float = 600.0
    #: How long a new connection may take to finish its handshake.
    handshake: float = 10.0
    #: Calls (unary or streams) one connection may have open at once.
    max_streams: int = 100

    def __post_init__(self) -> None:
        for name in ("keepalive", "keepalive_timeout", "idle", "handshake"):
            value = getattr(self, name)
            if not isinstance(value, int | float) or not 0 < value < 1e7:
                raise InvalidCommandError(f"{name} must be a positive number of seconds")
        if type(self.max_streams) is not int or self.max_streams < 1:
            raise InvalidCommandError(f"max_streams must be at least 1, got {self.max_streams!r}")

    def grpc_options(self) -> list[tuple[str, int]]:
        """The grpc core channel arguments that enforce these limits."""
        ms = lambda seconds: max(1, round(seconds * 1000))  # noqa: E731
        return [
            ("grpc.keepalive_time_ms", ms(self.keepalive)),
            ("grpc.keepalive_timeout_ms", ms(self.keepalive_timeout)),
            # Any ping unanswered this long closes the connection (the first, grpc's own
            # flow-control probe, is sent at once: a peer that never answers is cut off here).
            ("grpc.http2.ping_timeout_ms", ms(self.keepalive_timeout)),
            ("grpc.keepalive_permit_without_calls", 1),
            ("grpc.http2.max_pings_without_data", 0),
            # Clients may ping too (grpc's own clients do when asked), but not flood.
            ("grpc.http2.min_ping_interval_without_data_ms", 5_000),
            ("grpc.max_connection_idle_ms", ms(self.idle)),
            ("grpc.server_handshake_timeout_ms", ms(self.handshake)),
            ("grpc.max_concurrent_streams", self.max_streams),
        ]
