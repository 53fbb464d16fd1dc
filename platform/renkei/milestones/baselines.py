"""Baselines: a named, frozen snapshot of a project's milestones, and today's plan against it.

A baseline is taken at a moment that matters (the vision's adoption, a grant application) and
never changes. The variance compares the current plan with it: how many days each milestone
slipped, which were added since and which were removed (deleted or cancelled).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum

from sqlalchemy.ext.asyncio import AsyncSession

from renkei.activity.models import SubjectType
from renkei.activity.service import record
from renkei.errors import ErrorCode, Invalid
from renkei.i18n.messages import _
from renkei.milestones import repository
from renkei.milestones import service as milestones_service
from renkei.milestones.models import Baseline, BaselineMilestone, Milestone, MilestoneStatus
from renkei.tenancy import Viewer
from renkei.text import clean_name


class VarianceChange(StrEnum):
    KEPT = "KEPT"  # in the baseline and in today's plan
    ADDED = "ADDED"  # in today's plan only
    REMOVED = "REMOVED"  # in the baseline only: deleted or cancelled since


@dataclass(frozen=True)
class VarianceItem:
    milestone_id: uuid.UUID
    title: str
    change: VarianceChange
    baseline_due_on: date | None
    current_due_on: date | None
    # Current due date minus the baseline's, in days (positive: later); KEPT milestones only.
    slip_days: int | None
    status_then: MilestoneStatus | None
    status_now: MilestoneStatus | None


@dataclass(frozen=True)
class Variance:
    items: list[VarianceItem]
    compared: int
    late: int
    added: int
    removed: int
    max_slip_days: int | None
    # Mean slip over the compared milestones, rounded half up to one decimal place.
    mean_slip_days: Decimal | None


async def create_baseline(
    session: AsyncSession, viewer: Viewer, *, project_id: uuid.UUID, name: str
) -> Baseline:
    """Freeze the project's milestones as they stand, under a name unique in the project."""
    project, _active = await milestones_service.project_for_writing(session, viewer, project_id)
    name = clean_name(name)
    taken = await repository.baseline_named(session, project_id=project.id, name=name)
    if taken is not None:
        raise Invalid(
            _("the project has a baseline named {name} already", name=name),
            field="name",
            code=ErrorCode.DUPLICATE,
        )
    baseline = Baseline(
        id=uuid.uuid4(), project_id=project.id, name=name, created_by_id=viewer.user_id
    )
    session.add(baseline)
    current = (await repository.all_of_projects(session, [project.id]))[project.id]
    # The baseline row first: its frozen milestones refer to it.
    await session.flush()
    session.add_all(
        BaselineMilestone(
            baseline_id=baseline.id,
            milestone_id=m.id,
            project_id=project.id,
            title=m.title,
            starts_on=m.starts_on,
            due_on=m.due_on,
            status=m.status,
            progress=m.progress,
            weight=m.weight,
        )
        for m in current
    )
    record(
        session,
        viewer,
        subject_type=SubjectType.BASELINE,
        subject_id=baseline.id,
        action="created",
        project_id=project.id,
        after={"name": name, "milestones": len(current)},
    )
    await session.flush()
    return baseline


def compare(frozen: Sequence[BaselineMilestone], current: Sequence[Milestone]) -> Variance:
    """Today's plan against the baseline. Cancelled milestones are out of a plan: one cancelled
    since the baseline counts as removed, one cancelled then and now is left out."""
    then = {m.milestone_id: m for m in frozen if m.status != MilestoneStatus.CANCELLED}
    now = {m.id: m for m in current if m.status != MilestoneStatus.CANCELLED}
    everything = {m.id: m for m in current}
    items: list[VarianceItem] = []
    for milestone_id, old in then.items():
        new = now.get(milestone_id)
        present = new or everything.get(milestone_id)
        items.append(
            VarianceItem(
                milestone_id=milestone_id,
                title=(present or old).title,
                change=VarianceChange.KEPT if new else VarianceChange.REMOVED,
                baseline_due_on=old.due_on,
                current_due_on=new.due_on if new else None,
                slip_days=(new.due_on - old.due_on).days if new else None,
                status_then=old.status,
                status_now=present.status if present else None,
            )
        )
    for milestone_id, new in now.items():
        if milestone_id not in then:
            old_row = next((m for m in frozen if m.milestone_id == milestone_id), None)
            items.append(
                VarianceItem(
                    milestone_id=milestone_id,
                    title=new.title,
                    change=VarianceChange.ADDED,
                    baseline_due_on=None,
                    current_due_on=new.due_on,
                    slip_days=None,
                    status_then=old_row.status if old_row else None,
                    status_now=new.status,
                )
            )
    items.sort(
        key=lambda i: (i.current_due_on or i.baseline_due_on or date.max, str(i.milestone_id))
    )
    slips = [i.slip_days for i in items if i.slip_days is not None]
    mean = (
        (Decimal(sum(slips)) / Decimal(len(slips))).quantize(Decimal("0.1"), ROUND_HALF_UP)
        if slips
        else None
    )
    return Variance(
        items=items,
        compared=len(slips),
        late=sum(1 for s in slips if s > 0),
        added=sum(1 for i in items if i.change == VarianceChange.ADDED),
        removed=sum(1 for i in items if i.change == VarianceChange.REMOVED),
        max_slip_days=max(slips) if slips else None,
        mean_slip_days=mean,
    )


async def variance(session: AsyncSession, baseline: Baseline) -> Variance:
    """Today's plan of the baseline's project against it."""
    frozen = (await repository.frozen_milestones(session, [baseline.id]))[baseline.id]
    current = (await repository.all_of_projects(session, [baseline.project_id]))[
        baseline.project_id
    ]
    return compare(frozen, current)
