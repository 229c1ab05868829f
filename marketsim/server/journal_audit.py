"""Reading a journal without serving it: ``verify`` checks it, ``export`` turns it into a session.

Both replay the journal from its first record into a fresh market in memory. They only read
the files, so they also work on the journal of a running server (up to what it has written).
"""

from __future__ import annotations

import os
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from marketsim.core.events import Event
from marketsim.journal import snapshots
from marketsim.journal.frames import JOURNAL_MAGIC, FrameReader, JournalCorruptError
from marketsim.server.durability import (
    JOURNAL_FILE,
    describe_header,
    fingerprint,
    fresh_sequencer,
    parse_header,
    replay_frames,
)
from marketsim.server.sequencer import Sequencer


@dataclass
class JournalReport:
    """What ``verify`` found; ``ok`` is False when something would refuse or lose data."""

    path: Path
    size: int = 0
    market: str = ""
    records: int = 0
    by_kind: Counter = field(default_factory=Counter)
    torn_bytes: int = 0
    torn_offset: int = 0
    books: dict[str, tuple[int, int]] = field(default_factory=dict)  # symbol -> (seq, orders)
    next_order_id: int = 1
    snapshots: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when the journal is intact and every snapshot agrees with it."""
        return not self.problems

    def lines(self) -> list[str]:
        """The report as text, a line per fact."""
        kinds = ", ".join(f"{kind} {n:,}" for kind, n in sorted(self.by_kind.items()))
        out = [
            f"journal    {self.path} ({self.size:,} bytes)",
            f"market     {self.market}",
            f"records    {self.records:,} ({kinds or 'none'}); every checksum verified",
        ]
        if self.torn_bytes:
            out.append(
                f"torn tail  {self.torn_bytes} bytes at offset {self.torn_offset} "
                "(a server cuts them on start)"
            )
        for symbol, (seq, orders) in self.books.items():
            out.append(f"book       {symbol}: seq 1..{seq}, {orders} resting orders")
        out.append(f"order ids  next {self.next_order_id}")
        out += [f"snapshot   {line}" for line in self.snapshots or ["none"]]
        out += [f"PROBLEM    {problem}" for problem in self.problems]
        return out


def replay_journal(directory: str | os.PathLike, keep_events: bool = True) -> Sequencer:
    """The market a journal holds, rebuilt in memory from every record."""
    sequencer, _reader = _replay(Path(directory), keep_events, {})
    return sequencer


def verify(directory: str | os.PathLike) -> JournalReport:
    """Check every checksum, replay every record, and compare each snapshot with the replay.

    Corruption raises ``JournalCorruptError`` (as starting a server would); a snapshot that
    is damaged or disagrees with the journal is reported as a problem.
    """
    directory = Path(directory)
    report = JournalReport(directory / JOURNAL_FILE)
    listed = dict(snapshots.listed(directory))
    fingerprints: dict[int, str] = {}
    sequencer, reader = _replay(directory, False, fingerprints, listed, report.by_kind)
    report.size = len(reader.data)
    report.market = describe_header(parse_header(_header_payload(reader), report.path))
    report.records = sequencer.records
    report.torn_bytes, report.torn_offset = reader.torn_bytes, reader.end
    for symbol, book in sequencer.exchange.items():
        report.books[symbol] = (book.seq, len(book.engine.book.orders))
    report.next_order_id = sequencer.exchange._order_ids.next_id
    for records_at, path in sorted(listed.items()):
        try:
            _offset, state = snapshots.read(path)
        except JournalCorruptError as error:
            report.problems.append(f"{path.name} is damaged ({error}); a server skips it")
            continue
        expected = fingerprints.get(records_at)
        if expected is None:
            report.problems.append(f"{path.name} is beyond the journal's {report.records} records")
        elif fingerprint(Sequencer.from_state(state)) != expected:
            report.problems.append(f"{path.name} disagrees with the journal's replay")
        else:
            report.snapshots.append(f"{path.name}: intact, equal to the replay at that record")
    return report


def _replay(
    directory: Path,
    keep_events: bool,
    fingerprints: dict[int, str],
    snapshot_points: dict[int, Path] | None = None,
    by_kind: Counter | None = None,
) -> tuple[Sequencer, FrameReader]:
    path = directory / JOURNAL_FILE
    reader = FrameReader(path.read_bytes(), path, JOURNAL_MAGIC)
    frames = iter(reader)
    first = next(frames, None)
    if first is None:
        raise JournalCorruptError(f"{path} has no header: it is empty or not a journal")
    sequencer = fresh_sequencer(parse_header(first[1], path), keep_events)
    points = snapshot_points or {}

    def after_record(record, _events) -> None:
        if by_kind is not None:
            by_kind[type(record.request).__name__.removesuffix("Request")] += 1
        if sequencer.records in points:
            fingerprints[sequencer.records] = fingerprint(sequencer)

    replay_frames(sequencer, reader, frames, after_record)
    return sequencer, reader


def events_since(
    directory: str | os.PathLike, symbol: str, after_seq: int, end: int | None = None
) -> list[Event] | None:
    """``symbol``'s events with seq above ``after_seq``, rebuilt from the journal's first
    ``end`` bytes (all by default); None if the journal never reached that seq.

    For streams that resume from further back than the server keeps in memory. It replays the
    journal from its start, so it takes as long as a restart without snapshots: call it on a
    worker thread.
    """
    path = Path(directory) / JOURNAL_FILE
    with open(path, "rb") as file:
        data = file.read() if end is None else file.read(end)
    reader = FrameReader(data, path, JOURNAL_MAGIC)
    frames = iter(reader)
    first = next(frames, None)
    if first is None:
        return None
    sequencer = fresh_sequencer(parse_header(first[1], path), keep_events=False)
    found: list[Event] = []

    def collect(record, events: list[Event]) -> None:
        if getattr(record.request, "symbol", None) == symbol:
            found.extend(e for e in events if e.seq > after_seq)

    replay_frames(sequencer, reader, frames, collect)
    book = sequencer.exchange.get(symbol)
    return None if book is None or book.seq < after_seq else found


def _header_payload(reader: FrameReader) -> memoryview:
    return next(iter(FrameReader(reader.data, reader.path, JOURNAL_MAGIC)))[1]


def export(directory: str | os.PathLike, out: str | os.PathLike, symbol: str | None = None) -> Path:
    """Write one instrument's events, as replayed from the journal, to a session file.

    ``symbol`` may be left out when the journal lists a single instrument. ``load_session``
    reads the file.
    """
    from marketsim.data.sessions import save_session  # pandas and pyarrow only when exporting

    sequencer = replay_journal(directory)
    symbols = list(sequencer.exchange)
    if symbol is None:
        if len(symbols) != 1:
            raise ValueError(f"the journal lists {', '.join(symbols)}; choose one with --symbol")
        symbol = symbols[0]
    book = sequencer.exchange[symbol]
    return save_session(book, out, info={"journal": str(Path(directory).resolve())})
