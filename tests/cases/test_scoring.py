"""Scores: competition ranks per heat and the average rank, against hand-computed tables."""

import pytest

from marketsim.cases.scoring import competition_ranks, score_rows, scores_frame


def test_ties_share_a_rank_and_the_next_rank_skips_the_shared_places():
    pnl = {"a": 50.0, "b": 20.0, "c": 20.0, "d": 20.0, "e": 10.0}
    assert competition_ranks(pnl) == {"a": 1, "b": 2, "c": 2, "d": 2, "e": 5}


def test_lowest_is_best_for_final_scores():
    assert competition_ranks({"x": 2.5, "y": 2.0, "z": 2.0}, best="lowest") == {
        "x": 3,
        "y": 1,
        "z": 1,
    }


def test_pnl_equal_up_to_float_rounding_counts_as_a_tie():
    assert competition_ranks({"a": 0.1 + 0.2, "b": 0.3}) == {"a": 1, "b": 1}


def test_final_score_is_the_mean_rank_over_heats():
    # heat 1: a 50 (1), b 20 (2), c 20 (2), d 20 (2), e 10 (5)
    # heat 2: e 100 (1), b 30 (2), c 30 (2), a 0 (4), d -5 (5)
    # mean rank: a 2.5, b 2, c 2, d 3.5, e 3 -> final ranks b 1, c 1, a 3, e 4, d 5
    heats = {
        1: {"a": 50.0, "b": 20.0, "c": 20.0, "d": 20.0, "e": 10.0},
        2: {"a": 0.0, "b": 30.0, "c": 30.0, "d": -5.0, "e": 100.0},
    }
    rows = score_rows(heats)
    final = {row["participant"]: (row["final_score"], row["final_rank"]) for row in rows}
    assert final == {"a": (2.5, 3), "b": (2.0, 1), "c": (2.0, 1), "d": (3.5, 5), "e": (3.0, 4)}
    ranks = {(row["participant"], row["heat"]): row["rank"] for row in rows}
    assert ranks[("a", 2)] == 4 and ranks[("e", 1)] == 5
    assert [row["participant"] for row in rows[::2]] == ["b", "c", "a", "e", "d"]


def test_scores_frame_has_fixed_columns_and_dtypes():
    frame = scores_frame({1: {"a": 1.0, "b": 2.0}})
    assert list(frame.columns) == [
        "participant",
        "heat",
        "pnl",
        "rank",
        "final_score",
        "final_rank",
    ]
    assert [str(t) for t in frame.dtypes] == [
        "string",
        "int64",
        "float64",
        "int64",
        "float64",
        "int64",
    ]
    assert frame["participant"].tolist() == ["b", "a"]


def test_best_must_be_highest_or_lowest():
    with pytest.raises(ValueError, match="best"):
        competition_ranks({"a": 1.0}, best="middle")
