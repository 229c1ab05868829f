"""LOBSTER files (lobsterdata.com): read message and orderbook files, and replay them.

- ``files``: ``read_messages``, ``read_orderbook``, ``parse_file_name``, ``find_pairs``.
- ``replay``: ``replay(messages, orderbook)`` drives a real engine ``OrderBook`` with the
  messages and, given the orderbook file, compares the top levels with every row (see
  ``marketsim.data.lobster.replay`` for how the visible window is seeded, revealed and
  dropped). It is exact: every message becomes one engine command.
- ``compiled``: the replay's loop in C over the compiled engine's book, which ``replay`` uses
  when that engine runs; same results as the pure loop in ``replay``.
- ``live``: ``replay(..., into=client)`` also sends the replay's commands to a marketsim server,
  paced by the file's timestamps, so the live views can watch the day unfold (with one
  documented approximation for executions; see ``marketsim.data.lobster.live``).
"""

from marketsim.data.lobster.files import (
    ASK_DUMMY,
    BID_DUMMY,
    EXCHANGE_TZ,
    MESSAGE_COLUMNS,
    MESSAGE_DTYPES,
    PRICE_SCALE,
    LobsterFileName,
    find_pairs,
    orderbook_columns,
    parse_file_name,
    read_messages,
    read_orderbook,
)
from marketsim.data.lobster.live import (
    OWNER_TAKER,
    LiveReplay,
    LiveReplayStats,
    areplay_into,
    replay_into,
)
from marketsim.data.lobster.replay import (
    ANON_ID_BASE,
    OWNER,
    OWNER_INITIAL,
    OWNER_REVEALED,
    replay,
)
from marketsim.data.lobster.result import ReplayResult, ReplayStats

__all__ = [
    "ANON_ID_BASE",
    "ASK_DUMMY",
    "BID_DUMMY",
    "EXCHANGE_TZ",
    "MESSAGE_COLUMNS",
    "MESSAGE_DTYPES",
    "OWNER",
    "OWNER_INITIAL",
    "OWNER_REVEALED",
    "OWNER_TAKER",
    "PRICE_SCALE",
    "LiveReplay",
    "LiveReplayStats",
    "LobsterFileName",
    "ReplayResult",
    "ReplayStats",
    "areplay_into",
    "find_pairs",
    "orderbook_columns",
    "parse_file_name",
    "read_messages",
    "read_orderbook",
    "replay",
    "replay_into",
]
