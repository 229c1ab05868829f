"""A trading case as validated, frozen dataclasses, read from a TOML file.

A case file describes one classroom market: the instruments, how many heats and how long, the
phases of the trading day, the hidden fundamental value, the news and tender offers that arrive
at set times, the automated traders, the students' limits and fees, how positions settle and a
teaching note. Everything is checked and bounded when the file is read, so a running case never
meets a bad value; errors name the field and quote at most a short prefix of the bad input.

Times are seconds from the start of a heat; prices and quantities are in the instrument's units.
"""

from __future__ import annotations

import dataclasses
import tomllib
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from marketsim.cases.fields import (
    EVERYONE,
    MAX_FILE_BYTES,
    MAX_HEATS,
    MAX_INSTRUMENTS,
    MAX_ITEMS,
    MAX_NAME,
    MAX_TEXT,
    PHASES,
    SETTLEMENTS,
    VALUE_PROCESSES,
    CaseFileError,
    at_time,
    audience,
    bot_param,
    check_keys,
    choice,
    decimal,
    list_of,
    number,
    seconds,
    table_of,
    tables_of,
    text,
    whole_number,
)
from marketsim.core.ledger import Fees
from marketsim.core.risk import RiskLimits
from marketsim.core.types import Instrument, quoted
from marketsim.errors import InvalidCommandError


@dataclass(frozen=True, slots=True)
class ValueProcess:
    """How the fundamental value moves: one step every ``every`` seconds.

    - ``random_walk``: value += N(0, sigma);
    - ``mean_reversion``: value += kappa * (start - value) + N(0, sigma);
    - ``jumps``: a random walk plus, with probability ``jump_rate * every`` per step, a jump of
      N(0, jump_size).

    ``sigma`` and ``jump_size`` are in price units; the value is kept on the tick grid.
    """

    process: str = "random_walk"
    every: float = 1.0
    sigma: float = 0.0
    kappa: float = 0.0
    jump_rate: float = 0.0
    jump_size: float = 0.0


@dataclass(frozen=True, slots=True)
class InstrumentSpec:
    """A listed instrument, its opening price and its fundamental value process."""

    instrument: Instrument
    start_price: Decimal
    value: ValueProcess

    @property
    def symbol(self) -> str:
        return self.instrument.symbol


@dataclass(frozen=True, slots=True)
class PhaseStep:
    """At ``at`` seconds the market moves to ``phase`` (leaving an auction uncrosses it)."""

    at: float
    phase: str


@dataclass(frozen=True, slots=True)
class NewsSpec:
    """A news item: ``text`` at ``at`` seconds, seen by ``to`` ("all", names, "role:NAME").

    ``shock`` (price units, may be negative) moves ``symbol``'s fundamental value at that time.
    """

    at: float
    text: str
    to: tuple[str, ...]
    symbol: str | None
    shock: Decimal | None


@dataclass(frozen=True, slots=True)
class TenderSpec:
    """A private offer from the house to each of ``to``: the participant may ``side`` ("buy"
    or "sell") ``qty`` of ``symbol`` at ``price`` within ``expires`` seconds."""

    at: float
    to: tuple[str, ...]
    symbol: str
    side: str
    qty: Decimal
    price: Decimal
    expires: float


@dataclass(frozen=True, slots=True)
class BotSpec:
    """An automated trader: ``agent`` names a class (see ``marketsim.cases.agents``)."""

    agent: str
    name: str
    symbol: str
    params: tuple[tuple[str, Any], ...]


@dataclass(frozen=True, slots=True)
class Case:
    """A whole case; ``load`` or ``Case.from_toml`` builds one."""

    name: str
    title: str
    instruments: tuple[InstrumentSpec, ...]
    heat_count: int
    heat_seconds: float
    seeds: tuple[int, ...]
    schedule: tuple[PhaseStep, ...]
    news: tuple[NewsSpec, ...]
    tenders: tuple[TenderSpec, ...]
    bots: tuple[BotSpec, ...]
    limits: RiskLimits
    fees: tuple[tuple[str, Fees], ...]
    settlement: str
    teaching_note: str
    questions: tuple[str, ...]
    #: The TOML text the case was read from (what a server is sent).
    source: str = ""

    @classmethod
    def from_toml(cls, text: str, name: str = "case") -> Case:
        """Parse and validate the text of a case file."""
        if len(text) > MAX_FILE_BYTES:
            raise CaseFileError(f"a case file may have at most {MAX_FILE_BYTES} characters")
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise CaseFileError(f"case {quoted(name, 40)} is not valid TOML: {exc}") from None
        return dataclasses.replace(_parse_case(data, name), source=text)

    @classmethod
    def from_file(cls, path: str | Path) -> Case:
        """Read a case file."""
        path = Path(path)
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise CaseFileError(f"cannot read case file {quoted(str(path))}: {exc}") from None
        return cls.from_toml(text, path.stem)

    def instrument(self, symbol: str) -> InstrumentSpec:
        """The spec of a listed symbol."""
        for spec in self.instruments:
            if spec.symbol == symbol:
                return spec
        raise CaseFileError(f"case {self.name!r} lists no instrument {quoted(symbol, 40)}")

    def seed_of(self, heat: int) -> int:
        """The seed of heat ``heat`` (1-based)."""
        return self.seeds[heat - 1]


# -- parsing ----------------------------------------------------------------------------------

CASE_KEYS = {
    "name",
    "title",
    "instruments",
    "heats",
    "schedule",
    "news",
    "tenders",
    "bots",
    "limits",
    "fees",
    "settlement",
    "teaching",
}


def _parse_case(data: dict[str, Any], default_name: str) -> Case:
    check_keys(data, CASE_KEYS, "the case")
    instruments = tuple(
        _instrument(item, f"instruments[{i}]")
        for i, item in enumerate(tables_of(data, "instruments", required=True))
    )
    if len(instruments) > MAX_INSTRUMENTS:
        raise CaseFileError(f"a case lists at most {MAX_INSTRUMENTS} instruments")
    symbols = [spec.symbol for spec in instruments]
    if len(set(symbols)) != len(symbols):
        raise CaseFileError("instruments: a symbol is listed twice")
    heats = table_of(data, "heats")
    check_keys(heats, {"count", "length", "seed", "seeds"}, "heats")
    count = whole_number(heats.get("count", 1), "heats.count", 1, MAX_HEATS)
    length = seconds(heats.get("length", 300), "heats.length", minimum=1)
    if "seeds" in heats:
        seeds = tuple(whole_number(s, "heats.seeds", 0, 2**63 - 1) for s in list_of(heats, "seeds"))
        if len(seeds) != count:
            raise CaseFileError(f"heats.seeds has {len(seeds)} seeds for {count} heats")
    else:
        first = whole_number(heats.get("seed", 1), "heats.seed", 0, 2**63 - MAX_HEATS)
        seeds = tuple(range(first, first + count))

    def symbol_of(item: dict, where: str, required: bool) -> str | None:
        if "symbol" not in item and not required and len(symbols) > 1:
            return None
        symbol = item.get("symbol", symbols[0])
        if symbol not in symbols:
            raise CaseFileError(f"{where}.symbol {quoted(symbol, 40)} is not listed")
        return symbol

    schedule = []
    for i, item in enumerate(tables_of(data, "schedule")):
        where = f"schedule[{i}]"
        check_keys(item, {"at", "phase"}, where)
        phase = choice(item.get("phase"), PHASES, f"{where}.phase")
        schedule.append(PhaseStep(at_time(item, where, length), phase))
    news = []
    for i, item in enumerate(tables_of(data, "news")):
        where = f"news[{i}]"
        check_keys(item, {"at", "text", "to", "symbol", "shock"}, where)
        shock = item.get("shock")
        news.append(
            NewsSpec(
                at_time(item, where, length),
                text(item.get("text"), f"{where}.text", MAX_TEXT),
                audience(item.get("to", [EVERYONE]), f"{where}.to"),
                symbol_of(item, where, required=shock is not None),
                None if shock is None else decimal(shock, f"{where}.shock", signed=True),
            )
        )
    tenders = []
    for i, item in enumerate(tables_of(data, "tenders")):
        where = f"tenders[{i}]"
        check_keys(item, {"at", "to", "symbol", "side", "qty", "price", "expires"}, where)
        symbol = symbol_of(item, where, required=True)
        instrument = instruments[symbols.index(symbol)].instrument  # type: ignore[arg-type]
        qty = decimal(item.get("qty"), f"{where}.qty")
        price = decimal(item.get("price"), f"{where}.price")
        try:  # on the grid and positive
            instrument.qty_to_lots(qty, f"{where}.qty")
            instrument.price_to_ticks(price, f"{where}.price")
        except InvalidCommandError as exc:
            raise CaseFileError(str(exc)) from None
        tenders.append(
            TenderSpec(
                at_time(item, where, length),
                audience(item.get("to", [EVERYONE]), f"{where}.to"),
                symbol,  # type: ignore[arg-type]
                choice(item.get("side"), ("buy", "sell"), f"{where}.side"),
                qty,
                price,
                seconds(item.get("expires", 20), f"{where}.expires", minimum=0.001),
            )
        )
    bots = []
    for i, item in enumerate(tables_of(data, "bots")):
        where = f"bots[{i}]"
        check_keys(item, {"agent", "name", "symbol", "params"}, where)
        params = item.get("params", {})
        if not isinstance(params, dict):
            raise CaseFileError(f"{where}.params must be a table")
        agent = text(item.get("agent"), f"{where}.agent", MAX_NAME)
        bots.append(
            BotSpec(
                agent,
                text(item.get("name", f"bot{i + 1}"), f"{where}.name", MAX_NAME),
                symbol_of(item, where, required=True),  # type: ignore[arg-type]
                tuple(
                    (key, bot_param(key, value, f"{where}.params"))
                    for key, value in sorted(params.items())
                ),
            )
        )
    bot_names = [bot.name for bot in bots]
    if len(set(bot_names)) != len(bot_names):
        raise CaseFileError("bots: two bots have the same name")
    for key, items in (("schedule", schedule), ("news", news), ("tenders", tenders)):
        if len(items) > MAX_ITEMS:
            raise CaseFileError(f"a case has at most {MAX_ITEMS} {key} entries")
    try:
        limits = RiskLimits.from_mapping(table_of(data, "limits"))
        fees_table = table_of(data, "fees")
        for symbol in fees_table:
            if symbol not in symbols:
                raise CaseFileError(f"fees: {quoted(symbol, 40)} is not listed")
        fees = tuple((s, Fees.of(table_of(fees_table, s))) for s in symbols if s in fees_table)
    except CaseFileError:
        raise
    except InvalidCommandError as exc:
        raise CaseFileError(str(exc)) from None
    settlement_table = table_of(data, "settlement")
    check_keys(settlement_table, {"price"}, "settlement")
    settlement = choice(settlement_table.get("price", "value"), SETTLEMENTS, "settlement.price")
    teaching = table_of(data, "teaching")
    check_keys(teaching, {"note", "ask"}, "teaching")
    questions = tuple(text(q, "teaching.ask", MAX_TEXT) for q in teaching.get("ask", []))
    return Case(
        name=text(data.get("name", default_name), "name", MAX_NAME),
        title=text(data.get("title", default_name), "title", MAX_TEXT),
        instruments=instruments,
        heat_count=count,
        heat_seconds=length,
        seeds=seeds,
        schedule=tuple(sorted(schedule, key=lambda step: step.at)),
        news=tuple(news),
        tenders=tuple(tenders),
        bots=tuple(bots),
        limits=limits,
        fees=fees,
        settlement=settlement,
        teaching_note=text(teaching.get("note", ""), "teaching.note", 4 * MAX_TEXT, empty=True),
        questions=questions,
    )


def _instrument(item: Any, where: str) -> InstrumentSpec:
    if not isinstance(item, dict):
        raise CaseFileError(f"{where} must be a table")
    check_keys(item, {"symbol", "tick", "lot", "start_price", "value"}, where)
    try:
        instrument = Instrument(item.get("symbol"), item.get("tick", "0.01"), item.get("lot", 1))
        start = decimal(item.get("start_price", 100), f"{where}.start_price")
        instrument.price_to_ticks(start, f"{where}.start_price")
    except CaseFileError:
        raise
    except InvalidCommandError as exc:
        raise CaseFileError(f"{where}: {exc}") from None
    value = item.get("value", {})
    if not isinstance(value, dict):
        raise CaseFileError(f"{where}.value must be a table")
    check_keys(
        value, {"process", "every", "sigma", "kappa", "jump_rate", "jump_size"}, f"{where}.value"
    )
    process = ValueProcess(
        choice(value.get("process", "random_walk"), VALUE_PROCESSES, f"{where}.value.process"),
        seconds(value.get("every", 1.0), f"{where}.value.every", minimum=0.01),
        *(
            number(value.get(key, 0.0), f"{where}.value.{key}", 0.0, upper)
            for key, upper in (("sigma", 1e6), ("kappa", 1.0), ("jump_rate", 100.0))
        ),
        number(value.get("jump_size", 0.0), f"{where}.value.jump_size", 0.0, 1e6),
    )
    return InstrumentSpec(instrument, start, process)


__all__ = [
    "BotSpec",
    "Case",
    "CaseFileError",
    "InstrumentSpec",
    "NewsSpec",
    "PhaseStep",
    "TenderSpec",
    "ValueProcess",
]
