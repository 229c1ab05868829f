"""The market-data replica: ``python -m marketsim.server.replica``, started by the market.

It reads its standard input (see ``marketsim.server.feed``): how to serve, the market's
state, then one record per command the market applied, each message prefixed with its length.
It replays each record as recovery does, publishes the events to its own hub and serves
GetBook and the book, trade and event streams on a port of the market's host, which it
prints on standard output (``port N``) once it listens. It exits when its input ends: the
market stopped, died, or replaced it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import pickle
import sys
from pathlib import Path
from typing import Any

import grpc

from marketsim._gc import tune_for_serving
from marketsim.core import Exchange
from marketsim.core.events import Event
from marketsim.journal import records
from marketsim.server.app import start_grpc_server
from marketsim.server.auth import Gate
from marketsim.server.encoding import MAX_ITEMS_PER_MESSAGE
from marketsim.server.feed import LENGTH
from marketsim.server.hub import Hub
from marketsim.server.market_data import MarketDataStreams, no_history
from marketsim.server.participants import Participant
from marketsim.server.sequencer import Sequencer
from marketsim.wire.v1 import market_pb2_grpc as pb_grpc

log = logging.getLogger(__name__)

#: Seconds a stream asking for a seq the replica has not reached yet waits for it.
CATCH_UP_WAIT = 5.0
#: How much less CPU priority the replica takes than the market (``os.nice``): when the
#: cores are busy, order entry goes first and the subscribers' updates come further apart.
NICENESS = 5
#: Bytes of records read from the market at a time.
READ_BYTES = 256 * 1024


class MarketDataService(MarketDataStreams, pb_grpc.MarketServiceServicer):
    """GetBook and the book, trade and event streams of a replica (other methods are not
    served here: UNIMPLEMENTED)."""

    catch_up_wait = CATCH_UP_WAIT

    def __init__(
        self, exchange: Exchange, hub: Hub, gate: Gate, journal: Path | None = None
    ) -> None:
        self.exchange = exchange
        self.hub = hub
        self.gate = gate
        self.journal = journal
        self.history = no_history if journal is None else self._journal_history

    def caller(self, context: grpc.aio.ServicerContext) -> Participant:
        return self.gate.caller(context.invocation_metadata())

    async def _journal_history(self, symbol: str, after_seq: int) -> list[Event] | None:
        """The journal's events of ``symbol`` after ``after_seq``, up to the replica's seq
        (the market has journaled more than the replica has applied)."""
        from marketsim.server.journal_audit import events_since

        loop = asyncio.get_running_loop()
        events = await loop.run_in_executor(None, events_since, self.journal, symbol, after_seq)
        if events is None:
            return None
        seq = self.exchange[symbol].seq
        return [event for event in events if event.seq <= seq]


class Publisher:
    """Replays records and publishes their events, in whole command batches per symbol of
    at most ``MAX_ITEMS_PER_MESSAGE`` events (as the market's service does)."""

    def __init__(self, sequencer: Sequencer, hub: Hub) -> None:
        self.sequencer = sequencer
        self.hub = hub
        self._pending: dict[str, list[Event]] = {}

    def apply(self, payload: bytes | memoryview) -> None:
        record = records.decode(payload)
        events = self.sequencer.replay(record)
        if not events:
            return
        symbol = record.request.symbol
        batch = self._pending.setdefault(symbol, [])
        if batch and len(batch) + len(events) > MAX_ITEMS_PER_MESSAGE:
            self.hub.publish(symbol, batch)
            batch = self._pending[symbol] = []
        batch.extend(events)

    def publish(self) -> None:
        for symbol, events in self._pending.items():
            self.hub.publish(symbol, events)
        self._pending = {}


async def follow(reader: asyncio.StreamReader, publisher: Publisher) -> None:
    """Apply the records arriving on ``reader`` until it ends, publishing after each read."""
    buffer = bytearray()
    while chunk := await reader.read(READ_BYTES):
        buffer += chunk
        view = memoryview(buffer)
        offset = 0
        while len(view) - offset >= LENGTH.size:
            (size,) = LENGTH.unpack_from(view, offset)
            end = offset + LENGTH.size + size
            if end > len(view):
                break
            publisher.apply(view[offset + LENGTH.size : end])
            offset = end
        view.release()
        del buffer[:offset]
        publisher.publish()


async def read_message(reader: asyncio.StreamReader) -> bytes:
    (size,) = LENGTH.unpack(await reader.readexactly(LENGTH.size))
    return await reader.readexactly(size)


async def main() -> None:
    os.nice(NICENESS)
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader(limit=READ_BYTES)
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin.buffer)
    setup: dict[str, Any] = pickle.loads(await read_message(reader))
    sequencer = Sequencer.from_state(pickle.loads(await read_message(reader)))
    hub = Hub()
    gate = Gate(setup["roster"])
    service = MarketDataService(sequencer.exchange, hub, gate, setup["journal"])
    tune_for_serving()
    server, _, port = await start_grpc_server(
        service, gate, setup["tls"], setup["connections"], setup["host"], 0
    )
    print(f"port {port}", flush=True)
    try:
        await follow(reader, Publisher(sequencer, hub))
    finally:
        hub.close()
        await server.stop(1.0)


def _not_a_gone_subscriber(record: logging.LogRecord) -> bool:
    """False for grpc's report of a stream message that could not be sent because its
    subscriber had gone (a normal end for a stream here)."""
    return "ExecuteBatchError" not in record.getMessage()


if __name__ == "__main__":
    logging.basicConfig(format="marketsim market-data: %(levelname)s %(message)s")
    logging.getLogger("grpc._cython.cygrpc").addFilter(_not_a_gone_subscriber)
    # IncompleteReadError: the market went away before the replica was set up.
    with contextlib.suppress(asyncio.IncompleteReadError, KeyboardInterrupt):
        asyncio.run(main())
