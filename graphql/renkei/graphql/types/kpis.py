"""KPIs (重要業績評価指標): baseline, targets per 年度, observations, attainment and roll-ups."""

from __future__ import annotations

import asyncio
import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Annotated, Any

import strawberry
from sqlalchemy import Select

from renkei.graphql.compiled.json_sql import iso_datetime_sql
from renkei.graphql.compiled.spec import (
    WORD,
    Filter,
    Key,
    Lookup,
    Many,
    One,
    Scalar,
    column,
    computed,
    decode_global_id,
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
    decode_id,
    root_page,
    row_id,
    to_connection,
    to_global_id,
)
from renkei.graphql.types.activity import ACTIVITY_OF_SUBJECT, Activity, activity_of
from renkei.graphql.types.kpi_goals import KpiCalendarTarget, KpiRelativeTarget, NationalGoal
from renkei.graphql.types.kpis_computed import (
    ATTAINMENT,
    KPI_ATTAINMENT_SOURCE,
    KPI_ATTAINMENT_SQL,
    KPI_ROLLUP_ENTRY_SOURCE,
    KPI_ROLLUP_ENTRY_SQL,
    KPI_ROLLUP_EXCLUSION_SOURCE,
    KPI_ROLLUP_EXCLUSION_SQL,
    KPI_ROLLUP_SOURCE,
    KPI_ROLLUP_SQL,
)
from renkei.graphql.types.organizations import Organization
from renkei.graphql.types.project_link import ProjectRef, project_of
from renkei.identity.scopes import PROJECTS_READ
from renkei.kpis import goals_repository as goals
from renkei.kpis import models, repository, service
from renkei.kpis.attainment import Attainment, Rollup

if TYPE_CHECKING:
    from renkei.graphql.types.regions import Region

KpiDirection = described_enum(
    models.KpiDirection,
    description="Whether more is better (visitors, sales) or less is (CO2, vacancies).",
    values={
        "INCREASE": "More is better: the target lies above the baseline.",
        "DECREASE": "Less is better: the target lies below the baseline.",
    },
)
KpiObservationSource = described_enum(
    models.ObservationSource,
    name="KpiObservationSource",
    description="Who entered an observation: a member in the app, or an API client.",
    values={
        "MEMBER": "A person, in the console or with their own token.",
        "API_CLIENT": "A program with an API client's token (e.g. a statistics feed).",
    },
)


def _float(value: Decimal | None) -> float | None:
    return None if value is None else float(value)


# Never corrected or changed yet: when it was created.
_UPDATED_AT = Scalar(iso_datetime_sql("coalesce({t}.updated_at, {t}.created_at)"), WORD)


def _updated_at(row: models.Kpi | models.KpiObservation) -> datetime:
    return row.updated_at or row.created_at


@table(models.KpiTarget)
@strawberry.type(description="The value a KPI should reach by the end of a fiscal year.")
class KpiTarget:
    row: strawberry.Private[models.KpiTarget]
    fiscal_year: int = column(
        models.KpiTarget.fiscal_year,
        description="年度, named by the year it starts in: 2025 is April 2025 to March 2026.",
    )
    value: float = column(
        models.KpiTarget.value, description="The value to reach, in the KPI's unit."
    )

    @classmethod
    def from_row(cls, row: models.KpiTarget) -> KpiTarget:
        return cls(row=row)


@table(KPI_ATTAINMENT_SOURCE)
@strawberry.type(
    description="How far the latest observation has come from the baseline toward the target, "
    "with the published formula and every input it used."
)
class KpiAttainment:
    percent: float | None = strawberry.field(
        description="Rounded half up to one decimal; not capped at 100. Null when there is no "
        "percentage (see reason).",
        metadata=sql(KPI_ATTAINMENT_SQL["percent"]),
    )
    achieved: bool = strawberry.field(
        description="Whether the latest value meets the target.",
        metadata=sql(KPI_ATTAINMENT_SQL["achieved"]),
    )
    formula: str = strawberry.field(
        description="The formula used, in the reader's language, e.g. percent = (latest"
        " − baseline) ÷ (target − baseline) × 100.",
        metadata=sql(KPI_ATTAINMENT_SQL["formula"]),
    )
    baseline: float = strawberry.field(
        description="The KPI's baseline value.", metadata=sql(KPI_ATTAINMENT_SQL["baseline"])
    )
    target: float | None = strawberry.field(
        description="The target the percent is measured to.",
        metadata=sql(KPI_ATTAINMENT_SQL["target"]),
    )
    target_fiscal_year: int | None = strawberry.field(
        description="The fiscal year (年度) of the target used: the target with the earliest"
        " deadline on or after the latest observation's period end, as an evaluation round"
        " (効果検証) chooses. Null when that target is a calendar year's (see"
        " targetCalendarYear).",
        metadata=sql(KPI_ATTAINMENT_SQL["target_fiscal_year"]),
    )
    target_calendar_year: int | None = strawberry.field(
        description="The calendar year (暦年) of the target used, when it is a calendar-year"
        " target (due 31 December); null otherwise.",
        metadata=sql(KPI_ATTAINMENT_SQL["target_calendar_year"]),
    )
    latest_value: float | None = strawberry.field(
        description="The value of the observation with the latest period end; null"
        " without observations.",
        metadata=sql(KPI_ATTAINMENT_SQL["latest_value"]),
    )
    latest_period_start: date | None = strawberry.field(
        description="The first day of that observation's period; null without observations.",
        metadata=sql(KPI_ATTAINMENT_SQL["latest_period_start"]),
    )
    latest_period_end: date | None = strawberry.field(
        description="The last day of that observation's period; null without observations.",
        metadata=sql(KPI_ATTAINMENT_SQL["latest_period_end"]),
    )
    reason: str | None = strawberry.field(
        description="Why there is no percent, if there is none.",
        metadata=sql(KPI_ATTAINMENT_SQL["reason"]),
    )

    @classmethod
    def from_result(cls, result: Attainment) -> KpiAttainment:
        latest = result.latest
        return cls(
            percent=_float(result.percent),
            achieved=result.achieved,
            formula=result.formula,
            baseline=float(result.baseline),
            target=_float(result.target),
            target_fiscal_year=result.target_fiscal_year,
            target_calendar_year=result.target_calendar_year,
            latest_value=_float(latest.value) if latest else None,
            latest_period_start=latest.period_start if latest else None,
            latest_period_end=latest.period_end if latest else None,
            reason=result.reason,
        )


@table(models.KpiObservation)
@strawberry.type(
    description="A value observed for one period; entering the period again corrects it."
)
class KpiObservation(Node):
    row: strawberry.Private[models.KpiObservation]
    period_start: date = column(
        models.KpiObservation.period_start, description="The first day of the period observed."
    )
    period_end: date = column(
        models.KpiObservation.period_end, description="The last day of the period observed."
    )
    value: float = column(
        models.KpiObservation.value, description="The value observed, in the KPI's unit."
    )
    note: str = column(
        models.KpiObservation.note, description="Where the figure comes from; empty if none."
    )
    source: KpiObservationSource = column(  # type: ignore[valid-type]
        models.KpiObservation.source, description="Who entered it: a MEMBER or an API_CLIENT."
    )
    created_at: datetime = column(
        models.KpiObservation.created_at, description="When it was first recorded."
    )
    updated_at: datetime = computed(
        _UPDATED_AT, _updated_at, description="When it was last corrected."
    )

    @classmethod
    def from_row(cls, row: models.KpiObservation) -> KpiObservation:
        return cls(id=to_global_id("KpiObservation", row.id), row=row)

    @strawberry.field(
        description="The KPI observed; null if you may no longer see it.",
        metadata=sql(One("Kpi", "{c}.id = {t}.kpi_id")),
    )
    async def kpi(self, info: Info) -> Kpi | None:
        row = await info.context.loaders.kpi.load(self.row.kpi_id)
        return Kpi.from_row(row) if row else None

    @strawberry.field(
        description="The organization it was entered for.",
        metadata=sql(One("Organization", "{c}.id = {t}.recorded_for_organization_id")),
    )
    async def recorded_for(self, info: Info) -> Organization | None:
        if self.row.recorded_for_organization_id is None:
            return None
        row = await info.context.loaders.organization.load(self.row.recorded_for_organization_id)
        return Organization.from_row(row) if row else None

    @strawberry.field(
        description="Its recording and corrections, oldest first, before and after.",
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


@table(models.Kpi)
@strawberry.type(
    description="重要業績評価指標: an indicator of a project or a region, with a baseline, targets "
    "per fiscal year and observed values per period."
)
class Kpi(Node):
    row: strawberry.Private[models.Kpi]
    name: str = column(
        models.Kpi.name, description="What is measured, e.g. 半導体関連の新規雇用者数."
    )
    unit: str = column(
        models.Kpi.unit, description="The unit of its values, e.g. 人, 億円, t-CO2, %."
    )
    description: str = column(
        models.Kpi.description,
        description="How it is measured and where the figures come from; empty if not written.",
    )
    direction: KpiDirection = column(  # type: ignore[valid-type]
        models.Kpi.direction, description="Whether more is better (INCREASE) or less is (DECREASE)."
    )
    baseline: float = column(
        models.Kpi.baseline_value, description="The value at the start, in its unit."
    )
    baseline_on: date | None = column(
        models.Kpi.baseline_on, description="When the baseline was measured; null if not known."
    )
    demo: bool = column(
        models.Kpi.demo, description="Its figures were invented for the demonstration data."
    )
    version: int = column(
        models.Kpi.version, description="Send it back with a change: a stale one conflicts."
    )
    created_at: datetime = column(models.Kpi.created_at, description="When it was defined.")
    updated_at: datetime = computed(
        _UPDATED_AT,
        _updated_at,
        description="When its definition last changed (its creation until its first change).",
    )

    @classmethod
    def from_row(cls, row: models.Kpi) -> Kpi:
        return cls(id=to_global_id("Kpi", row.id), row=row)

    project: ProjectRef | None = strawberry.field(
        resolver=project_of,
        description="The project it measures; null for a region's KPI.",
        metadata=sql(One("Project", "{c}.id = {t}.project_id")),
    )

    @strawberry.field(
        description="The region it measures; null for a project's KPI.",
        metadata=sql(One("Region", "{c}.id = {t}.region_id")),
    )
    async def region(
        self, info: Info
    ) -> Annotated[Region, strawberry.lazy("renkei.graphql.types.regions")] | None:
        from renkei.graphql.types.regions import Region

        if self.row.region_id is None:
            return None
        row = await info.context.loaders.region.load(self.row.region_id)
        return Region.from_row(row) if row else None

    @strawberry.field(
        description="Targets by fiscal year, earliest first.",
        metadata=sql(Many("KpiTarget", join="{c}.kpi_id = {t}.id", order="{c}.fiscal_year")),
    )
    async def targets(self, info: Info) -> list[KpiTarget]:
        rows = await info.context.loaders.kpi_targets.load(self.row.id)
        return [KpiTarget.from_row(t) for t in rows]

    @strawberry.field(
        description="Targets by calendar year (暦年), earliest first.",
        metadata=sql(Many("KpiCalendarTarget", join="{c}.kpi_id = {t}.id", order="{c}.year")),
    )
    async def calendar_targets(self, info: Info) -> list[KpiCalendarTarget]:
        rows = await info.context.run(lambda s: goals.calendar_targets(s, [self.row.id]))
        return [KpiCalendarTarget.from_row(t) for t in rows]

    @strawberry.field(
        description="Its target relative to a reference (e.g. at least the 東京圏 level), if any.",
        metadata=sql(One("KpiRelativeTarget", "{c}.kpi_id = {t}.id")),
    )
    async def relative_target(self, info: Info) -> KpiRelativeTarget | None:
        row = await info.context.run(lambda s: goals.relative_target(s, self.row.id))
        return None if row is None else KpiRelativeTarget.from_row(row)

    @strawberry.field(
        description="The national goal of the 総合戦略 it contributes to, if any.",
        metadata=sql(
            One(
                "NationalGoal",
                "{c}.id = (SELECT l.national_goal_id FROM kpi_national_goals l"
                " WHERE l.kpi_id = {t}.id)",
            )
        ),
    )
    async def national_goal(self, info: Info) -> NationalGoal | None:
        row = await info.context.run(lambda s: goals.national_goal_of(s, self.row.id))
        return None if row is None else NationalGoal.from_row(row)

    @strawberry.field(
        description="Observations by period end, earliest first (`last` for recent).",
        metadata=sql(
            SqlPage(
                "KpiObservation",
                (Key("period_end", "date"), Key("id", "uuid")),
                join="{c}.kpi_id = {t}.id",
            )
        ),
    )
    async def observations(
        self,
        info: Info,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
    ) -> Connection[KpiObservation]:
        args = PageArgs.of(first, after, last, before)
        page = await info.context.loaders.kpi_observations.load((self.row.id, args))
        return to_connection(page, KpiObservation.from_row)

    @strawberry.field(
        description="The observation with the latest period end.",
        metadata=sql(
            One("KpiObservation", "{c}.kpi_id = {t}.id", order="{c}.period_end DESC, {c}.id DESC")
        ),
    )
    async def latest_observation(self, info: Info) -> KpiObservation | None:
        row = await info.context.loaders.kpi_latest_observation.load(self.row.id)
        return KpiObservation.from_row(row) if row else None

    @strawberry.field(
        description="Attainment from the baseline, the target and the latest value.",
        metadata=sql(ATTAINMENT),
    )
    async def attainment(self, info: Info) -> KpiAttainment:
        targets, latest, calendar = await asyncio.gather(
            info.context.loaders.kpi_targets.load(self.row.id),
            info.context.loaders.kpi_latest_observation.load(self.row.id),
            info.context.loaders.kpi_calendar_targets.load(self.row.id),
        )
        return KpiAttainment.from_result(service.attainment_of(self.row, targets, latest, calendar))

    @strawberry.field(
        description="Changes to its definition and targets, oldest first.",
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


@table(KPI_ROLLUP_ENTRY_SOURCE)
@strawberry.type(description="One KPI of a roll-up, with the attainment it contributed.")
class KpiRollupEntry:
    kpi: Kpi = strawberry.field(description="The KPI.", metadata=sql(KPI_ROLLUP_ENTRY_SQL["kpi"]))
    attainment: KpiAttainment = strawberry.field(
        description="Its attainment, as counted in the mean.",
        metadata=sql(KPI_ROLLUP_ENTRY_SQL["attainment"]),
    )


@table(KPI_ROLLUP_EXCLUSION_SOURCE)
@strawberry.type(description="A KPI left out of a roll-up's mean, and why.")
class KpiRollupExclusion:
    kpi: Kpi = strawberry.field(
        description="The KPI.", metadata=sql(KPI_ROLLUP_EXCLUSION_SQL["kpi"])
    )
    reason: str = strawberry.field(
        description="Why it has no percent (no target, no observation, ...), in the"
        " reader's language.",
        metadata=sql(KPI_ROLLUP_EXCLUSION_SQL["reason"]),
    )
    attainment: KpiAttainment = strawberry.field(
        description="Its attainment, without a percent.",
        metadata=sql(KPI_ROLLUP_EXCLUSION_SQL["attainment"]),
    )


@table(KPI_ROLLUP_SOURCE)
@strawberry.type(
    description="A region's KPIs and its projects' that you may see, rolled up by a published "
    "formula: the mean attainment percent, each KPI counted once."
)
class KpiRollup:
    percent: float | None = strawberry.field(
        description="Null when no KPI has an attainment percent.",
        metadata=sql(KPI_ROLLUP_SQL["percent"]),
    )
    formula: str = strawberry.field(
        description="The formula in the reader's language: the mean of the included"
        " KPIs' attainment percents, each KPI counted once.",
        metadata=sql(KPI_ROLLUP_SQL["formula"]),
    )
    kpi_count: int = strawberry.field(
        description="How many KPIs the roll-up looked at, included or not.",
        metadata=sql(KPI_ROLLUP_SQL["kpi_count"]),
    )
    achieved_count: int = strawberry.field(
        description="KPIs whose latest value meets the target.",
        metadata=sql(KPI_ROLLUP_SQL["achieved_count"]),
    )
    included: list[KpiRollupEntry] = strawberry.field(
        description="The KPIs in the mean, with their attainment.",
        metadata=sql(KPI_ROLLUP_SQL["included"]),
    )
    excluded: list[KpiRollupExclusion] = strawberry.field(
        description="The KPIs left out of the mean (no percent), with the reason.",
        metadata=sql(KPI_ROLLUP_SQL["excluded"]),
    )

    @classmethod
    def from_result(cls, result: Rollup[models.Kpi]) -> KpiRollup:
        return cls(
            percent=_float(result.percent),
            formula=result.formula,
            kpi_count=result.kpi_count,
            achieved_count=result.achieved_count,
            included=[
                KpiRollupEntry(kpi=Kpi.from_row(k), attainment=KpiAttainment.from_result(a))
                for k, a in result.included
            ],
            excluded=[
                KpiRollupExclusion(
                    kpi=Kpi.from_row(k),
                    reason=a.reason or "",
                    attainment=KpiAttainment.from_result(a),
                )
                for k, a in result.excluded
            ],
        )


async def project_kpis(info: Info, project_id: uuid.UUID, args: PageArgs) -> Connection[Kpi]:
    """A project's KPIs by name: one statement for the KPIs of every project on the page."""
    page = await info.context.loaders.project_kpis.load((project_id, args))
    return to_connection(page, Kpi.from_row)


async def region_kpis(info: Info, region_id: uuid.UUID, args: PageArgs) -> Connection[Kpi]:
    """A region's own KPIs by name (its projects' are on the projects and in the roll-up)."""
    page = await info.context.loaders.region_kpis.load((region_id, args))
    return to_connection(page, Kpi.from_row)


async def region_kpi_rollup(info: Info, region_id: uuid.UUID) -> KpiRollup:
    """The roll-up of a region's KPIs and its visible projects' KPIs: three statements."""
    result = await info.context.run(lambda s: service.region_rollup(s, region_id))
    return KpiRollup.from_result(result)


@strawberry.type
class KpiQueries:
    @strawberry.field(description="A KPI by global id.", extensions=requires(PROJECTS_READ))
    async def kpi(
        self,
        info: Info,
        id: Annotated[
            strawberry.ID,
            strawberry.argument(description="The KPI's global id; null if you may not see it."),
        ],
    ) -> Kpi | None:
        key = row_id(id, "Kpi")
        if key is None:
            return None
        row = await info.context.loaders.kpi.load(key)
        return Kpi.from_row(row) if row else None

    @strawberry.field(
        description="The KPIs you may see, by name; optionally of one project or one region.",
        extensions=requires(PROJECTS_READ),
    )
    async def kpis(
        self,
        info: Info,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
        project_id: Annotated[
            strawberry.ID | None,
            strawberry.argument(description="Only the KPIs of this project (its global id)."),
        ] = None,
        region_id: Annotated[
            strawberry.ID | None,
            strawberry.argument(description="Only the KPIs of this region (its global id)."),
        ] = None,
    ) -> Connection[Kpi]:
        args = PageArgs.of(first, after, last, before)
        stmt = kpi_list({"project_id": project_id, "region_id": region_id})
        page = await root_page(
            info.context, stmt, order_by=(models.Kpi.name, models.Kpi.id), args=args
        )
        return to_connection(page, Kpi.from_row)


def kpi_list(args: dict[str, Any]) -> Select[models.Kpi]:
    """The repository's KPIs for the `kpis` arguments (snake_case): the resolver's and the
    compiled page's one row source."""
    project_id, region_id = args.get("project_id"), args.get("region_id")
    return repository.kpis(
        project_id=decode_id(project_id, "Project", field="projectId") if project_id else None,
        region_id=decode_id(region_id, "Region", field="regionId") if region_id else None,
    )


register_node("Kpi", models.Kpi, Kpi.from_row, PROJECTS_READ)
register_node("KpiObservation", models.KpiObservation, KpiObservation.from_row, PROJECTS_READ)
register_root(
    "kpi",
    Lookup("Kpi", by={"id": Filter("{t}.id = {p}", decode_global_id("Kpi"))}),
    scope=PROJECTS_READ,
)
register_root(
    "kpis",
    SqlPage("Kpi", (Key("name"), Key("id", "uuid")), source=kpi_list),
    scope=PROJECTS_READ,
)
