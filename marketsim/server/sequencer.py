"""The sequencer: the market's single writer, and the one place commands change state.

Every state-changing command the service accepts goes through here in order: it is written to
the journal (when the market has one), then applied to the exchange and the ledger, and the
acknowledgement is filled in. Recovery feeds the journal's records through the same methods
(without writing them again), which is why a recovered market is the market that crashed:
same books, seqs, order ids, accounts and idempotency keys.

A ``feed`` (the market-data process, see ``marketsim.server.feed``) receives every record
too, once it is journaled, and replays it on a replica of the market.

The checks that depend on the moment or on configuration (the rate limit, the risk limits)
happen before, in the service and gateway; the risk decision is journaled with the command,
so replay does not depend on limits that may have changed since.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Any, Protocol

from marketsim.core import Exchange, OrderBook, OrderResult, SetPhase
from marketsim.core.commands import Command, SubmitOrder
from marketsim.core.events import Event, OrderRejected
from marketsim.core.ledger import Ledger
from marketsim.errors import MarketsimError
from marketsim.journal import records
from marketsim.journal.writer import JournalWriter
from marketsim.wire import codec
from marketsim.wire.v1 import market_pb2 as pb

#: How many (owner, client_order_id) acks are remembered for idempotent retries, and how many
#: bytes they may take in all (the oldest are forgotten first).
IDEMPOTENCY_MEMORY = 100_000
IDEMPOTENCY_BYTES = 64 * 1024 * 1024


class RecordFeed(Protocol):
    """Where the sequencer also sends every record: it must never block nor raise."""

    def send(self, record: bytes) -> None: ...


class Sequencer:
    """Applies accepted commands to ``exchange`` and ``ledger``, journaling each first."""

    def __init__(
        self, exchange: Exchange, ledger: Ledger, journal: JournalWriter | None = None
    ) -> None:
        self.exchange = exchange
        self.ledger = ledger
        self.journal = journal
        #: Where records also go once journaled (None: nowhere).
        self.feed: RecordFeed | None = None
        #: Records applied so far (journaled or replayed): a position in the journal.
        self.records = 0
        self._acks_by_client_id: OrderedDict[tuple[str, str], pb.OrderAck] = OrderedDict()
        self._remembered_bytes = 0

    # -- order entry ------------------------------------------------------------------------

    def cached_ack(self, owner: str, client_order_id: str) -> pb.OrderAck | None:
        """The ack of an earlier command with this idempotency key, if remembered."""
        return self._acks_by_client_id.get((owner, client_order_id))

    def order(
        self,
        request: Any,
        command: Command,
        ts_event: int,
        risk_reason: str | None,
        ack: pb.OrderAck | None,
    ) -> tuple[OrderBook, list[Event]]:
        """Journal and apply one order-entry ``request`` (decoded into ``command``).

        ``risk_reason`` is set when the risk checks refused it: the book never sees it and
        ``ack`` gets the rejection. ``ack`` (None: not wanted) is filled in place; it is
        remembered under the request's client_order_id, if any. Raises the engine's error
        (state untouched) or ``JournalUnavailableError`` (nothing applied).
        """
        book = self.exchange[request.symbol]
        self._log(ts_event, command.owner or "", request, risk_reason or "")
        if risk_reason:
            events: list[Event] = []
            if ack is not None:
                _fill_risk_rejection(ack, command, risk_reason, ts_event)
        elif ack is None:  # nobody reads an OrderResult (recovery): skip building one
            events = book.apply(command, ts_event)
            self.ledger.apply(book.symbol, events)
        else:
            result = book.execute(command, ts_event)
            events = result.events
            self.ledger.apply(book.symbol, events)
            _fill_ack(ack, result)
        client_order_id = getattr(request, "client_order_id", "")
        if client_order_id and ack is not None:
            ack.client_order_id = client_order_id
            remembered = pb.OrderAck()
            remembered.CopyFrom(ack)
            self._remember(command.owner or "", client_order_id, remembered)
        return book, events

    def _remember(self, owner: str, client_order_id: str, ack: pb.OrderAck) -> None:
        acks = self._acks_by_client_id
        acks[owner, client_order_id] = ack
        self._remembered_bytes += ack.ByteSize()
        while len(acks) > IDEMPOTENCY_MEMORY or self._remembered_bytes > IDEMPOTENCY_BYTES:
            self._remembered_bytes -= acks.popitem(last=False)[1].ByteSize()

    # -- administration ---------------------------------------------------------------------

    def set_phase(
        self, request: pb.SetPhaseRequest, ts_event: int
    ) -> tuple[OrderBook, list[Event]]:
        """Journal and apply a phase change; the uncross it may run is booked by the ledger."""
        book = self.exchange[request.symbol]
        command = SetPhase(request.phase[:40])  # type: ignore[arg-type]
        self._log(ts_event, "", request)
        events = book.apply(command, ts_event)
        self.ledger.apply(book.symbol, events)
        return book, events

    def add_instrument(self, request: pb.AddInstrumentRequest) -> OrderBook:
        """Validate, journal and list a new instrument with its fees."""
        instrument = codec.instrument_from_proto(request)
        fees = codec.fees_from_proto(request)
        if instrument.symbol in self.exchange:
            self.exchange.add_instrument(instrument)  # raises DuplicateSymbolError
        self._log(0, "", request)
        book = self.exchange.add_instrument(instrument)
        self.ledger.add_instrument(instrument, fees)
        return book

    def _log(self, ts_event: int, owner: str, request: Any, risk_reason: str = "") -> None:
        """Journal a command's record (raises ``JournalUnavailableError`` if it cannot be
        written: then nothing is applied), hand it to the feed, and count it."""
        if self.journal is not None or self.feed is not None:
            record = records.encode(ts_event, owner, request, risk_reason)
            if self.journal is not None:
                self.journal.append(record)
            if self.feed is not None:
                self.feed.send(record)
        self.records += 1

    # -- recovery -----------------------------------------------------------------------------

    def replay(self, record: records.Record) -> list[Event]:
        """Apply a journaled record again, without journaling it; return its events.

        A command that failed when it was first applied fails again, the same way, and again
        changes nothing; its error is dropped here as it was sent to its caller then.
        """
        request = record.request
        try:
            if type(request) is pb.SetPhaseRequest:
                return self.set_phase(request, record.ts_event)[1]
            if type(request) is pb.AddInstrumentRequest:
                self.add_instrument(request)
                return []
            command = codec.command_from_proto(request, record.owner)
            ack = pb.OrderAck() if getattr(request, "client_order_id", "") else None
            return self.order(request, command, record.ts_event, record.risk_reason or None, ack)[1]
        except MarketsimError:
            return []  # counted in self.records all the same: the record is in the journal

    # -- snapshots ------------------------------------------------------------------------------

    def state(self) -> dict[str, Any]:
        """Everything a snapshot must hold to stand in for replaying the records so far."""
        return {
            "records": self.records,
            "exchange": self.exchange,
            "ledger": self.ledger,
            "acks": self._acks_by_client_id,
            "remembered_bytes": self._remembered_bytes,
        }

    @classmethod
    def from_state(cls, state: dict[str, Any]) -> Sequencer:
        """A sequencer holding a snapshot's ``state()`` (no journal attached yet)."""
        sequencer = cls(state["exchange"], state["ledger"])
        sequencer.records = state["records"]
        sequencer._acks_by_client_id = state["acks"]
        sequencer._remembered_bytes = state["remembered_bytes"]
        return sequencer


def _fill_ack(ack: pb.OrderAck, result: OrderResult) -> None:
    ack.order_id = result.order_id
    ack.status = codec.ORDER_STATUS.to_proto[result.status]
    if result.reason:
        ack.reason = result.reason
    ack.filled_lots = result.filled_lots
    ack.leaves_lots = result.leaves_lots
    codec.append_events(ack.events, result.events)


def _fill_risk_rejection(ack: pb.OrderAck, command: Command, reason: str, ts_event: int) -> None:
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
        ack.order_id = command.order_id  # type: ignore[union-attr]
