"""KPIs (重要業績評価指標) of projects and regions: baseline, targets per 年度, observations."""

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

from renkei.db import (
    NOT_FETCHED,
    Base,
    IdMixin,
    TimestampMixin,
    open_region_copy,
    open_region_key,
    str_enum,
)

_ONE_OWNER = "(project_id IS NULL) <> (region_id IS NULL)"
_COPIED = "(project_id IS NULL) = (project_open_region_id IS NULL)"


class KpiDirection(StrEnum):
    """Whether more is better (visitors, sales) or less is (CO2, vacancies)."""

    INCREASE = "INCREASE"
    DECREASE = "DECREASE"


class ObservationSource(StrEnum):
    MEMBER = "MEMBER"
    API_CLIENT = "API_CLIENT"


class Kpi(IdMixin, TimestampMixin, Base):
    __tablename__ = "kpis"
    __mapper_args__ = NOT_FETCHED
    __table_args__ = (
        CheckConstraint(_ONE_OWNER, name="project_or_region"),
        CheckConstraint(_COPIED, name="open_region_copied"),
        open_region_key(),
        Index("ix_kpis_project_id", "project_id", "name", "id"),
        Index("ix_kpis_region_id", "region_id", "name", "id"),
    )

    project_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("projects.id", ondelete="CASCADE")
    )
    project_open_region_id: Mapped[uuid.UUID | None] = open_region_copy(nullable=True)
    region_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("regions.id", ondelete="CASCADE")
    )
    name: Mapped[str] = mapped_column(String(200))
    unit: Mapped[str] = mapped_column(String(50))
    description: Mapped[str] = mapped_column(Text, default="")
    direction: Mapped[KpiDirection] = mapped_column(
        str_enum(KpiDirection, "kpi_direction"), default=KpiDirection.INCREASE
    )
    baseline_value: Mapped[Decimal] = mapped_column(Numeric(20, 4))
    baseline_on: Mapped[date | None] = mapped_column(Date)
    # Invented figures of the demonstration (the seed's KPIs), shown as such (migration 0030).
    demo: Mapped[bool] = mapped_column(Boolean, default=False, server_default="false")
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_by_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    updated_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class KpiTarget(Base):
    """The value a KPI should reach by the end of a fiscal year (年度, April to March)."""

    __tablename__ = "kpi_targets"
    __mapper_args__ = NOT_FETCHED
    __table_args__ = (
        CheckConstraint(_ONE_OWNER, name="project_or_region"),
        CheckConstraint(_COPIED, name="open_region_copied"),
        open_region_key(),
    )

    kpi_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("kpis.id", ondelete="CASCADE"), primary_key=True
    )
    fiscal_year: Mapped[int] = mapped_column(Integer, primary_key=True)
    value: Mapped[Decimal] = mapped_column(Numeric(20, 4))
    # The KPI's owner, copied so that row-level security checks it without a lookup.
    project_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("projects.id", ondelete="CASCADE")
    )
    project_open_region_id: Mapped[uuid.UUID | None] = open_region_copy(nullable=True)
    region_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("regions.id", ondelete="CASCADE")
    )


class KpiObservation(IdMixin, TimestampMixin, Base):
    """A value observed for one period; entering the same period again corrects it."""

    __tablename__ = "kpi_observations"
    __mapper_args__ = NOT_FETCHED
    __table_args__ = (
        CheckConstraint(_ONE_OWNER, name="project_or_region"),
        CheckConstraint(_COPIED, name="open_region_copied"),
        open_region_key(),
        CheckConstraint("period_start <= period_end", name="period_order"),
        UniqueConstraint("kpi_id", "period_start", "period_end"),
        Index("ix_kpi_observations_kpi_id_period_end", "kpi_id", "period_end", "id"),
    )

    kpi_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("kpis.id", ondelete="CASCADE"))
    project_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("projects.id", ondelete="CASCADE")
    )
    project_open_region_id: Mapped[uuid.UUID | None] = open_region_copy(nullable=True)
    region_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("regions.id", ondelete="CASCADE")
    )
    period_start: Mapped[date] = mapped_column(Date)
    period_end: Mapped[date] = mapped_column(Date)
    value: Mapped[Decimal] = mapped_column(Numeric(20, 4))
    note: Mapped[str] = mapped_column(Text, default="")
    source: Mapped[ObservationSource] = mapped_column(
        str_enum(ObservationSource, "observation_source")
    )
    recorded_by_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    recorded_for_organization_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("organizations.id", ondelete="SET NULL")
    )
    updated_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class NationalGoal(IdMixin, TimestampMixin, Base):
    """A goal of the national 総合戦略 (地方創生2.0) a KPI can contribute to.

    `confirmed` is false when the figure could not be checked against a public source: readers
    are told so, with `note`, rather than shown a guess as a fact.
    """

    __tablename__ = "national_goals"
    __mapper_args__ = NOT_FETCHED

    code: Mapped[str] = mapped_column(String(63), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    target_value: Mapped[Decimal | None] = mapped_column(Numeric(20, 4))
    unit: Mapped[str] = mapped_column(String(50), default="")
    target_year: Mapped[int | None] = mapped_column(Integer)
    source_url: Mapped[str | None] = mapped_column(Text)
    confirmed: Mapped[bool] = mapped_column(Boolean, default=False)
    note: Mapped[str] = mapped_column(Text, default="")


class KpiNationalGoal(Base):
    """The national goal a KPI contributes to (at most one), with how it contributes."""

    __tablename__ = "kpi_national_goals"
    __mapper_args__ = NOT_FETCHED

    kpi_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("kpis.id", ondelete="CASCADE"), primary_key=True
    )
    national_goal_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("national_goals.id", ondelete="CASCADE"), index=True
    )
    contribution: Mapped[str] = mapped_column(Text, default="")


class KpiCalendarTarget(Base):
    """The value a KPI should reach by the end of a calendar year (暦年: 2030年 ends December 31),
    beside the targets by fiscal year (kpi_targets)."""

    __tablename__ = "kpi_calendar_targets"
    __mapper_args__ = NOT_FETCHED

    kpi_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("kpis.id", ondelete="CASCADE"), primary_key=True
    )
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    value: Mapped[Decimal] = mapped_column(Numeric(20, 4))


class KpiRelativeTarget(Base):
    """A target set against a reference (e.g. "at least the 東京圏 level"): met when the latest
    value reaches `reference_value` × `factor` in the KPI's direction."""

    __tablename__ = "kpi_relative_targets"
    __mapper_args__ = NOT_FETCHED

    kpi_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("kpis.id", ondelete="CASCADE"), primary_key=True
    )
    reference_name: Mapped[str] = mapped_column(String(200))
    reference_value: Mapped[Decimal] = mapped_column(Numeric(20, 4))
    factor: Mapped[Decimal] = mapped_column(Numeric(10, 4), default=Decimal(1))
    reference_on: Mapped[date | None] = mapped_column(Date)
    source_url: Mapped[str | None] = mapped_column(Text)
    description: Mapped[str] = mapped_column(Text, default="")
