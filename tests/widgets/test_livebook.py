"""``LiveBook`` against a real launched market: it draws, follows the stream, stays bounded."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable

import pytest
from widget_support import (
    DEADLINE,
    eventually,
    is_png,
    rest_orders,
    seq_shown,
    server_seq,
)

from marketsim.client import AsyncMarketClient, Reconnect
from marketsim.widgets import LiveBook
from marketsim.widgets.figure import BookFigure


@pytest.fixture
async def make_live(trader: AsyncMarketClient) -> AsyncIterator[Callable[..., LiveBook]]:
    """``LiveBook``s of ACME on the test's loop; all stopped afterwards."""
    made: list[LiveBook] = []

    def make(client=None, symbol: str = "ACME", **kwargs) -> LiveBook:
        live = LiveBook(client or trader, symbol, **kwargs)
        made.append(live)
        return live

    yield make
    for live in made:
        live.stop()
        await live.wait_stopped(DEADLINE)


async def started(live: LiveBook) -> LiveBook:
    """``live`` once its first book snapshot arrived."""
    await eventually(lambda: live.snapshots >= 1, "the first book snapshot")
    return live


async def test_livebook_draws_and_its_seq_label_follows_the_book(make_live, trader):
    live = await started(make_live())

    await rest_orders(trader, 10)
    seq = await server_seq(trader)

    await eventually(lambda: seq_shown(live.seq_label.value) == seq, f"the label to show {seq}")
    assert live.renders >= 2
    assert is_png(live.image.value)
    assert live.shown_seq == live.seq == seq
    assert "frames" in live.status_label.value
    assert 'data-state="live"' in live.liveness.value
    assert "bid" in live.headline.value and "99.98" in live.headline.value  # best bid 99.98


async def test_seq_label_advances_as_orders_arrive_over_time(make_live, trader):
    live = await started(make_live(fps=10))
    shown = set()

    for batch in range(5):
        await rest_orders(trader, 3, start=3 * batch)
        seq = await server_seq(trader)
        await eventually(lambda s=seq: live.shown_seq == s, f"seq {seq} drawn")
        shown.add(seq_shown(live.seq_label.value))

    assert len(shown) == 5


async def test_render_rate_stays_under_the_fps_cap_while_orders_stream_in(make_live, trader):
    fps = 5.0
    live = await started(make_live(fps=fps))
    renders_before = live.renders
    started_at = time.perf_counter()

    for i in range(200):  # a steady stream of book changes for about two seconds
        await rest_orders(trader, 1, start=i)
        await asyncio.sleep(0.01)
    elapsed = time.perf_counter() - started_at
    drawn = live.renders - renders_before

    assert 2 <= drawn <= fps * elapsed + 2, (drawn, elapsed)
    stats = live.render_stats()
    assert stats["renders"] == live.renders and stats["max_ms"] > 0


async def test_stream_keeps_up_when_drawing_is_slow(make_live, trader, monkeypatch):
    draw = BookFigure.draw

    def slow_draw(self, frame):
        time.sleep(0.4)
        return draw(self, frame)

    monkeypatch.setattr(BookFigure, "draw", slow_draw)
    live = await started(make_live(fps=10))
    # An independent reader of the same stream, to count what the server sends.
    reference: list[int] = []

    async def read() -> None:
        async for update in trader.stream_book("ACME"):
            reference.append(update.seq)

    reader = asyncio.create_task(read())
    try:
        await eventually(lambda: reference, "the reference snapshot")
        updates_before, reference_before = live.updates, len(reference)
        started_at = time.perf_counter()

        await rest_orders(trader, 150)
        seq = await server_seq(trader)
        await eventually(lambda: live.seq == seq and reference[-1] == seq, "both readers")
        elapsed = time.perf_counter() - started_at

        # Every update reached the widget, in order, with no resubscription or skipped deltas,
        # although only a few frames could be drawn meanwhile.
        assert live.updates - updates_before == len(reference) - reference_before == 150
        assert live.snapshots == 1 and trader.resyncs == 0
        assert live.renders <= elapsed / 0.4 + 3
        # The latest value wins: the picture catches up with the server's seq.
        await eventually(lambda: live.shown_seq == seq, f"seq {seq} drawn")
        assert seq_shown(live.seq_label.value) == seq
    finally:
        reader.cancel()
        await asyncio.gather(reader, return_exceptions=True)


async def test_windows_of_quotes_and_trades_stay_bounded(make_live, trader):
    live = await started(make_live(max_points=20, max_trades=10, tape_rows=5))

    for i in range(40):  # each pair: a resting order, then a market order that takes it
        side, other = ("sell", "buy") if i % 2 else ("buy", "sell")
        await trader.submit("ACME", side, 2, 100 + (i % 7) / 100)
        await trader.submit("ACME", other, 2)
    await eventually(lambda: live.trade_count == 40, "40 trades")

    assert len(live.quotes) <= 20 and len(live.trades) == 10
    assert live.updates > 40
    await eventually(lambda: live.tape.value.count("<tr>") == 1 + 5, "a tape of five rows")


async def test_stop_ends_the_tasks_and_leaves_a_static_png(make_live, trader):
    live = await started(make_live())
    await rest_orders(trader, 5)
    await eventually(lambda: live.renders >= 1, "a first frame")

    live.stop()
    await live.wait_stopped(DEADLINE)

    assert not live.running
    assert live.reason == "stopped" and live.status_label.value.startswith("stopped")
    assert is_png(live.image.value) and len(bytes(live.image.value)) > 1000
    others = asyncio.all_tasks() - {asyncio.current_task()}
    assert not [t for t in others if "LiveBook" in t.get_name() or not t.done()]
    renders = live.renders
    await rest_orders(trader, 5, start=5)
    await asyncio.sleep(0.3)
    assert live.renders == renders  # nothing draws any more
    live.stop()  # idempotent
    await live.wait_stopped(DEADLINE)


async def test_closing_the_widget_stops_it_too(make_live):
    live = await started(make_live())

    live.close()
    await live.wait_stopped(DEADLINE)

    assert not live.running and live.reason == "stopped"


async def test_livebook_stops_by_itself_with_a_last_frame_when_the_market_stops(market, make_live):
    client = await market.aclient()
    # Streams wait this long for a server to come back before they end.
    client.reconnect = Reconnect(give_up_after=0.5)
    try:
        live = await started(make_live(client))
        await eventually(lambda: live.renders >= 1, "a first frame")

        market.stop()
        await live.wait_stopped(DEADLINE)

        assert not live.running and live.reason != "stopped"
        assert is_png(live.image.value)
    finally:
        await client.close()


async def test_livebook_opens_its_own_client_for_a_blocking_market_client(market, make_live):
    blocking = market.client(owner="viewer")
    live = await started(make_live(blocking))
    await eventually(lambda: live.renders >= 1, "a first frame")

    live.stop()
    await live.wait_stopped(DEADLINE)

    assert live._client is not blocking and live._client.owner == "viewer"
    assert live._client._channel is None  # closed on stop
    assert blocking.book("ACME").seq >= 0  # the caller's client is left alone


async def test_livebook_of_an_unknown_symbol_stops_with_the_error_shown(make_live):
    live = make_live(symbol="NOPE")

    await live.wait_stopped(DEADLINE)

    assert "NOPE" in live.reason and "error" in live.status_label.value
    assert is_png(live.image.value)


def test_livebook_needs_a_running_event_loop(market):
    with pytest.raises(RuntimeError, match="event loop"):
        LiveBook(market.client(), "ACME")


@pytest.mark.parametrize("fps", [0, -1, 11, 60])
def test_livebook_refuses_a_drawing_rate_outside_the_cap(market, fps):
    with pytest.raises(ValueError, match="fps"):
        LiveBook(market.client(), "ACME", fps=fps)
