"""The post-mortem of a heat: P&L over time ends at the settled P&L; trades and counterparties."""

import matplotlib
import pytest
from matplotlib.axes import Axes

from marketsim import cases
from marketsim.cases.events import Settled
from marketsim.errors import InvalidCommandError

matplotlib.use("Agg")


@pytest.fixture(scope="module")
def session():
    return cases.simulate("tender", bots=3, heats=1)


def test_pnl_over_time_starts_flat_and_ends_at_the_settled_pnl(session):
    pm = session.post_mortem()
    pnl = pm.pnl
    settled = {e.owner: e.pnl for e in session.heat.log if isinstance(e, Settled)}
    last = pnl[pnl.seconds == pnl.seconds.max()].set_index("participant")["pnl"]
    assert last.to_dict() == pytest.approx(settled)
    assert (pnl[pnl.seconds == 0]["pnl"] == 0).all()
    assert sorted(pnl.participant.unique()) == ["student01", "student02", "student03"]


def test_trades_carry_the_value_and_counterparties_add_up(session):
    pm = session.post_mortem()
    assert len(pm.trades) > 50
    assert list(pm.trades.columns) == [
        "seconds",
        "symbol",
        "price",
        "qty",
        "buyer",
        "seller",
        "value",
    ]
    assert pm.counterparties.to_numpy().sum() == pm.trades.qty.sum()
    # Whole lots: every quantity is an integer column, whatever trades happened.
    assert pm.trades.qty.dtype == pm.pnl.position.dtype == "int64"
    assert (pm.counterparties.dtypes == "int64").all()
    # The informed trader keeps prices near the value.
    assert (pm.trades.price - pm.trades.value).abs().mean() < 0.10
    assert pm.value.seconds.is_monotonic_increasing


def test_the_post_mortem_plots_return_their_axes(session):
    pm = session.post_mortem()
    for plot in (pm.plot_pnl, pm.plot_trades, pm.plot_counterparties):
        ax = plot()
        assert isinstance(ax, Axes)
        matplotlib.pyplot.close(ax.figure)


def test_an_unfinished_heat_has_no_post_mortem():
    session = cases.CaseSession(cases.load("spread"), {"ann": "trader"})
    session.start()
    with pytest.raises(InvalidCommandError, match="not finished"):
        session.post_mortem()
