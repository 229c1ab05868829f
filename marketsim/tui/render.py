"""From a ``Picture`` to Rich text: the ladder, the tape, the chart, the account, the status.

Pure functions of the picture and the space they get, so the screen's content can be tested
without a terminal and each panel fills whatever size the layout gives it.
"""

from __future__ import annotations

import time
from typing import Any

from rich.text import Text

from marketsim.tui.state import OpenOrder, Picture

BID_STYLE, ASK_STYLE = "green", "red"
SIDE_STYLE = {"bid": BID_STYLE, "buy": BID_STYLE, "ask": ASK_STYLE, "sell": ASK_STYLE}
CONNECTION_STYLE = {"live": "bold green", "connecting": "bold yellow", "disconnected": "bold red"}
BAR_WIDTH = 7
#: The chart's marks: mid, last, and both in one cell.
MID_MARK, LAST_MARK, BOTH_MARK = "·", "•", "◆"


def _clock(ts_event: int) -> str:
    seconds = ts_event // 1_000_000_000
    return time.strftime("%H:%M:%S", time.gmtime(seconds))


def _mine_by_level(orders: list[OpenOrder]) -> dict[tuple[str, int], list[OpenOrder]]:
    mine: dict[tuple[str, int], list[OpenOrder]] = {}
    for order in orders:
        mine.setdefault((order.side, order.price_ticks), []).append(order)
    return mine


def ladder(picture: Picture, rows: int) -> Text:
    """Asks above bids, ``rows`` lines in all: orders, size, price, a size bar, own orders.

    An own order shows as ``me 5 #2``: 5 of the user's lots rest there, 2nd in the queue.
    """
    instrument = picture.instrument
    text = Text(no_wrap=True, overflow="ellipsis")
    if instrument is None:
        return text.append("waiting for the book...", style="dim")
    per_side = max(1, (rows - 2) // 2)
    asks, bids = picture.asks[:per_side], picture.bids[:per_side]
    largest = max((qty for _, qty, _ in asks + bids), default=1)
    mine = _mine_by_level(picture.orders)
    text.append(f"{'ords':>4} {'size':>7} {'price':>9} {'':<{BAR_WIDTH}} mine\n", style="dim")

    def row(side: str, price: int, qty: int, count: int) -> None:
        bar = "█" * max(1, round(BAR_WIDTH * qty / largest))
        size = f"{instrument.lots_to_qty(qty):g}"
        text.append(f"{count:>4} {size:>7} {instrument.format_price(price):>9} ", SIDE_STYLE[side])
        text.append(f"{bar:<{BAR_WIDTH}}", SIDE_STYLE[side])
        for order in mine.get((side, price), []):
            qty_text = f"{instrument.lots_to_qty(order.leaves_lots):g}"
            text.append(f" me {qty_text} #{order.queue_position}", "bold yellow")
        text.append("\n")

    for _ in range(per_side - len(asks)):
        text.append("\n")
    for level in reversed(asks):
        row("ask", *level)
    if asks and bids:
        spread = instrument.format_price(asks[0][0] - bids[0][0])
        text.append(f"{'':>4} {'spread':>7} {spread:>9}\n", style="bold")
    else:
        text.append(f"{'':>4} {'one side empty':>17}\n", style="dim")
    for level in bids:
        row("bid", *level)
    text.rstrip()
    return text


def tape(picture: Picture, rows: int) -> Text:
    """The latest trades, newest first: time (UTC), aggressor side, qty, price."""
    instrument = picture.instrument
    text = Text(no_wrap=True, overflow="ellipsis")
    text.append(f"{'UTC':<8} {'side':<4} {'qty':>6} {'price':>9}\n", style="dim")
    if instrument is None or not picture.tape:
        return text.append("no trades yet", style="dim")
    for trade in list(reversed(picture.tape))[: max(0, rows - 1)]:
        qty = f"{instrument.lots_to_qty(trade.qty_lots):g}"
        price = instrument.format_price(trade.price_ticks)
        text.append(
            f"{_clock(trade.ts_event):<8} {trade.aggressor_side:<4} {qty:>6} {price:>9}\n",
            SIDE_STYLE[trade.aggressor_side],
        )
    text.rstrip()
    return text


def chart(picture: Picture, width: int, height: int) -> Text:
    """Mid (·) and last trade (•) over the recent samples, one column per sample."""
    instrument = picture.instrument
    samples = picture.history[-max(1, width - 11) :]
    values = [v for sample in samples for v in sample if v is not None]
    text = Text(no_wrap=True, overflow="crop")
    if instrument is None or not values or height < 2:
        return text.append("mid · and last • appear as the market trades", style="dim")
    low, high = min(values), max(values)
    span = max(1, high - low)
    lines = height - 1
    grid = [[" "] * len(samples) for _ in range(lines)]

    def mark(value: int | None, column: int, symbol: str) -> None:
        if value is None:
            return
        line = lines - 1 - round((value - low) * (lines - 1) / span)
        grid[line][column] = BOTH_MARK if grid[line][column] != " " else symbol

    for column, (mid, last) in enumerate(samples):
        mark(mid, column, MID_MARK)
        mark(last, column, LAST_MARK)
    for index, cells in enumerate(grid):
        label = high if index == 0 else low if index == lines - 1 else None
        axis = f"{instrument.format_price(label):>10} " if label is not None else " " * 11
        text.append(axis, style="dim")
        text.append("".join(cells) + "\n", style="cyan")
    text.append(f"{'':11}{MID_MARK} mid  {LAST_MARK} last", style="dim")
    return text


ACCOUNT_FIELDS = (
    ("position", "position"),
    ("avg_price", "avg"),
    ("total_pnl", "P&L"),
    ("realized_pnl", "realized"),
    ("unrealized_pnl", "unrealized"),
    ("fees", "fees"),
)


def account(value: Any, note: str) -> Text:
    """The user's position and P&L in the instrument, or why there is none."""
    if value is None:
        return Text(note, style="dim")
    parts = []
    for attribute, label in ACCOUNT_FIELDS:
        number = getattr(value, attribute, None)
        if number is not None:
            parts.append(
                f"{label} {number:,.2f}" if isinstance(number, float) else f"{label} {number}"
            )
    return Text("  ".join(parts), no_wrap=False)


def case(update: Any) -> Text:
    """A trading case in three lines: the heat, the latest news, the open tender (if any)."""
    status = update.status
    text = Text(no_wrap=True, overflow="ellipsis")
    text.append(f"case {status['case']}", style="bold")
    text.append(
        f"  heat {status['heat']}/{status['heat_count']} {status['state']}  "
        f"{status['seconds_left']:.0f} s left"
    )
    if update.news:
        latest = max(update.news, key=lambda item: item["seconds"])
        text.append(f"\nnews ({latest['seconds']:.0f} s): {latest['text']}")
    open_tenders = [t for t in update.tenders if t["outcome"] == "open"]
    if open_tenders:
        tender = open_tenders[0]
        text.append(
            f"\ntender {tender['tender_id']}: {tender['side']} {tender['qty']:g} "
            f"{tender['symbol']} at {tender['price']:g} until {tender['expires_seconds']:.0f} s"
            "  (t accept, x decline)",
            style="bold yellow",
        )
    return text


def status(picture: Picture, shown_seq: int) -> Text:
    """Connection state, symbol, seq, update rate, reconnects."""
    text = Text(no_wrap=True, overflow="ellipsis")
    text.append(
        f" {picture.connection.upper()} ", style=f"reverse {CONNECTION_STYLE[picture.connection]}"
    )
    text.append(f" {picture.symbol or '-'} ", style="bold")
    text.append(f"seq {shown_seq:,}  {picture.update_rate:,.0f} upd/s  ")
    text.append(f"reconnects {picture.reconnects}  ", style="dim")
    if picture.connection != "live":
        text.append(picture.status_text, style=CONNECTION_STYLE[picture.connection])
    return text
