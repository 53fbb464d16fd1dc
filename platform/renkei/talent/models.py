"""Talent: firms' needs, professionals and their profiles, matches, subsidies and costs.

A professional's identity (name, contact, employer) lives apart from the profile a firm reads,
so that row-level security can show a firm the profile of anyone proposed to it and the identity
only once both sides have accepted.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    ARRAY,
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from renkei.db import Base, IdMixin, TimestampMixin, str_enum
from renkei.i18n.messages import N_, label


class NeedStatus(StrEnum):
    DRAFT = "DRAFT"
    OPEN = "OPEN"
    PAUSED = "PAUSED"
    FILLED = "FILLED"
    CLOSED = "CLOSED"


# What people read for each need status; translate with _() where shown (need_status_label).
NEED_STATUSES = {
    NeedStatus.DRAFT: N_("draft"),
    NeedStatus.OPEN: N_("open"),
    NeedStatus.PAUSED: N_("paused"),
    NeedStatus.FILLED: N_("filled"),
    NeedStatus.CLOSED: N_("closed"),
}


def need_status_label(status: str) -> str:
    """A need's status as the reader reads it (an unknown code as it is)."""
    return label(NEED_STATUSES, status)


class MatchStatus(StrEnum):
    """The side-job match lifecycle: proposed, applied or scouted; accepted by the other side;
    面談 (interview); 契約 (contract); 稼働 (working); 評価 (reviews) at completion."""

    PROPOSED = "PROPOSED"  # by the engine
    APPLIED = "APPLIED"  # by the professional
    SCOUTED = "SCOUTED"  # by the firm
    # by an intermediary (renkei.intermediaries): each side then accepts, as on a proposal
    INTRODUCED = "INTRODUCED"
    ACCEPTED = "ACCEPTED"  # both sides want to talk
    INTERVIEW = "INTERVIEW"
    CONTRACTED = "CONTRACTED"
    ACTIVE = "ACTIVE"
    COMPLETED = "COMPLETED"
    DECLINED = "DECLINED"
    WITHDRAWN = "WITHDRAWN"
    EXPIRED = "EXPIRED"


# What people read for each status; translate with _() where shown (match_status_label).
MATCH_STATUSES = {
    MatchStatus.PROPOSED: N_("proposed"),
    MatchStatus.APPLIED: N_("applied"),
    MatchStatus.SCOUTED: N_("scouted"),
    MatchStatus.INTRODUCED: N_("introduced by an intermediary"),
    MatchStatus.ACCEPTED: N_("accepted by both sides"),
    MatchStatus.INTERVIEW: N_("interview (面談)"),
    MatchStatus.CONTRACTED: N_("contracted"),
    MatchStatus.ACTIVE: N_("working (稼働中)"),
    MatchStatus.COMPLETED: N_("completed"),
    MatchStatus.DECLINED: N_("declined"),
    MatchStatus.WITHDRAWN: N_("withdrawn"),
    MatchStatus.EXPIRED: N_("expired"),
}


def match_status_label(status: str) -> str:
    """A match's status as the reader reads it (an unknown code as it is)."""
    return label(MATCH_STATUSES, status)


class CostKind(StrEnum):
    FEE = "FEE"
    TRAVEL = "TRAVEL"
    PLACEMENT_FEE = "PLACEMENT_FEE"


class TalentNeed(IdMixin, TimestampMixin, Base):
    """人材ニーズ: what a regional firm needs a professional for (its 経営課題)."""

    __tablename__ = "talent_needs"
    __table_args__ = (
        CheckConstraint("fee_min_jpy <= fee_max_jpy", name="fee_range"),
        CheckConstraint("hours_per_month BETWEEN 1 AND 200", name="hours"),
        CheckConstraint("openings >= 1", name="openings"),
        Index("ix_talent_needs_status", "status", "id"),
        Index("ix_talent_needs_search_terms", "search_terms", postgresql_using="gin"),
        # Matches name the firm with the need: this key lets them refer to both at once.
        UniqueConstraint("id", "organization_id", name="uq_talent_needs_id_organization_id"),
    )

    organization_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), index=True
    )
    title: Mapped[str] = mapped_column(String(200))
    challenge: Mapped[str] = mapped_column(Text, default="")
    deliverables: Mapped[str] = mapped_column(Text, default="")
    # [{"skill": slug, "weight": 0..1}]
    required_skills: Mapped[list[dict[str, Any]]] = mapped_column(JSONB, default=list)
    preferred_skills: Mapped[list[dict[str, Any]]] = mapped_column(JSONB, default=list)
    engagement_types: Mapped[list[str]] = mapped_column(ARRAY(String(16)))
    hours_per_month: Mapped[int] = mapped_column(Integer)
    duration_months: Mapped[int] = mapped_column(Integer, default=6)
    remote_policy: Mapped[str] = mapped_column(String(16))
    site_visits_per_month: Mapped[int] = mapped_column(Integer, default=0)
    workplace_prefecture_code: Mapped[str] = mapped_column(ForeignKey("prefectures.code"))
    workplace_municipality: Mapped[str] = mapped_column(String(100), default="")
    fee_min_jpy: Mapped[int] = mapped_column(Integer)
    fee_max_jpy: Mapped[int] = mapped_column(Integer)
    starts_on: Mapped[date] = mapped_column(Date)
    openings: Mapped[int] = mapped_column(Integer, default=1)
    status: Mapped[NeedStatus] = mapped_column(
        str_enum(NeedStatus, "need_status"), default=NeedStatus.DRAFT
    )
    # The project the need serves (one the firm takes part in); the milestones it serves are
    # TalentNeedMilestone rows.
    project_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("projects.id", ondelete="SET NULL")
    )
    search_terms: Mapped[list[str]] = mapped_column(ARRAY(Text), default=list)
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_by_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    updated_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class TalentNeedMilestone(TimestampMixin, Base):
    """A milestone of its project that a need serves (a need may serve several)."""

    __tablename__ = "talent_need_milestones"
    __table_args__ = (
        ForeignKeyConstraint(
            ["need_id", "organization_id"],
            ["talent_needs.id", "talent_needs.organization_id"],
            name="fk_talent_need_milestones_need_organization",
            ondelete="CASCADE",
        ),
        Index("ix_talent_need_milestones_milestone_id", "milestone_id"),
    )

    need_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    milestone_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("milestones.id", ondelete="CASCADE"), primary_key=True
    )
    # The firm, copied from the need so that row-level security reads it without a lookup.
    organization_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE")
    )


class Professional(IdMixin, TimestampMixin, Base):
    """プロフェッショナル人材: who the person is. Shown to a firm only after both accepted."""

    __tablename__ = "professionals"

    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), unique=True
    )
    full_name: Mapped[str] = mapped_column(String(200))
    contact_email: Mapped[str] = mapped_column(String(320))
    phone: Mapped[str | None] = mapped_column(String(40))
    current_employer: Mapped[str | None] = mapped_column(String(200))
    # What firms call them until both sides accept: stable, and says nothing about them.
    pseudonym: Mapped[str] = mapped_column(String(40), unique=True)


class ProfessionalProfile(TimestampMixin, Base):
    """What a firm reads about a professional proposed to it: no name, contact or employer."""

    __tablename__ = "professional_profiles"
    __table_args__ = (
        CheckConstraint("fee_min_jpy <= fee_max_jpy", name="fee_range"),
        CheckConstraint("max_engagements BETWEEN 1 AND 10", name="engagements"),
    )

    professional_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("professionals.id", ondelete="CASCADE"), primary_key=True
    )
    pseudonym: Mapped[str] = mapped_column(String(40))
    headline: Mapped[str] = mapped_column(String(200))
    # [{"skill": slug, "level": 1..5, "years": n}]
    skills: Mapped[list[dict[str, Any]]] = mapped_column(JSONB, default=list)
    experience_summary: Mapped[str] = mapped_column(Text, default="")
    engagement_types: Mapped[list[str]] = mapped_column(ARRAY(String(16)))
    hours_per_month: Mapped[int] = mapped_column(Integer)
    available_from: Mapped[date] = mapped_column(Date)
    remote_preference: Mapped[str] = mapped_column(String(16))
    # Where they live (a prefecture only): whether site visits are feasible.
    residence_prefecture_code: Mapped[str] = mapped_column(ForeignKey("prefectures.code"))
    max_site_visits_per_month: Mapped[int] = mapped_column(Integer, default=0)
    travel_prefecture_codes: Mapped[list[str]] = mapped_column(ARRAY(String(2)), default=list)
    # 関係人口: [{"prefecture": code, "kind": HOMETOWN | PAST_RESIDENCE | ...}]
    ties: Mapped[list[dict[str, Any]]] = mapped_column(JSONB, default=list)
    fee_min_jpy: Mapped[int] = mapped_column(Integer)
    fee_max_jpy: Mapped[int] = mapped_column(Integer)
    max_engagements: Mapped[int] = mapped_column(Integer, default=1)
    # Open to proposals; a closed profile keeps its matches but gets no new ones.
    is_open: Mapped[bool] = mapped_column(Boolean, default=True)
    version: Mapped[int] = mapped_column(Integer, default=1)
    updated_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class Match(IdMixin, TimestampMixin, Base):
    """マッチング: a need and a professional, from proposal to review."""

    __tablename__ = "matches"
    __table_args__ = (
        UniqueConstraint("need_id", "professional_id"),
        # The firm is the need's: a match cannot be filed under another organization.
        ForeignKeyConstraint(
            ["need_id", "organization_id"],
            ["talent_needs.id", "talent_needs.organization_id"],
            name="fk_matches_need_organization",
            ondelete="CASCADE",
        ),
        Index("ix_matches_organization_id_status", "organization_id", "status"),
        Index("ix_matches_professional_id_status", "professional_id", "status"),
        CheckConstraint("firm_rating IS NULL OR firm_rating BETWEEN 1 AND 5", name="firm_rating"),
        CheckConstraint(
            "professional_rating IS NULL OR professional_rating BETWEEN 1 AND 5",
            name="professional_rating",
        ),
        CheckConstraint(
            "introduced_via IS NULL OR introduced_via IN"
            " ('STRATEGY_HUB', 'PLACEMENT_AGENCY', 'BANK', 'REVICAREER')",
            name="introduced_via",
        ),
    )

    need_id: Mapped[uuid.UUID] = mapped_column()
    professional_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("professionals.id", ondelete="CASCADE")
    )
    # The firm, copied from the need so that row-level security reads it without a lookup.
    organization_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE")
    )
    status: Mapped[MatchStatus] = mapped_column(str_enum(MatchStatus, "match_status"))
    score: Mapped[Decimal | None] = mapped_column(Numeric(6, 4))
    rank: Mapped[int | None] = mapped_column(Integer)
    # The engine's components: [{"component", "side", "label", "value", "weight", "points",
    # "text"}], label and text as {locale: words} (a plain Japanese string in older rows).
    explanation: Mapped[list[dict[str, Any]]] = mapped_column(JSONB, default=list)
    # The explanation as the JSON text compiled reads send, per locale, written by a trigger
    # (0017, 0020).
    explanation_text_ja: Mapped[str] = mapped_column(Text, server_default="[]")
    explanation_text_en: Mapped[str] = mapped_column(Text, server_default="[]")
    firm_accepted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    professional_accepted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    interview_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # 契約: the firm records the terms, the professional confirms them.
    contract_fee_jpy: Mapped[int | None] = mapped_column(Integer)
    contract_hours_per_month: Mapped[int | None] = mapped_column(Integer)
    contract_starts_on: Mapped[date | None] = mapped_column(Date)
    contract_ends_on: Mapped[date | None] = mapped_column(Date)
    contract_confirmed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # The intermediary organization that introduced the professional, and the role it acted
    # in (an IntermediaryRole: what the subsidy rules read); both None when Renkei proposed it
    # or a side took the first step. Written only by renkei.intermediaries.service, as the
    # platform (0028).
    introduced_by_organization_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("organizations.id", ondelete="SET NULL"), index=True
    )
    introduced_via: Mapped[str | None] = mapped_column(String(16))
    introduced_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    introduction_note: Mapped[str | None] = mapped_column(Text)
    # 評価
    firm_rating: Mapped[int | None] = mapped_column(Integer)
    firm_review: Mapped[str | None] = mapped_column(Text)
    professional_rating: Mapped[int | None] = mapped_column(Integer)
    professional_review: Mapped[str | None] = mapped_column(Text)
    version: Mapped[int] = mapped_column(Integer, default=1)
    updated_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class SubsidyScheme(IdMixin, TimestampMixin, Base):
    """副業・兼業人材活用促進事業: a prefecture's grant toward a firm's side-job costs."""

    __tablename__ = "subsidy_schemes"
    __table_args__ = (
        CheckConstraint("rate > 0 AND rate <= 1", name="rate"),
        CheckConstraint("deadline_basis IN ('CONTRACT', 'START')", name="deadline"),
        UniqueConstraint("prefecture_code", "fiscal_year", "name"),
    )

    prefecture_code: Mapped[str] = mapped_column(ForeignKey("prefectures.code"))
    fiscal_year: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(200))
    rate: Mapped[Decimal] = mapped_column(Numeric(4, 3))
    cap_jpy: Mapped[int] = mapped_column(BigInteger)
    eligible_cost_kinds: Mapped[list[str]] = mapped_column(ARRAY(String(16)))
    first_use_only: Mapped[bool] = mapped_column(Boolean, default=False)
    notes: Mapped[str] = mapped_column(Text, default="")
    # A row is one tier (枠) of the prefecture's scheme for the year; the estimate tries the
    # tiers by rank and takes the first whose conditions the match meets (migration 0026).
    tier_rank: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # Conditions: introduced through the prefecture's 拠点 or a registered 人材紹介事業者; the
    # professional living outside the prefecture; travel of at least this much per round trip.
    requires_introduction: Mapped[bool] = mapped_column(
        Boolean, default=False, server_default="false"
    )
    requires_outside_resident: Mapped[bool] = mapped_column(
        Boolean, default=False, server_default="false"
    )
    min_travel_per_trip_jpy: Mapped[int | None] = mapped_column(Integer)
    # Apply at least this many days before the contract or the start of work (DeadlineBasis).
    deadline_days: Mapped[int | None] = mapped_column(Integer)
    deadline_basis: Mapped[str | None] = mapped_column(String(16))
    source_url: Mapped[str] = mapped_column(String(2048), default="", server_default="")
    # The fields the public record does not confirm (e.g. ["rate"]): shown, never hidden.
    unconfirmed_fields: Mapped[list[str]] = mapped_column(
        ARRAY(String(32)), default=list, server_default="{}"
    )
    updated_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class DeadlineBasis(StrEnum):
    """What a scheme's application deadline counts back from."""

    CONTRACT = "CONTRACT"  # the contract (栃木: two weeks before)
    START = "START"  # the start of work (岐阜: five days before)


class MatchCost(IdMixin, TimestampMixin, Base):
    """A line of a contracted match's cost ledger, for its subsidy and evidence packet."""

    __tablename__ = "match_costs"
    __table_args__ = (CheckConstraint("amount_jpy > 0", name="positive_amount"),)

    match_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("matches.id", ondelete="CASCADE"), index=True
    )
    # The firm, copied from the match for row-level security.
    organization_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE")
    )
    kind: Mapped[CostKind] = mapped_column(str_enum(CostKind, "cost_kind"))
    amount_jpy: Mapped[int] = mapped_column(Integer)
    incurred_on: Mapped[date] = mapped_column(Date)
    visit_days: Mapped[int] = mapped_column(Integer, default=0)
    note: Mapped[str] = mapped_column(Text, default="")


class SubsidyApplication(TimestampMixin, Base):
    """The firm's record that it applied to the prefecture for a match's side-job subsidy: the
    deadline reminders stop once it exists (renkei.talent.subsidy_reminders). The firm's alone:
    row-level security shows it neither to the professional nor to another firm."""

    __tablename__ = "subsidy_applications"

    match_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("matches.id", ondelete="CASCADE"), primary_key=True
    )
    # The firm, copied from the match for row-level security.
    organization_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE")
    )
    # The day the firm applied (as it says), not the day it recorded it.
    applied_on: Mapped[date] = mapped_column(Date)
    recorded_by_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    updated_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class TalentSkill(Base):
    """The skills taxonomy (skills.json) as reference data: compiled reads name skills from it."""

    __tablename__ = "talent_skills"

    slug: Mapped[str] = mapped_column(String(80), primary_key=True)
    name_ja: Mapped[str] = mapped_column(Text)
    name_en: Mapped[str] = mapped_column(Text)
    category: Mapped[str] = mapped_column(String(80))
    synonyms: Mapped[list[str]] = mapped_column(ARRAY(Text))
    # The taxonomy's own order: how `skills` lists them without a search.
    position: Mapped[int] = mapped_column(Integer)
