"""The service seen from another language: tests/interop/client.mjs drives a real server.

The Node client reads the contract from protos/ (not from marketsim's generated code), plays a
short session as owner "node" and prints what it observed as one JSON line. int64 and uint64
fields arrive as decimal strings (the loader's ``longs: String``), so nanosecond timestamps keep
all their digits. Needs ``node`` and tests/interop/node_modules, which ``make test`` installs.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

import marketsim

INTEROP = Path(__file__).resolve().parent
ROOT = INTEROP.parents[1]
CLIENT = INTEROP / "client.mjs"
NODE = shutil.which("node")

pytestmark = [
    pytest.mark.skipif(
        NODE is None,
        reason="node is not on PATH: install Node.js 18+ and npm, then `make test` sets it up",
    ),
    pytest.mark.skipif(
        not (INTEROP / "node_modules").is_dir(),
        reason="tests/interop/node_modules is missing: `make test` installs it "
        "(or run `npm ci --prefix tests/interop`)",
    ),
]


@pytest.fixture(params=["open", "participants"])
def market(request):
    """An open market, and one where "node" is a trader known by its token."""
    participants = {"node": "trader"} if request.param == "participants" else None
    with marketsim.launch({"ACME": "0.01"}, port=0, participants=participants) as market:
        yield market


def run_node_client(address: str, token: str | None) -> dict:
    assert NODE is not None
    env = {**os.environ, "MARKETSIM_TOKEN": token} if token else None
    try:
        completed = subprocess.run(
            [NODE, str(CLIENT), address],
            env=env,
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=90,
        )
    except subprocess.TimeoutExpired as error:
        pytest.fail(f"the Node client did not finish in {error.timeout} s: {error.stderr!r}")
    assert completed.returncode == 0, (
        f"the Node client exited with {completed.returncode}:\n{completed.stderr}"
    )
    lines = completed.stdout.splitlines()
    assert len(lines) == 1, f"expected one JSON line, got {completed.stdout!r}"
    return json.loads(lines[0])


def test_a_node_client_trades_streams_and_gets_the_same_answers(market):
    observed = run_node_client(market.address, market.tokens.get("node"))

    # proto-loader shows unset string fields as "": the instrument has no fees.
    assert observed["instruments"] == [
        {"symbol": "ACME", "tick_size": "0.01", "lot_size": "1", "maker_fee": "", "taker_fee": ""}
    ]

    # A resting limit sell: NEW, with its accepted event and its ask delta.
    sell = observed["sell"]
    assert sell["status"] == "ORDER_STATUS_NEW"
    assert sell["events"] == ["accepted", "delta"]
    assert (sell["filled_lots"], sell["leaves_lots"]) == ("0", "10")

    # A malformed order is a gRPC error, and takes no order id.
    assert observed["invalid"]["code"] == 3  # INVALID_ARGUMENT
    assert "qty_lots" in observed["invalid"]["details"]

    # A post-only buy that would cross is an OK response saying REJECTED.
    post_only = observed["post_only"]
    assert post_only["status"] == "ORDER_STATUS_REJECTED"
    assert post_only["reason"] == "post_only_would_cross"
    assert post_only["events"] == ["rejected"]

    buy = observed["buy"]
    assert buy["status"] == "ORDER_STATUS_FILLED"
    assert buy["events"] == ["accepted", "trade", "delta"]
    assert (buy["filled_lots"], buy["leaves_lots"]) == ("4", "0")
    # uint64 ids travel as strings; the rejected post-only order consumed id 2.
    assert [sell["order_id"], post_only["order_id"], buy["order_id"]] == ["1", "2", "3"]

    ask = {"price_ticks": "10050", "qty_lots": "10", "order_count": "1"}
    book = observed["book"]
    assert (book["bids"], book["asks"]) == ([], [ask])

    # StreamBook: a snapshot of the same book, then deltas chained to it by prev_seq.
    stream = observed["stream"]
    assert stream["snapshot_seq"] == book["seq"]
    assert stream["snapshot_asks"] == [ask]
    assert stream["prev_seq"] == stream["snapshot_seq"]
    assert int(stream["seq"]) > int(stream["prev_seq"])
    assert stream["seq"] == stream["ack_last_seq"]
    [delta] = stream["deltas"]
    assert delta["side"] == "BOOK_SIDE_ASK"
    assert delta["action"] == "DELTA_ACTION_UPDATE"
    assert (delta["price_ticks"], delta["qty_lots"], delta["order_count"]) == ("10050", "6", "1")
    assert delta["last"] is True

    # StreamTrades: the one trade, maker the sell and taker the buy.
    assert observed["trades"]["symbol"] == "ACME"
    [trade] = observed["trades"]["trades"]
    assert trade["price_ticks"] == "10050"
    assert trade["qty_lots"] == "4"
    assert trade["aggressor_side"] == "SIDE_BUY"
    assert (trade["maker_order_id"], trade["taker_order_id"]) == (sell["order_id"], buy["order_id"])
    # Names show on the public stream of an open market, never to a trader among participants.
    names = ("node", "node") if market.open else ("", "")
    assert (trade["maker_owner"], trade["taker_owner"]) == names

    # The Python client sees the book the Node client left, to the nanosecond.
    after = market.client("node").book("ACME", depth=0)
    assert after.level_ticks("bid") == []
    assert after.level_ticks("ask") == [(10050, 6, 1)]
    assert after.seq == int(stream["seq"])
    assert after.ts_event == int(delta["ts_event"])
