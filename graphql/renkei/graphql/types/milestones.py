"""Milestones (マイルストーン), the progress they roll up to, and baselines of a project's plan."""

from __future__ import annotations

import asyncio
import uuid
import weakref
from collections.abc import Awaitable, Callable, Hashable, Sequence
from datetime import date, datetime
from typing import TYPE_CHECKING, Annotated, Any

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.dataloader import DataLoader

from renkei.graphql.compiled.json_sql import (
    TODAY_IN_JAPAN,
    iso_date_sql,
    iso_datetime_sql,
)
from renkei.graphql.compiled.spec import (
    NUMBER,
    WORD,
    Filter,
    JsonText,
    Key,
    Lookup,
    One,
    Scalar,
    decode_global_id,
    enum_list_sql,
    register_root,
    register_table,
)
from renkei.graphql.compiled.spec import (
    Page as SqlPage,
)
from renkei.graphql.context import Info
from renkei.graphql.loaders import Loaders
from renkei.graphql.nodes import register_node
from renkei.graphql.permissions import requires
from renkei.graphql.relay import (
    Connection,
    Node,
    PageArgs,
    empty_page,
    fetch_pages,
    parse_global_id,
    to_connection,
    to_global_id,
)
from renkei.graphql.types.activity import ACTIVITY_OF_SUBJECT, Activity, activity_of
from renkei.graphql.types.milestones_computed import DEPENDENTS, DEPENDS_ON
from renkei.graphql.types.organizations import Organization, User
from renkei.identity.scopes import PROJECTS_READ
from renkei.milestones import baselines as baselines_service
from renkei.milestones import models, repository, service
from renkei.milestones import progress as progress_service
from renkei.projects.models import Project as ProjectRow
from renkei.text_search import bigrams

if TYPE_CHECKING:
    from renkei.graphql.types.projects import Project

MilestoneStatus = strawberry.enum(
    models.MilestoneStatus,
    description="Where a milestone stands. DONE needs the counterpart's sign-off when it has one.",
)
VarianceChange = strawberry.enum(
    baselines_service.VarianceChange,
    description="How a milestone of a baseline compares with today's plan.",
)
ProjectRef = Annotated["Project", strawberry.lazy("renkei.graphql.types.projects")]

# Batched loaders this module adds to a request's loaders: one statement per batch.
_BATCHES: weakref.WeakKeyDictionary[Loaders, dict[str, DataLoader[Any, Any]]] = (
    weakref.WeakKeyDictionary()
)


def _batch(
    info: Info,
    name: str,
    fetch: Callable[[AsyncSession, list[Any]], Awaitable[dict[Any, Any]]],
) -> DataLoader[Any, Any]:
    context = info.context
    loaders = _BATCHES.setdefault(context.loaders, {})
    loader = loaders.get(name)
    if loader is None:

        async def load(keys: list[Hashable]) -> list[Any]:
            async with context.lock:
                found = await fetch(context.session, list(dict.fromkeys(keys)))
            return [found[key] for key in keys]

        loader = loaders[name] = DataLoader(load_fn=load)
    return loader


def _statuses(status: Sequence[models.MilestoneStatus] | None) -> list[models.MilestoneStatus]:
    return sorted({models.MilestoneStatus(s) for s in status or ()})


@strawberry.type(
    description="マイルストーン: a dated, owned, shared checkpoint of a project, on the 工程表."
)
class Milestone(Node):
    title: str
    description: str
    starts_on: date | None = strawberry.field(
        description="When the work starts; a dependency's predecessor must be due by then."
    )
    due_on: date
    horizon_years: int = strawberry.field(description="The 工程表 horizon: 1, 3 or 5 years.")
    status: MilestoneStatus  # type: ignore[valid-type]
    progress: int = strawberry.field(
        description="0 to 100. With a counterpart, 100 asks it to sign off."
    )
    weight: float = strawberry.field(description="Its weight in the project's progress formula.")
    evidence_links: list[str]
    at_risk_reason: str | None = strawberry.field(
        description="Why it is at risk, e.g. which predecessor slipped past its start, by how much."
    )
    signed_off_at: datetime | None = strawberry.field(
        description="When its completion was confirmed (by the counterpart, if it has one)."
    )
    version: int = strawberry.field(
        description="Send it back with a change: a stale one gets a CONFLICT."
    )
    created_at: datetime
    updated_at: datetime
    row: strawberry.Private[models.Milestone]

    @classmethod
    def from_row(cls, row: models.Milestone) -> Milestone:
        return cls(
            id=to_global_id("Milestone", row.id),
            title=row.title,
            description=row.description,
            starts_on=row.starts_on,
            due_on=row.due_on,
            horizon_years=row.horizon_years,
            status=row.status,
            progress=row.progress,
            weight=float(row.weight),
            evidence_links=list(row.evidence_links),
            at_risk_reason=row.at_risk_reason,
            signed_off_at=row.signed_off_at,
            version=row.version,
            created_at=row.created_at,
            updated_at=row.updated_at or row.created_at,
            row=row,
        )

    @strawberry.field(description="Past due (in Japan's time) and neither DONE nor CANCELLED.")
    def is_overdue(self) -> bool:
        return service.is_overdue(self.row)

    @strawberry.field(
        description="The owner reached 100% and waits for the counterpart to sign it off."
    )
    def completion_requested(self) -> bool:
        return (
            self.row.counterpart_organization_id is not None
            and self.row.progress == 100
            and self.row.status not in service.CLOSED
        )

    @strawberry.field(description="The statuses changeMilestoneStatus can move it to.")
    def allowed_transitions(self) -> list[MilestoneStatus]:  # type: ignore[valid-type]
        return service.allowed_transitions(self.row)

    @strawberry.field
    async def project(self, info: Info) -> ProjectRef | None:
        from renkei.graphql.types.projects import Project

        row = await info.context.loaders.rows(ProjectRow).load(self.row.project_id)
        return Project.from_row(row) if row else None

    @strawberry.field(description="The organization that does the work.")
    async def owner(self, info: Info) -> Organization:
        row = await info.context.loaders.organization.load(self.row.owner_organization_id)
        return Organization.from_row(row)

    @strawberry.field(description="The organization that signs off completion, if any.")
    async def counterpart(self, info: Info) -> Organization | None:
        if self.row.counterpart_organization_id is None:
            return None
        row = await info.context.loaders.organization.load(self.row.counterpart_organization_id)
        return Organization.from_row(row) if row else None

    @strawberry.field(description="Who confirmed its completion.")
    async def signed_off_by(self, info: Info) -> User | None:
        if self.row.signed_off_by_id is None:
            return None
        row = await info.context.loaders.user.load(self.row.signed_off_by_id)
        return User.from_row(row) if row else None

    @strawberry.field(
        description="Finish-to-start predecessors you may see (in any project), by due date."
    )
    async def depends_on(self, info: Info) -> list[Milestone]:
        loader = _batch(
            info,
            "milestone_predecessors",
            lambda s, ids: repository.linked(s, ids, upstream=True),
        )
        return [Milestone.from_row(r) for r in await loader.load(self.row.id)]

    @strawberry.field(description="The milestones you may see that wait for this one.")
    async def dependents(self, info: Info) -> list[Milestone]:
        loader = _batch(
            info,
            "milestone_successors",
            lambda s, ids: repository.linked(s, ids, upstream=False),
        )
        return [Milestone.from_row(r) for r in await loader.load(self.row.id)]

    @strawberry.field(description="Changes to it, oldest first (`last: 20` for the newest).")
    async def activity(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> Connection[Activity]:
        return await activity_of(info, self.row.id, PageArgs.of(first, after, last, before))


@strawberry.type(description="One milestone's part in the progress formula.")
class ProgressInput:
    title: str
    weight: float
    progress: int = strawberry.field(description="As counted: 100 for a DONE milestone.")
    status: MilestoneStatus  # type: ignore[valid-type]
    counted: bool = strawberry.field(description="False for a CANCELLED milestone.")
    contribution: float | None = strawberry.field(
        description="weight × progress ÷ Σ(weight), in percentage points (2 decimals)."
    )
    row: strawberry.Private[models.Milestone]

    @strawberry.field
    def milestone(self) -> Milestone:
        return Milestone.from_row(self.row)


@strawberry.type(
    description="A project's progress by a published formula, with every input shown, so that "
    "anyone can recompute it."
)
class ProgressRollup:
    percent: float | None = strawberry.field(
        description="0 to 100, one decimal; null when no milestone counts (see reason)."
    )
    formula: str
    total_weight: float
    reason: str | None = strawberry.field(description="Why percent is null, when it is.")
    inputs: list[ProgressInput]

    @classmethod
    def of(cls, rollup: progress_service.ProgressRollup) -> ProgressRollup:
        return cls(
            percent=float(rollup.percent) if rollup.percent is not None else None,
            formula=rollup.formula,
            total_weight=float(rollup.total_weight),
            reason=rollup.reason,
            inputs=[
                ProgressInput(
                    title=i.milestone.title,
                    weight=float(i.weight),
                    progress=i.progress,
                    status=i.milestone.status,
                    counted=i.counted,
                    contribution=float(i.contribution) if i.contribution is not None else None,
                    row=i.milestone,
                )
                for i in rollup.inputs
            ],
        )


@strawberry.type(description="A milestone as it stood when the baseline was taken.")
class BaselineMilestone:
    milestone_id: strawberry.ID
    title: str
    starts_on: date | None
    due_on: date
    status: MilestoneStatus  # type: ignore[valid-type]
    progress: int
    weight: float

    @classmethod
    def from_row(cls, row: models.BaselineMilestone) -> BaselineMilestone:
        return cls(
            milestone_id=to_global_id("Milestone", row.milestone_id),
            title=row.title,
            starts_on=row.starts_on,
            due_on=row.due_on,
            status=row.status,
            progress=row.progress,
            weight=float(row.weight),
        )


@strawberry.type(description="One milestone, baseline against today's plan.")
class MilestoneVariance:
    milestone_id: strawberry.ID
    title: str
    change: VarianceChange  # type: ignore[valid-type]
    baseline_due_on: date | None
    current_due_on: date | None
    slip_days: int | None = strawberry.field(
        description="Current due date minus the baseline's, in days: positive is late."
    )
    status_then: MilestoneStatus | None  # type: ignore[valid-type]
    status_now: MilestoneStatus | None  # type: ignore[valid-type]


@strawberry.type(description="Today's plan against a baseline.")
class BaselineVariance:
    compared: int = strawberry.field(description="Milestones in both.")
    late: int = strawberry.field(description="Compared milestones due later than in the baseline.")
    added: int = strawberry.field(description="Milestones planned since.")
    removed: int = strawberry.field(description="Baseline milestones deleted or cancelled since.")
    max_slip_days: int | None
    mean_slip_days: float | None = strawberry.field(description="One decimal, rounded half up.")
    items: list[MilestoneVariance]

    @classmethod
    def of(cls, variance: baselines_service.Variance) -> BaselineVariance:
        return cls(
            compared=variance.compared,
            late=variance.late,
            added=variance.added,
            removed=variance.removed,
            max_slip_days=variance.max_slip_days,
            mean_slip_days=(
                float(variance.mean_slip_days) if variance.mean_slip_days is not None else None
            ),
            items=[
                MilestoneVariance(
                    milestone_id=to_global_id("Milestone", i.milestone_id),
                    title=i.title,
                    change=i.change,
                    baseline_due_on=i.baseline_due_on,
                    current_due_on=i.current_due_on,
                    slip_days=i.slip_days,
                    status_then=i.status_then,
                    status_now=i.status_now,
                )
                for i in variance.items
            ],
        )


def _all_milestones(info: Info) -> DataLoader[uuid.UUID, list[models.Milestone]]:
    """Every milestone of each project (for progress and variance), shared by both."""
    return _batch(info, "project_all_milestones", repository.all_of_projects)


def _frozen_milestones(info: Info) -> DataLoader[uuid.UUID, list[models.BaselineMilestone]]:
    return _batch(info, "baseline_milestones", repository.frozen_milestones)


@strawberry.type(
    description="A named, frozen snapshot of a project's milestones (at vision adoption, at a "
    "grant application, …)."
)
class Baseline(Node):
    name: str
    created_at: datetime
    row: strawberry.Private[models.Baseline]

    @classmethod
    def from_row(cls, row: models.Baseline) -> Baseline:
        return cls(
            id=to_global_id("Baseline", row.id), name=row.name, created_at=row.created_at, row=row
        )

    @strawberry.field
    async def project(self, info: Info) -> ProjectRef | None:
        from renkei.graphql.types.projects import Project

        row = await info.context.loaders.rows(ProjectRow).load(self.row.project_id)
        return Project.from_row(row) if row else None

    @strawberry.field
    async def created_by(self, info: Info) -> User | None:
        if self.row.created_by_id is None:
            return None
        row = await info.context.loaders.user.load(self.row.created_by_id)
        return User.from_row(row) if row else None

    @strawberry.field(description="The milestones as they were, by due date.")
    async def milestones(self, info: Info) -> list[BaselineMilestone]:
        rows = await _frozen_milestones(info).load(self.row.id)
        return [BaselineMilestone.from_row(r) for r in rows]

    @strawberry.field(description="Today's plan against this baseline.")
    async def variance(self, info: Info) -> BaselineVariance:
        frozen, current = await asyncio.gather(
            _frozen_milestones(info).load(self.row.id),
            _all_milestones(info).load(self.row.project_id),
        )
        return BaselineVariance.of(baselines_service.compare(frozen, current))


# For the Project type ------------------------------------------------------------------------


async def project_milestones(
    info: Info,
    project_id: uuid.UUID,
    args: PageArgs,
    status: Sequence[models.MilestoneStatus] | None = None,
) -> Connection[Milestone]:
    """A project's milestones by due date; one statement for the projects of a page."""
    statuses = _statuses(status)
    loader = info.context.loaders.children(
        "project_milestones:" + ",".join(s.value for s in statuses),
        lambda: repository.of_projects(statuses=statuses),
        parent=models.Milestone.project_id,
        order_by=(models.Milestone.due_on, models.Milestone.id),
    )
    return to_connection(await loader.load((project_id, args)), Milestone.from_row)


async def project_progress(info: Info, project_id: uuid.UUID) -> ProgressRollup:
    """A project's roll-up; one statement for the projects of a page."""
    rows = await _all_milestones(info).load(project_id)
    return ProgressRollup.of(progress_service.rollup(rows))


async def project_baselines(info: Info, project_id: uuid.UUID) -> list[Baseline]:
    """A project's baselines, oldest first; one statement for the projects of a page."""
    loader = _batch(info, "project_baselines", repository.baselines_of_projects)
    return [Baseline.from_row(r) for r in await loader.load(project_id)]


def _row_id(global_id: strawberry.ID, type_name: str) -> uuid.UUID | None:
    """The row id of a global id of `type_name`; None for anything else."""
    parsed = parse_global_id(global_id)
    if parsed is None or parsed[0] != type_name:
        return None
    try:
        return uuid.UUID(parsed[1])
    except ValueError:
        return None


@strawberry.type
class MilestoneQueries:
    @strawberry.field(
        description="Milestones across every project you may see, by due date. With dueFrom, "
        "dueTo or overdue and no status, only open ones (not DONE or CANCELLED): the next 30 "
        "days are dueFrom: today, dueTo: today + 30. search matches titles (Japanese too).",
        extensions=requires(PROJECTS_READ),
    )
    async def milestones(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
        due_from: date | None = None,
        due_to: date | None = None,
        overdue: bool | None = None,
        status: list[MilestoneStatus] | None = None,  # type: ignore[valid-type]
        region_id: strawberry.ID | None = None,
        project_id: strawberry.ID | None = None,
        search: str | None = None,
    ) -> Connection[Milestone]:
        args = PageArgs.of(first, after, last, before)
        region = _row_id(region_id, "Region") if region_id is not None else None
        project = _row_id(project_id, "Project") if project_id is not None else None
        if (region_id is not None and region is None) or (project_id is not None and not project):
            # Another type's id, or none at all: nothing of yours matches it.
            return to_connection(empty_page(args), Milestone.from_row)
        stmt = repository.milestones(
            project_id=project,
            region_id=region,
            statuses=_statuses(status),
            due_from=due_from,
            due_to=due_to,
            overdue=overdue,
            search=search,
        )
        pages = await info.context.run(
            lambda s: fetch_pages(
                s, stmt, order_by=(models.Milestone.due_on, models.Milestone.id), args=args
            )
        )
        return to_connection(next(iter(pages.values()), empty_page(args)), Milestone.from_row)

    @strawberry.field(
        description="A milestone by global id; null if you may not see it.",
        extensions=requires(PROJECTS_READ),
    )
    async def milestone(self, info: Info, id: strawberry.ID) -> Milestone | None:
        row_id = _row_id(id, "Milestone")
        if row_id is None:
            return None
        row = await info.context.loaders.rows(models.Milestone).load(row_id)
        return Milestone.from_row(row) if row else None


register_node("Milestone", models.Milestone, Milestone.from_row, PROJECTS_READ)
register_node("Baseline", models.Baseline, Baseline.from_row, PROJECTS_READ)


_CLOSED = ", ".join(f"'{s.value}'" for s in sorted(service.CLOSED))
_OPEN = f"{{t}}.status NOT IN ({_CLOSED})"
_OVERDUE = f"({{t}}.due_on < {TODAY_IN_JAPAN} AND {_OPEN})"
_WITHOUT_COUNTERPART = {
    status: [s for s in models.MilestoneStatus if s in allowed]
    for status, allowed in service.TRANSITIONS.items()
}
_WITH_COUNTERPART = {
    status: [s for s in models.MilestoneStatus if s in allowed - {models.MilestoneStatus.DONE}]
    for status, allowed in service.TRANSITIONS.items()
}


def _status_values(value: Sequence[Any]) -> list[str] | None:
    return [s.value for s in _statuses(value)] or None


_STATUSES = Filter("{t}.status = ANY(CAST({p} AS varchar[]))", _status_values)


def _portfolio_rules(args: dict[str, Any]) -> list[str]:
    """The portfolio's rules: date filters without a status mean open milestones only."""
    rules = []
    dated = any(args.get(k) is not None for k in ("due_from", "due_to", "overdue"))
    if not args.get("status") and dated:
        rules.append(_OPEN)
    if args.get("overdue") is not None:
        rules.append(_OVERDUE if args["overdue"] else f"NOT {_OVERDUE}")
    return rules


register_table(
    "Milestone",
    "milestones",
    {
        "title": Scalar("{t}.title"),
        "description": Scalar("{t}.description"),
        "starts_on": Scalar(iso_date_sql("{t}.starts_on"), WORD),
        "due_on": Scalar(iso_date_sql("{t}.due_on"), WORD),
        "horizon_years": Scalar("{t}.horizon_years", NUMBER),
        "status": Scalar("{t}.status", WORD),
        "progress": Scalar("{t}.progress", NUMBER),
        "weight": Scalar("({t}.weight)::float8", NUMBER),
        "evidence_links": JsonText("to_json({t}.evidence_links)::text"),
        "at_risk_reason": Scalar("{t}.at_risk_reason"),
        "signed_off_at": Scalar(iso_datetime_sql("{t}.signed_off_at"), WORD),
        "version": Scalar("{t}.version", NUMBER),
        "created_at": Scalar(iso_datetime_sql("{t}.created_at"), WORD),
        "updated_at": Scalar(iso_datetime_sql("coalesce({t}.updated_at, {t}.created_at)"), WORD),
        "is_overdue": Scalar(_OVERDUE),
        "completion_requested": Scalar(
            f"({{t}}.counterpart_organization_id IS NOT NULL AND {{t}}.progress = 100 AND {_OPEN})"
        ),
        "allowed_transitions": JsonText(
            f"CASE WHEN {{t}}.counterpart_organization_id IS NULL"
            f" THEN {enum_list_sql('{t}.status', _WITHOUT_COUNTERPART)}"
            f" ELSE {enum_list_sql('{t}.status', _WITH_COUNTERPART)} END"
        ),
        "project": One("Project", "{c}.id = {t}.project_id"),
        "owner": One("Organization", "{c}.id = {t}.owner_organization_id"),
        "counterpart": One("Organization", "{c}.id = {t}.counterpart_organization_id"),
        "signed_off_by": One("User", "{c}.id = {t}.signed_off_by_id"),
        "depends_on": DEPENDS_ON,
        "dependents": DEPENDENTS,
        "activity": ACTIVITY_OF_SUBJECT,
    },
)
MILESTONES_OF_PROJECT = SqlPage(
    "Milestone",
    (Key("due_on", "date"), Key("id", "uuid")),
    join="{c}.project_id = {t}.id",
    filters={"status": _STATUSES},
)
register_root(
    "milestone",
    Lookup("Milestone", by={"id": Filter("{t}.id = {p}", decode_global_id("Milestone"))}),
    scope=PROJECTS_READ,
)
register_root(
    "milestones",
    SqlPage(
        "Milestone",
        (Key("due_on", "date"), Key("id", "uuid")),
        filters={
            "status": _STATUSES,
            "due_from": Filter("{t}.due_on >= {p}"),
            "due_to": Filter("{t}.due_on <= {p}"),
            "project_id": Filter("{t}.project_id = {p}", decode_global_id("Project")),
            "region_id": Filter(
                "{t}.project_id IN (SELECT r.id FROM projects r WHERE r.region_id = {p})",
                decode_global_id("Region"),
            ),
            "search": Filter(
                "{t}.id IN (SELECT renkei_milestone_search(CAST({p} AS text[])))",
                lambda q: bigrams(q) or None,
            ),
        },
        rules=_portfolio_rules,
        ruled=frozenset({"overdue"}),
    ),
    scope=PROJECTS_READ,
)
