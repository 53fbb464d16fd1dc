"""Every query of the regions domain. Row-level security does the visibility filtering."""

from __future__ import annotations

import uuid

from sqlalchemy import ColumnElement, Select, String, Text, select, type_coerce
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncSession

from renkei.activity.models import Activity, SubjectType
from renkei.regions.models import ParticipationStatus, Region, RegionMember
from renkei.text_search import bigrams


def _has_all(
    column: object, values: list[str], item: type[String] | type[Text]
) -> ColumnElement[bool]:
    """`column @> values`: the model's generic ARRAY has no contains(); PostgreSQL's has."""
    return type_coerce(column, ARRAY(item)).contains(values)


def regions(*, prefecture_code: str | None = None, search: str | None = None) -> Select[Region]:
    """Regions, optionally covering one prefecture and matching a search on their name."""
    stmt = select(Region)
    if prefecture_code is not None:
        stmt = stmt.where(_has_all(Region.prefecture_codes, [prefecture_code], String))
    terms = bigrams(search) if search is not None else []
    if terms:
        stmt = stmt.where(_has_all(Region.search_terms, terms, Text))
    return stmt


def members(*, status: ParticipationStatus | None = None) -> Select[RegionMember]:
    stmt = select(RegionMember)
    if status is not None:
        stmt = stmt.where(RegionMember.status == status)
    return stmt


def signatories() -> Select[RegionMember]:
    """Members that signed the declaration and still take part."""
    return members(status=ParticipationStatus.ACTIVE).where(RegionMember.is_signatory.is_(True))


def represented() -> Select[RegionMember]:
    """Members that a signatory body represents in the declaration, and that take part."""
    return members(status=ParticipationStatus.ACTIVE).where(
        RegionMember.represented_by_organization_id.is_not(None)
    )


def invitations_to(organization_id: uuid.UUID) -> Select[RegionMember]:
    """The invitations waiting for an organization's answer."""
    return members(status=ParticipationStatus.INVITED).where(
        RegionMember.organization_id == organization_id
    )


def activity() -> Select[Activity]:
    """Entries about regions and their members, not about the projects in them."""
    return select(Activity).where(
        Activity.subject_type.in_((SubjectType.REGION, SubjectType.REGION_MEMBER)),
        Activity.project_id.is_(None),
    )


async def get(session: AsyncSession, region_id: uuid.UUID) -> Region | None:
    return await session.get(Region, region_id)


async def by_slug(session: AsyncSession, slug: str) -> Region | None:
    return await session.scalar(select(Region).where(Region.slug == slug))


async def lock(session: AsyncSession, row: Region | RegionMember) -> None:
    """Re-read a row under a row lock, so that concurrent changes take turns."""
    await session.refresh(row, with_for_update=True)


async def get_member(session: AsyncSession, member_id: uuid.UUID) -> RegionMember | None:
    return await session.get(RegionMember, member_id)


async def member_of(
    session: AsyncSession, region_id: uuid.UUID, organization_id: uuid.UUID
) -> RegionMember | None:
    return await session.scalar(
        select(RegionMember).where(
            RegionMember.region_id == region_id, RegionMember.organization_id == organization_id
        )
    )
