"""Case files: every built-in case loads and checks; bad files fail with a clear, short error."""

import pytest

from marketsim import cases
from marketsim.cases.fields import MAX_HEATS
from marketsim.cases.model import Case, CaseFileError
from marketsim.cases.plan import check

MINIMAL = """
name = "mini"
[[instruments]]
symbol = "ACME"
"""


def test_the_five_built_in_cases_are_listed_in_teaching_order():
    assert cases.builtin_names() == ["spread", "news", "rebates", "tender", "auction"]


@pytest.mark.parametrize("name", ["spread", "news", "rebates", "tender", "auction"])
def test_each_built_in_case_passes_check_and_has_a_teaching_note(name):
    case = cases.load(name)
    plan = check(case)
    assert plan.startswith(f"case {name}: ")
    assert "teaching note" in plan and len(case.questions) >= 2
    assert len(case.seeds) == case.heat_count


def test_a_minimal_case_takes_defaults():
    case = Case.from_toml(MINIMAL)
    assert (case.heat_count, case.heat_seconds, case.seeds) == (1, 300.0, (1,))
    assert case.settlement == "value" and case.bots == () and case.news == ()
    assert float(case.instruments[0].start_price) == 100.0


def test_the_plan_lists_moments_in_time_order():
    case = Case.from_toml(
        MINIMAL
        + """
[[news]]
at = 30
text = "later"
[[schedule]]
at = 10
phase = "halted"
"""
    )
    plan = check(case)
    assert plan.index("phase -> halted") < plan.index("news to all: later") < plan.index("end:")


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ("colour = 'red'", "unknown key 'colour'"),
        ("[heats]\ncount = 0", "heats.count"),
        (f"[heats]\ncount = {MAX_HEATS + 1}", "heats.count"),
        ("[heats]\ncount = 2\nseeds = [1]", "2 heats"),
        ("[[schedule]]\nat = 1\nphase = 'closed'", "schedule\\[0\\].phase"),
        ("[[schedule]]\nat = 999\nphase = 'halted'", "schedule\\[0\\].at"),
        ("[[news]]\nat = 1\ntext = ''", "news\\[0\\].text"),
        ("[[news]]\nat = 1\ntext = 'x'\nshock = 'lots'", "news\\[0\\].shock"),
        ("[[news]]\nat = 1\ntext = 'x'\nsymbol = 'XYZ'", "not listed"),
        (
            "[[tenders]]\nat = 1\nside = 'buy'\nqty = 10\nprice = 99.505",
            "not a multiple of tick",
        ),
        ("[[tenders]]\nat = 1\nside = 'hold'\nqty = 10\nprice = 99", "tenders\\[0\\].side"),
        (
            "[[bots]]\nagent = 'ZeroIntelligence'\nname = 'a'\n"
            "[[bots]]\nagent = 'NoiseTrader'\nname = 'a'",
            "same name",
        ),
        ("[limits]\nmax_speed = 1", "unknown limit"),
        ("[[bots]]\nagent = 'NoiseTrader'\nparams = { interval = 1e-9 }", "at least 0.01"),
        ("[[bots]]\nagent = 'ZeroIntelligence'\nparams = { block = 1_000_000_000 }", "1e\\+06"),
        ("[[bots]]\nagent = 'ZeroIntelligence'\nparams = { market_rate = 5000 }", "at most"),
        ("[[bots]]\nagent = 'NoiseTrader'\nparams = { size = { low = 1 } }", "number"),
        ("[fees.XYZ]\nmaker = 0.01", "not listed"),
        ("[settlement]\nprice = 'vwap'", "settlement.price"),
    ],
)
def test_a_bad_field_is_named_in_the_error(extra, message):
    with pytest.raises(CaseFileError, match=message):
        Case.from_toml(MINIMAL + extra)


def test_errors_quote_only_a_short_prefix_of_bad_input():
    with pytest.raises(CaseFileError) as info:
        Case.from_toml(MINIMAL + "[settlement]\nprice = '" + "v" * 10_000 + "'")
    assert len(str(info.value)) < 200


def test_a_bot_with_a_bad_parameter_fails_check():
    case = Case.from_toml(MINIMAL + "[[bots]]\nagent = 'NoiseTrader'\nparams = { speed = 3 }")
    with pytest.raises(CaseFileError, match="bot1"):
        check(case)
    case = Case.from_toml(MINIMAL + "[[bots]]\nagent = 'os.system'")
    with pytest.raises(CaseFileError, match="unknown agent"):
        check(case)


def test_a_case_that_is_not_toml_or_not_there_is_refused(tmp_path):
    with pytest.raises(CaseFileError, match="not valid TOML"):
        Case.from_toml("name = ")
    with pytest.raises(CaseFileError, match="built-in: spread"):
        cases.load(str(tmp_path / "missing.toml"))
