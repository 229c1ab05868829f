"""Checks for the fields of a case file: each returns the value or raises ``CaseFileError``
naming the field, and quotes at most a short prefix of what it was given.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from marketsim.core.types import quoted
from marketsim.errors import InvalidCommandError

#: Bounds on what one case may contain (a case file may come from anyone).
MAX_FILE_BYTES = 1_000_000
MAX_INSTRUMENTS = 10
MAX_HEATS = 50
MAX_HEAT_SECONDS = 4 * 3600
MAX_ITEMS = 1000  # news items, tenders, schedule steps and bots, each
MAX_TEXT = 500
MAX_NAME = 64

PHASES = ("auction", "continuous", "halted")
VALUE_PROCESSES = ("random_walk", "mean_reversion", "jumps")
SETTLEMENTS = ("value", "close")
EVERYONE = "all"
ROLE_PREFIX = "role:"


class CaseFileError(InvalidCommandError):
    """A case file that cannot be read or breaks a rule; the message names the field."""


def check_keys(table: dict, allowed: set[str], where: str) -> None:
    unknown = sorted(set(table) - allowed)
    if unknown:
        raise CaseFileError(
            f"{where}: unknown key {quoted(unknown[0], 40)}; known: {', '.join(sorted(allowed))}"
        )


def table_of(data: dict, key: str) -> dict:
    value = data.get(key, {})
    if not isinstance(value, dict):
        raise CaseFileError(f"{key} must be a table")
    return value


def list_of(data: dict, key: str) -> list:
    value = data.get(key, [])
    if not isinstance(value, list) or len(value) > MAX_ITEMS:
        raise CaseFileError(f"{key} must be a list of at most {MAX_ITEMS} entries")
    return value


def tables_of(data: dict, key: str, required: bool = False) -> list[dict]:
    items = list_of(data, key)
    if required and not items:
        raise CaseFileError(f"a case needs at least one entry in {key}")
    for i, item in enumerate(items):
        if not isinstance(item, dict):
            raise CaseFileError(f"{key}[{i}] must be a table")
    return items


def number(value: Any, where: str, lower: float, upper: float) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not lower <= value <= upper:
        raise CaseFileError(f"{where} must be a number in [{lower}, {upper}], got {quoted(value)}")
    return float(value)


def seconds(value: Any, where: str, minimum: float = 0.0) -> float:
    return number(value, where, minimum, MAX_HEAT_SECONDS)


def at_time(item: dict, where: str, heat_seconds: float) -> float:
    """A moment of the heat, ``item["at"]``, in [0, heat_seconds]."""
    return number(item.get("at"), f"{where}.at", 0.0, heat_seconds)


def whole_number(value: Any, where: str, lower: int, upper: int) -> int:
    if type(value) is not int or not lower <= value <= upper:
        raise CaseFileError(f"{where} must be a whole number in [{lower}, {upper}]")
    return value


def decimal(value: Any, where: str, signed: bool = False) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise CaseFileError(f"{where} must be a number, got {quoted(value)}")
    try:
        number = Decimal(str(value))
    except ArithmeticError:
        raise CaseFileError(f"{where} must be a number, got {quoted(value)}") from None
    if not number.is_finite() or abs(number) > Decimal(10) ** 9 or (not signed and number <= 0):
        kind = "a finite number" if signed else "a positive number"
        raise CaseFileError(f"{where} must be {kind} below 1e9, got {quoted(value)}")
    return number


def text(value: Any, where: str, limit: int, empty: bool = False) -> str:
    if not isinstance(value, str) or len(value) > limit or (not empty and not value.strip()):
        raise CaseFileError(f"{where} must be a non-empty string of at most {limit} characters")
    return value


def choice(value: Any, choices: tuple[str, ...], where: str) -> str:
    if value not in choices:
        raise CaseFileError(f"{where} must be one of {', '.join(choices)}, got {quoted(value)}")
    return value


def audience(value: Any, where: str) -> tuple[str, ...]:
    """``to``: "all", or a list of participant names and "role:NAME" entries."""
    entries = [value] if isinstance(value, str) else value
    if not isinstance(entries, list) or not entries or len(entries) > MAX_ITEMS:
        raise CaseFileError(f"{where} must be 'all' or a list of names and 'role:NAME' entries")
    return tuple(text(entry, where, MAX_NAME) for entry in entries)


#: Bounds on automated traders' parameters, so that a case cannot ask for a bot that wakes a
#: billion times a second or draws gigabytes of random numbers at once.
MAX_BOT_NUMBER = 1e6
MIN_BOT_INTERVAL = 0.01  # seconds
MAX_BOT_RATE = 1000.0  # events per second (per tick, per side or per order)
MAX_BOT_BLOCK = 100_000


def bot_param(name: str, value: Any, where: str) -> Any:
    """One parameter of a bot, within bounds: a bool, a number, a short string, or a pair."""
    label = f"{where}.{quoted(name, 40)}"
    if isinstance(value, bool) or (isinstance(value, str) and len(value) <= MAX_NAME):
        return value
    if isinstance(value, list) and len(value) == 2:
        return [bot_param(name, item, where) for item in value]
    if not isinstance(value, int | float) or not abs(value) <= MAX_BOT_NUMBER:
        raise CaseFileError(f"{label} must be a number within +-{MAX_BOT_NUMBER:g}")
    if name == "interval" and value < MIN_BOT_INTERVAL:
        raise CaseFileError(f"{label} must be at least {MIN_BOT_INTERVAL} s")
    if name.endswith("_rate") and value > MAX_BOT_RATE:
        raise CaseFileError(f"{label} must be at most {MAX_BOT_RATE:g} per second")
    if name == "block" and value > MAX_BOT_BLOCK:
        raise CaseFileError(f"{label} must be at most {MAX_BOT_BLOCK}")
    return value
