"""The gRPC service: decode, apply to the exchange, publish, encode. No market logic here.

Every handler runs on the server's event loop, which is the exchange's single writer: a
command is applied and its events are published in one synchronous step, so streams see
batches in exactly the order the engine produced them.
"""

from __future__ import annotations

import logging
import time
from collections import OrderedDict
from collections.abc import AsyncIterator, Callable, Iterable
from typing import NoReturn

import grpc

from marketsim.core import BookDelta, Exchange, OrderBook, OrderResult, SetPhase, Trade
from marketsim.core.events import Event
from marketsim.errors import MarketsimError, UnknownSymbolError
from marketsim.server.errors import status_for
from marketsim.server.hub import Hub, Published, Subscription
from marketsim.wire import codec
from marketsim.wire.v1 import market_pb2 as pb
from marketsim.wire.v1 import market_pb2_grpc as pb_grpc

log = logging.getLogger(__name__)

#: Most commands one OrderEntry request may carry.
MAX_COMMANDS_PER_REQUEST = 10_000
#: Most deltas (or events) one stream message carries; more are split over several messages.
MAX_ITEMS_PER_MESSAGE = 5_000
#: How many (owner, client_order_id) acks are remembered for idempotent retries.
IDEMPOTENCY_MEMORY = 100_000


def _encode_trades(events: list[Event]) -> tuple[int, bytes]:
    """The trades among ``events`` as a serialised ``TradeBatch`` holding only ``trades``."""
    batch = pb.TradeBatch()
    codec.append_payloads(batch.trades, events, Trade)
    return len(batch.trades), batch.SerializeToString()


def _encode_events(events: list[Event]) -> tuple[int, bytes]:
    """``events`` as a serialised ``EventBatch`` holding only ``events``."""
    batch = pb.EventBatch()
    codec.append_events(batch.events, events)
    return len(batch.events), batch.SerializeToString()


def _delta_segments(events: list[Event]) -> list[tuple[int, int, bytes]]:
    """A publication's deltas as ``(count, seq after them, serialised BookDeltas)`` segments
    of whole command batches, each at most MAX_ITEMS_PER_MESSAGE deltas (a single batch with
    more is split)."""
    deltas = [e for e in events if type(e) is BookDelta]
    segments = []
    start = 0
    while start < len(deltas):
        end = min(start + MAX_ITEMS_PER_MESSAGE, len(deltas))
        if end < len(deltas):
            cut = end
            while cut > start and not deltas[cut - 1].last:
                cut -= 1
            end = cut if cut > start else end
        seq = deltas[end - 1].seq if end < len(deltas) else events[-1].seq
        segments.append((end - start, seq, codec.serialized_deltas(deltas[start:end])))
        start = end
    return segments


def snapshot_to_proto(book: OrderBook, depth: int) -> pb.BookSnapshot:
    """The book's current levels (``depth`` per side, 0 for all) as a ``BookSnapshot``."""
    instrument = codec.instrument_to_proto(book.instrument)
    snapshot = pb.BookSnapshot(
        symbol=book.symbol,
        seq=book.seq,
        ts_event=book.ts_event,
        tick_size=instrument.tick_size,
        lot_size=instrument.lot_size,
    )
    for side, field in (("bid", snapshot.bids), ("ask", snapshot.asks)):
        for level in book.iter_levels(side, depth or None):  # type: ignore[arg-type]
            field.add(
                price_ticks=level.price_ticks,
                qty_lots=level.qty_lots,
                order_count=len(level.orders),
            )
    return snapshot


class MarketService(pb_grpc.MarketServiceServicer):
    """``marketsim.wire.v1.MarketService`` over an ``Exchange`` and a fan-out ``Hub``."""

    def __init__(
        self, exchange: Exchange, hub: Hub, clock: Callable[[], int] = time.time_ns
    ) -> None:
        self.exchange = exchange
        self.hub = hub
        self._clock = clock
        self._acks_by_client_id: OrderedDict[tuple[str, str], pb.OrderAck] = OrderedDict()

    # -- instruments ------------------------------------------------------------------------

    async def ListInstruments(self, request, context):
        return pb.ListInstrumentsResponse(
            instruments=[codec.instrument_to_proto(i) for i in self.exchange.instruments]
        )

    async def AddInstrument(self, request, context):
        try:
            book = self.exchange.add_instrument(codec.instrument_from_proto(request))
        except Exception as error:
            await _abort(context, error)
        return codec.instrument_to_proto(book.instrument)

    # -- order entry ------------------------------------------------------------------------

    async def SubmitOrder(self, request, context):
        return await self._unary_command(request, context)

    async def CancelOrder(self, request, context):
        return await self._unary_command(request, context)

    async def ReplaceOrder(self, request, context):
        return await self._unary_command(request, context)

    # -- exchange mechanics -----------------------------------------------------------------

    async def SetPhase(self, request, context):
        """Move one book to another phase. Who may call it is the server's access policy
        (an operator's call); this handler only applies it."""
        try:
            book = self.exchange[request.symbol]
            events = book.apply(SetPhase(request.phase[:40]), self._clock())  # type: ignore[arg-type]
        except Exception as error:
            await _abort(context, error)
        self.hub.publish(book.symbol, events)
        response = pb.SetPhaseResponse()
        codec.append_events(response.events, events)
        return response

    async def _unary_command(self, request, context) -> pb.OrderAck:
        ack = pb.OrderAck()
        try:
            book, events = self._execute(request, _owner(context), ack)
        except Exception as error:
            await _abort(context, error)
        self.hub.publish(book.symbol, events)
        return ack

    async def OrderEntry(self, request_iterator, context):
        owner = _owner(context)
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
                    book, events = self._execute(codec.unwrap_order_command(command), owner, ack)
                except Exception as error:  # the ack carries it; the stream goes on
                    code, message = _status_logged(error)
                    ack.Clear()
                    ack.error.code, ack.error.message = code.value[0], message
                else:
                    batch = pending.setdefault(book.symbol, [])
                    if len(batch) + len(events) > MAX_ITEMS_PER_MESSAGE and batch:
                        # Publish in pieces a stream message can carry, at command boundaries.
                        self.hub.publish(book.symbol, batch)
                        batch = pending[book.symbol] = []
                    batch.extend(events)
                ack.tag = command.tag  # after _execute: the ack kept for retries has none
            for symbol, events in pending.items():
                self.hub.publish(symbol, events)
            yield response

    def _execute(self, request, owner: str, ack: pb.OrderAck) -> tuple[OrderBook, list[Event]]:
        """Apply one order-entry request, fill in its ``ack``; return its book and new events."""
        book = self.exchange[request.symbol]
        client_order_id = getattr(request, "client_order_id", "")
        if client_order_id:
            cached = self._acks_by_client_id.get((owner, client_order_id))
            if cached is not None:
                ack.CopyFrom(cached)
                return book, []
        command = codec.command_from_proto(request, owner)
        result = book.execute(command, self._clock())
        _fill_ack(ack, result, client_order_id)
        if client_order_id:
            remembered = pb.OrderAck()
            remembered.CopyFrom(ack)
            self._remember(owner, client_order_id, remembered)
        return book, result.events

    def _remember(self, owner: str, client_order_id: str, ack: pb.OrderAck) -> None:
        self._acks_by_client_id[owner, client_order_id] = ack
        if len(self._acks_by_client_id) > IDEMPOTENCY_MEMORY:
            self._acks_by_client_id.popitem(last=False)

    # -- market data ------------------------------------------------------------------------

    async def GetBook(self, request, context):
        try:
            return snapshot_to_proto(self.exchange[request.symbol], request.depth)
        except Exception as error:
            await _abort(context, error)

    async def StreamBook(self, request, context) -> AsyncIterator[pb.BookUpdate]:
        try:
            book = self.exchange[request.symbol]
        except Exception as error:
            await _abort(context, error)
        # Subscribe and snapshot in one synchronous step: no batch can fall between them.
        subscription = self.hub.subscribe(book.symbol)
        try:
            yield pb.BookUpdate(snapshot=snapshot_to_proto(book, request.depth))
            last_seq = book.seq
            while (items := await subscription.next_items()) is not None:
                if subscription.overflowed:
                    subscription.overflowed = False
                    yield pb.BookUpdate(snapshot=snapshot_to_proto(book, request.depth))
                    last_seq = book.seq
                    continue
                # Each publication is encoded once, as bytes shared by every subscriber, in
                # segments of whole command batches; a message joins segments up to
                # MAX_ITEMS_PER_MESSAGE deltas.
                parts: list[bytes] = []
                count, seq = 0, last_seq
                for item in items:
                    for n, segment_seq, data in item.encoded("deltas", _delta_segments):
                        if parts and count + n > MAX_ITEMS_PER_MESSAGE:
                            yield codec.book_update_bytes(last_seq, seq, parts)
                            last_seq, parts, count = seq, [], 0
                        parts.append(data)
                        count += n
                        seq = segment_seq
                    seq = item.seq
                if parts:
                    yield codec.book_update_bytes(last_seq, seq, parts)
                    last_seq = seq
        finally:
            self.hub.unsubscribe(subscription)

    async def StreamTrades(self, request, context) -> AsyncIterator[bytes]:
        async for symbol, parts in self._stream(request, context, "trades", _encode_trades):
            yield pb.TradeBatch(symbol=symbol).SerializeToString() + b"".join(parts)

    async def StreamEvents(self, request, context) -> AsyncIterator[bytes]:
        async for symbol, parts in self._stream(request, context, "events", _encode_events):
            yield pb.EventBatch(symbol=symbol).SerializeToString() + b"".join(parts)

    async def _stream(
        self, request, context, name: str, encode
    ) -> AsyncIterator[tuple[str, list[bytes]]]:
        """Shared loop of the trade and event streams: serialised parts grouped by symbol.

        Each publication is encoded once, as bytes every subscriber shares; a message is a
        header with the symbol followed by its parts (repeated fields concatenate on the wire).
        """
        symbol = request.symbol or None
        if symbol is not None and symbol not in self.exchange:
            await _abort(context, UnknownSymbolError(f"unknown symbol {symbol!r}"))
        subscription: Subscription = self.hub.subscribe(symbol)
        # Headers now tell the client it is subscribed, before the first trade or event.
        await context.send_initial_metadata(())
        try:
            while (items := await subscription.next_items()) is not None:
                if subscription.overflowed:
                    await context.abort(
                        grpc.StatusCode.RESOURCE_EXHAUSTED,
                        f"subscriber fell more than {subscription.queue_size} batches behind; "
                        "resubscribe (and resynchronise from a snapshot)",
                    )
                for chunk in _chunks(items, name, encode):
                    if chunk.count:
                        yield chunk.symbol, chunk.parts
        finally:
            self.hub.unsubscribe(subscription)


class _Chunk:
    __slots__ = ("count", "parts", "symbol")

    def __init__(self, symbol: str) -> None:
        self.symbol = symbol
        self.parts: list[bytes] = []
        self.count = 0


def _chunks(items: Iterable[Published], name: str, encode) -> Iterable[_Chunk]:
    """Group encoded publications into stream messages: one symbol each, bounded in size.

    Chunks end on publication boundaries, so each message holds complete command batches.
    """
    chunk: _Chunk | None = None
    for item in items:
        count, data = item.encoded(name, encode)
        if (
            chunk is None
            or chunk.symbol != item.symbol
            or (chunk.count + count > MAX_ITEMS_PER_MESSAGE and chunk.count)
        ):
            if chunk is not None:
                yield chunk
            chunk = _Chunk(item.symbol)
        if count:
            chunk.parts.append(data)
            chunk.count += count
    if chunk is not None:
        yield chunk


def _owner(context: grpc.aio.ServicerContext) -> str:
    for key, value in context.invocation_metadata() or ():
        if key == codec.OWNER_METADATA_KEY:
            return value if isinstance(value, str) else value.decode()
    return ""


def _fill_ack(ack: pb.OrderAck, result: OrderResult, client_order_id: str) -> None:
    ack.order_id = result.order_id
    ack.status = codec.ORDER_STATUS.to_proto[result.status]
    if result.reason:
        ack.reason = result.reason
    ack.filled_lots = result.filled_lots
    ack.leaves_lots = result.leaves_lots
    if client_order_id:
        ack.client_order_id = client_order_id
    codec.append_events(ack.events, result.events)


def _status_logged(error: Exception) -> tuple[grpc.StatusCode, str]:
    """``status_for(error)``, logging the traceback of errors that are bugs."""
    code, message = status_for(error)
    if not isinstance(error, MarketsimError):
        log.error("unexpected error in a marketsim handler", exc_info=error)
    return code, message


async def _abort(context: grpc.aio.ServicerContext, error: Exception) -> NoReturn:
    """End the call with the status code and message that ``error`` maps to."""
    code, message = _status_logged(error)
    await context.abort(code, message)
    raise AssertionError("context.abort returned")  # it always raises
