"""``Playground``: the form drives an in-process book; the picture shows each queue."""

from __future__ import annotations

import re

from marketsim.widgets import Playground


def shown_rows(playground: Playground) -> dict[str, str]:
    """Visible rows: price button text -> the row's SVG."""
    return {
        button.description: picture.value
        for button, picture, row in zip(
            playground.price_buttons, playground.queue_rows, playground.rows, strict=True
        )
        if row.layout.display != "none"
    }


def blocks(svg: str) -> list[tuple[str, str, str, str]]:
    """``(order id, owner, qty, state)`` of every block in a row, left to right."""
    return re.findall(r'data-order="(\d+)" data-owner="(\w+)" data-qty="([\d.]+)" '
                      r'data-state="(\w+)"', svg)  # fmt: skip


def test_an_empty_playground_offers_prices_around_the_start_price() -> None:
    playground = Playground(start_price=50)
    assert list(shown_rows(playground)) == ["50.02", "50.01", "50.00", "49.99", "49.98"]
    assert playground.undo_button.disabled and playground.redo_button.disabled
    assert "Submit an order" in playground.explanation.value


def test_orders_rest_as_blocks_in_time_priority_coloured_by_owner() -> None:
    playground = Playground()
    playground.submit("alice", "sell", 5, 100.01)
    playground.submit("bob", "sell", 3, 100.01)
    playground.submit("carol", "buy", 4, 99.99)
    rows = shown_rows(playground)
    assert list(rows) == ["100.01", "100.00", "99.99"]  # the empty price in the spread too
    assert [b[:3] for b in blocks(rows["100.01"])] == [("1", "alice", "5"), ("2", "bob", "3")]
    assert 'data-side="ask"' in rows["100.01"] and 'data-side="bid"' in rows["99.99"]
    assert playground.colours["alice"] in rows["100.01"]
    assert playground.colours["bob"] in rows["100.01"]
    widths = [float(w) for w in re.findall(r'width="([\d.]+)" height="18"', rows["100.01"])]
    assert widths[0] / widths[1] == 5 / 3  # sized by quantity


def test_a_trade_flashes_and_shrinks_the_makers_and_the_explanation_tells_it() -> None:
    playground = Playground()
    playground.submit("alice", "sell", 5, 100.01)
    playground.submit("bob", "sell", 3, 100.01)
    result = playground.submit("carol", "buy", 6, 100.01)
    assert result is not None and result.status == "filled"
    row = shown_rows(playground)["100.01"]
    assert [(b[0], b[3]) for b in blocks(row)] == [("1", "leaving"), ("2", "traded")]
    assert 'attributeName="width" from="150.0" to="0"' in row  # alice's block shrinks away
    assert "fill-opacity" in row  # and the traded blocks flash
    assert "matched order 1: 5 @ 100.01" in playground.explanation.value
    assert playground.book.best_ask == (100.01, 2)


def test_a_new_order_slides_in_at_the_back() -> None:
    playground = Playground()
    playground.submit("alice", "buy", 5, 99.99)
    playground.submit("bob", "buy", 2, 99.99)
    row = shown_rows(playground)["99.99"]
    assert [(b[0], b[3]) for b in blocks(row)] == [("1", "resting"), ("2", "resting")]
    assert row.count('attributeName="opacity" from="0" to="1"') == 1


def test_undo_redo_and_reset_move_the_book_and_the_buttons() -> None:
    playground = Playground()
    playground.submit("alice", "sell", 5, 100.01)
    playground.submit("carol", "buy", 2, 100.01)
    playground.undo_button.click()
    assert playground.book.best_ask == (100.01, 5)
    assert not playground.redo_button.disabled
    assert "<animate" not in "".join(shown_rows(playground).values())  # a jump, not a move
    playground.redo_button.click()
    assert playground.book.best_ask == (100.01, 3)
    assert playground.redo_button.disabled
    playground.reset_button.click()
    assert playground.book.order_count == 0 and playground.undo_button.disabled


def test_clicking_a_price_level_fills_in_the_price() -> None:
    playground = Playground()
    playground.submit("alice", "sell", 5, 100.01)
    playground.price_buttons[0].click()
    assert playground.price.value == "100.01"
    result = playground.submit("bob", "buy", 1)
    assert result is not None and result.trades[0].price == 100.01


def test_bad_input_is_refused_with_the_clients_words_and_changes_nothing() -> None:
    playground = Playground()
    playground.submit("alice", "sell", 5, 100.01)
    before = list(playground.book.events)
    assert playground.submit(price="99.995") is None
    assert playground.last_error == "price 99.995 is not a multiple of tick 0.01 for ACME"
    assert "refused" in playground.status.value
    assert playground.submit(price="cheap") is None
    assert "price must be a number" in playground.last_error
    assert list(playground.book.events) == before


def test_market_orders_tifs_and_cancel_from_the_form() -> None:
    playground = Playground()
    playground.submit("alice", "sell", 3, 100.01)
    fok = playground.submit("bob", "buy", 5, None, tif="FOK")
    assert fok is not None and fok.status == "rejected"
    playground.cancel_id.value = 1
    playground.cancel_button.click()
    assert playground.book.order_count == 0
    assert "cancel order 1" in playground.explanation.value
    assert playground.cancel(99) is None and "99" in playground.last_error


def test_empty_rows_are_neither_bid_nor_ask() -> None:
    playground = Playground()
    playground.submit("alice", "sell", 5, 100.01)
    rows = shown_rows(playground)
    assert 'data-side=""' in rows["100.00"] and 'data-side=""' in rows["99.99"]


def test_the_preview_shows_the_order_the_form_would_send() -> None:
    playground = Playground()
    playground.trader.value, playground.side.value = "bob", "sell"
    playground.qty.value, playground.price.value = 3, "100.02"
    assert "next order: bob: sell 3 @ 100.02 GTC" in playground.preview.value
    playground.price.value = ""
    assert "bob: sell 3 at market GTC" in playground.preview.value
