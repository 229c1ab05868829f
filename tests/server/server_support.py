"""Helpers shared by the server tests: request builders, book comparisons (deadlines and
instruments come from ``grpc_support``)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from grpc_support import DEADLINE, INSTRUMENTS, within

from marketsim.client import AsyncMarketClient
from marketsim.wire.v1 import market_pb2 as pb
from marketsim.wire.v1 import market_pb2_grpc as pb_grpc


def owner_metadata(owner: str) -> tuple[tuple[str, str], ...]:
    """Call metadata that makes a raw stub call act for ``owner``."""
    return (("marketsim-owner", owner),)


def limit(
    side: int,
    qty: int,
    price: int,
    *,
    symbol: str = "ACME",
    tif: int = pb.TIME_IN_FORCE_GTC,
    client_order_id: str = "",
) -> pb.SubmitOrderRequest:
    """A well-formed limit order request in ticks and lots (side: pb.SIDE_BUY / SIDE_SELL)."""
    return pb.SubmitOrderRequest(
        symbol=symbol,
        side=side,
        order_type=pb.ORDER_TYPE_LIMIT,
        qty_lots=qty,
        price_ticks=price,
        tif=tif,
        client_order_id=client_order_id,
    )


def levels(snapshot: Any) -> tuple[list[tuple[int, int, int]], list[tuple[int, int, int]]]:
    """(bids, asks) as (price_ticks, qty_lots, order_count) lists, from a proto or a view."""
    if isinstance(snapshot, pb.BookSnapshot):
        return (
            [(lv.price_ticks, lv.qty_lots, lv.order_count) for lv in snapshot.bids],
            [(lv.price_ticks, lv.qty_lots, lv.order_count) for lv in snapshot.asks],
        )
    return snapshot.level_ticks("bid"), snapshot.level_ticks("ask")


async def get_book(stub: pb_grpc.MarketServiceStub, symbol: str = "ACME") -> pb.BookSnapshot:
    """The full book (all levels) as the server reports it."""
    return await within(stub.GetBook(pb.GetBookRequest(symbol=symbol, depth=0)))


async def wait_until(condition: Callable[[], bool], seconds: float = DEADLINE) -> None:
    """Poll ``condition`` on the loop until it holds; fail the test after ``seconds``."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    while not condition():
        if loop.time() > deadline:
            raise AssertionError(f"condition not met within {seconds} s")
        await asyncio.sleep(0.005)


async def random_flow(
    clients: list[AsyncMarketClient], seed: int, commands: int, symbol: str = "ACME"
) -> list[Any]:
    """Apply a seeded random order flow through ``clients``; return every ``OrderResult``.

    Limit orders around 100.00 (some crossing), market, IOC, FOK and post-only orders, cancels
    and replaces of live orders. Refused commands (an order that filled meanwhile) are skipped.
    """
    import random
    from decimal import Decimal

    from marketsim.errors import UnknownOrderError

    rng = random.Random(seed)
    tick = Decimal(str(INSTRUMENTS[symbol]))
    results: list[Any] = []
    live: list[tuple[AsyncMarketClient, int]] = []

    def price() -> Decimal:
        return tick * rng.randint(round(95 / tick), round(105 / tick))

    for _ in range(commands):
        client = rng.choice(clients)
        roll = rng.random()
        try:
            if roll < 0.55:
                result = await within(
                    client.submit(symbol, rng.choice(["buy", "sell"]), rng.randint(1, 9), price())
                )
            elif roll < 0.62:
                result = await within(
                    client.submit(symbol, rng.choice(["buy", "sell"]), rng.randint(1, 20))
                )
            elif roll < 0.70:
                tif = rng.choice(["IOC", "FOK"])
                side = rng.choice(["buy", "sell"])
                result = await within(
                    client.submit(symbol, side, rng.randint(1, 9), price(), tif=tif)
                )
            elif roll < 0.75:
                side = rng.choice(["buy", "sell"])
                result = await within(
                    client.submit(symbol, side, rng.randint(1, 9), price(), post_only=True)
                )
            elif live and roll < 0.88:
                owner, order_id = live.pop(rng.randrange(len(live)))
                result = await within(owner.cancel(symbol, order_id))
            elif live:
                owner, order_id = rng.choice(live)
                new_price = price() if rng.random() < 0.5 else None
                new_qty = rng.randint(1, 9) if new_price is None or rng.random() < 0.5 else None
                result = await within(owner.replace(symbol, order_id, qty=new_qty, price=new_price))
            else:
                continue
        except UnknownOrderError:
            continue  # the order filled in the meantime: nothing changed
        results.append(result)
        if result.action == "submit" and result.leaves_lots:
            live.append((client, result.order_id))
    return results
