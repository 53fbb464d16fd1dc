"""Every query of the identity domain."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from renkei.email_domains.models import DomainClaim, DomainClaimStatus
from renkei.identity.models import (
    ApiClient,
    AuditEvent,
    BrowserSession,
    IdentityProvider,
    ProviderDomain,
    User,
    UserIdentity,
)
from renkei.organizations.models import Membership, Organization
from renkei.tenancy import MembershipRole


async def get_user_by_email(session: AsyncSession, email: str) -> User | None:
    return await session.scalar(select(User).where(User.email == email.lower()))


async def role_in(
    session: AsyncSession, user_id: uuid.UUID, organization_id: uuid.UUID
) -> MembershipRole | None:
    return await session.scalar(
        select(Membership.role).where(
            Membership.user_id == user_id, Membership.organization_id == organization_id
        )
    )


async def users_by_ids(session: AsyncSession, ids: list[uuid.UUID]) -> list[User]:
    return list((await session.scalars(select(User).where(User.id.in_(ids)))).all())


def audit_events(organization_id: uuid.UUID) -> Select[AuditEvent]:
    return select(AuditEvent).where(AuditEvent.organization_id == organization_id)


async def identity_of(session: AsyncSession, *, issuer: str, subject: str) -> UserIdentity | None:
    """The identity an issuer knows by this subject, if it was linked to an account."""
    return await session.scalar(
        select(UserIdentity).where(UserIdentity.issuer == issuer, UserIdentity.subject == subject)
    )


async def browser_session(session: AsyncSession, *, secret_hash: str) -> BrowserSession | None:
    """The browser session whose secret hashes to this, live or not."""
    return await session.scalar(
        select(BrowserSession).where(BrowserSession.secret_hash == secret_hash)
    )


async def api_client(session: AsyncSession, *, client_id: str) -> ApiClient | None:
    """The client with this client id, revoked or not, as far as the viewer may see."""
    return await session.scalar(select(ApiClient).where(ApiClient.client_id == client_id))


async def api_clients_of(session: AsyncSession, *, organization_id: uuid.UUID) -> list[ApiClient]:
    """An organization's clients, oldest first; row-level security shows them to its admins."""
    rows = await session.scalars(
        select(ApiClient)
        .where(ApiClient.organization_id == organization_id)
        .order_by(ApiClient.created_at, ApiClient.id)
    )
    return list(rows.all())


def _vouching_providers(*columns: Any) -> Select[Any]:
    """Enabled providers joined to their domains that their organization has VERIFIED."""
    return (
        select(*columns)
        .select_from(IdentityProvider)
        .join(ProviderDomain, ProviderDomain.provider_id == IdentityProvider.id)
        .join(
            DomainClaim,
            (DomainClaim.organization_id == IdentityProvider.organization_id)
            & (DomainClaim.domain == ProviderDomain.domain),
        )
        .where(
            IdentityProvider.enabled.is_(True),
            DomainClaim.status == DomainClaimStatus.VERIFIED,
        )
    )


async def providers_vouching_for(
    session: AsyncSession, *, domain: str
) -> list[tuple[IdentityProvider, Organization]]:
    """Home-realm discovery (as the platform): the enabled providers configured for a domain by
    an organization that has VERIFIED it, with their organization, by its name."""
    rows = await session.execute(
        _vouching_providers(IdentityProvider, Organization)
        .join(Organization, Organization.id == IdentityProvider.organization_id)
        .where(ProviderDomain.domain == domain)
        .order_by(Organization.name)
    )
    return [(provider, organization) for provider, organization in rows.all()]


async def has_vouching_provider(session: AsyncSession, *, organization_id: uuid.UUID) -> bool:
    """Whether the organization has an enabled provider for a domain it has VERIFIED."""
    found = await session.scalar(
        _vouching_providers(IdentityProvider.id)
        .where(IdentityProvider.organization_id == organization_id)
        .limit(1)
    )
    return found is not None


async def first_enabled_provider(
    session: AsyncSession, *, organization_id: uuid.UUID
) -> IdentityProvider | None:
    """The organization's oldest enabled provider."""
    return await session.scalar(
        select(IdentityProvider)
        .where(
            IdentityProvider.organization_id == organization_id,
            IdentityProvider.enabled.is_(True),
        )
        .order_by(IdentityProvider.created_at)
        .limit(1)
    )


async def providers_of(
    session: AsyncSession, *, organization_ids: Sequence[uuid.UUID]
) -> list[IdentityProvider]:
    """The organizations' providers, oldest first."""
    rows = await session.scalars(
        select(IdentityProvider)
        .where(IdentityProvider.organization_id.in_(organization_ids))
        .order_by(IdentityProvider.created_at, IdentityProvider.id)
    )
    return list(rows.all())


async def provider_domains(
    session: AsyncSession, *, provider_id: uuid.UUID
) -> list[ProviderDomain]:
    """The domains a provider is configured for."""
    rows = await session.scalars(
        select(ProviderDomain).where(ProviderDomain.provider_id == provider_id)
    )
    return list(rows.all())


_ACT_AS = text(
    "SELECT email, role, deactivated, locale, organization_locale"
    " FROM renkei_act_as(CAST(:user_id AS uuid), CAST(:organization_id AS uuid))"
)
# A token a browser session handed out also asks whether that session lives (migration 0014):
# one lookup by primary key, in the same statement.
_ACT_AS_IN_SESSION = text(
    "SELECT email, role, deactivated, locale, organization_locale,"
    " renkei_session_live(CAST(:session_id AS uuid), CAST(:user_id AS uuid)) AS live"
    " FROM renkei_act_as(CAST(:user_id AS uuid), CAST(:organization_id AS uuid))"
)


@dataclass(frozen=True)
class ActingUser:
    """Who renkei_act_as found: their address, role, whether deactivated, saved locales."""

    email: str
    role: MembershipRole | None
    deactivated: bool
    locale: str | None
    organization_locale: str | None


class SessionEnded(Exception):
    """The browser session that handed out a token has ended (logout, expiry)."""


async def act_as(
    session: AsyncSession,
    user_id: uuid.UUID,
    organization_id: uuid.UUID | None,
    *,
    browser_session_id: uuid.UUID | None = None,
) -> ActingUser | None:
    """Set the user (and their role in the organization) as the transaction's viewer, reading
    them in the same statement (migrations 0007, 0019), or None.
    With `browser_session_id`, raise SessionEnded unless that session of the user is live."""
    parameters = {
        "user_id": str(user_id),
        "organization_id": str(organization_id) if organization_id else None,
    }
    if browser_session_id is None:
        row = (await session.execute(_ACT_AS, parameters)).first()
    else:
        parameters["session_id"] = str(browser_session_id)
        row = (await session.execute(_ACT_AS_IN_SESSION, parameters)).first()
        if row is not None and not row.live:
            raise SessionEnded
    if row is None:
        return None
    return ActingUser(
        email=row.email,
        role=MembershipRole(row.role) if row.role else None,
        deactivated=row.deactivated,
        locale=row.locale,
        organization_locale=row.organization_locale,
    )
