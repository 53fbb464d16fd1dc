"""Attainment: how far a KPI's latest observation has come from its baseline toward its target.

Published formulas, so that anyone can check a figure from the inputs returned with it:

    INCREASE  percent = (latest − baseline) ÷ (target − baseline) × 100
    DECREASE  percent = (baseline − latest) ÷ (baseline − target) × 100

The target is the one with the earliest deadline on or after the latest observation's period
end, over the fiscal-year targets (deadline 31 March of the year's end) and the calendar-year
targets (31 December), as renkei.kpis.goals chooses for an evaluation round. With fiscal-year
targets only, that is the target of the fiscal year (年度) in which the period ends, or, when that
year has none, the nearest later year's. The percent is not clamped: 130 means the
target was passed by 30 % of the planned change, and `achieved` says whether the target is met.
Arithmetic is decimal; only the result is rounded, half up, to one decimal.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Generic, TypeVar

from renkei.fiscal import fiscal_year
from renkei.i18n.messages import N_, _
from renkei.kpis.models import KpiDirection

K = TypeVar("K")

ONE_DECIMAL = Decimal("0.1")
HUNDRED = Decimal(100)

# The formulas and the reasons people read; translated with _() where they are computed (in
# the reader's locale), and in SQL by renkei.graphql.types.kpis_computed with the same msgids.
FORMULAS = {
    KpiDirection.INCREASE: N_(
        "percent = (latest − baseline) ÷ (target − baseline) × 100; achieved when latest ≥ target"
    ),
    KpiDirection.DECREASE: N_(
        "percent = (baseline − latest) ÷ (baseline − target) × 100; achieved when latest ≤ target"
    ),
}
ROLLUP_FORMULA = N_(
    "percent = mean of the included KPIs' unrounded attainment percents, each KPI counted once,"
    " rounded half up to 1 decimal; KPIs without a percent are excluded, with the reason"
)
# Why there is no percent: one sentence per case, {year} being the fiscal year's number (the
# catalog writes it FY2026 or 2026年度, as renkei.i18n.formats.fiscal_year_label does).
NO_OBSERVATION = N_("no observation yet")
NO_TARGET = N_("no target for FY{year} or a later fiscal year")
TARGET_IS_BASELINE = N_(
    "the FY{year} target equals the baseline ({baseline}): the target is met or not, with no"
    " percentage"
)
WRONG_SIDE = {
    KpiDirection.INCREASE: N_(
        "the FY{year} target ({target}) lies below the baseline ({baseline}) of an increasing KPI"
    ),
    KpiDirection.DECREASE: N_(
        "the FY{year} target ({target}) lies above the baseline ({baseline}) of a decreasing KPI"
    ),
}
# The same cases when the target chosen is a calendar year's (the messages of
# renkei.kpis.goals.REASONS, which name no year).
UNDATED_TARGET_IS_BASELINE = N_("the target equals the baseline: met or not, with no percentage")
UNDATED_WRONG_SIDE = N_("the target lies on the wrong side of the baseline for the KPI's direction")


def rounded(value: Decimal) -> Decimal:
    return value.quantize(ONE_DECIMAL, rounding=ROUND_HALF_UP)


def plain(value: Decimal) -> str:
    """A decimal as people write it: 1200, 0.5, never 1.2E+3 or 1200.0000."""
    return format(value.normalize(), "f")


@dataclass(frozen=True)
class Observed:
    """The latest observation: its value and the period it covers."""

    value: Decimal
    period_start: date
    period_end: date


@dataclass(frozen=True)
class Attainment:
    """The result and every input it was computed from."""

    direction: KpiDirection
    formula: str
    baseline: Decimal
    target: Decimal | None
    target_fiscal_year: int | None
    latest: Observed | None
    # Unrounded, for roll-ups; None when there is no percent (see `reason`).
    exact_percent: Decimal | None
    achieved: bool
    reason: str | None
    # Set, and target_fiscal_year None, when the target chosen is a calendar year's (暦年).
    target_calendar_year: int | None = None

    @property
    def percent(self) -> Decimal | None:
        return None if self.exact_percent is None else rounded(self.exact_percent)


def choose_target(targets: Mapping[int, Decimal], year: int) -> tuple[int, Decimal] | None:
    """The target of `year`, else of the nearest later year that has one."""
    if year in targets:
        return year, targets[year]
    later = [y for y in targets if y > year]
    if not later:
        return None
    nearest = min(later)
    return nearest, targets[nearest]


def choose_calendar_target(
    calendar: Mapping[int, Decimal], period_end: date, fiscal: int | None
) -> tuple[int, Decimal] | None:
    """The earliest calendar-year target due on or after `period_end`, if it is due no later
    than the fiscal year `fiscal` (31 December of year y precedes 31 March of y + 1, so: y ≤
    fiscal); else None, and the fiscal target stands."""
    later = [y for y in calendar if y >= period_end.year]
    if not later:
        return None
    nearest = min(later)
    if fiscal is not None and nearest > fiscal:
        return None
    return nearest, calendar[nearest]


def _meets(direction: KpiDirection, latest: Decimal, target: Decimal) -> bool:
    return latest >= target if direction is KpiDirection.INCREASE else latest <= target


def attainment(
    *,
    direction: KpiDirection,
    baseline: Decimal,
    targets: Mapping[int, Decimal],
    latest: Observed | None,
    calendar_targets: Mapping[int, Decimal] | None = None,
) -> Attainment:
    """The attainment of a KPI from its baseline, its targets per fiscal year (and per calendar
    year) and its latest value."""
    calendar_year: int | None = None

    def result(
        *,
        target: tuple[int, Decimal] | None = None,
        exact: Decimal | None = None,
        achieved: bool = False,
        reason: str | None = None,
    ) -> Attainment:
        return Attainment(
            direction=direction,
            formula=_(FORMULAS[direction]),
            baseline=baseline,
            target=target[1] if target else None,
            target_fiscal_year=target[0] if target and calendar_year is None else None,
            target_calendar_year=calendar_year if target else None,
            latest=latest,
            exact_percent=exact,
            achieved=achieved,
            reason=reason,
        )

    if latest is None:
        return result(reason=_(NO_OBSERVATION))
    year = fiscal_year(latest.period_end)
    chosen = choose_target(targets, year)
    calendar = choose_calendar_target(
        calendar_targets or {}, latest.period_end, chosen[0] if chosen else None
    )
    if calendar is not None:
        calendar_year, chosen = calendar[0], calendar
    if chosen is None:
        return result(reason=_(NO_TARGET, year=year))
    target_year, target = chosen
    achieved = _meets(direction, latest.value, target)
    if target == baseline:
        return result(
            target=chosen,
            achieved=achieved,
            reason=_(UNDATED_TARGET_IS_BASELINE)
            if calendar_year is not None
            else _(TARGET_IS_BASELINE, year=target_year, baseline=plain(baseline)),
        )
    if not _meets(direction, target, baseline):
        return result(
            target=chosen,
            achieved=achieved,
            reason=_(UNDATED_WRONG_SIDE)
            if calendar_year is not None
            else _(
                WRONG_SIDE[direction],
                year=target_year,
                target=plain(target),
                baseline=plain(baseline),
            ),
        )
    # The DECREASE form, (baseline − latest) ÷ (baseline − target), is the same quotient.
    exact = (latest.value - baseline) / (target - baseline) * HUNDRED
    return result(target=chosen, exact=exact, achieved=achieved)


@dataclass(frozen=True)
class Rollup(Generic[K]):
    """Mean attainment of several KPIs, with what went in and what was left out and why."""

    percent: Decimal | None
    achieved_count: int
    formula: str
    included: list[tuple[K, Attainment]]
    excluded: list[tuple[K, Attainment]]

    @property
    def kpi_count(self) -> int:
        return len(self.included) + len(self.excluded)


def rollup(items: Sequence[tuple[K, Attainment]]) -> Rollup[K]:
    """The mean of the KPIs' percents; a KPI listed twice is counted once."""
    once: dict[K, Attainment] = {}
    for key, value in items:
        once.setdefault(key, value)
    items = list(once.items())
    included = [(k, a) for k, a in items if a.exact_percent is not None]
    excluded = [(k, a) for k, a in items if a.exact_percent is None]
    percents = [a.exact_percent for _, a in included if a.exact_percent is not None]
    mean = rounded(sum(percents, Decimal(0)) / len(percents)) if percents else None
    return Rollup(
        percent=mean,
        achieved_count=sum(1 for _, a in items if a.achieved),
        formula=_(ROLLUP_FORMULA),
        included=included,
        excluded=excluded,
    )
