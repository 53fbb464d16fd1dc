"""Wide-area regions (広域リージョン): declared across prefectures, run by a secretariat."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import (
    ARRAY,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from renkei.db import Base, IdMixin, TimestampMixin, str_enum
from renkei.i18n.messages import N_, label


class RegionRole(StrEnum):
    SECRETARIAT = "SECRETARIAT"
    MEMBER = "MEMBER"
    SUPPORTER = "SUPPORTER"


# What people read for each role; translate with _() where shown.
MEMBER_ROLES = {
    RegionRole.SECRETARIAT: N_("secretariat"),
    RegionRole.MEMBER: N_("member"),
    RegionRole.SUPPORTER: N_("supporter"),
}


class ParticipationStatus(StrEnum):
    """An organization joins a region or a project only by accepting an invitation."""

    INVITED = "INVITED"
    ACTIVE = "ACTIVE"
    DECLINED = "DECLINED"
    LEFT = "LEFT"


# What people read for each status; translate with _() where shown (participation_label).
PARTICIPATION_STATUSES = {
    ParticipationStatus.INVITED: N_("invited"),
    ParticipationStatus.ACTIVE: N_("taking part"),
    ParticipationStatus.DECLINED: N_("declined"),
    ParticipationStatus.LEFT: N_("left"),
}


def participation_label(status: str) -> str:
    """A region member's or project participant's status as the reader reads it."""
    return label(PARTICIPATION_STATUSES, status)


def member_role_label(role: str) -> str:
    return label(MEMBER_ROLES, role)


class Region(IdMixin, TimestampMixin, Base):
    __tablename__ = "regions"
    __table_args__ = (
        CheckConstraint("cardinality(prefecture_codes) >= 2", name="crosses_prefectures"),
        Index("ix_regions_search_terms", "search_terms", postgresql_using="gin"),
    )

    slug: Mapped[str] = mapped_column(String(63), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    prefecture_codes: Mapped[list[str]] = mapped_column(ARRAY(String(2)))
    secretariat_organization_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organizations.id", ondelete="RESTRICT"), index=True
    )
    # 宣言: the public declaration that founds the region.
    declaration_text: Mapped[str] = mapped_column(Text, default="")
    declared_on: Mapped[date | None] = mapped_column(Date)
    # ビジョン: projects, division of roles (役割分担), implementation structure (実施体制).
    vision_text: Mapped[str | None] = mapped_column(Text)
    vision_adopted_on: Mapped[date | None] = mapped_column(Date)
    vision_version: Mapped[int] = mapped_column(Integer, default=0)
    # Invented for the demonstration (not the record's text), shown as such (migration 0030).
    declaration_demo: Mapped[bool] = mapped_column(Boolean, default=False, server_default="false")
    vision_demo: Mapped[bool] = mapped_column(Boolean, default=False, server_default="false")
    # Public pages that record the declaration (who declared, when): where a reader checks it.
    declaration_sources: Mapped[list[str]] = mapped_column(
        ARRAY(Text), default=list, server_default="{}"
    )
    search_terms: Mapped[list[str]] = mapped_column(ARRAY(Text), default=list)
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_by_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    updated_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class RegionMember(IdMixin, TimestampMixin, Base):
    """An organization's place in a region, from its invitation to its answer."""

    __tablename__ = "region_members"
    __table_args__ = (
        UniqueConstraint("region_id", "organization_id"),
        # A body signs on behalf of others (関西広域連合 for its 府県 and 政令市), never of itself,
        # and a member it represents did not sign in its own name.
        CheckConstraint(
            "represented_by_organization_id IS NULL OR (NOT is_signatory"
            " AND represented_by_organization_id <> organization_id)",
            name="represented_by_another",
        ),
    )

    region_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("regions.id", ondelete="CASCADE"))
    organization_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), index=True
    )
    role: Mapped[RegionRole] = mapped_column(str_enum(RegionRole, "region_role"))
    status: Mapped[ParticipationStatus] = mapped_column(
        str_enum(ParticipationStatus, "region_member_status")
    )
    # Signed the declaration (宣言) as a founding organization.
    is_signatory: Mapped[bool] = mapped_column(Boolean, default=False)
    # The body that signed the declaration on this member's behalf (a 広域連合 for its members, a
    # council for its constituents); the member confirms that it speaks for it.
    represented_by_organization_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("organizations.id", ondelete="SET NULL"), index=True
    )
    representation_confirmed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # An invented membership of the demonstration (the record does not name it).
    demo: Mapped[bool] = mapped_column(Boolean, default=False, server_default="false")
    invited_by_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    responded_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
