"""Run the matching scenarios in ``scenarios/*.txt``: commands in, expected results out.

Format (one scenario per file; ``#`` starts a comment):

    book ACME tick=0.01 lot=1          the instrument (first line)
    submit sell 5 @ 100.50             a limit order; also "IOC", "FOK", "post_only", owner=NAME
                                       and the mechanics: stop=PRICE display=QTY stp=MODE
    submit buy 7                       a market order (no price)
      trade 100.50 5 maker=1           every trade the command caused, in order (none listed: none)
      -> filled id=2 filled=7 leaves=0 the result: status, then any of reason/id/filled/leaves
                                       (for phase and uncross: any of price/matched_qty/phase)
      triggered 4 5                    the stops it triggered, in order (unlisted: none checked)
      refilled 1 1                     the icebergs it refilled, in order (unlisted: none checked)
      cancelled 3:5:user               every cancellation, as id:qty:reason (unlisted: unchecked)
    cancel 1                           also: replace 1 qty=4 price=100.40 stop=100.30
      ! UnknownOrderError not live     the command raises this error (message contains the text),
                                       and the book must be exactly as before
    phase auction                      set the trading phase; "uncross" runs the auction
    indicative -> 100.50 7 2 buy       price, matched and imbalance qty and side ("none" if None)
    stops buy -> 4:100.50:10           pending stops of one side, next to trigger first
    queue bid 100.00 -> 3:5 4:2        order ids and open quantities at one level, in time priority
    ladder                             the text ladder, on the indented lines that follow
      ...

Each command's expectations are checked completely: an unlisted trade fails the scenario.
"""

from __future__ import annotations

import re
import shlex
import textwrap
from pathlib import Path

import pytest

import marketsim.errors
from marketsim import OrderBook
from marketsim.core import IcebergRefilled, OrderCancelled, StopTriggered

SCENARIOS = sorted((Path(__file__).parent / "scenarios").glob("*.txt"))


def _blocks(text: str) -> list[tuple[str, list[str]]]:
    """Split a scenario into (command line, indented lines that follow it)."""
    blocks: list[tuple[str, list[str]]] = []
    for raw in text.splitlines():
        line = raw.split("#", 1)[0].rstrip()
        if not line.strip():
            continue
        if line[0].isspace():
            blocks[-1][1].append(line)
        else:
            blocks.append((line, []))
    return blocks


def _options(words: list[str]) -> dict[str, str]:
    return dict(word.split("=", 1) for word in words if "=" in word)


def _number(text: str) -> int | float:
    return float(text) if "." in text else int(text)


def _run_command(book: OrderBook, words: list[str]):
    verb, args = words[0], words[1:]
    options = _options(args)
    flags = [word for word in args if "=" not in word]
    if verb == "submit":
        side, qty, *rest = flags
        price = _number(rest[rest.index("@") + 1]) if "@" in rest else None
        tif = next((word for word in rest if word.isupper()), "GTC")
        return book.submit(
            side,
            _number(qty),
            price,
            tif=tif,
            post_only="post_only" in rest,
            owner=options.get("owner", ""),
            stop_price=_number(options["stop"]) if "stop" in options else None,
            display_qty=_number(options["display"]) if "display" in options else None,
            stp=options.get("stp"),
        )
    if verb == "cancel":
        return book.cancel(int(flags[0]), owner=options.get("owner"))
    if verb == "replace":
        return book.replace(
            int(flags[0]),
            qty=_number(options["qty"]) if "qty" in options else None,
            price=_number(options["price"]) if "price" in options else None,
            stop_price=_number(options["stop"]) if "stop" in options else None,
            owner=options.get("owner"),
        )
    if verb == "phase":
        return book.set_phase(flags[0])
    if verb == "uncross":
        return book.uncross()
    raise ValueError(f"unknown scenario command {verb!r}")


def _check_result(line: str, result, expectations: list[str]) -> None:
    trades = [(f.price, f.qty, f.maker_order_id) for f in result.trades]
    expected_trades = []
    for expectation in expectations:
        words = expectation.split()
        if words[0] == "trade":
            expected_trades.append(
                (float(words[1]), _number(words[2]), int(_options(words[3:])["maker"]))
            )
        elif words[0] == "->":
            details = words[1:]
            if details and "=" not in details[0]:
                status, *details = details
                assert result.status == status, f"{line}: status {result.status}, want {status}"
            for key, value in _options(details).items():
                actual = getattr(
                    result,
                    {"id": "order_id", "filled": "filled_qty", "leaves": "leaves_qty"}.get(
                        key, key
                    ),
                )
                assert str(actual) == value, f"{line}: {key} is {actual}, want {value}"
        elif words[0] in _EVENT_LISTS:
            kind, describe = _EVENT_LISTS[words[0]]
            actual = [describe(e, result) for e in result.events if isinstance(e, kind)]
            assert actual == words[1:], f"{line}: {words[0]} {actual}, want {words[1:]}"
        else:
            raise ValueError(f"unknown expectation {expectation!r}")
    assert trades == expected_trades, f"{line}: trades {trades}, want {expected_trades}"


_EVENT_LISTS = {
    "triggered": (StopTriggered, lambda e, result: str(e.order_id)),
    "refilled": (IcebergRefilled, lambda e, result: str(e.order_id)),
    "cancelled": (
        OrderCancelled,
        lambda e, result: f"{e.order_id}:{result._instrument.lots_to_qty(e.qty_lots)}:{e.reason}",
    ),
}


def _check_error(line: str, book: OrderBook, expectations: list[str]) -> None:
    error_name, _, message = expectations[0].strip()[1:].strip().partition(" ")
    error_class = getattr(marketsim.errors, error_name)
    before = (book.ladder(), len(book.events), book.seq)
    with pytest.raises(error_class, match=re.escape(message)):
        _run_command(book, shlex.split(line))
    assert (book.ladder(), len(book.events), book.seq) == before, f"{line} changed the book"


@pytest.mark.parametrize("path", SCENARIOS, ids=[path.stem for path in SCENARIOS])
def test_scenario_produces_the_expected_trades_results_and_ladder(path: Path) -> None:
    blocks = _blocks(path.read_text())
    header, _ = blocks[0]
    symbol_words = header.split()
    assert symbol_words[0] == "book", "a scenario starts with its book line"
    options = _options(symbol_words[2:])
    book = OrderBook(symbol_words[1], options.get("tick", "0.01"), options.get("lot", "1"))
    for line, expectations in blocks[1:]:
        words = shlex.split(line)
        if words[0] == "ladder":
            want = textwrap.dedent("\n".join(expectations)).strip("\n")
            assert book.ladder() == want, f"ladder differs:\n{book.ladder()}\n--- want ---\n{want}"
        elif words[0] == "indicative":
            want = " ".join(words[2:])
            got = book.indicative()
            shown = (
                "none" if got is None else " ".join("none" if v is None else str(v) for v in got)
            )
            assert shown == want, f"{line}: indicative is {shown}"
        elif words[0] == "stops":
            want = words[3:]
            got = [f"{i}:{p:.2f}:{q}" for i, p, q in book.stops(words[1])]
            assert got == want, f"{line}: stops are {got}"
        elif words[0] == "queue":
            side, price, arrow, *entries = words[1:]
            assert arrow == "->"
            want = [(int(i), _number(q)) for i, q in (entry.split(":") for entry in entries)]
            assert book.queue(side, float(price)) == want, (
                f"{line}: {book.queue(side, float(price))}"
            )
        elif expectations and expectations[0].strip().startswith("!"):
            _check_error(line, book, expectations)
        else:
            _check_result(line, _run_command(book, words), expectations)
        book.check_integrity()


def test_every_scenario_file_is_collected() -> None:
    assert len(SCENARIOS) >= 8
