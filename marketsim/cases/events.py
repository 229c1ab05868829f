"""What happens in a case, as frozen records: the case's own event log.

The exchange keeps its events (orders, trades); a heat adds these: the heat starting and
ending, phase changes, news delivered, tenders offered and resolved, and each participant's
settlement. Every record has ``heat`` and ``ts_ns`` (time from the start of the heat). The
same seeds give the same log, which is what the determinism tests compare.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal


@dataclass(frozen=True, slots=True)
class HeatChanged:
    """A heat ``started``, was ``paused`` or ``resumed``, or ``ended``."""

    heat: int
    ts_ns: int
    state: str
    seconds_left: float


@dataclass(frozen=True, slots=True)
class PhaseSet:
    """The market of ``symbol`` moved to ``phase``."""

    heat: int
    ts_ns: int
    symbol: str
    phase: str


@dataclass(frozen=True, slots=True)
class NewsDelivered:
    """News item ``news_id`` reached exactly ``recipients`` (participant names, sorted)."""

    heat: int
    ts_ns: int
    news_id: int
    text: str
    symbol: str | None
    recipients: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class TenderOffered:
    """The house offers ``owner`` to ``side`` ``qty`` ``symbol`` at ``price`` until
    ``expires_ns`` (exclusive)."""

    heat: int
    ts_ns: int
    tender_id: int
    owner: str
    symbol: str
    side: str
    qty: Decimal
    price: Decimal
    expires_ns: int


@dataclass(frozen=True, slots=True)
class TenderResolved:
    """Tender ``tender_id`` was ``accepted``, ``declined`` or ``expired``."""

    heat: int
    ts_ns: int
    tender_id: int
    owner: str
    outcome: str


@dataclass(frozen=True, slots=True)
class Settled:
    """``owner``'s position in ``symbol`` closed at ``price`` at the end of a heat; ``pnl`` is
    the participant's whole profit in that instrument (cash plus the position at ``price``)."""

    heat: int
    ts_ns: int
    owner: str
    symbol: str
    position: float
    price: float
    pnl: float


CaseEvent = HeatChanged | PhaseSet | NewsDelivered | TenderOffered | TenderResolved | Settled

__all__ = [
    "CaseEvent",
    "HeatChanged",
    "NewsDelivered",
    "PhaseSet",
    "Settled",
    "TenderOffered",
    "TenderResolved",
]
