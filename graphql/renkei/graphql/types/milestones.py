"""Milestones (マイルストーン), the progress they roll up to, and baselines of a project's plan."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Sequence
from datetime import date, datetime
from typing import Annotated, Any

import strawberry
from sqlalchemy import Select

from renkei.graphql.compiled.json_sql import iso_datetime_sql
from renkei.graphql.compiled.spec import (
    READER_LOCALE,
    WORD,
    Filter,
    JsonText,
    Key,
    Lookup,
    Many,
    One,
    Scalar,
    column,
    computed,
    decode_global_id,
    enum_list_sql,
    hybrid,
    register_root,
    sql,
    table,
)
from renkei.graphql.compiled.spec import (
    Page as SqlPage,
)
from renkei.graphql.context import Info
from renkei.graphql.enums import described_enum
from renkei.graphql.nodes import register_node
from renkei.graphql.permissions import requires
from renkei.graphql.relay import (
    After,
    Before,
    Connection,
    First,
    Last,
    Node,
    PageArgs,
    root_page,
    row_id,
    to_connection,
    to_global_id,
)
from renkei.graphql.types.activity import ACTIVITY_OF_SUBJECT, Activity, activity_of
from renkei.graphql.types.milestones_computed import (
    BASELINE_MILESTONE_SOURCE,
    BASELINE_MILESTONE_SQL,
    BASELINE_VARIANCE_SOURCE,
    BASELINE_VARIANCE_SQL,
    DEPENDENTS,
    DEPENDS_ON,
    MILESTONE_VARIANCE_SOURCE,
    MILESTONE_VARIANCE_SQL,
    PROGRESS_INPUT_SOURCE,
    PROGRESS_INPUT_SQL,
    PROGRESS_ROLLUP_SOURCE,
    PROGRESS_ROLLUP_SQL,
    VARIANCE,
)
from renkei.graphql.types.organizations import Organization, User
from renkei.graphql.types.project_link import ProjectRef, project_of
from renkei.i18n.messages import current_locale
from renkei.identity.scopes import PROJECTS_READ
from renkei.milestones import baselines as baselines_service
from renkei.milestones import models, repository, service
from renkei.milestones import progress as progress_service

MilestoneStatus = described_enum(
    models.MilestoneStatus,
    description="Where a milestone stands. DONE needs the counterpart's sign-off when it has one.",
    values={
        "NOT_STARTED": "Planned; no work reported yet (未着手).",
        "IN_PROGRESS": "Work under way (進行中).",
        "AT_RISK": "Under way, but its owner expects it to be late or fall short (遅延リスクあり).",
        "DONE": "Finished (完了), signed off by the counterpart when one is named.",
        "CANCELLED": "Dropped from the plan (中止); it no longer counts toward progress.",
    },
)
VarianceChange = described_enum(
    baselines_service.VarianceChange,
    description="How a milestone of a baseline compares with today's plan.",
    values={
        "KEPT": "In the baseline and in today's plan; its dates may have moved.",
        "ADDED": "In today's plan only: added after the baseline was taken.",
        "REMOVED": "In the baseline only: deleted from the plan since.",
    },
)


def _statuses(status: Sequence[models.MilestoneStatus] | None) -> list[models.MilestoneStatus]:
    return sorted({models.MilestoneStatus(s) for s in status or ()})


_WITHOUT_COUNTERPART = {
    status: [s for s in models.MilestoneStatus if s in allowed]
    for status, allowed in service.TRANSITIONS.items()
}
_WITH_COUNTERPART = {
    status: [s for s in models.MilestoneStatus if s in allowed - {models.MilestoneStatus.DONE}]
    for status, allowed in service.TRANSITIONS.items()
}
# service.allowed_transitions in SQL: DONE only when no counterpart signs off.
_ALLOWED_TRANSITIONS = JsonText(
    f"CASE WHEN {{t}}.counterpart_organization_id IS NULL"
    f" THEN {enum_list_sql('{t}.status', _WITHOUT_COUNTERPART)}"
    f" ELSE {enum_list_sql('{t}.status', _WITH_COUNTERPART)} END"
)
# Never changed yet: when it was created.
_UPDATED_AT = Scalar(iso_datetime_sql("coalesce({t}.updated_at, {t}.created_at)"), WORD)


@table(models.Milestone)
@strawberry.type(
    description="マイルストーン: a dated, owned, shared checkpoint of a project, on the 工程表."
)
class Milestone(Node):
    row: strawberry.Private[models.Milestone]
    title: str = column(
        models.Milestone.title, description="What is reached, e.g. 「試作ライン稼働」."
    )
    description: str = column(models.Milestone.description, description="Details; empty if none.")
    starts_on: date | None = column(
        models.Milestone.starts_on,
        description="When the work starts; a dependency's predecessor must be due by then.",
    )
    due_on: date = column(models.Milestone.due_on, description="The day it is due.")
    horizon_years: int = column(
        models.Milestone.horizon_years, description="The 工程表 horizon: 1, 3 or 5 years."
    )
    status: MilestoneStatus = column(  # type: ignore[valid-type]
        models.Milestone.status,
        description="Where it stands: NOT_STARTED, IN_PROGRESS, AT_RISK, DONE or CANCELLED.",
    )
    progress: int = column(
        models.Milestone.progress,
        description="0 to 100. With a counterpart, 100 asks it to sign off.",
    )
    weight: float = column(
        models.Milestone.weight, description="Its weight in the project's progress formula."
    )
    evidence_links: list[str] = column(
        models.Milestone.evidence_links,
        description="http(s) URLs to evidence of the work (reports, photos, minutes).",
    )
    at_risk_reason: str | None = computed(
        Scalar(models.at_risk_reason_sql("{t}", f"CAST({READER_LOCALE} AS text)")),
        lambda row: row.at_risk_reason_in(current_locale()),
        description="Why it is at risk, e.g. which predecessor slipped past its start, "
        "by how much: in the reader's language when Renkei wrote it, as typed otherwise.",
    )
    signed_off_at: datetime | None = column(
        models.Milestone.signed_off_at,
        description="When its completion was confirmed (by the counterpart, if it has one).",
    )
    version: int = column(
        models.Milestone.version,
        description="Send it back with a change: a stale one gets a CONFLICT.",
    )
    created_at: datetime = column(models.Milestone.created_at, description="When it was created.")
    updated_at: datetime = computed(
        _UPDATED_AT,
        lambda row: row.updated_at or row.created_at,
        description="When it last changed (its creation until its first change).",
    )
    is_overdue: bool = hybrid(
        models.Milestone,
        "is_overdue",
        description="Past due (in Japan's time) and neither DONE nor CANCELLED.",
    )
    completion_requested: bool = hybrid(
        models.Milestone,
        "completion_requested",
        description="The owner reached 100% and waits for the counterpart to sign it off.",
    )
    allowed_transitions: list[MilestoneStatus] = computed(  # type: ignore[valid-type]
        _ALLOWED_TRANSITIONS,
        service.allowed_transitions,
        description="The statuses changeMilestoneStatus can move it to.",
    )

    @classmethod
    def from_row(cls, row: models.Milestone) -> Milestone:
        return cls(id=to_global_id("Milestone", row.id), row=row)

    project: ProjectRef | None = strawberry.field(
        description="The project it belongs to; null if you may no longer see it.",
        resolver=project_of,
        metadata=sql(One("Project", "{c}.id = {t}.project_id")),
    )

    @strawberry.field(
        description="The organization that does the work.",
        metadata=sql(One("Organization", "{c}.id = {t}.owner_organization_id")),
    )
    async def owner(self, info: Info) -> Organization:
        row = await info.context.loaders.organization.load(self.row.owner_organization_id)
        return Organization.from_row(row)

    @strawberry.field(
        description="The organization that signs off completion, if any.",
        metadata=sql(One("Organization", "{c}.id = {t}.counterpart_organization_id")),
    )
    async def counterpart(self, info: Info) -> Organization | None:
        if self.row.counterpart_organization_id is None:
            return None
        row = await info.context.loaders.organization.load(self.row.counterpart_organization_id)
        return Organization.from_row(row) if row else None

    @strawberry.field(
        description="Who confirmed its completion.",
        metadata=sql(One("User", "{c}.id = {t}.signed_off_by_id")),
    )
    async def signed_off_by(self, info: Info) -> User | None:
        if self.row.signed_off_by_id is None:
            return None
        row = await info.context.loaders.user.load(self.row.signed_off_by_id)
        return User.from_row(row) if row else None

    @strawberry.field(
        description="Finish-to-start predecessors you may see (in any project), by due date.",
        metadata=sql(DEPENDS_ON),
    )
    async def depends_on(self, info: Info) -> list[Milestone]:
        rows = await info.context.loaders.milestone_predecessors.load(self.row.id)
        return [Milestone.from_row(r) for r in rows]

    @strawberry.field(
        description="The milestones you may see that wait for this one.",
        metadata=sql(DEPENDENTS),
    )
    async def dependents(self, info: Info) -> list[Milestone]:
        rows = await info.context.loaders.milestone_successors.load(self.row.id)
        return [Milestone.from_row(r) for r in rows]

    @strawberry.field(
        description="Changes to it, oldest first (`last: 20` for the newest).",
        metadata=sql(ACTIVITY_OF_SUBJECT),
    )
    async def activity(
        self,
        info: Info,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
    ) -> Connection[Activity]:
        return await activity_of(info, self.row.id, PageArgs.of(first, after, last, before))


@table(PROGRESS_INPUT_SOURCE)
@strawberry.type(description="One milestone's part in the progress formula.")
class ProgressInput:
    title: str = strawberry.field(
        description="The milestone's title.", metadata=sql(PROGRESS_INPUT_SQL["title"])
    )
    weight: float = strawberry.field(
        description="The milestone's weight in the formula.",
        metadata=sql(PROGRESS_INPUT_SQL["weight"]),
    )
    progress: int = strawberry.field(
        description="As counted: 100 for a DONE milestone.",
        metadata=sql(PROGRESS_INPUT_SQL["progress"]),
    )
    status: MilestoneStatus = strawberry.field(  # type: ignore[valid-type]
        description="The milestone's status.", metadata=sql(PROGRESS_INPUT_SQL["status"])
    )
    counted: bool = strawberry.field(
        description="False for a CANCELLED milestone.", metadata=sql(PROGRESS_INPUT_SQL["counted"])
    )
    contribution: float | None = strawberry.field(
        description="weight × progress ÷ Σ(weight), in percentage points (2 decimals).",
        metadata=sql(PROGRESS_INPUT_SQL["contribution"]),
    )
    row: strawberry.Private[models.Milestone]

    @strawberry.field(description="The milestone.", metadata=sql(PROGRESS_INPUT_SQL["milestone"]))
    def milestone(self) -> Milestone:
        return Milestone.from_row(self.row)


@table(PROGRESS_ROLLUP_SOURCE)
@strawberry.type(
    description="A project's progress by a published formula, with every input shown, so that "
    "anyone can recompute it."
)
class ProgressRollup:
    percent: float | None = strawberry.field(
        description="0 to 100, one decimal; null when no milestone counts (see reason).",
        metadata=sql(PROGRESS_ROLLUP_SQL["percent"]),
    )
    formula: str = strawberry.field(
        description="The formula in the reader's language: Σ(weight × progress) ÷"
        " Σ(weight) over the milestones not CANCELLED, DONE counting as"
        " 100.",
        metadata=sql(PROGRESS_ROLLUP_SQL["formula"]),
    )
    total_weight: float = strawberry.field(
        description="Σ(weight) of the milestones that count.",
        metadata=sql(PROGRESS_ROLLUP_SQL["total_weight"]),
    )
    reason: str | None = strawberry.field(
        description="Why percent is null, when it is.", metadata=sql(PROGRESS_ROLLUP_SQL["reason"])
    )
    inputs: list[ProgressInput] = strawberry.field(
        description="Each milestone's part in the formula, by due date.",
        metadata=sql(PROGRESS_ROLLUP_SQL["inputs"]),
    )

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


@table(BASELINE_MILESTONE_SOURCE)
@strawberry.type(description="A milestone as it stood when the baseline was taken.")
class BaselineMilestone:
    milestone_id: strawberry.ID = strawberry.field(
        description="The global id of the milestone it copies (the milestone may since"
        " be deleted).",
        metadata=sql(BASELINE_MILESTONE_SQL["milestone_id"]),
    )
    title: str = strawberry.field(
        description="Its title then.", metadata=sql(BASELINE_MILESTONE_SQL["title"])
    )
    starts_on: date | None = strawberry.field(
        description="Its start date then; null if none was planned.",
        metadata=sql(BASELINE_MILESTONE_SQL["starts_on"]),
    )
    due_on: date = strawberry.field(
        description="Its due date then.", metadata=sql(BASELINE_MILESTONE_SQL["due_on"])
    )
    status: MilestoneStatus = strawberry.field(  # type: ignore[valid-type]
        description="Its status then.", metadata=sql(BASELINE_MILESTONE_SQL["status"])
    )
    progress: int = strawberry.field(
        description="Its progress then, 0 to 100.", metadata=sql(BASELINE_MILESTONE_SQL["progress"])
    )
    weight: float = strawberry.field(
        description="Its weight in the progress formula then.",
        metadata=sql(BASELINE_MILESTONE_SQL["weight"]),
    )

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


@table(MILESTONE_VARIANCE_SOURCE)
@strawberry.type(description="One milestone, baseline against today's plan.")
class MilestoneVariance:
    milestone_id: strawberry.ID = strawberry.field(
        description="The milestone's global id.",
        metadata=sql(MILESTONE_VARIANCE_SQL["milestone_id"]),
    )
    title: str = strawberry.field(
        description="Its title (today's, or the baseline's for a removed one).",
        metadata=sql(MILESTONE_VARIANCE_SQL["title"]),
    )
    change: VarianceChange = strawberry.field(  # type: ignore[valid-type]
        description="KEPT, ADDED since the baseline, or REMOVED since.",
        metadata=sql(MILESTONE_VARIANCE_SQL["change"]),
    )
    baseline_due_on: date | None = strawberry.field(
        description="Its due date in the baseline; null for an ADDED one.",
        metadata=sql(MILESTONE_VARIANCE_SQL["baseline_due_on"]),
    )
    current_due_on: date | None = strawberry.field(
        description="Its due date today; null for a REMOVED one.",
        metadata=sql(MILESTONE_VARIANCE_SQL["current_due_on"]),
    )
    slip_days: int | None = strawberry.field(
        description="Current due date minus the baseline's, in days: positive is late.",
        metadata=sql(MILESTONE_VARIANCE_SQL["slip_days"]),
    )
    status_then: MilestoneStatus | None = strawberry.field(  # type: ignore[valid-type]
        description="Its status in the baseline; null for an ADDED one.",
        metadata=sql(MILESTONE_VARIANCE_SQL["status_then"]),
    )
    status_now: MilestoneStatus | None = strawberry.field(  # type: ignore[valid-type]
        description="Its status today; null for a REMOVED one.",
        metadata=sql(MILESTONE_VARIANCE_SQL["status_now"]),
    )


@table(BASELINE_VARIANCE_SOURCE)
@strawberry.type(description="Today's plan against a baseline.")
class BaselineVariance:
    compared: int = strawberry.field(
        description="Milestones in both.", metadata=sql(BASELINE_VARIANCE_SQL["compared"])
    )
    late: int = strawberry.field(
        description="Compared milestones due later than in the baseline.",
        metadata=sql(BASELINE_VARIANCE_SQL["late"]),
    )
    added: int = strawberry.field(
        description="Milestones planned since.", metadata=sql(BASELINE_VARIANCE_SQL["added"])
    )
    removed: int = strawberry.field(
        description="Baseline milestones deleted or cancelled since.",
        metadata=sql(BASELINE_VARIANCE_SQL["removed"]),
    )
    max_slip_days: int | None = strawberry.field(
        description="The largest slip of a compared milestone, in days (positive is"
        " late); null when none is compared.",
        metadata=sql(BASELINE_VARIANCE_SQL["max_slip_days"]),
    )
    mean_slip_days: float | None = strawberry.field(
        description="One decimal, rounded half up.",
        metadata=sql(BASELINE_VARIANCE_SQL["mean_slip_days"]),
    )
    items: list[MilestoneVariance] = strawberry.field(
        description="Each milestone of the baseline or of today's plan, with how it changed.",
        metadata=sql(BASELINE_VARIANCE_SQL["items"]),
    )

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


@table(models.Baseline)
@strawberry.type(
    description="A named, frozen snapshot of a project's milestones (at vision adoption, at a "
    "grant application, …)."
)
class Baseline(Node):
    row: strawberry.Private[models.Baseline]
    name: str = column(
        models.Baseline.name, description="Its name, unique in the project, e.g. ビジョン採択時."
    )
    created_at: datetime = column(models.Baseline.created_at, description="When it was taken.")

    @classmethod
    def from_row(cls, row: models.Baseline) -> Baseline:
        return cls(id=to_global_id("Baseline", row.id), row=row)

    project: ProjectRef | None = strawberry.field(
        description="The project; null if you may no longer see it.",
        resolver=project_of,
        metadata=sql(One("Project", "{c}.id = {t}.project_id")),
    )

    @strawberry.field(
        description="Who took it; null when that person's account is gone.",
        metadata=sql(One("User", "{c}.id = {t}.created_by_id")),
    )
    async def created_by(self, info: Info) -> User | None:
        if self.row.created_by_id is None:
            return None
        row = await info.context.loaders.user.load(self.row.created_by_id)
        return User.from_row(row) if row else None

    @strawberry.field(
        description="The milestones as they were, by due date.",
        metadata=sql(
            Many(
                "BaselineMilestone",
                join="{c}.baseline_id = {t}.id",
                order="{c}.due_on, {c}.milestone_id",
            )
        ),
    )
    async def milestones(self, info: Info) -> list[BaselineMilestone]:
        rows = await info.context.loaders.baseline_milestones.load(self.row.id)
        return [BaselineMilestone.from_row(r) for r in rows]

    @strawberry.field(description="Today's plan against this baseline.", metadata=sql(VARIANCE))
    async def variance(self, info: Info) -> BaselineVariance:
        frozen, current = await asyncio.gather(
            info.context.loaders.baseline_milestones.load(self.row.id),
            info.context.loaders.project_all_milestones.load(self.row.project_id),
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
    loader = info.context.loaders.project_milestones
    page = await loader.load((project_id, args, tuple(statuses)))
    return to_connection(page, Milestone.from_row)


async def project_progress(info: Info, project_id: uuid.UUID) -> ProgressRollup:
    """A project's roll-up; one statement for the projects of a page."""
    rows = await info.context.loaders.project_all_milestones.load(project_id)
    return ProgressRollup.of(progress_service.rollup(rows))


async def project_baselines(info: Info, project_id: uuid.UUID) -> list[Baseline]:
    """A project's baselines, oldest first; one statement for the projects of a page."""
    rows = await info.context.loaders.project_baselines.load(project_id)
    return [Baseline.from_row(r) for r in rows]


async def region_milestones(
    info: Info,
    region_id: uuid.UUID,
    args: PageArgs,
    filters: dict[str, Any],
) -> Connection[Milestone]:
    """A region's milestones (Region.milestones): Query.milestones(regionId:)'s portfolio."""
    stmt = portfolio_of_region({**filters, "region": region_id})
    page = await root_page(
        info.context, stmt, order_by=(models.Milestone.due_on, models.Milestone.id), args=args
    )
    return to_connection(page, Milestone.from_row)


def portfolio_of_region(args: dict[str, Any]) -> Select[models.Milestone]:
    """The repository's portfolio for Region.milestones' arguments (snake_case). The compiled
    page passes no `region`: its join names the region's projects, as the repository does."""
    return repository.milestones(
        region_id=args.get("region"),
        statuses=_statuses(args.get("status")),
        due_from=args.get("due_from"),
        due_to=args.get("due_to"),
        overdue=args.get("overdue"),
    )


def portfolio(args: dict[str, Any]) -> Select[models.Milestone] | None:
    """The repository's portfolio for the `milestones` arguments (snake_case): the resolver's
    and the compiled page's one row source. None when an id is another type's, or none at all:
    nothing of yours matches it."""
    region_id, project_id = args.get("region_id"), args.get("project_id")
    region = row_id(region_id, "Region") if region_id is not None else None
    project = row_id(project_id, "Project") if project_id is not None else None
    if (region_id is not None and region is None) or (project_id is not None and project is None):
        return None
    return repository.milestones(
        project_id=project,
        region_id=region,
        statuses=_statuses(args.get("status")),
        due_from=args.get("due_from"),
        due_to=args.get("due_to"),
        overdue=args.get("overdue"),
        search=args.get("search"),
    )


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
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
        due_from: Annotated[
            date | None,
            strawberry.argument(description="Only milestones due on or after this day."),
        ] = None,
        due_to: Annotated[
            date | None,
            strawberry.argument(description="Only milestones due on or before this day."),
        ] = None,
        overdue: Annotated[
            bool | None,
            strawberry.argument(
                description="true: only milestones past their due date and not DONE or"
                " CANCELLED; false: only the others."
            ),
        ] = None,
        status: Annotated[
            list[MilestoneStatus] | None,  # type: ignore[valid-type]
            strawberry.argument(description="Only milestones in one of these statuses."),
        ] = None,
        region_id: Annotated[
            strawberry.ID | None,
            strawberry.argument(
                description="Only the milestones of this region's projects (its global id)."
            ),
        ] = None,
        project_id: Annotated[
            strawberry.ID | None,
            strawberry.argument(description="Only the milestones of this project (its global id)."),
        ] = None,
        search: Annotated[
            str | None,
            strawberry.argument(
                description="Words to find in the title; Japanese works with any two characters."
            ),
        ] = None,
    ) -> Connection[Milestone]:
        args = PageArgs.of(first, after, last, before)
        stmt = portfolio(
            {
                "due_from": due_from,
                "due_to": due_to,
                "overdue": overdue,
                "status": status,
                "region_id": region_id,
                "project_id": project_id,
                "search": search,
            }
        )
        page = await root_page(
            info.context, stmt, order_by=(models.Milestone.due_on, models.Milestone.id), args=args
        )
        return to_connection(page, Milestone.from_row)

    @strawberry.field(
        description="A milestone by global id; null if you may not see it.",
        extensions=requires(PROJECTS_READ),
    )
    async def milestone(
        self,
        info: Info,
        id: Annotated[
            strawberry.ID,
            strawberry.argument(description="The milestone's global id."),
        ],
    ) -> Milestone | None:
        key = row_id(id, "Milestone")
        if key is None:
            return None
        row = await info.context.loaders.milestone.load(key)
        return Milestone.from_row(row) if row else None


_BY_DUE_DATE = (Key("due_on", "date"), Key("id", "uuid"))
register_root(
    "milestone",
    Lookup("Milestone", by={"id": Filter("{t}.id = {p}", decode_global_id("Milestone"))}),
    scope=PROJECTS_READ,
)
register_root(
    "milestones", SqlPage("Milestone", _BY_DUE_DATE, source=portfolio), scope=PROJECTS_READ
)

register_node("Milestone", models.Milestone, Milestone.from_row, PROJECTS_READ)
register_node("Baseline", models.Baseline, Baseline.from_row, PROJECTS_READ)


def _status_values(value: Sequence[Any]) -> list[str] | None:
    return [s.value for s in _statuses(value)] or None


# A project's milestones (Project.milestones), optionally of some statuses.
MILESTONES_OF_PROJECT = SqlPage(
    "Milestone",
    _BY_DUE_DATE,
    join="{c}.project_id = {t}.id",
    filters={"status": Filter("{t}.status = ANY(CAST({p} AS varchar[]))", _status_values)},
)

# A region's milestones (Region.milestones): the portfolio's rows of the region's projects the
# viewer may see (row-level security on both tables, as repository.milestones(region_id=)).
MILESTONES_OF_REGION = SqlPage(
    "Milestone",
    _BY_DUE_DATE,
    join="{c}.project_id IN (SELECT rp.id FROM projects rp WHERE rp.region_id = {t}.id)",
    source=portfolio_of_region,
)
