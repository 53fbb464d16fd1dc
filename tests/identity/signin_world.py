"""Renkei wired for sign-in, with organizations A and B whose providers run on loopback."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx2
import pytest
from sqlalchemy import func, select

from factories import create_organization, create_user
from identity.browser import Browser
from identity.dns_server import DnsZone
from identity.oidc_provider import OidcProvider
from renkei.crypto import SecretBox
from renkei.db import SessionFactory, unit_of_work
from renkei.email_domains import service as email_domains
from renkei.email_domains.dns_challenge import DnsChallenge
from renkei.graphql.app import create_app
from renkei.graphql.auth import PlatformProvider, SignInConfig
from renkei.identity import providers
from renkei.identity.models import AuditEvent, BrowserSession, IdentityProvider, User
from renkei.identity.oidc import OidcClient
from renkei.identity.scopes import ALL_SCOPES
from renkei.identity.service import viewer_for
from renkei.identity.tokens import TokenService
from renkei.organizations.models import Membership, Organization, OrganizationKind
from renkei.tenancy import MembershipRole, Viewer

RENKEI = "http://renkei.test"


@dataclass
class World:
    app: httpx2.AsyncClient
    web: httpx2.AsyncClient
    sessions: SessionFactory
    config: SignInConfig
    org_a: Organization
    org_b: Organization
    provider_a: IdentityProvider
    provider_b: IdentityProvider

    def browser(self) -> Browser:
        """The test's browser: Renkei's cookies live in `app`, so there is one per test."""
        return Browser(self.app, self.web)

    def read_in(self, language: str) -> None:
        """From now on the test's requests ask for this language (Accept-Language)."""
        self.app.headers["Accept-Language"] = language

    async def count(self, model: Any, *where: Any) -> int:
        async with unit_of_work(self.sessions, Viewer.platform()) as session:
            return int(await session.scalar(select(func.count()).select_from(model).where(*where)))

    async def user(self, email: str) -> User | None:
        async with unit_of_work(self.sessions, Viewer.platform()) as session:
            return await session.scalar(select(User).where(User.email == email))

    async def audit(self, action: str = "sign_in") -> list[AuditEvent]:
        async with unit_of_work(self.sessions, Viewer.platform()) as session:
            rows = await session.scalars(
                select(AuditEvent)
                .where(AuditEvent.action == action)
                .order_by(AuditEvent.created_at)
            )
            return list(rows.all())

    async def memberships(self, email: str) -> dict[str, str]:
        async with unit_of_work(self.sessions, Viewer.platform()) as session:
            rows = await session.execute(
                select(Organization.slug, Membership.role)
                .join(Membership, Membership.organization_id == Organization.id)
                .join(User, User.id == Membership.user_id)
                .where(User.email == email)
            )
            return {slug: role.value for slug, role in rows.all()}

    async def sessions_of(self, email: str) -> int:
        user = await self.user(email)
        if user is None:
            return 0
        return await self.count(BrowserSession, BrowserSession.user_id == user.id)


async def register(
    sessions: SessionFactory,
    config: SignInConfig,
    organization: Organization,
    owner: User,
    provider: OidcProvider,
    *,
    client_id: str,
    domains: list[str],
    jit: bool = True,
    verify: bool = True,
) -> IdentityProvider:
    """Register the organization's provider as its owner; its domains are then approved by the
    platform (as an operator would) unless `verify` is False, leaving them PENDING."""
    async with sessions() as session, session.begin():
        viewer = await viewer_for(
            session, owner.id, organization_id=organization.id, scopes=ALL_SCOPES
        )
        row = await providers.register_provider(
            session,
            viewer,
            box=config.box,
            oidc=config.oidc,
            organization_id=organization.id,
            settings=providers.ProviderSettings(
                name=f"{organization.name}のID基盤",
                issuer=provider.issuer,
                client_id=client_id,
                email_domains=domains,
                jit_provisioning=jit,
                role_claim="groups",
                role_mapping={"renkei-admins": MembershipRole.ADMIN},
                default_role=MembershipRole.MEMBER,
            ),
            client_secret=provider.clients[client_id].client_secret,
            allow_http_loopback=True,
        )
    if verify:
        for domain in domains:
            await approve_domain(sessions, organization, domain)
    return row


async def approve_domain(sessions: SessionFactory, organization: Organization, domain: str) -> None:
    """What `renkei operator verify-domain` does."""
    async with unit_of_work(sessions, Viewer.platform()) as session:
        await email_domains.approve(
            session, organization_id=organization.id, domain=domain, by="test", actor_user_id=None
        )


def sign_in_config(
    platform: OidcProvider | None = None, dns: DnsZone | None = None
) -> SignInConfig:
    return SignInConfig(
        public_url=RENKEI,
        box=SecretBox({"test-key": os.urandom(32)}),
        oidc=OidcClient(min_refetch_gap=0),
        cookie_secret="a test cookie secret",
        secure_cookies=False,
        allow_http_loopback_issuers=True,
        platform_provider=PlatformProvider(
            platform.issuer, platform.client.client_id, platform.client.client_secret
        )
        if platform
        else None,
        dns=dns.challenge if dns else DnsChallenge(),
    )


@pytest.fixture
async def world(
    sessions: SessionFactory,
    tokens: TokenService,
    redis_url: str,
    provider_a: OidcProvider,
    provider_b: OidcProvider,
    dns_zone: DnsZone,
) -> AsyncIterator[World]:
    config = sign_in_config(dns=dns_zone)
    owner_a = await create_user(sessions, "owner@a.example")
    owner_b = await create_user(sessions, "owner@b.example")
    org_a = await create_organization(
        sessions, owner_a, slug="org-a", name="熊本精機", kind=OrganizationKind.COMPANY
    )
    org_b = await create_organization(
        sessions, owner_b, slug="org-b", name="福岡大学", kind=OrganizationKind.UNIVERSITY
    )
    row_a = await register(
        sessions, config, org_a, owner_a, provider_a, client_id="renkei-a", domains=["a.example"]
    )
    row_b = await register(
        sessions, config, org_b, owner_b, provider_b, client_id="renkei-b", domains=["b.example"]
    )
    app = create_app(
        sessions=sessions, tokens=tokens, redis_url=redis_url, development=True, sign_in=config
    )
    async with (
        httpx2.AsyncClient(transport=httpx2.ASGITransport(app=app), base_url=RENKEI) as http,
        httpx2.AsyncClient(timeout=5) as web,
    ):
        yield World(http, web, sessions, config, org_a, org_b, row_a, row_b)
