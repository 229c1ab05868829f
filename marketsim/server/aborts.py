"""Ending a call with the status an exception maps to (shared by every handler)."""

from __future__ import annotations

import logging
import math
from typing import NoReturn

import grpc

from marketsim.errors import MarketsimError, RateLimitError
from marketsim.server.errors import status_for

log = logging.getLogger("marketsim.server.service")

#: Trailing metadata of a rate-limited call: milliseconds until a command will be accepted.
RETRY_AFTER_KEY = "retry-after-ms"


def status_logged(error: Exception) -> tuple[grpc.StatusCode, str]:
    """``status_for(error)``, logging the traceback of errors that are bugs."""
    code, message = status_for(error)
    if not isinstance(error, MarketsimError):
        log.error("unexpected error in a marketsim handler", exc_info=error)
    return code, message


async def abort(context: grpc.aio.ServicerContext, error: Exception) -> NoReturn:
    """End the call with the status code and message that ``error`` maps to."""
    code, message = status_logged(error)
    if isinstance(error, RateLimitError) and error.retry_after is not None:
        context.set_trailing_metadata(
            ((RETRY_AFTER_KEY, str(math.ceil(error.retry_after * 1000))),)
        )
    await context.abort(code, message)
    raise AssertionError("context.abort returned")  # it always raises
