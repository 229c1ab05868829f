"""Ask, check and solve the exercises: ``show``, ``check`` and ``solution``.

    from marketsim import teach
    teach.show("time-priority")          # the book before, the command, the question
    teach.check("time-priority", "bob")  # right or wrong, and what the engine did
    teach.solution("time-priority")      # the teacher's answer

Each returns an object that prints as text and renders as HTML in a notebook.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from marketsim.errors import InvalidCommandError
from marketsim.teach.exercises import BY_KEY, EXERCISES, Exercise
from marketsim.teach.timeline import BookTimeline

_YES = {"yes", "y", "true"}
_NO = {"no", "n", "false"}
_RIGHT, _WRONG = "#1a5e2a", "#8b1a1a"


def exercise(key: str) -> Exercise:
    """The exercise called ``key`` (see ``keys()``); an unknown key is an error naming them."""
    found = BY_KEY.get(key) if isinstance(key, str) else None
    if found is None:
        raise InvalidCommandError(f"no exercise {key!r:.80}; the exercises are {', '.join(keys())}")
    return found


def keys() -> list[str]:
    """The keys of every exercise, in teaching order."""
    return [item.key for item in EXERCISES]


@dataclass(frozen=True)
class Task:
    """An exercise as a student sees it: the book after the setup, the command, the question."""

    exercise: Exercise
    setup_steps: tuple[str, ...]
    queues: str
    command: str

    def __str__(self) -> str:
        setup = "\n".join(f"  {i}. {step}" for i, step in enumerate(self.setup_steps, 1))
        return (
            f"[{self.exercise.key}] {self.exercise.rule}\n"
            f"Setup:\n{setup}\n{self.queues}\n"
            f"Then: {self.command}\nPredict: {self.exercise.question}"
        )

    def _repr_html_(self) -> str:
        return f"<pre>{html.escape(str(self))}</pre>"


@dataclass(frozen=True)
class Verdict:
    """The checker's answer: whether ``answer`` was right, the engine's answer, and why."""

    key: str
    answer: Any
    expected: Any
    correct: bool
    explanation: str

    @property
    def headline(self) -> str:
        """One line: right, not quite, or no answer yet."""
        if self.answer is None:
            return f"{self.key}: no answer yet: put your prediction in place of None"
        if self.correct:
            return f"{self.key}: right, {_shown(self.expected)}"
        return (
            f"{self.key}: not quite: you said {_shown(self.answer)}, "
            f"the engine says {_shown(self.expected)}"
        )

    def __str__(self) -> str:
        if self.answer is None:  # the explanation would give the answer away
            return self.headline
        return f"{self.headline}\nWhat the engine did:\n{self.explanation}"

    def __bool__(self) -> bool:
        return self.correct

    def _repr_html_(self) -> str:
        colour = _RIGHT if self.correct else _WRONG
        body = str(self).partition("\n")[2]
        pre = f"<pre>{html.escape(body)}</pre>" if body else ""
        return f'<div><b style="color:{colour}">{html.escape(self.headline)}</b>{pre}</div>'


def show(key: str) -> Task:
    """The exercise ``key`` to predict: setup, the book it leaves, the command, the question."""
    item = exercise(key)
    timeline = BookTimeline()
    for command in item.setup:
        command.apply(timeline)
    setup = tuple(step.label for step in timeline.steps)
    item.act.apply(timeline)  # run for its label only, then taken back: it holds the answer
    acted = timeline.steps[-1].label
    timeline.undo()
    return Task(item, setup, timeline.queue_text(), acted)


def check(key: str, answer: Any) -> Verdict:
    """Check ``answer`` to exercise ``key`` against what the engine does.

    Answers are read by the exercise's kind: a trader's name ("bob"), a price (100.02 or
    "100.02"), a quantity or queue position (3), yes or no (True, "yes"), or an order status
    ("rejected"). ``None`` means "not answered yet" and is never right.
    """
    item = exercise(key)
    _, result = item.run()
    expected = item.measure(result)
    correct = answer is not None and _normalised(item, answer) == _normalised(item, expected)
    return Verdict(key, answer, expected, correct, result.explain())


def solution(key: str) -> Verdict:
    """The teacher's answer to exercise ``key``, with the engine's explanation."""
    item = exercise(key)
    _, result = item.run()
    expected = item.measure(result)
    return Verdict(key, expected, expected, True, result.explain())


def _normalised(item: Exercise, value: Any) -> Any:
    """``value`` in the form the exercise compares; an answer of the wrong kind is an error."""
    kind = item.kind
    if kind == "yes/no":
        if isinstance(value, bool):
            return value
        word = str(value).strip().lower()
        if word in _YES | _NO:
            return word in _YES
    elif kind in ("owner", "status"):
        if isinstance(value, str):
            return value.strip().lower()
    elif not isinstance(value, bool):
        try:
            return Decimal(str(value).strip())
        except InvalidOperation:
            pass
    raise InvalidCommandError(f"exercise {item.key} wants {_KIND_WORDS[kind]}, got {value!r:.80}")


_KIND_WORDS = {
    "owner": "a trader's name, e.g. 'alice'",
    "status": "an order status, e.g. 'new', 'filled' or 'rejected'",
    "yes/no": "yes or no (True/False or 'yes'/'no')",
    "price": "a price, e.g. 100.02",
    "qty": "a number, e.g. 3",
}


def _shown(value: Any) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)
