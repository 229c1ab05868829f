"""``launch()``: a running market in one line, on marketsim's IO thread or in a child process.

    market = marketsim.launch({"ACME": 0.01})
    client = market.client()
    ...
    market.stop()

Either way the handle looks the same: ``.address``, ``.client()``, ``await .aclient()``,
``.stop()``, and ``with`` support.
"""

from __future__ import annotations

import dataclasses
import re
import subprocess
import sys
import tempfile
import threading
from collections.abc import Iterable, Mapping
from decimal import Decimal
from pathlib import Path
from typing import Literal

from marketsim import reruns, runtime
from marketsim.client import AsyncMarketClient, MarketClient
from marketsim.client.cases import CaseControl
from marketsim.core import Instrument
from marketsim.errors import InvalidCommandError, MarketUnavailableError
from marketsim.journal.writer import FsyncPolicy
from marketsim.server import MarketServer
from marketsim.server.config import OPEN_BEYOND_LOOPBACK, MarketConfig, is_loopback
from marketsim.server.connections import ConnectionLimits
from marketsim.server.feed import MarketDataMode
from marketsim.server.participants import Roster
from marketsim.server.tls import TlsConfig

InstrumentSpec = Mapping[str, float | str | Decimal | Instrument] | Iterable[Instrument]

#: The first line ``marketsim serve`` prints; a parent process reads the address from it.
READY_LINE = re.compile(r"^marketsim listening on (\S+)$")


def instruments_from_spec(symbols: InstrumentSpec | None) -> list[Instrument]:
    """Normalise ``{"ACME": 0.01, ...}`` (tick sizes or Instruments) or Instruments to a list."""
    if symbols is None:
        return [Instrument("ACME", "0.01")]
    if isinstance(symbols, Mapping):
        return [
            spec if isinstance(spec, Instrument) else Instrument(symbol, spec)
            for symbol, spec in symbols.items()
        ]
    return list(symbols)


class Market:
    """Handle of a running market server (see ``launch``).

    ``tokens`` maps each participant made by ``launch`` to its token (empty for an open
    market, or participants read from a file, whose tokens were printed when it was made).
    """

    mode: str

    def __init__(self, address: str, config: MarketConfig) -> None:
        self.address = address
        self.tokens: dict[str, str] = dict(config.tokens)
        self._config = config
        self._clients: list[MarketClient] = []
        self._stopped = False
        reruns.track(self, "market")  # so that ``ms.stop_all()`` can stop it

    @property
    def open(self) -> bool:
        """True for a market without participants, where callers name themselves."""
        return self._config.roster is None

    def client_options(self, owner: str) -> dict[str, object]:
        """Client keywords acting for ``owner``: its token with participants, else its name
        (and the market's TLS certificate to trust, when it serves TLS)."""
        config = self._config
        keywords: dict[str, object] = {}
        if config.tls is not None:
            keywords.update(tls=True, root_certificates=config.tls.certificate_chain)
        if config.roster is None:
            return {**keywords, "owner": owner}
        if owner not in self.tokens:
            known = ", ".join(sorted(self.tokens)) or "none (read from a file)"
            raise InvalidCommandError(
                f"this market knows no token for {owner!r:.70}; tokens known: {known}"
            )
        return {**keywords, "token": self.tokens[owner]}

    def run_case(
        self,
        case: object,
        *,
        admin: str | None = None,
        clock: str = "real",
        speed: float = 1.0,
        heats: int | None = None,
    ) -> CaseControl:
        """Load a trading case (a built-in name, a path or TOML text) for the participants;
        return the moderator's ``CaseControl`` (``.start()``, ``.pause()``, ``.scores()``...).

        It acts as ``admin`` (default: the first admin this market has a token for).
        """
        if admin is None:
            roster = self._config.roster
            admins = [p.name for p in roster or () if p.role == "admin" and p.name in self.tokens]
            if not admins:
                raise InvalidCommandError("run_case needs an admin participant with a token")
            admin = admins[0]
        return self.client(admin).run_case(case, clock=clock, speed=speed, heats=heats)

    def client(self, owner: str = "", timeout: float = 10.0) -> MarketClient:
        """A blocking client of this market acting for ``owner`` (with participants: with that
        participant's token); closed by ``stop()``."""
        self._check_running()
        client = MarketClient(self.address, timeout=timeout, **self.client_options(owner))  # type: ignore[arg-type]
        self._clients.append(client)
        return client

    async def aclient(self, owner: str = "", timeout: float = 10.0) -> AsyncMarketClient:
        """An async client for the calling event loop (close it with ``await client.close()``)."""
        self._check_running()
        return AsyncMarketClient(self.address, timeout=timeout, **self.client_options(owner))  # type: ignore[arg-type]

    def join_lines(self, host: str | None = None) -> list[str]:
        """One line of Python per participant with a known token, to hand out to a class:
        ``ms.MarketClient("HOST:PORT", token="...")``. ``host`` replaces the bound address's
        host (e.g. the machine's name on the classroom network)."""
        address = self.address if host is None else f"{host}:{self.address.rsplit(':', 1)[1]}"
        tls = ", tls=True" if self._config.tls is not None else ""
        return [
            f'{name}: ms.MarketClient("{address}", token="{token}"{tls})'
            for name, token in sorted(self.tokens.items())
        ]

    @property
    def running(self) -> bool:
        """False once ``stop()`` was called."""
        return not self._stopped

    def stop(self) -> None:
        """Stop the server gracefully and close the clients made by ``client()``. Idempotent."""
        if self._stopped:
            return
        self._stopped = True
        for client in self._clients:
            client.close()
        self._clients.clear()
        self._stop_server()

    def _stop_server(self) -> None:
        raise NotImplementedError

    def _check_running(self) -> None:
        if self._stopped:
            raise MarketUnavailableError(f"the market at {self.address} was stopped")

    def __enter__(self) -> Market:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def __repr__(self) -> str:
        state = "running" if self.running else "stopped"
        return f"<Market {self.address} ({self.mode}, {state})>"


class ThreadMarket(Market):
    """A market served from marketsim's IO thread, inside this process."""

    mode = "thread"

    def __init__(self, server: MarketServer, address: str, config: MarketConfig) -> None:
        super().__init__(address, config)
        self.server = server

    @classmethod
    def start(
        cls, instruments: list[Instrument] | None, host: str, port: int, config: MarketConfig
    ) -> ThreadMarket:
        """Build and start a server on the IO thread (grpc objects are made on that loop)."""
        listed = None if instruments is None else {i.symbol: i for i in instruments}
        server = MarketServer(listed, **config.server_options())  # type: ignore[arg-type]
        address = runtime.run_sync(server.start(host, port))
        return cls(server, address, config)

    def _stop_server(self) -> None:
        runtime.run_sync(self.server.stop())


class ProcessMarket(Market):
    """A market served by a child Python process (``marketsim serve``), never forked."""

    mode = "process"

    def __init__(
        self,
        process: subprocess.Popen[str],
        address: str,
        config: MarketConfig,
        files: tempfile.TemporaryDirectory,
    ) -> None:
        super().__init__(address, config)
        self.process = process
        self._files = files

    @classmethod
    def start(
        cls,
        instruments: list[Instrument] | None,
        host: str,
        port: int,
        timeout: float,
        config: MarketConfig,
    ) -> ProcessMarket:
        """Start ``python -m marketsim serve`` and read the bound address it prints."""
        command = [sys.executable, "-m", "marketsim", "serve", "--host", host, "--port", str(port)]
        for i in instruments or ():
            command += ["--symbol", f"{i.symbol}:{i.tick_size}:{i.lot_size}"]
        # The child reads participants and certificates from files only it and we can read.
        files = tempfile.TemporaryDirectory(prefix="marketsim-")
        command += config.serve_arguments(Path(files.name))
        process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
        handshake = _Handshake()
        threading.Thread(target=handshake.read, args=(process,), daemon=True).start()
        if not handshake.ready.wait(timeout):
            process.kill()
            process.wait()
            files.cleanup()
            raise MarketUnavailableError(f"marketsim serve did not start within {timeout} s")
        if handshake.address is None:
            process.wait()
            files.cleanup()
            raise MarketUnavailableError(
                f"marketsim serve exited with status {process.returncode} before listening"
            )
        return cls(process, handshake.address, config, files)

    def _stop_server(self) -> None:
        process = self.process
        if process.poll() is None:
            process.terminate()  # SIGTERM: the server stops gracefully
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        if process.stdout is not None:
            process.stdout.close()
        self._files.cleanup()


class _Handshake:
    """Reads the child's output: the first ready line gives the address; the rest is drained
    so the child never blocks on a full pipe."""

    def __init__(self) -> None:
        self.address: str | None = None
        self.ready = threading.Event()

    def read(self, process: subprocess.Popen[str]) -> None:
        assert process.stdout is not None
        for line in process.stdout:
            match = READY_LINE.match(line.strip())
            if match and self.address is None:
                self.address = match.group(1)
                self.ready.set()
        self.ready.set()  # the child exited (before or after listening)


def launch(
    symbols: InstrumentSpec | None = None,
    *,
    mode: Literal["thread", "process"] = "thread",
    host: str = "127.0.0.1",
    port: int = 0,
    participants: Mapping[str, str] | Roster | str | Path | None = None,
    limits: Mapping[str, object] | None = None,
    fees: Mapping[str, object] | None = None,
    public_leaderboard: bool = False,
    tls: TlsConfig | None = None,
    connections: ConnectionLimits | None = None,
    insecure_open: bool = False,
    journal: str | Path | None = None,
    fsync: FsyncPolicy = "batch",
    market_data: MarketDataMode = "inline",
    startup_timeout: float = 30.0,
) -> Market:
    """Start a market and return its handle.

    ``symbols`` maps symbols to tick sizes (``{"ACME": 0.01}``) or ``Instrument`` objects
    (default: ACME with tick 0.01). ``mode="thread"`` serves from marketsim's IO thread in this
    process (never from your own event loop); ``mode="process"`` serves from a child process.
    The server binds ``host:port``, by default loopback on a free port (see ``.address``).

    ``participants`` makes a market for several people: ``{"alice": "trader", "prof":
    "admin", "screen": "viewer"}`` (fresh tokens in ``market.tokens``), a ``Roster``, or a
    participants file. ``limits`` sets every participant's risk and rate limits (see
    ``marketsim.server.participants``); ``fees`` maps symbols to ``(maker, taker)`` fees per
    unit of quantity (negative: a rebate); ``public_leaderboard`` lets every participant read
    the leaderboard. ``tls`` serves over TLS; ``connections`` bounds how long silent or idle
    peers may hold a connection (``ConnectionLimits``). A market without participants trusts
    whoever connects, so binding beyond loopback needs ``insecure_open=True``.

    ``journal`` names a directory that makes the market durable: every command is journaled
    before it is acknowledged, and launching again on the same directory brings back the same
    market, after a crash too (``symbols`` may then be left out). ``fsync`` is "batch"
    (default), "always" or "off"; see the README's "Durable markets".

    ``market_data="process"`` serves the book, trade and event streams from a second process
    as well, so that hundreds of subscribers do not slow order entry (clients find it by
    themselves); see the README's "Many subscribers".
    """
    instruments = None if symbols is None and journal else instruments_from_spec(symbols)
    config = MarketConfig.make(participants, limits, fees, public_leaderboard, tls, connections)
    if journal:
        config = dataclasses.replace(config, journal=Path(journal), fsync=fsync)
    if market_data != "inline":
        config = dataclasses.replace(config, market_data=market_data)
    if config.roster is None and not insecure_open and not is_loopback(host):
        raise InvalidCommandError(OPEN_BEYOND_LOOPBACK.format(host=host))
    if mode == "thread":
        return ThreadMarket.start(instruments, host, port, config)
    if mode == "process":
        return ProcessMarket.start(instruments, host, port, startup_timeout, config)
    raise InvalidCommandError(f"mode must be 'thread' or 'process', got {mode!r}")
