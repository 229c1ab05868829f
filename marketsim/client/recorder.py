"""``Recorder``: an instrument's engine events, recorded in the background, as frames on demand.

    rec = await client.record("ACME")       # or client.record("ACME") on the blocking client
    ...                                     # trade, wait, explore
    rec.trades(); rec.bbo(); rec.book(at=1234)
    rec.stop()

A recorder subscribes to the event stream first and then takes a snapshot of the book, so the
snapshot plus the events after it describe every state of the book from then on. The frames
are built when asked for, from a copy of what has arrived, so a notebook can look at a
recording while it grows.

The client's stream reconnects by itself and resumes after the last recorded event, so a
recording goes on across a dropped connection or a server restart with every event once. If
the server no longer has the missed events, the recording starts again from a fresh snapshot
and says so in ``gaps``.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import AsyncIterator, Callable

import pandas as pd

from marketsim import frames
from marketsim._gc import gc_paused
from marketsim.client.views import BookSnapshot, LocalBook, book_at
from marketsim.core.events import BookDelta, Event
from marketsim.core.types import Instrument

log = logging.getLogger("marketsim.client")
#: How often the ``wait`` methods look at the recording.
_POLL_SECONDS = 0.005


class Recorder:
    """The events of one instrument since recording began (see the module docstring).

    ``max_events`` bounds memory: older events are folded into the starting snapshot, so
    ``book()`` and ``bbo()`` stay exact for the retained window.
    """

    def __init__(
        self, instrument: Instrument, start: BookSnapshot, max_events: int | None = None
    ) -> None:
        if max_events is not None and max_events < 1:
            raise ValueError(f"max_events must be a positive integer or None, got {max_events}")
        self.instrument = instrument
        self.max_events = max_events
        self._start = LocalBook(start)
        self._events: list[Event] = []
        self._lock = threading.Lock()  # the IO loop appends while a notebook thread reads
        self._task: asyncio.Task[None] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        #: Why recording ended early (the stream failed), else None.
        self.error: BaseException | None = None
        #: (last seq recorded, seq of the snapshot it started again from) for each time the
        #: events in between could not be had; the events before such a gap were dropped.
        self.gaps: list[tuple[int, int]] = []

    # -- recording --------------------------------------------------------------------------

    def begin(self, stream: AsyncIterator, decode: Callable[[object], list[Event]]):
        """Consume ``stream`` (EventBatch messages of this instrument, e.g. an open
        StreamEvents call) on the running loop."""
        self._loop = asyncio.get_running_loop()
        self._task = asyncio.create_task(self._consume(stream, decode), name="marketsim-recorder")

    def resync(self, snapshot: BookSnapshot) -> None:
        """Start again from ``snapshot`` after events were lost: what was recorded is dropped,
        since no book between the two can be rebuilt, and the gap is noted in ``gaps``."""
        with self._lock:
            self.gaps.append((self._seq_locked(), snapshot.seq))
            self._start = LocalBook(snapshot)
            self._events.clear()
        log.warning(
            "recording of %s lost events: it starts again from a snapshot at seq %d",
            self.instrument.symbol,
            snapshot.seq,
        )

    async def _consume(self, stream, decode) -> None:
        try:
            async for batch in stream:
                with gc_paused():  # decoding allocates next to the many events kept
                    events = decode(batch.events)
                with self._lock:
                    last = self._seq_locked()  # events up to it are in the start or recorded
                    if events and events[0].seq <= last:
                        events = [e for e in events if e.seq > last]
                    self._events.extend(events)
                    if self.max_events is not None and len(self._events) > self.max_events:
                        self._fold(len(self._events) - self.max_events)
        except asyncio.CancelledError:
            raise
        except BaseException as error:
            self.error = error
        finally:
            if hasattr(stream, "aclose"):
                await stream.aclose()
            else:
                stream.cancel()

    def _fold(self, count: int) -> None:
        """Move at least the oldest ``count`` events into the starting book (lock held).

        The cut is made after a command's last delta, so the start is always a book that
        existed; until such a delta arrives, the recording may hold a few events too many.
        """
        events = self._events
        cut = next(
            (
                i + 1
                for i in range(count - 1, len(events))
                if type(e := events[i]) is BookDelta and e.last
            ),  # type: ignore[union-attr]
            None,
        )
        if cut is None:
            return
        folded = events[:cut]
        del events[:cut]
        deltas = [e for e in folded if type(e) is BookDelta]
        self._start.apply(deltas, folded[-1].seq, folded[-1].ts_event)  # type: ignore[arg-type]

    @property
    def running(self) -> bool:
        """True while events are being recorded."""
        return self._task is not None and not self._task.done()

    def stop(self) -> None:
        """Stop recording (safe from any thread); what was recorded stays available."""
        if self._task is not None and self._loop is not None and not self._task.done():
            self._loop.call_soon_threadsafe(self._task.cancel)

    async def wait_for_seq(self, seq: int, timeout: float = 10.0) -> None:
        """Wait until the event numbered ``seq`` is recorded (from any event loop).

        Raises ``TimeoutError`` after ``timeout`` seconds, or the stream's error if recording
        ended before reaching ``seq``.
        """
        deadline = asyncio.get_running_loop().time() + timeout
        while not self._reached(seq):
            if asyncio.get_running_loop().time() > deadline:
                raise TimeoutError(f"seq {seq} not recorded within {timeout} s (at {self.seq})")
            await asyncio.sleep(_POLL_SECONDS)

    def wait(self, seq: int, timeout: float = 10.0) -> None:
        """Blocking ``wait_for_seq``, for the blocking client (not on an event loop's thread)."""
        deadline = time.monotonic() + timeout
        while not self._reached(seq):
            if time.monotonic() > deadline:
                raise TimeoutError(f"seq {seq} not recorded within {timeout} s (at {self.seq})")
            time.sleep(_POLL_SECONDS)

    def _reached(self, seq: int) -> bool:
        if self.seq >= seq:
            return True
        if self.error is not None:
            raise self.error
        if self._task is not None and self._task.done():
            raise RuntimeError(f"recording stopped at seq {self.seq}, before seq {seq}")
        return False

    # -- reading ----------------------------------------------------------------------------

    def _snapshot(self) -> tuple[LocalBook, list[Event]]:
        with self._lock:
            start = LocalBook(self._start.snapshot())
            return start, list(self._events)

    @property
    def seq(self) -> int:
        """Seq of the last recorded event (of the starting snapshot before any)."""
        with self._lock:
            return self._seq_locked()

    def _seq_locked(self) -> int:
        """``seq``, for a caller that holds the lock."""
        return self._events[-1].seq if self._events else self._start.seq

    def __len__(self) -> int:
        with self._lock:
            return len(self._events)

    def event_log(self) -> list[Event]:
        """The recorded engine events (a copy), oldest first."""
        return self._snapshot()[1]

    def events(self) -> pd.DataFrame:
        """The ``events`` frame of the recording (see ``marketsim.frames.events_frame``)."""
        return frames.events_frame(self.event_log(), self.instrument)

    def trades(self) -> pd.DataFrame:
        """The ``trades`` frame of the recording (see ``marketsim.frames.trades_frame``)."""
        return frames.trades_frame(self.event_log(), self.instrument)

    def deltas(self) -> pd.DataFrame:
        """The ``deltas`` frame of the recording (see ``marketsim.frames.deltas_frame``)."""
        return frames.deltas_frame(self.event_log(), self.instrument)

    def bbo(self) -> pd.DataFrame:
        """The ``bbo`` frame: best bid and offer from the start through every change."""
        start, events = self._snapshot()
        return frames.bbo_frame(events, self.instrument, start=start)

    def accounts(self) -> pd.DataFrame:
        """Each owner's account over the recording (schema ``accounts``), from the core
        ledger, marked at the latest mid. Owner names reach admins' recordings only."""
        latest = self.book()
        return frames.ledger_frame(
            self.event_log(),
            self.instrument,
            best_bid_ticks=latest.best_bid_ticks,
            best_ask_ticks=latest.best_ask_ticks,
        )

    def book(self, at: int | pd.Timestamp | None = None, depth: int | None = None) -> BookSnapshot:
        """The book as it was after event ``at`` (a seq) or at time ``at`` (a Timestamp).

        ``None`` gives the latest recorded state. The book is rebuilt from the starting
        snapshot and the recorded deltas; a time or seq before the retained window raises
        ``ValueError``.
        """
        start, events = self._snapshot()
        return book_at(start, events, at, "recording").snapshot(depth)

    def __repr__(self) -> str:
        state = "recording" if self.running else "stopped"
        return f"<Recorder {self.instrument.symbol}: {len(self):,} events, seq {self.seq}, {state}>"
