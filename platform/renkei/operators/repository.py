"""Every query of the operators domain: whether a user operates the platform."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from renkei.operators.models import PlatformOperator


async def is_operator(session: AsyncSession, *, user_id: uuid.UUID) -> bool:
    """Whether the user operates the platform, as far as the session may see."""
    # Row-level security shows a user only their own row: nobody learns who operates.
    found = await session.scalar(
        select(PlatformOperator.user_id).where(PlatformOperator.user_id == user_id)
    )
    return found is not None
