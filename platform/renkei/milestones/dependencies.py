"""Dependencies between milestones: finish-to-start edges, across projects, never in a cycle.

The successor's editors (its owner's and the project lead's members) add and remove its
predecessors, which may lie in any project they see. A change leaves a `milestone.rescheduled`
message; its job, `flag_at_risk_dependents`, runs as the platform (the dependents may lie in
projects the editor cannot see) and flags every milestone down the chain that can no longer
start on time.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from datetime import date, timedelta
from graphlib import TopologicalSorter

from sqlalchemy.ext.asyncio import AsyncSession

from renkei import outbox
from renkei.activity.models import SubjectType
from renkei.activity.service import JsonValue, record, snapshot
from renkei.errors import ErrorCode, Invalid, NotFound
from renkei.i18n.formats import format_date
from renkei.i18n.messages import LOCALES, _, ngettext, use_locale
from renkei.milestones import repository
from renkei.milestones.models import CLOSED, Milestone, MilestoneDependency, MilestoneStatus
from renkei.milestones.service import (
    FIELDS,
    MILESTONE_AT_RISK,
    effective_start,
    enqueue_rescheduled,
    milestone_for_editing,
    record_activity,
    touch,
)
from renkei.tenancy import Viewer, set_viewer

# Changes ------------------------------------------------------------------------------------


async def _cycle_through(
    session: AsyncSession, viewer: Viewer, *, predecessor_id: uuid.UUID, successor_id: uuid.UUID
) -> list[uuid.UUID] | None:
    """The path successor -> ... -> predecessor that the new edge would close, if any.

    The whole graph counts, including projects the viewer cannot see, so the platform reads it
    for this one statement (ids only; what is shown of them is read as the viewer).
    """
    await session.flush()
    await set_viewer(session, Viewer.platform())
    try:
        edges = await repository.edges_closing_cycle(
            session, predecessor_id=predecessor_id, successor_id=successor_id
        )
    finally:
        await set_viewer(session, viewer)
    if not edges:
        return None
    following: dict[uuid.UUID, list[uuid.UUID]] = defaultdict(list)
    for before, after in edges:
        following[before].append(after)
    # Breadth first, so that the shortest cycle is the one named.
    came_from: dict[uuid.UUID, uuid.UUID] = {}
    queue = [successor_id]
    while queue:
        node = queue.pop(0)
        if node == predecessor_id:
            path = [node]
            while path[-1] != successor_id:
                path.append(came_from[path[-1]])
            return path[::-1]
        for nxt in following[node]:
            if nxt not in came_from and nxt != successor_id:
                came_from[nxt] = node
                queue.append(nxt)
    return None


async def _describe_cycle(session: AsyncSession, path: list[uuid.UUID]) -> str:
    titles = await repository.titles(session, milestone_ids=path)
    names = [f"「{titles[m]}」" if m in titles else _("(a milestone you cannot see)") for m in path]
    return " → ".join([names[-1], *names])


async def add_dependency(
    session: AsyncSession,
    viewer: Viewer,
    *,
    predecessor_id: uuid.UUID,
    successor_id: uuid.UUID,
) -> MilestoneDependency:
    """Finish-to-start: the successor cannot start before the predecessor is due. The
    predecessor may be in another project the viewer sees; cycles are refused."""
    if predecessor_id == successor_id:
        raise Invalid(_("a milestone cannot depend on itself"), field="predecessorId")
    successor, _project, _active = await milestone_for_editing(
        session, viewer, successor_id, field="successorId"
    )
    predecessor = await repository.get(session, predecessor_id)
    if predecessor is None:
        raise NotFound(_("no such milestone"), field="predecessorId")
    # One change to the graph at a time: two edges added at once could close a cycle together.
    await repository.lock_dependency_graph(session)
    existing = await session.get(MilestoneDependency, (predecessor_id, successor_id))
    if existing is not None:
        raise Invalid(
            _("the milestone depends on this predecessor already"),
            field="predecessorId",
            code=ErrorCode.DUPLICATE,
        )
    path = await _cycle_through(
        session, viewer, predecessor_id=predecessor_id, successor_id=successor_id
    )
    if path is not None:
        raise Invalid(
            _(
                "this dependency would make a cycle: {cycle}",
                cycle=await _describe_cycle(session, path),
            ),
            field="predecessorId",
        )
    dependency = MilestoneDependency(
        predecessor_id=predecessor.id,
        successor_id=successor.id,
        predecessor_project_id=predecessor.project_id,
        successor_project_id=successor.project_id,
    )
    session.add(dependency)
    after: dict[str, JsonValue] = {"predecessor_id": str(predecessor.id)}
    # A milestone of another project is not named: this entry's readers may not see it.
    if predecessor.project_id == successor.project_id:
        after["predecessor_title"] = predecessor.title
    record(
        session,
        viewer,
        subject_type=SubjectType.MILESTONE,
        subject_id=successor.id,
        action="dependency_added",
        project_id=successor.project_id,
        after=after,
    )
    # The job checks the predecessor's dependents, this successor among them.
    enqueue_rescheduled(session, predecessor)
    await session.flush()
    return dependency


async def remove_dependency(
    session: AsyncSession,
    viewer: Viewer,
    *,
    predecessor_id: uuid.UUID,
    successor_id: uuid.UUID,
) -> Milestone:
    """Drop a dependency; returns the successor."""
    successor, _project, _active = await milestone_for_editing(
        session, viewer, successor_id, field="successorId"
    )
    await repository.lock_dependency_graph(session)
    dependency = await session.get(MilestoneDependency, (predecessor_id, successor_id))
    if dependency is None:
        raise NotFound(_("the milestone does not depend on that one"), field="predecessorId")
    await session.delete(dependency)
    record(
        session,
        viewer,
        subject_type=SubjectType.MILESTONE,
        subject_id=successor.id,
        action="dependency_removed",
        project_id=successor.project_id,
        before={"predecessor_id": str(predecessor_id)},
    )
    await session.flush()
    return successor


# Jobs ---------------------------------------------------------------------------------------


def _days(n: int) -> str:
    return ngettext("{n} day", "{n} days", n)


def _reason(*, predecessor: str | None, start: date, finish: date, due: date, late: int) -> str:
    """Why a milestone starting on `start` is at risk, in the current locale: its predecessor
    (None when it is not to be named) may finish on `finish`, `late` days after it starts; the
    predecessor is due on `due` (earlier than `finish` when it is itself at risk)."""
    dates = {"finish": format_date(finish), "start": format_date(start), "late": _days(late)}
    if finish == due:
        if predecessor is None:
            return _(
                "a predecessor in another project is due {finish}, {late} after this milestone"
                " starts ({start})",
                **dates,
            )
        return _(
            "predecessor 「{predecessor}」 is due {finish}, {late} after this milestone starts"
            " ({start})",
            predecessor=predecessor,
            **dates,
        )
    dates |= {"due": format_date(due), "slip": _days((finish - due).days)}
    if predecessor is None:
        return _(
            "a predecessor in another project is at risk and may finish {finish} ({slip} after"
            " its due date {due}), {late} after this milestone starts ({start})",
            **dates,
        )
    return _(
        "predecessor 「{predecessor}」 is at risk and may finish {finish} ({slip} after its due"
        " date {due}), {late} after this milestone starts ({start})",
        predecessor=predecessor,
        **dates,
    )


def reasons(
    *, predecessor: str | None, start: date, finish: date, due: date, late: int
) -> dict[str, str]:
    """The reason in every locale, as milestones.at_risk_reasons stores it."""
    found: dict[str, str] = {}
    for locale in LOCALES:
        with use_locale(locale):
            found[locale] = _reason(
                predecessor=predecessor, start=start, finish=finish, due=due, late=late
            )
    return found


async def flag_at_risk_dependents(
    session: AsyncSession, milestone_id: uuid.UUID
) -> list[uuid.UUID]:
    """The job of `milestone.rescheduled`: flag AT_RISK what can no longer start on time.

    Walks the milestone and everything downstream of it (any project) in dependency order. A
    milestone whose start (or due date, without one) falls before a predecessor's finish is
    flagged with the reason, and is projected to finish as many days late, which its own
    dependents then see. DONE and CANCELLED milestones hold nothing up and are never flagged.
    Runs in the platform's transaction. Returns the ids flagged (or given a new reason).
    """
    edges = await repository.edges_downstream(session, milestone_id=milestone_id)
    downstream = {milestone_id} | {successor for _, successor in edges}
    involved = downstream | {predecessor for predecessor, _ in edges}
    rows = await repository.lock_for_update(session, milestone_ids=involved)
    if milestone_id not in rows:
        return []
    predecessors: dict[uuid.UUID, list[uuid.UUID]] = defaultdict(list)
    for predecessor, successor in edges:
        predecessors[successor].append(predecessor)
    graph = {m: [p for p in predecessors[m] if p in downstream] for m in downstream}
    projected: dict[uuid.UUID, date] = {m: rows[m].due_on for m in involved if m in rows}
    flagged: list[uuid.UUID] = []
    for node_id in TopologicalSorter(graph).static_order():
        node = rows.get(node_id)
        if node is None or node.status in CLOSED:
            continue
        blockers = [
            (projected[p], rows[p].title, p)
            for p in predecessors[node_id]
            if p in rows and rows[p].status not in CLOSED
        ]
        start = effective_start(node)
        if not blockers or max(blockers)[0] <= start:
            continue
        finish, title, blocker_id = max(blockers)
        late = (finish - start).days
        projected[node_id] = node.due_on + timedelta(days=late)
        blocker = rows[blocker_id]
        # Written in every locale: each reader reads their own. Readers of this milestone may
        # not see another project's: it is not named then.
        written = reasons(
            predecessor=title if blocker.project_id == node.project_id else None,
            start=start,
            finish=finish,
            due=blocker.due_on,
            late=late,
        )
        if (
            node.status == MilestoneStatus.AT_RISK
            and node.at_risk_reasons == written
            and node.at_risk_reason is None
        ):
            continue
        before = snapshot(node, FIELDS)
        node.status = MilestoneStatus.AT_RISK
        node.at_risk_reason = None
        node.at_risk_reasons = written
        touch(node)
        record_activity(session, Viewer.platform(), node, "flagged_at_risk", before)
        outbox.enqueue(session, MILESTONE_AT_RISK, {"milestone_id": str(node.id)})
        flagged.append(node.id)
    await session.flush()
    return flagged
