"""Publications: what the service hands the hub, and the ``Backlog`` that lets a stream resume.

A ``Published`` is one instrument's events from one or more commands, encoded lazily and once
for every subscriber.

A client whose stream broke reconnects with ``from_seq``, the seq of the last event it saw.
The hub keeps every instrument's latest publications in a ``Backlog`` bounded by event count;
``since(from_seq)`` hands back what came after, or ``None`` once the oldest of those events
has been dropped (then the service asks the journal, and failing that the client resyncs).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from typing import TypeVar

from marketsim.core.events import Event

T = TypeVar("T")

#: Default number of recent events kept per instrument for resuming streams.
DEFAULT_BACKLOG_EVENTS = 250_000


class Published:
    """One publication: consecutive events of one instrument, encoded lazily, once.

    Every subscriber receives the same ``Published`` object, so an encoding (for example the
    protobuf form of the book deltas) is computed by the first subscriber that needs it and
    shared by the rest.
    """

    __slots__ = ("_encoded", "events", "seq", "symbol")

    def __init__(self, symbol: str, events: list[Event]) -> None:
        self.symbol = symbol
        self.events = events
        self.seq = events[-1].seq
        self._encoded: dict[str, object] = {}

    def encoded(self, name: str, encode: Callable[[list[Event]], T]) -> T:
        """``encode(self.events)``, computed once per publication for each ``name``."""
        try:
            return self._encoded[name]  # type: ignore[return-value]
        except KeyError:
            value = self._encoded[name] = encode(self.events)
            return value


class Backlog:
    """Consecutive recent publications of one instrument, at most ``max_events`` events (the
    newest publication is always kept, however large)."""

    __slots__ = ("_count", "_items", "floor", "max_events")

    def __init__(self, max_events: int = DEFAULT_BACKLOG_EVENTS) -> None:
        self.max_events = max_events
        self._items: deque[Published] = deque()
        self._count = 0
        #: Every event with seq > floor is held (None while empty).
        self.floor: int | None = None

    def append(self, item: Published) -> None:
        """Keep ``item``, forgetting the oldest publications beyond the bound.

        Publications of one instrument are consecutive; if one is not (events were applied
        without being published), what came before can no longer resume a stream, so the
        backlog starts again from ``item``.
        """
        first_seq = item.events[0].seq
        if not self._items or first_seq != self._items[-1].seq + 1:
            self._items.clear()
            self._count = 0
            self.floor = first_seq - 1
        self._items.append(item)
        self._count += len(item.events)
        while self._count > self.max_events and len(self._items) > 1:
            dropped = self._items.popleft()
            self._count -= len(dropped.events)
            self.floor = dropped.seq

    @property
    def seq(self) -> int | None:
        """Seq of the newest event held (None while empty)."""
        return self._items[-1].seq if self._items else None

    def since(self, from_seq: int) -> list[Published] | None:
        """The publications holding every event with seq > ``from_seq``, oldest first, the
        first one cut to start right after ``from_seq``; ``None`` if some of those events are
        no longer held. Empty when ``from_seq`` is the newest seq held."""
        if self.floor is None or from_seq < self.floor or from_seq > self._items[-1].seq:
            return None
        newer: list[Published] = []
        for item in reversed(self._items):  # a resume is usually close to the present
            if item.seq <= from_seq:
                break
            newer.append(item)
        newer.reverse()
        if newer and newer[0].events[0].seq <= from_seq:
            first = newer[0]
            newer[0] = Published(first.symbol, [e for e in first.events if e.seq > from_seq])
        return newer
