"""Every query of the email domains domain: claims, and who already has people at a domain."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from renkei.email_domains.models import DomainClaim, DomainClaimStatus
from renkei.identity.models import User
from renkei.organizations.models import Membership, Organization


async def claims_of(session: AsyncSession, *, organization_id: uuid.UUID) -> list[DomainClaim]:
    """The organization's claims, by domain."""
    rows = await session.scalars(
        select(DomainClaim)
        .where(DomainClaim.organization_id == organization_id)
        .order_by(DomainClaim.domain)
    )
    return list(rows.all())


async def claims_with_slugs(
    session: AsyncSession, *, pending_only: bool = False
) -> list[tuple[DomainClaim, str]]:
    """Every claim the session sees with its organization's slug, by domain then slug."""
    stmt = (
        select(DomainClaim, Organization.slug)
        .join(Organization, Organization.id == DomainClaim.organization_id)
        .order_by(DomainClaim.domain, Organization.slug)
    )
    if pending_only:
        stmt = stmt.where(DomainClaim.status == DomainClaimStatus.PENDING)
    return [(claim, slug) for claim, slug in await session.execute(stmt)]


async def find(
    session: AsyncSession, *, organization_id: uuid.UUID, domain: str
) -> DomainClaim | None:
    """The organization's claim to the domain, if it made one."""
    return await session.scalar(
        select(DomainClaim).where(
            DomainClaim.organization_id == organization_id, DomainClaim.domain == domain
        )
    )


async def verified_claim_exists(session: AsyncSession, *, domain: str) -> bool:
    """Whether any claim to the domain (that the session sees) is VERIFIED."""
    found = await session.scalar(
        select(DomainClaim.id)
        .where(DomainClaim.domain == domain, DomainClaim.status == DomainClaimStatus.VERIFIED)
        .limit(1)
    )
    return found is not None


async def organizations_at(
    session: AsyncSession, *, domain: str, besides: uuid.UUID
) -> list[uuid.UUID]:
    """Organizations other than `besides` with members at `domain` or a claim to it."""
    with_members = (
        select(Membership.organization_id)
        .join(User, User.id == Membership.user_id)
        .where(User.email.endswith("@" + domain, autoescape=True))
    )
    with_claims = select(DomainClaim.organization_id).where(DomainClaim.domain == domain)
    rows = await session.scalars(with_members.union(with_claims))
    return sorted({row for row in rows.all() if row != besides}, key=str)
