"""Email domains an organization claims, and whether it has proved them."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from sqlalchemy import DateTime, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from renkei.db import Base, IdMixin, TimestampMixin, str_enum

# The DNS name an organization publishes its challenge at: `_renkei-challenge.<domain>` TXT.
CHALLENGE_LABEL = "_renkei-challenge"


class DomainClaimStatus(StrEnum):
    PENDING = "PENDING"
    VERIFIED = "VERIFIED"


class VerificationMethod(StrEnum):
    DNS = "DNS"
    OPERATOR = "OPERATOR"


class DomainClaim(IdMixin, TimestampMixin, Base):
    """An organization's claim to an email domain. Its providers vouch for addresses there only
    once it is VERIFIED: by a DNS TXT record holding `token`, or by a platform operator.

    Several organizations may each prove the same domain (a prefecture and its research institute
    sharing one directory); a PENDING claim vouches for nobody.
    """

    __tablename__ = "domain_claims"
    __table_args__ = (UniqueConstraint("organization_id", "domain"),)

    organization_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE")
    )
    domain: Mapped[str] = mapped_column(String(253), index=True)
    status: Mapped[DomainClaimStatus] = mapped_column(
        str_enum(DomainClaimStatus, "domain_claim_status"), default=DomainClaimStatus.PENDING
    )
    # What Renkei asks the organization to publish; not a secret (it is published in DNS).
    token: Mapped[str] = mapped_column(String(100))
    verification_method: Mapped[VerificationMethod | None] = mapped_column(
        str_enum(VerificationMethod, "domain_verification_method")
    )
    verified_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # Who verified it: the operator's email, `cli:<login>`, or `dns`.
    verified_by: Mapped[str | None] = mapped_column(String(320))
    last_checked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_check_error: Mapped[str | None] = mapped_column(String(300))
    claimed_by_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )

    @property
    def record_name(self) -> str:
        return f"{CHALLENGE_LABEL}.{self.domain}"
