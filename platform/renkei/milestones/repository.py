"""Every query of the milestones domain. Row-level security decides which rows a viewer reaches."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Sequence
from datetime import date

from sqlalchemy import Select, Text, exists, func, literal, or_, select, type_coerce
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased
from sqlalchemy.types import Uuid

from renkei.milestones.models import (
    CLOSED,
    Baseline,
    BaselineMilestone,
    Milestone,
    MilestoneDependency,
    MilestoneStatus,
)
from renkei.organizations.models import Organization
from renkei.projects.models import Project
from renkei.text_search import bigrams

# Serializes changes to the dependency graph, which a cycle check must see whole (any project).
_DEPENDENCY_GRAPH_LOCK = 0x6D696C6573746F6E


# Milestones ---------------------------------------------------------------------------------


def milestones(
    *,
    project_id: uuid.UUID | None = None,
    region_id: uuid.UUID | None = None,
    statuses: Sequence[MilestoneStatus] | None = None,
    due_from: date | None = None,
    due_to: date | None = None,
    overdue: bool | None = None,
    search: str | None = None,
    on: date | None = None,
) -> Select[Milestone]:
    """The portfolio: milestones the viewer may see (row-level security), narrowed by filters.

    With a due-date filter and no status asked, only open milestones (not DONE or CANCELLED).
    """
    stmt = select(Milestone)
    if project_id is not None:
        stmt = stmt.where(Milestone.project_id == project_id)
    if region_id is not None:
        stmt = stmt.where(
            Milestone.project_id.in_(select(Project.id).where(Project.region_id == region_id))
        )
    if statuses:
        stmt = stmt.where(Milestone.status.in_(list(statuses)))
    elif due_from is not None or due_to is not None or overdue is not None:
        stmt = stmt.where(Milestone.status.not_in(list(CLOSED)))
    if due_from is not None:
        stmt = stmt.where(Milestone.due_on >= due_from)
    if due_to is not None:
        stmt = stmt.where(Milestone.due_on <= due_to)
    if overdue is not None:
        # Today as the statement runs it, unless a test names the day.
        late = Milestone.is_overdue if on is None else Milestone.overdue_sql(on)
        stmt = stmt.where(late if overdue else ~late)
    if search is not None and (terms := bigrams(search)):
        # Through the definer's function, so that the GIN index answers under row-level
        # security (migration 0006); it returns only milestones the viewer may see.
        stmt = stmt.where(
            Milestone.id.in_(select(func.renkei_milestone_search(type_coerce(terms, ARRAY(Text)))))
        )
    return stmt


def of_projects(*, statuses: Sequence[MilestoneStatus] | None = None) -> Select[Milestone]:
    """Milestones for paging per project."""
    return milestones(statuses=statuses)


async def get(session: AsyncSession, milestone_id: uuid.UUID) -> Milestone | None:
    """The milestone as last read from the database (not as the session last held it)."""
    return await session.scalar(
        select(Milestone)
        .where(Milestone.id == milestone_id)
        .execution_options(populate_existing=True)
    )


async def all_of_projects(
    session: AsyncSession, project_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[Milestone]]:
    """Every milestone of each project, by due date: one statement."""
    rows = await session.scalars(
        select(Milestone)
        .where(Milestone.project_id.in_(project_ids))
        .order_by(Milestone.due_on, Milestone.id)
    )
    found: dict[uuid.UUID, list[Milestone]] = {p: [] for p in project_ids}
    for row in rows:
        found[row.project_id].append(row)
    return found


async def titles(
    session: AsyncSession, *, milestone_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, str]:
    """The titles of those of these milestones the viewer may see."""
    stmt = select(Milestone.id, Milestone.title).where(Milestone.id.in_(milestone_ids))
    return {m: title for m, title in await session.execute(stmt)}


async def lock_for_update(
    session: AsyncSession, *, milestone_ids: Sequence[uuid.UUID] | set[uuid.UUID]
) -> dict[uuid.UUID, Milestone]:
    """These milestones as last committed, locked in id order until the end of the transaction."""
    rows = await session.scalars(
        select(Milestone)
        .where(Milestone.id.in_(milestone_ids))
        .order_by(Milestone.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return {m.id: m for m in rows}


async def open_due_by(
    session: AsyncSession, *, until: date
) -> list[tuple[Milestone, Organization]]:
    """Open milestones due by `until` (overdue ones included) with their owner organization;
    by owner, then due date."""
    rows = await session.execute(
        select(Milestone, Organization)
        .join(Organization, Organization.id == Milestone.owner_organization_id)
        .where(Milestone.status.not_in(list(CLOSED)), Milestone.due_on <= until)
        .order_by(Organization.name, Organization.id, Milestone.due_on, Milestone.id)
    )
    return [(m, o) for m, o in rows]


# Dependencies -------------------------------------------------------------------------------


async def has_dependencies(
    session: AsyncSession,
    *,
    milestone_id: uuid.UUID,
    predecessors: bool = True,
    successors: bool = True,
) -> bool:
    """Whether the milestone waits for others (predecessors) or others wait for it."""
    dep = MilestoneDependency
    ends = [dep.successor_id == milestone_id] if predecessors else []
    ends += [dep.predecessor_id == milestone_id] if successors else []
    if not ends:
        return False
    return bool(await session.scalar(select(exists().where(or_(*ends)))))


async def linked(
    session: AsyncSession, milestone_ids: Sequence[uuid.UUID], *, upstream: bool
) -> dict[uuid.UUID, list[Milestone]]:
    """Each milestone's predecessors (upstream) or successors, those the viewer may see."""
    dep = MilestoneDependency
    key, other = (
        (dep.successor_id, dep.predecessor_id)
        if upstream
        else (dep.predecessor_id, dep.successor_id)
    )
    rows = await session.execute(
        select(key, Milestone)
        .join(Milestone, Milestone.id == other)
        .where(key.in_(milestone_ids))
        .order_by(Milestone.due_on, Milestone.id)
    )
    found: dict[uuid.UUID, list[Milestone]] = {m: [] for m in milestone_ids}
    for milestone_id, row in rows:
        found[milestone_id].append(row)
    return found


async def lock_dependency_graph(session: AsyncSession) -> None:
    """One change to the graph at a time, until the end of the transaction."""
    await session.execute(select(func.pg_advisory_xact_lock(_DEPENDENCY_GRAPH_LOCK)))


async def edges_closing_cycle(
    session: AsyncSession, *, predecessor_id: uuid.UUID, successor_id: uuid.UUID
) -> list[tuple[uuid.UUID, uuid.UUID]]:
    """The (predecessor, successor) edges reachable from the successor, when the predecessor is
    among them (the new edge would close a cycle); none otherwise."""
    dep = MilestoneDependency
    step = aliased(MilestoneDependency)
    reach = select(dep.successor_id.label("id")).where(dep.predecessor_id == successor_id)
    reach_cte = reach.cte("reach", recursive=True)
    reach_cte = reach_cte.union(
        select(step.successor_id).join(reach_cte, step.predecessor_id == reach_cte.c.id)
    )
    stmt = select(dep.predecessor_id, dep.successor_id).where(
        exists().where(reach_cte.c.id == predecessor_id),
        or_(dep.predecessor_id == successor_id, dep.predecessor_id.in_(select(reach_cte.c.id))),
    )
    return [(before, after) for before, after in await session.execute(stmt)]


async def edges_downstream(
    session: AsyncSession, *, milestone_id: uuid.UUID
) -> list[tuple[uuid.UUID, uuid.UUID]]:
    """The (predecessor, successor) edges into the milestone and everything downstream of it."""
    dep = MilestoneDependency
    step = aliased(MilestoneDependency)
    reach_cte = select(literal(milestone_id, Uuid).label("id")).cte("reach", recursive=True)
    reach_cte = reach_cte.union(
        select(step.successor_id).join(reach_cte, step.predecessor_id == reach_cte.c.id)
    )
    stmt = select(dep.predecessor_id, dep.successor_id).where(
        dep.successor_id.in_(select(reach_cte.c.id))
    )
    return [(before, after) for before, after in await session.execute(stmt)]


# Baselines ----------------------------------------------------------------------------------


async def baseline_named(
    session: AsyncSession, *, project_id: uuid.UUID, name: str
) -> uuid.UUID | None:
    """The id of the project's baseline of this name, if it has one."""
    return await session.scalar(
        select(Baseline.id).where(Baseline.project_id == project_id, Baseline.name == name)
    )


async def baselines_of_projects(
    session: AsyncSession, project_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[Baseline]]:
    """Each project's baselines, oldest first: one statement."""
    rows = await session.scalars(
        select(Baseline)
        .where(Baseline.project_id.in_(project_ids))
        .order_by(Baseline.created_at, Baseline.id)
    )
    found: dict[uuid.UUID, list[Baseline]] = {p: [] for p in project_ids}
    for row in rows:
        found[row.project_id].append(row)
    return found


async def frozen_milestones(
    session: AsyncSession, baseline_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[BaselineMilestone]]:
    """Each baseline's milestones as they were, by due date: one statement."""
    rows = await session.scalars(
        select(BaselineMilestone)
        .where(BaselineMilestone.baseline_id.in_(baseline_ids))
        .order_by(BaselineMilestone.due_on, BaselineMilestone.milestone_id)
    )
    found: dict[uuid.UUID, list[BaselineMilestone]] = defaultdict(list)
    for row in rows:
        found[row.baseline_id].append(row)
    return {b: found[b] for b in baseline_ids}
