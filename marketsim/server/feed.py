"""The market-data process: fan-out on another core, fed by the sequenced commands.

Sending a stream message costs a grpc.aio server far more than matching an order, so with
hundreds of book subscribers the fan-out takes the core that order entry needs. With
``market_data="process"`` the server starts a second process, ``marketsim.server.replica``,
and hands it how to serve (participants, TLS, limits), the market's state once, then every
record the sequencer applies (the journal's records, journal or not). The replica replays
them as recovery does, so its books are the market's, seq for seq, and serves GetBook and the
book, trade and event streams from its own gRPC port. Clients ask ``GetServerInfo`` where.

Feeding it costs the market one record encoding per command and one pipe write per loop turn,
and never waits: records queue in memory while the replica is slow. A replica that falls
``max_lag_bytes`` behind, or dies, is killed and replaced by a fresh one built from the
market's state at that moment; meanwhile ``port`` is 0 and the market serves its streams
itself. Its subscribers reconnect (clients ask anew where market data is) and resume by seq.

The replica is a pure follower: it changes nothing, so it can always be replaced.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import logging
import pickle
import struct
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from marketsim.core import OrderBook
from marketsim.errors import MarketUnavailableError

if TYPE_CHECKING:
    from marketsim.server.auth import Gate
    from marketsim.server.connections import ConnectionLimits
    from marketsim.server.durability import Journal
    from marketsim.server.sequencer import Sequencer
    from marketsim.server.tls import TlsConfig

log = logging.getLogger(__name__)

MarketDataMode = Literal["inline", "process"]
MARKET_DATA_MODES: tuple[MarketDataMode, ...] = ("inline", "process")

#: Each message on the replica's stdin: its length, then the bytes.
LENGTH = struct.Struct("<I")
#: Bytes of records a replica may lag behind before it is replaced.
DEFAULT_MAX_LAG_BYTES = 64 * 1024 * 1024
#: Seconds a new replica has to load the state and start listening.
START_TIMEOUT = 60.0
#: Seconds between a replica's loss and the start of its replacement.
RESTART_DELAY = 1.0


class MarketDataProcess:
    """Runs, feeds and replaces the market-data replica of ``sequencer``'s market.

    ``gate``, ``tls`` and ``connections`` are the market's, so the replica lets in the same
    participants under the same limits; it listens on ``host``. With ``journal``, a stream
    resuming from further back than the replica's memory reads the journal's directory.
    """

    def __init__(
        self,
        sequencer: Sequencer,
        gate: Gate,
        tls: TlsConfig | None,
        connections: ConnectionLimits,
        host: str,
        journal: Journal | None = None,
        *,
        max_lag_bytes: int = DEFAULT_MAX_LAG_BYTES,
    ) -> None:
        self.sequencer = sequencer
        self.gate = gate
        self.tls = tls
        self.connections = connections
        self.host = host
        self.journal_directory: Path | None = None if journal is None else journal.directory
        self.max_lag_bytes = max_lag_bytes
        #: The replica's port while one is serving, else 0.
        self.port = 0
        #: Replicas started so far (the first one included).
        self.starts = 0
        self._process: asyncio.subprocess.Process | None = None
        self._stdin: asyncio.WriteTransport | None = None
        self._pending: list[bytes] = []
        self._watcher: asyncio.Task[None] | None = None

    @property
    def pid(self) -> int | None:
        """The replica's process id while one runs."""
        return None if self._process is None else self._process.pid

    async def start(self) -> None:
        """Start the replica and wait until it serves (raises if it cannot start)."""
        await self._spawn()
        self._watcher = asyncio.create_task(self._watch())

    async def stop(self) -> None:
        """Stop feeding and end the replica (its streams end; clients fall back here)."""
        self._detach()
        if self._watcher is not None:
            self._watcher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._watcher
        if self._process is not None:
            await _end(self._process)
            self._process = None

    # -- feeding -----------------------------------------------------------------------------

    def send(self, record: bytes) -> None:
        """Queue a record for the replica; the queue goes out once per loop turn."""
        if not self._pending:
            asyncio.get_running_loop().call_soon(self._flush)
        self._pending.append(LENGTH.pack(len(record)))
        self._pending.append(record)

    def _flush(self) -> None:
        data, self._pending = b"".join(self._pending), []
        stdin = self._stdin
        if stdin is None or stdin.is_closing():
            return
        stdin.write(data)
        if stdin.get_write_buffer_size() > self.max_lag_bytes:
            log.error(
                "the market-data process fell %d bytes of records behind; replacing it",
                stdin.get_write_buffer_size(),
            )
            self._detach()
            if self._process is not None:
                self._process.kill()  # the watcher starts another

    def _detach(self) -> None:
        """Stop feeding the replica (it can no longer follow: it must be replaced)."""
        self.port = 0
        if self.sequencer.feed is self:
            self.sequencer.feed = None
        self._pending = []
        if self._stdin is not None:
            if not self._stdin.is_closing():  # it is once the replica has gone
                self._stdin.abort()
            self._stdin = None

    # -- the replica's life --------------------------------------------------------------------

    async def _spawn(self) -> None:
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "marketsim.server.replica",
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
        )
        self._process = process
        self.starts += 1
        assert process.stdin is not None and process.stdout is not None
        stdin = process.stdin.transport
        assert isinstance(stdin, asyncio.WriteTransport)
        # The state and the feed start in one synchronous step: no record falls between.
        for message in (self._setup(), _without_event_logs(self.sequencer.state())):
            stdin.write(LENGTH.pack(len(message)) + message)
        self._stdin = stdin
        self.sequencer.feed = self
        try:
            line = await asyncio.wait_for(process.stdout.readline(), START_TIMEOUT)
        except TimeoutError:
            line = b""
        if not line.startswith(b"port "):
            self._detach()
            await _end(process)
            raise MarketUnavailableError(
                f"the market-data process did not start (it said {line[:80]!r}); "
                "see its messages above"
            )
        self.port = int(line.split()[1])

    async def _watch(self) -> None:
        """Replace the replica whenever it ends while the market runs."""
        while True:
            assert self._process is not None
            returncode = await self._process.wait()
            self._detach()
            log.warning(
                "the market-data process ended (exit status %s); starting another", returncode
            )
            while True:
                await asyncio.sleep(RESTART_DELAY)
                try:
                    await self._spawn()
                    break
                except (OSError, MarketUnavailableError) as error:
                    log.error("could not start the market-data process: %s", error)

    def _setup(self) -> bytes:
        """How the replica serves: the market's participants, TLS, limits and host."""
        setup = {
            "roster": self.gate.roster,
            "tls": self.tls,
            "connections": self.connections,
            "host": self.host,
            "journal": self.journal_directory,
        }
        return pickle.dumps(setup, protocol=pickle.HIGHEST_PROTOCOL)


class _StateWithoutEventLogs(pickle.Pickler):
    def reducer_override(self, obj: Any) -> Any:
        if type(obj) is OrderBook:
            state = dict(obj.__dict__)
            state["_events"] = None
            return OrderBook.__new__, (OrderBook,), state
        return NotImplemented


def _without_event_logs(state: dict[str, Any]) -> bytes:
    """``state`` pickled without the books' event logs (a replica keeps none)."""
    buffer = io.BytesIO()
    _StateWithoutEventLogs(buffer, protocol=pickle.HIGHEST_PROTOCOL).dump(state)
    return buffer.getvalue()


async def _end(process: asyncio.subprocess.Process, grace: float = 5.0) -> None:
    """Close the replica's stdin (it then stops by itself) and wait; kill it after ``grace``."""
    if process.stdin is not None and not process.stdin.transport.is_closing():
        process.stdin.transport.abort()
    try:
        await asyncio.wait_for(process.wait(), grace)
    except TimeoutError:
        process.kill()
        await process.wait()
