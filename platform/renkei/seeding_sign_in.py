"""Development only: seeded organizations sign in through a development OpenID provider.

`renkei run` starts oidc-provider-mock on loopback and registers it here, as each organization's
own provider, for the email domains of the organization's seeded people; a platform operator's
approval (recorded in each audit log as `development seed`) verifies those domains, as
`renkei operator verify-domain` would. The browser tests register their own provider the same
way. Never called outside development: the issuer must be a loopback http:// address.
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Iterable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import select

from renkei.crypto import SecretBox
from renkei.db import SessionFactory, unit_of_work
from renkei.email_domains import service as email_domains
from renkei.identity import providers
from renkei.identity.models import IdentityProvider, User
from renkei.identity.oidc import OidcClient
from renkei.identity.scopes import ALL_SCOPES
from renkei.organizations.models import Membership, Organization
from renkei.tenancy import MembershipRole, Viewer, set_viewer

logger = logging.getLogger(__name__)

APPROVED_BY = "development seed"


async def register_development_provider(
    sessions: SessionFactory,
    *,
    box: SecretBox,
    oidc: OidcClient,
    issuer: str,
    client_id: str,
    client_secret: str,
    slugs: Iterable[str] | None = None,
) -> list[str]:
    """Register `issuer` for each organization (all of them when `slugs` is None) that has none
    with that issuer yet, for its owner's email domain; return the domains now verified."""
    host = urlsplit(issuer).hostname
    if host not in ("127.0.0.1", "localhost", "::1"):
        raise ValueError("the development provider must listen on loopback")
    verified: list[str] = []
    async with unit_of_work(sessions, Viewer.platform()) as session:
        query = (
            select(Organization, Membership.role, User)
            .join(Membership, Membership.organization_id == Organization.id)
            .join(User, User.id == Membership.user_id)
            .order_by(Organization.slug, Membership.created_at)
        )
        if slugs is not None:
            query = query.where(Organization.slug.in_(list(slugs)))
        rows = (await session.execute(query)).all()
        registered = set(
            await session.scalars(
                select(IdentityProvider.organization_id).where(IdentityProvider.issuer == issuer)
            )
        )
        # The development provider on another port, from an earlier run: it no longer answers,
        # and sign-in would still offer it (the oldest enabled provider) beside the new one.
        stale: dict[uuid.UUID, list[uuid.UUID]] = {}
        for old in await session.scalars(
            select(IdentityProvider).where(
                IdentityProvider.client_id == client_id,
                IdentityProvider.issuer != issuer,
                IdentityProvider.enabled.is_(True),
            )
        ):
            if urlsplit(old.issuer).hostname in ("127.0.0.1", "localhost", "::1"):
                stale.setdefault(old.organization_id, []).append(old.id)
    people: dict[str, tuple[Organization, list[tuple[MembershipRole, User]]]] = {}
    for organization, role, user in rows:
        people.setdefault(organization.slug, (organization, []))[1].append((role, user))
    for organization, members in people.values():
        if organization.id in registered and organization.id not in stale:
            continue
        owner = next((u for r, u in members if r is MembershipRole.OWNER), None)
        if owner is None:
            continue
        # The owner's domain is the organization's own (pref-fukuoka.example); a member's
        # address elsewhere (demo@renkei.example) stays with its own organization.
        domains = [owner.email.rpartition("@")[2].lower()]
        viewer = Viewer(
            user_id=owner.id,
            email=owner.email,
            organization_id=organization.id,
            role=MembershipRole.OWNER,
            scopes=ALL_SCOPES,
        )
        async with unit_of_work(sessions, viewer) as session:
            for provider_id in stale.get(organization.id, []):
                await providers.update_provider(
                    session, viewer, box=box, provider_id=provider_id, enabled=False
                )
            if organization.id in registered:
                continue
            await providers.register_provider(
                session,
                viewer,
                box=box,
                oidc=oidc,
                organization_id=organization.id,
                settings=providers.ProviderSettings(
                    name="Development provider",
                    issuer=issuer,
                    client_id=client_id,
                    email_domains=domains,
                    jit_provisioning=True,
                    role_claim=None,
                    role_mapping={},
                    default_role=MembershipRole.MEMBER,
                ),
                client_secret=client_secret,
                allow_http_loopback=True,
            )
            await set_viewer(session, Viewer.platform())
            for domain in domains:
                await email_domains.approve(
                    session,
                    organization_id=organization.id,
                    domain=domain,
                    by=APPROVED_BY,
                    actor_user_id=None,
                )
        verified.extend(domains)
    logger.info("development sign-in registered", extra={"issuer": issuer, "domains": verified})
    return verified


# The personas the README introduces, first on the development provider's page.
PERSONAS = (
    "secretariat@kyushu-keizai.example",
    "ceo@aso-seimitsu.example",
    "pro@renkei.example",
    "admin@pref-fukuoka.example",
)


def seeded_people(directory: Path | None = None) -> list[tuple[str, str]]:
    """(email, name) of the seed's people (foundation.json, organizations.json and talent.json),
    the personas first: the development provider offers each of them as a one-click sign-in."""
    from renkei.seeding import SEED_DIR

    folder = directory or SEED_DIR
    found: dict[str, str] = {}

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            email, name = node.get("email"), node.get("display_name") or node.get("full_name")
            if isinstance(email, str) and isinstance(name, str):
                found.setdefault(email.lower(), name)
            for child in node.values():
                walk(child)
        elif isinstance(node, list):
            for child in node:
                walk(child)

    for name in ("foundation.json", "organizations.json", "talent.json"):
        path = folder / name
        if path.exists():
            walk(json.loads(path.read_text(encoding="utf-8")))
    order = {email: rank for rank, email in enumerate(PERSONAS)}
    return sorted(found.items(), key=lambda item: order.get(item[0], len(order)))


def seeded_professionals(directory: Path | None = None) -> list[str]:
    """The emails of talent.json's professionals (individuals, in no organization)."""
    from renkei.seeding import SEED_DIR

    path = (directory or SEED_DIR) / "talent.json"
    if not path.exists():
        return []
    talent = json.loads(path.read_text(encoding="utf-8"))
    return [str(p["email"]).lower() for p in talent.get("professionals", [])]


async def link_development_identities(
    sessions: SessionFactory, *, issuer: str, emails: Iterable[str]
) -> int:
    """Link the seed's professionals to the development platform provider (subject = email).

    The seed creates their accounts without any identity, and a provider may not claim an
    account that exists (renkei.identity.signin); in development the platform's operator does
    it here, as for the organizations' domains above. Idempotent; returns the new links."""
    from renkei.identity.models import UserIdentity
    from renkei.identity.repository import get_user_by_email, identity_of

    if urlsplit(issuer).hostname not in ("127.0.0.1", "localhost", "::1"):
        raise ValueError("the development provider must listen on loopback")
    linked = 0
    async with unit_of_work(sessions, Viewer.platform()) as session:
        for email in emails:
            user = await get_user_by_email(session, email)
            if user is None or user.is_service_account:
                continue
            if await identity_of(session, issuer=issuer, subject=email) is not None:
                continue
            if await email_domains.verified_by_anyone(session, email.rpartition("@")[2]):
                continue  # they sign in through their organization's provider
            session.add(
                UserIdentity(
                    id=uuid.uuid4(), user_id=user.id, provider_id=None, issuer=issuer, subject=email
                )
            )
            linked += 1
    logger.info("development identities linked", extra={"issuer": issuer, "linked": linked})
    return linked
