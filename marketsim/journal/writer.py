"""Appending to a journal file, with the fsync policy the market was started with.

Each record is handed to the operating system (one ``os.write``) before the command is applied,
so a crash of the server process, ``kill -9`` included, never loses an acknowledged command.
What ``fsync`` adds is survival of a power loss or an operating-system crash:

- ``"always"``: an acknowledgement waits until an ``fsync`` covers its record. Commands that
  arrive while one ``fsync`` runs share the next one (group commit), so the cost per command
  falls as the load rises.
- ``"batch"`` (the default): a background ``fsync`` runs every ``interval`` seconds while there
  is something to sync; a power loss may lose the acknowledgements of that last interval.
- ``"off"``: never ``fsync``; the operating system writes the pages back when it likes.

``fsync`` runs on a worker thread, never on the event loop. A failed write or ``fsync`` (a full
disk, an I/O error, a read-only file) latches the writer into a failed state: every later
``append`` raises ``JournalUnavailableError`` at once, so the market stops accepting commands
and acknowledges nothing that is not written, while reads go on.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from typing import Literal

from marketsim.errors import MarketUnavailableError
from marketsim.journal.frames import frame

log = logging.getLogger(__name__)

FsyncPolicy = Literal["always", "batch", "off"]
FSYNC_POLICIES: tuple[FsyncPolicy, ...] = ("always", "batch", "off")
#: Seconds between background fsyncs under the "batch" policy.
DEFAULT_FSYNC_INTERVAL = 0.05


class JournalUnavailableError(MarketUnavailableError):
    """The journal cannot be written, so the market accepts no more commands."""


class JournalWriter:
    """Appends framed records to an open journal file descriptor (which it then owns)."""

    def __init__(
        self, fd: int, fsync: FsyncPolicy = "batch", interval: float = DEFAULT_FSYNC_INTERVAL
    ) -> None:
        if fsync not in FSYNC_POLICIES:
            raise ValueError(f"fsync must be one of {FSYNC_POLICIES}, got {fsync!r:.40}")
        self.fd = fd
        self.fsync = fsync
        self.interval = interval
        #: Why the journal stopped accepting records (None while healthy).
        self.failure: OSError | None = None
        self.size = os.lseek(fd, 0, os.SEEK_END)
        self._synced = self.size
        self._sync_task: asyncio.Future[None] | None = None
        self._background: asyncio.Task[None] | None = None

    # -- appending ----------------------------------------------------------------------------

    def append(self, payload: bytes) -> None:
        """Write one record; ``JournalUnavailableError`` if it cannot be (nothing is applied)."""
        if self.failure is not None:
            raise self._unavailable()
        data = frame(payload)
        try:
            written = os.write(self.fd, data)
            while written < len(data):  # a short write: the rest, or the error that caused it
                written += os.write(self.fd, data[written:])
        except OSError as error:
            self._fail(error)
            self._cut_partial_record()
            raise self._unavailable() from error
        self.size += len(data)

    def _cut_partial_record(self) -> None:
        """Remove the part of a record a failed write left (recovery would cut it anyway)."""
        with contextlib.suppress(OSError):
            os.ftruncate(self.fd, self.size)
            os.lseek(self.fd, self.size, os.SEEK_SET)

    async def commit(self) -> None:
        """Return once every record appended so far is as durable as the policy promises.

        Under ``"always"`` that means an ``fsync`` has covered it; the other policies have
        nothing to wait for.
        """
        if self.fsync != "always":
            return
        target = self.size
        while self._synced < target:
            if self.failure is not None:
                raise self._unavailable()
            if self._sync_task is None:
                self._sync_task = asyncio.ensure_future(self._sync())
            await asyncio.shield(self._sync_task)

    async def _sync(self) -> None:
        """One ``fsync`` on a worker thread covering everything written when it starts."""
        covered = self.size
        try:
            await asyncio.get_running_loop().run_in_executor(None, os.fsync, self.fd)
        except OSError as error:
            self._fail(error)
        else:
            self._synced = max(self._synced, covered)
        finally:
            self._sync_task = None

    # -- background syncing -------------------------------------------------------------------

    def start(self) -> None:
        """Start the background ``fsync`` of the ``"batch"`` policy on the running loop."""
        if self.fsync == "batch" and self._background is None:
            self._background = asyncio.get_running_loop().create_task(
                self._sync_periodically(), name="marketsim-journal-fsync"
            )

    async def _sync_periodically(self) -> None:
        while self.failure is None:
            await asyncio.sleep(self.interval)
            if self._synced < self.size and self._sync_task is None:
                self._sync_task = asyncio.ensure_future(self._sync())
                await asyncio.shield(self._sync_task)

    async def close(self) -> None:
        """Stop background syncing, sync what is written (unless the policy is "off"), close."""
        if self._background is not None:
            self._background.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._background
        if self.fsync != "off" and self.failure is None:
            with contextlib.suppress(OSError):
                await asyncio.get_running_loop().run_in_executor(None, os.fsync, self.fd)
        os.close(self.fd)

    # -- failure ------------------------------------------------------------------------------

    def _fail(self, error: OSError) -> None:
        if self.failure is None:
            self.failure = error
            log.error(
                "the journal cannot be written (%s): no more commands are accepted; "
                "free space or fix the directory, then restart the server",
                error.strerror or error,
            )

    def _unavailable(self) -> JournalUnavailableError:
        reason = (self.failure.strerror if self.failure else None) or "write failed"
        return JournalUnavailableError(
            f"the market's journal cannot be written ({reason}), so it accepts no commands; "
            "reads still work"
        )
