"""Organizations (the tenants), their members and invitations to join them."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from sqlalchemy import Boolean, DateTime, ForeignKey, Index, String, UniqueConstraint, text
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Mapped, mapped_column

from renkei.db import Base, IdMixin, TimestampMixin, str_enum
from renkei.i18n.messages import N_, label
from renkei.tenancy import MembershipRole


class OrganizationKind(StrEnum):
    """産官学金労言士: the kinds of organization that take part in region collaboration."""

    PREFECTURE = "PREFECTURE"
    MUNICIPALITY = "MUNICIPALITY"
    COMPANY = "COMPANY"
    UNIVERSITY = "UNIVERSITY"
    RESEARCH_INSTITUTE = "RESEARCH_INSTITUTE"
    FINANCIAL_INSTITUTION = "FINANCIAL_INSTITUTION"
    ECONOMIC_ORGANIZATION = "ECONOMIC_ORGANIZATION"
    NATIONAL_AGENCY = "NATIONAL_AGENCY"
    # 広域連合: a union of local governments for wide-area administration (e.g. 関西広域連合).
    WIDE_AREA_UNION = "WIDE_AREA_UNION"
    # 地方独立行政法人: an incorporated administrative agency set up by local governments
    # (公立大学法人, a prefecture's research institute); it has a 法人番号, not a 団体コード.
    LOCAL_INCORPORATED_AGENCY = "LOCAL_INCORPORATED_AGENCY"
    LABOR_ORGANIZATION = "LABOR_ORGANIZATION"
    MEDIA = "MEDIA"
    PROFESSIONAL_FIRM = "PROFESSIONAL_FIRM"
    NPO = "NPO"
    OTHER = "OTHER"

    @property
    def is_local_government(self) -> bool:
        return self in (OrganizationKind.PREFECTURE, OrganizationKind.MUNICIPALITY)

    @property
    def is_public(self) -> bool:
        """A public body: only a platform operator may vouch that an organization is one."""
        return self in PUBLIC_KINDS


PUBLIC_KINDS = frozenset(
    {
        OrganizationKind.PREFECTURE,
        OrganizationKind.MUNICIPALITY,
        OrganizationKind.NATIONAL_AGENCY,
        OrganizationKind.WIDE_AREA_UNION,
    }
)


# What people read for each kind (産官学金労言士); translate with _() where shown (kind_label).
ORGANIZATION_KINDS = {
    OrganizationKind.PREFECTURE: N_("prefecture"),
    OrganizationKind.MUNICIPALITY: N_("municipality"),
    OrganizationKind.COMPANY: N_("company"),
    OrganizationKind.UNIVERSITY: N_("university"),
    OrganizationKind.RESEARCH_INSTITUTE: N_("research institute"),
    OrganizationKind.FINANCIAL_INSTITUTION: N_("financial institution"),
    OrganizationKind.ECONOMIC_ORGANIZATION: N_("economic organization"),
    OrganizationKind.NATIONAL_AGENCY: N_("national agency"),
    OrganizationKind.WIDE_AREA_UNION: N_("wide-area union (広域連合)"),
    OrganizationKind.LOCAL_INCORPORATED_AGENCY: N_(
        "local incorporated administrative agency (地方独立行政法人)"
    ),
    OrganizationKind.LABOR_ORGANIZATION: N_("labor organization"),
    OrganizationKind.MEDIA: N_("media"),
    OrganizationKind.PROFESSIONAL_FIRM: N_("professional firm"),
    OrganizationKind.NPO: N_("nonprofit organization"),
    OrganizationKind.OTHER: N_("other"),
}


def kind_label(kind: str) -> str:
    """An organization kind as the reader reads it (an unknown code as it is)."""
    return label(ORGANIZATION_KINDS, kind)


class Verification(StrEnum):
    """Whether the platform vouches that an organization is who it says it is.

    Public bodies, and any organization claiming a code another one holds, start UNVERIFIED
    until a platform operator verifies them; an unverified organization may not sign a
    declaration or run a region, and two organizations never hold the same verified code."""

    UNVERIFIED = "UNVERIFIED"
    VERIFIED = "VERIFIED"


VERIFICATIONS = {
    Verification.UNVERIFIED: N_("not verified"),
    Verification.VERIFIED: N_("verified"),
}


def verification_label(verification: str) -> str:
    return label(VERIFICATIONS, verification)


class InvitationStatus(StrEnum):
    PENDING = "PENDING"
    ACCEPTED = "ACCEPTED"
    DECLINED = "DECLINED"
    REVOKED = "REVOKED"


INVITATION_STATUSES = {
    InvitationStatus.PENDING: N_("pending"),
    InvitationStatus.ACCEPTED: N_("accepted"),
    InvitationStatus.DECLINED: N_("declined"),
    InvitationStatus.REVOKED: N_("revoked"),
}


def invitation_status_label(status: str) -> str:
    return label(INVITATION_STATUSES, status)


_VERIFIED = text("verification = 'VERIFIED'")


class Organization(IdMixin, TimestampMixin, Base):
    __tablename__ = "organizations"
    __table_args__ = (
        # A code may be claimed by several organizations, but held by one verified organization.
        Index(
            "uq_organizations_verified_corporate_number",
            "corporate_number",
            unique=True,
            postgresql_where=_VERIFIED,
        ),
        Index(
            "uq_organizations_verified_local_government_code",
            "local_government_code",
            unique=True,
            postgresql_where=_VERIFIED,
        ),
    )

    slug: Mapped[str] = mapped_column(String(63), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[OrganizationKind] = mapped_column(str_enum(OrganizationKind, "organization_kind"))
    corporate_number: Mapped[str | None] = mapped_column(String(13), index=True)
    local_government_code: Mapped[str | None] = mapped_column(String(6), index=True)
    verification: Mapped[Verification] = mapped_column(
        str_enum(Verification, "organization_verification"),
        default=Verification.UNVERIFIED,
        server_default=Verification.UNVERIFIED.value,
    )
    verified_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # The language its people read when neither they nor their browser chose one (None: ja).
    default_locale: Mapped[str | None] = mapped_column(String(8))
    # Notification topics its people are emailed about at once whatever their preference
    # (renkei.notifications.topics; migration 0024): a sign-off request must not wait a day.
    required_email_topics: Mapped[list[str]] = mapped_column(
        ARRAY(String(64)), default=list, server_default="{}"
    )
    # Invented for the demonstration (a fictional firm of the seed), not a real organization.
    demo: Mapped[bool] = mapped_column(Boolean, default=False, server_default="false")
    # Who verified it: "operator:<email>", "cli:<login>" or "seed".
    verified_by: Mapped[str | None] = mapped_column(String(320))
    home_prefecture_code: Mapped[str] = mapped_column(ForeignKey("prefectures.code"), index=True)
    created_by_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    # "Members must sign in through our provider": acting for this organization needs a browser
    # session authenticated by one of its own identity providers.
    require_own_provider: Mapped[bool] = mapped_column(
        Boolean, default=False, server_default="false"
    )


class Membership(IdMixin, TimestampMixin, Base):
    __tablename__ = "memberships"
    __table_args__ = (UniqueConstraint("organization_id", "user_id"),)

    organization_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE")
    )
    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    role: Mapped[MembershipRole] = mapped_column(str_enum(MembershipRole, "membership_role"))


class Invitation(IdMixin, TimestampMixin, Base):
    __tablename__ = "invitations"
    __table_args__ = (
        Index(
            "uq_invitations_pending_email",
            "organization_id",
            "email",
            unique=True,
            postgresql_where=text("status = 'PENDING'"),
        ),
        Index("ix_invitations_email", "email"),
    )

    organization_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE")
    )
    email: Mapped[str] = mapped_column(String(320))
    role: Mapped[MembershipRole] = mapped_column(str_enum(MembershipRole, "invitation_role"))
    status: Mapped[InvitationStatus] = mapped_column(
        str_enum(InvitationStatus, "invitation_status"), default=InvitationStatus.PENDING
    )
    invited_by_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    responded_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
