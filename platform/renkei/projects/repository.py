"""Every query of the projects domain. Row-level security decides which rows a viewer reaches."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import Select, Text, func, select, type_coerce
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncSession

from renkei.projects.models import (
    FundingSource,
    ParticipantRole,
    Project,
    ProjectCategory,
    ProjectParticipant,
    ProjectStatus,
)
from renkei.regions.models import ParticipationStatus, Region, RegionMember


def projects(
    *,
    region_id: uuid.UUID | None = None,
    category: ProjectCategory | None = None,
    status: ProjectStatus | None = None,
    prefecture_code: str | None = None,
    search_terms: list[str] | None = None,
) -> Select[Project]:
    """The portfolio: every project the viewer may see, narrowed by the filters given."""
    stmt = select(Project)
    if region_id is not None:
        stmt = stmt.where(Project.region_id == region_id)
    if category is not None:
        stmt = stmt.where(Project.category == category)
    if status is not None:
        stmt = stmt.where(Project.status == status)
    # `@>` on arrays is not leakproof, so under row-level security PostgreSQL would test it on
    # every row; these functions (migration 0006) let the GIN indexes answer, showing only what
    # the viewer may see.
    if prefecture_code is not None:
        stmt = stmt.where(
            Project.id.in_(select(func.renkei_projects_in_prefecture(prefecture_code)))
        )
    if search_terms:
        stmt = stmt.where(
            Project.id.in_(
                select(func.renkei_project_search(type_coerce(search_terms, ARRAY(Text))))
            )
        )
    return stmt


async def get_with_details_flag(
    session: AsyncSession, *, project_id: uuid.UUID
) -> tuple[Project, bool] | None:
    """The project, and whether the viewer sees its details or only its public summary."""
    sees_details = Project.id.in_(select(func.renkei_project_ids()))
    found = (
        await session.execute(
            select(Project, sees_details.label("details")).where(Project.id == project_id)
        )
    ).first()
    return None if found is None else (found[0], bool(found[1]))


async def names_of(
    session: AsyncSession, *, project_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, str]:
    """The names of those of these projects the viewer may see."""
    stmt = select(Project.id, Project.name).where(Project.id.in_(project_ids))
    return {row.id: row.name for row in await session.execute(stmt)}


def projects_with_details() -> Select[Project]:
    """Projects whose details (participants, funding, activity) the viewer sees, not only the
    public summary: the same set the row-level security policies of those tables use."""
    return select(Project).where(Project.id.in_(select(func.renkei_project_ids())))


async def get_project(session: AsyncSession, project_id: uuid.UUID) -> Project | None:
    return await session.scalar(select(Project).where(Project.id == project_id))


async def lock_project(session: AsyncSession, project_id: uuid.UUID) -> Project | None:
    """The project as last committed, locked until the end of the transaction."""
    return await session.scalar(
        select(Project)
        .where(Project.id == project_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )


def participants(
    *, status: ParticipationStatus | None = None, role: ParticipantRole | None = None
) -> Select[ProjectParticipant]:
    stmt = select(ProjectParticipant)
    if status is not None:
        stmt = stmt.where(ProjectParticipant.status == status)
    if role is not None:
        stmt = stmt.where(ProjectParticipant.role == role)
    return stmt


async def get_participant(
    session: AsyncSession, participant_id: uuid.UUID
) -> ProjectParticipant | None:
    return await session.scalar(participants().where(ProjectParticipant.id == participant_id))


async def participant_of(
    session: AsyncSession, project_id: uuid.UUID, organization_id: uuid.UUID
) -> ProjectParticipant | None:
    return await session.scalar(
        participants().where(
            ProjectParticipant.project_id == project_id,
            ProjectParticipant.organization_id == organization_id,
        )
    )


async def active_organization_ids(
    session: AsyncSession, *, project_id: uuid.UUID
) -> set[uuid.UUID]:
    """The organizations taking part in the project (ACTIVE participants)."""
    rows = await session.scalars(
        select(ProjectParticipant.organization_id).where(
            ProjectParticipant.project_id == project_id,
            ProjectParticipant.status == ParticipationStatus.ACTIVE,
        )
    )
    return set(rows)


def invitations_of(organization_id: uuid.UUID) -> Select[ProjectParticipant]:
    """The organization's participations waiting for its answer, oldest first."""
    return (
        participants(status=ParticipationStatus.INVITED)
        .where(ProjectParticipant.organization_id == organization_id)
        .order_by(ProjectParticipant.created_at, ProjectParticipant.id)
    )


def funding_sources() -> Select[FundingSource]:
    return select(FundingSource)


async def get_funding_source(
    session: AsyncSession, funding_source_id: uuid.UUID
) -> FundingSource | None:
    return await session.scalar(funding_sources().where(FundingSource.id == funding_source_id))


async def count_funding_sources(session: AsyncSession, project_id: uuid.UUID) -> int:
    count = await session.scalar(
        select(func.count())
        .select_from(FundingSource)
        .where(FundingSource.project_id == project_id)
    )
    return int(count or 0)


async def get_region(session: AsyncSession, region_id: uuid.UUID) -> Region | None:
    return await session.scalar(select(Region).where(Region.id == region_id))


async def is_active_region_member(
    session: AsyncSession, region_id: uuid.UUID, organization_id: uuid.UUID
) -> bool:
    found = await session.scalar(
        select(RegionMember.id).where(
            RegionMember.region_id == region_id,
            RegionMember.organization_id == organization_id,
            RegionMember.status == ParticipationStatus.ACTIVE,
        )
    )
    return found is not None
