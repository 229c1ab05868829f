"""The numbers a study records for each run: activity, liquidity, volatility and agents' P&L.

Book-state statistics are time-weighted: each best bid and offer counts for as long as it
stood, from its change to the next one (the last until the end of the run), so that a burst
of changes at one instant weighs nothing and a quote that stood for ten seconds weighs ten.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from marketsim.sim.result import SimulationResult

#: Seconds between the mid-price samples whose log returns make the realized volatility.
VOLATILITY_SAMPLE_SECONDS = 1.0

#: The market columns of every run's summary row, in order (then ``<agent>.pnl`` and
#: ``<agent>.position`` for each agent).
MARKET_COLUMNS = (
    "events",
    "trades",
    "volume",
    "spread_mean",
    "spread_median",
    "depth_mean",
    "realized_vol",
    "sign_acf1",
    "final_price",
)


def agent_columns(agent_names: list[str]) -> list[str]:
    """The per-agent columns of a summary: P&L and position of each agent."""
    return [f"{name}.{column}" for name in agent_names for column in ("pnl", "position")]


def run_metrics(result: SimulationResult) -> dict[str, int | float]:
    """The summary numbers of one simulation (plain Python numbers, NaN when undefined).

    - ``events``, ``trades``: engine events and executions; ``volume``: quantity traded.
    - ``spread_mean``, ``spread_median``: time-weighted, while both sides are quoted.
    - ``depth_mean``: time-weighted mean quantity at the best price, per side (the mean of
      best-bid and best-ask quantity), while both sides are quoted.
    - ``realized_vol``: square root of the summed squared log returns of the mid, sampled
      every ``VOLATILITY_SAMPLE_SECONDS`` over the whole run (not annualised).
    - ``sign_acf1``: lag-1 autocorrelation of trade signs (+1 buyer-, -1 seller-initiated),
      one per execution.
    - ``final_price``: the last trade price.
    - ``<agent>.pnl``, ``<agent>.position``: from ``result.summary()`` (marked at the end).
    """
    trades = result.trades()
    bbo = result.bbo()
    times = bbo["ts_event"].astype("int64").to_numpy()
    weights = np.diff(np.append(times, result.end_ns)).astype(np.float64)
    quoted = bbo["spread"].notna().to_numpy()
    # Best quantities are nullable integers for whole lots: <NA> (one side empty) becomes NaN.
    bid_qty = bbo["bid_qty"].to_numpy(np.float64, na_value=np.nan)
    ask_qty = bbo["ask_qty"].to_numpy(np.float64, na_value=np.nan)
    depth = (bid_qty + ask_qty) / 2
    signs = np.where(trades["aggressor_side"].to_numpy() == "buy", 1.0, -1.0)
    metrics: dict[str, int | float] = {
        "events": len(result.events),
        "trades": len(trades),
        "volume": float(trades["qty"].sum()),
        "spread_mean": _weighted_mean(bbo["spread"].to_numpy()[quoted], weights[quoted]),
        "spread_median": _weighted_median(bbo["spread"].to_numpy()[quoted], weights[quoted]),
        "depth_mean": _weighted_mean(depth[quoted], weights[quoted]),
        "realized_vol": _realized_vol(times, bbo["mid"].to_numpy(), result),
        "sign_acf1": _lag1_autocorrelation(signs),
        "final_price": float(trades["price"].iloc[-1]) if len(trades) else float("nan"),
    }
    agents = result.summary()
    for name in agents.index:
        metrics[f"{name}.pnl"] = float(agents.loc[name, "pnl"])
        metrics[f"{name}.position"] = float(agents.loc[name, "position"])
    return metrics


def _weighted_mean(values: np.ndarray, weights: np.ndarray) -> float:
    total = weights.sum()
    return float(np.dot(values, weights) / total) if total > 0 else float("nan")


def _weighted_median(values: np.ndarray, weights: np.ndarray) -> float:
    """The value at which half of the total weight lies below (the lower one on a tie)."""
    if weights.sum() <= 0:
        return float("nan")
    order = np.argsort(values, kind="stable")
    cumulative = np.cumsum(weights[order])
    return float(values[order][np.searchsorted(cumulative, cumulative[-1] / 2)])


def _realized_vol(times: np.ndarray, mids: np.ndarray, result: SimulationResult) -> float:
    step = round(VOLATILITY_SAMPLE_SECONDS * 1e9)
    grid = np.arange(result.start_ns + step, result.end_ns + 1, step, dtype=np.int64)
    latest = np.searchsorted(times, grid, side="right") - 1
    sampled = np.where(latest >= 0, mids[np.maximum(latest, 0)], np.nan)
    returns = np.diff(np.log(sampled))
    returns = returns[np.isfinite(returns)]
    return float(np.sqrt(np.sum(returns**2))) if len(returns) else float("nan")


def _lag1_autocorrelation(signs: np.ndarray) -> float:
    if len(signs) < 3:
        return float("nan")
    before, after = signs[:-1], signs[1:]
    if before.std() == 0 or after.std() == 0:
        return float("nan")
    return float(np.corrcoef(before, after)[0, 1])
