"""Durable markets: a journal directory opened, recovered, appended to and snapshotted.

A journal directory holds ``journal.msj`` (a header naming the market, then one record per
accepted command) and up to two ``snapshot-<records>.mss`` files. Opening it recovers the
market: the newest intact snapshot is loaded and the records after it are replayed through a
``Sequencer``, the same code that applied them the first time. A torn final record is cut
with a warning; any other damage refuses to start (see ``marketsim.journal.frames``).

One server at a time: the journal file is locked while a server has it open.
"""

from __future__ import annotations

import asyncio
import fcntl
import hashlib
import logging
import os
import time
from collections import deque
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

from google.protobuf.message import DecodeError, Message

from marketsim.core import Exchange
from marketsim.core.events import Event
from marketsim.core.ledger import Fees, Ledger
from marketsim.core.types import Instrument
from marketsim.errors import InvalidCommandError, MarketsimError
from marketsim.journal import records, snapshots
from marketsim.journal.frames import JOURNAL_MAGIC, FrameReader, JournalCorruptError, frame
from marketsim.journal.writer import (
    DEFAULT_FSYNC_INTERVAL,
    FsyncPolicy,
    JournalUnavailableError,
    JournalWriter,
)
from marketsim.server.sequencer import Sequencer
from marketsim.wire import codec
from marketsim.wire.v1 import journal_pb2 as jpb

log = logging.getLogger(__name__)

JOURNAL_FILE = "journal.msj"
#: Records between snapshots: restart replays at most about this many.
DEFAULT_SNAPSHOT_EVERY = 100_000


class JournalMismatchError(InvalidCommandError):
    """A journal belongs to a market with other instruments or settings."""


class JournalInUseError(MarketsimError):
    """Another server has the journal open."""


@dataclass
class Recovery:
    """What opening a journal found and did."""

    records: int = 0  # records in the journal (so, in the recovered market)
    replayed: int = 0  # of which replayed (the rest came from the snapshot)
    snapshot: Path | None = None
    torn_bytes: int = 0
    seconds: float = 0.0
    warnings: list[str] = field(default_factory=list)

    def summary(self) -> str:
        """One line for the server's log."""
        source = f"snapshot {self.snapshot.name} + " if self.snapshot else ""
        return (
            f"recovered {self.records:,} journal records ({source}{self.replayed:,} replayed) "
            f"in {self.seconds:.2f} s"
        )


@dataclass
class Journal:
    """An open journal directory: its recovered ``sequencer`` (with the writer attached)."""

    directory: Path
    sequencer: Sequencer
    writer: JournalWriter
    recovery: Recovery
    snapshot_every: int = DEFAULT_SNAPSHOT_EVERY
    _snapshot_records: int = 0
    _snapshotting: asyncio.Future | None = None
    #: True once ``close`` has run.
    closed: bool = False

    def start(self) -> None:
        """Start background work (the "batch" fsync) on the running loop."""
        self.writer.start()

    def after_commands(self) -> None:
        """Take a snapshot if enough records came since the last one (call on the loop).

        The state is pickled here, between two commands, so it is consistent; the journal
        fsync and the file writing run on a worker thread.
        """
        records_now = self.sequencer.records
        if (
            records_now - self._snapshot_records < self.snapshot_every
            or self._snapshotting is not None
            or self.writer.failure is not None
        ):
            return
        data = snapshots.encode(self.sequencer.state(), self.writer.size)
        self._snapshot_records = records_now
        loop = asyncio.get_running_loop()
        self._snapshotting = loop.run_in_executor(None, self._write_snapshot, records_now, data)
        self._snapshotting.add_done_callback(self._snapshot_done)

    def _write_snapshot(self, records_now: int, data: bytes) -> Path:
        # The records a snapshot stands for must be on disk before it is: a power loss must
        # not leave a snapshot ahead of its journal.
        os.fsync(self.writer.fd)
        return snapshots.write(self.directory, records_now, data)

    def _snapshot_done(self, future: asyncio.Future) -> None:
        self._snapshotting = None
        if future.cancelled():
            return
        error = future.exception()
        if error is not None:  # the journal alone still recovers everything
            log.warning("could not write a snapshot (%s); the journal is intact", error)

    async def history(self, symbol: str, after_seq: int) -> list[Event] | None:
        """``symbol``'s events with seq above ``after_seq`` as far as the journal has them
        now, replayed on a worker thread (see ``journal_audit.events_since``); None if the
        market never reached that seq."""
        from marketsim.server.journal_audit import events_since  # it builds on this module

        end = self.writer.size
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(
            None, events_since, self.directory, symbol, after_seq, end
        )

    async def close(self) -> None:
        """Finish a snapshot being written, sync and close the journal."""
        self.closed = True
        if self._snapshotting is not None:
            await asyncio.wait([self._snapshotting])
        await self.writer.close()


def open_journal(
    directory: str | os.PathLike,
    instruments: Sequence[Instrument] | None = None,
    fees: Mapping[str, object] | None = None,
    *,
    fsync: FsyncPolicy = "batch",
    fsync_interval: float = DEFAULT_FSYNC_INTERVAL,
    snapshot_every: int = DEFAULT_SNAPSHOT_EVERY,
    keep_events: bool = True,
) -> Journal:
    """Open (creating if needed) the journal in ``directory`` and recover its market.

    ``instruments`` and ``fees`` describe the market; a new journal records them, an existing
    one must have been made for the same ones (``JournalMismatchError`` otherwise). With
    ``instruments=None`` an existing journal's own are used. ``keep_events`` is passed to the
    recovered ``Exchange``.
    """
    if snapshot_every < 1:
        raise InvalidCommandError(f"snapshot_every must be at least 1, got {snapshot_every}")
    directory = Path(directory)
    path = directory / JOURNAL_FILE
    try:
        directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    except OSError as error:
        raise JournalUnavailableError(
            f"cannot open the journal {path} for writing ({error.strerror or error})"
        ) from None
    try:
        _lock(fd, path)
        started = time.perf_counter()
        sequencer, recovery = _recover(fd, path, directory, instruments, fees, keep_events)
        recovery.seconds = time.perf_counter() - started
        writer = JournalWriter(fd, fsync, fsync_interval)
    except BaseException:
        os.close(fd)
        raise
    sequencer.journal = writer
    for warning in recovery.warnings:
        log.warning("%s", warning)
    log.info("%s", recovery.summary())
    return Journal(
        directory, sequencer, writer, recovery, snapshot_every, _snapshot_records=recovery.records
    )


def _lock(fd: int, path: Path) -> None:
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        raise JournalInUseError(
            f"{path} is in use by another marketsim server; stop it first"
        ) from None


def _recover(
    fd: int,
    path: Path,
    directory: Path,
    instruments: Sequence[Instrument] | None,
    fees: Mapping[str, object] | None,
    keep_events: bool,
) -> tuple[Sequencer, Recovery]:
    data = _read_all(fd)
    reader = FrameReader(data, path, JOURNAL_MAGIC)
    frames = iter(reader)
    first = next(frames, None)
    recovery = Recovery()
    if first is None:  # a new journal (or one torn before its header was complete)
        if instruments is None:
            raise JournalMismatchError(
                f"{directory} holds no journal yet, so the market's instruments must be given"
            )
        header = _header(instruments, fees)
        _write_new(fd, directory, header)
        return fresh_sequencer(header, keep_events), recovery
    header = parse_header(first[1], path)
    if instruments is not None:
        _check_same_market(header, _header(instruments, fees), directory)
    sequencer, start = _from_snapshot(directory, len(data), recovery) or (
        fresh_sequencer(header, keep_events),
        0,
    )
    recovery.replayed = replay_frames(sequencer, reader, frames, start=start)
    recovery.records = sequencer.records
    if reader.torn_bytes:
        recovery.torn_bytes = reader.torn_bytes
        recovery.warnings.append(
            f"{path}: cut a torn final record ({reader.torn_bytes} bytes at offset "
            f"{reader.end}), left by a crash during a write; it was never acknowledged"
        )
        os.ftruncate(fd, reader.end)
    return sequencer, recovery


def _read_all(fd: int) -> bytes:
    size = os.fstat(fd).st_size
    chunks, read = [], 0
    while read < size:
        chunk = os.pread(fd, size - read, read)
        if not chunk:
            break
        chunks.append(chunk)
        read += len(chunk)
    return b"".join(chunks)


def _header(
    instruments: Sequence[Instrument], fees: Mapping[str, object] | None
) -> jpb.JournalHeader:
    fees = fees or {}
    return jpb.JournalHeader(
        format=records.FORMAT,
        instruments=[
            codec.instrument_to_proto(i, Fees.of(fees.get(i.symbol))) for i in instruments
        ],  # type: ignore[arg-type]
        created_ns=time.time_ns(),
    )


def _write_new(fd: int, directory: Path, header: jpb.JournalHeader) -> None:
    os.ftruncate(fd, 0)
    data = JOURNAL_MAGIC + frame(header.SerializeToString())
    os.pwrite(fd, data, 0)
    os.fsync(fd)
    os.lseek(fd, len(data), os.SEEK_SET)
    snapshots.sync_directory(directory)


def parse_header(payload: memoryview, path: Path) -> jpb.JournalHeader:
    try:
        header = jpb.JournalHeader.FromString(payload)
    except DecodeError:
        raise JournalCorruptError(f"{path} has an unreadable header") from None
    if header.format != records.FORMAT:
        raise JournalMismatchError(
            f"{path} is in journal format {header.format}; this marketsim reads format "
            f"{records.FORMAT}"
        )
    return header


def describe_header(header: jpb.JournalHeader) -> str:
    parts = []
    for i in header.instruments:
        fees = f", fees {i.maker_fee}/{i.taker_fee}" if i.maker_fee or i.taker_fee else ""
        parts.append(f"{i.symbol} (tick {i.tick_size}, lot {i.lot_size}{fees})")
    return ", ".join(parts)


def _check_same_market(
    found: jpb.JournalHeader, wanted: jpb.JournalHeader, directory: Path
) -> None:
    if list(found.instruments) != list(wanted.instruments):
        raise JournalMismatchError(
            f"the journal in {directory} was made for {describe_header(found)}, but this server "
            f"lists {describe_header(wanted)}; start it with the journal's instruments and fees "
            "(or none, to take them from the journal), or use another directory"
        )


def fresh_sequencer(header: jpb.JournalHeader, keep_events: bool) -> Sequencer:
    instruments = [codec.instrument_from_proto(i) for i in header.instruments]
    fees = {i.symbol: codec.fees_from_proto(i) for i in header.instruments}
    exchange = Exchange({i.symbol: i for i in instruments}, keep_events=keep_events)
    return Sequencer(exchange, Ledger(instruments, fees))


def _from_snapshot(
    directory: Path, journal_end: int, recovery: Recovery
) -> tuple[Sequencer, int] | None:
    """The newest usable snapshot's sequencer and journal offset, or None."""
    for _records, path in snapshots.listed(directory):
        try:
            offset, state = snapshots.read(path)
        except (JournalCorruptError, OSError) as error:
            recovery.warnings.append(f"skipped snapshot {path.name}: {error}")
            continue
        if offset > journal_end:
            recovery.warnings.append(
                f"skipped snapshot {path.name}: it is ahead of the journal's intact end"
            )
            continue
        recovery.snapshot = path
        return Sequencer.from_state(state), offset
    return None


def replay_frames(
    sequencer: Sequencer,
    reader: FrameReader,
    frames: Iterator[tuple[int, memoryview]],
    after_record: Callable[[records.Record, list[Event]], None] | None = None,
    start: int = 0,
) -> int:
    """Replay the journal records that ``frames`` (an iterator over ``reader``, past the
    header) yields from byte offset ``start``; return how many. ``after_record(record,
    events)`` is called after each one.

    ``start`` (a snapshot's position) must be where a record begins, or the journal's end.
    """
    replayed = 0
    landed = start == 0
    for offset, payload in frames:
        if offset < start:
            continue
        if not landed and offset != start:
            break
        landed = True
        try:
            record = records.decode(payload)
        except (DecodeError, ValueError):
            raise JournalCorruptError(
                f"{reader.path} holds an unreadable record at byte offset {offset} (its "
                "checksum is right, so it was written that way: a bug, or another file)"
            ) from None
        events = sequencer.replay(record)
        replayed += 1
        if after_record is not None:
            after_record(record, events)
    if not landed:
        for _ in frames:  # read on, so the reader knows where its intact part ends
            pass
        if start != reader.end:
            raise JournalCorruptError(
                f"a snapshot stands for journal offset {start}, which is not the end of a "
                f"record of {reader.path}; move the snapshots away to recover from the journal"
            )
    return replayed


def fingerprint(sequencer: Sequencer) -> str:
    """A digest of the market's whole state: books, counters, accounts, idempotency keys.

    Two markets with the same fingerprint are the same market. It compares values, not
    object identity, so a recovered market matches the one that was running.
    """
    state = sequencer.state()
    return hashlib.sha256(repr(_structure(state)).encode()).hexdigest()


#: Attributes that record the past rather than decide the future (a book's optional event
#: log): markets that differ only there are the same market.
_HISTORY = frozenset({"_events"})


def _structure(value: object) -> object:
    """``value`` as nested tuples of plain values (the objects' slots and attributes)."""
    if value is None or isinstance(value, int | float | str | bytes | Decimal | Fraction):
        return value
    if isinstance(value, Message):
        return value.SerializeToString(deterministic=True)
    if isinstance(value, Mapping):
        return tuple((_structure(k), _structure(v)) for k, v in value.items())
    if isinstance(value, list | tuple | deque | set | frozenset):
        items = sorted(value, key=repr) if isinstance(value, set | frozenset) else value
        return tuple(_structure(v) for v in items)
    if callable(value) and hasattr(value, "__self__"):  # a bound counter: its state
        return repr(value.__self__)
    names = [n for cls in type(value).__mro__ for n in getattr(cls, "__slots__", ())]
    names += list(getattr(value, "__dict__", {}))
    names = [n for n in names if n not in _HISTORY]
    return (type(value).__name__, tuple((n, _structure(getattr(value, n, None))) for n in names))
