"""Cross-boundary projects, their participants and their funding."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    ARRAY,
    BigInteger,
    Boolean,
    CheckConstraint,
    Computed,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    Uuid,
)
from sqlalchemy.orm import Mapped, mapped_column

from renkei.db import (
    NO_OPEN_REGION,
    NOT_FETCHED,
    Base,
    IdMixin,
    TimestampMixin,
    open_region_copy,
    open_region_key,
    str_enum,
)
from renkei.i18n.messages import N_, _
from renkei.regions.models import ParticipationStatus


class ProjectCategory(StrEnum):
    SEMICONDUCTOR = "SEMICONDUCTOR"
    JOINT_RND = "JOINT_RND"
    CIRCUIT_TOURISM = "CIRCUIT_TOURISM"
    GX_ENERGY = "GX_ENERGY"
    DX = "DX"
    FOOD_EXPORT = "FOOD_EXPORT"
    INFRASTRUCTURE = "INFRASTRUCTURE"
    TALENT_DEVELOPMENT = "TALENT_DEVELOPMENT"


# What people read for each category (the glossary's terms); translate with _() (label()).
PROJECT_CATEGORIES = {
    ProjectCategory.SEMICONDUCTOR: N_("semiconductor industry support"),
    ProjectCategory.JOINT_RND: N_("joint research and development"),
    ProjectCategory.CIRCUIT_TOURISM: N_("circuit tourism"),
    ProjectCategory.GX_ENERGY: N_("GX and energy"),
    ProjectCategory.DX: N_("DX (digital transformation)"),
    ProjectCategory.FOOD_EXPORT: N_("food and agricultural exports"),
    ProjectCategory.INFRASTRUCTURE: N_("infrastructure"),
    ProjectCategory.TALENT_DEVELOPMENT: N_("talent development"),
}


class ProjectStatus(StrEnum):
    PLANNED = "PLANNED"
    ACTIVE = "ACTIVE"
    ON_HOLD = "ON_HOLD"
    COMPLETED = "COMPLETED"
    CANCELLED = "CANCELLED"


PROJECT_STATUSES = {
    ProjectStatus.PLANNED: N_("planned"),
    ProjectStatus.ACTIVE: N_("active"),
    ProjectStatus.ON_HOLD: N_("on hold"),
    ProjectStatus.COMPLETED: N_("completed"),
    ProjectStatus.CANCELLED: N_("cancelled"),
}


class ProjectVisibility(StrEnum):
    """Who sees a project: its participants; also its region's members; also everyone's
    summary (name, category, status, prefectures, lead) while the details stay with the region."""

    PARTICIPANTS = "PARTICIPANTS"
    REGION = "REGION"
    PUBLIC = "PUBLIC"


PROJECT_VISIBILITIES = {
    ProjectVisibility.PARTICIPANTS: N_("participants only"),
    ProjectVisibility.REGION: N_("the region's members"),
    ProjectVisibility.PUBLIC: N_("public summary"),
}


class ParticipantRole(StrEnum):
    LEAD = "LEAD"
    PARTNER = "PARTNER"
    FUNDER = "FUNDER"
    SUPPORTER = "SUPPORTER"
    OBSERVER = "OBSERVER"


# What people read for each role; translate with _() where shown.
PARTICIPANT_ROLES = {
    ParticipantRole.LEAD: N_("lead organization"),
    ParticipantRole.PARTNER: N_("partner"),
    ParticipantRole.FUNDER: N_("funder"),
    ParticipantRole.SUPPORTER: N_("supporter"),
    ParticipantRole.OBSERVER: N_("observer"),
}


class FundingKind(StrEnum):
    NATIONAL_GRANT = "NATIONAL_GRANT"  # 交付金 (e.g. 新しい地方経済・生活環境創生交付金)
    SUBSIDY = "SUBSIDY"  # 補助金
    CORPORATE_HOMETOWN_TAX = "CORPORATE_HOMETOWN_TAX"  # 企業版ふるさと納税
    BANK_FINANCE = "BANK_FINANCE"  # 地域金融機関の融資
    LOCAL_GOVERNMENT_BUDGET = "LOCAL_GOVERNMENT_BUDGET"
    PRIVATE_INVESTMENT = "PRIVATE_INVESTMENT"
    OTHER = "OTHER"


FUNDING_KINDS = {
    FundingKind.NATIONAL_GRANT: N_("national grant (交付金)"),
    FundingKind.SUBSIDY: N_("subsidy (補助金)"),
    FundingKind.CORPORATE_HOMETOWN_TAX: N_("corporate hometown tax donation (企業版ふるさと納税)"),
    FundingKind.BANK_FINANCE: N_("bank finance"),
    FundingKind.LOCAL_GOVERNMENT_BUDGET: N_("local government budget"),
    FundingKind.PRIVATE_INVESTMENT: N_("private investment"),
    FundingKind.OTHER: N_("other"),
}

_LABELS: dict[type[StrEnum], dict[Any, str]] = {
    ProjectCategory: PROJECT_CATEGORIES,
    ProjectStatus: PROJECT_STATUSES,
    ProjectVisibility: PROJECT_VISIBILITIES,
    ParticipantRole: PARTICIPANT_ROLES,
    FundingKind: FUNDING_KINDS,
}


def label(value: StrEnum) -> str:
    """A project enumeration's value (category, status, visibility, role, funding kind) as the
    reader reads it; codes stay what the API sends."""
    return _(_LABELS[type(value)][value])


def status_label(status: str) -> str:
    """A project status code as the reader reads it (an unknown code as it is)."""
    try:
        return label(ProjectStatus(status))
    except ValueError:
        return status


class Project(IdMixin, TimestampMixin, Base):
    __tablename__ = "projects"
    __mapper_args__ = NOT_FETCHED
    __table_args__ = (
        CheckConstraint("cardinality(prefecture_codes) >= 1", name="has_prefectures"),
        CheckConstraint(
            "visibility <> 'REGION' OR region_id IS NOT NULL", name="region_visibility_has_region"
        ),
        Index("ix_projects_search_terms", "search_terms", postgresql_using="gin"),
        Index("ix_projects_prefecture_codes", "prefecture_codes", postgresql_using="gin"),
        Index("ix_projects_region_id_name", "region_id", "name", "id"),
        # Read alone by renkei_project_ids(), the visibility function of every policy.
        Index("ix_projects_region_id_visibility", "region_id", "visibility", "id"),
        # What the details' copies of open_region_id refer to (see renkei.db.open_region_key).
        UniqueConstraint("open_region_id", "id"),
    )

    region_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("regions.id", ondelete="RESTRICT")
    )
    name: Mapped[str] = mapped_column(String(200))
    summary: Mapped[str] = mapped_column(Text, default="")
    # Invented for the demonstration (the seed's projects), shown as such (migration 0030).
    demo: Mapped[bool] = mapped_column(Boolean, default=False, server_default="false")
    category: Mapped[ProjectCategory] = mapped_column(str_enum(ProjectCategory, "project_category"))
    status: Mapped[ProjectStatus] = mapped_column(
        str_enum(ProjectStatus, "project_status"), default=ProjectStatus.PLANNED
    )
    visibility: Mapped[ProjectVisibility] = mapped_column(
        str_enum(ProjectVisibility, "project_visibility")
    )
    # The region the project is open to, or NO_OPEN_REGION: what its details' policies ask.
    open_region_id: Mapped[uuid.UUID] = mapped_column(
        Uuid,
        Computed(
            "coalesce(CASE WHEN visibility = ANY (ARRAY['REGION', 'PUBLIC'])"
            " THEN region_id ELSE NULL END,"
            f" '{NO_OPEN_REGION}'::uuid)",
            persisted=True,
        ),
    )
    lead_organization_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organizations.id", ondelete="RESTRICT"), index=True
    )
    prefecture_codes: Mapped[list[str]] = mapped_column(ARRAY(String(2)))
    starts_on: Mapped[date | None] = mapped_column(Date)
    ends_on: Mapped[date | None] = mapped_column(Date)
    search_terms: Mapped[list[str]] = mapped_column(ARRAY(Text), default=list)
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_by_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    updated_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class ProjectParticipant(IdMixin, TimestampMixin, Base):
    __tablename__ = "project_participants"
    __table_args__ = (
        UniqueConstraint("project_id", "organization_id"),
        Index(
            "ix_project_participants_organization_id_status_project_id",
            "organization_id",
            "status",
            "project_id",
        ),
    )

    project_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    organization_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE")
    )
    role: Mapped[ParticipantRole] = mapped_column(str_enum(ParticipantRole, "participant_role"))
    status: Mapped[ParticipationStatus] = mapped_column(
        str_enum(ParticipationStatus, "participant_status")
    )
    invited_by_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    responded_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class FundingSource(IdMixin, TimestampMixin, Base):
    __tablename__ = "funding_sources"
    __mapper_args__ = NOT_FETCHED
    __table_args__ = (
        open_region_key(),
        CheckConstraint(
            "NOT staff_secondment OR kind = 'CORPORATE_HOMETOWN_TAX'",
            name="staff_secondment_is_hometown_tax",
        ),
    )

    project_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("projects.id", ondelete="CASCADE"), index=True
    )
    project_open_region_id: Mapped[uuid.UUID] = open_region_copy()
    kind: Mapped[FundingKind] = mapped_column(str_enum(FundingKind, "funding_kind"))
    name: Mapped[str] = mapped_column(String(200))
    amount_jpy: Mapped[int] = mapped_column(BigInteger)
    fiscal_year: Mapped[int | None] = mapped_column(Integer)
    # The organization that provides it; for 企業版ふるさと納税, the donor firm.
    funder_organization_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("organizations.id", ondelete="SET NULL")
    )
    # A 企業版ふるさと納税 given as seconded staff (人材派遣型) rather than money alone.
    staff_secondment: Mapped[bool] = mapped_column(Boolean, default=False, server_default="false")
