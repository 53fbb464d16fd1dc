"""Every query of the KPI domain. Row-level security does the tenant filtering."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date
from decimal import Decimal

from sqlalchemy import Select, and_, or_, select
from sqlalchemy.dialects.postgresql import distinct_on, insert
from sqlalchemy.ext.asyncio import AsyncSession

from renkei.identity.models import User
from renkei.kpis.models import Kpi, KpiCalendarTarget, KpiObservation, KpiTarget
from renkei.projects.models import Project, ProjectParticipant
from renkei.regions.models import ParticipationStatus, Region, RegionMember


def kpis(*, project_id: uuid.UUID | None = None, region_id: uuid.UUID | None = None) -> Select[Kpi]:
    stmt = select(Kpi)
    if project_id is not None:
        stmt = stmt.where(Kpi.project_id == project_id)
    if region_id is not None:
        stmt = stmt.where(Kpi.region_id == region_id)
    return stmt


def observations() -> Select[KpiObservation]:
    return select(KpiObservation)


async def get(session: AsyncSession, kpi_id: uuid.UUID) -> Kpi | None:
    return await session.scalar(select(Kpi).where(Kpi.id == kpi_id))


async def lock(session: AsyncSession, kpi_id: uuid.UUID) -> Kpi | None:
    """The KPI, locked until the end of the transaction, as it is now in the database."""
    stmt = (
        select(Kpi)
        .where(Kpi.id == kpi_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return await session.scalar(stmt)


async def by_ids(session: AsyncSession, ids: Sequence[uuid.UUID]) -> list[Kpi]:
    return list((await session.scalars(select(Kpi).where(Kpi.id.in_(ids)))).all())


async def project(session: AsyncSession, project_id: uuid.UUID) -> Project | None:
    return await session.scalar(select(Project).where(Project.id == project_id))


async def region(session: AsyncSession, region_id: uuid.UUID) -> Region | None:
    return await session.scalar(select(Region).where(Region.id == region_id))


async def takes_part_in_project(
    session: AsyncSession, project_id: uuid.UUID, organization_id: uuid.UUID
) -> bool:
    """Whether the organization is an ACTIVE participant of the project."""
    found = await session.scalar(
        select(ProjectParticipant.id).where(
            ProjectParticipant.project_id == project_id,
            ProjectParticipant.organization_id == organization_id,
            ProjectParticipant.status == ParticipationStatus.ACTIVE,
        )
    )
    return found is not None


async def belongs_to_region(
    session: AsyncSession, region_id: uuid.UUID, organization_id: uuid.UUID
) -> bool:
    """Whether the organization is an ACTIVE member of the region."""
    found = await session.scalar(
        select(RegionMember.id).where(
            RegionMember.region_id == region_id,
            RegionMember.organization_id == organization_id,
            RegionMember.status == ParticipationStatus.ACTIVE,
        )
    )
    return found is not None


async def is_service_account(session: AsyncSession, user_id: uuid.UUID) -> bool:
    """Whether the user is an API client's service account (users read their own row)."""
    found = await session.scalar(select(User.is_service_account).where(User.id == user_id))
    return bool(found)


async def targets_of(session: AsyncSession, kpi_ids: Sequence[uuid.UUID]) -> list[KpiTarget]:
    """The targets of these KPIs, by KPI and fiscal year."""
    stmt = (
        select(KpiTarget)
        .where(KpiTarget.kpi_id.in_(kpi_ids))
        .order_by(KpiTarget.kpi_id, KpiTarget.fiscal_year)
    )
    return list((await session.scalars(stmt)).all())


async def calendar_targets_of(
    session: AsyncSession, kpi_ids: Sequence[uuid.UUID]
) -> list[KpiCalendarTarget]:
    """The calendar-year (暦年) targets of these KPIs, by KPI and year."""
    stmt = (
        select(KpiCalendarTarget)
        .where(KpiCalendarTarget.kpi_id.in_(kpi_ids))
        .order_by(KpiCalendarTarget.kpi_id, KpiCalendarTarget.year)
    )
    return list((await session.scalars(stmt)).all())


async def target_value(
    session: AsyncSession, kpi_id: uuid.UUID, fiscal_year: int
) -> Decimal | None:
    """The target set for this fiscal year, if any, locked until it is replaced."""
    stmt = (
        select(KpiTarget.value)
        .where(KpiTarget.kpi_id == kpi_id, KpiTarget.fiscal_year == fiscal_year)
        .with_for_update()
    )
    return await session.scalar(stmt)


async def upsert_target(session: AsyncSession, row: KpiTarget) -> None:
    """Insert the target, or replace the value of the one already set for that fiscal year."""
    stmt = insert(KpiTarget).values(
        kpi_id=row.kpi_id,
        fiscal_year=row.fiscal_year,
        value=row.value,
        project_id=row.project_id,
        region_id=row.region_id,
    )
    stmt = stmt.on_conflict_do_update(
        index_elements=[KpiTarget.kpi_id, KpiTarget.fiscal_year],
        set_={"value": stmt.excluded.value},
    )
    await session.execute(stmt)


async def observation_for_period(
    session: AsyncSession, kpi_id: uuid.UUID, period_start: date, period_end: date
) -> KpiObservation | None:
    """The observation of exactly this period, locked for its correction."""
    stmt = (
        select(KpiObservation)
        .where(
            KpiObservation.kpi_id == kpi_id,
            KpiObservation.period_start == period_start,
            KpiObservation.period_end == period_end,
        )
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return await session.scalar(stmt)


async def insert_observation(session: AsyncSession, row: KpiObservation) -> KpiObservation | None:
    """Insert the first observation of its period; None if another one came in first."""
    stmt = (
        insert(KpiObservation)
        .values(
            id=row.id,
            kpi_id=row.kpi_id,
            project_id=row.project_id,
            region_id=row.region_id,
            period_start=row.period_start,
            period_end=row.period_end,
            value=row.value,
            note=row.note,
            source=row.source,
            recorded_by_id=row.recorded_by_id,
            recorded_for_organization_id=row.recorded_for_organization_id,
        )
        .on_conflict_do_nothing(
            index_elements=[
                KpiObservation.kpi_id,
                KpiObservation.period_start,
                KpiObservation.period_end,
            ]
        )
        .returning(KpiObservation)
    )
    return await session.scalar(stmt)


async def latest_observations(
    session: AsyncSession, kpi_ids: Sequence[uuid.UUID]
) -> list[KpiObservation]:
    """The observation with the latest period end of each KPI, in one statement."""
    stmt = (
        select(KpiObservation)
        .where(KpiObservation.kpi_id.in_(kpi_ids))
        .ext(distinct_on(KpiObservation.kpi_id))
        .order_by(
            KpiObservation.kpi_id,
            KpiObservation.period_end.desc(),
            KpiObservation.id.desc(),
        )
    )
    return list((await session.scalars(stmt)).all())


async def of_region_and_its_projects(session: AsyncSession, region_id: uuid.UUID) -> list[Kpi]:
    """The region's own KPIs, then those of its projects that the viewer may see, by name."""
    in_region_projects = select(Project.id).where(Project.region_id == region_id)
    stmt = (
        select(Kpi)
        .where(
            or_(
                Kpi.region_id == region_id,
                and_(Kpi.project_id.is_not(None), Kpi.project_id.in_(in_region_projects)),
            )
        )
        .order_by(Kpi.project_id.is_not(None), Kpi.name, Kpi.id)
    )
    return list((await session.scalars(stmt)).all())
