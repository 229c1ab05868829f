"""``check``: validate a case completely and describe its plan in plain text.

Reading the file checks every field; ``check`` also builds each automated trader (so a bad
parameter is found before class) and lists, heat by heat, what will happen when.
"""

from __future__ import annotations

from decimal import Decimal

from marketsim.cases.agents import build_bot
from marketsim.cases.model import Case
from marketsim.core.types import Instrument


def _clock(seconds: float) -> str:
    minutes, rest = divmod(seconds, 60)
    return f"{int(minutes):d}:{rest:06.3f}".rstrip("0").rstrip(".")


def _price(instrument: Instrument, price: Decimal) -> str:
    """A price written with the instrument's decimals (99.50, not 99.5)."""
    return instrument.format_price(instrument.price_to_ticks(price))


def check(case: Case) -> str:
    """The plan of ``case`` as text; raises ``CaseFileError`` if a bot cannot be built."""
    for spec in case.bots:
        build_bot(spec, case.instrument(spec.symbol))
    lines = [f"case {case.name}: {case.title}"]
    for spec in case.instruments:
        value = spec.value
        lines.append(
            f"  instrument {spec.symbol}: tick {spec.instrument.tick_size}, lot "
            f"{spec.instrument.lot_size}, start {_price(spec.instrument, spec.start_price)}; "
            f"value {value.process} "
            f"every {value.every:g} s (sigma {value.sigma:g}"
            + (f", kappa {value.kappa:g}" if value.process == "mean_reversion" else "")
            + (
                f", jumps {value.jump_rate:g}/s of {value.jump_size:g}"
                if value.process == "jumps"
                else ""
            )
            + ")"
        )
    seeds = ", ".join(map(str, case.seeds))
    lines.append(f"  heats: {case.heat_count} x {case.heat_seconds:g} s, seeds {seeds}")
    moments: list[tuple[float, str]] = [
        (step.at, f"phase -> {step.phase}") for step in case.schedule
    ]
    for item in case.news:
        shock = "" if item.shock is None else f" [value {item.shock:+} {item.symbol}]"
        moments.append((item.at, f"news to {', '.join(item.to)}: {item.text[:60]}{shock}"))
    for tender in case.tenders:
        moments.append(
            (
                tender.at,
                f"tender to {', '.join(tender.to)}: {tender.side} {tender.qty} {tender.symbol} "
                f"at {_price(case.instrument(tender.symbol).instrument, tender.price)}, "
                f"{tender.expires:g} s to decide",
            )
        )
    moments.append((case.heat_seconds, f"end: settle at the {case.settlement} price"))
    lines.append("  each heat:")
    lines += [f"    {_clock(at):>9}  {what}" for at, what in sorted(moments, key=lambda m: m[0])]
    for spec in case.bots:
        params = ", ".join(f"{key}={value}" for key, value in spec.params)
        lines.append(f"  bot {spec.name}: {spec.agent} on {spec.symbol}({params})")
    limits = case.limits.as_dict()
    lines.append(
        "  limits: " + (", ".join(f"{k} {v:g}" for k, v in limits.items()) if limits else "none")
    )
    for symbol, fees in case.fees:
        lines.append(f"  fees {symbol}: maker {fees.maker}, taker {fees.taker} per unit")
    if case.teaching_note:
        lines.append("  teaching note: " + " ".join(case.teaching_note.split()))
    lines += [f"  ask: {question}" for question in case.questions]
    return "\n".join(lines)


__all__ = ["check"]
