"""Market data as the streams send it: each publication encoded once, as bytes every
subscriber of an audience shares, and grouped into messages of bounded size."""

from __future__ import annotations

from collections.abc import Iterable

from marketsim.core import BookDelta, OrderBook, Trade
from marketsim.core.events import Event
from marketsim.server.hub import Published
from marketsim.wire import codec
from marketsim.wire.v1 import market_pb2 as pb

#: Most deltas (or events) one stream message carries; more are split over several messages.
MAX_ITEMS_PER_MESSAGE = 5_000


def _encode_trades(events: list[Event], anonymous: bool = False) -> tuple[int, bytes]:
    """The trades among ``events`` as a serialised ``TradeBatch`` holding only ``trades``
    (without owner names when ``anonymous``)."""
    batch = pb.TradeBatch()
    codec.append_payloads(batch.trades, events, Trade)
    if anonymous:
        codec.remove_trade_owners(batch.trades)
    return len(batch.trades), batch.SerializeToString()


def _encode_events(events: list[Event], anonymous: bool = False) -> tuple[int, bytes]:
    """``events`` as a serialised ``EventBatch`` holding only ``events`` (without owner names
    when ``anonymous``)."""
    batch = pb.EventBatch()
    codec.append_events(batch.events, events)
    if anonymous:
        codec.remove_owners(batch.events)
    return len(batch.events), batch.SerializeToString()


#: Each public stream's encodings: (name, encoder) for admins, and for everyone else.
TRADE_ENCODINGS = (
    ("trades", _encode_trades),
    ("trades-anonymous", lambda events: _encode_trades(events, anonymous=True)),
)
EVENT_ENCODINGS = (
    ("events", _encode_events),
    ("events-anonymous", lambda events: _encode_events(events, anonymous=True)),
)


def delta_segments(events: list[Event]) -> list[tuple[int, int, bytes]]:
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


class _Chunk:
    __slots__ = ("count", "parts", "symbol")

    def __init__(self, symbol: str) -> None:
        self.symbol = symbol
        self.parts: list[bytes] = []
        self.count = 0


def chunks(items: Iterable[Published], name: str, encode) -> Iterable[_Chunk]:
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
