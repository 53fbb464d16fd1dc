"""Every query of the activity log. Row-level security decides which entries a viewer reaches."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from renkei.activity.models import Activity


def of_subjects() -> Select[Activity]:
    """Entries, for paging per subject (row-level security shows what the viewer may see)."""
    return select(Activity)


async def by_ids(session: AsyncSession, ids: Sequence[uuid.UUID]) -> list[Activity]:
    """The entries of these ids that the viewer may see."""
    return list((await session.scalars(select(Activity).where(Activity.id.in_(ids)))).all())


async def of_subject(session: AsyncSession, subject_id: uuid.UUID) -> list[Activity]:
    """One subject's entries the viewer may see, oldest first."""
    statement = (
        select(Activity)
        .where(Activity.subject_id == subject_id)
        .order_by(Activity.created_at, Activity.id)
    )
    return list((await session.scalars(statement)).all())
