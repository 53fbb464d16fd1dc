"""Milestones of projects, the dependencies between them, and baselines that freeze a plan."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from zoneinfo import ZoneInfo

from sqlalchemy import (
    ARRAY,
    CheckConstraint,
    ColumnElement,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
    and_,
    cast,
    func,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.hybrid import hybrid_property
from sqlalchemy.orm import Mapped, mapped_column

from renkei.db import (
    NOT_FETCHED,
    Base,
    IdMixin,
    TimestampMixin,
    open_region_copy,
    open_region_key,
    str_enum,
)
from renkei.i18n.messages import LOCALES, N_, label


class MilestoneStatus(StrEnum):
    NOT_STARTED = "NOT_STARTED"
    IN_PROGRESS = "IN_PROGRESS"
    AT_RISK = "AT_RISK"
    DONE = "DONE"
    CANCELLED = "CANCELLED"


# What people read for each status; translate with _() where shown (status_label).
MILESTONE_STATUSES = {
    MilestoneStatus.NOT_STARTED: N_("not started"),
    MilestoneStatus.IN_PROGRESS: N_("in progress"),
    MilestoneStatus.AT_RISK: N_("at risk"),
    MilestoneStatus.DONE: N_("done"),
    MilestoneStatus.CANCELLED: N_("cancelled"),
}


def status_label(status: str) -> str:
    """A status as the reader reads it (an unknown code as it is)."""
    return label(MILESTONE_STATUSES, status)


# Where the milestones are due: "today" and "overdue" are read in Japan.
JST = ZoneInfo("Asia/Tokyo")


def today() -> date:
    """Today in Japan, where the milestones are due."""
    return datetime.now(JST).date()


def today_in_japan() -> ColumnElement[date]:
    """today() as SQL, read when the statement runs (a cached statement never freezes it)."""
    return cast(func.timezone(JST.key, func.now()), Date)


# The platform's at-risk reasons are written in every locale, or not at all.
AT_RISK_REASONS_CHECK = (
    "at_risk_reasons IS NULL OR (jsonb_typeof(at_risk_reasons) = 'object'"
    " AND at_risk_reasons ?& ARRAY[" + ", ".join(f"'{locale}'" for locale in LOCALES) + "])"
)


def at_risk_reason_sql(row: str, locale: str) -> str:
    """Milestone.at_risk_reason_in as SQL, for the row aliased `row` and a locale expression
    (the reader's, a bind parameter: never written into the SQL, whose plan is shared)."""
    return f"coalesce({row}.at_risk_reasons ->> {locale}, {row}.at_risk_reason)"


# Statuses out of the plan: never overdue, never holding anything up.
CLOSED = frozenset({MilestoneStatus.DONE, MilestoneStatus.CANCELLED})


class Milestone(IdMixin, TimestampMixin, Base):
    __tablename__ = "milestones"
    __mapper_args__ = NOT_FETCHED
    __table_args__ = (
        CheckConstraint("progress BETWEEN 0 AND 100", name="progress_percent"),
        CheckConstraint("horizon_years IN (1, 3, 5)", name="roadmap_horizon"),
        CheckConstraint("weight > 0", name="positive_weight"),
        CheckConstraint("starts_on IS NULL OR starts_on <= due_on", name="starts_before_due"),
        CheckConstraint(AT_RISK_REASONS_CHECK, name="at_risk_reasons_by_locale"),
        Index("ix_milestones_project_id_due_on", "project_id", "due_on", "id"),
        Index("ix_milestones_due_on", "due_on", "id"),
        Index("ix_milestones_search_terms", "search_terms", postgresql_using="gin"),
        open_region_key(),
    )

    project_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    project_open_region_id: Mapped[uuid.UUID] = open_region_copy()
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    starts_on: Mapped[date | None] = mapped_column(Date)
    due_on: Mapped[date] = mapped_column(Date)
    # The 工程表 horizon this milestone belongs to: 1, 3 or 5 years.
    horizon_years: Mapped[int] = mapped_column(Integer)
    owner_organization_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organizations.id", ondelete="RESTRICT"), index=True
    )
    # Signs off completion; without one, the owner completes the milestone itself.
    counterpart_organization_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("organizations.id", ondelete="RESTRICT")
    )
    status: Mapped[MilestoneStatus] = mapped_column(
        str_enum(MilestoneStatus, "milestone_status"), default=MilestoneStatus.NOT_STARTED
    )
    progress: Mapped[int] = mapped_column(Integer, default=0)
    # The published roll-up formula weighs each milestone by this (default 1).
    weight: Mapped[Decimal] = mapped_column(Numeric(6, 2), default=Decimal(1))
    evidence_links: Mapped[list[str]] = mapped_column(ARRAY(String(2000)), default=list)
    # Why the milestone is at risk, as a person typed it: every reader reads it as typed.
    at_risk_reason: Mapped[str | None] = mapped_column(Text)
    # Why, as the platform wrote it when a predecessor slipped past its start: the same reason
    # in every locale ({"ja": ..., "en": ...}); each reader reads their own (at_risk_reason_in).
    at_risk_reasons: Mapped[dict[str, str] | None] = mapped_column(JSONB(none_as_null=True))
    signed_off_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    signed_off_by_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    search_terms: Mapped[list[str]] = mapped_column(ARRAY(Text), default=list)
    version: Mapped[int] = mapped_column(Integer, default=1)
    updated_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    def at_risk_reason_in(self, locale: str) -> str | None:
        """Why it is at risk, for a reader of `locale`: the platform's reason in their language,
        else the reason a person typed. AT_RISK_REASON_SQL is the same rule in SQL."""
        written = (self.at_risk_reasons or {}).get(locale)
        return self.at_risk_reason if written is None else written

    # "Overdue", the one rule: past due in Japan and still open (neither DONE nor CANCELLED).
    # The filters, the compiled reads and the resolvers all read it from here.
    @hybrid_property
    def is_overdue(self) -> bool:
        return self.overdue_on(today())

    @is_overdue.inplace.expression
    @classmethod
    def _is_overdue_sql(cls) -> ColumnElement[bool]:
        return cls.overdue_sql(today_in_japan())

    def overdue_on(self, day: date) -> bool:
        """Whether it is overdue on `day` (in Japan)."""
        return self.status not in CLOSED and self.due_on < day

    @classmethod
    def overdue_sql(cls, day: date | ColumnElement[date]) -> ColumnElement[bool]:
        """overdue_on as SQL, for `day` or, with today_in_japan(), for the day it runs."""
        return and_(cls.due_on < day, cls.status.not_in(list(CLOSED)))

    # The owner reached 100% and waits for the counterpart to sign it off.
    @hybrid_property
    def completion_requested(self) -> bool:
        return (
            self.counterpart_organization_id is not None
            and self.progress == 100
            and self.status not in CLOSED
        )

    @completion_requested.inplace.expression
    @classmethod
    def _completion_requested_sql(cls) -> ColumnElement[bool]:
        return and_(
            cls.counterpart_organization_id.is_not(None),
            cls.progress == 100,
            cls.status.not_in(list(CLOSED)),
        )


class MilestoneDependency(TimestampMixin, Base):
    """Finish-to-start: the successor cannot start before the predecessor is due."""

    __tablename__ = "milestone_dependencies"
    __mapper_args__ = NOT_FETCHED
    __table_args__ = (
        CheckConstraint("predecessor_id <> successor_id", name="not_self"),
        Index("ix_milestone_dependencies_successor_id", "successor_id"),
        open_region_key("predecessor_project_id", "predecessor_open_region_id"),
        open_region_key("successor_project_id", "successor_open_region_id"),
    )

    predecessor_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("milestones.id", ondelete="CASCADE"), primary_key=True
    )
    successor_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("milestones.id", ondelete="CASCADE"), primary_key=True
    )
    # Both ends' projects, so that row-level security can check each without a lookup.
    predecessor_project_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("projects.id", ondelete="CASCADE")
    )
    successor_project_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("projects.id", ondelete="CASCADE")
    )
    predecessor_open_region_id: Mapped[uuid.UUID] = open_region_copy()
    successor_open_region_id: Mapped[uuid.UUID] = open_region_copy()


class Baseline(IdMixin, TimestampMixin, Base):
    """A frozen, named snapshot of a project's milestones (at vision adoption, a grant, …)."""

    __tablename__ = "baselines"
    __mapper_args__ = NOT_FETCHED
    __table_args__ = (UniqueConstraint("project_id", "name"), open_region_key())

    project_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    project_open_region_id: Mapped[uuid.UUID] = open_region_copy()
    name: Mapped[str] = mapped_column(String(200))
    created_by_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )


class BaselineMilestone(Base):
    __tablename__ = "baseline_milestones"
    __mapper_args__ = NOT_FETCHED
    __table_args__ = (open_region_key(),)

    baseline_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("baselines.id", ondelete="CASCADE"), primary_key=True
    )
    # Not a foreign key: the snapshot outlives a milestone deleted since.
    milestone_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    project_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    project_open_region_id: Mapped[uuid.UUID] = open_region_copy()
    title: Mapped[str] = mapped_column(String(200))
    starts_on: Mapped[date | None] = mapped_column(Date)
    due_on: Mapped[date] = mapped_column(Date)
    status: Mapped[MilestoneStatus] = mapped_column(
        str_enum(MilestoneStatus, "baseline_milestone_status")
    )
    progress: Mapped[int] = mapped_column(Integer)
    weight: Mapped[Decimal] = mapped_column(Numeric(6, 2))
