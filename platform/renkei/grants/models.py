"""Grants (交付金・補助金): schemes as data, a project's applications and their cycle.

A scheme (地域未来交付金, a ministry's subsidy) is published data: its 補助率, cap, 年度 and the
region-wide allowance of 広域リージョン projects, with its public source and the fields that source
does not confirm. An application goes 構想 → 申請 → 交付決定 → 実績報告 → 確定; each step is a row
of `grant_application_transitions` (who, for which organization, when) and an activity entry.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import (
    ARRAY,
    BigInteger,
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
)
from sqlalchemy.orm import Mapped, mapped_column

from renkei.db import Base, IdMixin, TimestampMixin, str_enum
from renkei.i18n.messages import N_, label


class GrantApplicationStatus(StrEnum):
    CONCEPT = "CONCEPT"  # 構想
    APPLIED = "APPLIED"  # 申請
    DECIDED = "DECIDED"  # 交付決定
    REPORTED = "REPORTED"  # 実績報告
    SETTLED = "SETTLED"  # 確定


GRANT_APPLICATION_STATUSES = {
    GrantApplicationStatus.CONCEPT: N_("concept (構想)"),
    GrantApplicationStatus.APPLIED: N_("applied (申請)"),
    GrantApplicationStatus.DECIDED: N_("grant decided (交付決定)"),
    GrantApplicationStatus.REPORTED: N_("performance reported (実績報告)"),
    GrantApplicationStatus.SETTLED: N_("settled (確定)"),
}

S = GrantApplicationStatus
# The one way through the cycle: each status has exactly one next step.
NEXT_STATUS: dict[GrantApplicationStatus, GrantApplicationStatus | None] = {
    S.CONCEPT: S.APPLIED,
    S.APPLIED: S.DECIDED,
    S.DECIDED: S.REPORTED,
    S.REPORTED: S.SETTLED,
    S.SETTLED: None,
}


def status_label(status: str) -> str:
    """A status as the reader reads it (an unknown code as it is)."""
    return label(GRANT_APPLICATION_STATUSES, status)


class GrantScheme(IdMixin, TimestampMixin, Base):
    __tablename__ = "grant_schemes"
    __table_args__ = (
        CheckConstraint("rate IS NULL OR (rate > 0 AND rate <= 1)", name="rate_is_a_share"),
    )

    name: Mapped[str] = mapped_column(String(200))
    # 所管: the ministry or agency that runs it (内閣府, 経済産業省 …).
    ministry: Mapped[str] = mapped_column(String(200), default="")
    fiscal_year: Mapped[int] = mapped_column(Integer)
    # The share of the eligible cost it pays (0.5 = 1/2); None when not confirmed.
    rate: Mapped[Decimal | None] = mapped_column(Numeric(5, 4))
    # The most one application receives, in yen; None when not confirmed.
    cap_jpy: Mapped[int | None] = mapped_column(BigInteger)
    # The scheme's whole budget for its 年度, in yen.
    budget_jpy: Mapped[int | None] = mapped_column(BigInteger)
    # The allowance for 広域リージョン projects, per region, in yen (地域未来交付金: up to 10億円).
    region_allowance_jpy: Mapped[int | None] = mapped_column(BigInteger)
    period_starts_on: Mapped[date | None] = mapped_column(Date)
    period_ends_on: Mapped[date | None] = mapped_column(Date)
    source_url: Mapped[str] = mapped_column(Text, default="")
    notes: Mapped[str] = mapped_column(Text, default="")
    # Fields its source does not confirm (rate, cap_jpy, period …): shown as unconfirmed.
    unconfirmed_fields: Mapped[list[str]] = mapped_column(ARRAY(Text), default=list)
    demo: Mapped[bool] = mapped_column(Boolean, default=False, server_default="false")


class GrantApplication(IdMixin, TimestampMixin, Base):
    __tablename__ = "grant_applications"
    __table_args__ = (
        CheckConstraint("requested_cost_jpy > 0", name="cost_positive"),
        CheckConstraint("rate IS NULL OR (rate > 0 AND rate <= 1)", name="rate_is_a_share"),
        Index("ix_grant_applications_project_id_created_at", "project_id", "created_at", "id"),
        Index("ix_grant_applications_region_id_scheme_id", "region_id", "scheme_id"),
    )

    project_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    # The project's region when the application draws on the region-wide allowance.
    region_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("regions.id", ondelete="RESTRICT")
    )
    scheme_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("grant_schemes.id", ondelete="RESTRICT")
    )
    title: Mapped[str] = mapped_column(String(200))
    status: Mapped[GrantApplicationStatus] = mapped_column(
        str_enum(GrantApplicationStatus, "grant_application_status"),
        default=GrantApplicationStatus.CONCEPT,
    )
    # 事業費: the cost the application asks support for, in yen.
    requested_cost_jpy: Mapped[int] = mapped_column(BigInteger)
    # What the rule gives (renkei.grants.money): min(floor(cost × rate), cap); None without a rate.
    requested_grant_jpy: Mapped[int | None] = mapped_column(BigInteger)
    # The 補助率 applied: the scheme's, or the application's own when the scheme's is unconfirmed.
    rate: Mapped[Decimal | None] = mapped_column(Numeric(5, 4))
    uses_region_allowance: Mapped[bool] = mapped_column(Boolean, default=False)
    applied_on: Mapped[date | None] = mapped_column(Date)
    decided_amount_jpy: Mapped[int | None] = mapped_column(BigInteger)
    decided_on: Mapped[date | None] = mapped_column(Date)
    conditions: Mapped[str] = mapped_column(Text, default="")
    # 実績報告 due date, set at the decision: the reminders count down to it.
    report_due_on: Mapped[date | None] = mapped_column(Date)
    reported_spending_jpy: Mapped[int | None] = mapped_column(BigInteger)
    reported_on: Mapped[date | None] = mapped_column(Date)
    final_amount_jpy: Mapped[int | None] = mapped_column(BigInteger)
    settled_on: Mapped[date | None] = mapped_column(Date)
    # The named baselines frozen at 申請 and at 交付決定.
    application_baseline_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("baselines.id", ondelete="SET NULL")
    )
    decision_baseline_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("baselines.id", ondelete="SET NULL")
    )
    demo: Mapped[bool] = mapped_column(Boolean, default=False, server_default="false")
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_by_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    updated_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class GrantApplicationTransition(IdMixin, Base):
    __tablename__ = "grant_application_transitions"
    __table_args__ = (
        Index("ix_grant_application_transitions_application_id_at", "application_id", "at"),
    )

    application_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("grant_applications.id", ondelete="CASCADE")
    )
    project_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    from_status: Mapped[GrantApplicationStatus | None] = mapped_column(
        str_enum(GrantApplicationStatus, "grant_transition_from")
    )
    to_status: Mapped[GrantApplicationStatus] = mapped_column(
        str_enum(GrantApplicationStatus, "grant_transition_to")
    )
    user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    organization_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("organizations.id", ondelete="SET NULL")
    )
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
