"""The Playground in a real JupyterLab and Notebook 7 (headless Chromium): clicks change the book.

A notebook made for the test shows a ``Playground``. Playwright places three orders with the
form (the first price by clicking a price level), the third trades; then it clicks Undo
(``playground_steps.play``, which reads the picture and the explanation after each step). At
the end a cell prints the book in the kernel.

Screenshots in ``build/``: ``playground.png`` after the trade (the README's
``docs/playground.png`` is a copy of the JupyterLab one), ``playground-notebook7.png``.
"""

from __future__ import annotations

import json

import pytest
from jupyter_support import Lab, cell_errors, failure, launch_browser, open_notebook, run_all
from playground_steps import BOOK_AFTER_PLAY, PRINT_BOOK, play

NOTEBOOK = "playground.ipynb"
pytestmark = pytest.mark.timeout(600)


def _write_notebook(jupyter: Lab) -> None:
    cells = [
        "from marketsim.widgets import Playground\n\nplayground = Playground()\nplayground",
        PRINT_BOOK,
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


def test_clicks_in_the_playground_change_the_book(jupyter: Lab) -> None:
    from playwright.sync_api import expect, sync_playwright

    _write_notebook(jupyter)
    with sync_playwright() as playwright:
        browser, page = launch_browser(playwright)
        try:
            panel = open_notebook(page, jupyter, NOTEBOOK)
            run_all(page)
            playground = panel.locator(".marketsim-playground").first
            play(playground, page, jupyter.shot("playground.png"))

            check = panel.locator(".jp-CodeCell").nth(1)
            check.locator(".jp-InputPrompt").click()
            page.keyboard.press("Control+Enter")
            expect(check.locator(".jp-OutputArea")).to_contain_text(BOOK_AFTER_PLAY)
            assert not cell_errors(page)
        except (Exception, pytest.fail.Exception) as error:
            raise failure(page, jupyter, "playground", error) from error
        finally:
            browser.close()
