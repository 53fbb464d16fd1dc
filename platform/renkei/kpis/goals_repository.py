"""The selects of KPI goals: calendar-year and relative targets, national goals."""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal

from sqlalchemy import delete, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from renkei.kpis.models import (
    KpiCalendarTarget,
    KpiNationalGoal,
    KpiObservation,
    KpiRelativeTarget,
    KpiTarget,
    NationalGoal,
)


async def targets(
    session: AsyncSession, kpi_id: uuid.UUID
) -> tuple[dict[int, Decimal], dict[int, Decimal]]:
    """The KPI's targets by fiscal year and by calendar year."""
    fiscal = await session.execute(
        select(KpiTarget.fiscal_year, KpiTarget.value).where(KpiTarget.kpi_id == kpi_id)
    )
    calendar = await session.execute(
        select(KpiCalendarTarget.year, KpiCalendarTarget.value).where(
            KpiCalendarTarget.kpi_id == kpi_id
        )
    )
    return {y: v for y, v in fiscal.all()}, {y: v for y, v in calendar.all()}


async def calendar_targets(
    session: AsyncSession, kpi_ids: list[uuid.UUID]
) -> list[KpiCalendarTarget]:
    stmt = (
        select(KpiCalendarTarget)
        .where(KpiCalendarTarget.kpi_id.in_(kpi_ids))
        .order_by(KpiCalendarTarget.kpi_id, KpiCalendarTarget.year)
    )
    return list((await session.scalars(stmt)).all())


async def relative_targets(
    session: AsyncSession, kpi_ids: list[uuid.UUID]
) -> list[KpiRelativeTarget]:
    stmt = select(KpiRelativeTarget).where(KpiRelativeTarget.kpi_id.in_(kpi_ids))
    return list((await session.scalars(stmt)).all())


async def relative_target(session: AsyncSession, kpi_id: uuid.UUID) -> KpiRelativeTarget | None:
    return await session.scalar(select(KpiRelativeTarget).where(KpiRelativeTarget.kpi_id == kpi_id))


async def latest_on_or_before(
    session: AsyncSession, kpi_id: uuid.UUID, day: date
) -> KpiObservation | None:
    """The observation whose period ended last, on or before `day`."""
    stmt = (
        select(KpiObservation)
        .where(KpiObservation.kpi_id == kpi_id, KpiObservation.period_end <= day)
        .order_by(KpiObservation.period_end.desc(), KpiObservation.id.desc())
        .limit(1)
    )
    return await session.scalar(stmt)


async def upsert_calendar_target(session: AsyncSession, row: KpiCalendarTarget) -> None:
    stmt = insert(KpiCalendarTarget).values(kpi_id=row.kpi_id, year=row.year, value=row.value)
    stmt = stmt.on_conflict_do_update(
        index_elements=[KpiCalendarTarget.kpi_id, KpiCalendarTarget.year],
        set_={"value": stmt.excluded.value},
    )
    await session.execute(stmt)


async def upsert_relative_target(session: AsyncSession, row: KpiRelativeTarget) -> None:
    values = {
        "reference_name": row.reference_name,
        "reference_value": row.reference_value,
        "factor": row.factor,
        "reference_on": row.reference_on,
        "source_url": row.source_url,
        "description": row.description,
    }
    stmt = insert(KpiRelativeTarget).values(kpi_id=row.kpi_id, **values)
    stmt = stmt.on_conflict_do_update(index_elements=[KpiRelativeTarget.kpi_id], set_=values)
    await session.execute(stmt)


async def national_goal(session: AsyncSession, goal_id: uuid.UUID) -> NationalGoal | None:
    return await session.scalar(select(NationalGoal).where(NationalGoal.id == goal_id))


async def national_goals(session: AsyncSession) -> list[NationalGoal]:
    return list((await session.scalars(select(NationalGoal).order_by(NationalGoal.code))).all())


async def national_goal_of(session: AsyncSession, kpi_id: uuid.UUID) -> NationalGoal | None:
    stmt = (
        select(NationalGoal)
        .join(KpiNationalGoal, KpiNationalGoal.national_goal_id == NationalGoal.id)
        .where(KpiNationalGoal.kpi_id == kpi_id)
    )
    return await session.scalar(stmt)


async def goal_links(session: AsyncSession, kpi_ids: list[uuid.UUID]) -> list[KpiNationalGoal]:
    stmt = select(KpiNationalGoal).where(KpiNationalGoal.kpi_id.in_(kpi_ids))
    return list((await session.scalars(stmt)).all())


async def link_national_goal(session: AsyncSession, row: KpiNationalGoal) -> None:
    values = {"national_goal_id": row.national_goal_id, "contribution": row.contribution}
    stmt = insert(KpiNationalGoal).values(kpi_id=row.kpi_id, **values)
    stmt = stmt.on_conflict_do_update(index_elements=[KpiNationalGoal.kpi_id], set_=values)
    await session.execute(stmt)


async def unlink_national_goal(session: AsyncSession, kpi_id: uuid.UUID) -> None:
    await session.execute(delete(KpiNationalGoal).where(KpiNationalGoal.kpi_id == kpi_id))
