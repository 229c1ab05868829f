"""The one mapping between marketsim exceptions and gRPC status codes, in both directions."""

from __future__ import annotations

import re

import grpc

from marketsim.errors import (
    AuthenticationError,
    InvalidCommandError,
    MarketsimError,
    MarketUnavailableError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    StreamGapError,
    StreamOverflowError,
    UnknownOrderError,
    UnknownSymbolError,
)

# Most specific first: the first matching class decides the code.
_STATUS_OF: tuple[tuple[type[Exception], grpc.StatusCode], ...] = (
    (InvalidCommandError, grpc.StatusCode.INVALID_ARGUMENT),
    (NotFoundError, grpc.StatusCode.NOT_FOUND),
    (PermissionDeniedError, grpc.StatusCode.PERMISSION_DENIED),
    (AuthenticationError, grpc.StatusCode.UNAUTHENTICATED),
    (RateLimitError, grpc.StatusCode.RESOURCE_EXHAUSTED),
    (MarketUnavailableError, grpc.StatusCode.UNAVAILABLE),
    (StreamGapError, grpc.StatusCode.OUT_OF_RANGE),
)

#: Rate-limit messages start with this, which tells them apart from stream overflows.
RATE_LIMIT_PREFIX = "rate limit"
_RETRY_IN = re.compile(r"retry in ([0-9.]+) s")


def status_for(error: Exception) -> tuple[grpc.StatusCode, str]:
    """The status code and message a server sends for ``error``.

    Errors marketsim raises on purpose keep their message; anything else is a bug and becomes
    INTERNAL with a generic message (details stay in the server's log, not on the wire).
    """
    for error_class, code in _STATUS_OF:
        if isinstance(error, error_class):
            return code, str(error)
    return grpc.StatusCode.INTERNAL, "internal error in the marketsim server"


_CODE_BY_NUMBER = {code.value[0]: code for code in grpc.StatusCode}


def status_code_from_number(number: int) -> grpc.StatusCode:
    """The ``grpc.StatusCode`` with this number (UNKNOWN for numbers grpc does not define)."""
    return _CODE_BY_NUMBER.get(number, grpc.StatusCode.UNKNOWN)


# NOT_FOUND is shared by unknown orders and unknown symbols; the message tells them apart.
def exception_for(code: grpc.StatusCode, message: str) -> Exception:
    """The exception a client raises for a failed call (the inverse of ``status_for``)."""
    if code == grpc.StatusCode.INVALID_ARGUMENT:
        return InvalidCommandError(message)
    if code == grpc.StatusCode.NOT_FOUND:
        if message.startswith("unknown symbol"):
            return UnknownSymbolError(message)
        return UnknownOrderError(message)
    if code == grpc.StatusCode.PERMISSION_DENIED:
        return PermissionDeniedError(message)
    if code == grpc.StatusCode.UNAUTHENTICATED:
        return AuthenticationError(message)
    if code == grpc.StatusCode.RESOURCE_EXHAUSTED:
        if message.startswith(RATE_LIMIT_PREFIX):
            match = _RETRY_IN.search(message)
            return RateLimitError(message, float(match.group(1)) if match else None)
        return StreamOverflowError(message)
    if code == grpc.StatusCode.OUT_OF_RANGE:
        return StreamGapError(message)
    if code == grpc.StatusCode.UNAVAILABLE:
        return MarketUnavailableError(f"market server unavailable: {message}")
    return MarketsimError(f"{code.name}: {message}")
