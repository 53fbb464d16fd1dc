"""Every query of the identity domain."""

from __future__ import annotations

import uuid

from sqlalchemy import Select, select
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


async def user_with_role(
    session: AsyncSession, user_id: uuid.UUID, organization_id: uuid.UUID | None
) -> tuple[User, MembershipRole | None] | None:
    """The user and their role in the organization (None when not a member), in one statement."""
    row = (
        await session.execute(
            select(User, Membership.role)
            .outerjoin(
                Membership,
                (Membership.user_id == User.id) & (Membership.organization_id == organization_id),
            )
            .where(User.id == user_id)
        )
    ).first()
    return (row[0], row[1]) if row else None


async def users_by_ids(session: AsyncSession, ids: list[uuid.UUID]) -> list[User]:
    return list((await session.scalars(select(User).where(User.id.in_(ids)))).all())


def audit_events(organization_id: uuid.UUID) -> Select[AuditEvent]:
    return select(AuditEvent).where(AuditEvent.organization_id == organization_id)
