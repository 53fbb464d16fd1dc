"""効果検証: evaluation rounds of a region or a project, what they reviewed and decided.

A round is a DRAFT until it is recorded; recording freezes the attainment of the KPIs it
reviewed (`evaluation_kpi_reviews` hold copies, never references that later observations
change). A recorded round may be published: its report is then readable by anyone, signed in
or not. Names are copied too (the subject's, the participants'), so that the published report
says what was true on the day, and needs no other table.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from renkei.db import NOT_FETCHED, Base, IdMixin, TimestampMixin, str_enum
from renkei.kpis.models import KpiDirection


class FindingKind(StrEnum):
    """A finding (所見) states what the review found; an improvement (改善策) is a decision with
    an owner and a due date, and becomes a milestone."""

    FINDING = "FINDING"
    IMPROVEMENT = "IMPROVEMENT"


class EvaluationRound(IdMixin, TimestampMixin, Base):
    __tablename__ = "evaluation_rounds"
    __mapper_args__ = NOT_FETCHED
    __table_args__ = (
        CheckConstraint("(project_id IS NULL) <> (region_id IS NULL)", name="project_or_region"),
        CheckConstraint(
            "published_at IS NULL OR recorded_at IS NOT NULL", name="published_when_recorded"
        ),
        Index("ix_evaluation_rounds_region_id", "region_id", "held_on", "id"),
        Index("ix_evaluation_rounds_project_id", "project_id", "held_on", "id"),
    )

    region_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("regions.id", ondelete="CASCADE")
    )
    project_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("projects.id", ondelete="CASCADE")
    )
    # The region's or project's name on the day, for the report.
    subject_name: Mapped[str] = mapped_column(String(200))
    title: Mapped[str] = mapped_column(String(200))
    held_on: Mapped[date] = mapped_column(Date)
    summary: Mapped[str] = mapped_column(Text, default="")
    demo: Mapped[bool] = mapped_column(Boolean, default=False, server_default="false")
    recorded_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    published_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_by_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )


class EvaluationParticipant(IdMixin, Base):
    """An organization that took part in the round, with its name and kind on the day."""

    __tablename__ = "evaluation_participants"
    __mapper_args__ = NOT_FETCHED
    __table_args__ = (UniqueConstraint("round_id", "organization_id"),)

    round_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("evaluation_rounds.id", ondelete="CASCADE")
    )
    organization_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("organizations.id", ondelete="SET NULL")
    )
    organization_name: Mapped[str] = mapped_column(String(200))
    # An OrganizationKind's value, copied; no constraint, so that new kinds need no migration.
    kind: Mapped[str] = mapped_column(String(40))
    position: Mapped[int] = mapped_column(Integer, default=0)


class EvaluationKpiReview(IdMixin, Base):
    """A KPI the round reviewed, with its attainment at the round's date, copied."""

    __tablename__ = "evaluation_kpi_reviews"
    __mapper_args__ = NOT_FETCHED
    __table_args__ = (UniqueConstraint("round_id", "kpi_id"),)

    round_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("evaluation_rounds.id", ondelete="CASCADE")
    )
    kpi_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("kpis.id", ondelete="SET NULL"))
    position: Mapped[int] = mapped_column(Integer, default=0)
    kpi_name: Mapped[str] = mapped_column(String(200))
    unit: Mapped[str] = mapped_column(String(50))
    direction: Mapped[KpiDirection] = mapped_column(
        str_enum(KpiDirection, "evaluation_kpi_direction")
    )
    baseline: Mapped[Decimal] = mapped_column(Numeric(20, 4))
    target: Mapped[Decimal | None] = mapped_column(Numeric(20, 4))
    # 2026年度 or 2030年: which target was chosen, in the reader's words (see renkei.kpis.goals).
    target_period: Mapped[str | None] = mapped_column(String(20))
    latest: Mapped[Decimal | None] = mapped_column(Numeric(20, 4))
    latest_period_start: Mapped[date | None] = mapped_column(Date)
    latest_period_end: Mapped[date | None] = mapped_column(Date)
    percent: Mapped[Decimal | None] = mapped_column(Numeric(10, 1))
    achieved: Mapped[bool] = mapped_column(Boolean, default=False)
    # Why there is no percent: a code of renkei.kpis.goals.REASONS, worded when read.
    reason_code: Mapped[str | None] = mapped_column(String(40))
    # "at least the 東京圏 level": the reference's name and the value it set, copied.
    relative_target_name: Mapped[str | None] = mapped_column(Text)
    relative_target_value: Mapped[Decimal | None] = mapped_column(Numeric(20, 4))
    relative_achieved: Mapped[bool | None] = mapped_column(Boolean)
    national_goal: Mapped[str | None] = mapped_column(Text)
    comment: Mapped[str] = mapped_column(Text, default="")
    frozen_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class EvaluationFinding(IdMixin, TimestampMixin, Base):
    """A finding, or an improvement (改善策) with its owner, due date and milestone."""

    __tablename__ = "evaluation_findings"
    __mapper_args__ = NOT_FETCHED
    __table_args__ = (
        CheckConstraint(
            "kind <> 'IMPROVEMENT' OR (owner_name IS NOT NULL AND due_on IS NOT NULL)",
            name="improvement_owned_and_due",
        ),
    )

    round_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("evaluation_rounds.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[FindingKind] = mapped_column(str_enum(FindingKind, "finding_kind"))
    body: Mapped[str] = mapped_column(Text)
    owner_organization_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("organizations.id", ondelete="SET NULL")
    )
    owner_name: Mapped[str | None] = mapped_column(String(200))
    due_on: Mapped[date | None] = mapped_column(Date)
    milestone_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("milestones.id", ondelete="SET NULL")
    )
    position: Mapped[int] = mapped_column(Integer, default=0)
