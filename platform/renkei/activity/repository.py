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
