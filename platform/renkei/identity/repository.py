"""Every query of the identity domain."""

from __future__ import annotations

import uuid

from sqlalchemy import Select, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from renkei.identity.models import AuditEvent, User
from renkei.organizations.models import Membership
from renkei.tenancy import MembershipRole


async def get_user_by_email(session: AsyncSession, email: str) -> User | None:
    return await session.scalar(select(User).where(User.email == email.lower()))


async def role_in(
    session: AsyncSession, user_id: uuid.UUID, organization_id: uuid.UUID
) -> MembershipRole | None:
    return await session.scalar(
        select(Membership.role).where(
            Membership.user_id == user_id, Membership.organization_id == organization_id
        )
    )


async def users_by_ids(session: AsyncSession, ids: list[uuid.UUID]) -> list[User]:
    return list((await session.scalars(select(User).where(User.id.in_(ids)))).all())


def audit_events(organization_id: uuid.UUID) -> Select[AuditEvent]:
    return select(AuditEvent).where(AuditEvent.organization_id == organization_id)


_ACT_AS = text(
    "SELECT email, role, deactivated FROM renkei_act_as(CAST(:user_id AS uuid),"
    " CAST(:organization_id AS uuid))"
)


async def act_as(
    session: AsyncSession, user_id: uuid.UUID, organization_id: uuid.UUID | None
) -> tuple[str, MembershipRole | None, bool] | None:
    """Set the user (and their role in the organization) as the transaction's viewer, reading
    them in the same statement (migration 0007): (email, role, deactivated), or None."""
    row = (
        await session.execute(
            _ACT_AS,
            {
                "user_id": str(user_id),
                "organization_id": str(organization_id) if organization_id else None,
            },
        )
    ).first()
    if row is None:
        return None
    return row.email, MembershipRole(row.role) if row.role else None, row.deactivated
