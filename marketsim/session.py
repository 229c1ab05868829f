"""``launch()``: a running market in one line, on marketsim's IO thread or in a child process.

    market = marketsim.launch({"ACME": 0.01})
    client = market.client()
    ...
    market.stop()

Either way the handle looks the same: ``.address``, ``.client()``, ``await .aclient()``,
``.stop()``, and ``with`` support.
"""

from __future__ import annotations

import re
import subprocess
import sys
import threading
from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Literal

from marketsim import runtime
from marketsim.client import AsyncMarketClient, MarketClient
from marketsim.core import Exchange, Instrument
from marketsim.errors import InvalidCommandError, MarketUnavailableError
from marketsim.server import MarketServer

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
    """Handle of a running market server (see ``launch``)."""

    mode: str

    def __init__(self, address: str) -> None:
        self.address = address
        self._clients: list[MarketClient] = []
        self._stopped = False

    def client(self, owner: str = "", timeout: float = 10.0) -> MarketClient:
        """A blocking client of this market acting for ``owner``; closed by ``stop()``."""
        self._check_running()
        client = MarketClient(self.address, owner=owner, timeout=timeout)
        self._clients.append(client)
        return client

    async def aclient(self, owner: str = "", timeout: float = 10.0) -> AsyncMarketClient:
        """An async client for the calling event loop (close it with ``await client.close()``)."""
        self._check_running()
        return AsyncMarketClient(self.address, owner=owner, timeout=timeout)

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

    def __init__(self, server: MarketServer, address: str) -> None:
        super().__init__(address)
        self.server = server

    @classmethod
    def start(cls, instruments: list[Instrument], host: str, port: int) -> ThreadMarket:
        """Build and start a server on the IO thread (grpc objects are made on that loop)."""
        server = MarketServer(Exchange({i.symbol: i for i in instruments}))
        address = runtime.run_sync(server.start(host, port))
        return cls(server, address)

    def _stop_server(self) -> None:
        runtime.run_sync(self.server.stop())


class ProcessMarket(Market):
    """A market served by a child Python process (``marketsim serve``), never forked."""

    mode = "process"

    def __init__(self, process: subprocess.Popen[str], address: str) -> None:
        super().__init__(address)
        self.process = process

    @classmethod
    def start(
        cls, instruments: list[Instrument], host: str, port: int, timeout: float
    ) -> ProcessMarket:
        """Start ``python -m marketsim serve`` and read the bound address it prints."""
        command = [sys.executable, "-m", "marketsim", "serve", "--host", host, "--port", str(port)]
        for i in instruments:
            command += ["--symbol", f"{i.symbol}:{i.tick_size}:{i.lot_size}"]
        process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
        handshake = _Handshake()
        threading.Thread(target=handshake.read, args=(process,), daemon=True).start()
        if not handshake.ready.wait(timeout):
            process.kill()
            process.wait()
            raise MarketUnavailableError(f"marketsim serve did not start within {timeout} s")
        if handshake.address is None:
            process.wait()
            raise MarketUnavailableError(
                f"marketsim serve exited with status {process.returncode} before listening"
            )
        return cls(process, handshake.address)

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
    startup_timeout: float = 30.0,
) -> Market:
    """Start a market and return its handle.

    ``symbols`` maps symbols to tick sizes (``{"ACME": 0.01}``) or ``Instrument`` objects
    (default: ACME with tick 0.01). ``mode="thread"`` serves from marketsim's IO thread in this
    process (never from your own event loop); ``mode="process"`` serves from a child process.
    The server binds ``host:port``, by default loopback on a free port (see ``.address``).
    """
    instruments = instruments_from_spec(symbols)
    if mode == "thread":
        return ThreadMarket.start(instruments, host, port)
    if mode == "process":
        return ProcessMarket.start(instruments, host, port, startup_timeout)
    raise InvalidCommandError(f"mode must be 'thread' or 'process', got {mode!r}")
