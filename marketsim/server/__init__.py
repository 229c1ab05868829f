"""The grpc.aio shell around the exchange: service, fan-out hub, error mapping."""

from marketsim.server.app import MarketServer

__all__ = ["MarketServer"]
