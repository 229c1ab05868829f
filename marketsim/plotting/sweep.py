"""``plot_sweep``: a study's metric against one parameter, mean and 95% interval over seeds."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pandas as pd
from matplotlib.axes import Axes

from marketsim.plotting._common import PlotInputError, finish, new_axes

#: Two-sided 95% quantiles of Student's t for 1 to 9 degrees of freedom.
_T975_SMALL = (12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262)
_Z975 = 1.959964


def t_quantile_975(dof: int) -> float:
    """The 97.5% quantile of Student's t with ``dof`` degrees of freedom (NaN for 0).

    A table up to 9, then the Cornish-Fisher expansion around the normal quantile, which is
    within 0.001 of the exact value from 10 degrees of freedom on.
    """
    if dof < 1:
        return float("nan")
    if dof <= len(_T975_SMALL):
        return _T975_SMALL[dof - 1]
    z = _Z975
    return (
        z
        + (z**3 + z) / (4 * dof)
        + (5 * z**5 + 16 * z**3 + 3 * z) / (96 * dof**2)
        + (3 * z**7 + 19 * z**5 + 17 * z**3 - 15 * z) / (384 * dof**3)
    )


def mean_interval(values: pd.Series) -> tuple[float, float, int]:
    """Mean, half-width of its 95% t-interval and count of the finite ``values``."""
    finite = values[np.isfinite(values.to_numpy(dtype=np.float64))]
    count = len(finite)
    if count == 0:
        return float("nan"), float("nan"), 0
    half = t_quantile_975(count - 1) * float(finite.std(ddof=1)) / math.sqrt(count)
    return float(finite.mean()), half, count


def plot_sweep(
    summary: pd.DataFrame,
    x: str,
    y: str,
    *,
    by: Sequence[str] = (),
    ax: Axes | None = None,
    **kwargs,
) -> Axes:
    """Plot the mean of ``y`` against ``x`` with 95% confidence intervals over seeds.

    ``summary`` has one row per run (a study's summary); runs whose ``status`` is not "ok"
    are left out. Each combination of the ``by`` columns is a separate line. Extra keyword
    arguments go to ``Axes.errorbar``.
    """
    missing = [column for column in (x, y, *by) if column not in summary.columns]
    if missing:
        raise PlotInputError(
            f"plot_sweep: no column {missing} in the summary (it has {list(summary.columns)})"
        )
    if "status" in summary.columns:
        summary = summary[summary["status"] == "ok"]
    ax = new_axes(ax, (6.0, 4.0))
    groups = summary.groupby(list(by), sort=True) if by else [((), summary)]
    for key, group in groups:
        rows = [(value, *mean_interval(runs[y])) for value, runs in group.groupby(x, sort=True)]
        xs, means, halves, _ = zip(*rows, strict=True) if rows else ((), (), (), ())
        values = key if isinstance(key, tuple) else (key,)
        label = ", ".join(f"{name}={value}" for name, value in zip(by, values, strict=True))
        ax.errorbar(xs, means, yerr=halves, marker="o", capsize=3, label=label or None, **kwargs)
    ax.set_xlabel(x)
    ax.set_ylabel(y)
    ax.set_title(f"{y}: mean and 95% interval over seeds", fontsize="medium")
    return finish(ax)
