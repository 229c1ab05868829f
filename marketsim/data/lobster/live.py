"""Replay a LOBSTER day into a live marketsim server, paced by the file's timestamps.

``replay(messages, orderbook, into=client, speed=60)`` first replays the file in-process (the
exact replay: every message one engine command, see ``marketsim.data.lobster.replay``), then
sends the commands of that replay's event log to the server, message time divided by
``speed`` (``None``: as fast as possible), so notebooks and the live widgets watch the day
unfold on a real server. The in-process ``ReplayResult`` stays the reference; the server's
book follows it level for level.

What goes over the wire:

- submits, cancels and quantity changes are sent as they are, each under its owner
  (``"lobster"``, and ``"lobster-initial"`` / ``"lobster-revealed"`` for the volume the replay
  learnt from the orderbook file), through one client per owner. The server numbers orders
  itself; the replay keeps a map from replay ids (LOBSTER ids) to server ids.
- **executions** (type 4) name the resting order that traded, and the wire has no command for
  that (there is no ExecuteOrder RPC: a participant cannot make someone else's order trade).
  The replay sends what a real counterparty would: when the named order is first in the queue
  of the best level of its side, an IOC order from owner ``"lobster-taker"`` at that price for
  the executed quantity, which trades with exactly that order (the server prints the trade,
  with the taker's id). Otherwise (NASDAQ did not always fill FIFO, and the volume the replay
  learnt from the orderbook file sits at the head of its queue), an IOC would trade with the
  wrong order, so the named order is *reduced* instead (a cancel or a lower quantity): the
  book's levels stay right, but the server prints no trade for it. ``LiveReplayStats`` counts
  both (``executions_traded``, ``executions_reduced``); the in-process result has every trade.

The replay assumes it is alone on its instrument: it refuses a book that already has orders,
and someone trading against the replayed orders makes the server's book drift from the file
(commands that then fail are counted in ``LiveReplayStats.errors``, and ``book_matches`` says
whether the server ended with the replay's book).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import itertools
import math
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from tqdm.auto import tqdm

from marketsim.core import (
    CancelOrder,
    Command,
    ExecuteOrder,
    Instrument,
    OrderBook,
    ReplaceOrder,
    SubmitOrder,
)
from marketsim.core.replay import commands_from_events
from marketsim.errors import (
    InvalidCommandError,
    MarketsimError,
    MarketUnavailableError,
    UnknownOrderError,
)

if TYPE_CHECKING:
    from marketsim.client.aio import AsyncMarketClient
    from marketsim.core import OrderResult
    from marketsim.data.lobster.result import ReplayResult

#: Owner of the IOC orders that carry executions of named orders (see the module docstring).
OWNER_TAKER = "lobster-taker"
#: Most submits sent in one ``submit_many`` call when replaying as fast as possible.
BATCH_SIZE = 500
_OPPOSITE = {"buy": "sell", "sell": "buy"}
_NS = 1_000_000_000


@dataclass
class LiveReplayStats:
    """Counters of a replay into a server (``ReplayResult.live.stats``), updated as it runs."""

    address: str
    symbol: str
    speed: float | None
    commands: int = 0  # engine commands to send
    sent: int = 0
    submits: int = 0
    cancels: int = 0
    replaces: int = 0
    executions_traded: int = 0  # sent as an IOC that traded with the named order
    executions_reduced: int = 0  # sent as a cancel or reduction of the named order
    error_count: int = 0
    errors: list[str] = field(default_factory=list)  # the first 20
    max_lag_seconds: float = 0.0  # furthest behind the paced schedule
    wall_seconds: float = 0.0
    #: Whether the server's book ended equal (every level) to the replay's; None until done.
    book_matches: bool | None = None

    def _error(self, command: Command, error: Exception) -> None:
        self.error_count += 1
        if len(self.errors) < 20:
            self.errors.append(f"{command!r}: {error}")

    def __str__(self) -> str:
        pace = "as fast as possible" if self.speed is None else f"at {self.speed:g}x"
        text = (
            f"{self.sent}/{self.commands} commands to {self.symbol} at {self.address} {pace} "
            f"in {self.wall_seconds:.1f} s ({self.submits} submits, {self.cancels} cancels, "
            f"{self.replaces} replaces; executions: {self.executions_traded} traded, "
            f"{self.executions_reduced} reduced)"
        )
        if self.error_count:
            text += f"; {self.error_count} errors"
        if self.book_matches is not None:
            text += "; server book matches" if self.book_matches else "; server book DIFFERS"
        return text


class LiveReplay:
    """A replay being sent to a server: its live ``stats`` and a handle to wait or cancel."""

    def __init__(self, stats: LiveReplayStats, future: concurrent.futures.Future[Any]) -> None:
        self.stats = stats
        self.future = future

    def done(self) -> bool:
        """True once the replay finished, failed or was cancelled."""
        return self.future.done()

    def wait(self, timeout: float | None = None) -> LiveReplayStats:
        """Block until the replay is sent (at most ``timeout`` s); raise what stopped it."""
        try:
            self.future.result(timeout)
        except concurrent.futures.TimeoutError:
            raise TimeoutError(f"the replay is still running after {timeout} s") from None
        return self.stats

    def cancel(self) -> None:
        """Stop sending (what was sent stays in the server's book)."""
        self.future.cancel()

    def __repr__(self) -> str:
        state = "done" if self.done() else "running"
        return f"<LiveReplay {state}: {self.stats}>"


def replay_into(
    client: Any,
    result: ReplayResult,
    *,
    speed: float | None = None,
    wait: bool = True,
    progress: bool = True,
) -> LiveReplay:
    """Send an in-process replay's commands to the server ``client`` talks to.

    ``client`` is a ``MarketClient``, an ``AsyncMarketClient`` or anything with ``.address``
    (its ``.timeout`` is used when present), or a "host:port" string; the replay opens its own
    connections on marketsim's IO thread. ``speed`` divides the message times (``None``: as
    fast as possible). ``wait=False`` returns at once (watch ``.stats``, call ``.wait()``);
    otherwise this blocks until everything is sent. Sets and returns ``result.live``.
    """
    from marketsim import runtime

    _check_speed(speed)
    address = client if isinstance(client, str) else client.address
    timeout = getattr(client, "timeout", 10.0)
    stats = LiveReplayStats(address, result.instrument.symbol, speed)
    future = runtime.submit(
        areplay_into(address, result, speed=speed, progress=progress, stats=stats, timeout=timeout)
    )
    result.live = LiveReplay(stats, future)
    if wait:
        try:
            result.live.wait()
        except BaseException:
            future.cancel()
            raise
    return result.live


async def areplay_into(
    client: AsyncMarketClient | str,
    result: ReplayResult,
    *,
    speed: float | None = None,
    progress: bool = True,
    stats: LiveReplayStats | None = None,
    timeout: float = 10.0,
) -> LiveReplayStats:
    """``replay_into`` on the running event loop: send the replay's commands to the server.

    Lists the instrument on the server if it is missing (an instrument of that symbol with a
    different tick or lot size, or a book that already holds orders, is refused with
    ``InvalidCommandError``). Returns the stats when everything is sent.
    """
    _check_speed(speed)
    address = client if isinstance(client, str) else client.address
    instrument = result.instrument
    if stats is None:
        stats = LiveReplayStats(address, instrument.symbol, speed)
    sender = _Sender(address, instrument, stats, timeout)
    started = time.perf_counter()
    try:
        await sender.prepare()
        await sender.run(list(commands_from_events(result.events)), speed, progress)
        stats.book_matches = await sender.book_matches()
    finally:
        stats.wall_seconds = time.perf_counter() - started
        await sender.close()
    return stats


def _check_speed(speed: float | None) -> None:
    if speed is not None and (
        isinstance(speed, bool)
        or not isinstance(speed, int | float)
        or not math.isfinite(speed)
        or speed <= 0
    ):
        raise InvalidCommandError(f"speed must be a positive number or None, got {speed!r}")


class _Sender:
    """One replay into one server: a client per owner, the id map and a shadow book.

    The shadow book re-applies the replay's commands as they are sent, so the sender knows
    each order's owner and queue position at the time, exactly as the server's book has them.
    """

    def __init__(
        self, address: str, instrument: Instrument, stats: LiveReplayStats, timeout: float
    ) -> None:
        self.address = address
        self.instrument = instrument
        self.symbol = instrument.symbol
        self.stats = stats
        self.timeout = timeout
        self.shadow = OrderBook(instrument, keep_events=False)
        self.server_ids: dict[int, int] = {}
        self.clients: dict[str, AsyncMarketClient] = {}

    def client(self, owner: str) -> AsyncMarketClient:
        from marketsim.client.aio import AsyncMarketClient

        client = self.clients.get(owner)
        if client is None:
            client = AsyncMarketClient(self.address, owner=owner, timeout=self.timeout)
            self.clients[owner] = client
        return client

    async def close(self) -> None:
        for client in self.clients.values():
            with contextlib.suppress(Exception):
                await client.close()

    async def prepare(self) -> None:
        """List the instrument if missing; refuse a different grid or a non-empty book."""
        client = self.client(OWNER_TAKER)
        wanted = self.instrument
        listed = {i.symbol: i for i in await client.instruments()}
        existing = listed.get(self.symbol)
        if existing is None:
            await client.add_instrument(self.symbol, str(wanted.tick_size), str(wanted.lot_size))
        elif (existing.tick_size, existing.lot_size) != (wanted.tick_size, wanted.lot_size):
            raise InvalidCommandError(
                f"{self.symbol} is listed on {self.address} with tick {existing.tick_size} and "
                f"lot {existing.lot_size}; the replay needs tick {wanted.tick_size} and lot "
                f"{wanted.lot_size} (replay under another symbol with symbol=...)"
            )
        else:
            book = await client.book(self.symbol, depth=1)
            if book.bids or book.asks:
                raise InvalidCommandError(
                    f"the {self.symbol} book on {self.address} already holds orders; replay "
                    "into an empty book (or under another symbol with symbol=...)"
                )

    async def run(
        self, commands: list[tuple[Command, int]], speed: float | None, progress: bool
    ) -> None:
        stats = self.stats
        stats.commands = len(commands)
        bar = tqdm(
            total=len(commands),
            desc=f"replay {self.symbol} into {self.address}",
            unit="cmd",
            disable=not progress,
        )
        loop = asyncio.get_running_loop()
        origin = loop.time()
        first_ts = commands[0][1] if commands else 0
        i = 0
        try:
            while i < len(commands):
                command, ts = commands[i]
                if speed is not None:
                    due = origin + (ts - first_ts) / _NS / speed
                    delay = due - loop.time()
                    if delay > 0:
                        await asyncio.sleep(delay)
                    else:
                        stats.max_lag_seconds = max(stats.max_lag_seconds, -delay)
                run = self._submit_run(commands, i, speed is None)
                if len(run) > 1:
                    await self._submit_many(run)
                else:
                    await self._send(command, ts)
                i += len(run) or 1
                stats.sent = i
                bar.update(i - bar.n)
        finally:
            bar.close()

    def _submit_run(
        self, commands: list[tuple[Command, int]], start: int, any_time: bool
    ) -> list[tuple[SubmitOrder, int]]:
        """The submits from ``start`` on that can go in one batch: same owner, and the same
        time unless replaying as fast as possible."""
        command, ts = commands[start]
        if type(command) is not SubmitOrder:
            return []
        run: list[tuple[SubmitOrder, int]] = []
        for candidate, when in commands[start : start + BATCH_SIZE]:
            if (
                type(candidate) is not SubmitOrder
                or candidate.owner != command.owner
                or (not any_time and when != ts)
            ):
                break
            run.append((candidate, when))
        return run

    # -- sending ---------------------------------------------------------------------------

    def _units(self, command: SubmitOrder) -> dict[str, Any]:
        price = command.price_ticks
        return {
            "side": command.side,
            "qty": self.instrument.lots_to_qty(command.qty_lots),
            "price": None if price is None else self.instrument.ticks_to_price(price),
            "tif": command.tif,
            "post_only": command.post_only,
        }

    async def _submit_many(self, run: list[tuple[SubmitOrder, int]]) -> None:
        owner = run[0][0].owner
        try:
            results = await self.client(owner).submit_many(
                self.symbol, [self._units(command) for command, _ in run], progress=False
            )
        except MarketUnavailableError:
            raise
        except MarketsimError as error:
            # The engine accepted these commands already, so this should not happen; the
            # server ids of the batch are unknown, and later commands on them will fail.
            for command, _ in run:
                self.stats._error(command, error)
            results = []
        for (command, ts), result in itertools.zip_longest(run, results):
            if result is not None:
                self._submitted(command, result)
            self.shadow.apply(command, ts)

    def _submitted(self, command: SubmitOrder, result: OrderResult) -> None:
        self.stats.submits += 1
        self.server_ids[command.order_id] = result.order_id  # type: ignore[index]

    async def _send(self, command: Command, ts: int) -> None:
        """Send one command, then apply it to the shadow book (whatever the server said)."""
        try:
            await self._send_one(command)
        except MarketUnavailableError:
            raise
        except MarketsimError as error:
            self.stats._error(command, error)
        finally:
            self.shadow.apply(command, ts)

    async def _send_one(self, command: Command) -> None:
        """Send one command (executions as described in the module docstring)."""
        stats = self.stats
        if type(command) is SubmitOrder:
            result = await self.client(command.owner).submit(self.symbol, **self._units(command))
            self._submitted(command, result)
            return
        order = self.shadow.engine.book.orders[command.order_id]  # type: ignore[union-attr]
        server_id = self.server_ids.get(order.order_id)
        if server_id is None:
            raise UnknownOrderError(f"order {order.order_id} is not on the server")
        client = self.client(order.owner)
        if type(command) is CancelOrder:
            stats.cancels += 1
            await client.cancel(self.symbol, server_id)
        elif type(command) is ReplaceOrder:
            stats.replaces += 1
            qty, price = command.qty_lots, command.price_ticks
            await client.replace(
                self.symbol,
                server_id,
                qty=None if qty is None else self.instrument.lots_to_qty(qty),
                price=None if price is None else self.instrument.ticks_to_price(price),
            )
        elif type(command) is ExecuteOrder:
            await self._execute(command, order.owner, server_id)

    async def _execute(self, command: ExecuteOrder, owner: str, server_id: int) -> None:
        """An IOC from the taker when the order is first at the best price, else a reduction."""
        order = self.shadow.engine.book.orders[command.order_id]
        side = "bid" if order.side == "buy" else "ask"
        best = self.shadow.engine.book.half(side).best_level()  # type: ignore[arg-type]
        to_qty, to_price = self.instrument.lots_to_qty, self.instrument.ticks_to_price
        if best is not None and next(iter(best.orders)) == order.order_id:
            self.stats.executions_traded += 1
            await self.client(OWNER_TAKER).submit(
                self.symbol,
                _OPPOSITE[order.side],
                to_qty(command.qty_lots),
                to_price(order.price_ticks),
                tif="IOC",
            )
            return
        self.stats.executions_reduced += 1
        client = self.client(owner)
        if command.qty_lots >= order.qty_lots:
            await client.cancel(self.symbol, server_id)
        else:
            await client.replace(
                self.symbol, server_id, qty=to_qty(order.qty_lots - command.qty_lots)
            )

    async def book_matches(self) -> bool:
        """Does the server's whole book equal the shadow's (the replay's final book)?"""
        book = await self.client(OWNER_TAKER).book(self.symbol, depth=0)
        return all(
            book.level_ticks(side) == self.shadow.level_ticks(side)  # type: ignore[arg-type]
            for side in ("bid", "ask")
        )
