"""Every query of the intermediaries domain. Row-level security does the visibility filtering:
the register is public to everyone signed in; an authorization is seen by its professional and
by the intermediary it names."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from renkei.intermediaries.models import (
    Intermediary,
    IntermediaryAuthorization,
    IntermediaryRole,
)
from renkei.organizations.models import Organization


def registrations(
    *,
    organization_id: uuid.UUID | None = None,
    role: IntermediaryRole | None = None,
    prefecture_code: str | None = None,
    active_only: bool = True,
) -> Select[Intermediary]:
    """The register of intermediaries, narrowed by organization, role and prefecture."""
    stmt = select(Intermediary)
    if organization_id is not None:
        stmt = stmt.where(Intermediary.organization_id == organization_id)
    if role is not None:
        stmt = stmt.where(Intermediary.role == role)
    if prefecture_code is not None:
        stmt = stmt.where(Intermediary.prefecture_code == prefecture_code)
    if active_only:
        stmt = stmt.where(Intermediary.withdrawn_at.is_(None))
    return stmt


async def registration_list(
    session: AsyncSession,
    *,
    organization_id: uuid.UUID | None = None,
    role: IntermediaryRole | None = None,
    prefecture_code: str | None = None,
    active_only: bool = True,
) -> list[Intermediary]:
    stmt = registrations(
        organization_id=organization_id,
        role=role,
        prefecture_code=prefecture_code,
        active_only=active_only,
    ).order_by(Intermediary.role, Intermediary.prefecture_code, Intermediary.id)
    return list((await session.scalars(stmt)).all())


async def get(session: AsyncSession, intermediary_id: uuid.UUID) -> Intermediary | None:
    return await session.get(Intermediary, intermediary_id)


async def registration(
    session: AsyncSession, *, organization_id: uuid.UUID, role: IntermediaryRole
) -> Intermediary | None:
    """The organization's registration in the role, withdrawn or not."""
    return await session.scalar(
        select(Intermediary).where(
            Intermediary.organization_id == organization_id, Intermediary.role == role
        )
    )


async def organization(session: AsyncSession, organization_id: uuid.UUID) -> Organization | None:
    return await session.get(Organization, organization_id)


async def authorization(
    session: AsyncSession, authorization_id: uuid.UUID
) -> IntermediaryAuthorization | None:
    return await session.get(IntermediaryAuthorization, authorization_id)


async def authorization_of(
    session: AsyncSession, *, professional_id: uuid.UUID, organization_id: uuid.UUID
) -> IntermediaryAuthorization | None:
    return await session.scalar(
        select(IntermediaryAuthorization).where(
            IntermediaryAuthorization.professional_id == professional_id,
            IntermediaryAuthorization.organization_id == organization_id,
        )
    )


def authorizations(
    *,
    professional_id: uuid.UUID | None = None,
    organization_id: uuid.UUID | None = None,
    active_only: bool = False,
) -> Select[IntermediaryAuthorization]:
    """Authorizations of a professional, or naming an intermediary organization."""
    stmt = select(IntermediaryAuthorization)
    if professional_id is not None:
        stmt = stmt.where(IntermediaryAuthorization.professional_id == professional_id)
    if organization_id is not None:
        stmt = stmt.where(IntermediaryAuthorization.organization_id == organization_id)
    if active_only:
        stmt = stmt.where(IntermediaryAuthorization.withdrawn_at.is_(None))
    return stmt


async def authorization_list(
    session: AsyncSession,
    *,
    professional_id: uuid.UUID | None = None,
    organization_id: uuid.UUID | None = None,
    active_only: bool = False,
) -> Sequence[IntermediaryAuthorization]:
    stmt = authorizations(
        professional_id=professional_id, organization_id=organization_id, active_only=active_only
    ).order_by(IntermediaryAuthorization.created_at, IntermediaryAuthorization.id)
    return (await session.scalars(stmt)).all()
