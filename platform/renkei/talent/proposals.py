"""The matching engine wired to the database: rows in, PROPOSED matches with their reasons out.

The engine reads every open profile and need, so it runs as the platform. Matches that moved
beyond PROPOSED are the two sides' business and are left alone (the engine still counts a
professional's contracted and active ones against their engagements and hours); a proposal the
engine no longer makes is EXPIRED, and proposed again if it comes back.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from renkei.errors import Forbidden
from renkei.i18n.messages import _
from renkei.talent import repository
from renkei.talent.matching import MatchingEngine, MatchingResult, Proposal, StabilityReport
from renkei.talent.models import Match, MatchStatus, NeedStatus
from renkei.talent.service import get_need, need_spec, professional_spec, require_firm_writer
from renkei.tenancy import Viewer, set_viewer

# A proposal the engine no longer makes, or an expired one it makes again.
_REPROPOSABLE = (MatchStatus.PROPOSED, MatchStatus.EXPIRED)


@dataclass(frozen=True, slots=True)
class Recomputed:
    need_ids: list[uuid.UUID]
    proposed: int  # matches now PROPOSED for those needs
    expired: int  # proposals withdrawn by the engine in this run
    stable: bool


def _require_platform(viewer: Viewer) -> None:
    if not viewer.system:
        raise Forbidden(_("Only the platform recomputes every proposal."))


async def run_engine(
    session: AsyncSession,
) -> tuple[Sequence[repository.NeedFacts], MatchingResult, MatchingEngine]:
    """The engine over every open profile and need (read as the caller: the platform)."""
    profiles = await repository.open_profiles(session)
    taken = await repository.engagements(session)
    specs = []
    for profile in profiles:
        count, hours = taken.get(profile.professional_id, (0, 0))
        specs.append(professional_spec(profile, engagements=count, hours_in_use=hours))
    needs = await repository.open_needs(session)
    regions = await repository.region_prefectures(session, [n.organization_id for n in needs])
    engine = MatchingEngine(specs)
    result = engine.recompute_all(
        [need_spec(n, regions.get(n.organization_id, frozenset())) for n in needs]
    )
    return needs, result, engine


async def _store(
    session: AsyncSession, needs: Sequence[repository.NeedFacts], result: MatchingResult
) -> tuple[int, int]:
    now = datetime.now(UTC)
    existing: dict[tuple[uuid.UUID, uuid.UUID], Match] = {
        (m.need_id, m.professional_id): m
        for m in await repository.matches_of_needs(session, [n.id for n in needs])
    }
    proposed = expired = 0
    for need in needs:
        kept: set[uuid.UUID] = set()
        for proposal in result.proposals.get(need.id, []):
            professional_id = proposal.professional_id
            assert isinstance(professional_id, uuid.UUID)
            kept.add(professional_id)
            match = existing.get((need.id, professional_id))
            if match is None:
                match = Match(
                    id=uuid.uuid4(),
                    need_id=need.id,
                    professional_id=professional_id,
                    organization_id=need.organization_id,
                    status=MatchStatus.PROPOSED,
                    version=0,
                    created_at=now,
                )
                session.add(match)
            elif match.status not in _REPROPOSABLE:
                continue
            _propose(match, proposal, now)
            proposed += 1
        for (need_id, professional_id), match in existing.items():
            stale = need_id == need.id and professional_id not in kept
            if stale and match.status is MatchStatus.PROPOSED:
                match.status = MatchStatus.EXPIRED
                match.version += 1
                match.updated_at = now
                expired += 1
    await session.flush()
    return proposed, expired


def _propose(match: Match, proposal: Proposal, now: datetime) -> None:
    match.status = MatchStatus.PROPOSED
    match.score = Decimal(str(proposal.score))
    match.rank = proposal.rank
    match.explanation = proposal.explanation.as_json()
    match.version += 1
    match.updated_at = now


async def recompute_all(session: AsyncSession, viewer: Viewer) -> Recomputed:
    """Propose professionals for every open need; expire proposals of needs no longer open."""
    _require_platform(viewer)
    needs, result, _engine = await run_engine(session)
    proposed, expired = await _store(session, needs, result)
    expired += await _expire_closed(session)
    return Recomputed([n.id for n in needs], proposed, expired, result.stability.stable)


async def _expire_closed(session: AsyncSession) -> int:
    now = datetime.now(UTC)
    count = 0
    for match in await repository.stale_proposals(session):
        match.status = MatchStatus.EXPIRED
        match.version += 1
        match.updated_at = now
        count += 1
    await session.flush()
    return count


async def recompute_for_need(
    session: AsyncSession, viewer: Viewer, *, need_id: uuid.UUID
) -> Recomputed:
    """Recompute one need's proposals as the platform.

    The allocation of openings depends on every other open need (a professional holds a seat
    with the need they prefer), so the engine runs over all of them and only this need's
    proposals are stored; the nightly full recompute refreshes the others."""
    _require_platform(viewer)
    need = await get_need(session, need_id, field="needId")
    if need.status is not NeedStatus.OPEN:
        proposed, expired = await _store(session, [need], _empty())
        return Recomputed([need.id], proposed, expired, True)
    needs, result, _engine = await run_engine(session)
    proposed, expired = await _store(session, [n for n in needs if n.id == need.id], result)
    return Recomputed([need.id], proposed, expired, result.stability.stable)


def _empty() -> MatchingResult:
    return MatchingResult({}, StabilityReport(True, 0, ()), 0, 0, 0)


async def recompute_for_firm(
    session: AsyncSession, viewer: Viewer, *, need_id: uuid.UUID
) -> Recomputed:
    """A firm's writer asks for its need's proposals now; the engine runs as the platform,
    and the rows it read are let go before the firm's own reads resume."""
    need = await get_need(session, need_id, field="needId")
    require_firm_writer(viewer, need.organization_id, to="recompute its needs' proposals")
    await set_viewer(session, Viewer.platform())
    try:
        return await recompute_for_need(session, Viewer.platform(), need_id=need_id)
    finally:
        await session.flush()
        # Rows read as the platform must not answer the firm's later reads from memory.
        session.expunge_all()
        await set_viewer(session, viewer)
