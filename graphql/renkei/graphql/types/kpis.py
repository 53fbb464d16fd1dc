"""KPIs (重要業績評価指標): baseline, targets per 年度, observations, attainment and roll-ups."""

from __future__ import annotations

import asyncio
import uuid
import weakref
from collections import defaultdict
from collections.abc import Awaitable, Callable, Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Annotated, Any

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.dataloader import DataLoader

from renkei.graphql.compiled.json_sql import (
    iso_date_sql,
    iso_datetime_sql,
)
from renkei.graphql.compiled.spec import (
    NUMBER,
    WORD,
    Filter,
    Key,
    Lookup,
    Many,
    One,
    Scalar,
    decode_global_id,
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
    Page,
    PageArgs,
    decode_id,
    empty_page,
    fetch_pages,
    parse_global_id,
    to_connection,
    to_global_id,
)
from renkei.graphql.types.activity import ACTIVITY_OF_SUBJECT, Activity, activity_of
from renkei.graphql.types.kpis_computed import ATTAINMENT
from renkei.graphql.types.organizations import Organization
from renkei.identity.scopes import PROJECTS_READ
from renkei.kpis import models, repository, service
from renkei.kpis.attainment import Attainment, Rollup

if TYPE_CHECKING:
    from renkei.graphql.types.projects import Project
    from renkei.graphql.types.regions import Region

KpiDirection = strawberry.enum(
    models.KpiDirection,
    description="Whether more is better (visitors, sales) or less is (CO2, vacancies).",
)
KpiObservationSource = strawberry.enum(
    models.ObservationSource,
    name="KpiObservationSource",
    description="Who entered an observation: a member in the app, or an API client.",
)


def _float(value: Decimal | None) -> float | None:
    return None if value is None else float(value)


@strawberry.type(description="The value a KPI should reach by the end of a fiscal year.")
class KpiTarget:
    fiscal_year: int = strawberry.field(
        description="年度, named by the year it starts in: 2025 is April 2025 to March 2026."
    )
    value: float


@strawberry.type(
    description="How far the latest observation has come from the baseline toward the target, "
    "with the published formula and every input it used."
)
class KpiAttainment:
    percent: float | None = strawberry.field(
        description="Rounded half up to one decimal; not capped at 100. Null when there is no "
        "percentage (see reason)."
    )
    achieved: bool = strawberry.field(description="Whether the latest value meets the target.")
    formula: str
    baseline: float
    target: float | None = strawberry.field(description="The target the percent is measured to.")
    target_fiscal_year: int | None = strawberry.field(
        description="The fiscal year of the latest observation's period end, or the nearest "
        "later one with a target."
    )
    latest_value: float | None
    latest_period_start: date | None
    latest_period_end: date | None
    reason: str | None = strawberry.field(description="Why there is no percent, if there is none.")

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
            latest_value=_float(latest.value) if latest else None,
            latest_period_start=latest.period_start if latest else None,
            latest_period_end=latest.period_end if latest else None,
            reason=result.reason,
        )


# Per-request loaders of this module, kept beside the request's own and dropped with them.
_LOADERS: weakref.WeakKeyDictionary[Loaders, dict[str, DataLoader[uuid.UUID, Any]]] = (
    weakref.WeakKeyDictionary()
)


def _per_kpi(
    info: Info,
    name: str,
    fetch: Callable[[AsyncSession, list[uuid.UUID]], Awaitable[Mapping[uuid.UUID, Any]]],
    default: Callable[[], Any],
) -> DataLoader[uuid.UUID, Any]:
    """A loader of something per KPI id, one statement per batch, made once per request."""
    cache = _LOADERS.setdefault(info.context.loaders, {})
    loader = cache.get(name)
    if loader is None:
        context = info.context

        async def load(ids: list[uuid.UUID]) -> list[Any]:
            async with context.lock:
                found = await fetch(context.session, ids)
            return [found.get(i, default()) for i in ids]

        loader = cache[name] = DataLoader(load_fn=load)
    return loader


async def _latest_by_kpi(
    session: AsyncSession, ids: list[uuid.UUID]
) -> dict[uuid.UUID, models.KpiObservation]:
    return {o.kpi_id: o for o in await repository.latest_observations(session, ids)}


async def _targets_by_kpi(
    session: AsyncSession, ids: list[uuid.UUID]
) -> dict[uuid.UUID, list[models.KpiTarget]]:
    found: dict[uuid.UUID, list[models.KpiTarget]] = defaultdict(list)
    for target in await repository.targets_of(session, ids):
        found[target.kpi_id].append(target)
    return found


def latest_observation_loader(info: Info) -> DataLoader[uuid.UUID, models.KpiObservation | None]:
    """Each KPI's latest observation: one DISTINCT ON statement for all KPIs of a page."""
    return _per_kpi(info, "kpi_latest_observation", _latest_by_kpi, lambda: None)


def targets_loader(info: Info) -> DataLoader[uuid.UUID, list[models.KpiTarget]]:
    return _per_kpi(info, "kpi_targets", _targets_by_kpi, list)


@strawberry.type(
    description="A value observed for one period; entering the period again corrects it."
)
class KpiObservation(Node):
    period_start: date
    period_end: date
    value: float
    note: str
    source: KpiObservationSource  # type: ignore[valid-type]
    created_at: datetime
    updated_at: datetime = strawberry.field(description="When it was last corrected.")
    row: strawberry.Private[models.KpiObservation]

    @classmethod
    def from_row(cls, row: models.KpiObservation) -> KpiObservation:
        return cls(
            id=to_global_id("KpiObservation", row.id),
            period_start=row.period_start,
            period_end=row.period_end,
            value=float(row.value),
            note=row.note,
            source=row.source,
            created_at=row.created_at,
            updated_at=row.updated_at or row.created_at,
            row=row,
        )

    @strawberry.field
    async def kpi(self, info: Info) -> Kpi | None:
        row = await info.context.loaders.rows(models.Kpi).load(self.row.kpi_id)
        return Kpi.from_row(row) if row else None

    @strawberry.field(description="The organization it was entered for.")
    async def recorded_for(self, info: Info) -> Organization | None:
        if self.row.recorded_for_organization_id is None:
            return None
        row = await info.context.loaders.organization.load(self.row.recorded_for_organization_id)
        return Organization.from_row(row) if row else None

    @strawberry.field(description="Its recording and corrections, oldest first, before and after.")
    async def activity(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> Connection[Activity]:
        return await activity_of(info, self.row.id, PageArgs.of(first, after, last, before))


@strawberry.type(
    description="重要業績評価指標: an indicator of a project or a region, with a baseline, targets "
    "per fiscal year and observed values per period."
)
class Kpi(Node):
    name: str
    unit: str
    description: str
    direction: KpiDirection  # type: ignore[valid-type]
    baseline: float
    baseline_on: date | None
    version: int = strawberry.field(
        description="Send it back with a change: a stale one conflicts."
    )
    created_at: datetime
    updated_at: datetime
    row: strawberry.Private[models.Kpi]

    @classmethod
    def from_row(cls, row: models.Kpi) -> Kpi:
        return cls(
            id=to_global_id("Kpi", row.id),
            name=row.name,
            unit=row.unit,
            description=row.description,
            direction=row.direction,
            baseline=float(row.baseline_value),
            baseline_on=row.baseline_on,
            version=row.version,
            created_at=row.created_at,
            updated_at=row.updated_at or row.created_at,
            row=row,
        )

    @strawberry.field(description="The project it measures; null for a region's KPI.")
    async def project(
        self, info: Info
    ) -> Annotated[Project, strawberry.lazy("renkei.graphql.types.projects")] | None:
        from renkei.graphql.types.projects import Project
        from renkei.projects.models import Project as ProjectRow

        if self.row.project_id is None:
            return None
        row = await info.context.loaders.rows(ProjectRow).load(self.row.project_id)
        return Project.from_row(row) if row else None

    @strawberry.field(description="The region it measures; null for a project's KPI.")
    async def region(
        self, info: Info
    ) -> Annotated[Region, strawberry.lazy("renkei.graphql.types.regions")] | None:
        from renkei.graphql.types.regions import Region
        from renkei.regions.models import Region as RegionRow

        if self.row.region_id is None:
            return None
        row = await info.context.loaders.rows(RegionRow).load(self.row.region_id)
        return Region.from_row(row) if row else None

    @strawberry.field(description="Targets by fiscal year, earliest first.")
    async def targets(self, info: Info) -> list[KpiTarget]:
        rows = await targets_loader(info).load(self.row.id)
        return [KpiTarget(fiscal_year=t.fiscal_year, value=float(t.value)) for t in rows]

    @strawberry.field(description="Observations by period end, earliest first (`last` for recent).")
    async def observations(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> Connection[KpiObservation]:
        args = PageArgs.of(first, after, last, before)
        loader = info.context.loaders.children(
            "kpi_observations",
            repository.observations,
            parent=models.KpiObservation.kpi_id,
            order_by=(models.KpiObservation.period_end, models.KpiObservation.id),
        )
        return to_connection(await loader.load((self.row.id, args)), KpiObservation.from_row)

    @strawberry.field(description="The observation with the latest period end.")
    async def latest_observation(self, info: Info) -> KpiObservation | None:
        row = await latest_observation_loader(info).load(self.row.id)
        return KpiObservation.from_row(row) if row else None

    @strawberry.field(description="Attainment from the baseline, the target and the latest value.")
    async def attainment(self, info: Info) -> KpiAttainment:
        targets, latest = await asyncio.gather(
            targets_loader(info).load(self.row.id),
            latest_observation_loader(info).load(self.row.id),
        )
        return KpiAttainment.from_result(service.attainment_of(self.row, targets, latest))

    @strawberry.field(description="Changes to its definition and targets, oldest first.")
    async def activity(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> Connection[Activity]:
        return await activity_of(info, self.row.id, PageArgs.of(first, after, last, before))


@strawberry.type(description="One KPI of a roll-up, with the attainment it contributed.")
class KpiRollupEntry:
    kpi: Kpi
    attainment: KpiAttainment


@strawberry.type(description="A KPI left out of a roll-up's mean, and why.")
class KpiRollupExclusion:
    kpi: Kpi
    reason: str
    attainment: KpiAttainment


@strawberry.type(
    description="A region's KPIs and its projects' that you may see, rolled up by a published "
    "formula: the mean attainment percent, each KPI counted once."
)
class KpiRollup:
    percent: float | None = strawberry.field(
        description="Null when no KPI has an attainment percent."
    )
    formula: str
    kpi_count: int
    achieved_count: int = strawberry.field(description="KPIs whose latest value meets the target.")
    included: list[KpiRollupEntry]
    excluded: list[KpiRollupExclusion]

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


def _kpis_of(
    info: Info, name: str, parent: Any, owner_id: uuid.UUID, args: PageArgs
) -> Awaitable[Page[models.Kpi]]:
    loader = info.context.loaders.children(
        name, repository.kpis, parent=parent, order_by=(models.Kpi.name, models.Kpi.id)
    )
    return loader.load((owner_id, args))


async def project_kpis(info: Info, project_id: uuid.UUID, args: PageArgs) -> Connection[Kpi]:
    """A project's KPIs by name: one statement for the KPIs of every project on the page."""
    page = await _kpis_of(info, "project_kpis", models.Kpi.project_id, project_id, args)
    return to_connection(page, Kpi.from_row)


async def region_kpis(info: Info, region_id: uuid.UUID, args: PageArgs) -> Connection[Kpi]:
    """A region's own KPIs by name (its projects' are on the projects and in the roll-up)."""
    page = await _kpis_of(info, "region_kpis", models.Kpi.region_id, region_id, args)
    return to_connection(page, Kpi.from_row)


async def region_kpi_rollup(info: Info, region_id: uuid.UUID) -> KpiRollup:
    """The roll-up of a region's KPIs and its visible projects' KPIs: three statements."""
    result = await info.context.run(lambda s: service.region_rollup(s, region_id))
    return KpiRollup.from_result(result)


def _row_id(global_id: str, type_name: str) -> uuid.UUID | None:
    parsed = parse_global_id(global_id)
    if parsed is None or parsed[0] != type_name:
        return None
    try:
        return uuid.UUID(parsed[1])
    except ValueError:
        return None


@strawberry.type
class KpiQueries:
    @strawberry.field(description="A KPI by global id.", extensions=requires(PROJECTS_READ))
    async def kpi(self, info: Info, id: strawberry.ID) -> Kpi | None:
        row_id = _row_id(id, "Kpi")
        if row_id is None:
            return None
        row = await info.context.loaders.rows(models.Kpi).load(row_id)
        return Kpi.from_row(row) if row else None

    @strawberry.field(
        description="The KPIs you may see, by name; optionally of one project or one region.",
        extensions=requires(PROJECTS_READ),
    )
    async def kpis(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
        project_id: strawberry.ID | None = None,
        region_id: strawberry.ID | None = None,
    ) -> Connection[Kpi]:
        args = PageArgs.of(first, after, last, before)
        stmt = repository.kpis(
            project_id=decode_id(project_id, "Project", field="projectId") if project_id else None,
            region_id=decode_id(region_id, "Region", field="regionId") if region_id else None,
        )
        pages = await info.context.run(
            lambda s: fetch_pages(s, stmt, order_by=(models.Kpi.name, models.Kpi.id), args=args)
        )
        return to_connection(next(iter(pages.values()), empty_page(args)), Kpi.from_row)


register_node("Kpi", models.Kpi, Kpi.from_row, PROJECTS_READ)
register_node("KpiObservation", models.KpiObservation, KpiObservation.from_row, PROJECTS_READ)


register_table(
    "Kpi",
    "kpis",
    {
        "name": Scalar("{t}.name"),
        "unit": Scalar("{t}.unit"),
        "description": Scalar("{t}.description"),
        "direction": Scalar("{t}.direction", WORD),
        "baseline": Scalar("({t}.baseline_value)::float8", NUMBER),
        "baseline_on": Scalar(iso_date_sql("{t}.baseline_on"), WORD),
        "version": Scalar("{t}.version", NUMBER),
        "created_at": Scalar(iso_datetime_sql("{t}.created_at"), WORD),
        "updated_at": Scalar(iso_datetime_sql("coalesce({t}.updated_at, {t}.created_at)"), WORD),
        "project": One("Project", "{c}.id = {t}.project_id"),
        "region": One("Region", "{c}.id = {t}.region_id"),
        "targets": Many("KpiTarget", join="{c}.kpi_id = {t}.id", order="{c}.fiscal_year"),
        "observations": SqlPage(
            "KpiObservation",
            (Key("period_end", "date"), Key("id", "uuid")),
            join="{c}.kpi_id = {t}.id",
        ),
        "latest_observation": One(
            "KpiObservation", "{c}.kpi_id = {t}.id", order="{c}.period_end DESC, {c}.id DESC"
        ),
        "attainment": ATTAINMENT,
        "activity": ACTIVITY_OF_SUBJECT,
    },
)
register_table(
    "KpiTarget",
    "kpi_targets",
    {
        "fiscal_year": Scalar("{t}.fiscal_year", NUMBER),
        "value": Scalar("({t}.value)::float8", NUMBER),
    },
)
register_table(
    "KpiObservation",
    "kpi_observations",
    {
        "period_start": Scalar(iso_date_sql("{t}.period_start"), WORD),
        "period_end": Scalar(iso_date_sql("{t}.period_end"), WORD),
        "value": Scalar("({t}.value)::float8", NUMBER),
        "note": Scalar("{t}.note"),
        "source": Scalar("{t}.source", WORD),
        "created_at": Scalar(iso_datetime_sql("{t}.created_at"), WORD),
        "updated_at": Scalar(iso_datetime_sql("coalesce({t}.updated_at, {t}.created_at)"), WORD),
        "kpi": One("Kpi", "{c}.id = {t}.kpi_id"),
        "recorded_for": One("Organization", "{c}.id = {t}.recorded_for_organization_id"),
        "activity": ACTIVITY_OF_SUBJECT,
    },
)
register_root(
    "kpi",
    Lookup("Kpi", by={"id": Filter("{t}.id = {p}", decode_global_id("Kpi"))}),
    scope=PROJECTS_READ,
)
