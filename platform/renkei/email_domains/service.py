"""Claiming and proving email domains. A provider vouches for addresses at a domain only while its
organization's claim to that domain is VERIFIED: by the DNS TXT record `_renkei-challenge.<domain>`
holding the claim's token, or by a platform operator's approval. Every step is audited.
"""

from __future__ import annotations

import secrets
import uuid
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from datetime import UTC, datetime

from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from renkei import audit, outbox
from renkei.email_domains import repository
from renkei.email_domains.dns_challenge import DnsChallenge
from renkei.email_domains.models import DomainClaim, DomainClaimStatus, VerificationMethod
from renkei.email_domains.names import normalize_domain
from renkei.errors import NotFound
from renkei.i18n.messages import _
from renkei.operators.service import require_operator
from renkei.organizations.models import Organization
from renkei.tenancy import Viewer, require_manager, set_viewer

# Audit actions and the outbox topic of this domain.
DOMAIN_CLAIMED = "email_domain_claimed"
DOMAIN_VERIFIED = "email_domain_verified"
DOMAIN_CLAIMED_ELSEWHERE = "email_domain_claimed_elsewhere"
CLAIMED_TOPIC = "email_domains.claimed"
TOKEN_PREFIX = "renkei-domain-verification="


def new_token() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(24)


@asynccontextmanager
async def as_platform(session: AsyncSession, viewer: Viewer) -> AsyncIterator[None]:
    """Write what only the platform may write (a claim's status), then act as `viewer` again.
    Callers have checked the viewer's right to cause it."""
    await set_viewer(session, Viewer.platform())
    try:
        yield
    finally:
        await set_viewer(session, viewer)


async def is_verified(session: AsyncSession, organization_id: uuid.UUID, domain: str) -> bool:
    """Whether the organization has proved the domain (as the platform or its managers)."""
    claim = await repository.find(session, organization_id=organization_id, domain=domain)
    return claim is not None and claim.status is DomainClaimStatus.VERIFIED


async def verified_by_anyone(session: AsyncSession, domain: str) -> bool:
    """Whether any organization has proved the domain (as the platform)."""
    return await repository.verified_claim_exists(session, domain=domain)


async def claim(
    session: AsyncSession,
    *,
    organization_id: uuid.UUID,
    domain: str,
    actor_user_id: uuid.UUID | None,
) -> DomainClaim:
    """The organization's claim to `domain` (normalized), made PENDING with a new challenge if it
    had none. A new claim tells the organizations that already have people there (outbox)."""
    found = await repository.find(session, organization_id=organization_id, domain=domain)
    if found is not None:
        return found
    claim_id = uuid.uuid4()
    # Two registrations at once may claim the same domain: the second finds the first's claim.
    # The table, not the class: the ORM's bulk INSERT reports no row count to tell the two apart.
    table = DomainClaim.__table__
    made = await session.scalar(
        insert(table)  # type: ignore[arg-type]
        .values(
            id=claim_id,
            organization_id=organization_id,
            domain=domain,
            status=DomainClaimStatus.PENDING,
            token=new_token(),
            claimed_by_id=actor_user_id,
            created_at=datetime.now(UTC),
        )
        .on_conflict_do_nothing(index_elements=["organization_id", "domain"])
        .returning(table.c.id)
    )
    row = await repository.find(session, organization_id=organization_id, domain=domain)
    assert row is not None
    if made is None:
        return row
    outbox.enqueue(
        session,
        CLAIMED_TOPIC,
        {
            "claim_id": str(row.id),
            "organization_id": str(organization_id),
            "domain": domain,
            "claimed_by": str(actor_user_id) if actor_user_id else None,
        },
    )
    audit.record(
        session,
        action=DOMAIN_CLAIMED,
        organization_id=organization_id,
        actor_user_id=actor_user_id,
        detail={"domain": domain, "record": row.record_name},
    )
    await session.flush()
    return row


async def claim_domain(
    session: AsyncSession, viewer: Viewer, *, organization_id: uuid.UUID, domain: str
) -> DomainClaim:
    """An admin claims a domain for their organization; it stays PENDING until proved."""
    user_id = require_manager(viewer, organization_id, to=_("claim email domains"))
    return await claim(
        session,
        organization_id=organization_id,
        domain=normalize_domain(domain, field="domain"),
        actor_user_id=user_id,
    )


async def claim_all(
    session: AsyncSession,
    *,
    organization_id: uuid.UUID,
    domains: Iterable[str],
    actor_user_id: uuid.UUID | None,
) -> list[DomainClaim]:
    return [
        await claim(session, organization_id=organization_id, domain=d, actor_user_id=actor_user_id)
        for d in domains
    ]


def _mark_verified(claim: DomainClaim, *, method: VerificationMethod, by: str) -> None:
    now = datetime.now(UTC)
    claim.status = DomainClaimStatus.VERIFIED
    claim.verification_method = method
    claim.verified_at = now
    claim.verified_by = by
    claim.last_check_error = None


async def check(
    session: AsyncSession, viewer: Viewer, *, claim_id: uuid.UUID, dns: DnsChallenge
) -> tuple[DomainClaim, str | None]:
    """Look up the claim's challenge record; VERIFIED when it holds the token. Returns the claim
    and, when it is still PENDING, what the lookup found instead."""
    row = await session.get(DomainClaim, claim_id)  # row-level security: its managers only
    if row is None:
        raise NotFound(_("no such domain claim"), field="id")
    user_id = require_manager(viewer, row.organization_id, to=_("verify its email domains"))
    if row.status is DomainClaimStatus.VERIFIED:
        return row, None
    values, problem = await dns.txt_values(row.record_name)
    found = row.token in values
    if not found and problem is None:
        problem = _("no TXT record at {name} holds this claim's challenge", name=row.record_name)
    async with as_platform(session, viewer):
        row.last_checked_at = datetime.now(UTC)
        if found:
            _mark_verified(row, method=VerificationMethod.DNS, by="dns")
            audit.record(
                session,
                action=DOMAIN_VERIFIED,
                organization_id=row.organization_id,
                actor_user_id=user_id,
                detail={"domain": row.domain, "method": VerificationMethod.DNS.value},
            )
        else:
            row.last_check_error = (problem or "")[:300]
        await session.flush()
    return row, problem


async def approve(
    session: AsyncSession,
    *,
    organization_id: uuid.UUID,
    domain: str,
    by: str,
    actor_user_id: uuid.UUID | None,
) -> DomainClaim:
    """A platform operator's approval (as the platform): the organization's claim, made if
    needed, becomes VERIFIED; recorded in the organization's audit log."""
    domain = normalize_domain(domain, field="domain")
    if await session.get(Organization, organization_id) is None:
        raise NotFound(_("no such organization"), field="organizationId")
    row = await claim(
        session, organization_id=organization_id, domain=domain, actor_user_id=actor_user_id
    )
    if row.status is not DomainClaimStatus.VERIFIED:
        _mark_verified(row, method=VerificationMethod.OPERATOR, by=by)
        audit.record(
            session,
            action=DOMAIN_VERIFIED,
            organization_id=organization_id,
            actor_user_id=actor_user_id,
            detail={"domain": domain, "method": VerificationMethod.OPERATOR.value, "by": by},
        )
        await session.flush()
    return row


async def verify_as_operator(
    session: AsyncSession, viewer: Viewer, *, organization_id: uuid.UUID, domain: str
) -> DomainClaim:
    """The operator-only mutation: approve an organization's domain without DNS."""
    operator_id = await require_operator(session, viewer)
    async with as_platform(session, viewer):
        return await approve(
            session,
            organization_id=organization_id,
            domain=domain,
            by=viewer.email or str(operator_id),
            actor_user_id=operator_id,
        )
