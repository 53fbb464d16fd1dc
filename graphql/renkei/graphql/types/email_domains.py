"""Email domains an organization claims, with the challenge that proves each."""

from __future__ import annotations

from datetime import datetime

import strawberry

from renkei.email_domains import models
from renkei.graphql.compiled.spec import Inline, Scalar, column, computed, table
from renkei.graphql.enums import described_enum
from renkei.graphql.relay import to_global_id

DomainClaimStatus = described_enum(
    models.DomainClaimStatus,
    description="PENDING vouches for nobody; VERIFIED lets the organization's providers sign in "
    "people at the domain.",
    values={
        "PENDING": "Claimed, not yet proven: the organization's providers vouch for nobody there.",
        "VERIFIED": "Proven (DNS record or operator): its providers sign in people at the domain.",
    },
)
DomainVerificationMethod = described_enum(
    models.VerificationMethod,
    name="DomainVerificationMethod",
    description="How an organization proved that an email domain is its own.",
    values={
        "DNS": "A TXT record holding the claim's token was found in the domain's DNS.",
        "OPERATOR": "A platform operator checked the claim by other means and verified it.",
    },
)


@table(models.DomainClaim)
@strawberry.type(description="The DNS record that proves a domain: publish it, then check it.")
class DomainChallenge:
    row: strawberry.Private[models.DomainClaim]
    record_name: str = computed(
        Scalar(f"'{models.CHALLENGE_LABEL}.' || {{t}}.domain"),
        lambda row: row.record_name,
        description="e.g. _renkei-challenge.pref-fukuoka.example",
    )
    record_type: str = computed(Scalar("'TXT'::text"), lambda row: "TXT", description="Always TXT.")
    value: str = column(models.DomainClaim.token, description="The TXT record's exact value.")


@table(models.DomainClaim)
@strawberry.type(
    description="An organization's claim to an email domain. Its identity providers vouch for "
    "addresses there only once it is VERIFIED (by the DNS challenge or a platform operator)."
)
class DomainClaim:
    id: strawberry.ID = strawberry.field(description="The claim's id (for checkEmailDomain).")
    row: strawberry.Private[models.DomainClaim]
    domain: str = column(
        models.DomainClaim.domain,
        description="The email domain claimed, e.g. pref.fukuoka.lg.jp.",
    )
    status: DomainClaimStatus = column(  # type: ignore[valid-type]
        models.DomainClaim.status,
        description="PENDING until proven, then VERIFIED.",
    )

    challenge: DomainChallenge = computed(
        Inline("DomainChallenge"),
        lambda row: DomainChallenge(row=row),
        description="The DNS TXT record that proves the domain.",
    )
    verification_method: DomainVerificationMethod | None = column(  # type: ignore[valid-type]
        models.DomainClaim.verification_method,
        description="How it was proven: DNS or OPERATOR; null while PENDING.",
    )
    verified_at: datetime | None = column(
        models.DomainClaim.verified_at,
        description="When it was verified; null while PENDING.",
    )
    last_checked_at: datetime | None = column(
        models.DomainClaim.last_checked_at,
        description="When its DNS record was last looked up; null if never.",
    )
    last_check_error: str | None = column(
        models.DomainClaim.last_check_error,
        description="What the last DNS check found instead of the challenge.",
    )
    created_at: datetime = column(
        models.DomainClaim.created_at,
        description="When it was claimed.",
    )

    @classmethod
    def from_row(cls, row: models.DomainClaim) -> DomainClaim:
        return cls(id=to_global_id("DomainClaim", row.id), row=row)
