"""Reading LOBSTER files (lobsterdata.com): message files, orderbook files, their names.

A LOBSTER *message* file has one row per order event of one trading day (NASDAQ ITCH), an
*orderbook* file the top N price levels after each of those events. Prices are integers in
1/10,000 dollar; missing orderbook levels hold dummy prices (``ASK_DUMMY``, ``BID_DUMMY``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date as Date
from pathlib import Path

import numpy as np
import pandas as pd

MESSAGE_COLUMNS = ("time", "type", "order_id", "size", "price", "direction")
MESSAGE_DTYPES = {
    "type": "int8",
    "order_id": "int64",
    "size": "int64",
    "price": "int64",
    "direction": "int8",
}
#: LOBSTER prices are integers in units of 1/PRICE_SCALE dollar.
PRICE_SCALE = 10_000
ASK_DUMMY = 9_999_999_999
BID_DUMMY = -9_999_999_999
EXCHANGE_TZ = "America/New_York"

_NAME = re.compile(
    r"(?P<symbol>.+)_(?P<date>\d{4}-\d{2}-\d{2})_(?P<start>\d+)_(?P<end>\d+)_"
    r"(?P<kind>message|orderbook)_(?P<levels>\d+)\.csv"
)


@dataclass(frozen=True)
class LobsterFileName:
    """What a LOBSTER file name says: ``TICKER_Date_StartMs_EndMs_kind_LEVELS.csv``."""

    symbol: str
    date: Date
    start_ms: int
    end_ms: int
    kind: str
    levels: int


def parse_file_name(path: str | Path) -> LobsterFileName | None:
    """Parse a LOBSTER file name, or return None if it does not follow the pattern."""
    match = _NAME.fullmatch(Path(path).name)
    if match is None:
        return None
    return LobsterFileName(
        match["symbol"],
        Date.fromisoformat(match["date"]),
        int(match["start"]),
        int(match["end"]),
        match["kind"],
        int(match["levels"]),
    )


def find_pairs(folder: str | Path) -> list[tuple[Path, Path]]:
    """``(message_path, orderbook_path)`` of every complete pair directly in ``folder``."""
    pairs = []
    for message in sorted(Path(folder).glob("*_message_*.csv")):
        orderbook = message.with_name(message.name.replace("_message_", "_orderbook_"))
        if orderbook.is_file():
            pairs.append((message, orderbook))
    return pairs


def read_messages(
    path: str | Path, *, date: Date | str | None = None, tz: str = EXCHANGE_TZ
) -> pd.DataFrame:
    """Read a LOBSTER message file into a frame, one row per message, in file order.

    Columns: ``time`` datetime64[ns, UTC] (the file's seconds after midnight, taken as wall
    time in ``tz`` on ``date``, then converted to UTC; exact to the nanosecond for files with
    up to 9 decimals), ``type`` int8 (1-7), ``order_id`` int64, ``size`` int64 (shares),
    ``price`` int64 (1/10,000 dollar, as in the file), ``direction`` int8 (1 buy/bid, -1
    sell/ask: the side of the resting order for executions). ``date`` defaults to the one in
    the file name. ``attrs`` holds ``symbol``, ``date`` and ``levels`` from the name.
    """
    path = Path(path)
    name = parse_file_name(path)
    if date is None:
        if name is None:
            raise ValueError(f"cannot tell the date of {path.name!r}; pass date=")
        date = name.date
    frame = pd.read_csv(
        path, header=None, names=list(MESSAGE_COLUMNS), dtype={"time": "float64", **MESSAGE_DTYPES}
    )
    ns = np.rint(frame["time"].to_numpy() * 1e9).astype("int64")
    local = pd.Timestamp(date).as_unit("ns") + pd.to_timedelta(ns, unit="ns")
    frame["time"] = pd.DatetimeIndex(local).tz_localize(tz).tz_convert("UTC").as_unit("ns")
    frame.attrs.update(
        symbol=name.symbol if name else None,
        date=pd.Timestamp(date).date(),
        levels=name.levels if name else None,
    )
    return frame


def orderbook_columns(levels: int) -> list[str]:
    """``ask_price_1, ask_size_1, bid_price_1, bid_size_1, ask_price_2, ...``."""
    return [
        f"{key}_{i}"
        for i in range(1, levels + 1)
        for key in ("ask_price", "ask_size", "bid_price", "bid_size")
    ]


def read_orderbook(path: str | Path, levels: int | None = None) -> pd.DataFrame:
    """Read a LOBSTER orderbook file: row k is the book after message k.

    Columns ``ask_price_i, ask_size_i, bid_price_i, bid_size_i`` for i = 1..levels, all int64,
    prices in 1/10,000 dollar. Missing levels keep LOBSTER's dummies (price 9999999999 on the
    ask side, -9999999999 on the bid side, size 0). ``levels`` defaults to the file's column
    count over 4 and is checked against it and against the file name.
    """
    path = Path(path)
    frame = pd.read_csv(path, header=None, dtype="int64")
    found, rest = divmod(frame.shape[1], 4)
    name = parse_file_name(path)
    if rest:
        raise ValueError(f"{path.name}: {frame.shape[1]} columns is not 4 per level")
    for expected in (levels, name.levels if name else None):
        if expected is not None and expected != found:
            raise ValueError(f"{path.name}: expected {expected} levels, found {found}")
    frame.columns = orderbook_columns(found)
    frame.attrs.update(symbol=name.symbol if name else None, levels=found)
    return frame
