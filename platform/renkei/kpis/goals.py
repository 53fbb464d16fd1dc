"""KPI targets beyond the fiscal year's: by calendar year (2030年), relative to a reference
("at least the 東京圏 level"), and the national goal of the 総合戦略 a KPI contributes to.

Attainment at a date (what an evaluation round freezes) uses the same published formula as
renkei.kpis.attainment, over every dated target, fiscal or calendar:

    the latest observation is the one whose period ended last, on or before the date;
    the target is the one with the earliest deadline (31 March of the fiscal year's end,
    31 December of a calendar year) on or after that period's end.

With fiscal-year targets only, this chooses exactly what renkei.kpis.attainment chooses.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from babel.numbers import format_decimal
from sqlalchemy.ext.asyncio import AsyncSession

from renkei.errors import Invalid, NotFound
from renkei.i18n.formats import fiscal_year_label
from renkei.i18n.messages import N_, _, current_locale
from renkei.kpis import goals_repository as repository
from renkei.kpis.attainment import (
    HUNDRED,
    UNDATED_TARGET_IS_BASELINE,
    UNDATED_WRONG_SIDE,
    Observed,
    rounded,
)
from renkei.kpis.models import (
    Kpi,
    KpiCalendarTarget,
    KpiDirection,
    KpiNationalGoal,
    KpiRelativeTarget,
    NationalGoal,
)
from renkei.kpis.service import (
    FIRST_FISCAL_YEAR,
    LAST_FISCAL_YEAR,
    Number,
    _number,
    _require_definer,
    _visible_kpi,
)
from renkei.tenancy import Viewer
from renkei.text import clean_name

# Why there is no percent, by code (stored with a frozen review; worded when read).
REASONS = {
    "NO_OBSERVATION": N_("no observation on or before the date"),
    "NO_TARGET": N_("no target whose deadline falls on or after the latest observation"),
    "TARGET_IS_BASELINE": UNDATED_TARGET_IS_BASELINE,
    "WRONG_SIDE": UNDATED_WRONG_SIDE,
}
CALENDAR_YEAR = N_("{year} (calendar year)")


@dataclass(frozen=True)
class DatedTarget:
    """A target and its deadline; `period` is FY2026 (fiscal) or CY2030 (calendar)."""

    period: str
    deadline: date
    value: Decimal


@dataclass(frozen=True)
class AtDate:
    """A KPI's attainment at a date, with what it was computed from."""

    target: DatedTarget | None
    latest: Observed | None
    percent: Decimal | None
    achieved: bool
    reason_code: str | None
    relative_value: Decimal | None
    relative_achieved: bool | None


def period_label(period: str) -> str:
    """2026年度 / FY2026 for a fiscal year, 2030年 / 2030 (calendar year) for a calendar one."""
    year = int(period[2:])
    if period.startswith("FY"):
        return fiscal_year_label(year)
    return _(CALENDAR_YEAR, year=year)


def dated_targets(fiscal: dict[int, Decimal], calendar: dict[int, Decimal]) -> list[DatedTarget]:
    targets = [DatedTarget(f"FY{y}", date(y + 1, 3, 31), v) for y, v in fiscal.items()]
    targets += [DatedTarget(f"CY{y}", date(y, 12, 31), v) for y, v in calendar.items()]
    return sorted(targets, key=lambda t: (t.deadline, t.period))


def _meets(direction: KpiDirection, value: Decimal, target: Decimal) -> bool:
    return value >= target if direction is KpiDirection.INCREASE else value <= target


def at_date(
    *,
    direction: KpiDirection,
    baseline: Decimal,
    targets: list[DatedTarget],
    latest: Observed | None,
    relative: KpiRelativeTarget | None = None,
) -> AtDate:
    """The attainment from the latest observation (already chosen at the date)."""
    relative_value = None if relative is None else relative.reference_value * relative.factor
    relative_achieved = (
        None
        if relative_value is None or latest is None
        else _meets(direction, latest.value, relative_value)
    )

    def result(
        target: DatedTarget | None = None,
        percent: Decimal | None = None,
        achieved: bool = False,
        reason: str | None = None,
    ) -> AtDate:
        return AtDate(target, latest, percent, achieved, reason, relative_value, relative_achieved)

    if latest is None:
        return result(reason="NO_OBSERVATION")
    chosen = next((t for t in targets if t.deadline >= latest.period_end), None)
    if chosen is None:
        return result(reason="NO_TARGET")
    achieved = _meets(direction, latest.value, chosen.value)
    if chosen.value == baseline:
        return result(chosen, achieved=achieved, reason="TARGET_IS_BASELINE")
    if not _meets(direction, chosen.value, baseline):
        return result(chosen, achieved=achieved, reason="WRONG_SIDE")
    percent = rounded((latest.value - baseline) / (chosen.value - baseline) * HUNDRED)
    return result(chosen, percent=percent, achieved=achieved)


async def kpi_at_date(session: AsyncSession, kpi: Kpi, day: date) -> AtDate:
    """Read a KPI's targets and its latest observation on or before `day`, and compute."""
    fiscal, calendar = await repository.targets(session, kpi.id)
    observation = await repository.latest_on_or_before(session, kpi.id, day)
    latest = (
        None
        if observation is None
        else Observed(observation.value, observation.period_start, observation.period_end)
    )
    return at_date(
        direction=kpi.direction,
        baseline=kpi.baseline_value,
        targets=dated_targets(fiscal, calendar),
        latest=latest,
        relative=await repository.relative_target(session, kpi.id),
    )


async def set_calendar_target(
    session: AsyncSession, viewer: Viewer, *, kpi_id: uuid.UUID, year: int, value: Number
) -> Kpi:
    """Set (or replace) the value a KPI should reach by the end of a calendar year (暦年)."""
    if not FIRST_FISCAL_YEAR <= year <= LAST_FISCAL_YEAR:
        raise Invalid(
            _(
                "a calendar year between {first} and {last}",
                first=FIRST_FISCAL_YEAR,
                last=LAST_FISCAL_YEAR,
            ),
            field="year",
        )
    number = _number(value, field="value")
    kpi = await _visible_kpi(session, kpi_id, field="kpiId")
    await _require_definer(
        session, viewer, project_id=kpi.project_id, region_id=kpi.region_id, to="target"
    )
    await repository.upsert_calendar_target(
        session, KpiCalendarTarget(kpi_id=kpi.id, year=year, value=number)
    )
    return kpi


async def set_relative_target(
    session: AsyncSession,
    viewer: Viewer,
    *,
    kpi_id: uuid.UUID,
    reference_name: str,
    reference_value: Number,
    factor: Number = 1,
    reference_on: date | None = None,
    source_url: str | None = None,
    description: str = "",
) -> Kpi:
    """Set a KPI's target relative to a reference ("at least the 東京圏 level")."""
    name = clean_name(reference_name, field="referenceName")
    number = _number(reference_value, field="value")
    multiplier = _number(factor, field="value")
    if multiplier <= 0:
        raise Invalid(_("the factor must be greater than 0"), field="factor")
    if source_url and not source_url.startswith(("https://", "http://")):
        raise Invalid(_("the source must be a web address (https://…)"), field="sourceUrl")
    kpi = await _visible_kpi(session, kpi_id, field="kpiId")
    await _require_definer(
        session, viewer, project_id=kpi.project_id, region_id=kpi.region_id, to="target"
    )
    await repository.upsert_relative_target(
        session,
        KpiRelativeTarget(
            kpi_id=kpi.id,
            reference_name=name,
            reference_value=number,
            factor=multiplier,
            reference_on=reference_on,
            source_url=source_url or None,
            description=description.strip(),
        ),
    )
    return kpi


async def link_national_goal(
    session: AsyncSession,
    viewer: Viewer,
    *,
    kpi_id: uuid.UUID,
    national_goal_id: uuid.UUID | None,
    contribution: str = "",
) -> Kpi:
    """Say which national goal of the 総合戦略 a KPI contributes to (None: none)."""
    kpi = await _visible_kpi(session, kpi_id, field="kpiId")
    await _require_definer(
        session, viewer, project_id=kpi.project_id, region_id=kpi.region_id, to="change"
    )
    if national_goal_id is None:
        await repository.unlink_national_goal(session, kpi.id)
        return kpi
    if await repository.national_goal(session, national_goal_id) is None:
        raise NotFound(_("no such national goal"), field="nationalGoalId")
    await repository.link_national_goal(
        session,
        KpiNationalGoal(
            kpi_id=kpi.id, national_goal_id=national_goal_id, contribution=contribution.strip()
        ),
    )
    return kpi


def national_goal_text(goal: NationalGoal) -> str:
    """The goal as the report names it, its figure marked when not confirmed."""
    if goal.target_value is None:
        return goal.name
    figure = f"{format_decimal(goal.target_value, locale=current_locale())}{goal.unit}"
    if goal.confirmed:
        return _("{name} ({figure})", name=goal.name, figure=figure)
    return _("{name} ({figure}, figure not confirmed)", name=goal.name, figure=figure)
