"""A class market from the command line: participants files, serving them, trading with tokens,
and a launched process market with participants."""

from __future__ import annotations

import os
import re
import stat
import tomllib

import pytest
from test_cli import READY, Child, run

import marketsim as ms
from marketsim.errors import AuthenticationError, InvalidCommandError, PermissionDeniedError
from marketsim.server.participants import Roster, hash_token

TOKEN_LINE = re.compile(r"^  (\w+) \((\w+)\): (\S+)$", re.MULTILINE)


def new_participants(path, *extra: str) -> dict[str, str]:
    made = run(
        "participants", "new", str(path), "--traders", "alice,bob", "--admin", "prof", *extra
    )
    assert made.returncode == 0, made.stderr
    return {name: token for name, _, token in TOKEN_LINE.findall(made.stdout)}


def test_participants_new_prints_each_token_once_and_stores_only_hashes(tmp_path):
    path = tmp_path / "class.toml"
    tokens = new_participants(path, "--viewers", "screen", "--max-position", "500")

    assert set(tokens) == {"alice", "bob", "prof", "screen"}
    text = path.read_text()
    assert not any(token in text for token in tokens.values())
    document = tomllib.loads(text)
    assert document["participants"]["prof"]["role"] == "admin"
    assert document["participants"]["screen"]["role"] == "viewer"
    assert document["participants"]["bob"]["token_sha256"] == hash_token(tokens["bob"])
    assert document["defaults"]["max_position"] == 500.0
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    roster = Roster.load(path)
    assert roster.identify(tokens["alice"]).role == "trader"

    again = run("participants", "new", str(path), "--traders", "carol")
    assert again.returncode == 1 and "exists; --force replaces it" in again.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--traders", "al ice"], "a participant name is 1 to 64"),
        (["--traders", "a,b", "--admin", "a"], "'a' is named twice"),
        ([], "name at least one participant"),
    ],
)
def test_participants_new_refuses_bad_rosters(tmp_path, args, message):
    made = run("participants", "new", str(tmp_path / "p.toml"), *args)
    assert made.returncode == 1 and message in made.stderr
    assert not (tmp_path / "p.toml").exists()


def test_a_served_class_market_knows_its_participants_by_token(tmp_path):
    path = tmp_path / "class.toml"
    tokens = new_participants(path)
    child = Child("serve", "--port", "0", "--participants", str(path))
    try:
        address = child.expect(READY.pattern).group(1)
        child.expect("3 participants from")

        def as_(who: str, *args: str):
            token = tokens.get(who, "")
            return run(*args[:1], "--address", address, "--token", token, *args[1:])

        sold = as_("alice", "submit", "ACME", "sell", "5", "100.05")
        assert sold.returncode == 0 and "sell 5 @ 100.05 (GTC) as order 1" in sold.stdout
        bought = as_("bob", "submit", "ACME", "buy", "2")
        assert bought.returncode == 0 and "matched order 1" in bought.stdout
        account = as_("bob", "account", "ACME")
        # Whole lots: the position prints as 2, not 2.0.
        assert re.search(r"bob\s+ACME\s+2\s+100\.05", account.stdout), account.stdout
        board = as_("prof", "leaderboard")
        assert board.returncode == 0 and board.stdout.index("alice") < board.stdout.index("bob")
        denied = as_("bob", "leaderboard")
        assert denied.returncode == 4 and "needs the admin role" in denied.stderr
        stranger = as_("mallory", "book", "ACME")
        assert stranger.returncode == 4 and "needs a token" in stranger.stderr
        env_token = run(
            "orders", "--address", address, env_extra={"MARKETSIM_TOKEN": tokens["alice"]}
        )
        assert env_token.returncode == 0 and re.search(r"ACME\s+1\s+sell", env_token.stdout)
    finally:
        child.kill()


def test_an_open_market_beyond_loopback_refuses_to_start_unless_told():
    refused = run("serve", "--host", "0.0.0.0", "--port", "0")
    assert refused.returncode == 1
    assert "refusing to serve an open market on 0.0.0.0" in refused.stderr
    with pytest.raises(InvalidCommandError, match="refusing to serve an open market"):
        ms.launch({"ACME": 0.01}, host="0.0.0.0")


def test_a_process_market_with_participants_hands_out_working_tokens():
    market = ms.launch(
        {"ACME": 0.01},
        mode="process",
        participants={"alice": "trader", "screen": "viewer"},
        limits={"max_order_qty": 50},
        fees={"ACME": (-0.001, 0.002)},
    )
    try:
        alice = market.client("alice")
        assert alice.whoami().participant == "alice"
        assert alice.submit("ACME", "buy", 60, 99.0).reason == "risk_max_order_qty"
        assert alice.submit("ACME", "buy", 5, 99.0).status == "new"
        screen = ms.MarketClient(market.address, token=market.tokens["screen"])
        assert screen.book("ACME").best_bid == (99.0, 5)
        with pytest.raises(PermissionDeniedError):
            screen.submit("ACME", "sell", 1, 99.0)
        with pytest.raises(AuthenticationError):
            ms.MarketClient(market.address, owner="alice").book("ACME")
        with pytest.raises(InvalidCommandError, match="no token for 'mallory'"):
            market.client("mallory")
        lines = market.join_lines(host="classroom.example")
        assert lines[0].startswith('alice: ms.MarketClient("classroom.example:')
        screen.close()
    finally:
        market.stop()
