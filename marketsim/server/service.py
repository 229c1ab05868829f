"""The gRPC service: decode, apply to the exchange, publish, encode. No market logic here.

Every handler runs on the server's event loop, which is the exchange's single writer: a
command is applied and its events are published in one synchronous step, so streams see
batches in exactly the order the engine produced them.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Callable
from typing import TYPE_CHECKING

import grpc

from marketsim.core import Exchange, OrderBook
from marketsim.core.events import Event
from marketsim.core.ledger import Ledger
from marketsim.core.types import quoted
from marketsim.errors import InvalidCommandError
from marketsim.server import accounts, encoding
from marketsim.server.aborts import abort as _abort
from marketsim.server.aborts import status_logged as _status_logged
from marketsim.server.auth import Gate
from marketsim.server.cases import CaseNotice, CaseRpcs
from marketsim.server.durability import Journal
from marketsim.server.gateway import Gateway
from marketsim.server.hub import Hub
from marketsim.server.market_data import History, MarketDataStreams, no_history
from marketsim.server.participants import Participant
from marketsim.server.sequencer import Sequencer
from marketsim.wire import codec
from marketsim.wire.v1 import market_pb2 as pb
from marketsim.wire.v1 import market_pb2_grpc as pb_grpc

if TYPE_CHECKING:
    from marketsim.server.feed import MarketDataProcess

#: Most commands one OrderEntry request may carry.
MAX_COMMANDS_PER_REQUEST = 10_000
#: Longest client_order_id (UTF-8 bytes).
MAX_CLIENT_ORDER_ID_BYTES = 64


class MarketService(CaseRpcs, MarketDataStreams, pb_grpc.MarketServiceServicer):
    """``marketsim.wire.v1.MarketService`` over a market and a fan-out ``Hub``.

    ``market`` is an ``Exchange`` (the service keeps its accounts in a new ``Ledger``) or a
    ``Sequencer``, through which every state change goes; with a ``journal`` it is the
    journal's, which writes each change before it is applied.

    ``history(symbol, from_seq)`` gives a stream resuming further back than the hub's backlog
    the events of ``symbol`` with seq > ``from_seq`` from durable storage, or None; it is the
    journal's when there is one (see ``MarketDataStreams``).
    """

    def __init__(
        self,
        market: Exchange | Sequencer,
        hub: Hub,
        clock: Callable[[], int] = time.time_ns,
        *,
        gate: Gate | None = None,
        journal: Journal | None = None,
        history: History | None = None,
    ) -> None:
        if isinstance(market, Exchange):
            market = Sequencer(market, Ledger(market.instruments))
        self.sequencer = market
        self.exchange = market.exchange
        self.ledger = market.ledger
        self.hub = hub
        self.history = history or (journal.history if journal is not None else no_history)
        self.gate = gate or Gate()
        self.gateway = Gateway(self.ledger)
        self._clock = clock
        self.journal = journal
        #: The market-data process serving the streams as well, if the server runs one.
        self.market_data: MarketDataProcess | None = None

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
            book = self.sequencer.add_instrument(request)
            await self._commit()
        except Exception as error:
            await _abort(context, error)
        return self._instrument_proto(book)

    async def GetServerInfo(self, request, context):
        port = self.market_data.port if self.market_data is not None else 0
        return pb.ServerInfo(market_data_port=port)

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
            book, events = self.sequencer.set_phase(request, self._clock())
            self.hub.publish(book.symbol, events)
            await self._commit()
        except Exception as error:
            await _abort(context, error)
        response = pb.SetPhaseResponse()
        codec.append_events(response.events, events)
        return response

    async def _unary_command(self, request, context) -> pb.OrderAck:
        ack = pb.OrderAck()
        try:
            book, events = self._execute(request, self.caller(context), ack)
            self.hub.publish(book.symbol, events)
            await self._commit()
        except Exception as error:
            await _abort(context, error)
        return ack

    async def _commit(self) -> None:
        """Wait until what was journaled is as durable as the fsync policy promises (and
        take a snapshot when one is due)."""
        if self.journal is not None:
            self.journal.after_commands()
            await self.journal.writer.commit()

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
            try:
                await self._commit()
            except Exception as error:
                await _abort(context, error)
            yield response

    def _execute(
        self, request, caller: Participant, ack: pb.OrderAck
    ) -> tuple[OrderBook, list[Event]]:
        """Apply one order-entry request for ``caller``, fill in its ``ack``; return its book
        and new events.

        In order: the rate limit, the idempotency cache, validation, the risk limits (a breach
        is a rejection the book never sees), then the sequencer (journal, book, ledger).
        """
        ts_event = self._clock()
        self.gateway.admit(caller, ts_event)
        book = self.exchange[request.symbol]
        client_order_id = getattr(request, "client_order_id", "")
        if client_order_id:
            if len(client_order_id.encode()) > MAX_CLIENT_ORDER_ID_BYTES:
                raise InvalidCommandError(
                    f"client_order_id is at most {MAX_CLIENT_ORDER_ID_BYTES} bytes, "
                    f"got {quoted(client_order_id, 40)}"
                )
            cached = self.sequencer.cached_ack(caller.name, client_order_id)
            if cached is not None:
                ack.CopyFrom(cached)
                return book, []
        command = codec.command_from_proto(request, caller.name)
        reason = self.gateway.risk_reason(caller, book, command)
        return self.sequencer.order(request, command, ts_event, reason, ack)

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
                    if type(item) is CaseNotice:
                        yield pb.PrivateUpdate(case_update=item.update)
                        continue
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
