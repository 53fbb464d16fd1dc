"""Every select of evaluation rounds; row-level security does the tenant filtering."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from renkei.evaluations.models import (
    EvaluationFinding,
    EvaluationKpiReview,
    EvaluationParticipant,
    EvaluationRound,
)


async def get(session: AsyncSession, round_id: uuid.UUID) -> EvaluationRound | None:
    return await session.scalar(select(EvaluationRound).where(EvaluationRound.id == round_id))


async def lock(session: AsyncSession, round_id: uuid.UUID) -> EvaluationRound | None:
    stmt = (
        select(EvaluationRound)
        .where(EvaluationRound.id == round_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return await session.scalar(stmt)


async def rounds(
    session: AsyncSession,
    *,
    region_id: uuid.UUID | None = None,
    project_id: uuid.UUID | None = None,
) -> list[EvaluationRound]:
    """A region's (or a project's) rounds, the latest first."""
    stmt = select(EvaluationRound)
    if region_id is not None:
        stmt = stmt.where(EvaluationRound.region_id == region_id)
    if project_id is not None:
        stmt = stmt.where(EvaluationRound.project_id == project_id)
    stmt = stmt.order_by(EvaluationRound.held_on.desc(), EvaluationRound.id)
    return list((await session.scalars(stmt)).all())


async def participants(
    session: AsyncSession, round_ids: Sequence[uuid.UUID]
) -> list[EvaluationParticipant]:
    stmt = (
        select(EvaluationParticipant)
        .where(EvaluationParticipant.round_id.in_(round_ids))
        .order_by(EvaluationParticipant.round_id, EvaluationParticipant.position)
    )
    return list((await session.scalars(stmt)).all())


async def kpi_reviews(
    session: AsyncSession, round_ids: Sequence[uuid.UUID]
) -> list[EvaluationKpiReview]:
    stmt = (
        select(EvaluationKpiReview)
        .where(EvaluationKpiReview.round_id.in_(round_ids))
        .order_by(EvaluationKpiReview.round_id, EvaluationKpiReview.position)
    )
    return list((await session.scalars(stmt)).all())


async def findings(
    session: AsyncSession, round_ids: Sequence[uuid.UUID]
) -> list[EvaluationFinding]:
    stmt = (
        select(EvaluationFinding)
        .where(EvaluationFinding.round_id.in_(round_ids))
        .order_by(EvaluationFinding.round_id, EvaluationFinding.position)
    )
    return list((await session.scalars(stmt)).all())


async def next_finding_position(session: AsyncSession, round_id: uuid.UUID) -> int:
    found = await session.scalar(
        select(func.coalesce(func.max(EvaluationFinding.position), -1)).where(
            EvaluationFinding.round_id == round_id
        )
    )
    return int(found if found is not None else -1) + 1
