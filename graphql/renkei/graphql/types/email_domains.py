"""Email domains an organization claims, with the challenge that proves each."""

from __future__ import annotations

from datetime import datetime

import strawberry

from renkei.email_domains import models
from renkei.graphql.relay import to_global_id

DomainClaimStatus = strawberry.enum(
    models.DomainClaimStatus,
    description="PENDING vouches for nobody; VERIFIED lets the organization's providers sign in "
    "people at the domain.",
)
DomainVerificationMethod = strawberry.enum(
    models.VerificationMethod, name="DomainVerificationMethod"
)


@strawberry.type(description="The DNS record that proves a domain: publish it, then check it.")
class DomainChallenge:
    record_name: str = strawberry.field(description="e.g. _renkei-challenge.pref-fukuoka.example")
    record_type: str = strawberry.field(description="Always TXT.")
    value: str = strawberry.field(description="The TXT record's exact value.")


@strawberry.type(
    description="An organization's claim to an email domain. Its identity providers vouch for "
    "addresses there only once it is VERIFIED (by the DNS challenge or a platform operator)."
)
class DomainClaim:
    id: strawberry.ID
    domain: str
    status: DomainClaimStatus  # type: ignore[valid-type]
    challenge: DomainChallenge
    verification_method: DomainVerificationMethod | None  # type: ignore[valid-type]
    verified_at: datetime | None
    last_checked_at: datetime | None
    last_check_error: str | None = strawberry.field(
        description="What the last DNS check found instead of the challenge."
    )
    created_at: datetime

    @classmethod
    def from_row(cls, row: models.DomainClaim) -> DomainClaim:
        return cls(
            id=to_global_id("DomainClaim", row.id),
            domain=row.domain,
            status=row.status,
            challenge=DomainChallenge(
                record_name=row.record_name, record_type="TXT", value=row.token
            ),
            verification_method=row.verification_method,
            verified_at=row.verified_at,
            last_checked_at=row.last_checked_at,
            last_check_error=row.last_check_error,
            created_at=row.created_at,
        )
