"""The market-data half of the service: book snapshots and the book, trade and event streams.

Every stream may resume: a request with ``from_seq`` first gets the events of its instrument
with seq > ``from_seq`` (from the hub's backlog, else from ``history``, the market's durable
storage), then the live ones. Subscribing and collecting that catch-up happen in one
synchronous step on the server loop, so nothing published can fall between them or be sent
twice. When the events cannot be found, a book stream starts from a fresh snapshot and a trade
or event stream fails with OUT_OF_RANGE (``StreamGapError``), so the client resynchronises.

Book streams follow the hub's backlog rather than a queue of their own, so a publication costs
nothing per book subscriber, and they are conflated: a subscriber sends at most
``max_updates_per_second`` messages, and the reading book subscribers of an instrument share
``book_update_budget`` messages per second. Between two messages a subscriber sleeps while
publications pile up; the next message joins their deltas. One that falls behind further
than the backlog reaches (a stalled reader) gets a fresh snapshot. Sending a stream message
costs the server loop far more than matching an order, so this bound is what keeps order entry
fast with a thousand subscribers (see docs/durability-and-fanout.md).
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import random
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Iterator

import grpc

from marketsim.core import Exchange, OrderBook
from marketsim.core.events import Event
from marketsim.errors import InvalidCommandError, StreamGapError, UnknownSymbolError
from marketsim.server import encoding
from marketsim.server.aborts import abort
from marketsim.server.hub import Hub, Published, Subscription
from marketsim.server.participants import Participant
from marketsim.wire import codec
from marketsim.wire.v1 import market_pb2 as pb

#: ``history(symbol, from_seq)``: the events of ``symbol`` with seq > ``from_seq`` from durable
#: storage, oldest first, or None when it does not hold them; a plain function or a coroutine
#: function (one that reads files should not block the loop).
History = Callable[[str, int], "list[Event] | Awaitable[list[Event] | None] | None"]

#: Book stream messages per second that all reading subscribers of one instrument share (so
#: each of N readers sends at most budget / N per second).
BOOK_UPDATE_BUDGET = 5_000


def no_history(symbol: str, from_seq: int) -> None:
    """The ``History`` of a market without durable storage: it holds nothing."""
    return None


class MarketDataStreams:
    """Handlers of GetBook, StreamBook, StreamTrades and StreamEvents (mixed into
    ``MarketService`` and the market-data process's ``MarketDataService``, which provide
    ``exchange``, ``hub``, ``history`` and ``caller``)."""

    exchange: Exchange
    hub: Hub
    history: History
    book_update_budget: float = BOOK_UPDATE_BUDGET
    #: Seconds a stream resuming from a seq the book has not reached waits for it: a
    #: market-data process follows its market a moment behind (0: do not wait).
    catch_up_wait: float = 0.0
    caller: Callable[[grpc.aio.ServicerContext], Participant]

    def book_pause(self, symbol: str, max_updates_per_second: int) -> float:
        """Least seconds between two messages of a book subscriber of ``symbol``: its own cap,
        or its share of the budget among the subscribers that are reading (those whose last
        message is still not taken by their client do not count)."""
        shared = self.hub.readers_of(symbol) / self.book_update_budget
        return max(1 / max_updates_per_second if max_updates_per_second else 0.0, shared)

    async def GetBook(self, request, context):
        try:
            return encoding.snapshot_to_proto(self.exchange[request.symbol], request.depth)
        except Exception as error:
            await abort(context, error)

    async def catch_up(self, book: OrderBook, from_seq: int) -> list[Published] | None:
        """The publications of ``book`` after ``from_seq`` up to its present seq, from the
        hub's backlog or else from ``history``; None if they cannot all be found.

        Whatever ``history`` awaits, the part after it runs in one synchronous step up to
        the return, so a caller that subscribes (or notes the book's seq) right after the
        ``await`` misses nothing published meanwhile and gets nothing twice.
        """
        if from_seq > book.seq and self.catch_up_wait:
            with contextlib.suppress(TimeoutError):
                news = self.hub.news(book.symbol, from_seq - 1, self.hub.closings)
                await asyncio.wait_for(news, self.catch_up_wait)
        if from_seq == book.seq:
            return []
        if from_seq > book.seq:  # e.g. a server restarted without its journal
            return None
        items = self.hub.replay(book.symbol, from_seq)
        if items is None:
            events = self.history(book.symbol, from_seq)
            if inspect.isawaitable(events):
                events = await events
            if not events or events[0].seq != from_seq + 1:
                return None
            newer = self.hub.replay(book.symbol, events[-1].seq)
            if newer is None and events[-1].seq < book.seq:
                return None
            items = [Published(book.symbol, events), *(newer or [])]
        if not items or items[-1].seq != book.seq:  # the book moved without publishing
            return None
        return items

    async def StreamBook(self, request, context) -> AsyncIterator[bytes | pb.BookUpdate]:
        try:
            book = self.exchange[request.symbol]
        except Exception as error:
            await abort(context, error)
        symbol, hub, closings = book.symbol, self.hub, self.hub.closings
        hub.follow(symbol)
        try:
            await context.send_initial_metadata(())  # tells the client it is subscribed
            # ``position``: the seq of the last publication taken into account. Each snapshot
            # or catch-up is made in one synchronous step with the position it stands for.
            missed = None
            if request.HasField("from_seq"):
                missed = await self.catch_up(book, request.from_seq)
            if missed is None:
                position = last_seq = book.seq
                yield pb.BookUpdate(snapshot=encoding.snapshot_to_proto(book, request.depth))
            else:
                position, last_seq = book.seq, request.from_seq
                for message, seq in delta_messages(missed, last_seq):
                    yield message
                    last_seq = seq
            loop = asyncio.get_running_loop()
            while await hub.news(symbol, position, closings):
                items = hub.replay(symbol, position)
                if items is None:  # it fell behind further than the backlog reaches
                    position = last_seq = book.seq
                    yield pb.BookUpdate(snapshot=encoding.snapshot_to_proto(book, request.depth))
                    continue
                position = items[-1].seq
                started = loop.time()
                for message, seq in delta_messages(items, last_seq):
                    with hub.sending(symbol):  # a stalled reader blocks in here
                        yield message
                    last_seq = seq
                # Publications pile up in the backlog meanwhile and go out together in the
                # next message. The jitter keeps subscribers woken by one publication from
                # staying in step: a thousand sends at once would hold up every order.
                pause = self.book_pause(symbol, request.max_updates_per_second)
                if (wait := started + pause * random.uniform(0.5, 1.5) - loop.time()) > 0:
                    await asyncio.sleep(wait)
        finally:
            hub.unfollow(symbol)

    async def StreamTrades(self, request, context) -> AsyncIterator[bytes]:
        async for symbol, parts in self._stream(request, context, encoding.TRADE_ENCODINGS):
            yield pb.TradeBatch(symbol=symbol).SerializeToString() + b"".join(parts)

    async def StreamEvents(self, request, context) -> AsyncIterator[bytes]:
        async for symbol, parts in self._stream(request, context, encoding.EVENT_ENCODINGS):
            yield pb.EventBatch(symbol=symbol).SerializeToString() + b"".join(parts)

    async def _stream(self, request, context, encodings) -> AsyncIterator[tuple[str, list[bytes]]]:
        """Shared loop of the trade and event streams: serialised parts grouped by symbol.

        Each publication is encoded once per audience, as bytes every subscriber of that
        audience shares: admins see owner names, everyone else the anonymous encoding. A
        message is a header with the symbol followed by its parts (repeated fields
        concatenate on the wire).
        """
        try:
            admin = self.caller(context).may("admin")
        except Exception as error:
            await abort(context, error)
        name, encode = encodings[0] if admin else encodings[1]
        symbol = request.symbol or None
        if symbol is not None and symbol not in self.exchange:
            try:
                self.exchange[symbol]  # raises UnknownSymbolError, quoting the symbol briefly
            except UnknownSymbolError as error:
                await abort(context, error)
        missed: list[Published] = []
        if request.HasField("from_seq"):
            if symbol is None:
                await abort(context, InvalidCommandError("from_seq needs a symbol"))
            caught_up = await self.catch_up(self.exchange[symbol], request.from_seq)
            if caught_up is None:
                await abort(context, _gap(self.exchange[symbol], request.from_seq))
            missed = caught_up
        subscription: Subscription = self.hub.subscribe(symbol)  # in the same step as catch_up
        # Headers now tell the client it is subscribed, before the first trade or event.
        await context.send_initial_metadata(())
        try:
            for chunk in encoding.chunks(missed, name, encode):
                if chunk.count:
                    yield chunk.symbol, chunk.parts
            while (items := await subscription.next_items()) is not None:
                if subscription.overflowed:
                    await context.abort(
                        grpc.StatusCode.RESOURCE_EXHAUSTED,
                        f"subscriber fell more than {subscription.queue_size} batches behind; "
                        "resubscribe (and resynchronise from a snapshot)",
                    )
                for chunk in encoding.chunks(items, name, encode):
                    if chunk.count:
                        yield chunk.symbol, chunk.parts
        finally:
            self.hub.unsubscribe(subscription)


def delta_messages(items: Iterable[Published], last_seq: int) -> Iterator[tuple[bytes, int]]:
    """Serialised BookUpdate messages of the deltas in ``items``, for a subscriber whose book
    is at ``last_seq``, each with the seq of the book after it.

    Each publication is encoded once, as bytes shared by every subscriber, in segments of
    whole command batches; a message joins segments up to ``encoding.MAX_ITEMS_PER_MESSAGE``
    deltas.
    """
    parts: list[bytes] = []
    count, seq = 0, last_seq
    for item in items:
        for n, segment_seq, data in item.encoded("deltas", encoding.delta_segments):
            if parts and count + n > encoding.MAX_ITEMS_PER_MESSAGE:
                yield codec.book_update_bytes(last_seq, seq, parts), seq
                last_seq, parts, count = seq, [], 0
            parts.append(data)
            count += n
            seq = segment_seq
        seq = item.seq
    if parts:
        yield codec.book_update_bytes(last_seq, seq, parts), seq


def _gap(book: OrderBook, from_seq: int) -> StreamGapError:
    return StreamGapError(
        f"cannot resume {book.symbol} after seq {from_seq} (the book is at seq {book.seq} and "
        "the events in between are no longer held); subscribe again without from_seq and "
        "resynchronise from a snapshot"
    )
