"""The committed protobuf/gRPC code is exactly what the pinned grpcio-tools generates."""

from __future__ import annotations

from importlib.metadata import version

from marketsim.wire import generate
from marketsim.wire.v1 import market_pb2, market_pb2_grpc

GENERATED_FILES = (
    "journal_pb2.py",
    "journal_pb2.pyi",
    "market_pb2.py",
    "market_pb2.pyi",
    "market_pb2_grpc.py",
)
PACKAGE_PATH = "marketsim/wire/v1"


def test_committed_generated_code_matches_a_fresh_generation(tmp_path):
    generate.generate(tmp_path)

    fresh = tmp_path / PACKAGE_PATH
    committed = generate.REPO_ROOT / PACKAGE_PATH
    assert sorted(path.name for path in fresh.iterdir()) == sorted(GENERATED_FILES)
    for name in GENERATED_FILES:
        assert (fresh / name).read_bytes() == (committed / name).read_bytes(), (
            f"{PACKAGE_PATH}/{name} is out of date (grpcio-tools {version('grpcio-tools')}): "
            "run `python -m marketsim.wire.generate` with the pinned grpcio-tools"
        )


def test_generated_grpc_module_imports_messages_by_absolute_package_path():
    assert market_pb2_grpc.marketsim_dot_wire_dot_v1_dot_market__pb2 is market_pb2


def test_market_service_offers_the_documented_methods_with_their_streaming_shapes():
    service = market_pb2.DESCRIPTOR.services_by_name["MarketService"]
    shapes = {
        method.name: (method.client_streaming, method.server_streaming)
        for method in service.methods
    }
    unary, server_stream, bidi = (False, False), (False, True), (True, True)
    assert shapes == {
        "WhoAmI": unary,
        "GetAccount": unary,
        "ListOrders": unary,
        "GetLeaderboard": unary,
        "StreamPrivate": server_stream,
        "ListInstruments": unary,
        "AddInstrument": unary,
        "SubmitOrder": unary,
        "CancelOrder": unary,
        "ReplaceOrder": unary,
        "OrderEntry": bidi,
        "GetBook": unary,
        "StreamBook": server_stream,
        "StreamTrades": server_stream,
        "StreamEvents": server_stream,
        "GetServerInfo": unary,
        "SetPhase": unary,
        "RunCase": unary,
        "ControlCase": unary,
        "GetCaseState": unary,
        "AnswerTender": unary,
        "GetCaseScores": unary,
        "GetCasePostMortem": unary,
    }
