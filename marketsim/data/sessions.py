"""Session files: any session's engine events, saved losslessly as Parquet and loaded back.

    from marketsim.data import save_session, load_session

    save_session(result, "zi.parquet")        # a SimulationResult, Recorder, lobster
                                              # ReplayResult, OrderBook or EventLog
    session = load_session("zi.parquet")
    session.trades(); session.bbo()           # the same frames as the source's
    OrderBook.replay(session.events)          # rebuilds the final book (from an empty start)

A session file is one Parquet file with one row per engine event, in log order (its columns:
``marketsim.data.session_table``), so every event comes back equal to the one saved.

The file's key-value metadata holds ``marketsim.format`` ("marketsim.session"),
``marketsim.format_version``, the instrument (``marketsim.symbol``, ``marketsim.tick_size``,
``marketsim.lot_size``, as decimal strings), ``marketsim.start`` (JSON: the book the events
start from, for a recording begun mid-session, else ``null``), ``marketsim.source`` (what
was saved) and ``marketsim.info`` (JSON: e.g. a simulation's seed and agents). Any Parquet
reader can open the file; ``load_session`` checks all of the above.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from marketsim import frames
from marketsim.core import Event, EventLog, Instrument, OrderBook
from marketsim.data.session_table import (
    PARQUET_OPTIONS,
    READ_DICTIONARY,
    SESSION_SCHEMA,
    SessionFileError,
    events_from_table,
    events_table,
)

if TYPE_CHECKING:
    from marketsim.client.views import BookSnapshot, LocalBook

FORMAT = "marketsim.session"
FORMAT_VERSION = 1
_META = "marketsim."


# -- the session ------------------------------------------------------------------------------


@dataclass(eq=False)
class Session:
    """A saved session: its events, instrument and starting book, with the usual frames.

    ``events`` is an ``EventLog``; ``start`` the book the events start from (a
    ``BookSnapshot``, for a recording begun mid-session) or None (an empty book, so
    ``OrderBook.replay(session.events)`` rebuilds the final book; see ``replay``).
    ``source`` names what was saved and ``info`` holds what the source told about itself
    (a simulation's seed and agents, a replay's statistics, the command that made it, ...).
    The frame methods give the frames the source gives, with the schemas of ``marketsim.frames``.
    """

    events: EventLog
    start: BookSnapshot | None = None
    source: str = "event-log"
    info: dict[str, Any] = field(default_factory=dict)
    path: Path | None = None

    @property
    def instrument(self) -> Instrument:
        """The instrument of the events."""
        return self.events.instrument

    @property
    def symbol(self) -> str:
        """The instrument's symbol."""
        return self.events.instrument.symbol

    # -- frames -------------------------------------------------------------------------------

    def events_frame(self) -> pd.DataFrame:
        """All events, one row each (schema ``events``; ``Recorder.events()``)."""
        return frames.events_frame(self.events)

    def trades(self) -> pd.DataFrame:
        """One row per execution (schema ``trades``)."""
        return frames.trades_frame(self.events)

    def deltas(self) -> pd.DataFrame:
        """One row per price-level change (schema ``deltas``)."""
        return frames.deltas_frame(self.events)

    def bbo(self) -> pd.DataFrame:
        """Best bid and offer from the start through every change (schema ``bbo``)."""
        return frames.bbo_frame(self.events, self.instrument, start=self.start)

    def book(self, at: int | pd.Timestamp | None = None, depth: int | None = None) -> BookSnapshot:
        """The book after event ``at`` (a seq) or at time ``at`` (a Timestamp), as a
        ``BookSnapshot`` (``None``: the final book), as ``Recorder.book`` gives it: ``seq``
        and ``ts_event`` are those of the last event up to ``at``. A time or seq before the
        session's start raises ``ValueError``."""
        return self._book_at(at).snapshot(depth)

    def book_frame(
        self, at: int | pd.Timestamp | None = None, depth: int | None = None
    ) -> pd.DataFrame:
        """The book after ``at`` (see ``book``; ``None``: the final book, as the engine left
        it) as a frame, one row per side and level (schema ``book``)."""
        return frames.book_frame(self._book_at(at), depth)

    def _book_at(self, at: int | pd.Timestamp | None) -> LocalBook:
        from marketsim.client.views import BookSnapshot, book_at

        start = self.start or BookSnapshot(self.symbol, 0, 0, self.instrument, (), ())
        return book_at(start, self.events, at, "session")

    def replay(self, **book_options: Any) -> OrderBook:
        """The final engine ``OrderBook``, rebuilt with ``OrderBook.replay`` (which checks that
        every command reproduces the logged events). Only for sessions from an empty book
        (no ``start``, or an empty one at seq 0: a recording from the market's beginning)."""
        start = self.start
        if start is not None and (
            start.seq or start.level_ticks("bid") or start.level_ticks("ask")
        ):
            raise ValueError(
                "this session starts from a book snapshot, not an empty book, so its events "
                "cannot be replayed into a new OrderBook; use book() for its states"
            )
        return OrderBook.replay(self.events, **book_options)

    def save(self, path: str | Path) -> Path:
        """Write the session to ``path`` (see ``save_session``)."""
        return save_session(self, path)

    def __len__(self) -> int:
        return len(self.events)

    def __repr__(self) -> str:
        start = "" if self.start is None else f" from seq {self.start.seq}"
        where = "" if self.path is None else f" ({self.path.name})"
        return (
            f"<Session {self.symbol}: {len(self.events):,} events{start}, "
            f"source {self.source}{where}>"
        )


# -- saving -----------------------------------------------------------------------------------


def save_session(
    source: Any,
    path: str | Path,
    *,
    instrument: Instrument | None = None,
    info: Mapping[str, Any] | None = None,
) -> Path:
    """Write ``source``'s events (and starting book, if any) to the Parquet file ``path``.

    ``source`` is a ``Recorder`` (it may still be recording: what it holds now is saved), a
    ``sim.SimulationResult``, a lobster ``ReplayResult``, an ``OrderBook``, an ``EventLog``, a
    ``Session``, or a plain list of events with ``instrument=``. ``info`` (JSON-able) is added
    to what the source tells about itself. Returns the path.
    """
    events, start, kind, source_info = _unpack(source, instrument)
    extra = {**source_info, **(info or {})}
    table = events_table(events)
    metadata = {
        "format": FORMAT,
        "format_version": str(FORMAT_VERSION),
        "symbol": events.instrument.symbol,
        "tick_size": str(events.instrument.tick_size),
        "lot_size": str(events.instrument.lot_size),
        "start": json.dumps(None if start is None else _start_json(start)),
        "source": kind,
        "info": json.dumps(extra, default=_json_default),
        "version": _version(),
    }
    table = table.replace_schema_metadata({_META + k: v for k, v in metadata.items()})
    path = Path(path)
    pq.write_table(table, path, **PARQUET_OPTIONS)
    return path


def _unpack(
    source: Any, instrument: Instrument | None
) -> tuple[EventLog, BookSnapshot | None, str, dict[str, Any]]:
    """(events, start, source name, info) of anything ``save_session`` accepts."""
    if isinstance(source, Session):
        return source.events, source.start, source.source, dict(source.info)
    if isinstance(source, EventLog):
        return source, None, "event-log", {}
    if isinstance(source, OrderBook):
        return source.events, None, "order-book", {}
    if callable(getattr(source, "event_log", None)) and callable(getattr(source, "book", None)):
        events, start = _recorded(source)
        return EventLog(events, source.instrument), start, "recorder", {}
    if isinstance(getattr(source, "events", None), EventLog):
        name = type(source).__name__
        if name == "SimulationResult":
            return source.events, None, "simulation", _simulation_info(source)
        if name == "ReplayResult":
            return source.events, None, "lobster-replay", _replay_info(source)
        return source.events, None, name, {}
    if isinstance(source, Iterable) and not isinstance(source, str | bytes | Path):
        if instrument is None:
            raise TypeError("pass instrument= to save a plain list of events")
        return EventLog(list(source), instrument), None, "event-log", {}
    raise TypeError(
        f"cannot save a {type(source).__name__} as a session: give a Recorder, a "
        "SimulationResult, a lobster ReplayResult, an OrderBook or an EventLog"
    )


def _recorded(recorder: Any) -> tuple[list[Event], BookSnapshot]:
    """A recorder's events and the book they start from, consistent even while it records
    (a recorder with ``max_events`` may fold its oldest events meanwhile: then try again)."""
    for _ in range(100):
        events = recorder.event_log()
        try:
            if events:
                return events, recorder.book(at=events[0].seq - 1)
        except ValueError:
            continue  # folded between the two calls
        start = recorder.book()
        return [e for e in recorder.event_log() if e.seq > start.seq], start
    raise RuntimeError("the recorder changed too fast to be saved; stop it first")


def _simulation_info(result: Any) -> dict[str, Any]:
    return {
        "seed": result.seed,
        "entropy": result.entropy,
        "steps": result.steps,
        "start_ns": result.start_ns,
        "end_ns": result.end_ns,
        "agents": [{"name": a.name, "class": type(a).__name__} for a in result.agents],
    }


def _replay_info(result: Any) -> dict[str, Any]:
    stats = result.stats
    return {
        "messages": stats.messages,
        "levels": stats.levels,
        "match_rate": stats.match_rate,
        "stats": str(stats),
    }


def _start_json(start: Any) -> dict[str, Any]:
    return {
        "seq": start.seq,
        "ts_event": start.ts_event,
        "bids": [list(level) for level in start.level_ticks("bid")],
        "asks": [list(level) for level in start.level_ticks("ask")],
    }


def _json_default(value: Any) -> Any:
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        return float(value)
    if isinstance(value, Path):
        return str(value)
    raise TypeError(f"info values must be JSON-able, got {value!r}")


def _version() -> str:
    from marketsim import __version__

    return __version__


# -- loading ----------------------------------------------------------------------------------


def load_session(path: str | Path) -> Session:
    """Read a session file written by ``save_session``; see ``Session``.

    Raises ``SessionFileError`` (a ``ValueError``) for a file that is not Parquet, a Parquet
    file that is not a marketsim session, a newer format version, or inconsistent rows, and
    ``FileNotFoundError`` for a missing file.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no session file at {path}")
    try:
        table = pq.read_table(path, read_dictionary=READ_DICTIONARY)
    except (pa.ArrowException, OSError) as error:
        raise SessionFileError(f"{path.name} is not a readable Parquet file: {error}") from None
    metadata = {
        key.decode(): value.decode()
        for key, value in (table.schema.metadata or {}).items()
        if key.startswith(_META.encode())
    }
    if metadata.get(_META + "format") != FORMAT:
        raise SessionFileError(
            f"{path.name} is a Parquet file but not a marketsim session (no "
            f"'{_META}format: {FORMAT}' metadata; its columns are {table.column_names})"
        )
    try:
        version = int(metadata.get(_META + "format_version", ""))
    except ValueError:
        version = -1
    if version != FORMAT_VERSION:
        raise SessionFileError(
            f"{path.name} has session format version {metadata.get(_META + 'format_version')!r}; "
            f"this marketsim reads version {FORMAT_VERSION}"
        )
    try:
        instrument = Instrument(
            metadata[_META + "symbol"], metadata[_META + "tick_size"], metadata[_META + "lot_size"]
        )
        start_json = json.loads(metadata[_META + "start"])
        info = json.loads(metadata.get(_META + "info", "{}"))
    except (KeyError, ValueError) as error:
        raise SessionFileError(f"{path.name} has broken session metadata: {error!r}") from None
    events = events_from_table(table.replace_schema_metadata(None), path.name)
    start = None if start_json is None else _start_from_json(start_json, instrument, path.name)
    return Session(
        EventLog(events, instrument),
        start,
        metadata.get(_META + "source", "unknown"),
        info,
        path,
    )


def _start_from_json(data: Any, instrument: Instrument, name: str) -> BookSnapshot:
    from marketsim.client.views import BookSnapshot

    try:
        return BookSnapshot(
            instrument.symbol,
            int(data["seq"]),
            int(data["ts_event"]),
            instrument,
            tuple((int(p), int(q), int(n)) for p, q, n in data["bids"]),
            tuple((int(p), int(q), int(n)) for p, q, n in data["asks"]),
        )
    except (KeyError, TypeError, ValueError) as error:
        raise SessionFileError(f"{name} has a broken starting book: {error!r}") from None


__all__ = [
    "FORMAT",
    "FORMAT_VERSION",
    "SESSION_SCHEMA",
    "Session",
    "SessionFileError",
    "events_from_table",
    "events_table",
    "load_session",
    "save_session",
]
