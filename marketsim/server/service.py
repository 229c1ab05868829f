"""The gRPC service: decode, apply to the exchange, publish, encode. No market logic here.

Every handler runs on the server's event loop, which is the exchange's single writer: a
command is applied and its events are published in one synchronous step, so streams see
batches in exactly the order the engine produced them.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import AsyncIterator, Callable

import grpc

from marketsim.core import Exchange, OrderBook, OrderResult, SetPhase
from marketsim.core.commands import SubmitOrder
from marketsim.core.events import Event, OrderRejected
from marketsim.core.ledger import Ledger
from marketsim.core.types import quoted
from marketsim.errors import InvalidCommandError
from marketsim.server import accounts, encoding
from marketsim.server.aborts import abort as _abort
from marketsim.server.aborts import status_logged as _status_logged
from marketsim.server.auth import Gate
from marketsim.server.gateway import Gateway
from marketsim.server.hub import Hub
from marketsim.server.market_data import History, MarketDataStreams, no_history
from marketsim.server.participants import Participant
from marketsim.wire import codec
from marketsim.wire.v1 import market_pb2 as pb
from marketsim.wire.v1 import market_pb2_grpc as pb_grpc

#: Most commands one OrderEntry request may carry.
MAX_COMMANDS_PER_REQUEST = 10_000
#: How many (owner, client_order_id) acks are remembered for idempotent retries, and how many
#: bytes they may take in all (the oldest are forgotten first).
IDEMPOTENCY_MEMORY = 100_000
IDEMPOTENCY_BYTES = 64 * 1024 * 1024
#: Longest client_order_id (UTF-8 bytes).
MAX_CLIENT_ORDER_ID_BYTES = 64


class MarketService(MarketDataStreams, pb_grpc.MarketServiceServicer):
    """``marketsim.wire.v1.MarketService`` over an ``Exchange`` and a fan-out ``Hub``.

    ``history(symbol, from_seq)`` gives a stream resuming further back than the hub's backlog
    the events of ``symbol`` with seq > ``from_seq`` from durable storage, or None (the
    default: there is none); see ``MarketDataStreams``.
    """

    def __init__(
        self,
        exchange: Exchange,
        hub: Hub,
        clock: Callable[[], int] = time.time_ns,
        *,
        gate: Gate | None = None,
        ledger: Ledger | None = None,
        history: History = no_history,
    ) -> None:
        self.exchange = exchange
        self.hub = hub
        self.history = history
        self.gate = gate or Gate()
        self.ledger = ledger or Ledger(exchange.instruments)
        self.gateway = Gateway(self.ledger)
        self._clock = clock
        self._acks_by_client_id: OrderedDict[tuple[str, str], pb.OrderAck] = OrderedDict()
        self._remembered_bytes = 0

    def caller(self, context: grpc.aio.ServicerContext) -> Participant:
        """The participant a call acts for (the ``AuthInterceptor`` has already let it in)."""
        return self.gate.caller(context.invocation_metadata())

    # -- instruments ------------------------------------------------------------------------

    def _instrument_proto(self, book: OrderBook) -> pb.Instrument:
        return codec.instrument_to_proto(book.instrument, self.ledger.fees(book.symbol))

    async def ListInstruments(self, request, context):
        return pb.ListInstrumentsResponse(
            instruments=[self._instrument_proto(book) for book in self.exchange.values()]
        )

    async def AddInstrument(self, request, context):
        try:
            instrument = codec.instrument_from_proto(request)
            fees = codec.fees_from_proto(request)
            book = self.exchange.add_instrument(instrument)
            self.ledger.add_instrument(instrument, fees)
        except Exception as error:
            await _abort(context, error)
        return self._instrument_proto(book)

    # -- order entry ------------------------------------------------------------------------

    async def SubmitOrder(self, request, context):
        return await self._unary_command(request, context)

    async def CancelOrder(self, request, context):
        return await self._unary_command(request, context)

    async def ReplaceOrder(self, request, context):
        return await self._unary_command(request, context)

    # -- exchange mechanics -----------------------------------------------------------------

    async def SetPhase(self, request, context):
        """Move one book to another phase (admins only: see ``METHOD_ROLES``). The uncross
        that leaving an auction may run trades, so the ledger books its events too."""
        try:
            book = self.exchange[request.symbol]
            events = book.apply(SetPhase(request.phase[:40]), self._clock())  # type: ignore[arg-type]
        except Exception as error:
            await _abort(context, error)
        self.ledger.apply(book.symbol, events)
        self.hub.publish(book.symbol, events)
        response = pb.SetPhaseResponse()
        codec.append_events(response.events, events)
        return response

    async def _unary_command(self, request, context) -> pb.OrderAck:
        ack = pb.OrderAck()
        try:
            book, events = self._execute(request, self.caller(context), ack)
        except Exception as error:
            await _abort(context, error)
        self.hub.publish(book.symbol, events)
        return ack

    async def OrderEntry(self, request_iterator, context):
        try:
            caller = self.caller(context)
        except Exception as error:
            await _abort(context, error)
        async for request in request_iterator:
            if len(request.commands) > MAX_COMMANDS_PER_REQUEST:
                await context.abort(
                    grpc.StatusCode.INVALID_ARGUMENT,
                    f"an OrderEntry request may carry at most {MAX_COMMANDS_PER_REQUEST} "
                    f"commands, got {len(request.commands)}",
                )
            response = pb.OrderEntryResponse()
            pending: dict[str, list[Event]] = {}  # per symbol, whole command batches
            add_ack = response.acks.add
            for command in request.commands:
                ack = add_ack()  # filled in place: copying a finished ack costs ~1 us
                try:
                    book, events = self._execute(codec.unwrap_order_command(command), caller, ack)
                except Exception as error:  # the ack carries it; the stream goes on
                    code, message = _status_logged(error)
                    ack.Clear()
                    ack.error.code, ack.error.message = code.value[0], message
                else:
                    batch = pending.setdefault(book.symbol, [])
                    if len(batch) + len(events) > encoding.MAX_ITEMS_PER_MESSAGE and batch:
                        # Publish in pieces a stream message can carry, at command boundaries.
                        self.hub.publish(book.symbol, batch)
                        batch = pending[book.symbol] = []
                    batch.extend(events)
                ack.tag = command.tag  # after _execute: the ack kept for retries has none
            for symbol, events in pending.items():
                self.hub.publish(symbol, events)
            yield response

    def _execute(
        self, request, caller: Participant, ack: pb.OrderAck
    ) -> tuple[OrderBook, list[Event]]:
        """Apply one order-entry request for ``caller``, fill in its ``ack``; return its book
        and new events.

        In order: the rate limit, the idempotency cache, validation, the risk limits (a breach
        is a rejection the book never sees), the book, the ledger.
        """
        ts_event = self._clock()
        self.gateway.admit(caller, ts_event)
        book = self.exchange[request.symbol]
        owner = caller.name
        client_order_id = getattr(request, "client_order_id", "")
        if client_order_id:
            if len(client_order_id.encode()) > MAX_CLIENT_ORDER_ID_BYTES:
                raise InvalidCommandError(
                    f"client_order_id is at most {MAX_CLIENT_ORDER_ID_BYTES} bytes, "
                    f"got {quoted(client_order_id, 40)}"
                )
            cached = self._acks_by_client_id.get((owner, client_order_id))
            if cached is not None:
                ack.CopyFrom(cached)
                return book, []
        command = codec.command_from_proto(request, owner)
        reason = self.gateway.risk_reason(caller, book, command)
        if reason is not None:
            _fill_risk_rejection(ack, command, reason, ts_event)
            events: list[Event] = []
        else:
            result = book.execute(command, ts_event)
            events = result.events
            self.ledger.apply(book.symbol, events)
            _fill_ack(ack, result)
        if client_order_id:
            ack.client_order_id = client_order_id
            remembered = pb.OrderAck()
            remembered.CopyFrom(ack)
            self._remember(owner, client_order_id, remembered)
        return book, events

    def _remember(self, owner: str, client_order_id: str, ack: pb.OrderAck) -> None:
        acks = self._acks_by_client_id
        acks[owner, client_order_id] = ack
        self._remembered_bytes += ack.ByteSize()
        while len(acks) > IDEMPOTENCY_MEMORY or self._remembered_bytes > IDEMPOTENCY_BYTES:
            self._remembered_bytes -= acks.popitem(last=False)[1].ByteSize()

    # -- participants and accounts ------------------------------------------------------------

    async def WhoAmI(self, request, context):
        caller = self.caller(context)
        return pb.Identity(
            participant=caller.name, role=caller.role, authenticated=not self.gate.open
        )

    async def GetAccount(self, request, context):
        return await self._own(request, context, accounts.account_list)

    async def ListOrders(self, request, context):
        return await self._own(request, context, accounts.open_orders)

    async def _own(self, request, context, build):
        """``build(ledger, books, caller's name)`` over the books ``request.symbol`` names."""
        try:
            books = accounts.books_of(self.exchange, request.symbol)
            return build(self.ledger, books, self.caller(context).name)
        except Exception as error:
            await _abort(context, error)

    async def GetLeaderboard(self, request, context):
        try:
            books = accounts.books_of(self.exchange, request.symbol)
        except Exception as error:
            await _abort(context, error)
        roster = self.gate.roster
        if roster is not None:
            roles = {p.name: p.role for p in roster}
        else:  # open mode: everyone who has traded or rested an order
            roles = {owner: "admin" for owner in self.ledger.owners()}
        return accounts.leaderboard(self.ledger, books, roles)

    async def StreamPrivate(self, request, context) -> AsyncIterator[pb.PrivateUpdate]:
        owner = self.caller(context).name
        subscription = self.hub.subscribe_owner(owner)
        await context.send_initial_metadata(())
        try:
            while (items := await subscription.next_items()) is not None:
                if subscription.overflowed:
                    await context.abort(
                        grpc.StatusCode.RESOURCE_EXHAUSTED,
                        f"private stream fell more than {subscription.queue_size} batches "
                        "behind; resubscribe and read your account and orders again",
                    )
                for item in items:
                    update = pb.PrivateUpdate(symbol=item.symbol)
                    codec.append_events(update.events, item.events)
                    codec.remove_owners(update.events, keep=owner)
                    book = self.exchange[item.symbol]
                    update.account.CopyFrom(
                        codec.account_to_proto(accounts.account_of(self.ledger, book, owner))
                    )
                    yield update
        finally:
            self.hub.unsubscribe(subscription)


def _fill_ack(ack: pb.OrderAck, result: OrderResult) -> None:
    ack.order_id = result.order_id
    ack.status = codec.ORDER_STATUS.to_proto[result.status]
    if result.reason:
        ack.reason = result.reason
    ack.filled_lots = result.filled_lots
    ack.leaves_lots = result.leaves_lots
    codec.append_events(ack.events, result.events)


def _fill_risk_rejection(ack: pb.OrderAck, command, reason: str, ts_event: int) -> None:
    """The ack of a command the risk checks refused before it reached the book.

    A refused new order gets no order id (0) and one ``OrderRejected`` event with seq 0, which
    is in no book's log; a refused replace names its order and carries no event.
    """
    ack.status = pb.ORDER_STATUS_REJECTED
    ack.reason = reason
    if isinstance(command, SubmitOrder):
        order_type = "market" if command.price_ticks is None else "limit"
        rejected = OrderRejected(
            0,
            ts_event,
            0,
            command.owner,
            command.side,
            order_type,
            command.price_ticks,
            command.qty_lots,
            command.tif,
            command.post_only,
            reason,
        )
        codec.append_events(ack.events, [rejected])
    else:
        ack.order_id = command.order_id
