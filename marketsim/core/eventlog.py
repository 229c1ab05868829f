"""A book's event log, kept lazily: bulk paths may log compact batches of events.

``OrderBook.apply`` logs the event objects it returns. The bulk paths (``sim.run``, the
LOBSTER replay) apply many commands to the engine directly and hand the book whole batches
(``OrderBook.record``), such as the compiled engine's ``EventBatch``: compact records whose
event objects are built when read. ``EventStore`` keeps such batches as they are until the
log is first read, then builds their objects once, in order, and from then on holds plain
event objects, as a log of ``apply`` calls would. ``EventLog`` is the read-only face of
either a store or a list.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import overload

from marketsim._gc import gc_paused
from marketsim.core.events import Event
from marketsim.core.types import Instrument


class _Waiting:
    """Batches logged after a book's event objects, kept as they are until the log is read."""

    __slots__ = ("batches", "size")

    def __init__(self) -> None:
        self.batches: list[Sequence[Event]] = []
        self.size = 0

    def add(self, events: Sequence[Event]) -> None:
        """Keep ``events`` (a list is copied: its owner may change it afterwards)."""
        self.batches.append(list(events) if type(events) is list else events)
        self.size += len(events)


class EventStore:
    """The events of one book, in order: event objects, then batches not yet read.

    ``extend`` adds events; a list arriving while no batch waits goes straight into the
    objects, anything else waits as it is. ``len`` counts both without building anything;
    ``events()`` builds what waits (once) and returns the list of every event object.
    ``extend_list`` is ``extend`` for a list of event objects, as ``OrderBook.apply`` logs
    them: the list's own ``extend`` while nothing waits, so the common case costs no more
    than a plain list.
    """

    __slots__ = ("_built", "_waiting", "extend_list")

    def __init__(self, built: list[Event] | None = None) -> None:
        self._built: list[Event] = [] if built is None else built
        self._waiting: _Waiting | None = None
        self.extend_list = self._built.extend

    def extend(self, events: Sequence[Event]) -> None:
        """Log ``events`` after those already logged. A batch is kept as it is: it must not
        change afterwards (a list is copied when it has to wait behind a batch)."""
        if type(events) is list:
            self.extend_list(events)
        elif len(events):
            if self._waiting is None:
                self._waiting = _Waiting()
                self.extend_list = self._waiting.add
            self._waiting.add(events)

    def __len__(self) -> int:
        return len(self._built) + (0 if self._waiting is None else self._waiting.size)

    def events(self) -> list[Event]:
        """Every event object, the waiting batches built now (once)."""
        if self._waiting is not None:
            built = self._built
            with gc_paused():  # millions of new objects that hold no cycles
                for batch in self._waiting.batches:
                    built.extend(batch if type(batch) is list else batch[:])
            self._waiting = None
            self.extend_list = built.extend
        return self._built

    def __getstate__(self) -> tuple[list[Event]]:
        return (self.events(),)  # a tuple: never empty, so unpickling always sets the state

    def __setstate__(self, state: tuple[list[Event]]) -> None:
        self.__init__(state[0])


class EventLog(Sequence[Event]):
    """A read-only view of a book's events that remembers which instrument they belong to."""

    __slots__ = ("_source", "instrument")

    def __init__(self, events: list[Event] | EventStore, instrument: Instrument) -> None:
        self._source = events
        self.instrument = instrument

    @property
    def _events(self) -> list[Event]:
        source = self._source
        return source if type(source) is list else source.events()  # type: ignore[union-attr]

    @overload
    def __getitem__(self, index: int) -> Event: ...
    @overload
    def __getitem__(self, index: slice) -> list[Event]: ...
    def __getitem__(self, index: int | slice) -> Event | list[Event]:
        return self._events[index]

    def __len__(self) -> int:
        return len(self._source)

    def __iter__(self) -> Iterator[Event]:
        return iter(self._events)

    def __reversed__(self) -> Iterator[Event]:
        return reversed(self._events)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, EventLog):
            return NotImplemented
        return self.instrument == other.instrument and self._events == other._events

    __hash__ = None  # type: ignore[assignment]  (mutable underneath, like a list)

    def __repr__(self) -> str:
        return f"<EventLog {self.instrument.symbol}: {len(self._source)} events>"


__all__ = ["EventLog", "EventStore"]
