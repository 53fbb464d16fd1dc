"""Organizations' identity providers: registration by their admins, lookup for sign-in."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

from sqlalchemy.ext.asyncio import AsyncSession

from renkei import audit
from renkei.crypto import Sealed, SecretBox
from renkei.email_domains import service as email_domains
from renkei.email_domains.names import normalize_domain
from renkei.errors import Invalid, NotFound, Unauthenticated
from renkei.i18n.messages import _
from renkei.identity import repository
from renkei.identity.models import IdentityProvider, ProviderDomain
from renkei.identity.oidc import OidcClient, SignInError
from renkei.organizations import repository as organizations
from renkei.organizations.models import Organization
from renkei.tenancy import MembershipRole, Viewer, require_manager

# A provider maps its groups to these; ownership is only ever given inside Renkei.
MAPPABLE_ROLES = (MembershipRole.ADMIN, MembershipRole.MEMBER, MembershipRole.VIEWER)
_RANK = {
    MembershipRole.OWNER: 4,
    MembershipRole.ADMIN: 3,
    MembershipRole.MEMBER: 2,
    MembershipRole.VIEWER: 1,
}


def check_issuer(issuer: str, *, allow_http_loopback: bool) -> str:
    parts = urlsplit(issuer.strip())
    loopback = parts.hostname in ("127.0.0.1", "localhost", "::1")
    if parts.scheme != "https" and not (
        allow_http_loopback and parts.scheme == "http" and loopback
    ):
        raise Invalid(_("the issuer must be an https URL"), field="issuer")
    if parts.query or parts.fragment:
        raise Invalid(_("the issuer has no query or fragment"), field="issuer")
    return issuer.strip()


def check_role_mapping(mapping: Mapping[str, MembershipRole]) -> dict[str, str]:
    for value, role in mapping.items():
        if role not in MAPPABLE_ROLES:
            raise Invalid(
                _(
                    "{value} maps to {role}: providers may grant ADMIN, MEMBER or VIEWER; "
                    "owners are made inside Renkei",
                    value=repr(value),
                    role=role.value,
                ),
                field="roleMapping",
            )
    return {value: role.value for value, role in mapping.items()}


def mapped_role(provider: IdentityProvider, claims: Mapping[str, object]) -> MembershipRole:
    """The highest role that the provider's groups claim maps to; else the default role."""
    if not provider.role_claim:
        return provider.default_role
    value = claims.get(provider.role_claim)
    values = value if isinstance(value, list) else [value] if value is not None else []
    roles = [
        MembershipRole(provider.role_mapping[v])
        for v in map(str, values)
        if v in provider.role_mapping
    ]
    return max(roles, key=_RANK.__getitem__) if roles else provider.default_role


@dataclass(frozen=True)
class ProviderSettings:
    name: str
    issuer: str
    client_id: str
    email_domains: list[str]
    jit_provisioning: bool
    role_claim: str | None
    role_mapping: dict[str, MembershipRole]
    default_role: MembershipRole


async def register_provider(
    session: AsyncSession,
    viewer: Viewer,
    *,
    box: SecretBox,
    oidc: OidcClient,
    organization_id: uuid.UUID,
    settings: ProviderSettings,
    client_secret: str,
    allow_http_loopback: bool = False,
) -> IdentityProvider:
    """Register an organization's provider after reading its discovery document."""
    user_id = require_manager(viewer, organization_id, to=_("manage its identity providers"))
    issuer = check_issuer(settings.issuer, allow_http_loopback=allow_http_loopback)
    domains = sorted({normalize_domain(d) for d in settings.email_domains})
    if not domains:
        raise Invalid(
            _("name at least one email domain the provider vouches for"), field="emailDomains"
        )
    if not settings.client_id.strip() or not client_secret:
        raise Invalid(_("a client id and a client secret are needed"), field="clientId")
    if settings.default_role not in MAPPABLE_ROLES:
        raise Invalid(_("the default role is ADMIN, MEMBER or VIEWER"), field="defaultRole")
    mapping = check_role_mapping(settings.role_mapping)
    try:
        await oidc.metadata(issuer)
    except SignInError as exc:
        if exc.reason == "discovery_issuer_mismatch":
            raise Invalid(
                _(
                    "the provider at {issuer} names another issuer in its discovery document: "
                    "write the issuer exactly as it does",
                    issuer=issuer,
                ),
                field="issuer",
            ) from exc
        raise Invalid(
            _(
                "no OpenID provider answers at {url}",
                url=issuer.rstrip("/") + "/.well-known/openid-configuration",
            ),
            field="issuer",
        ) from exc
    provider = IdentityProvider(
        id=uuid.uuid4(),
        organization_id=organization_id,
        name=settings.name.strip() or issuer,
        issuer=issuer,
        client_id=settings.client_id.strip(),
        email_domains=domains,
        jit_provisioning=settings.jit_provisioning,
        role_claim=(settings.role_claim or "").strip() or None,
        role_mapping=mapping,
        default_role=settings.default_role,
        enabled=True,
        client_secret_ciphertext="",
        client_secret_key_id="",
    )
    sealed = box.seal(client_secret, context=str(provider.id))
    provider.client_secret_ciphertext = sealed.ciphertext
    provider.client_secret_key_id = sealed.key_id
    session.add(provider)
    await _claim_domains(session, provider, domains, user_id)
    audit.record(
        session,
        action=audit.PROVIDER_REGISTERED,
        organization_id=organization_id,
        actor_user_id=user_id,
        detail={"provider_id": str(provider.id), "issuer": issuer, "email_domains": domains},
    )
    await session.flush()
    return provider


async def _claim_domains(
    session: AsyncSession, provider: IdentityProvider, domains: list[str], actor: uuid.UUID
) -> None:
    """List the provider for each domain, and claim each for its organization. A claim starts
    PENDING: the provider vouches for nobody there until the organization proves the domain."""
    await session.flush()
    for domain in domains:
        session.add(
            ProviderDomain(
                domain=domain, provider_id=provider.id, organization_id=provider.organization_id
            )
        )
    await session.flush()
    await email_domains.claim_all(
        session, organization_id=provider.organization_id, domains=domains, actor_user_id=actor
    )


def client_secret(box: SecretBox, provider: IdentityProvider) -> str:
    return box.open(
        Sealed(provider.client_secret_key_id, provider.client_secret_ciphertext),
        context=str(provider.id),
    )


async def by_id(session: AsyncSession, provider_id: uuid.UUID) -> IdentityProvider | None:
    return await session.get(IdentityProvider, provider_id)


async def for_organization(
    session: AsyncSession, slug: str
) -> tuple[Organization, IdentityProvider | None] | None:
    """The organization of this slug and its oldest enabled provider, if it has one."""
    organization = await organizations.by_slug(session, slug)
    if organization is None:
        return None
    provider = await repository.first_enabled_provider(session, organization_id=organization.id)
    return organization, provider


async def require(session: AsyncSession, provider_id: uuid.UUID) -> IdentityProvider:
    provider = await by_id(session, provider_id)
    if provider is None:
        raise NotFound(_("no such identity provider"), field="id")
    return provider


async def update_provider(
    session: AsyncSession,
    viewer: Viewer,
    *,
    box: SecretBox,
    provider_id: uuid.UUID,
    name: str | None = None,
    enabled: bool | None = None,
    email_domains: list[str] | None = None,
    client_secret: str | None = None,
    jit_provisioning: bool | None = None,
    role_claim: str | None = None,
    role_mapping: Mapping[str, MembershipRole] | None = None,
    default_role: MembershipRole | None = None,
) -> IdentityProvider:
    """Change a provider; a new client secret is sealed with the current key."""
    if viewer.user_id is None:
        raise Unauthenticated(_("sign in first"))
    provider = await require(session, provider_id)  # RLS: only its organization's admins see it
    user_id = require_manager(
        viewer, provider.organization_id, to=_("manage its identity providers")
    )
    if name is not None:
        provider.name = name.strip() or provider.issuer
    if enabled is not None:
        provider.enabled = enabled
    if jit_provisioning is not None:
        provider.jit_provisioning = jit_provisioning
    if role_claim is not None:
        provider.role_claim = role_claim.strip() or None
    if role_mapping is not None:
        provider.role_mapping = check_role_mapping(role_mapping)
    if default_role is not None:
        if default_role not in MAPPABLE_ROLES:
            raise Invalid(_("the default role is ADMIN, MEMBER or VIEWER"), field="defaultRole")
        provider.default_role = default_role
    if client_secret is not None:
        if not client_secret:
            raise Invalid(_("the client secret cannot be empty"), field="clientSecret")
        sealed = box.seal(client_secret, context=str(provider.id))
        provider.client_secret_ciphertext = sealed.ciphertext
        provider.client_secret_key_id = sealed.key_id
    if email_domains is not None:
        domains = sorted({normalize_domain(d) for d in email_domains})
        if not domains:
            raise Invalid(_("name at least one email domain"), field="emailDomains")
        for claimed in await repository.provider_domains(session, provider_id=provider.id):
            await session.delete(claimed)
        provider.email_domains = domains
        await _claim_domains(session, provider, domains, user_id)
    audit.record(
        session,
        action=audit.PROVIDER_UPDATED,
        organization_id=provider.organization_id,
        actor_user_id=user_id,
        detail={
            "provider_id": str(provider.id),
            "secret_rotated": client_secret is not None,
            "enabled": provider.enabled,
        },
    )
    await session.flush()
    return provider
