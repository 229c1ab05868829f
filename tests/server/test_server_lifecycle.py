"""Starting and stopping a server; health checking and reflection for standard tools."""

from __future__ import annotations

import asyncio

import grpc
import pytest
from google.protobuf import descriptor_pb2
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection_pb2, reflection_pb2_grpc
from server_support import INSTRUMENTS, within

from marketsim.client import AsyncMarketClient
from marketsim.errors import MarketUnavailableError
from marketsim.server import MarketServer
from marketsim.wire.v1 import market_pb2 as pb
from marketsim.wire.v1 import market_pb2_grpc as pb_grpc

SERVICE = "marketsim.wire.v1.MarketService"


async def test_server_binds_loopback_port_zero_to_a_free_port_and_reports_it():
    first, second = MarketServer(INSTRUMENTS), MarketServer(INSTRUMENTS)
    try:
        address = await within(first.start("127.0.0.1", 0))
        other = await within(second.start("127.0.0.1", 0))
        host, port = address.rsplit(":", 1)
        assert host == "127.0.0.1" and int(port) > 0
        assert address == first.address
        assert other != address  # no silent port sharing
    finally:
        await within(first.stop(0))
        await within(second.stop(0))


async def test_binding_a_port_in_use_fails_instead_of_sharing_it(server):
    port = int(server.address.rsplit(":", 1)[1])
    other = MarketServer(INSTRUMENTS)
    with pytest.raises((OSError, RuntimeError)):
        await within(other.start("127.0.0.1", port))


async def test_a_started_server_cannot_be_started_again(server):
    with pytest.raises(RuntimeError, match="already started"):
        await within(server.start())


async def test_graceful_stop_finishes_calls_in_flight_ends_streams_and_then_refuses_calls():
    server = MarketServer(INSTRUMENTS)
    entered = asyncio.Event()
    get_book = server.service.GetBook

    async def slow_get_book(request, context):  # a call that is still running at stop()
        entered.set()
        await asyncio.sleep(0.3)
        return await get_book(request, context)

    server.service.GetBook = slow_get_book  # handlers are bound in start()
    address = await within(server.start())
    # Without reconnecting, so that the streams end when the server ends them.
    client = AsyncMarketClient(address, owner="alice", timeout=5, reconnect=False)
    try:
        await within(client.submit("ACME", "buy", 1, 1.00))
        received = {"book": [], "trades": [], "events": []}

        async def drain(name, stream):
            async for item in stream:
                received[name].append(item)

        streams = [
            asyncio.ensure_future(drain("book", client.stream_book("ACME"))),
            asyncio.ensure_future(drain("trades", client.stream_trades())),
            asyncio.ensure_future(drain("events", client.stream_events("ACME"))),
        ]
        while server.hub.subscriber_count < 3 or not received["book"]:
            await within(asyncio.sleep(0.01))
        in_flight = asyncio.ensure_future(client.book("ACME"))
        await within(entered.wait())

        await within(server.stop(grace=5.0))

        assert (await within(in_flight)).level_ticks("bid") == [(100, 1, 1)]
        for stream in streams:  # ended by the server, without an error
            assert await within(stream) is None
        assert [update.kind for update in received["book"]] == ["snapshot"]
        with pytest.raises(MarketUnavailableError):
            await within(client.book("ACME"))
        with pytest.raises(MarketUnavailableError):
            await within(client.submit("ACME", "buy", 1, 1.00))
    finally:
        await within(client.close())
        await within(server.stop(0))


async def test_stopping_twice_is_harmless(server):
    await within(server.stop(0))
    await within(server.stop(0))


async def test_health_check_reports_serving_for_the_server_and_the_market_service(channel):
    health = health_pb2_grpc.HealthStub(channel)
    for service in ("", SERVICE):
        response = await within(health.Check(health_pb2.HealthCheckRequest(service=service)))
        assert response.status == health_pb2.HealthCheckResponse.SERVING


async def test_reflection_lists_the_market_service_and_describes_its_file(channel):
    reflection = reflection_pb2_grpc.ServerReflectionStub(channel)
    call = reflection.ServerReflectionInfo()
    await within(call.write(reflection_pb2.ServerReflectionRequest(list_services="")))
    listed = await within(call.read())
    await within(call.write(reflection_pb2.ServerReflectionRequest(file_containing_symbol=SERVICE)))
    described = await within(call.read())
    await within(call.done_writing())

    names = {service.name for service in listed.list_services_response.service}
    assert {SERVICE, "grpc.health.v1.Health"} <= names
    (raw,) = described.file_descriptor_response.file_descriptor_proto[:1]
    file = descriptor_pb2.FileDescriptorProto.FromString(raw)
    assert file.name == "marketsim/wire/v1/market.proto"
    assert "MarketService" in [service.name for service in file.service]


async def test_calls_to_an_unknown_method_are_unimplemented_and_the_server_keeps_serving(
    channel, client
):
    raw = channel.unary_unary(f"/{SERVICE}/NoSuchMethod", request_serializer=bytes)
    with pytest.raises(grpc.aio.AioRpcError) as info:
        await within(raw(b""))
    assert info.value.code() == grpc.StatusCode.UNIMPLEMENTED
    assert (await within(client.book("ACME"))).seq == 0


async def test_launched_market_answers_raw_stubs_and_health_checks_from_the_tests_loop(
    market, make_channel
):
    channel = make_channel(market.address)  # the server runs on the IO thread's loop
    health = health_pb2_grpc.HealthStub(channel)
    response = await within(health.Check(health_pb2.HealthCheckRequest(service=SERVICE)))
    assert response.status == health_pb2.HealthCheckResponse.SERVING
    listed = await within(
        pb_grpc.MarketServiceStub(channel).ListInstruments(pb.ListInstrumentsRequest())
    )
    assert [(i.symbol, i.tick_size, i.lot_size) for i in listed.instruments] == [
        ("ACME", "0.01", "1"),
        ("XYZ", "0.05", "1"),
    ]
