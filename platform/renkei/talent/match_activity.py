"""A match's steps in the activity log: who took each, on which side, and what it led to.

An entry names its side (FIRM or PROFESSIONAL) and the status the step led to. Readers see the
professional's side by pseudonym until both sides have accepted, as the firm sees the profile;
the firm's side by the firm's name. Row-level security shows the entries to whoever sees the
match (0027).
"""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from renkei.activity import repository as activity_repository
from renkei.activity import service as activity
from renkei.activity.models import Activity, SubjectType
from renkei.talent.models import Match
from renkei.tenancy import Viewer


def record_step(
    session: AsyncSession, viewer: Viewer, *, match: Match, step: str, side: str
) -> Activity:
    """Add the step to the current transaction's activity log."""
    entry = activity.record(
        session,
        viewer,
        subject_type=SubjectType.MATCH,
        subject_id=match.id,
        action=step,
        after={"side": side, "status": match.status.value},
    )
    # A professional acts for no organization, whatever the viewer carries.
    entry.actor_organization_id = match.organization_id if side == "FIRM" else None
    return entry


async def steps_of(session: AsyncSession, match_id: uuid.UUID) -> list[Activity]:
    """The match's entries, oldest first (none for a match the viewer does not see)."""
    entries = await activity_repository.of_subject(session, match_id)
    return [e for e in entries if e.subject_type is SubjectType.MATCH]


def mutually_accepted(match: Match) -> bool:
    """Both sides have accepted: the firm may know who the professional is."""
    return match.firm_accepted_at is not None and match.professional_accepted_at is not None
