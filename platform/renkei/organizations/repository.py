"""Every query of the organizations domain. Row-level security does the tenant filtering."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import Select, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from renkei.geography.codes import normalize_prefecture_code
from renkei.organizations.models import (
    Invitation,
    InvitationStatus,
    Membership,
    Organization,
    OrganizationKind,
    Verification,
)
from renkei.tenancy import MembershipRole


def organizations(
    *, kind: OrganizationKind | None = None, prefecture_code: str | None = None
) -> Select[Organization]:
    stmt = select(Organization)
    if kind is not None:
        stmt = stmt.where(Organization.kind == kind)
    if prefecture_code is not None:
        # As typed (４３): the same code as the one stored (43).
        stmt = stmt.where(
            Organization.home_prefecture_code == normalize_prefecture_code(prefecture_code)
        )
    return stmt


def memberships() -> Select[Membership]:
    return select(Membership)


def invitations(*, status: InvitationStatus | None = None) -> Select[Invitation]:
    stmt = select(Invitation)
    if status is not None:
        stmt = stmt.where(Invitation.status == status)
    return stmt


async def get(session: AsyncSession, organization_id: uuid.UUID) -> Organization | None:
    return await session.get(Organization, organization_id)


async def by_ids(session: AsyncSession, ids: Sequence[uuid.UUID]) -> list[Organization]:
    return list((await session.scalars(select(Organization).where(Organization.id.in_(ids)))).all())


async def by_slug(session: AsyncSession, slug: str) -> Organization | None:
    return await session.scalar(select(Organization).where(Organization.slug == slug))


async def holders_of_codes(
    session: AsyncSession,
    *,
    corporate_number: str | None,
    local_government_code: str | None,
    excluding: uuid.UUID | None,
    verified_only: bool = False,
) -> list[Organization]:
    """The other organizations claiming one of these codes (the verified ones first)."""
    conditions = []
    if corporate_number is not None:
        conditions.append(Organization.corporate_number == corporate_number)
    if local_government_code is not None:
        conditions.append(Organization.local_government_code == local_government_code)
    if not conditions:
        return []
    stmt = select(Organization).where(or_(*conditions))
    if excluding is not None:
        stmt = stmt.where(Organization.id != excluding)
    if verified_only:
        stmt = stmt.where(Organization.verification == Verification.VERIFIED)
    stmt = stmt.order_by(Organization.verification.desc(), Organization.created_at)
    return list((await session.scalars(stmt)).all())


async def lock_code(session: AsyncSession, *, code: str) -> None:
    """Hold a transaction-level lock on this corporate number or local government code."""
    await session.execute(
        select(func.pg_advisory_xact_lock(func.hashtextextended(f"renkei.code:{code}", 0)))
    )


async def get_membership(session: AsyncSession, membership_id: uuid.UUID) -> Membership | None:
    return await session.get(Membership, membership_id)


async def memberships_by_ids(session: AsyncSession, ids: Sequence[uuid.UUID]) -> list[Membership]:
    return list((await session.scalars(select(Membership).where(Membership.id.in_(ids)))).all())


async def membership_of(
    session: AsyncSession, organization_id: uuid.UUID, user_id: uuid.UUID
) -> Membership | None:
    return await session.scalar(
        select(Membership).where(
            Membership.organization_id == organization_id, Membership.user_id == user_id
        )
    )


async def count_owners(session: AsyncSession, organization_id: uuid.UUID) -> int:
    rows = await session.scalars(
        select(Membership.id)
        .where(
            Membership.organization_id == organization_id,
            Membership.role == MembershipRole.OWNER,
        )
        .with_for_update()
    )
    return len(rows.all())


async def count_managers(session: AsyncSession, organization_id: uuid.UUID) -> int:
    rows = await session.scalars(
        select(Membership.id).where(
            Membership.organization_id == organization_id,
            Membership.role.in_([MembershipRole.OWNER, MembershipRole.ADMIN]),
        )
    )
    return len(rows.all())


async def get_invitation(session: AsyncSession, invitation_id: uuid.UUID) -> Invitation | None:
    return await session.get(Invitation, invitation_id)


async def lock_invitation(session: AsyncSession, invitation_id: uuid.UUID) -> Invitation | None:
    """The invitation, locked until the transaction ends and read afresh once the lock is had.

    An invitee may lock (update) only a pending invitation: an answered one is read unlocked,
    so that the caller can say how it was answered."""
    stmt = (
        select(Invitation)
        .where(Invitation.id == invitation_id)
        .execution_options(populate_existing=True)
    )
    locked = await session.scalar(stmt.with_for_update())
    return locked if locked is not None else await session.scalar(stmt)


async def invitations_by_ids(session: AsyncSession, ids: Sequence[uuid.UUID]) -> list[Invitation]:
    return list((await session.scalars(select(Invitation).where(Invitation.id.in_(ids)))).all())


async def pending_invitation(
    session: AsyncSession, organization_id: uuid.UUID, email: str
) -> Invitation | None:
    return await session.scalar(
        select(Invitation).where(
            Invitation.organization_id == organization_id,
            Invitation.email == email,
            Invitation.status == InvitationStatus.PENDING,
        )
    )


async def pending_for_email(session: AsyncSession, email: str) -> list[Invitation]:
    rows = await session.scalars(
        invitations(status=InvitationStatus.PENDING)
        .where(Invitation.email == email)
        .order_by(Invitation.created_at, Invitation.id)
    )
    return list(rows.all())
