"""Fan-out of engine events to stream subscribers, with a bounded queue per subscriber.

The service publishes each command's events once, synchronously, on the server loop; the hub
appends them to every interested subscriber's queue and wakes it. Publishing never waits for a
subscriber. A subscriber whose queue is full is marked *overflowed* and its queue emptied: a
book stream answers with a fresh snapshot, an event or trade stream ends with an error the
client can act on. So a stalled reader costs matching one ``deque.append`` per batch until it
overflows, and nothing after that.

The hub also keeps each instrument's recent publications in a ``Backlog``, from which a
stream that broke resumes where its client left off (``replay``). Book streams use nothing
else: they *follow* the backlog (``news``, then ``replay`` from where they are), so publishing
costs nothing per book subscriber, and one that stalls simply falls behind until the backlog
no longer reaches back to it (then it gets a snapshot).
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Callable
from typing import Any, Generic, TypeVar

from marketsim.core.events import AuctionUncrossed, BookDelta, Event, PhaseChanged, Trade
from marketsim.server.publications import DEFAULT_BACKLOG_EVENTS, Backlog, Published

__all__ = ["DEFAULT_QUEUE_SIZE", "Hub", "Published", "Subscription"]

T = TypeVar("T")

#: Events about a whole book, which no owner's private stream carries.
_OWNERLESS = (PhaseChanged, AuctionUncrossed)

#: Default number of published batches a subscriber may lag behind before it overflows.
DEFAULT_QUEUE_SIZE = 10_000
#: Most events a subscriber may have pending (a publication of one 10,000-command OrderEntry
#: request carries ~40,000): a stalled reader pins at most this many, whatever the batch size.
MAX_PENDING_EVENTS = 250_000


class Subscription(Generic[T]):
    """A subscriber's bounded queue of publications."""

    __slots__ = (
        "_items",
        "_pending",
        "_wakeup",
        "closed",
        "overflowed",
        "owner",
        "queue_size",
        "symbol",
    )

    def __init__(self, symbol: str | None, queue_size: int, owner: str | None = None) -> None:
        self.symbol = symbol
        self.owner = owner
        self.queue_size = queue_size
        self.overflowed = False
        self.closed = False
        self._items: deque[Published] = deque()
        self._pending = 0  # events in _items
        self._wakeup = asyncio.Event()

    def push(self, item: Published) -> None:
        """Queue ``item``; on overflow drop everything pending and flag the subscriber."""
        n = len(item.events)
        if len(self._items) >= self.queue_size or self._pending + n > MAX_PENDING_EVENTS:
            self._items.clear()
            self._pending = 0
            self.overflowed = True
        else:
            self._items.append(item)
            self._pending += n
        self._wakeup.set()

    def close(self) -> None:
        """Wake the subscriber: it drains what is queued, then ``next_items`` returns ``None``."""
        self.closed = True
        self._wakeup.set()

    async def next_items(self) -> list[Published] | None:
        """Wait for publications and take all that are pending (``[]`` after an overflow).

        Returns ``None`` once the subscription is closed and everything queued before that has
        been taken. The caller checks and resets ``overflowed`` itself, since only it knows how
        to recover.
        """
        while not self._items and not self.overflowed and not self.closed:
            self._wakeup.clear()
            await self._wakeup.wait()
        if self.closed and not self._items:
            return None
        items = list(self._items)
        self._items.clear()
        self._pending = 0
        return items


class Hub:
    """Routes publications to the subscriptions of their instrument and to catch-all ones,
    and each owner's own events to that owner's private subscriptions."""

    def __init__(
        self, queue_size: int = DEFAULT_QUEUE_SIZE, backlog_events: int = DEFAULT_BACKLOG_EVENTS
    ) -> None:
        self.queue_size = queue_size
        self.backlog_events = backlog_events
        self._backlogs: dict[str, Backlog] = {}
        self._sending: dict[str, int] = {}  # per symbol, subscribers inside ``sending``
        self._followers: dict[str, int] = {}  # per symbol, book streams following the backlog
        self._news: dict[str, asyncio.Event] = {}  # per symbol, set at each publication
        #: How often ``close`` was called: a book stream started before the last one ends.
        self.closings = 0
        self._by_symbol: dict[str | None, set[Subscription]] = {}
        self._by_owner: dict[str, set[Subscription]] = {}
        #: Called with every publication before it is fanned out (e.g. a trading case's bots
        #: must see the fills of orders they have resting).
        self.observers: list[Callable[[str, list[Event]], None]] = []

    def subscribe(self, symbol: str | None) -> Subscription:
        """A new subscription to one instrument, or to all of them when ``symbol`` is None."""
        subscription: Subscription = Subscription(symbol, self.queue_size)
        self._by_symbol.setdefault(symbol, set()).add(subscription)
        return subscription

    def subscribe_owner(self, owner: str) -> Subscription:
        """A new private subscription to the events of ``owner``'s orders, in any instrument.

        Each publication it receives holds the events of one command batch that name the owner
        (its orders' events, and trades where it is maker or taker).
        """
        subscription: Subscription = Subscription(None, self.queue_size, owner)
        self._by_owner.setdefault(owner, set()).add(subscription)
        return subscription

    def unsubscribe(self, subscription: Subscription) -> None:
        """Forget a subscription (idempotent)."""
        if subscription.owner is not None:
            subscribers = self._by_owner.get(subscription.owner)
            if subscribers is not None:
                subscribers.discard(subscription)
                if not subscribers:
                    del self._by_owner[subscription.owner]
            return
        subscribers = self._by_symbol.get(subscription.symbol)
        if subscribers is not None:
            subscribers.discard(subscription)

    def publish(self, symbol: str, events: list[Event]) -> None:
        """Hand ``events`` (one or more complete batches of ``symbol``) to its subscribers."""
        if not events:
            return
        for observe in self.observers:
            observe(symbol, events)
        if self._by_owner:
            self._publish_private(symbol, events)
        item = Published(symbol, events)
        backlog = self._backlogs.get(symbol)
        if backlog is None:
            backlog = self._backlogs[symbol] = Backlog(self.backlog_events)
        backlog.append(item)
        news = self._news.get(symbol)
        if news is not None:
            news.set()  # wakes the followers waiting now; later ones see the backlog moved
            news.clear()
        specific = self._by_symbol.get(symbol)
        catch_all = self._by_symbol.get(None)
        for subscribers in (specific, catch_all):
            if subscribers:
                for subscription in subscribers:
                    subscription.push(item)

    def follow(self, symbol: str) -> None:
        """Count a book stream of ``symbol`` that follows the backlog (until ``unfollow``)."""
        self._followers[symbol] = self._followers.get(symbol, 0) + 1

    def unfollow(self, symbol: str) -> None:
        """Forget a book stream counted by ``follow``."""
        self._followers[symbol] -= 1

    async def news(self, symbol: str, seq: int, closings: int) -> bool:
        """Wait until ``symbol`` has events after ``seq`` (True), or until the hub is closed
        after having been closed ``closings`` times (False)."""
        while self.closings == closings:
            backlog = self._backlogs.get(symbol)
            if backlog is not None and backlog.seq is not None and backlog.seq > seq:
                return True
            news = self._news.get(symbol)
            if news is None:
                news = self._news[symbol] = asyncio.Event()
            await news.wait()
        return False

    def replay(self, symbol: str, from_seq: int) -> list[Published] | None:
        """The recent publications of ``symbol`` after ``from_seq`` (see ``Backlog.since``);
        ``None`` when the backlog no longer reaches back so far."""
        backlog = self._backlogs.get(symbol)
        return None if backlog is None else backlog.since(from_seq)

    def _publish_private(self, symbol: str, events: list[Event]) -> None:
        by_owner = self._by_owner
        mine: dict[str, list[Event]] = {}
        for event in events:
            kind = type(event)
            if kind is BookDelta or kind in _OWNERLESS:
                continue
            owners = (
                (event.maker_owner, event.taker_owner)  # type: ignore[union-attr]
                if kind is Trade
                else (event.owner,)  # type: ignore[union-attr]
            )
            for owner in owners:
                if owner in by_owner:
                    batch = mine.setdefault(owner, [])
                    if not batch or batch[-1] is not event:  # a self-trade names it twice
                        batch.append(event)
        for owner, batch in mine.items():
            item = Published(symbol, batch)
            for subscription in by_owner[owner]:
                subscription.push(item)

    def private_subscribers(self) -> list[str]:
        """The owners with a private subscription open now, sorted."""
        return sorted(self._by_owner)

    def publish_to_owner(self, owner: str, item: Any) -> None:
        """Queue ``item`` (not engine events: e.g. a trading case's notice) on ``owner``'s
        private subscriptions only. It needs ``symbol`` and ``events`` like a ``Published``."""
        for subscription in self._by_owner.get(owner, ()):
            subscription.push(item)

    def close(self) -> None:
        """End every subscription and book stream (server shutdown)."""
        self.closings += 1
        for news in self._news.values():
            news.set()
            news.clear()
        for groups in (self._by_symbol, self._by_owner):
            for subscribers in groups.values():  # type: ignore[attr-defined]
                for subscription in subscribers:
                    subscription.close()
            groups.clear()  # type: ignore[attr-defined]

    def sending(self, symbol: str) -> _Sending:
        """Context of a subscriber of ``symbol`` waiting for its message to be sent (a stalled
        reader stays in it): ``readers_of`` does not count it meanwhile."""
        return _Sending(self._sending, symbol)

    def readers_of(self, symbol: str) -> int:
        """Number of book streams of ``symbol`` that are not waiting for a message to be
        sent (a stalled reader waits there)."""
        return self._followers.get(symbol, 0) - self._sending.get(symbol, 0)

    @property
    def subscriber_count(self) -> int:
        """Number of live subscriptions."""
        return (
            sum(len(s) for s in self._by_symbol.values())
            + sum(len(s) for s in self._by_owner.values())
            + sum(self._followers.values())
        )


class _Sending:
    """Counts a subscriber in ``Hub._sending`` while it is inside the ``with`` block."""

    __slots__ = ("_counts", "_symbol")

    def __init__(self, counts: dict[str, int], symbol: str) -> None:
        self._counts = counts
        self._symbol = symbol

    def __enter__(self) -> None:
        self._counts[self._symbol] = self._counts.get(self._symbol, 0) + 1

    def __exit__(self, *exc_info: object) -> None:
        self._counts[self._symbol] -= 1
