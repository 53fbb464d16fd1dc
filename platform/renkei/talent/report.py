"""The engine's stability report (matchingReport): blocking pairs, coverage, exposure.

The platform's operators read it over every open need; a firm reads it for one of its own needs
only (another firm's need, or the whole, gives it nothing). The engine runs as the platform,
over every open profile and need, and nothing is stored.
"""

from __future__ import annotations

import uuid
from collections import Counter
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from renkei.operators.service import is_operator
from renkei.talent import repository
from renkei.talent.proposals import run_engine
from renkei.tenancy import Viewer, set_viewer


@dataclass(frozen=True, slots=True)
class MatchingReport:
    need_id: uuid.UUID | None  # None: every open need
    stable: bool
    blocking_pairs: int
    needs: int
    professionals: int
    professionals_eligible: int  # with at least one feasible need
    professionals_proposed: int  # receiving at least one proposal
    proposals: int
    allocated: int  # proposals holding an opening in the stable allocation
    max_exposure: int  # the most proposals one professional receives
    mean_exposure: float  # proposals per professional proposed

    @property
    def coverage(self) -> float:
        """The share of eligible professionals who receive a proposal."""
        if not self.professionals_eligible:
            return 0.0
        return self.professionals_proposed / self.professionals_eligible


async def _may_read(session: AsyncSession, viewer: Viewer, need_id: uuid.UUID | None) -> bool:
    if viewer.user_id is not None and await is_operator(session, viewer.user_id):
        return True
    if need_id is None or viewer.organization_id is None:
        return False
    need = await repository.get_need(session, need_id)
    return need is not None and need.organization_id == viewer.organization_id


async def matching_report(
    session: AsyncSession, viewer: Viewer, *, need_id: uuid.UUID | None = None
) -> MatchingReport | None:
    """The report over every open need (operators) or for one need (its firm); None otherwise."""
    if not await _may_read(session, viewer, need_id):
        return None
    await set_viewer(session, Viewer.platform())
    try:
        needs, result, engine = await run_engine(session)
        by_need = engine.blocking_pairs_by_need()
    finally:
        # Rows read as the platform must not answer the viewer's later reads from memory.
        session.expunge_all()
        await set_viewer(session, viewer)
    exposure = Counter(
        p.professional_id for proposals in result.proposals.values() for p in proposals
    )
    if need_id is None:
        chosen = [p for proposals in result.proposals.values() for p in proposals]
        blocking = result.stability.blocking_pairs
    else:
        chosen = list(result.proposals.get(need_id, []))
        blocking = by_need.get(need_id, 0)
    people = {p.professional_id for p in chosen}
    return MatchingReport(
        need_id=need_id,
        stable=blocking == 0,
        blocking_pairs=blocking,
        needs=len(needs) if need_id is None else 1,
        professionals=result.professionals,
        professionals_eligible=result.professionals_eligible,
        professionals_proposed=len(people),
        proposals=len(chosen),
        allocated=sum(p.allocated for p in chosen),
        max_exposure=max((exposure[p] for p in people), default=0),
        mean_exposure=(sum(exposure[p] for p in people) / len(people)) if people else 0.0,
    )
