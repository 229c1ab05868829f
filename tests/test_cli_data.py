"""``marketsim simulate`` and ``marketsim replay lobster``, run as real child processes."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from marketsim import sim
from marketsim.data import load_session, lobster
from marketsim.session import launch

REPO_ROOT = Path(__file__).resolve().parents[1]
SAMPLE = REPO_ROOT / "data" / "lobster-sample"
MESSAGES = SAMPLE / "SMPL_2020-01-02_34200000_57600000_message_2.csv"
ORDERBOOK = SAMPLE / "SMPL_2020-01-02_34200000_57600000_orderbook_2.csv"
DEADLINE = 60.0


def run(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "marketsim", *map(str, args)],
        capture_output=True,
        text=True,
        timeout=DEADLINE,
    )


@pytest.fixture
def market():
    handle = launch({"ACME": 0.01})
    try:
        yield handle
    finally:
        handle.stop()


# -- simulate -------------------------------------------------------------------------------


def test_simulate_writes_the_session_of_the_same_run_as_sim_run(tmp_path):
    out = tmp_path / "zi-mm.parquet"

    done = run("simulate", "--agents", "zi,mm", "--steps", "3000", "--seed", "7", "--out", out)

    assert done.returncode == 0, done.stderr
    assert "<SimulationResult ACME: 2 agents, 3,000 steps" in done.stdout
    assert f"wrote {out} (" in done.stdout
    assert "simulate ACME" in done.stderr  # the progress bar
    expected = sim.run([sim.ZeroIntelligence(), sim.MarketMaker()], steps=3000, seed=7)
    session = load_session(out)
    assert list(session.events) == list(expected.events)
    assert session.info["command"] == ["simulate", "--agents", "zi,mm", "--steps", "3000",
                                       "--seed", "7"]  # fmt: skip


def test_simulate_by_duration_with_another_instrument(tmp_path):
    out = tmp_path / "btc.parquet"
    done = run("simulate", "--duration", "5", "--seed", "1", "--symbol", "BTC", "--tick", "0.5",
               "--out", out, "--quiet")  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    session = load_session(out)
    assert (session.symbol, str(session.instrument.tick_size)) == ("BTC", "0.5")
    assert session.events[-1].ts_event <= 5 * 10**9


def test_simulate_needs_steps_or_duration_and_known_agents():
    missing = run("simulate", "--agents", "zi")
    assert missing.returncode == 1
    assert missing.stderr.strip() == "marketsim: simulate needs --steps or --duration"
    unknown = run("simulate", "--agents", "zi,hft", "--steps", "10")
    assert unknown.returncode == 2
    assert "agents must be a comma-separated list of zi, mm, noise, momentum" in unknown.stderr


def test_simulate_live_drives_agents_on_a_server_and_saves_the_recording(market, tmp_path):
    out = tmp_path / "live.parquet"

    done = run("simulate", "--live", "--address", market.address, "--agents", "zi,mm",
               "--duration", "1", "--seed", "2", "--symbol", "LIVE", "--out", out)  # fmt: skip

    assert done.returncode == 0, done.stderr
    assert "<DriveResult LIVE: 2 agents" in done.stdout
    server = market.server.exchange["LIVE"]  # listed by the command
    session = load_session(out)
    assert session.source == "recorder" and session.start is not None
    assert list(session.events) == [e for e in server.events if e.seq > session.start.seq]
    assert {e.owner for e in server.events if hasattr(e, "owner")} <= {"zi", "mm"}
    assert len(session.trades()) > 0 or len(session.deltas()) > 0


def test_simulate_live_without_a_server_fails_with_a_message(tmp_path):
    done = run("simulate", "--live", "--address", "127.0.0.1:1", "--duration", "1")
    assert done.returncode == 5  # no server at the address
    assert done.stderr.startswith("marketsim: ")
    assert "Traceback" not in done.stderr


# -- replay lobster -------------------------------------------------------------------------


def test_replay_lobster_prints_the_match_rate_and_writes_the_session(tmp_path):
    out = tmp_path / "smpl.parquet"

    done = run("replay", "lobster", MESSAGES, "--orderbook", ORDERBOOK, "--check", "--out", out)

    assert done.returncode == 0, done.stderr
    assert "match rate 100.0000%: 299 of 299 orderbook rows" in done.stdout
    assert "replay SMPL" in done.stderr  # the progress bar
    expected = lobster.replay(MESSAGES, ORDERBOOK, progress=False)
    assert list(load_session(out).events) == list(expected.events)


def test_replay_lobster_without_the_orderbook_starts_from_an_empty_book():
    done = run("replay", "lobster", MESSAGES, "--quiet")
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("SMPL: 300 messages;")
    assert "match rate" not in done.stdout
    refused = run("replay", "lobster", MESSAGES, "--check")
    assert refused.returncode == 1
    assert "give --orderbook" in refused.stderr


def test_replay_lobster_check_fails_when_a_row_differs(tmp_path):
    rows = ORDERBOOK.read_text().splitlines()
    fields = rows[200].split(",")
    fields[1] = str(int(fields[1]) + 7)  # the best ask's size
    rows[200] = ",".join(fields)
    changed = tmp_path / ORDERBOOK.name
    changed.write_text("\n".join(rows) + "\n")

    done = run("replay", "lobster", MESSAGES, "--orderbook", changed, "--check", "--quiet")

    assert done.returncode == 1
    assert "match rate" in done.stdout
    # Row 200 differs, and so does row 201 (the replay re-synchronised to the wrong row 200).
    assert "marketsim: 2 of 299 orderbook rows differ from the replay" in done.stderr
    assert "(first rows: [200, 201])" in done.stderr


def test_replay_lobster_into_a_server_leaves_the_last_orderbook_row(market):
    done = run("replay", "lobster", MESSAGES, "--orderbook", ORDERBOOK, "--into", market.address,
               "--speed", "500")  # fmt: skip

    assert done.returncode == 0, done.stderr
    assert "live: 3" in done.stdout and "server book matches" in done.stdout
    assert f"replay SMPL into {market.address}" in done.stderr
    book = market.client().book("SMPL", depth=0)
    assert [(p, q) for p, q, _ in book.level_ticks("ask")] == [(9994, 160), (9995, 320)]
    assert [(p, q) for p, q, _ in book.level_ticks("bid")] == [(9990, 878), (9989, 464)]
