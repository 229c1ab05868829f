"""Trading-case records <-> protobuf (``CaseStatus``, ``CaseNews``, ``CaseTender``, scores).

The case engine's records (``marketsim.cases.events``) become messages here, and the client
turns messages back into plain dicts and DataFrame rows; nothing else knows the case messages.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from marketsim.cases.events import NewsDelivered, TenderOffered
from marketsim.wire.v1 import market_pb2 as pb


def status_to_proto(
    case_name: str,
    heat: int,
    heat_count: int,
    state: str,
    ts_ns: int,
    seconds_left: float,
    phases: Mapping[str, str],
) -> pb.CaseStatus:
    return pb.CaseStatus(
        case_name=case_name,
        heat=heat,
        heat_count=heat_count,
        state=state,
        ts_ns=ts_ns,
        seconds_left=seconds_left,
        phases=dict(phases),
    )


def news_to_proto(item: NewsDelivered) -> pb.CaseNews:
    return pb.CaseNews(
        heat=item.heat,
        ts_ns=item.ts_ns,
        news_id=item.news_id,
        text=item.text,
        symbol=item.symbol or "",
    )


def tender_to_proto(tender: TenderOffered, outcome: str | None) -> pb.CaseTender:
    return pb.CaseTender(
        heat=tender.heat,
        ts_ns=tender.ts_ns,
        tender_id=tender.tender_id,
        symbol=tender.symbol,
        side=tender.side,
        qty=str(tender.qty),
        price=str(tender.price),
        expires_ns=tender.expires_ns,
        outcome=outcome or "",
    )


def scores_to_proto(rows: Iterable[Mapping[str, Any]]) -> pb.CaseScores:
    return pb.CaseScores(scores=[pb.CaseScore(**row) for row in rows])


# -- back to plain Python (client side) ----------------------------------------------------------


def status_from_proto(status: pb.CaseStatus) -> dict[str, Any]:
    """The status as a dict: case, heat, heat_count, state, ts_ns, seconds_left, phases,
    connected (admins only)."""
    return {
        "case": status.case_name,
        "heat": status.heat,
        "heat_count": status.heat_count,
        "state": status.state,
        "ts_ns": status.ts_ns,
        "seconds_left": status.seconds_left,
        "phases": dict(status.phases),
        "connected": list(status.connected),
    }


def news_from_proto(item: pb.CaseNews) -> dict[str, Any]:
    return {
        "heat": item.heat,
        "seconds": item.ts_ns / 1e9,
        "news_id": item.news_id,
        "symbol": item.symbol or None,
        "text": item.text,
    }


def tender_from_proto(tender: pb.CaseTender) -> dict[str, Any]:
    return {
        "tender_id": tender.tender_id,
        "heat": tender.heat,
        "seconds": tender.ts_ns / 1e9,
        "symbol": tender.symbol,
        "side": tender.side,
        "qty": float(tender.qty),
        "price": float(tender.price),
        "expires_seconds": tender.expires_ns / 1e9,
        "outcome": tender.outcome or "open",
    }


def score_from_proto(score: pb.CaseScore) -> dict[str, Any]:
    return {
        "participant": score.participant,
        "heat": score.heat,
        "pnl": score.pnl,
        "rank": score.rank,
        "final_score": score.final_score,
        "final_rank": score.final_rank,
    }


#: The frames of a ``PostMortem``, which are also the fields of a ``CasePostMortem``.
POST_MORTEM_FRAMES = ("pnl", "trades", "value", "counterparties")


def post_mortem_to_proto(post_mortem: Any) -> pb.CasePostMortem:
    """A ``marketsim.cases.PostMortem`` as a message: each frame a Parquet file."""
    message = pb.CasePostMortem(heat=post_mortem.heat)
    for name in POST_MORTEM_FRAMES:
        setattr(message, name, getattr(post_mortem, name).to_parquet())
    return message


def post_mortem_from_proto(message: pb.CasePostMortem) -> Any:
    """The ``PostMortem`` a ``CasePostMortem`` carries."""
    import io

    import pandas as pd

    from marketsim.cases.postmortem import PostMortem

    frames = {
        name: pd.read_parquet(io.BytesIO(getattr(message, name))) for name in POST_MORTEM_FRAMES
    }
    return PostMortem(heat=message.heat, **frames)
