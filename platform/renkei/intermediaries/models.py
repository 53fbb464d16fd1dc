"""Intermediaries: organizations that introduce professionals to firms' needs.

Most side-job placements are made through an intermediary: the prefecture's
プロフェッショナル人材戦略拠点 (STRATEGY_HUB), a licensed 有料職業紹介事業者
(PLACEMENT_AGENCY, with its 許可番号), a regional bank introducing its clients' needs (BANK),
or REVICareer (REVIC's 人材プラットフォーム). An `Intermediary` row says that an organization
acts in one such role; only a platform operator registers one (an organization never declares
itself a 拠点), and a registration is withdrawn, never deleted, so that the matches it
introduced keep their record.

A professional who is registered with an intermediary in real life authorizes it in Renkei
(`IntermediaryAuthorization`); the intermediary may then introduce them to an open need. The
match records the introducing organization and its role, which the subsidy rules read.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, DateTime, ForeignKey, Index, String, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from renkei.db import Base, IdMixin, TimestampMixin, str_enum
from renkei.i18n.messages import N_, label


class IntermediaryRole(StrEnum):
    """The role in which an organization introduces professionals (matches.introduced_via)."""

    STRATEGY_HUB = "STRATEGY_HUB"  # the prefecture's プロフェッショナル人材戦略拠点
    PLACEMENT_AGENCY = "PLACEMENT_AGENCY"  # a licensed 有料職業紹介事業者
    BANK = "BANK"  # a regional bank introducing
    REVICAREER = "REVICAREER"  # REVIC's 人材プラットフォーム


# What people read for each role; translate with _() where shown (role_label).
INTERMEDIARY_ROLES = {
    IntermediaryRole.STRATEGY_HUB: N_(
        "professional talent strategy hub (プロフェッショナル人材戦略拠点)"
    ),
    IntermediaryRole.PLACEMENT_AGENCY: N_("licensed placement agency (有料職業紹介事業者)"),
    IntermediaryRole.BANK: N_("regional bank"),
    IntermediaryRole.REVICAREER: N_("REVICareer"),
}


def role_label(role: str) -> str:
    """A role as the reader reads it (an unknown code as it is)."""
    return label(INTERMEDIARY_ROLES, role)


class Intermediary(IdMixin, TimestampMixin, Base):
    """An organization registered, by a platform operator, as an intermediary of one role."""

    __tablename__ = "intermediaries"
    __table_args__ = (
        UniqueConstraint("organization_id", "role"),
        # A 拠点 is a prefecture's; an agency holds a 許可番号 (e.g. 13-ユ-123456).
        CheckConstraint(
            "role <> 'STRATEGY_HUB' OR prefecture_code IS NOT NULL", name="hub_prefecture"
        ),
        CheckConstraint(
            "role <> 'PLACEMENT_AGENCY' OR license_number IS NOT NULL", name="agency_license"
        ),
        # One registered 拠点 per prefecture, one agency per 許可番号, while registered.
        Index(
            "uq_intermediaries_hub_prefecture",
            "prefecture_code",
            unique=True,
            postgresql_where=text("role = 'STRATEGY_HUB' AND withdrawn_at IS NULL"),
        ),
        Index(
            "uq_intermediaries_license_number",
            "license_number",
            unique=True,
            postgresql_where=text("withdrawn_at IS NULL"),
        ),
    )

    organization_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), index=True
    )
    role: Mapped[IntermediaryRole] = mapped_column(str_enum(IntermediaryRole, "intermediary_role"))
    # The prefecture a 拠点 serves (a bank's or an agency's area, when given).
    prefecture_code: Mapped[str | None] = mapped_column(ForeignKey("prefectures.code"))
    # 有料職業紹介事業 許可番号, e.g. 13-ユ-123456.
    license_number: Mapped[str | None] = mapped_column(String(32))
    # Where the registration can be checked (a prefecture's page, the MHLW 人材サービス総合サイト).
    source_url: Mapped[str] = mapped_column(String(2048), default="", server_default="")
    # Who registered it: "operator:<email>", "cli:<login>" or "seed".
    registered_by: Mapped[str] = mapped_column(String(320))
    withdrawn_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    withdrawn_by: Mapped[str | None] = mapped_column(String(320))

    @property
    def active(self) -> bool:
        return self.withdrawn_at is None


class IntermediaryAuthorization(IdMixin, TimestampMixin, Base):
    """A professional lets an intermediary organization introduce them to needs."""

    __tablename__ = "intermediary_authorizations"
    __table_args__ = (
        UniqueConstraint("professional_id", "organization_id"),
        Index("ix_intermediary_authorizations_organization_id", "organization_id"),
    )

    professional_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("professionals.id", ondelete="CASCADE")
    )
    # The intermediary's organization.
    organization_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE")
    )
    # How the intermediary knows them (their registration number there): Renkei shows the
    # intermediary the pseudonymous profile and this, never the name or contact.
    reference: Mapped[str] = mapped_column(String(64), default="", server_default="")
    withdrawn_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    @property
    def active(self) -> bool:
        return self.withdrawn_at is None
