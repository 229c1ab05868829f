"""``marketsim.teach``: the checker says right and wrong, and its answers come from the engine."""

from __future__ import annotations

import pytest

from marketsim import teach
from marketsim.errors import InvalidCommandError

RULES_COVERED = {
    "price-priority", "time-priority", "trade-price", "walk-the-book", "remainder-rests",
    "ioc", "fok", "replace-smaller", "replace-larger", "post-only", "market-empty-side",
    "stop-trigger", "iceberg", "self-trade", "auction-price", "halted",
}  # fmt: skip


def test_there_are_at_least_twelve_exercises_covering_every_rule() -> None:
    assert len(teach.keys()) >= 12
    assert set(teach.keys()) >= RULES_COVERED


@pytest.mark.parametrize(
    ("key", "right", "wrong"),
    [
        ("price-priority", "bob", "alice"),
        ("time-priority", "Alice", "bob"),
        ("trade-price", 100.02, "100.05"),
        ("walk-the-book", "100.03", 100.02),
        ("remainder-rests", 2, 5),
        ("ioc", 0, 2),
        ("fok", "no", True),
        ("replace-smaller", 2, 3),
        ("replace-larger", 3, 1),
        ("replace-price", 2, 1),
        ("post-only", "rejected", "new"),
        ("market-empty-side", "REJECTED", "new"),
        ("stop-trigger", "yes", False),
        ("stop-already-reached", "rejected", "new"),
        ("iceberg", 2, 3),
        ("self-trade", 0, 3),
        ("auction-price", 100.02, 100.01),
        ("halted", "rejected", "filled"),
    ],
)
def test_check_tells_right_from_wrong(key: str, right: object, wrong: object) -> None:
    verdict = teach.check(key, right)
    assert verdict.correct and bool(verdict)
    assert "right" in verdict.headline
    wrong_verdict = teach.check(key, wrong)
    assert not wrong_verdict.correct
    assert "not quite" in wrong_verdict.headline
    assert wrong_verdict.explanation == verdict.explanation
    assert verdict.explanation.startswith("1. ")


def test_every_exercise_is_checked_somewhere() -> None:
    checked = {row[0] for row in test_check_tells_right_from_wrong.pytestmark[0].args[1]}
    assert checked == set(teach.keys())


def test_the_explanation_is_the_engines_account_of_the_command() -> None:
    verdict = teach.check("iceberg", 3)
    assert "iceberg 1 shows a new slice of 2 at 100.01, at the back of the queue" in (
        verdict.explanation
    )
    assert "you said 3, the engine says 2" in str(verdict)
    assert "#8b1a1a" in verdict._repr_html_()


def test_no_answer_is_never_right_and_says_so() -> None:
    verdict = teach.check("fok", None)
    assert not verdict.correct
    assert verdict.headline.startswith("fok: no answer yet")
    assert str(verdict) == verdict.headline  # neither the answer nor the engine's account
    assert "<pre>" not in verdict._repr_html_()


def test_an_answer_of_the_wrong_kind_or_an_unknown_key_is_a_clear_error() -> None:
    with pytest.raises(InvalidCommandError, match="wants a price"):
        teach.check("trade-price", "alice")
    with pytest.raises(InvalidCommandError, match="wants yes or no"):
        teach.check("fok", "maybe")
    with pytest.raises(InvalidCommandError, match=r"no exercise 'x{10}") as unknown:
        teach.check("x" * 500, 1)
    assert len(str(unknown.value)) < 400


def test_show_gives_the_scene_before_the_command_and_the_question() -> None:
    task = teach.show("replace-smaller")
    text = str(task)
    assert "bid 99.99: #1 alice 5, #2 bob 5, #3 carol 5" in text
    assert "Then: replace order 2: qty 2" in text
    assert text.endswith("What is his queue position now?")


def test_solution_is_the_engines_answer() -> None:
    solution = teach.solution("walk-the-book")
    assert solution.correct and solution.expected == 100.03
