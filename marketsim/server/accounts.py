"""Accounts, open orders and the leaderboard as wire messages, read from the ledger and books.

Plain functions of the exchange and ledger state; the service's handlers call them and own
the identity and error handling.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

from marketsim.core import Exchange, OrderBook
from marketsim.core.ledger import Account, Ledger
from marketsim.wire import codec
from marketsim.wire.v1 import market_pb2 as pb


def books_of(exchange: Exchange, symbol: str) -> list[OrderBook]:
    """The book of ``symbol``, or (empty symbol) every book; ``UnknownSymbolError`` if none."""
    return [exchange[symbol]] if symbol else list(exchange.values())


def account_of(ledger: Ledger, book: OrderBook, owner: str) -> Account:
    """``owner``'s account in ``book``'s instrument, marked at the book's mid."""
    return ledger.account(
        owner,
        book.symbol,
        best_bid_ticks=book.best_bid_ticks,
        best_ask_ticks=book.best_ask_ticks,
    )


def account_list(ledger: Ledger, books: Iterable[OrderBook], owner: str) -> pb.AccountList:
    """``owner``'s accounts in ``books``."""
    return pb.AccountList(
        accounts=[codec.account_to_proto(account_of(ledger, book, owner)) for book in books]
    )


def open_orders(ledger: Ledger, books: Iterable[OrderBook], owner: str) -> pb.OpenOrderList:
    """``owner``'s resting orders in ``books``, oldest first, with their queue positions."""
    response = pb.OpenOrderList()
    for book in books:
        resting = book.engine.book.orders
        for order_id in ledger.position(owner, book.symbol).open_orders:
            order = resting[order_id]
            level = book.engine.book.half("bid" if order.side == "buy" else "ask").levels[
                order.price_ticks
            ]
            response.orders.add(
                symbol=book.symbol,
                order_id=order_id,
                side=codec.SIDE.to_proto[order.side],
                price_ticks=order.price_ticks,
                qty_lots=order.qty_lots,
                filled_lots=order.filled_lots,
                queue_position=list(level.orders).index(order_id) + 1,
                orders_at_level=len(level.orders),
            )
    return response


def leaderboard(ledger: Ledger, books: list[OrderBook], roles: dict[str, str]) -> pb.Leaderboard:
    """Every participant in ``roles`` with its accounts in ``books``, best total P&L first."""
    entries = []
    for name, role in roles.items():
        accounts = [account_of(ledger, book, name) for book in books]
        total = sum(a.total_pnl for a in accounts)
        entries.append((-total if not math.isnan(total) else math.inf, name, role, accounts))
    entries.sort(key=lambda entry: (entry[0], entry[1]))
    return pb.Leaderboard(
        entries=[
            pb.LeaderboardEntry(
                participant=name,
                role=role,
                accounts=[codec.account_to_proto(a) for a in accounts],
            )
            for _, name, role, accounts in entries
        ]
    )
