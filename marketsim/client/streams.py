"""The market-data streams of ``AsyncMarketClient``: book, trades, events and recordings.

Every stream here reconnects by itself when it breaks and resumes where it left off (see
``marketsim.client.reconnect``); ``AsyncMarketClient`` mixes these methods in.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import aclosing
from typing import Any

from marketsim.client.reconnect import Reconnect, follow
from marketsim.client.recorder import Recorder
from marketsim.client.views import BookSnapshot, BookUpdate, EventBatch, LocalBook
from marketsim.core import Fill, Instrument
from marketsim.core.events import BookDelta, Event
from marketsim.errors import MarketUnavailableError
from marketsim.wire import codec
from marketsim.wire.v1 import market_pb2 as pb
from marketsim.wire.v1 import market_pb2_grpc as pb_grpc

log = logging.getLogger("marketsim.client")


class ClientStreams:
    """``stream_book``, ``stream_trades``, ``stream_events`` and ``record`` (mixed into
    ``AsyncMarketClient``, which provides the stub, the call metadata, ``book`` and
    ``instrument``)."""

    reconnect: Reconnect | None
    resyncs: int
    timeout: float
    _closes: int
    _metadata: tuple[tuple[str, str], ...]
    stub: pb_grpc.MarketServiceStub
    market_data_stub: Callable[[], Awaitable[pb_grpc.MarketServiceStub]]
    book: Callable[..., Awaitable[BookSnapshot]]
    instrument: Callable[[str], Awaitable[Instrument]]

    def _follow(
        self,
        method: str,
        symbol: str | None,
        request_for: Any,
        resume_from: Any,
        **options: Any,
    ) -> AsyncIterator[Any]:
        """``reconnect.follow`` over ``method`` of the market-data stub (each reconnection asks
        the server anew where its market data is served): ``request_for(from_seq)`` builds the
        request. Streams stop reconnecting once the client is closed."""
        closes = self._closes

        async def open_call(from_seq: int | None) -> Any:
            if self._closes != closes:
                raise MarketUnavailableError("the client was closed")
            request = request_for(from_seq)
            if from_seq is not None:
                request.from_seq = from_seq
            stub = await self.market_data_stub()
            return getattr(stub, method)(request, metadata=self._metadata)

        name = method.removeprefix("Stream").lower()
        return follow(open_call, resume_from, self.reconnect, name, symbol, **options)

    async def _position(self, symbol: str | None) -> int | None:
        """Where a new stream of ``symbol`` may resume from if it breaks before its first
        event: the book's seq, read before subscribing (events up to it are not wanted, and
        any later one that arrives twice is dropped by seq)."""
        if symbol is None or self.reconnect is None:
            return None
        return (await self.book(symbol, depth=1)).seq

    async def stream_book(
        self, symbol: str, *, max_updates_per_second: int = 0
    ) -> AsyncIterator[BookUpdate]:
        """The live book: a snapshot, then deltas, each already applied to ``update.book``.

        The client keeps every level (deltas arrive for all of them, so a copy cut to the top
        levels could not tell which level moves up when the best one goes); take the top N
        with ``update.book.snapshot(N)`` or ``update.book.level_ticks(side, N)``. When the
        stream breaks it reconnects and resumes with the deltas it missed (see ``Reconnect``);
        if those are gone, or the stream ever skips, a fresh snapshot replaces the book
        (counted in ``self.resyncs`` and logged).

        ``max_updates_per_second`` caps the updates (0: as many as the server sends); the
        changes in between arrive together in the next update, so the book stays exact. The
        server also shares a budget of updates among all of a book's subscribers.
        """
        if max_updates_per_second < 0:
            raise ValueError(f"max_updates_per_second must be >= 0, got {max_updates_per_second}")
        book: LocalBook | None = None

        def position() -> int | None:
            return None if book is None else book.seq

        while True:
            messages = self._follow(
                "StreamBook",
                symbol,
                lambda _: pb.StreamBookRequest(
                    symbol=symbol, max_updates_per_second=max_updates_per_second
                ),
                position,
            )
            async with aclosing(messages):  # type: ignore[type-var]
                async for message in messages:
                    if message.HasField("snapshot"):
                        if book is not None:
                            self.resyncs += 1
                            log.warning("book of %s resynchronised from a snapshot", symbol)
                        book = LocalBook(BookSnapshot.from_proto(message.snapshot))
                        yield BookUpdate("snapshot", book.seq, book)
                        continue
                    update = message.deltas
                    if book is None or update.prev_seq != book.seq:
                        book = None  # start again from a snapshot
                        self.resyncs += 1
                        break
                    deltas: list[BookDelta] = codec.events_from_proto(update.deltas)  # type: ignore[assignment]
                    book.apply(deltas, update.seq)
                    yield BookUpdate("deltas", update.seq, book, deltas)
                else:
                    return  # the server ended the stream and reconnecting is off

    async def stream_trades(self, symbol: str | None = None) -> AsyncIterator[Fill]:
        """Trades as they happen, of one instrument or (``None``) of all.

        A stream of one instrument reconnects and resumes after the last trade it delivered;
        a stream of all instruments reconnects too, but may miss the trades made meanwhile.
        """
        decode = lambda trades: [codec.event_from_proto(t) for t in trades]  # noqa: E731
        async for batch_symbol, trades in self._resumed("StreamTrades", symbol, "trades", decode):
            instrument = await self.instrument(batch_symbol)
            for trade in trades:
                yield Fill.from_event(trade, instrument)  # type: ignore[arg-type]

    async def _count_resync(self) -> None:
        self.resyncs += 1

    async def record(self, symbol: str, *, max_events: int | None = None) -> Recorder:
        """Start recording ``symbol``'s events in the background; see ``Recorder``.

        The recording runs on the calling event loop until ``rec.stop()`` or ``close()``. It
        goes on across reconnections without losing or repeating an event; if the server can
        no longer supply the missed events, it starts again from a fresh snapshot (see
        ``Recorder.gaps``).
        """
        instrument = await self.instrument(symbol)
        stub = await self.market_data_stub()
        call = stub.StreamEvents(pb.StreamEventsRequest(symbol=symbol), metadata=self._metadata)
        try:
            # The server sends headers once subscribed: a snapshot taken after that is covered
            # (a market-data process lags the market: the snapshot, from the market, is never
            # older than the stream, and the events it already holds are skipped by seq).
            await asyncio.wait_for(call.initial_metadata(), self.timeout)
            start = await self.book(symbol, depth=0)
        except BaseException:
            call.cancel()
            raise
        recorder = Recorder(instrument, start, max_events)

        async def resync() -> None:
            self.resyncs += 1
            recorder.resync(await self.book(symbol, depth=0))

        messages = self._follow(
            "StreamEvents",
            symbol,
            lambda _: pb.StreamEventsRequest(symbol=symbol),
            lambda: recorder.seq,
            call=call,
            on_gap=resync,
        )
        recorder.begin(messages, codec.events_from_proto)
        return recorder

    async def stream_events(self, symbol: str | None = None) -> AsyncIterator[EventBatch]:
        """Every engine event, in batches of one instrument, of one instrument or all.

        Reconnects like ``stream_trades``: a stream of one instrument resumes with no event
        lost or repeated.
        """
        stream = self._resumed("StreamEvents", symbol, "events", codec.events_from_proto)
        async for batch_symbol, events in stream:
            yield EventBatch(batch_symbol, events)

    async def _resumed(
        self, method: str, symbol: str | None, field: str, decode: Any
    ) -> AsyncIterator[tuple[str, list[Event]]]:
        """``(symbol, events)`` of each message of a trade or event stream (``decode`` of its
        ``field``), across reconnections; events sent again after one are dropped."""
        last_seq = await self._position(symbol)
        request_class = getattr(pb, f"{method}Request")
        messages = self._follow(
            method,
            symbol,
            lambda _: request_class(symbol=symbol or ""),
            lambda: last_seq,
            on_gap=self._count_resync,
        )
        async with aclosing(messages):  # type: ignore[type-var]
            async for message in messages:
                events = decode(getattr(message, field))
                if symbol is not None and events:
                    if last_seq is not None and events[0].seq <= last_seq:
                        events = [e for e in events if e.seq > last_seq]
                        if not events:
                            continue
                    last_seq = events[-1].seq
                yield message.symbol, events
