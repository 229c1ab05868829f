"""The trading-case methods of the clients: what a student and a moderator can do.

A student reads the case's state (heat, phases, time left), its news and tenders, and answers
tenders; ``stream_case`` follows the same as it happens. A moderator (an admin) loads a case,
controls it and reads the scores. ``AsyncCaseMethods`` is mixed into ``AsyncMarketClient`` and
``CaseMethods`` into the blocking ``MarketClient``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from marketsim.wire import case_codec
from marketsim.wire.v1 import market_pb2 as pb

if TYPE_CHECKING:
    import pandas as pd

    from marketsim.cases.postmortem import PostMortem

NEWS_COLUMNS = ["heat", "seconds", "news_id", "symbol", "text"]
TENDER_COLUMNS = [
    "tender_id",
    "heat",
    "seconds",
    "symbol",
    "side",
    "qty",
    "price",
    "expires_seconds",
    "outcome",
]


class CaseUpdate(NamedTuple):
    """A case's state (``status``: a dict) with news and tenders (lists of dicts)."""

    status: dict[str, Any]
    news: list[dict[str, Any]]
    tenders: list[dict[str, Any]]


def _update(message: pb.CaseUpdate) -> CaseUpdate:
    return CaseUpdate(
        case_codec.status_from_proto(message.status),
        [case_codec.news_from_proto(item) for item in message.news],
        [case_codec.tender_from_proto(item) for item in message.tenders],
    )


def _frame(rows: list[dict[str, Any]], columns: list[str]) -> pd.DataFrame:
    import pandas as pd

    return pd.DataFrame(rows, columns=columns)


def case_text(case: Any) -> str:
    """The TOML text of a case: a ``Case``, a built-in name, a path, or TOML text itself."""
    from marketsim.cases.model import Case

    if isinstance(case, Case):
        return case.source
    if isinstance(case, Path):
        return case.read_text(encoding="utf-8")
    if isinstance(case, str) and "\n" not in case:
        from marketsim import cases

        if case in cases.builtin_names():
            (path,) = cases.BUILTIN.glob(f"*_{case}.toml")
            return path.read_text(encoding="utf-8")
        return Path(case).read_text(encoding="utf-8")
    if isinstance(case, str):
        return case
    raise TypeError("a case is a built-in name, a path to a case file or its TOML text")


class AsyncCaseMethods:
    """Trading-case calls of ``AsyncMarketClient``."""

    _unary: Any
    stub: Any
    _metadata: Any

    async def case_state(self) -> CaseUpdate:
        """The running case as you see it: status, and this heat's news and tenders for you."""
        return _update(await self._unary("GetCaseState", pb.GetCaseStateRequest()))

    async def news(self) -> pd.DataFrame:
        """The news you have been shown this heat (heat, seconds, news_id, symbol, text)."""
        return _frame((await self.case_state()).news, NEWS_COLUMNS)

    async def tenders(self) -> pd.DataFrame:
        """The tenders offered to you this heat, with their outcome ("open" until answered)."""
        return _frame((await self.case_state()).tenders, TENDER_COLUMNS)

    async def accept(self, tender_id: int) -> dict[str, Any]:
        """Take tender ``tender_id``: you buy or sell its quantity at its price."""
        return await self._answer(tender_id, True)

    async def decline(self, tender_id: int) -> dict[str, Any]:
        """Turn tender ``tender_id`` down (letting it expire does the same)."""
        return await self._answer(tender_id, False)

    async def _answer(self, tender_id: int, accept: bool) -> dict[str, Any]:
        request = pb.AnswerTenderRequest(tender_id=tender_id, accept=accept)
        update = _update(await self._unary("AnswerTender", request))
        return next(t for t in update.tenders if t["tender_id"] == tender_id)

    async def stream_case(self) -> AsyncIterator[CaseUpdate]:
        """Case updates as they happen: heat and phase changes, the time left (every few
        seconds), and news and tenders for you (only the new ones in each update)."""
        import grpc

        from marketsim.client.aio import _raise_for

        call = self.stub.StreamPrivate(pb.StreamPrivateRequest(), metadata=self._metadata)
        try:
            async for message in call:
                if message.HasField("case_update"):
                    yield _update(message.case_update)
        except grpc.aio.AioRpcError as error:
            _raise_for(error)
        finally:
            call.cancel()

    # -- the moderator (admins) ----------------------------------------------------------------

    async def run_case(
        self, case: Any, *, clock: str = "real", speed: float = 1.0, heats: int | None = None
    ) -> dict[str, Any]:
        """Load ``case`` (a built-in name, a path or TOML text) on the market; its first heat
        waits for ``control_case("start")``. ``clock="simulated"`` runs heats at once."""
        request = pb.RunCaseRequest(
            case_toml=case_text(case), clock=clock, speed=speed, heats=heats or 0
        )
        return _update(await self._unary("RunCase", request)).status

    async def control_case(self, action: str) -> dict[str, Any]:
        """ "start", "pause", "resume", "next_heat" or "end"; returns the new status."""
        request = pb.ControlCaseRequest(action=action)
        return _update(await self._unary("ControlCase", request)).status

    async def case_scores(self) -> pd.DataFrame:
        """P&L and rank per participant and finished heat, with the final (mean-rank) score."""
        import pandas as pd

        from marketsim.cases.scoring import scores_frame

        response = await self._unary("GetCaseScores", pb.GetCaseScoresRequest())
        rows = [case_codec.score_from_proto(score) for score in response.scores]
        if not rows:
            return scores_frame({})
        frame = pd.DataFrame(rows)
        return frame.astype(scores_frame({1: {"x": 0.0}}).dtypes.to_dict())

    async def case_post_mortem(self, heat: int | None = None) -> PostMortem:
        """The ``PostMortem`` of a finished heat (default: the last one); admins only."""
        request = pb.GetCasePostMortemRequest(heat=heat or 0)
        return case_codec.post_mortem_from_proto(await self._unary("GetCasePostMortem", request))


class CaseMethods:
    """The same calls on the blocking ``MarketClient``."""

    _client: Any
    _wait: Any

    def case_state(self) -> CaseUpdate:
        return self._wait(self._client.case_state())

    def news(self) -> pd.DataFrame:
        return self._wait(self._client.news())

    def tenders(self) -> pd.DataFrame:
        return self._wait(self._client.tenders())

    def accept(self, tender_id: int) -> dict[str, Any]:
        return self._wait(self._client.accept(tender_id))

    def decline(self, tender_id: int) -> dict[str, Any]:
        return self._wait(self._client.decline(tender_id))

    def stream_case(self) -> Iterator[CaseUpdate]:
        from marketsim.client.sync import _blocking

        return _blocking(self._client.stream_case())

    def run_case(
        self, case: Any, *, clock: str = "real", speed: float = 1.0, heats: int | None = None
    ) -> CaseControl:
        """Load ``case`` and return its ``CaseControl`` (see ``AsyncCaseMethods.run_case``)."""
        self._wait(self._client.run_case(case, clock=clock, speed=speed, heats=heats))
        return CaseControl(self)

    def control_case(self, action: str) -> dict[str, Any]:
        return self._wait(self._client.control_case(action))

    def case_scores(self) -> pd.DataFrame:
        return self._wait(self._client.case_scores())

    def case_post_mortem(self, heat: int | None = None) -> PostMortem:
        return self._wait(self._client.case_post_mortem(heat))


class CaseControl:
    """The moderator's handle of a case loaded on a market (an admin's blocking client)."""

    def __init__(self, client: CaseMethods) -> None:
        self.client = client

    def start(self) -> dict[str, Any]:
        """Start the next heat."""
        return self.client.control_case("start")

    def pause(self) -> dict[str, Any]:
        """Freeze the heat's clock, schedule and bots."""
        return self.client.control_case("pause")

    def resume(self) -> dict[str, Any]:
        return self.client.control_case("resume")

    def next_heat(self) -> dict[str, Any]:
        """End the running heat now and start the next."""
        return self.client.control_case("next_heat")

    def end(self) -> dict[str, Any]:
        """End the running heat and the case."""
        return self.client.control_case("end")

    def status(self) -> dict[str, Any]:
        """Heat, state, phases and time left."""
        return self.client.case_state().status

    def scores(self) -> pd.DataFrame:
        """participant, heat, pnl, rank, final_score, final_rank of the finished heats."""
        return self.client.case_scores()

    def post_mortem(self, heat: int | None = None) -> PostMortem:
        """A finished heat's P&L over time, trades against the value and who traded with
        whom (default: the last heat), with plots (see ``marketsim.cases.PostMortem``)."""
        return self.client.case_post_mortem(heat)

    def __repr__(self) -> str:
        status = self.status()
        return (
            f"<CaseControl {status['case']}: heat {status['heat']}/{status['heat_count']} "
            f"{status['state']}, {status['seconds_left']:.0f} s left>"
        )


__all__ = ["AsyncCaseMethods", "CaseControl", "CaseMethods", "CaseUpdate"]
