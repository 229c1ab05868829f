"""``MarketServer``: an exchange served over gRPC, with health checking and reflection."""

from __future__ import annotations

import os
from collections.abc import Mapping

import grpc
from google.protobuf.message import Message
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection

from marketsim.core import Exchange
from marketsim.core.ledger import Fees, Ledger
from marketsim.errors import UnknownSymbolError
from marketsim.journal.writer import FsyncPolicy
from marketsim.server.auth import AuthInterceptor, Gate
from marketsim.server.connections import ConnectionLimits
from marketsim.server.decoding import MalformedRequestInterceptor
from marketsim.server.durability import DEFAULT_SNAPSHOT_EVERY, Journal, open_journal
from marketsim.server.feed import MARKET_DATA_MODES, MarketDataMode, MarketDataProcess
from marketsim.server.hub import DEFAULT_QUEUE_SIZE, Hub
from marketsim.server.participants import Roster
from marketsim.server.sequencer import Sequencer
from marketsim.server.service import MarketService
from marketsim.server.tls import TlsConfig
from marketsim.wire.v1 import market_pb2 as pb
from marketsim.wire.v1 import market_pb2_grpc as pb_grpc

SERVICE_NAME = pb.DESCRIPTOR.services_by_name["MarketService"].full_name

#: Largest request the server accepts (grpc answers RESOURCE_EXHAUSTED above it).
MAX_RECEIVE_BYTES = 4 * 1024 * 1024


class MarketServer:
    """One exchange behind one grpc.aio server.

    ``roster`` lists the participants (without one the market is open: callers name
    themselves); ``fees`` maps symbols to maker/taker fees; ``tls`` serves over TLS, with
    client certificates required when it names a client CA. ``connections`` bounds how long a
    silent or idle peer may hold a connection (see ``ConnectionLimits``).
    ``market_data="process"`` serves the market data (book, trade and event streams) from a
    second process as well, a replica that follows the market's sequenced commands, so that
    fan-out to many subscribers runs on another core than order entry (see
    ``marketsim.server.feed``); clients find it through ``GetServerInfo``.

    Create it anywhere, but ``start`` and ``stop`` it on the event loop that will serve it:
    grpc.aio objects belong to the loop they were built on, so the server is built in
    ``start``. A server cannot be restarted; make a new one.
    """

    def __init__(
        self,
        instruments: Exchange | Mapping[str, object] | None = None,
        *,
        queue_size: int = DEFAULT_QUEUE_SIZE,
        roster: Roster | None = None,
        public_leaderboard: bool = False,
        fees: Mapping[str, Fees | Mapping | tuple] | None = None,
        tls: TlsConfig | None = None,
        connections: ConnectionLimits | None = None,
        journal: str | os.PathLike | None = None,
        fsync: FsyncPolicy = "batch",
        snapshot_every: int = DEFAULT_SNAPSHOT_EVERY,
        keep_events: bool = True,
        market_data: MarketDataMode = "inline",
    ) -> None:
        exchange = (
            instruments
            if isinstance(instruments, Exchange)
            else Exchange(instruments, keep_events=keep_events)
        )
        if instruments is not None or journal is None:
            _check_fees_listed(fees, exchange)
        self.journal: Journal | None = None
        if journal is None:
            sequencer = Sequencer(exchange, Ledger(exchange.instruments, fees))
        else:
            self.journal = open_journal(
                journal,
                None if instruments is None else exchange.instruments,
                fees,
                fsync=fsync,
                snapshot_every=snapshot_every,
                keep_events=keep_events,
            )
            sequencer = self.journal.sequencer
        self.exchange = sequencer.exchange
        self.ledger = sequencer.ledger
        self.hub = Hub(queue_size)
        self.gate = Gate(roster, public_leaderboard=public_leaderboard)
        self.service = MarketService(sequencer, self.hub, gate=self.gate, journal=self.journal)
        if market_data not in MARKET_DATA_MODES:
            raise ValueError(
                f"market_data must be one of {MARKET_DATA_MODES}, got {market_data!r:.40}"
            )
        self.market_data_mode = market_data
        self.tls = tls
        self.connections = connections or ConnectionLimits()
        self.address: str | None = None
        self._server: grpc.aio.Server | None = None
        self._health: health.aio.HealthServicer | None = None

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> str:
        """Bind ``host:port`` (port 0 picks a free one), start serving, return the address."""
        if self._server is not None:
            raise RuntimeError("this MarketServer was already started; create a new one")
        server, self._health, bound = await start_grpc_server(
            self.service, self.gate, self.tls, self.connections, host, port
        )
        if self.journal is not None:
            self.journal.start()
        self._server = server
        self.address = f"{host}:{bound}"
        if self.market_data_mode == "process":
            self.service.market_data = MarketDataProcess(
                self.service.sequencer, self.gate, self.tls, self.connections, host, self.journal
            )
            await self.service.market_data.start()
        return self.address

    async def stop(self, grace: float | None = 1.0) -> None:
        """Stop gracefully: streams end cleanly, in-flight calls get ``grace`` seconds.

        New calls are refused at once; clients see UNAVAILABLE afterwards. A journal is
        synced and closed (also when the server was never started).
        """
        if self.service.market_data is not None:
            await self.service.market_data.stop()
        if self._server is not None:
            if self._health is not None:
                await self._health.enter_graceful_shutdown()
            self.hub.close()
            await self._server.stop(grace)
        if self.journal is not None and not self.journal.closed:
            await self.journal.close()

    async def wait_for_termination(self) -> None:
        """Wait until the server has stopped."""
        if self._server is not None:
            await self._server.wait_for_termination()


async def start_grpc_server(
    service: pb_grpc.MarketServiceServicer,
    gate: Gate,
    tls: TlsConfig | None,
    connections: ConnectionLimits,
    host: str,
    port: int,
) -> tuple[grpc.aio.Server, health.aio.HealthServicer, int]:
    """Serve ``service`` on ``host:port`` (port 0 picks a free one) behind the auth and
    malformed-request interceptors, with health checking and reflection; return the started
    server, its health servicer and the port it bound."""
    server = grpc.aio.server(
        interceptors=[AuthInterceptor(gate), MalformedRequestInterceptor()],
        options=[
            # Off: with SO_REUSEPORT two servers could silently share one port.
            ("grpc.so_reuseport", 0),
            ("grpc.max_receive_message_length", MAX_RECEIVE_BYTES),
            *connections.grpc_options(),
        ],
    )
    _add_service(service, server)
    health_servicer = health.aio.HealthServicer()
    health_pb2_grpc.add_HealthServicer_to_server(health_servicer, server)
    reflection.enable_server_reflection(
        (SERVICE_NAME, health.SERVICE_NAME, reflection.SERVICE_NAME), server
    )
    if tls is None:
        bound = server.add_insecure_port(f"{host}:{port}")
    else:
        bound = server.add_secure_port(f"{host}:{port}", tls.server_credentials())
    if bound == 0:
        raise OSError(f"could not bind {host}:{port}")
    await server.start()
    serving = health_pb2.HealthCheckResponse.SERVING
    await health_servicer.set("", serving)
    await health_servicer.set(SERVICE_NAME, serving)
    return server, health_servicer, bound


def _check_fees_listed(fees: Mapping[str, object] | None, exchange: Exchange) -> None:
    unknown = set(fees or {}) - set(exchange)
    if unknown:
        raise UnknownSymbolError(f"fees for an unlisted symbol: {sorted(unknown)[0]!r:.40}")


def _serialize(message: Message | bytes) -> bytes:
    """Streams may yield messages or bytes they serialised once for all subscribers."""
    return message if type(message) is bytes else message.SerializeToString()


#: The streams whose handlers yield pre-serialised bytes, with their request types.
_BYTE_STREAMS = {
    "StreamBook": pb.StreamBookRequest,
    "StreamTrades": pb.StreamTradesRequest,
    "StreamEvents": pb.StreamEventsRequest,
}


def _add_service(service: pb_grpc.MarketServiceServicer, server: grpc.aio.Server) -> None:
    """``add_MarketServiceServicer_to_server``, except that the streams may yield bytes."""

    class Capture:  # stands in for the server to collect the generated handlers
        handlers: dict

        def add_generic_rpc_handlers(self, generic_handlers) -> None:
            pass

        def add_registered_method_handlers(self, name, handlers) -> None:
            self.handlers = handlers

    capture = Capture()
    pb_grpc.add_MarketServiceServicer_to_server(service, capture)
    handlers = dict(capture.handlers)
    for method, request_class in _BYTE_STREAMS.items():
        handlers[method] = grpc.unary_stream_rpc_method_handler(
            getattr(service, method),
            request_deserializer=request_class.FromString,
            response_serializer=_serialize,
        )
    server.add_generic_rpc_handlers((grpc.method_handlers_generic_handler(SERVICE_NAME, handlers),))
    server.add_registered_method_handlers(SERVICE_NAME, handlers)
