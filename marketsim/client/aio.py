"""``AsyncMarketClient``: the asyncio client of a marketsim server.

Prices and quantities go in and come out in the instrument's units (100.05, 10 shares); the
client converts them to ticks and lots with the instrument's grid, which it asks the server
for once per symbol. Failed calls raise the same exceptions as the engine
(``InvalidCommandError``, ``UnknownOrderError``, ...).

grpc.aio objects belong to the event loop they were made on, so the channel is created on
first use, inside the caller's loop; use one client per loop.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple, overload

import grpc
from tqdm.auto import tqdm

from marketsim.client.cases import AsyncCaseMethods
from marketsim.client.reconnect import Reconnect
from marketsim.client.streams import ClientStreams
from marketsim.client.views import BookSnapshot
from marketsim.core import AuctionResult, Instrument, OrderResult
from marketsim.core.commands import CancelOrder, Command, replace_in_units, submit_in_units
from marketsim.core.events import Event
from marketsim.core.ledger import Account
from marketsim.server.errors import exception_for, status_code_from_number
from marketsim.wire import codec
from marketsim.wire.v1 import market_pb2 as pb
from marketsim.wire.v1 import market_pb2_grpc as pb_grpc

if TYPE_CHECKING:
    import pandas as pd

#: Largest message the client accepts (book snapshots of very deep books can be large).
MAX_RECEIVE_BYTES = 64 * 1024 * 1024

OrderSpec = Mapping[str, Any] | Sequence[Any]


def _raise_for(error: grpc.aio.AioRpcError) -> None:
    raise exception_for(error.code(), error.details() or "") from None


class AsyncMarketClient(AsyncCaseMethods, ClientStreams):
    """Talk to a marketsim server at ``address`` ("host:port").

    A market with participants knows you by ``token`` (sent as ``authorization: Bearer``
    metadata); an open market takes the ``owner`` you name. ``tls=True`` connects over TLS,
    checking the server against ``root_certificates`` (PEM bytes or a file; default: the
    system's roots), and presents ``certificate_chain`` and ``private_key`` to a server that
    asks for client certificates. ``timeout`` (seconds) bounds every unary call; streams run
    until closed. Use it as an async context manager, or call ``close()`` when done.

    Streams (``stream_book``, ``stream_trades``, ``stream_events``, ``record``) reconnect by
    themselves when they break, resuming where they left off: see ``Reconnect`` for the
    backoff, the give-up time and the callback; ``reconnect=False`` turns this off. Unary
    calls are not retried.
    """

    def __init__(
        self,
        address: str,
        *,
        owner: str = "",
        token: str | None = None,
        tls: bool = False,
        root_certificates: bytes | str | Path | None = None,
        certificate_chain: bytes | str | Path | None = None,
        private_key: bytes | str | Path | None = None,
        timeout: float = 10.0,
        reconnect: Reconnect | bool = True,
    ) -> None:
        self.address = address
        self.owner = owner
        self.timeout = timeout
        #: How streams reconnect (None: they do not).
        self.reconnect: Reconnect | None = (
            Reconnect() if reconnect is True else reconnect if reconnect else None
        )
        self._settings = {
            "owner": owner,
            "token": token,
            "tls": tls,
            "root_certificates": root_certificates,
            "certificate_chain": certificate_chain,
            "private_key": private_key,
            "timeout": timeout,
            "reconnect": reconnect,
        }
        #: Times a stream could not resume where it left off and started again from a
        #: snapshot (book streams and recorders) or with events missing (trades and events).
        self.resyncs = 0
        self._closes = 0  # how often close() was called: streams of an old channel stop
        metadata = []
        if owner:
            metadata.append((codec.OWNER_METADATA_KEY, owner))
        if token:
            metadata.append(("authorization", f"Bearer {token}"))
        self._metadata = tuple(metadata)
        self._credentials = (
            grpc.ssl_channel_credentials(
                _pem(root_certificates), _pem(private_key), _pem(certificate_chain)
            )
            if tls
            else None
        )
        self._instruments: dict[str, Instrument] = {}
        self._channel: grpc.aio.Channel | None = None
        self._stub: pb_grpc.MarketServiceStub | None = None
        #: The market-data process's address, channel and stub, once used.
        self._market_data: tuple[str, grpc.aio.Channel, pb_grpc.MarketServiceStub] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    # -- plumbing ---------------------------------------------------------------------------

    @property
    def stub(self) -> pb_grpc.MarketServiceStub:
        """The generated stub, on a channel made in (and tied to) the running loop."""
        loop = asyncio.get_running_loop()
        if self._stub is None:
            self._channel = self._open_channel(self.address)
            self._stub = pb_grpc.MarketServiceStub(self._channel)
            self._loop = loop
        elif loop is not self._loop:
            raise RuntimeError(
                "this AsyncMarketClient was first used on another event loop; "
                "create one client per loop"
            )
        return self._stub

    def _open_channel(self, address: str) -> grpc.aio.Channel:
        options = [("grpc.max_receive_message_length", MAX_RECEIVE_BYTES)]
        if self.reconnect is not None:
            options += self.reconnect.channel_options()
        if self._credentials is None:
            return grpc.aio.insecure_channel(address, options=options)
        return grpc.aio.secure_channel(address, self._credentials, options=options)

    async def market_data_stub(self) -> pb_grpc.MarketServiceStub:
        """The stub for market-data streams: that of the server's market-data process when it
        has one running (asked anew on each call: it may have been restarted on another port),
        else the server's own."""
        stub = self.stub
        try:
            info = await stub.GetServerInfo(
                pb.GetServerInfoRequest(), metadata=self._metadata, timeout=self.timeout
            )
        except grpc.aio.AioRpcError as error:
            if error.code() != grpc.StatusCode.UNIMPLEMENTED:  # a server older than the RPC
                raise
            info = pb.ServerInfo()
        if not info.market_data_port:
            return stub
        address = f"{self.address.rsplit(':', 1)[0]}:{info.market_data_port}"
        if self._market_data is None or self._market_data[0] != address:
            if self._market_data is not None:
                await self._market_data[1].close()
            channel = self._open_channel(address)
            self._market_data = (address, channel, pb_grpc.MarketServiceStub(channel))
        return self._market_data[2]

    async def _unary(self, method: str, request: Any) -> Any:
        try:
            return await getattr(self.stub, method)(
                request, metadata=self._metadata, timeout=self.timeout
            )
        except grpc.aio.AioRpcError as error:
            _raise_for(error)

    def copy(self) -> AsyncMarketClient:
        """A new client of the same server with the same identity, for another event loop."""
        return AsyncMarketClient(self.address, **self._settings)  # type: ignore[arg-type]

    async def close(self) -> None:
        """Close the channel (streams in progress end with an error)."""
        self._closes += 1
        if self._market_data is not None:
            await self._market_data[1].close()
            self._market_data = None
        if self._channel is not None:
            await self._channel.close()
            self._channel = self._stub = None

    async def __aenter__(self) -> AsyncMarketClient:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    def __repr__(self) -> str:
        owner = f" as {self.owner!r}" if self.owner else ""
        return f"<{type(self).__name__} {self.address}{owner}>"

    # -- instruments ------------------------------------------------------------------------

    async def instruments(self) -> list[Instrument]:
        """The listed instruments (and refresh the client's cache of their grids)."""
        response = await self._unary("ListInstruments", pb.ListInstrumentsRequest())
        listed = [codec.instrument_from_proto(message) for message in response.instruments]
        self._instruments.update((i.symbol, i) for i in listed)
        return listed

    async def instrument(self, symbol: str) -> Instrument:
        """The instrument ``symbol`` (cached); ``UnknownSymbolError`` if it is not listed."""
        instrument = self._instruments.get(symbol)
        if instrument is None:
            await self.instruments()
            instrument = self._instruments.get(symbol)
            if instrument is None:
                raise exception_for(grpc.StatusCode.NOT_FOUND, f"unknown symbol {symbol!r}")
        return instrument

    async def add_instrument(
        self, symbol: str, tick_size: float | str = 0.01, lot_size: float | str = 1
    ) -> Instrument:
        """List a new instrument on the server."""
        message = codec.instrument_to_proto(Instrument(symbol, tick_size, lot_size))
        request = pb.AddInstrumentRequest(
            symbol=message.symbol, tick_size=message.tick_size, lot_size=message.lot_size
        )
        instrument = codec.instrument_from_proto(await self._unary("AddInstrument", request))
        self._instruments[symbol] = instrument
        return instrument

    # -- order entry ------------------------------------------------------------------------

    def _result(self, instrument: Instrument, action: str, ack: pb.OrderAck) -> OrderResult:
        return _AckResult(instrument, action, ack)  # type: ignore[arg-type]

    async def submit(
        self,
        symbol: str,
        side: str,
        qty: float,
        price: float | None = None,
        *,
        tif: str = "GTC",
        post_only: bool = False,
        client_order_id: str = "",
        stop_price: float | None = None,
        display_qty: float | None = None,
        stp: str | None = None,
    ) -> OrderResult:
        """Submit an order (a market order when ``price`` is None); see ``OrderBook.submit``,
        also for stop orders (``stop_price``), icebergs (``display_qty``) and self-trade
        prevention (``stp``).

        Resending with the same ``client_order_id`` returns the first result instead of
        entering a second order, so retries after a timeout are safe.
        """
        instrument = await self.instrument(symbol)
        command = submit_in_units(
            instrument, side, qty, price, tif, post_only, "", stop_price, display_qty, stp
        )
        request = codec.command_to_proto(command, symbol)
        request.client_order_id = client_order_id
        return self._result(instrument, "submit", await self._unary("SubmitOrder", request))

    async def cancel(self, symbol: str, order_id: int) -> OrderResult:
        """Cancel one of your live orders."""
        instrument = await self.instrument(symbol)
        request = codec.command_to_proto(CancelOrder(order_id), symbol)
        return self._result(instrument, "cancel", await self._unary("CancelOrder", request))

    async def replace(
        self,
        symbol: str,
        order_id: int,
        *,
        qty: float | None = None,
        price: float | None = None,
        stop_price: float | None = None,
    ) -> OrderResult:
        """Change one of your live orders' open quantity and/or price, or a pending stop's
        ``stop_price`` (see ``OrderBook.replace``)."""
        instrument = await self.instrument(symbol)
        command = replace_in_units(instrument, order_id, qty, price, None, stop_price)
        request = codec.command_to_proto(command, symbol)
        return self._result(instrument, "replace", await self._unary("ReplaceOrder", request))

    async def set_phase(self, symbol: str, phase: str) -> AuctionResult:
        """Move a book to "continuous", "auction" or "halted" trading (an operator's call;
        see ``OrderBook.set_phase``). Leaving an auction uncrosses it first."""
        instrument = await self.instrument(symbol)
        response = await self._unary("SetPhase", pb.SetPhaseRequest(symbol=symbol, phase=phase))
        return AuctionResult(instrument, "set_phase", codec.events_from_proto(response.events))

    async def submit_many(
        self,
        symbol: str,
        orders: Iterable[OrderSpec],
        *,
        batch_size: int = 500,
        progress: bool | None = None,
    ) -> list[OrderResult]:
        """Submit many orders over the order-entry stream, ``batch_size`` per message.

        Each order is a mapping with the keyword arguments of ``submit`` (side, qty, price,
        tif, post_only) or a tuple (side, qty[, price]). All orders are validated before the
        first is sent. Results come back in order. A command the server refuses raises its
        exception after the stream ends (the orders before and after it were processed).
        ``progress`` shows a bar (default: for 10,000 orders or more).
        """
        instrument = await self.instrument(symbol)
        commands = [_order_command(instrument, order, symbol) for order in orders]
        batches = [commands[i : i + batch_size] for i in range(0, len(commands), batch_size)]
        show = len(commands) >= 10_000 if progress is None else progress
        bar = tqdm(total=len(commands), desc=f"submit {symbol}", unit="order", disable=not show)
        call = self.stub.OrderEntry(metadata=self._metadata)

        async def write_all() -> None:
            for batch in batches:
                await call.write(pb.OrderEntryRequest(commands=batch))
            await call.done_writing()

        writer = asyncio.create_task(write_all())
        results: list[OrderResult] = []
        first_error: Exception | None = None
        try:
            async for response in call:
                for ack in response.acks:
                    if ack.HasField("error"):
                        code = status_code_from_number(ack.error.code)
                        first_error = first_error or exception_for(code, ack.error.message)
                    else:
                        results.append(self._result(instrument, "submit", ack))
                bar.update(len(response.acks))
            await writer
        except grpc.aio.AioRpcError as error:
            _raise_for(error)
        finally:
            writer.cancel()
            bar.close()
        if first_error is not None:
            raise first_error
        return results

    # -- participants and accounts ------------------------------------------------------------

    async def whoami(self) -> Identity:
        """Who the server takes you for: participant name, role, and whether it checked."""
        response = await self._unary("WhoAmI", pb.WhoAmIRequest())
        return Identity(response.participant, response.role, response.authenticated)

    @overload
    async def account(self, symbol: str) -> Account: ...
    @overload
    async def account(self, symbol: None = None) -> pd.DataFrame: ...
    async def account(self, symbol: str | None = None) -> Account | pd.DataFrame:
        """Your ``Account`` in ``symbol``; without a symbol, a frame with one row per listed
        instrument (schema ``accounts`` of ``marketsim.frames``)."""
        response = await self._unary("GetAccount", pb.GetAccountRequest(symbol=symbol or ""))
        accounts = [await self._account(message) for message in response.accounts]
        if symbol is not None:
            return accounts[0]
        from marketsim.frames import accounts_frame

        return accounts_frame(accounts, await self._instruments_of(symbol))

    async def _instruments_of(self, symbol: str | None) -> list[Instrument]:
        """The instruments a frame about ``symbol``, or about every symbol, may cover: their
        lot sizes decide its quantity dtype, whichever rows arrive."""
        return [await self.instrument(symbol)] if symbol else await self.instruments()

    async def _account(self, message: pb.Account) -> Account:
        return codec.account_from_proto(message, await self.instrument(message.symbol))

    async def orders(self, symbol: str | None = None) -> pd.DataFrame:
        """Your open orders, in one instrument or all, oldest first (schema ``orders``)."""
        response = await self._unary("ListOrders", pb.ListOrdersRequest(symbol=symbol or ""))
        rows = []
        for order in response.orders:
            instrument = await self.instrument(order.symbol)
            rows.append(
                {
                    "symbol": order.symbol,
                    "order_id": order.order_id,
                    "side": codec.SIDE.decode(order.side),
                    "price": instrument.ticks_to_price(order.price_ticks),
                    "qty": instrument.lots_to_qty(order.qty_lots),
                    "filled_qty": instrument.lots_to_qty(order.filled_lots),
                    "queue_position": order.queue_position,
                    "orders_at_level": order.orders_at_level,
                }
            )
        from marketsim.frames import orders_frame

        return orders_frame(rows, await self._instruments_of(symbol))

    async def leaderboard(self, symbol: str | None = None) -> pd.DataFrame:
        """Every participant ranked by total P&L, in one instrument or summed over all
        (schema ``leaderboard``). Admins only, unless the server makes it public."""
        request = pb.GetLeaderboardRequest(symbol=symbol or "")
        response = await self._unary("GetLeaderboard", request)
        entries = [
            (entry.participant, entry.role, [await self._account(a) for a in entry.accounts])
            for entry in response.entries
        ]
        from marketsim.frames import leaderboard_frame

        return leaderboard_frame(entries, await self._instruments_of(symbol))

    async def stream_private(self) -> AsyncIterator[PrivateUpdate]:
        """Your own activity as it happens: for each command that touched one of your orders,
        its events (other owners' names removed) and your account after it."""
        call = self.stub.StreamPrivate(pb.StreamPrivateRequest(), metadata=self._metadata)
        try:
            async for message in call:
                yield PrivateUpdate(
                    message.symbol,
                    codec.events_from_proto(message.events),
                    await self._account(message.account),
                )
        except grpc.aio.AioRpcError as error:
            _raise_for(error)
        finally:
            call.cancel()

    # -- market data ------------------------------------------------------------------------

    async def book(self, symbol: str, depth: int = 10) -> BookSnapshot:
        """A snapshot of ``symbol``'s book, ``depth`` levels per side (0 for all)."""
        request = pb.GetBookRequest(symbol=symbol, depth=depth)
        return BookSnapshot.from_proto(await self._unary("GetBook", request))


class Identity(NamedTuple):
    """Who a server takes a client for (see ``AsyncMarketClient.whoami``)."""

    participant: str
    role: str
    authenticated: bool


class PrivateUpdate(NamedTuple):
    """One command's effect on you: its events that concern you, and your account after."""

    symbol: str
    events: list[Event]
    account: Account


def _pem(value: bytes | str | Path | None) -> bytes | None:
    """PEM bytes as given, or read from a file path."""
    if value is None or isinstance(value, bytes):
        return value
    return Path(value).read_bytes()


def _order_command(instrument: Instrument, order: OrderSpec, symbol: str) -> pb.OrderCommand:
    """One ``submit_many`` order as an ``OrderCommand`` (validated)."""
    if isinstance(order, Mapping):
        command: Command = submit_in_units(instrument, **order)
    else:
        command = submit_in_units(instrument, *order)
    return codec.order_command_to_proto(command, symbol)


class _AckResult(OrderResult):
    """An ``OrderResult`` read from an ``OrderAck``: the status, reason and quantities come
    from the ack's fields, and the events are decoded only when first asked for (decoding
    them is ~90% of the client's cost per order)."""

    __slots__ = ("_ack", "_events")

    def __init__(self, instrument: Instrument, action: str, ack: pb.OrderAck) -> None:
        self._instrument = instrument
        self.action = action  # type: ignore[assignment]
        self._ack = ack
        self._events: list | None = None
        self.order_id = ack.order_id
        self.filled_lots = ack.filled_lots
        self.leaves_lots = ack.leaves_lots
        self.status = codec.ORDER_STATUS.decode(ack.status)  # type: ignore[assignment]
        self.reason = ack.reason or None
        self.queue_spot = None

    @property  # type: ignore[override]
    def events(self) -> list:
        if self._events is None:
            self._events = codec.events_from_proto(self._ack.events)
        return self._events
