"""The command line as a new user meets it: instrument specs, one-line errors with distinct
exit codes, help texts, readable books; and the project's install instructions."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from test_cli import run
from test_cli import serve as serve  # the fixture: a real `marketsim serve --port 0`

from marketsim import __version__
from marketsim.cli import _instrument
from marketsim.session import launch

REPO_ROOT = Path(__file__).resolve().parents[1]


def assert_one_line_error(result: subprocess.CompletedProcess[str], status: int) -> str:
    """The command failed with ``status`` and exactly one line on stderr, no traceback."""
    assert result.returncode == status, (result.returncode, result.stderr)
    lines = result.stderr.splitlines()
    assert len(lines) == 1, lines
    assert "Traceback" not in result.stderr
    return lines[0]


# -- instruments ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("spec", "tick", "lot"),
    [("ACME", "0.01", "1"), ("ACME:0.05", "0.05", "1"), ("BTC:0.5:0.001", "0.5", "0.001")],
)
def test_symbol_spec_gives_tick_and_lot_one_unless_the_lot_is_named(spec, tick, lot):
    instrument = _instrument(spec)
    assert (str(instrument.tick_size), str(instrument.lot_size)) == (tick, lot)


def test_served_symbol_with_a_tick_trades_whole_lots_only(serve):
    _, address = serve  # `serve --symbol ACME:0.01`, the README's command

    fractional = run("submit", "ACME", "buy", "1.5", "100", "--address", address)
    line = assert_one_line_error(fractional, 1)
    assert "qty 1.5 is not a multiple of lot 1 for ACME" in line


def test_symbol_spec_with_extra_fields_is_refused():
    line = assert_one_line_error(run("serve", "--symbol", "ACME:0.01:1:extra"), 2)
    assert "expected SYMBOL[:TICK[:LOT]], got 4 fields" in line


def test_a_symbol_listed_twice_is_refused():
    line = assert_one_line_error(run("serve", "--symbol", "A:0.01", "--symbol", "A:0.05"), 2)
    assert "--symbol lists A more than once" in line


# -- one-line errors and exit codes -------------------------------------------------------------


def test_negative_depth_is_a_usage_error_not_a_traceback():
    line = assert_one_line_error(run("book", "ACME", "--depth", "-1"), 2)
    assert line == "marketsim book: argument --depth: must be 0 or more, got -1 " + (
        "(see marketsim book --help)"
    )


def test_second_server_on_a_taken_port_says_so_in_one_line(serve):
    _, address = serve
    port = address.rsplit(":", 1)[1]
    line = assert_one_line_error(run("serve", "--port", port), 6)
    assert line.startswith(f"marketsim: cannot listen on 127.0.0.1:{port}: the port is taken")


def test_each_kind_of_failure_has_its_own_exit_code(serve):
    _, address = serve
    run("submit", "ACME", "sell", "1", "100", "--address", address, "--owner", "al")

    statuses = {
        "refused input": run("submit", "ACME", "buy", "0", "--address", address).returncode,
        "usage": run("submit", "ACME", "hold", "1", "--address", address).returncode,
        "unknown symbol": run("book", "NOPE", "--address", address).returncode,
        "not yours": run("cancel", "ACME", "1", "--address", address, "--owner", "x").returncode,
        "no server": run("book", "ACME", "--address", "127.0.0.1:1").returncode,
    }
    assert statuses == {
        "refused input": 1,
        "usage": 2,
        "unknown symbol": 3,
        "not yours": 4,
        "no server": 5,
    }


@pytest.mark.parametrize("seconds", ["0", "-1"])
def test_demo_refuses_a_duration_that_is_not_positive(seconds, tmp_path):
    out = tmp_path / "plots"
    result = run("demo", "--seconds", seconds, "--out", str(out))
    assert "must be a positive number" in assert_one_line_error(result, 2)
    assert not out.exists()


# -- version, help, owner -----------------------------------------------------------------------


def test_version_prints_the_package_version():
    result = run("--version")
    assert (result.returncode, result.stdout.strip()) == (0, f"marketsim {__version__}")


@pytest.mark.parametrize(
    ("command", "option", "text"),
    [
        ("submit", "--owner", "who you trade as (default $MARKETSIM_OWNER, else your login"),
        ("serve", "--host", "address to listen on"),
        ("book", "--depth", "levels per side to show (default 10; 0 shows every level)"),
        ("demo", "--seconds", "how long to trade (default 15)"),
        ("tui", "--token", "bearer token"),
    ],
)
def test_every_option_has_help_text(command, option, text):
    result = run(command, "--help")
    assert result.returncode == 0
    flat = " ".join(result.stdout.split())
    assert re.search(rf"{option} \S+ {re.escape(text)}", flat), flat


def test_default_owner_comes_from_the_environment(serve):
    _, address = serve
    env = {**os.environ, "MARKETSIM_OWNER": "zed"}
    placed = subprocess.run(
        [sys.executable, "-m", "marketsim", "submit", "ACME", "sell", "1", "101", "--address",
         address],
        capture_output=True, text=True, env=env, timeout=30, check=True,
    )  # fmt: skip
    order_id = re.search(r"as order (\d+)", placed.stdout).group(1)

    refused = run("cancel", "ACME", order_id, "--address", address, "--owner", "amy")
    assert refused.returncode == 4
    # The message never names the owner (who owns what is private).
    assert f"order {order_id} belongs to another owner" in refused.stderr
    assert "zed" not in refused.stderr
    cancelled = subprocess.run(
        [sys.executable, "-m", "marketsim", "cancel", "ACME", order_id, "--address", address],
        capture_output=True, text=True, env=env, timeout=30,
    )  # fmt: skip
    assert cancelled.returncode == 0, cancelled.stderr


def test_someone_elses_order_is_refused_in_words_naming_nobody():
    from marketsim import OrderBook, PermissionDeniedError

    book = OrderBook("ACME", tick_size=0.01)
    order = book.submit("sell", 1, 100, owner="alice")
    with pytest.raises(PermissionDeniedError) as refused:
        book.cancel(order.order_id, owner="")
    assert str(refused.value) == (
        f"order {order.order_id} belongs to another owner; only its owner may change it"
    )


# -- printing books -----------------------------------------------------------------------------


def test_depth_zero_prints_every_level(serve):
    _, address = serve
    for price in ("101", "102", "103"):
        run("submit", "ACME", "sell", "1", price, "--address", address)
    run("submit", "ACME", "buy", "1", "99", "--address", address)

    ladder = run("book", "ACME", "--depth", "0", "--address", address)

    assert ladder.returncode == 0, ladder.stderr
    assert "(no asks)" not in ladder.stdout and "(no bids)" not in ladder.stdout
    prices = [line.split()[1] for line in ladder.stdout.splitlines() if line.split()[:1] in
              (["ask"], ["bid"])]  # fmt: skip
    assert prices == ["103.00", "102.00", "101.00", "99.00"]


def test_printing_a_book_in_a_script_shows_the_ladder():
    market = launch({"ACME": 0.01})
    try:
        client = market.client(owner="al")
        client.submit("ACME", "sell", 3, 100.05)
        client.submit("ACME", "buy", 2, 99.95)
        snapshot = client.book("ACME")

        shown = str(snapshot)
    finally:
        market.stop()
    assert shown == snapshot.ladder()
    assert shown.splitlines()[0] == f"ACME (seq {snapshot.seq})"
    assert "spread 0.10" in shown
    assert repr(snapshot).startswith("<BookSnapshot ACME")


# -- numbers ------------------------------------------------------------------------------------


def test_every_numeric_field_follows_one_rule_numbers_or_decimal_strings_never_bools():
    from marketsim import Instrument, InvalidCommandError, OrderBook

    book = OrderBook(Instrument("ACME", "0.01", "1"))
    resting = book.submit("buy", "5", price="99.50")
    assert (resting.leaves_qty, book.best_bid) == (5, (99.5, 5))
    book.replace(resting.order_id, qty="4", price="99.60")
    assert book.best_bid == (99.6, 4)

    attempts = {
        "qty": lambda: book.submit("buy", True, price=99),
        "price": lambda: book.submit("buy", 1, price=True),
        "replace qty": lambda: book.replace(resting.order_id, qty=True),
        "replace price": lambda: book.replace(resting.order_id, price=True),
        "tick_size": lambda: Instrument("X", True),
        "lot_size": lambda: Instrument("X", "0.01", True),
    }
    for field, attempt in attempts.items():
        with pytest.raises(InvalidCommandError, match="must be a number"):
            attempt()
        assert book.best_bid == (99.6, 4), field


def test_several_bad_fields_are_reported_together():
    from marketsim import InvalidCommandError, OrderBook

    book = OrderBook("ACME", tick_size=0.01)
    with pytest.raises(InvalidCommandError) as caught:
        book.submit("buy", 1.5, price=100.001)
    assert str(caught.value) == (
        "qty 1.5 is not a multiple of lot 1 for ACME; "
        "price 100.001 is not a multiple of tick 0.01 for ACME"
    )
    assert book.seq == 0


# -- install instructions -----------------------------------------------------------------------


def test_readme_and_environment_yml_give_the_same_conda_install_command():
    command = "conda env create -f environment.yml && conda activate marketsim && pip install -e . --no-deps"  # noqa: E501
    header = (REPO_ROOT / "environment.yml").read_text().splitlines()[:5]
    assert any(line.strip("# ").strip() == command for line in header), header
    assert f"`{command}`" in (REPO_ROOT / "README.md").read_text()


def test_make_demo_says_what_it_installs_before_installing(tmp_path):
    planned = subprocess.run(
        ["make", "-n", "demo", f"VENV={tmp_path / 'venv'}"],
        capture_output=True, text=True, cwd=REPO_ROOT, timeout=30, check=True,
    ).stdout.splitlines()  # fmt: skip
    install = next(i for i, line in enumerate(planned) if "pip install --quiet -e ." in line)
    assert any("Installing marketsim and its dependencies" in line for line in planned[:install])


def test_make_test_says_up_front_when_chromium_is_missing():
    note = subprocess.run(
        ["make", "-s", "chromium-note", "CHROMIUM=/nonexistent/chromium"],
        capture_output=True, text=True, cwd=REPO_ROOT, timeout=30, check=True,
    ).stdout  # fmt: skip
    assert "browser test will be skipped" in note
    assert "apt-get install chromium" in note
    planned = subprocess.run(
        ["make", "-n", "test", "CHROMIUM=/nonexistent/chromium"],
        capture_output=True, text=True, cwd=REPO_ROOT, timeout=30, check=True,
    ).stdout  # fmt: skip
    assert planned.index("apt-get install chromium") < planned.index("-m pytest")
