"""The trader's connection: streams one instrument's events into a ``TraderState``, forever.

Each attempt opens a fresh client (a new channel, so a restarted server is found at once),
subscribes to the instrument's event stream, takes a full snapshot once the subscription
stands, and then applies every batch that follows the snapshot. When anything fails (the
server went away, the stream skipped a seq, the server ended it) the state says so, keeps
its last picture, and the feed tries again after ``retry_seconds``.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Mapping
from typing import Any

import grpc

from marketsim.client.aio import AsyncMarketClient
from marketsim.errors import MarketsimError
from marketsim.tui.state import TraderState
from marketsim.wire import codec
from marketsim.wire.v1 import market_pb2 as pb

#: How often the account panel is refreshed, in seconds.
ACCOUNT_SECONDS = 1.0


class _Resync(Exception):
    """The stream skipped a seq or ended: subscribe again from a fresh snapshot."""


def _short(error: BaseException) -> str:
    text = error.details() if isinstance(error, grpc.aio.AioRpcError) else str(error)
    text = (text or type(error).__name__).splitlines()[0]
    return text if len(text) <= 80 else text[:77] + "..."


class MarketFeed:
    """Keeps ``state`` following ``state.symbol`` on the server at ``address``.

    ``client_options`` go to the ``AsyncMarketClient`` constructor as they are (the token or
    TLS settings, when the user gave any). The account panel reads the server's ledger.
    """

    def __init__(
        self,
        state: TraderState,
        address: str,
        *,
        owner: str = "",
        client_options: Mapping[str, Any] | None = None,
        retry_seconds: float = 0.5,
    ) -> None:
        self.state = state
        self.address = address
        self.owner = owner
        self.client_options = dict(client_options or {})
        self.retry_seconds = retry_seconds
        #: The connected client, for order entry; None while disconnected.
        self.client: AsyncMarketClient | None = None
        self.account: Any = None
        self.account_note = "connecting"
        #: The trading case as this user sees it (a ``CaseUpdate``), None without one.
        self.case: Any = None

    def new_client(self) -> AsyncMarketClient:
        """A client for this feed's server and user."""
        return AsyncMarketClient(self.address, owner=self.owner, **self.client_options)

    async def run(self) -> None:
        """Follow the market until cancelled, reconnecting whenever the connection breaks."""
        while True:
            try:
                await self._follow_once()
            except _Resync as why:
                self.state.set_connection("connecting", str(why))
                continue
            except (grpc.aio.AioRpcError, MarketsimError, OSError, TimeoutError) as error:
                self.state.set_connection(
                    "disconnected", f"disconnected: {_short(error)}; retrying"
                )
            except Exception as error:  # a bug: say so on the screen, and keep trying
                self.state.set_connection(
                    "disconnected", f"error {type(error).__name__}: {_short(error)}; retrying"
                )
            await asyncio.sleep(self.retry_seconds)

    async def _follow_once(self) -> None:
        state = self.state
        client = self.new_client()
        call = None
        accounts = None
        try:
            listed = await client.instruments()
            state.symbols = [instrument.symbol for instrument in listed]
            if not state.symbol and listed:
                state.switch(listed[0].symbol)
            symbol = state.symbol
            instrument = await client.instrument(symbol)
            stub = await client.market_data_stub()
            call = stub.StreamEvents(
                pb.StreamEventsRequest(symbol=symbol),
                metadata=client._metadata,  # the owner (and credentials) of every call
            )
            # The server answers with headers once subscribed: a snapshot after that is covered.
            await asyncio.wait_for(call.initial_metadata(), client.timeout)
            snapshot = await client.book(symbol, depth=0)
            state.reset(instrument, snapshot.seq, snapshot.bids, snapshot.asks)
            self.client = client
            state.set_connection("live", f"live: {self.address}")
            accounts = asyncio.create_task(self._poll_account(client, symbol))
            async for batch in call:
                events = codec.events_from_proto(batch.events)
                if not events or events[-1].seq <= state.seq:
                    continue  # already in the snapshot
                if events[0].seq <= state.seq:
                    events = [event for event in events if event.seq > state.seq]
                elif events[0].seq != state.seq + 1:
                    raise _Resync(f"stream skipped from seq {state.seq} to {events[0].seq}")
                state.apply(events)
            raise _Resync("the server ended the stream")
        finally:
            self.client = None
            if accounts is not None:
                accounts.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await accounts
            if call is not None:
                call.cancel()
            await client.close()

    async def _poll_account(self, client: AsyncMarketClient, symbol: str) -> None:
        """Refresh ``self.account`` (and ``self.case``) every ``ACCOUNT_SECONDS`` while
        connected."""
        while True:
            try:
                self.account = await client.account(symbol)
                self.account_note = ""
            except (grpc.aio.AioRpcError, MarketsimError) as error:
                self.account, self.account_note = None, f"account: {_short(error)}"
            try:
                self.case = await client.case_state()
            except (grpc.aio.AioRpcError, MarketsimError):
                self.case = None  # no case on this market (or none this user may see)
            self.state.version += 1
            await asyncio.sleep(ACCOUNT_SECONDS)
