"""KPIs of projects and regions: who defines them, who reports on them, and their attainment."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from renkei.activity.models import SubjectType
from renkei.activity.service import JsonValue, record, snapshot
from renkei.errors import Conflict, Forbidden, Invalid, NotFound, Unauthenticated
from renkei.i18n.formats import format_date
from renkei.i18n.messages import N_, _
from renkei.identity.scopes import KPI_WRITE
from renkei.kpis import repository
from renkei.kpis.attainment import Attainment, Observed, Rollup, attainment, rollup
from renkei.kpis.models import (
    Kpi,
    KpiCalendarTarget,
    KpiDirection,
    KpiObservation,
    KpiTarget,
    ObservationSource,
)
from renkei.organizations import repository as organizations
from renkei.tenancy import MEMBERSHIP_ROLES, MembershipRole, Viewer
from renkei.text import clean_name

JST = timezone(timedelta(hours=9), "JST")
KPI_FIELDS = ("name", "unit", "description", "direction", "baseline_value", "baseline_on")
OBSERVATION_FIELDS = (
    "period_start",
    "period_end",
    "value",
    "note",
    "source",
    "recorded_by_id",
    "recorded_for_organization_id",
)
# Numeric(20, 4): sixteen digits before the point, four after.
SCALE = Decimal("0.0001")
LIMIT = Decimal(10) ** 16
LOWEST, HIGHEST = "-9999999999999999.9999", "9999999999999999.9999"
# What is wrong with a number, by the field it was given for (`_number`'s `field`).
NOT_FINITE = {
    "baseline": N_(
        "baseline must be a finite number, from {lowest} to {highest} (16 digits before the point)"
    ),
    "value": N_(
        "value must be a finite number, from {lowest} to {highest} (16 digits before the point)"
    ),
}
TOO_LARGE = {
    "baseline": N_(
        "baseline is too large: from {lowest} to {highest} (16 digits before the point)"
    ),
    "value": N_("value is too large: from {lowest} to {highest} (16 digits before the point)"),
}
FIRST_FISCAL_YEAR, LAST_FISCAL_YEAR = 2000, 2100
MAX_DESCRIPTION = 5000
MAX_NOTE = 2000
WRITERS = (MembershipRole.OWNER, MembershipRole.ADMIN, MembershipRole.MEMBER)

Number = Decimal | float | int


def _user(viewer: Viewer) -> uuid.UUID:
    if viewer.user_id is None:
        raise Unauthenticated(_("sign in first"))
    return viewer.user_id


def today_in_japan() -> date:
    return datetime.now(JST).date()


def _number(value: Number, *, field: str) -> Decimal:
    """A finite number that fits the column, rounded half up to four decimals."""
    # A float becomes the shortest decimal that reads back as it: 0.1, not 0.1000000000000000055.
    number = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
    if not number.is_finite():
        raise Invalid(_(NOT_FINITE[field], lowest=LOWEST, highest=HIGHEST), field=field)
    # The size is checked before rounding: quantizing 1e24 to four decimals needs more digits
    # than the decimal context holds.
    if number.adjusted() >= 16:
        raise Invalid(_(TOO_LARGE[field], lowest=LOWEST, highest=HIGHEST), field=field)
    number = number.quantize(SCALE, rounding=ROUND_HALF_UP)
    if abs(number) >= LIMIT:
        raise Invalid(_(TOO_LARGE[field], lowest=LOWEST, highest=HIGHEST), field=field)
    return number


def _text(value: str, *, field: str, max_length: int) -> str:
    value = value.strip()
    if len(value) > max_length:
        raise Invalid(_("at most {maximum} characters", maximum=max_length), field=field)
    return value


# Who may define, change and set targets of KPIs (`_require_definer`'s `to`).
_LEAD_ONLY = {
    "define": N_("only the lead organization's owners and admins may define its KPIs"),
    "change": N_("only the lead organization's owners and admins may change its KPIs"),
    "target": N_("only the lead organization's owners and admins may set its targets"),
}
_SECRETARIAT_ONLY = {
    "define": N_("only the region secretariat's owners and admins may define its KPIs"),
    "change": N_("only the region secretariat's owners and admins may change its KPIs"),
    "target": N_("only the region secretariat's owners and admins may set its targets"),
}


async def _require_definer(
    session: AsyncSession,
    viewer: Viewer,
    *,
    project_id: uuid.UUID | None,
    region_id: uuid.UUID | None,
    to: str,
) -> None:
    """KPIs are defined by the lead organization's admins, or the region secretariat's."""
    _user(viewer)
    if project_id is not None:
        project = await repository.project(session, project_id)
        if project is None:
            raise NotFound(_("no such project"), field="projectId")
        if not viewer.manages(project.lead_organization_id):
            raise Forbidden(_(_LEAD_ONLY[to]))
        return
    assert region_id is not None
    region = await repository.region(session, region_id)
    if region is None:
        raise NotFound(_("no such region"), field="regionId")
    if not viewer.manages(region.secretariat_organization_id):
        raise Forbidden(_(_SECRETARIAT_ONLY[to]))


async def _visible_kpi(session: AsyncSession, kpi_id: uuid.UUID, *, field: str) -> Kpi:
    kpi = await repository.get(session, kpi_id)
    if kpi is None:
        raise NotFound(_("no such KPI"), field=field)
    return kpi


async def create_kpi(
    session: AsyncSession,
    viewer: Viewer,
    *,
    project_id: uuid.UUID | None = None,
    region_id: uuid.UUID | None = None,
    name: str,
    unit: str,
    description: str = "",
    direction: KpiDirection = KpiDirection.INCREASE,
    baseline_value: Number,
    baseline_on: date | None = None,
    demo: bool = False,
) -> Kpi:
    """Define a KPI of a project (its lead's admins) or of a region (its secretariat's admins);
    `demo`: its figures were invented for the demonstration data, which readers are told."""
    if (project_id is None) == (region_id is None):
        raise Invalid(
            _("a KPI belongs to a project or to a region: give one of them"), field="projectId"
        )
    kpi = Kpi(
        id=uuid.uuid4(),
        project_id=project_id,
        region_id=region_id,
        name=clean_name(name),
        unit=clean_name(unit, field="unit", max_length=50),
        description=_text(description, field="description", max_length=MAX_DESCRIPTION),
        direction=direction,
        baseline_value=_number(baseline_value, field="baseline"),
        baseline_on=baseline_on,
        demo=demo,
        version=1,
    )
    await _require_definer(session, viewer, project_id=project_id, region_id=region_id, to="define")
    kpi.created_by_id = viewer.user_id
    session.add(kpi)
    await session.flush()
    record(
        session,
        viewer,
        subject_type=SubjectType.KPI,
        subject_id=kpi.id,
        action="created",
        project_id=kpi.project_id,
        region_id=kpi.region_id,
        after=snapshot(kpi, KPI_FIELDS),
    )
    return kpi


async def update_kpi(
    session: AsyncSession,
    viewer: Viewer,
    *,
    kpi_id: uuid.UUID,
    version: int,
    name: str | None = None,
    unit: str | None = None,
    description: str | None = None,
    direction: KpiDirection | None = None,
    baseline_value: Number | None = None,
    baseline_on: date | None = None,
) -> Kpi:
    """Change a KPI's definition; the version read must still be the current one."""
    kpi = await _visible_kpi(session, kpi_id, field="id")
    await _require_definer(
        session, viewer, project_id=kpi.project_id, region_id=kpi.region_id, to="change"
    )
    changes: dict[str, object] = {}
    if name is not None:
        changes["name"] = clean_name(name)
    if unit is not None:
        changes["unit"] = clean_name(unit, field="unit", max_length=50)
    if description is not None:
        changes["description"] = _text(description, field="description", max_length=MAX_DESCRIPTION)
    if direction is not None:
        changes["direction"] = direction
    if baseline_value is not None:
        changes["baseline_value"] = _number(baseline_value, field="baseline")
    if baseline_on is not None:
        changes["baseline_on"] = baseline_on
    locked = await repository.lock(session, kpi_id)
    assert locked is not None  # its definer may update it, so may lock it
    if locked.version != version:
        raise Conflict(
            _(
                "this KPI was changed since you read version {read}; it is at version"
                " {current} now: reload it and apply your change again",
                read=version,
                current=locked.version,
            ),
            field="version",
        )
    before = snapshot(locked, KPI_FIELDS)
    for attribute, value in changes.items():
        setattr(locked, attribute, value)
    after = snapshot(locked, KPI_FIELDS)
    if after == before:
        return locked
    locked.version += 1
    locked.updated_at = datetime.now(UTC)
    await session.flush()
    record(
        session,
        viewer,
        subject_type=SubjectType.KPI,
        subject_id=locked.id,
        action="updated",
        project_id=locked.project_id,
        region_id=locked.region_id,
        before=before,
        after=after,
    )
    return locked


async def set_kpi_target(
    session: AsyncSession,
    viewer: Viewer,
    *,
    kpi_id: uuid.UUID,
    fiscal_year: int,
    value: Number,
) -> Kpi:
    """Set (or replace) the value a KPI should reach by the end of a fiscal year (年度)."""
    if not FIRST_FISCAL_YEAR <= fiscal_year <= LAST_FISCAL_YEAR:
        raise Invalid(
            _(
                "a fiscal year between {first} and {last}, named by the year it starts in"
                " (FY2025 is April 2025 to March 2026)",
                first=FIRST_FISCAL_YEAR,
                last=LAST_FISCAL_YEAR,
            ),
            field="fiscalYear",
        )
    number = _number(value, field="value")
    kpi = await _visible_kpi(session, kpi_id, field="kpiId")
    await _require_definer(
        session, viewer, project_id=kpi.project_id, region_id=kpi.region_id, to="target"
    )
    previous = await repository.target_value(session, kpi_id, fiscal_year)
    if previous == number:
        return kpi
    await repository.upsert_target(
        session,
        KpiTarget(
            kpi_id=kpi.id,
            fiscal_year=fiscal_year,
            value=number,
            project_id=kpi.project_id,
            region_id=kpi.region_id,
        ),
    )

    def targets(target: Decimal | None) -> dict[str, JsonValue] | None:
        return None if target is None else {"targets": {str(fiscal_year): float(target)}}

    record(
        session,
        viewer,
        subject_type=SubjectType.KPI,
        subject_id=kpi.id,
        action="target_set",
        project_id=kpi.project_id,
        region_id=kpi.region_id,
        before=targets(previous),
        after=targets(number),
    )
    return kpi


async def _require_reporter(session: AsyncSession, viewer: Viewer, kpi: Kpi) -> ObservationSource:
    """Writers of an ACTIVE participant (or region member) report; API clients need kpi:write."""
    user_id = _user(viewer)
    if viewer.organization_id is None:
        raise Forbidden(_("act for an organization to record KPI observations"))
    if viewer.role is None:
        raise Forbidden(
            _(
                "only owners, admins and members may record KPI observations; you have no role"
                " in the organization"
            )
        )
    if viewer.role not in WRITERS:
        raise Forbidden(
            _(
                "only owners, admins and members may record KPI observations; your role is {role}",
                role=_(MEMBERSHIP_ROLES[viewer.role]),
            )
        )
    if kpi.project_id is not None:
        if not await repository.takes_part_in_project(
            session, kpi.project_id, viewer.organization_id
        ):
            raise Forbidden(_("only organizations taking part in the project may record its KPIs"))
    elif kpi.region_id is not None and not await repository.belongs_to_region(
        session, kpi.region_id, viewer.organization_id
    ):
        raise Forbidden(_("only member organizations of the region may record its KPIs"))
    # An API client acts through its service account; a person's token carries every scope.
    if await repository.is_service_account(session, user_id):
        if not viewer.has_scope(KPI_WRITE):
            raise Forbidden(_("this API client lacks the {scope} scope", scope=KPI_WRITE))
        return ObservationSource.API_CLIENT
    return ObservationSource.MEMBER


async def record_kpi_observation(
    session: AsyncSession,
    viewer: Viewer,
    *,
    kpi_id: uuid.UUID,
    period_start: date,
    period_end: date,
    value: Number,
    note: str = "",
    today: date | None = None,
) -> KpiObservation:
    """Record the value of one period; entering the same period again corrects it."""
    if period_start > period_end:
        raise Invalid(_("the period must end on or after its start"), field="periodEnd")
    today = today or today_in_japan()
    # A period may end in the future by at most its own length, i.e. it must have begun:
    # a month in progress can be reported, next month cannot.
    if period_start > today:
        raise Invalid(
            _(
                "the period has not begun yet (today is {today} in Japan); record it once it has",
                today=format_date(today),
            ),
            field="periodStart",
        )
    number = _number(value, field="value")
    note = _text(note, field="note", max_length=MAX_NOTE)
    kpi = await _visible_kpi(session, kpi_id, field="kpiId")
    source = await _require_reporter(session, viewer, kpi)
    entered = KpiObservation(
        id=uuid.uuid4(),
        kpi_id=kpi.id,
        project_id=kpi.project_id,
        region_id=kpi.region_id,
        period_start=period_start,
        period_end=period_end,
        value=number,
        note=note,
        source=source,
        recorded_by_id=viewer.user_id,
        recorded_for_organization_id=viewer.organization_id,
    )
    existing = await repository.observation_for_period(session, kpi.id, period_start, period_end)
    if existing is None:
        inserted = await repository.insert_observation(session, entered)
        if inserted is not None:
            record(
                session,
                viewer,
                subject_type=SubjectType.KPI_OBSERVATION,
                subject_id=inserted.id,
                action="recorded",
                project_id=kpi.project_id,
                region_id=kpi.region_id,
                after=snapshot(inserted, OBSERVATION_FIELDS),
            )
            return inserted
        # Someone recorded the same period in the meantime: this entry corrects theirs.
        existing = await repository.observation_for_period(
            session, kpi.id, period_start, period_end
        )
        assert existing is not None
    return await _correct(session, viewer, existing, entered)


async def _require_recorder(
    session: AsyncSession, viewer: Viewer, existing: KpiObservation
) -> None:
    """Only the organization that recorded a period corrects it: another participant cannot
    overwrite its number, nor take its attribution."""
    recorder = existing.recorded_for_organization_id
    if recorder is None or recorder == viewer.organization_id:
        return
    organization = await organizations.get(session, recorder)
    period = {
        "start": format_date(existing.period_start),
        "end": format_date(existing.period_end),
    }
    if organization is None:
        raise Forbidden(
            _(
                "another organization recorded this period ({start} to {end}); only it may"
                " correct the value: ask it to",
                **period,
            ),
            field="periodStart",
        )
    raise Forbidden(
        _(
            "{organization} recorded this period ({start} to {end}); only it may correct the"
            " value: ask it to",
            organization=organization.name,
            **period,
        ),
        field="periodStart",
    )


async def _correct(
    session: AsyncSession, viewer: Viewer, existing: KpiObservation, entered: KpiObservation
) -> KpiObservation:
    """Correct the value and note; who recorded the period stays, the corrector is the
    activity's actor."""
    await _require_recorder(session, viewer, existing)
    before = snapshot(existing, OBSERVATION_FIELDS)
    attributes = ["value", "note"]
    if existing.recorded_for_organization_id is None:
        # Its recorder is gone: the correcting organization answers for the value from now on.
        attributes += ["source", "recorded_by_id", "recorded_for_organization_id"]
    for attribute in attributes:
        setattr(existing, attribute, getattr(entered, attribute))
    after = snapshot(existing, OBSERVATION_FIELDS)
    if after == before:
        return existing
    existing.updated_at = datetime.now(UTC)
    await session.flush()
    record(
        session,
        viewer,
        subject_type=SubjectType.KPI_OBSERVATION,
        subject_id=existing.id,
        action="corrected",
        project_id=existing.project_id,
        region_id=existing.region_id,
        before=before,
        after=after,
    )
    return existing


def attainment_of(
    kpi: Kpi,
    targets: Sequence[KpiTarget],
    latest: KpiObservation | None,
    calendar_targets: Sequence[KpiCalendarTarget] = (),
) -> Attainment:
    """The attainment of one KPI from its rows (targets of this KPI only)."""
    return attainment(
        direction=kpi.direction,
        baseline=kpi.baseline_value,
        targets={t.fiscal_year: t.value for t in targets},
        latest=Observed(latest.value, latest.period_start, latest.period_end) if latest else None,
        calendar_targets={t.year: t.value for t in calendar_targets},
    )


async def region_rollup(session: AsyncSession, region_id: uuid.UUID) -> Rollup[Kpi]:
    """A region's own KPIs and its projects' that the viewer sees, rolled up: four statements."""
    kpis = await repository.of_region_and_its_projects(session, region_id)
    if not kpis:
        return rollup([])
    ids = [k.id for k in kpis]
    targets: dict[uuid.UUID, list[KpiTarget]] = defaultdict(list)
    for target in await repository.targets_of(session, ids):
        targets[target.kpi_id].append(target)
    calendar: dict[uuid.UUID, list[KpiCalendarTarget]] = defaultdict(list)
    for row in await repository.calendar_targets_of(session, ids):
        calendar[row.kpi_id].append(row)
    latest = {o.kpi_id: o for o in await repository.latest_observations(session, ids)}
    return rollup(
        [(k, attainment_of(k, targets[k.id], latest.get(k.id), calendar[k.id])) for k in kpis]
    )
