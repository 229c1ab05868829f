"""What a student does in the Playground, and what the page must show after each step: shared
by the Playground's browser tests in every front end.

``play(playground, page, shot)`` places three orders with the form (the first price by
clicking a price level), the third of which trades, then clicks Undo. After each step it reads
the picture (the SVG blocks: order, owner, quantity, state) and the explanation from the page.
"""

from __future__ import annotations

from pathlib import Path


def blocks(playground) -> list[tuple[str, str, str, str]]:
    """(order, owner, qty, state) of every block drawn, top row first, front of queue first."""
    return [
        tuple(rect.get_attribute(name) for name in ("data-order", "data-owner", "data-qty",
                                                     "data-state"))
        for rect in playground.locator("svg.marketsim-queue-row rect[data-order]").all()
    ]  # fmt: skip


def place_order(playground, trader: str, side: str, qty: int) -> None:
    """Fill the form (trader, side, qty; the price is already 100.01) and submit it."""
    from playwright.sync_api import expect

    playground.locator(".marketsim-playground-trader button", has_text=trader).click()
    playground.locator(".marketsim-playground-side button", has_text=side).click()
    qty_input = playground.locator(".marketsim-playground-qty input")
    qty_input.fill(str(qty))
    qty_input.press("Tab")
    # The kernel has the whole form before the click: its preview of the order says so.
    preview = playground.locator(".marketsim-playground-preview")
    expect(preview).to_contain_text(f"{trader}: {side} {qty} @ 100.01 GTC", timeout=30_000)
    playground.locator("button.marketsim-playground-submit").click()


def play(playground, page, shot: Path) -> None:
    """Three orders, one trade, then Undo; a screenshot of the Playground after the trade."""
    from playwright.sync_api import expect

    explanation = playground.locator(".marketsim-playground-explanation")
    expect(playground.locator("button.marketsim-playground-undo")).to_be_disabled()

    playground.locator("button.marketsim-playground-level", has_text="100.01").click()
    expect(playground.locator(".marketsim-playground-price input")).to_have_value("100.01")
    place_order(playground, "alice", "sell", 5)
    expect(explanation).to_contain_text("sell 5 @ 100.01 (GTC) as order 1")
    place_order(playground, "bob", "sell", 3)
    expect(explanation).to_contain_text("as order 2")
    assert blocks(playground) == [("1", "alice", "5", "resting"), ("2", "bob", "3", "resting")]

    place_order(playground, "carol", "buy", 6)  # takes all of alice's 5 and 1 of bob's
    expect(explanation).to_contain_text("matched order 1: 5 @ 100.01")
    expect(explanation).to_contain_text("matched order 2: 1 @ 100.01")
    assert blocks(playground) == [("1", "alice", "5", "leaving"), ("2", "bob", "2", "traded")]
    page.wait_for_timeout(1500)  # the animation has played
    playground.screenshot(path=str(shot))

    playground.locator("button.marketsim-playground-undo").click()
    expect(explanation).to_contain_text("bob: sell 3 @ 100.01 GTC")
    assert blocks(playground) == [("1", "alice", "5", "resting"), ("2", "bob", "3", "resting")]
    expect(playground.locator("button.marketsim-playground-redo")).to_be_enabled()


#: Printed by the kernel after ``play``: the queue at 100.01 and the steps in the timeline.
BOOK_AFTER_PLAY = "BOOK [(1, 5), (2, 3)] 2"
#: The code that prints it, given the Playground in a variable ``playground``.
PRINT_BOOK = 'print("BOOK", playground.book.queue("ask", 100.01), len(playground.timeline.steps))'
