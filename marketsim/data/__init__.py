"""Market data in and out: LOBSTER files and their replay, and session files.

- ``marketsim.data.lobster``: read LOBSTER message/orderbook files and replay them through the
  engine (or into a live server).
- ``marketsim.data.sessions``: ``save_session`` / ``load_session``, any session's event log as
  one Parquet file, loaded back into identical events and frames.
"""

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
from marketsim.data.sessions import Session, SessionFileError, load_session, save_session

__all__ = [
    "LobsterFileName",
    "ReplayResult",
    "ReplayStats",
    "Session",
    "SessionFileError",
    "find_pairs",
    "load_session",
    "parse_file_name",
    "read_messages",
    "read_orderbook",
    "replay",
    "save_session",
]
