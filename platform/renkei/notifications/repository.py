"""Every query of the notifications domain: who, in an organization, is told."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from renkei.identity.models import User
from renkei.organizations.models import Membership
from renkei.tenancy import MembershipRole


async def member_emails(
    session: AsyncSession,
    *,
    organization_ids: Sequence[uuid.UUID],
    roles: Sequence[MembershipRole],
) -> list[tuple[str, uuid.UUID]]:
    """(email, organization id) of active people with these roles, by email."""
    rows = await session.execute(
        select(User.email, Membership.organization_id)
        .join(Membership, Membership.user_id == User.id)
        .where(
            Membership.organization_id.in_(organization_ids),
            Membership.role.in_(roles),
            User.deactivated_at.is_(None),
            User.is_service_account.is_(False),
        )
        .order_by(User.email)
    )
    return [(email, organization_id) for email, organization_id in rows]
