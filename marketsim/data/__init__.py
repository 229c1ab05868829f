"""Readers for market data files from outside marketsim, and replays of them through the engine."""

from marketsim.data.lobster import (
    LobsterFileName,
    ReplayResult,
    ReplayStats,
    find_pairs,
    parse_file_name,
    read_messages,
    read_orderbook,
    replay,
)

__all__ = [
    "LobsterFileName",
    "ReplayResult",
    "ReplayStats",
    "find_pairs",
    "parse_file_name",
    "read_messages",
    "read_orderbook",
    "replay",
]
