"""The exception hierarchy shared by the engine, the server and the clients.

Every error a user can provoke with bad input is a ``ValueError``; the "not found" errors are
also ``KeyError`` so that ``except KeyError`` keeps working for dictionary-like lookups. The
server maps each class to one gRPC status code and the clients map the code back, so the same
``except`` clause works in-process and over the network.
"""

from __future__ import annotations


class MarketsimError(Exception):
    """Base class of every error raised on purpose by marketsim."""


class InvalidCommandError(MarketsimError, ValueError):
    """A command is malformed: wrong type, bad quantity, price off the tick grid, ...

    Raised before any state changes, so the book is exactly as it was.
    """


class NotFoundError(MarketsimError, KeyError, ValueError):
    """Something named by the caller does not exist (base of the two lookups below)."""

    def __str__(self) -> str:
        # KeyError.__str__ would show the message in quotes.
        return str(self.args[0]) if self.args else ""


class MarketHaltedError(InvalidCommandError):
    """Trading is halted: the engine refuses a replace and nothing changes.

    ``OrderBook.replace`` and the clients report it as a result rejected with reason "halted",
    as they do new orders during a halt; only the tick-level ``apply`` raises it.
    """


class UnknownOrderError(NotFoundError):
    """The order id is unknown, or the order is no longer live (filled or cancelled)."""


class UnknownSymbolError(NotFoundError):
    """No instrument with this symbol is listed."""


class PermissionDeniedError(MarketsimError, PermissionError):
    """The caller tried to change someone else's order, or to do what its role may not."""


class AuthenticationError(MarketsimError, PermissionError):
    """The market does not know the caller: no token, or a token it did not issue."""


class RateLimitError(MarketsimError):
    """A participant sent commands faster than its rate limit allows.

    ``retry_after`` is how many seconds to wait before the next command will be accepted.
    """

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class DuplicateSymbolError(InvalidCommandError):
    """An instrument with this symbol is already listed."""


class MarketUnavailableError(MarketsimError, ConnectionError):
    """The market server cannot be reached (not started yet, stopped, or unreachable)."""


class StreamOverflowError(MarketsimError):
    """A stream subscriber fell too far behind and the server ended its stream.

    Resubscribe (and resynchronise from a snapshot) to continue.
    """


class StreamGapError(MarketsimError):
    """A stream could not resume where the client left off: the events after its ``from_seq``
    are no longer held by the server (nor in its journal).

    Subscribe again without ``from_seq`` and resynchronise from a snapshot; events were missed.
    """
