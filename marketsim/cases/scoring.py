"""Scores: rank each heat by P&L with competition ties, and the average rank across heats.

Competition ranking ("1224" ranking): participants with equal P&L share a rank and the next
rank skips as many places as were shared, so five P&Ls 50, 20, 20, 20, 10 rank 1, 2, 2, 2, 5.
A student's final score is the mean of their ranks over the heats, so one lucky heat counts
for less than steady results; the lowest final score wins, and equal scores share a place the
same way.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

#: P&L closer than this (money) counts as equal, so float rounding never splits a tie.
PNL_TOLERANCE = 1e-9


def competition_ranks(values: Mapping[str, float], *, best: str = "highest") -> dict[str, int]:
    """Rank ``values`` (name -> number), ``best`` "highest" or "lowest", ties 1, 2, 2, 2, 5."""
    if best not in ("highest", "lowest"):
        raise ValueError(f"best must be 'highest' or 'lowest', got {best!r:.40}")
    sign = -1.0 if best == "highest" else 1.0
    ordered = sorted(values.items(), key=lambda item: (sign * item[1], item[0]))
    ranks: dict[str, int] = {}
    for place, (name, value) in enumerate(ordered, 1):
        if place > 1 and abs(value - ordered[place - 2][1]) <= PNL_TOLERANCE:
            ranks[name] = ranks[ordered[place - 2][0]]
        else:
            ranks[name] = place
    return ranks


def score_rows(pnl_by_heat: Mapping[int, Mapping[str, float]]) -> list[dict[str, Any]]:
    """One row per participant and heat: participant, heat, pnl, rank, final_score, final_rank.

    ``pnl_by_heat`` maps each finished heat to every participant's P&L in it.
    """
    ranks = {heat: competition_ranks(pnl) for heat, pnl in pnl_by_heat.items()}
    participants = sorted({name for pnl in pnl_by_heat.values() for name in pnl})
    final = {name: sum(ranks[heat][name] for heat in ranks) / len(ranks) for name in participants}
    final_ranks = competition_ranks(final, best="lowest")
    return [
        {
            "participant": name,
            "heat": heat,
            "pnl": pnl_by_heat[heat][name],
            "rank": ranks[heat][name],
            "final_score": final[name],
            "final_rank": final_ranks[name],
        }
        for name in sorted(participants, key=lambda n: (final_ranks[n], n))
        for heat in sorted(pnl_by_heat)
    ]


def scores_frame(pnl_by_heat: Mapping[int, Mapping[str, float]]):
    """``score_rows`` as a DataFrame (participant, heat, pnl, rank, final_score, final_rank)."""
    import pandas as pd

    columns = ["participant", "heat", "pnl", "rank", "final_score", "final_rank"]
    frame = pd.DataFrame(score_rows(pnl_by_heat), columns=columns)
    return frame.astype(
        {
            "participant": "string",
            "heat": "int64",
            "pnl": "float64",
            "rank": "int64",
            "final_score": "float64",
            "final_rank": "int64",
        }
    )


__all__ = ["competition_ranks", "score_rows", "scores_frame"]
