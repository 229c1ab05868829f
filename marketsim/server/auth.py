"""Who is calling, and may it call this? One gate decides both, before any handler runs.

With a ``Roster`` the caller is the participant whose bearer token the call carries (metadata
``authorization: Bearer <token>``); nothing the client claims, such as a ``marketsim-owner``
header, changes that. Without one (open mode: one user on loopback) the caller is whoever the
``marketsim-owner`` header names, with every right.

Each method of the market service needs a least role (``METHOD_ROLES``); a method the table
does not name needs ``admin``, so a new RPC is closed until someone decides otherwise. The
health and reflection services are open to all: probes and tools use them without a token.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, Final

import grpc

from marketsim.errors import (
    AuthenticationError,
    InvalidCommandError,
    MarketsimError,
    PermissionDeniedError,
)
from marketsim.server.errors import status_for
from marketsim.server.participants import (
    ADMIN,
    TRADER,
    VIEWER,
    Participant,
    Roster,
    open_participant,
)
from marketsim.wire import codec
from marketsim.wire.v1 import market_pb2 as pb

SERVICE_NAME: Final = pb.DESCRIPTOR.services_by_name["MarketService"].full_name
AUTHORIZATION_KEY: Final = "authorization"
#: Longest owner name (UTF-8 bytes) a client may claim in open mode.
MAX_OWNER_BYTES: Final = 64
#: Longest authorization header looked at; a longer one is refused unread.
MAX_TOKEN_CHARS: Final = 256

#: The least role each method needs; any other method of the service needs ``admin``.
METHOD_ROLES: Final = {
    "ListInstruments": VIEWER,
    "GetBook": VIEWER,
    "StreamBook": VIEWER,
    "StreamTrades": VIEWER,
    "StreamEvents": VIEWER,
    "GetServerInfo": VIEWER,
    "WhoAmI": VIEWER,
    "GetAccount": VIEWER,
    "ListOrders": VIEWER,
    "StreamPrivate": VIEWER,
    "SubmitOrder": TRADER,
    "CancelOrder": TRADER,
    "ReplaceOrder": TRADER,
    "OrderEntry": TRADER,
    "AddInstrument": ADMIN,
    "GetLeaderboard": ADMIN,
    "SetPhase": ADMIN,
    "GetCaseState": VIEWER,
    "AnswerTender": TRADER,
    "RunCase": ADMIN,
    "ControlCase": ADMIN,
    "GetCaseScores": ADMIN,
    "GetCasePostMortem": ADMIN,
}

Metadata = Iterable[tuple[str, str | bytes]]


class Gate:
    """Identifies callers and checks their rights; ``roster=None`` is open mode."""

    def __init__(self, roster: Roster | None = None, *, public_leaderboard: bool = False) -> None:
        self.roster = roster
        self.roles = dict(METHOD_ROLES)
        if public_leaderboard or (roster is not None and roster.public_leaderboard):
            self.roles["GetLeaderboard"] = VIEWER

    @property
    def open(self) -> bool:
        """True without participants: callers are trusted to name themselves."""
        return self.roster is None

    def caller(self, metadata: Metadata | None) -> Participant:
        """The participant a call with this metadata acts for.

        Raises ``AuthenticationError`` (no or unknown token) or ``InvalidCommandError`` (an
        owner header longer than ``MAX_OWNER_BYTES`` in open mode).
        """
        if self.roster is None:
            owner = _value(metadata, codec.OWNER_METADATA_KEY) or ""
            if len(owner.encode()) > MAX_OWNER_BYTES:
                raise InvalidCommandError(f"an owner name is at most {MAX_OWNER_BYTES} bytes")
            return open_participant(owner)
        header = _value(metadata, AUTHORIZATION_KEY)
        if header is None:
            raise AuthenticationError(
                "this market needs a token: send 'authorization: Bearer <token>'"
            )
        scheme, _, token = header[:MAX_TOKEN_CHARS].partition(" ")
        participant = (
            self.roster.identify(token.strip())
            if scheme.lower() == "bearer" and len(header) <= MAX_TOKEN_CHARS
            else None
        )
        if participant is None:
            raise AuthenticationError("unknown token: this market did not issue it")
        return participant

    def authorize(self, participant: Participant, method: str) -> None:
        """Raise ``PermissionDeniedError`` unless ``participant``'s role may call ``method``."""
        needed = self.roles.get(method, ADMIN)
        if not participant.may(needed):
            raise PermissionDeniedError(
                f"{method} needs the {needed} role or higher; this caller is a {participant.role}"
            )


def _value(metadata: Metadata | None, key: str) -> str | None:
    for name, value in metadata or ():
        if name == key:
            return value if isinstance(value, str) else value.decode(errors="replace")
    return None


class AuthInterceptor(grpc.aio.ServerInterceptor):
    """Refuses calls to the market service that the ``Gate`` does not let through."""

    def __init__(self, gate: Gate) -> None:
        self.gate = gate
        self._prefix = f"/{SERVICE_NAME}/"

    async def intercept_service(
        self,
        continuation: Callable[[grpc.HandlerCallDetails], Any],
        handler_call_details: grpc.HandlerCallDetails,
    ) -> grpc.RpcMethodHandler | None:
        handler = await continuation(handler_call_details)
        path = handler_call_details.method
        if handler is None or not path.startswith(self._prefix):
            return handler
        try:
            participant = self.gate.caller(handler_call_details.invocation_metadata)
            self.gate.authorize(participant, path[len(self._prefix) :])
        except MarketsimError as error:
            return _refusal(handler, *status_for(error))
        return handler


def _refusal(
    handler: grpc.RpcMethodHandler, code: grpc.StatusCode, message: str
) -> grpc.RpcMethodHandler:
    """A handler of the same kind as ``handler`` that ends the call with ``code``, unread."""

    async def refuse(_request: Any, context: grpc.aio.ServicerContext) -> None:
        await context.abort(code, message)

    serializer = handler.response_serializer
    if handler.unary_unary:
        return grpc.unary_unary_rpc_method_handler(refuse, None, serializer)
    if handler.unary_stream:
        return grpc.unary_stream_rpc_method_handler(refuse, None, serializer)
    if handler.stream_unary:
        return grpc.stream_unary_rpc_method_handler(refuse, None, serializer)
    return grpc.stream_stream_rpc_method_handler(refuse, None, serializer)


__all__ = ["METHOD_ROLES", "AuthInterceptor", "Gate"]
