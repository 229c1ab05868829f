"""The Playground in a real JupyterLab and Notebook 7 (headless Chromium): clicks change the book.

A notebook made for the test shows a ``Playground``. Playwright places three orders with the
form (the first price by clicking a price level), the third trades; then it clicks Undo. After
each step the assertions read the picture (the SVG blocks: order, owner, quantity, state) and
the explanation from the page, and at the end the book in the kernel, printed by a cell.

Screenshots in ``build/``: ``playground.png`` after the trade (the README's
``docs/playground.png`` is a copy of the JupyterLab one), ``playground-notebook7.png``.
"""

from __future__ import annotations

import json

import pytest
from jupyter_support import Lab, cell_errors, failure, launch_browser, open_notebook, run_all

NOTEBOOK = "playground.ipynb"
pytestmark = pytest.mark.timeout(600)


def _write_notebook(jupyter: Lab) -> None:
    cells = [
        "from marketsim.widgets import Playground\n\nplayground = Playground()\nplayground",
        'print("BOOK", playground.book.queue("ask", 100.01), len(playground.timeline.steps))',
    ]
    notebook = {
        "cells": [
            {
                "cell_type": "code",
                "execution_count": None,
                "id": f"cell{i}",
                "metadata": {},
                "outputs": [],
                "source": source,
            }
            for i, source in enumerate(cells)
        ],
        "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3"}},
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    (jupyter.root / NOTEBOOK).write_text(json.dumps(notebook))


def _blocks(playground) -> list[tuple[str, str, str, str]]:
    """(order, owner, qty, state) of every block drawn, top row first, front of queue first."""
    return [
        tuple(rect.get_attribute(name) for name in ("data-order", "data-owner", "data-qty",
                                                     "data-state"))
        for rect in playground.locator("svg.marketsim-queue-row rect[data-order]").all()
    ]  # fmt: skip


def _order(playground, trader: str, side: str, qty: int) -> None:
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


def test_clicks_in_the_playground_change_the_book(jupyter: Lab) -> None:
    from playwright.sync_api import expect, sync_playwright

    _write_notebook(jupyter)
    with sync_playwright() as playwright:
        browser, page = launch_browser(playwright)
        try:
            panel = open_notebook(page, jupyter, NOTEBOOK)
            run_all(page)
            playground = panel.locator(".marketsim-playground").first
            explanation = playground.locator(".marketsim-playground-explanation")
            expect(playground.locator("button.marketsim-playground-undo")).to_be_disabled()

            playground.locator("button.marketsim-playground-level", has_text="100.01").click()
            expect(playground.locator(".marketsim-playground-price input")).to_have_value("100.01")
            _order(playground, "alice", "sell", 5)
            expect(explanation).to_contain_text("sell 5 @ 100.01 (GTC) as order 1")
            _order(playground, "bob", "sell", 3)
            expect(explanation).to_contain_text("as order 2")
            assert _blocks(playground) == [
                ("1", "alice", "5", "resting"),
                ("2", "bob", "3", "resting"),
            ]

            _order(playground, "carol", "buy", 6)  # takes all of alice's 5 and 1 of bob's
            expect(explanation).to_contain_text("matched order 1: 5 @ 100.01")
            expect(explanation).to_contain_text("matched order 2: 1 @ 100.01")
            assert _blocks(playground) == [
                ("1", "alice", "5", "leaving"),
                ("2", "bob", "2", "traded"),
            ]
            page.wait_for_timeout(1500)  # the animation has played
            playground.screenshot(path=str(jupyter.shot("playground.png")))

            playground.locator("button.marketsim-playground-undo").click()
            expect(explanation).to_contain_text("bob: sell 3 @ 100.01 GTC")
            assert _blocks(playground) == [
                ("1", "alice", "5", "resting"),
                ("2", "bob", "3", "resting"),
            ]
            expect(playground.locator("button.marketsim-playground-redo")).to_be_enabled()

            check = panel.locator(".jp-CodeCell").nth(1)
            check.locator(".jp-InputPrompt").click()
            page.keyboard.press("Control+Enter")
            expect(check.locator(".jp-OutputArea")).to_contain_text("BOOK [(1, 5), (2, 3)] 2")
            assert not cell_errors(page)
        except (Exception, pytest.fail.Exception) as error:
            raise failure(page, jupyter, "playground", error) from error
        finally:
            browser.close()
