"""工程表 and KPI exports assembled from the database, as the viewer may see them.

Row-level security decides what is included: a project's roadmap needs its details (the viewer's
organization takes part in it, or is a member of its region and the project is shown to the
region); a region's roadmap gathers the milestones of those of its projects, so a project the
viewer cannot see is simply absent. Each export is a fixed number of statements, whatever the
number of projects and milestones.

The roadmap's moment (`Roadmap.generated_at`) is the last change to what it shows, but never
before midnight today in Japan (where its "today" line must fall): the same data on the same day
gives the same bytes, so an HTTP cache can validate it by a hash of the body.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime, time
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from renkei.errors import Forbidden, NotFound, Unauthenticated
from renkei.fiscal import fiscal_year
from renkei.i18n.messages import N_, _
from renkei.kpis import repository as kpi_repository
from renkei.kpis.models import Kpi, KpiObservation, KpiTarget
from renkei.kpis.service import attainment_of
from renkei.milestones import repository as milestone_repository
from renkei.milestones.models import Milestone
from renkei.organizations import repository as organizations
from renkei.projects import repository
from renkei.projects.exports import KpiCsvRow
from renkei.projects.models import Project
from renkei.projects.roadmap_svg import JST, Roadmap, RoadmapMilestone, sort_key
from renkei.regions import repository as regions
from renkei.regions.models import Region
from renkei.tenancy import Viewer

NO_SUCH_PROJECT = N_("No such project.")
NO_SUCH_REGION = N_("No such region.")
SUMMARY_ONLY = N_(
    "Only this project's public summary is shared with your organization: its roadmap and KPIs"
    " are for its participants and its region's members."
)


def _require_user(viewer: Viewer) -> None:
    if not viewer.is_authenticated:
        raise Unauthenticated(_("Sign in first."))


async def project_with_details(
    session: AsyncSession, viewer: Viewer, project_id: uuid.UUID
) -> Project:
    """The project, if the viewer sees its details; NotFound when it sees nothing of it."""
    _require_user(viewer)
    found = await repository.get_with_details_flag(session, project_id=project_id)
    if found is None:
        raise NotFound(_(NO_SUCH_PROJECT))
    project, details = found
    if not details:
        raise Forbidden(_(SUMMARY_ONLY))
    return project


async def find_region(
    session: AsyncSession,
    viewer: Viewer,
    *,
    region_id: uuid.UUID | None = None,
    slug: str | None = None,
) -> Region:
    """A region by id or slug (declarations are public: every signed-in viewer reads them)."""
    _require_user(viewer)
    region = None
    if region_id is not None:
        region = await regions.get(session, region_id)
    elif slug is not None:
        region = await regions.by_slug(session, slug)
    if region is None:
        raise NotFound(_(NO_SUCH_REGION))
    return region


# Roadmaps -----------------------------------------------------------------------------------


async def project_roadmap(
    session: AsyncSession, viewer: Viewer, *, project: Project, now: datetime | None = None
) -> Roadmap:
    """A project's 工程表 (the project as `project_with_details` gave it): every milestone."""
    _require_user(viewer)
    return await _roadmap(session, project.name, [project], now)


async def region_roadmap(
    session: AsyncSession, viewer: Viewer, *, region: Region, now: datetime | None = None
) -> Roadmap:
    """A region's 工程表: the milestones of every project of the region the viewer sees."""
    _require_user(viewer)
    stmt = (
        repository.projects_with_details()
        .where(Project.region_id == region.id)
        .order_by(Project.name, Project.id)
    )
    projects = list((await session.scalars(stmt)).all())
    return await _roadmap(session, region.name, projects, now, region=region)


async def _roadmap(
    session: AsyncSession,
    title: str,
    projects: Sequence[Project],
    now: datetime | None,
    region: Region | None = None,
) -> Roadmap:
    names = {p.id: p.name for p in projects}
    rows: list[Milestone] = []
    if projects:
        stmt = milestone_repository.milestones().where(Milestone.project_id.in_(list(names)))
        rows = list((await session.scalars(stmt.order_by(Milestone.id))).all())
    predecessors: dict[uuid.UUID, list[Milestone]] = defaultdict(list)
    organization_names: dict[uuid.UUID, str] = {}
    if rows:
        # Only the predecessors the viewer may see: those in other projects may be hidden.
        predecessors.update(
            await milestone_repository.linked(session, [m.id for m in rows], upstream=True)
        )
        organization_ids = {m.owner_organization_id for m in rows} | {
            m.counterpart_organization_id for m in rows if m.counterpart_organization_id
        }
        found = await organizations.by_ids(session, list(organization_ids))
        organization_names = {o.id: o.name for o in found}
    milestones = [
        RoadmapMilestone(
            id=m.id,
            title=m.title,
            project_name=names[m.project_id],
            owner_organization=organization_names.get(m.owner_organization_id, ""),
            counterpart_organization=(
                organization_names.get(m.counterpart_organization_id, "")
                if m.counterpart_organization_id
                else None
            ),
            starts_on=m.starts_on,
            due_on=m.due_on,
            status=m.status.value,
            progress=m.progress,
            horizon_years=m.horizon_years,
            depends_on=tuple(sorted((p.id for p in predecessors[m.id]), key=str)),
        )
        for m in rows
    ]
    # By project, then in time: the order of the CSV (the SVG and calendar sort for themselves).
    milestones.sort(key=lambda m: (m.project_name, *sort_key(m)))
    changes = [_changed_at(p) for p in projects] + [_changed_at(m) for m in rows]
    if region is not None:
        changes.append(_changed_at(region))
    return Roadmap(title, _as_of(changes, now), tuple(milestones))


def _changed_at(row: Project | Milestone | Region) -> datetime:
    return row.updated_at or row.created_at


def _as_of(changes: Iterable[datetime], now: datetime | None) -> datetime:
    """The last change, but not before midnight today in Japan, nor after now."""
    now = now or datetime.now(UTC)
    midnight = datetime.combine(now.astimezone(JST).date(), time(), JST)
    return min(max([midnight, *changes]), now)


# KPIs ---------------------------------------------------------------------------------------


async def project_kpi_rows(
    session: AsyncSession, viewer: Viewer, *, project: Project
) -> list[KpiCsvRow]:
    """The project's KPIs (the project as `project_with_details` gave it), one row per
    observation and per target no observation was measured against."""
    _require_user(viewer)
    stmt = kpi_repository.kpis(project_id=project.id).order_by(Kpi.name, Kpi.id)
    kpis = list((await session.scalars(stmt)).all())
    return await _kpi_rows(session, kpis, {project.id: project.name}, {})


async def region_kpi_rows(
    session: AsyncSession, viewer: Viewer, *, region: Region
) -> list[KpiCsvRow]:
    """The region's own KPIs (for its members), then those of its projects the viewer sees."""
    _require_user(viewer)
    kpis = await kpi_repository.of_region_and_its_projects(session, region.id)
    project_ids = list({k.project_id for k in kpis if k.project_id is not None})
    names: dict[uuid.UUID, str] = {}
    if project_ids:
        names = await repository.names_of(session, project_ids=project_ids)
    return await _kpi_rows(session, kpis, names, {region.id: region.name})


async def _kpi_rows(
    session: AsyncSession,
    kpis: Sequence[Kpi],
    project_names: dict[uuid.UUID, str],
    region_names: dict[uuid.UUID, str],
) -> list[KpiCsvRow]:
    if not kpis:
        return []
    ids = [k.id for k in kpis]
    targets: dict[uuid.UUID, list[KpiTarget]] = defaultdict(list)
    for target in await kpi_repository.targets_of(session, ids):
        targets[target.kpi_id].append(target)
    observations: dict[uuid.UUID, list[KpiObservation]] = defaultdict(list)
    stmt = (
        kpi_repository.observations()
        .where(KpiObservation.kpi_id.in_(ids))
        .order_by(KpiObservation.period_end, KpiObservation.period_start, KpiObservation.id)
    )
    for observation in await session.scalars(stmt):
        observations[observation.kpi_id].append(observation)
    rows: list[KpiCsvRow] = []
    for kpi in kpis:
        owner = (
            project_names.get(kpi.project_id, "")
            if kpi.project_id is not None
            else region_names.get(kpi.region_id, "")
            if kpi.region_id is not None
            else ""
        )
        rows += _rows_of(kpi, owner, targets[kpi.id], observations[kpi.id])
    return rows


def _rows_of(
    kpi: Kpi, owner: str, targets: list[KpiTarget], observations: list[KpiObservation]
) -> list[KpiCsvRow]:
    """Each observation with its attainment at the time (the target it was measured against),
    then each 年度 target no observation was measured against; a bare KPI gets one row."""

    def row(
        year: int | None,
        target: Decimal | None,
        observation: KpiObservation | None = None,
        percent: Decimal | None = None,
    ) -> KpiCsvRow:
        return KpiCsvRow(
            kpi=kpi.name,
            unit=kpi.unit,
            project_or_region=owner,
            baseline=kpi.baseline_value.normalize(),
            fiscal_year=year,
            target=_plain(target),
            period_start=observation.period_start if observation else None,
            period_end=observation.period_end if observation else None,
            observed_value=_plain(observation.value) if observation else None,
            attainment_percent=_plain(percent),
        )

    rows: list[tuple[tuple[int, date], KpiCsvRow]] = []
    measured: set[int] = set()
    for observation in observations:
        result = attainment_of(kpi, targets, observation)
        year = result.target_fiscal_year
        if year is not None:
            measured.add(year)
        else:
            year = fiscal_year(observation.period_end)
        key = (year, observation.period_end)
        rows.append((key, row(year, result.target, observation, result.percent)))
    for target in targets:
        if target.fiscal_year not in measured:
            rows.append(((target.fiscal_year, date.max), row(target.fiscal_year, target.value)))
    if not rows:
        return [row(None, None)]
    rows.sort(key=lambda item: item[0])
    return [r for _, r in rows]


def _plain(value: Decimal | None) -> Decimal | None:
    """1200 rather than 1200.0000: the database keeps four decimals for every value."""
    return None if value is None else value.normalize()
