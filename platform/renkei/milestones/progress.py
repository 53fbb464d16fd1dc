"""A project's progress, rolled up from its milestones by a published formula anyone can check.

percent = Σ(weight × progress) ÷ Σ(weight) over the milestones that are not CANCELLED, where a
DONE milestone counts as 100. The sums are exact (fractions); only the result is rounded, half
up, to one decimal place. Each milestone's contribution, in percentage points, is weight ×
progress ÷ Σ(weight), rounded half up to two decimal places for display.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

from sqlalchemy.ext.asyncio import AsyncSession

from renkei.i18n.messages import N_, _
from renkei.milestones import repository
from renkei.milestones.models import Milestone, MilestoneStatus

# What people read, translated where the roll-up is computed (and in SQL, by
# renkei.graphql.types.milestones_computed, with the same msgids).
FORMULA = N_(
    "percent = Σ(weight × progress) ÷ Σ(weight), over the milestones that are not CANCELLED;"
    " a DONE milestone counts as progress 100; rounded half up to one decimal place"
)
NO_MILESTONES = N_("the project has no milestones yet")
ALL_CANCELLED = N_("every milestone of the project is cancelled")


@dataclass(frozen=True)
class ProgressInput:
    """One milestone's part in the formula."""

    milestone: Milestone
    weight: Decimal
    # The progress the formula uses: 100 for DONE, the reported progress otherwise.
    progress: int
    counted: bool
    # weight × progress ÷ Σ(weight), in percentage points; None when not counted.
    contribution: Decimal | None


@dataclass(frozen=True)
class ProgressRollup:
    percent: Decimal | None
    formula: str
    inputs: list[ProgressInput]
    total_weight: Decimal
    # Why there is no percent, when there is none.
    reason: str | None


def _round_half_up(value: Fraction, places: int) -> Decimal:
    scale = 10**places
    scaled = value * scale
    # Half up, for non-negative values: floor(x + 1/2).
    rounded = (scaled.numerator * 2 + scaled.denominator) // (scaled.denominator * 2)
    return Decimal(rounded).scaleb(-places)


def rollup(milestones: Iterable[Milestone]) -> ProgressRollup:
    """The roll-up of these milestones (a project's, in due date order)."""
    rows = list(milestones)
    counted = [m for m in rows if m.status != MilestoneStatus.CANCELLED]
    total = sum((Fraction(m.weight) for m in counted), Fraction(0))

    def used(m: Milestone) -> int:
        return 100 if m.status == MilestoneStatus.DONE else m.progress

    inputs = [
        ProgressInput(
            milestone=m,
            weight=m.weight,
            progress=used(m),
            counted=m.status != MilestoneStatus.CANCELLED,
            contribution=(
                _round_half_up(Fraction(m.weight) * used(m) / total, 2)
                if total and m.status != MilestoneStatus.CANCELLED
                else None
            ),
        )
        for m in rows
    ]
    if not counted:
        return ProgressRollup(
            percent=None,
            formula=_(FORMULA),
            inputs=inputs,
            total_weight=Decimal(0),
            reason=_(ALL_CANCELLED if rows else NO_MILESTONES),
        )
    weighted = sum((Fraction(m.weight) * used(m) for m in counted), Fraction(0))
    return ProgressRollup(
        percent=_round_half_up(weighted / total, 1),
        formula=_(FORMULA),
        inputs=inputs,
        total_weight=sum((m.weight for m in counted), Decimal(0)),
        reason=None,
    )


async def of_projects(
    session: AsyncSession, project_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, ProgressRollup]:
    """Each project's roll-up over the milestones the viewer may see: one statement."""
    found = await repository.all_of_projects(session, project_ids)
    return {project_id: rollup(found[project_id]) for project_id in project_ids}
