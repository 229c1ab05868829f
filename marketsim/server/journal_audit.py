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
    return _Replayed(Path(directory), keep_events).run()


def verify(directory: str | os.PathLike) -> JournalReport:
    """Check every checksum, replay every record, and compare each snapshot with the replay.

    Corruption raises ``JournalCorruptError`` (as starting a server would); a snapshot that
    is damaged or disagrees with the journal is reported as a problem.
    """
    directory = Path(directory)
    report = JournalReport(directory / JOURNAL_FILE)
    listed = dict(snapshots.listed(directory))
    fingerprints: dict[int, str] = {}

    def after_record(record, _events) -> None:
        report.by_kind[type(record.request).__name__.removesuffix("Request")] += 1
        if replayed.sequencer.records in listed:
            fingerprints[replayed.sequencer.records] = fingerprint(replayed.sequencer)

    replayed = _Replayed(directory, keep_events=False)
    replayed.run(after_record)
    sequencer, reader = replayed.sequencer, replayed.reader
    report.size = len(reader.data)
    report.market = describe_header(replayed.header)
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


class _Replayed:
    """A journal's first ``end`` bytes (all by default), read and ready to replay into a
    fresh market: ``header``, ``reader`` and ``sequencer``."""

    def __init__(self, directory: Path, keep_events: bool, end: int | None = None) -> None:
        path = directory / JOURNAL_FILE
        with open(path, "rb") as file:
            data = file.read() if end is None else file.read(end)
        self.reader = FrameReader(data, path, JOURNAL_MAGIC)
        self._frames = iter(self.reader)
        first = next(self._frames, None)
        if first is None:
            raise JournalCorruptError(f"{path} has no header: it is empty or not a journal")
        self.header = parse_header(first[1], path)
        self.sequencer = fresh_sequencer(self.header, keep_events)

    def run(self, after_record=None) -> Sequencer:
        """Replay every record (``after_record(record, events)`` after each); the market."""
        replay_frames(self.sequencer, self.reader, self._frames, after_record)
        return self.sequencer


def events_since(
    directory: str | os.PathLike, symbol: str, after_seq: int, end: int | None = None
) -> list[Event] | None:
    """``symbol``'s events with seq above ``after_seq``, rebuilt from the journal's first
    ``end`` bytes (all by default); None if the journal never reached that seq.

    For streams that resume from further back than the server keeps in memory. It replays the
    journal from its start, so it takes as long as a restart without snapshots: call it on a
    worker thread.
    """
    found: list[Event] = []

    def collect(record, events: list[Event]) -> None:
        if getattr(record.request, "symbol", None) == symbol:
            found.extend(e for e in events if e.seq > after_seq)

    sequencer = _Replayed(Path(directory), keep_events=False, end=end).run(collect)
    book = sequencer.exchange.get(symbol)
    return None if book is None or book.seq < after_seq else found


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
