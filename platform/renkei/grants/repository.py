"""Every select() of the grants domain. Row-level security decides what the viewer sees."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Sequence
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from renkei.grants.models import (
    GrantApplication,
    GrantApplicationStatus,
    GrantApplicationTransition,
    GrantScheme,
)
from renkei.projects.models import FundingSource


async def schemes(session: AsyncSession, *, fiscal_year: int | None = None) -> list[GrantScheme]:
    statement = select(GrantScheme).order_by(
        GrantScheme.fiscal_year.desc(), GrantScheme.name, GrantScheme.id
    )
    if fiscal_year is not None:
        statement = statement.where(GrantScheme.fiscal_year == fiscal_year)
    return list((await session.scalars(statement)).all())


async def get_scheme(session: AsyncSession, scheme_id: uuid.UUID) -> GrantScheme | None:
    return await session.get(GrantScheme, scheme_id)


async def scheme_named(session: AsyncSession, *, name: str, fiscal_year: int) -> GrantScheme | None:
    return await session.scalar(
        select(GrantScheme).where(GrantScheme.name == name, GrantScheme.fiscal_year == fiscal_year)
    )


async def schemes_by_id(
    session: AsyncSession, ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, GrantScheme]:
    if not ids:
        return {}
    rows = await session.scalars(select(GrantScheme).where(GrantScheme.id.in_(set(ids))))
    return {row.id: row for row in rows}


async def get_application(
    session: AsyncSession, application_id: uuid.UUID
) -> GrantApplication | None:
    return await session.scalar(
        select(GrantApplication).where(GrantApplication.id == application_id)
    )


async def lock_application(
    session: AsyncSession, application_id: uuid.UUID
) -> GrantApplication | None:
    """The application, locked until the transaction ends: one step at a time."""
    return await session.scalar(
        select(GrantApplication)
        .where(GrantApplication.id == application_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )


async def applications_of_projects(
    session: AsyncSession, project_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[GrantApplication]]:
    found: dict[uuid.UUID, list[GrantApplication]] = defaultdict(list)
    if not project_ids:
        return found
    rows = await session.scalars(
        select(GrantApplication)
        .where(GrantApplication.project_id.in_(set(project_ids)))
        .order_by(GrantApplication.created_at, GrantApplication.id)
    )
    for row in rows:
        found[row.project_id].append(row)
    return found


async def transitions_of(
    session: AsyncSession, application_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[GrantApplicationTransition]]:
    found: dict[uuid.UUID, list[GrantApplicationTransition]] = defaultdict(list)
    if not application_ids:
        return found
    rows = await session.scalars(
        select(GrantApplicationTransition)
        .where(GrantApplicationTransition.application_id.in_(set(application_ids)))
        .order_by(GrantApplicationTransition.at, GrantApplicationTransition.id)
    )
    for row in rows:
        found[row.application_id].append(row)
    return found


async def reports_due_between(
    session: AsyncSession, *, start: date, end: date
) -> list[GrantApplication]:
    """Decided applications whose 実績報告 is due in [start, end] (the platform reads all)."""
    return list(
        (
            await session.scalars(
                select(GrantApplication)
                .where(
                    GrantApplication.status == GrantApplicationStatus.DECIDED,
                    GrantApplication.report_due_on.between(start, end),
                )
                .order_by(GrantApplication.report_due_on, GrantApplication.id)
            )
        ).all()
    )


async def funding_sources_of(session: AsyncSession, project_id: uuid.UUID) -> list[FundingSource]:
    """The project's budget lines, in the order recorded (what the viewer may see of them)."""
    return list(
        (
            await session.scalars(
                select(FundingSource)
                .where(FundingSource.project_id == project_id)
                .order_by(FundingSource.created_at, FundingSource.id)
            )
        ).all()
    )


async def region_allowance_used(
    session: AsyncSession, region_id: uuid.UUID, scheme_id: uuid.UUID
) -> int | None:
    """What the region's applications draw on the scheme's allowance; None for someone outside
    the region (renkei_region_grant_allowance_used, migration 0031)."""
    used = await session.scalar(
        select(func.renkei_region_grant_allowance_used(region_id, scheme_id))
    )
    return None if used is None else int(used)
