"""A market with participants: every RPC refuses the unknown and the unentitled, and changes
nothing when it does; identity comes from the token alone; streams hide owners from non-admins.
"""

from __future__ import annotations

import asyncio
import tomllib
from collections.abc import AsyncIterator

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_support import DEADLINE, within

from marketsim.client import AsyncMarketClient
from marketsim.errors import (
    AuthenticationError,
    InvalidCommandError,
    PermissionDeniedError,
    RateLimitError,
)
from marketsim.server import MarketServer
from marketsim.server.participants import Roster, new_token
from marketsim.wire.v1 import market_pb2 as pb
from marketsim.wire.v1 import market_pb2_grpc as pb_grpc

ROLES = {"alice": "trader", "bob": "trader", "prof": "admin", "screen": "viewer"}
UNAUTHENTICATED = grpc.StatusCode.UNAUTHENTICATED
DENIED = grpc.StatusCode.PERMISSION_DENIED


def limit(qty: int = 1, price: int = 10_000, side=pb.SIDE_BUY) -> pb.SubmitOrderRequest:
    return pb.SubmitOrderRequest(
        symbol="ACME",
        side=side,
        order_type=pb.ORDER_TYPE_LIMIT,
        qty_lots=qty,
        price_ticks=price,
        tif=pb.TIME_IN_FORCE_GTC,
    )


#: A valid request for every method of the service, and the least role it needs.
REQUESTS = {
    "ListInstruments": (pb.ListInstrumentsRequest(), "viewer"),
    "GetBook": (pb.GetBookRequest(symbol="ACME"), "viewer"),
    "StreamBook": (pb.StreamBookRequest(symbol="ACME"), "viewer"),
    "StreamTrades": (pb.StreamTradesRequest(symbol="ACME"), "viewer"),
    "StreamEvents": (pb.StreamEventsRequest(symbol="ACME"), "viewer"),
    "GetServerInfo": (pb.GetServerInfoRequest(), "viewer"),
    "WhoAmI": (pb.WhoAmIRequest(), "viewer"),
    "GetAccount": (pb.GetAccountRequest(symbol="ACME"), "viewer"),
    "ListOrders": (pb.ListOrdersRequest(), "viewer"),
    "StreamPrivate": (pb.StreamPrivateRequest(), "viewer"),
    "SubmitOrder": (limit(), "trader"),
    "CancelOrder": (pb.CancelOrderRequest(symbol="ACME", order_id=1), "trader"),
    "ReplaceOrder": (pb.ReplaceOrderRequest(symbol="ACME", order_id=1, qty_lots=1), "trader"),
    "OrderEntry": (
        pb.OrderEntryRequest(commands=[pb.OrderCommand(submit=limit())]),
        "trader",
    ),
    "AddInstrument": (pb.AddInstrumentRequest(symbol="NEW", tick_size="0.01"), "admin"),
    "GetLeaderboard": (pb.GetLeaderboardRequest(), "admin"),
    "SetPhase": (pb.SetPhaseRequest(symbol="ACME", phase="auction"), "admin"),
    "GetCaseState": (pb.GetCaseStateRequest(), "viewer"),
    "AnswerTender": (pb.AnswerTenderRequest(tender_id=1, accept=True), "trader"),
    "RunCase": (pb.RunCaseRequest(case_toml='[[instruments]]\nsymbol = "ACME"\n'), "admin"),
    "ControlCase": (pb.ControlCaseRequest(action="end"), "admin"),
    "GetCaseScores": (pb.GetCaseScoresRequest(), "admin"),
    "GetCasePostMortem": (pb.GetCasePostMortemRequest(), "admin"),
}
SERVICE = pb.DESCRIPTOR.services_by_name["MarketService"]


def bearer(token: str) -> tuple[tuple[str, str], ...]:
    return (("authorization", f"Bearer {token}"),)


@pytest.fixture
async def classroom(make_server) -> tuple[MarketServer, dict[str, str]]:
    roster, tokens = Roster.create(ROLES)
    server = await make_server(roster=roster)
    return server, tokens


@pytest.fixture
async def stub(classroom) -> AsyncIterator[pb_grpc.MarketServiceStub]:
    server, _ = classroom
    async with grpc.aio.insecure_channel(server.address) as channel:
        yield pb_grpc.MarketServiceStub(channel)


async def call(stub, method: str, request, metadata) -> object:
    """Make one call of any shape; return its first response (or raise its error)."""
    shape = SERVICE.methods_by_name[method]
    rpc = getattr(stub, method)
    if shape.client_streaming:
        stream = rpc(iter([request]), metadata=metadata, timeout=DEADLINE)
        return await within(stream.read())
    if shape.server_streaming:
        stream = rpc(request, metadata=metadata, timeout=DEADLINE)
        try:
            return await within(stream.read())
        finally:
            stream.cancel()
    return await within(rpc(request, metadata=metadata, timeout=DEADLINE))


async def status_of(stub, method: str, metadata) -> grpc.StatusCode:
    """The status of one call; a server stream that is still open after its headers is OK."""
    request, _ = REQUESTS[method]
    shape = SERVICE.methods_by_name[method]
    if shape.server_streaming and not shape.client_streaming:
        stream = getattr(stub, method)(request, metadata=metadata, timeout=DEADLINE)
        await within(stream.initial_metadata())
        await asyncio.sleep(0.05)  # a refusal follows its (empty) headers at once
        code = await within(stream.code()) if stream.done() else grpc.StatusCode.OK
        stream.cancel()
        return code
    try:
        await call(stub, method, request, metadata)
    except grpc.aio.AioRpcError as error:
        return error.code()
    return grpc.StatusCode.OK


def state(server: MarketServer) -> tuple:
    """Everything a refused call must leave alone: books, accounts and instruments."""
    books = tuple(
        (symbol, book.seq, tuple(book.level_ticks("bid")), tuple(book.level_ticks("ask")))
        for symbol, book in server.exchange.items()
    )
    accounts = tuple(
        account for symbol in server.ledger.symbols for account in server.ledger.accounts(symbol)
    )
    return books, accounts


def test_the_matrix_covers_every_method_of_the_service():
    assert set(REQUESTS) == {method.name for method in SERVICE.methods}


@pytest.mark.parametrize("method", REQUESTS)
@pytest.mark.parametrize(
    "credentials",
    ["none", "unknown token", "not bearer", "owner header only", "oversized"],
)
async def test_a_call_without_a_known_token_is_unauthenticated_and_changes_nothing(
    classroom, stub, method, credentials
):
    server, tokens = classroom
    await call(stub, "SubmitOrder", limit(2, 9_900), bearer(tokens["alice"]))
    metadata = {
        "none": (),
        "unknown token": bearer("not-a-token-this-market-made"),
        "not bearer": (("authorization", f"Basic {tokens['alice']}"),),
        "owner header only": (("marketsim-owner", "alice"),),
        "oversized": bearer("x" * 1_000),  # more than the gate reads; grpc caps far larger
    }[credentials]
    before = state(server)

    assert await status_of(stub, method, metadata) == UNAUTHENTICATED
    assert state(server) == before


@pytest.mark.parametrize(
    ("method", "caller"),
    [
        (method, caller)
        for method, (_, needed) in REQUESTS.items()
        for caller in ("screen", "alice")
        if (needed, caller) in {("trader", "screen"), ("admin", "screen"), ("admin", "alice")}
    ],
)
async def test_a_role_without_the_right_is_denied_and_changes_nothing(
    classroom, stub, method, caller
):
    server, tokens = classroom
    before = state(server)

    try:
        request, _ = REQUESTS[method]
        await call(stub, method, request, bearer(tokens[caller]))
    except grpc.aio.AioRpcError as error:
        assert error.code() == DENIED
        assert ROLES[caller] in error.details() and REQUESTS[method][1] in error.details()
        assert "bob" not in error.details() and "prof" not in error.details()
    else:
        raise AssertionError(f"{caller} could call {method}")
    assert state(server) == before


@pytest.mark.parametrize("method", REQUESTS)
async def test_every_role_with_the_right_gets_through(classroom, stub, method):
    _, tokens = classroom
    needed = REQUESTS[method][1]
    caller = {"viewer": "screen", "trader": "alice", "admin": "prof"}[needed]

    code = await status_of(stub, method, bearer(tokens[caller]))

    # Cancel and replace of order 1 reach the book, which has no such order.
    assert code in (grpc.StatusCode.OK, grpc.StatusCode.NOT_FOUND)


async def test_identity_comes_from_the_token_not_from_an_owner_header(classroom, stub):
    server, tokens = classroom
    alices = await call(stub, "SubmitOrder", limit(3, 9_900), bearer(tokens["alice"]))
    bob_posing_as_alice = (*bearer(tokens["bob"]), ("marketsim-owner", "alice"))
    before = state(server)

    with pytest.raises(grpc.aio.AioRpcError) as refused:
        await call(
            stub,
            "CancelOrder",
            pb.CancelOrderRequest(symbol="ACME", order_id=alices.order_id),
            bob_posing_as_alice,
        )
    assert refused.value.code() == DENIED and "alice" not in refused.value.details()
    assert state(server) == before

    ack = await call(stub, "SubmitOrder", limit(1, 9_800), bob_posing_as_alice)
    assert ack.events[0].accepted.owner == "bob"
    who = await call(stub, "WhoAmI", pb.WhoAmIRequest(), bob_posing_as_alice)
    assert (who.participant, who.role, who.authenticated) == ("bob", "trader", True)


async def test_public_streams_name_owners_to_admins_only(classroom, stub):
    _, tokens = classroom
    streams = {
        who: stub.StreamTrades(pb.StreamTradesRequest(symbol="ACME"), metadata=bearer(tokens[who]))
        for who in ("prof", "alice", "screen")
    }
    events = stub.StreamEvents(
        pb.StreamEventsRequest(symbol="ACME"), metadata=bearer(tokens["alice"])
    )
    for stream in (*streams.values(), events):
        await within(stream.initial_metadata())

    await call(stub, "SubmitOrder", limit(2, 10_000, pb.SIDE_SELL), bearer(tokens["alice"]))
    await call(stub, "SubmitOrder", limit(2, 10_000), bearer(tokens["bob"]))

    seen = {who: (await within(stream.read())).trades[0] for who, stream in streams.items()}
    assert (seen["prof"].maker_owner, seen["prof"].taker_owner) == ("alice", "bob")
    for who in ("alice", "screen"):  # not even alice's own name
        assert (seen[who].maker_owner, seen[who].taker_owner) == ("", "")
        assert seen[who].qty_lots == 2 and seen[who].price_ticks == 10_000
    batch = await within(events.read())
    owners = [
        getattr(getattr(e, e.WhichOneof("kind")), "owner", "")
        for e in batch.events
        if e.WhichOneof("kind") != "delta"
    ]
    assert owners and set(owners) == {""}
    for stream in (*streams.values(), events):
        stream.cancel()


async def test_the_private_stream_carries_only_the_callers_own_activity(classroom):
    server, tokens = classroom

    def client(name: str) -> AsyncMarketClient:
        return AsyncMarketClient(server.address, token=tokens[name], timeout=DEADLINE)

    alice, bob = client("alice"), client("bob")
    private = alice.stream_private()
    first = asyncio.ensure_future(private.__anext__())
    await within(_until_subscribed(server, "alice"))
    await within(bob.submit("ACME", "buy", 1, 99.00))  # not alice's: she sees nothing of it
    await within(alice.submit("ACME", "sell", 4, 100.00))
    await within(bob.submit("ACME", "buy", 3))

    accepted = await within(first)
    assert [type(e).__name__ for e in accepted.events] == ["OrderAccepted"]
    assert accepted.account.open_orders == 1
    fill = await within(private.__anext__())
    (trade,) = fill.events
    assert (trade.maker_owner, trade.taker_owner, trade.qty_lots) == ("alice", "", 3)
    assert (fill.account.position, fill.account.cash) == (-3, 300.0)
    await private.aclose()
    for c in (alice, bob):
        await c.close()


async def _until_subscribed(server: MarketServer, owner: str) -> None:
    while owner not in server.hub._by_owner:
        await asyncio.sleep(0.01)


async def test_accounts_orders_and_leaderboard_report_what_happened(classroom):
    server, tokens = classroom
    alice = AsyncMarketClient(server.address, token=tokens["alice"], timeout=DEADLINE)
    bob = AsyncMarketClient(server.address, token=tokens["bob"], timeout=DEADLINE)
    prof = AsyncMarketClient(server.address, token=tokens["prof"], timeout=DEADLINE)
    await within(alice.submit("ACME", "sell", 10, 100.00))
    await within(alice.submit("ACME", "sell", 5, 100.10))
    await within(bob.submit("ACME", "buy", 4))
    await within(bob.submit("ACME", "buy", 1, 99.90))

    account = await within(bob.account("ACME"))
    assert (account.position, account.avg_price, account.cash) == (4, 100.0, -400.0)
    assert account.mark == pytest.approx(99.95) and account.open_orders == 1
    assert account.unrealized_pnl == pytest.approx(-0.2)
    frame = await within(bob.account())
    assert list(frame["symbol"]) == ["ACME", "XYZ"] and list(frame["owner"]) == ["bob", "bob"]

    orders = await within(alice.orders())
    assert list(orders["order_id"]) == [1, 2] and list(orders["qty"]) == [6.0, 5.0]
    assert list(orders["queue_position"]) == [1, 1] and list(orders["filled_qty"]) == [4.0, 0.0]
    # Quantities are integers while every listed lot is whole, whatever the orders are in.
    assert orders["qty"].dtype == frame["position"].dtype == "int64"
    await within(prof.add_instrument("COIN", "0.01", lot_size="0.001"))
    assert (await within(alice.orders()))["qty"].dtype == "float64"
    assert (await within(alice.orders("ACME")))["qty"].dtype == "int64"
    assert (await within(bob.account()))["position"].dtype == "float64"

    board = await within(prof.leaderboard("ACME"))
    assert list(board["participant"]) == ["alice", "prof", "screen", "bob"]
    assert list(board["rank"]) == [1, 2, 2, 4]  # competition ranking: prof and screen tie
    assert board["total_pnl"].tolist() == pytest.approx([0.2, 0.0, 0.0, -0.2])
    with pytest.raises(PermissionDeniedError, match="GetLeaderboard needs the admin role"):
        await within(bob.leaderboard())
    for c in (alice, bob, prof):
        await c.close()


async def test_a_public_leaderboard_is_open_to_every_participant(make_server):
    roster, tokens = Roster.create(ROLES, public_leaderboard=True)
    server = await make_server(roster=roster)
    async with AsyncMarketClient(server.address, token=tokens["screen"]) as screen:
        board = await within(screen.leaderboard())
    assert set(board["participant"]) == set(ROLES)


async def test_the_rate_limit_refuses_with_when_to_retry_and_changes_nothing(make_server):
    roster, tokens = Roster.create(ROLES, defaults={"commands_per_second": 0.5, "burst": 2})
    server = await make_server(roster=roster)
    async with AsyncMarketClient(server.address, token=tokens["bob"]) as bob:
        await within(bob.submit("ACME", "buy", 1, 99.00))
        await within(bob.submit("ACME", "buy", 1, 99.01))
        before = state(server)
        with pytest.raises(RateLimitError, match="rate limit") as limited:
            await within(bob.submit("ACME", "buy", 1, 99.02))
        assert 0 < limited.value.retry_after <= 2.0
        assert state(server) == before
    async with grpc.aio.insecure_channel(server.address) as channel:
        stub = pb_grpc.MarketServiceStub(channel)
        unary = stub.SubmitOrder(limit(), metadata=bearer(tokens["bob"]))
        with pytest.raises(grpc.aio.AioRpcError) as refused:
            await within(unary)
        assert refused.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
        trailing = dict(await unary.trailing_metadata())
        assert 0 < int(trailing["retry-after-ms"]) <= 2000
    # Others have buckets of their own.
    async with AsyncMarketClient(server.address, token=tokens["alice"]) as alice:
        assert (await within(alice.submit("ACME", "sell", 1, 101.00))).status == "new"


async def test_a_risk_breach_is_a_rejected_order_that_never_reaches_the_book(make_server):
    roster, tokens = Roster.create(ROLES, defaults={"max_position": 5, "max_order_qty": 10})
    server = await make_server(roster=roster)
    async with AsyncMarketClient(server.address, token=tokens["bob"]) as bob:
        await within(bob.submit("ACME", "buy", 4, 99.00))
        before = state(server)
        rejected = await within(bob.submit("ACME", "buy", 2, 99.00))
        too_big = await within(bob.submit("ACME", "sell", 11, 101.00))
        assert (rejected.status, rejected.reason, rejected.order_id) == (
            "rejected",
            "risk_max_position",
            0,
        )
        assert (
            "risk limit" in rejected.explain()
            and "before it reached the book" in rejected.explain()
        )
        assert too_big.reason == "risk_max_order_qty"
        assert state(server) == before
        order_id = (await within(bob.orders()))["order_id"].iloc[0]
        raised = await within(bob.replace("ACME", int(order_id), qty=6))
        assert (raised.status, raised.reason) == ("rejected", "risk_max_position")
        assert "replace refused: risk limit" in raised.explain()
        assert state(server) == before


async def test_health_answers_without_a_token_including_watch(classroom):
    server, _ = classroom
    async with grpc.aio.insecure_channel(server.address) as channel:
        health = health_pb2_grpc.HealthStub(channel)
        check = await within(health.Check(health_pb2.HealthCheckRequest(service="")))
        assert check.status == health_pb2.HealthCheckResponse.SERVING
        watch = health.Watch(health_pb2.HealthCheckRequest(service=""))
        first = await within(watch.read())
        assert first.status == health_pb2.HealthCheckResponse.SERVING
        watch.cancel()


async def test_the_python_client_raises_authentication_error_for_a_bad_token(classroom):
    server, _ = classroom
    async with AsyncMarketClient(server.address, token="wrong") as stranger:
        with pytest.raises(AuthenticationError, match="unknown token"):
            await within(stranger.book("ACME"))
    async with AsyncMarketClient(server.address) as nobody:
        with pytest.raises(AuthenticationError, match="needs a token"):
            await within(nobody.instruments())


def test_tokens_never_start_with_a_dash_which_a_command_line_would_take_for_an_option():
    # One random token in 64 would; 2,000 draws would all but surely show one.
    assert not any(new_token().startswith("-") for _ in range(2_000))


def test_a_participants_file_gives_students_groups_and_keeps_them():
    roster, _tokens = Roster.create({"ann": "trader", "bob": "trader"})
    bob = '[participants.bob]\nrole = "trader"\n'
    text = roster.to_toml().replace(bob, bob + 'groups = ["insider"]\n')
    again = Roster.from_document(tomllib.loads(text))
    assert (again.participant("ann").groups, again.participant("bob").groups) == ((), ("insider",))
    assert Roster.from_document(tomllib.loads(again.to_toml())).participant("bob").groups == (
        "insider",
    )
    for bad in ('"insider"', '["in sider"]', str(["g"] * 17).replace("'", '"')):
        with pytest.raises(InvalidCommandError, match="group"):
            Roster.from_document(tomllib.loads(text.replace('["insider"]', bad)))
