"""Completing a sign-in: link or create the user, in the provider's own organization only,
and the browser sessions that follow. Runs as the platform: nobody is signed in yet.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from renkei import audit
from renkei.email_domains import service as email_domains
from renkei.email_domains.names import normalize_domain
from renkei.errors import Invalid
from renkei.i18n.messages import _
from renkei.identity import repository
from renkei.identity.models import (
    BrowserSession,
    IdentityProvider,
    User,
    UserIdentity,
)
from renkei.identity.oidc import SignInError
from renkei.identity.providers import mapped_role
from renkei.identity.repository import get_user_by_email
from renkei.organizations import repository as organizations
from renkei.organizations.models import Membership
from renkei.tenancy import MembershipRole

SESSION_LIFETIME = timedelta(hours=12)


@dataclass(frozen=True)
class SignedIn:
    user: User
    organization_id: uuid.UUID | None
    role: MembershipRole | None
    provider_id: uuid.UUID | None = None


def _email(claims: Mapping[str, object]) -> str:
    email = claims.get("email")
    if not isinstance(email, str) or "@" not in email:
        raise SignInError("email_missing", _("the provider sent no email address"))
    if claims.get("email_verified") is False:
        raise SignInError(
            "email_not_verified", _("the provider has not verified {email}", email=email)
        )
    return email.strip().lower()


async def complete_sign_in(
    session: AsyncSession,
    *,
    issuer: str,
    claims: Mapping[str, object],
    provider: IdentityProvider | None,
) -> SignedIn:
    """The user behind verified ID token claims; `provider` None is the platform's own provider
    for individual professionals, which gives a personal account and no membership."""
    email = _email(claims)
    subject = str(claims["sub"])
    try:
        domain = normalize_domain(email.rpartition("@")[2])
    except Invalid as exc:
        raise SignInError(
            "email_invalid", _("{email} is not an email address", email=email)
        ) from exc
    identity = await repository.identity_of(session, issuer=issuer, subject=subject)
    user = await session.get(User, identity.user_id) if identity else None
    if user is None:
        # Linked by (issuer, subject) only: an account that exists is reached through an identity
        # it has, or through its own organization's provider for a domain that organization has
        # proved. Any other provider naming its address is refused, whatever it claims.
        existing = await get_user_by_email(session, email)
        if existing is not None:
            if existing.is_service_account:
                raise SignInError("service_account", _("a service account cannot sign in"))
            if not await _may_link(session, existing, provider, domain):
                raise SignInError(
                    "account_exists_elsewhere",
                    _(
                        "an account for {email} already exists and signs in another way: "
                        "use the sign-in it has, or ask its organization's administrator",
                        email=email,
                    ),
                )
            user = existing
    await _check_vouched(session, provider, domain)
    if user is None:
        if provider is not None and not provider.jit_provisioning:
            raise SignInError(
                "not_a_member", _("{email} has no access yet: ask an administrator", email=email)
            )
        name = claims.get("name")
        user = User(id=uuid.uuid4(), email=email, display_name=str(name or email.split("@")[0]))
        session.add(user)
        # Written before the rows that name it: nothing tells the flush that they depend on it.
        await session.flush()
    if user.is_service_account:
        raise SignInError("service_account", _("a service account cannot sign in"))
    role = await _membership(session, user, provider, claims) if provider else None
    now = datetime.now(UTC)
    if identity is None:
        identity = UserIdentity(
            id=uuid.uuid4(),
            user_id=user.id,
            provider_id=provider.id if provider else None,
            issuer=issuer,
            subject=subject,
        )
        session.add(identity)
    identity.last_sign_in_at = now
    organization_id = provider.organization_id if provider else None
    audit.record(
        session,
        action=audit.SIGN_IN,
        organization_id=organization_id,
        actor_user_id=user.id,
        detail={"issuer": issuer, "provider_id": str(provider.id) if provider else None},
    )
    await session.flush()
    return SignedIn(
        user=user,
        organization_id=organization_id,
        role=role,
        provider_id=provider.id if provider else None,
    )


async def _may_link(
    session: AsyncSession, user: User, provider: IdentityProvider | None, domain: str
) -> bool:
    """Whether a new identity from `provider` may join this existing account: only its own
    organization's provider, for a domain that organization has VERIFIED."""
    if provider is None or domain not in provider.email_domains:
        return False
    if not await email_domains.is_verified(session, provider.organization_id, domain):
        return False
    member = await organizations.membership_of(session, provider.organization_id, user.id)
    return member is not None


async def _check_vouched(
    session: AsyncSession, provider: IdentityProvider | None, domain: str
) -> None:
    if provider is not None:
        if domain not in provider.email_domains or not await email_domains.is_verified(
            session, provider.organization_id, domain
        ):
            raise SignInError(
                "email_domain_not_vouched",
                _(
                    "{provider} does not vouch for addresses at {domain}: its organization "
                    "has not verified that domain",
                    provider=provider.name,
                    domain=domain,
                ),
            )
    elif await email_domains.verified_by_anyone(session, domain):
        # A domain an organization has proved signs in through that organization's provider: the
        # platform's provider cannot sign its people in (and then switch into it).
        raise SignInError(
            "email_domain_not_vouched",
            _("addresses at {domain} sign in through their organization's provider", domain=domain),
        )


async def _membership(
    session: AsyncSession,
    user: User,
    provider: IdentityProvider,
    claims: Mapping[str, object],
) -> MembershipRole:
    """Create or update the membership in the provider's organization, and no other."""
    await session.flush()
    membership = await organizations.membership_of(session, provider.organization_id, user.id)
    role = mapped_role(provider, claims)
    if membership is None:
        if not provider.jit_provisioning:
            raise SignInError(
                "not_a_member",
                _("{email} is not a member yet: ask for an invitation", email=user.email),
            )
        membership = Membership(
            id=uuid.uuid4(), organization_id=provider.organization_id, user_id=user.id, role=role
        )
        session.add(membership)
    elif (
        provider.role_claim
        and membership.role is not MembershipRole.OWNER
        and membership.role != role
    ):
        before = membership.role
        membership.role = role
        audit.record(
            session,
            action=audit.ROLE_CHANGED,
            organization_id=provider.organization_id,
            actor_user_id=user.id,
            detail={"by": "identity_provider", "before": before.value, "after": role.value},
        )
    return membership.role


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


@dataclass(frozen=True)
class NewSession:
    row: BrowserSession
    secret: str


async def start_session(
    session: AsyncSession,
    *,
    user_id: uuid.UUID,
    organization_id: uuid.UUID | None,
    provider_id: uuid.UUID | None = None,
) -> NewSession:
    """A session acting for `organization_id`, which is also the organization that
    authenticated it (with `provider_id`); both None for the platform's provider."""
    secret = secrets.token_urlsafe(32)
    row = BrowserSession(
        id=uuid.uuid4(),
        secret_hash=_digest(secret),
        user_id=user_id,
        organization_id=organization_id,
        authenticated_organization_id=organization_id,
        identity_provider_id=provider_id,
        expires_at=datetime.now(UTC) + SESSION_LIFETIME,
    )
    session.add(row)
    await session.flush()
    return NewSession(row=row, secret=secret)


async def find_session(session: AsyncSession, secret: str) -> BrowserSession | None:
    """The live session a cookie's secret opens (as the platform), or None."""
    row = await repository.browser_session(session, secret_hash=_digest(secret))
    if row is None or row.revoked_at is not None or row.expires_at <= datetime.now(UTC):
        return None
    return row


def csrf_token(secret: str, key: str) -> str:
    """The session's CSRF token: derived from its secret, so it is stable across tabs and
    nothing more is stored; a page reads it from /auth/session and sends it as X-CSRF-Token."""
    return hmac.new(key.encode(), secret.encode(), hashlib.sha256).hexdigest()


def csrf_matches(secret: str, token: str | None, key: str) -> bool:
    return token is not None and hmac.compare_digest(csrf_token(secret, key), token)


def revoke_session(row: BrowserSession) -> None:
    row.revoked_at = datetime.now(UTC)
