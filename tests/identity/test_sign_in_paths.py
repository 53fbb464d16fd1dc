"""Sign-in paths beyond the everyday one: a provider we did not write, members only (no
just-in-time membership), individual professionals, service accounts, and roles that follow the
provider's groups."""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx2
import pytest

from factories import act_as, add_member, create_organization, create_user, graphql, token_for
from identity.browser import Browser
from identity.oidc_provider import OidcProvider
from identity.signin_world import RENKEI, World, approve_domain
from renkei.db import unit_of_work
from renkei.graphql.app import create_app
from renkei.graphql.auth import PlatformProvider
from renkei.graphql.relay import to_global_id
from renkei.identity import clients
from renkei.identity.models import BrowserSession, User, UserIdentity
from renkei.identity.tokens import TokenService
from renkei.tenancy import MembershipRole

VIEWER = """
{
  viewer {
    user { email memberships(first: 10) { nodes { role organization { slug } } } }
    role
    actingOrganization { slug }
  }
}
"""

REGISTER = """
mutation Register($input: RegisterIdentityProviderInput!) {
  registerIdentityProvider(input: $input) {
    identityProvider { id redirectUri }
    userErrors { field code message }
  }
}
"""

UPDATE = """
mutation Update($input: UpdateIdentityProviderInput!) {
  updateIdentityProvider(input: $input) {
    identityProvider { jitProvisioning defaultRole }
    userErrors { field code message }
  }
}
"""


async def as_browser(browser: Browser, query: str) -> dict[str, Any]:
    """A GraphQL request from the signed-in page: its cookie and its CSRF token."""
    csrf = (await browser.get("/auth/session")).json()["csrfToken"]
    response = await browser.post("/graphql", json={"query": query}, headers={"X-CSRF-Token": csrf})
    assert response.status_code == 200, response.text
    return response.json()


async def owner_of_a(world: World) -> User:
    owner = await world.user("owner@a.example")
    assert owner is not None
    return owner


async def update_provider_a(world: World, tokens: TokenService, **fields: Any) -> None:
    """A's owner changes A's provider through the API."""
    body = await graphql(
        world.app,
        UPDATE,
        {"input": {"id": to_global_id("IdentityProvider", world.provider_a.id), **fields}},
        token=token_for(tokens, await owner_of_a(world), world.org_a),
    )
    assert body["data"]["updateIdentityProvider"]["userErrors"] == []


async def failures(world: World) -> list[tuple[str | None, uuid.UUID | None]]:
    return [(e.reason, e.organization_id) for e in await world.audit() if e.outcome == "failure"]


# -- a provider we did not write ----------------------------------------------------------------


@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # authlib's, inside the package
async def test_a_person_signs_in_through_oidc_provider_mock(world, tokens, oidc_mock):
    # given a firm that registers oidc-provider-mock (no RFC 9207 `iss`, `aud` as a list)
    owner = await create_user(world.sessions, "owner@mock-firm.example")
    firm = await create_organization(world.sessions, owner, slug="mock-firm", name="模擬商事")
    registered = await graphql(
        world.app,
        REGISTER,
        {
            "input": {
                "organizationId": to_global_id("Organization", firm.id),
                "name": "oidc-provider-mock",
                "issuer": oidc_mock.issuer,
                "clientId": "renkei-mock-firm",
                "clientSecret": "any secret will do",
                "emailDomains": ["mock-firm.example"],
            }
        },
        token=token_for(tokens, owner, firm),
    )
    assert registered["data"]["registerIdentityProvider"]["userErrors"] == []
    await approve_domain(world.sessions, firm, "mock-firm.example")
    subject = f"carol-{uuid.uuid4().hex[:8]}"
    oidc_mock.add_user(subject, "carol@mock-firm.example", name="Carol")
    browser = world.browser()
    # when she starts, consents on the provider's form, and is sent back
    start = await browser.get("/auth/login?email=carol@mock-firm.example")
    form = await browser.follow(start)
    back = await oidc_mock.consent(browser, form, subject)
    page = await browser.follow(back)
    # then she is signed in as a new MEMBER of the firm
    assert form.status_code == 200 and form.url.host == "127.0.0.1"
    assert page.status_code == 200, page.text
    assert "模擬商事のcarol@mock-firm.exampleとしてサインインしています。" in page.text
    assert (await as_browser(browser, VIEWER))["data"]["viewer"] == {
        "user": {
            "email": "carol@mock-firm.example",
            "memberships": {"nodes": [{"role": "MEMBER", "organization": {"slug": "mock-firm"}}]},
        },
        "role": "MEMBER",
        "actingOrganization": {"slug": "mock-firm"},
    }
    [event] = await world.audit()
    assert (event.outcome, event.organization_id) == ("success", firm.id)


async def test_an_address_that_is_no_address_is_refused(world, provider_a):
    # given A's provider asserting an address without a proper domain
    provider_a.add_user("alice-1", "alice@a.example")
    provider_a.misbehave(email="alice@localhost")
    # when
    page = await world.browser().visit("/auth/login?email=alice@a.example")
    # then
    assert page.status_code == 400
    assert "alice@localhost はメールアドレスではありません。" in page.text
    assert await world.count(UserIdentity) == 0
    assert await failures(world) == [("email_invalid", world.org_a.id)]


# -- members only ------------------------------------------------------------------------------


async def test_without_just_in_time_membership_a_stranger_is_refused(world, tokens, provider_a):
    # given A admits only its members, and dora is none
    await update_provider_a(world, tokens, jitProvisioning=False)
    provider_a.add_user("dora-1", "dora@a.example")
    # when
    page = await world.browser().visit("/auth/login?email=dora@a.example")
    # then
    assert page.status_code == 400
    assert (
        "dora@a.example にはまだ利用権限がありません。管理者に問い合わせてください。" in page.text
    )
    assert await world.user("dora@a.example") is None
    assert await world.count(UserIdentity) == 0
    assert await world.count(BrowserSession) == 0
    assert await failures(world) == [("not_a_member", world.org_a.id)]


async def test_without_just_in_time_membership_another_organization_s_member_is_refused(
    world, tokens, provider_a
):
    # given erin, a user already (of B), but not a member of A
    erin = await create_user(world.sessions, "erin@a.example")
    owner_b = await world.user("owner@b.example")
    assert owner_b is not None
    await add_member(world.sessions, world.org_b, owner_b, erin)
    await update_provider_a(world, tokens, jitProvisioning=False)
    provider_a.add_user("erin-1", "erin@a.example")
    # when
    page = await world.browser().visit("/auth/login?email=erin@a.example")
    # then she does not become a member of A, and nothing is linked: her account is reached
    # only through an identity it has, or through a provider of an organization she is in
    assert page.status_code == 400
    assert await world.memberships("erin@a.example") == {"org-b": "MEMBER"}
    assert await world.count(UserIdentity) == 0
    assert await failures(world) == [("account_exists_elsewhere", world.org_a.id)]


async def test_without_just_in_time_membership_an_invited_member_signs_in(
    world, tokens, provider_a
):
    # given dora, invited to A as an ADMIN (and accepted) before she ever signed in
    dora = await create_user(world.sessions, "dora@a.example")
    await add_member(
        world.sessions, world.org_a, await owner_of_a(world), dora, MembershipRole.ADMIN
    )
    await update_provider_a(world, tokens, jitProvisioning=False, roleClaim="")
    provider_a.add_user("dora-1", "DORA@a.example")
    # when
    browser = world.browser()
    page = await browser.visit("/auth/login?email=dora@a.example")
    # then her account is linked to the provider's, with the role she was invited with
    assert page.status_code == 200, page.text
    identities = await world.count(UserIdentity, UserIdentity.user_id == dora.id)
    assert identities == 1
    assert await world.sessions_of("dora@a.example") == 1
    viewer = (await as_browser(browser, VIEWER))["data"]["viewer"]
    assert (viewer["role"], viewer["actingOrganization"]) == ("ADMIN", {"slug": "org-a"})


# -- individual professionals -----------------------------------------------------------------


@pytest.fixture
async def platform_world(
    world: World, tokens: TokenService, redis_url: str, provider_b: OidcProvider
) -> AsyncIterator[World]:
    """The world, where the operator also configured provider_b for individual professionals."""
    config = dataclasses.replace(
        world.config,
        platform_provider=PlatformProvider(
            provider_b.issuer, provider_b.client.client_id, provider_b.client.client_secret
        ),
    )
    app = create_app(
        sessions=world.sessions,
        tokens=tokens,
        redis_url=redis_url,
        development=True,
        sign_in=config,
    )
    async with httpx2.AsyncClient(transport=httpx2.ASGITransport(app=app), base_url=RENKEI) as http:
        yield dataclasses.replace(world, app=http, config=config)


async def test_an_individual_professional_gets_a_personal_account(platform_world, provider_b):
    # given a freelancer known to the platform's provider only
    world = platform_world
    provider_b.add_user("pat-1", "pat@freelance.example", name="フリー 太郎")
    browser = world.browser()
    world.read_in("en")
    # when
    page = await browser.visit("/auth/login?personal=1")
    # then a personal account: no organization, no membership
    assert page.status_code == 200, page.text
    assert "You are signed in as pat@freelance.example." in page.text
    assert provider_b.authorize_requests[-1]["redirect_uri"] == f"{RENKEI}/auth/callback/_personal"
    assert (await as_browser(browser, VIEWER))["data"]["viewer"] == {
        "user": {"email": "pat@freelance.example", "memberships": {"nodes": []}},
        "role": None,
        "actingOrganization": None,
    }
    assert await world.memberships("pat@freelance.example") == {}
    [event] = await world.audit()
    assert (event.outcome, event.organization_id) == ("success", None)


async def test_personal_sign_in_needs_a_platform_provider(world):
    # when
    page = await world.app.get("/auth/login?personal=1")
    # then
    assert page.status_code == 404
    assert "この Renkei には個人向けの ID プロバイダーがありません。" in page.text


async def test_the_platform_provider_cannot_vouch_for_an_organization_s_domain(
    platform_world, provider_b, sessions
):
    # given alice, ADMIN of A, whose addresses only A's provider vouches for
    world = platform_world
    alice = await create_user(sessions, "alice@a.example")
    await add_member(sessions, world.org_a, await owner_of_a(world), alice, MembershipRole.ADMIN)
    # when the platform's provider asserts her address, and then a newcomer's at her domain
    provider_b.add_user("mallory-1", "alice@a.example")
    page = await world.browser().visit("/auth/login?personal=1")
    provider_b.reset()
    provider_b.add_user("mallory-2", "newcomer@a.example")
    newcomer = await world.browser().visit("/auth/login?personal=1")
    # then both are refused: no session for alice, and no way into A through the back door
    assert (page.status_code, newcomer.status_code) == (400, 400)
    assert await world.sessions_of("alice@a.example") == 0
    assert await world.user("newcomer@a.example") is None
    assert await world.count(UserIdentity) == 0
    assert await failures(world) == [
        ("account_exists_elsewhere", None),
        ("email_domain_not_vouched", None),
    ]


async def test_a_service_account_cannot_sign_in_through_a_browser(
    platform_world, provider_b, sessions
):
    # given A's API client, whose service account has an address
    world = platform_world
    viewer = await act_as(sessions, await owner_of_a(world), world.org_a)
    async with unit_of_work(sessions, viewer) as session:
        client, _ = await clients.create_api_client(
            session, viewer, organization_id=world.org_a.id, name="KPI", scopes=["kpi:write"]
        )
    service_email = f"client-{client.client_id}@{clients.SERVICE_ACCOUNT_DOMAIN}"
    # when a provider asserts that address
    provider_b.add_user("svc-1", service_email)
    page = await world.browser().visit("/auth/login?personal=1")
    # then
    assert page.status_code == 400
    assert "サービスアカウントはサインインできません。" in page.text
    assert await world.sessions_of(service_email) == 0
    assert await world.count(UserIdentity) == 0
    assert await failures(world) == [("service_account", None)]


# -- roles from the provider's groups ---------------------------------------------------------


async def test_a_person_in_no_mapped_group_gets_the_default_role(world, tokens, provider_a):
    # given A's provider gives VIEWER unless a group maps to more
    await update_provider_a(world, tokens, defaultRole="VIEWER")
    provider_a.add_user("fumi-1", "fumi@a.example", groups=["staff", "kumamoto"])
    # when
    page = await world.browser().visit("/auth/login?email=fumi@a.example")
    # then
    assert page.status_code == 200, page.text
    assert await world.memberships("fumi@a.example") == {"org-a": "VIEWER"}


async def test_the_role_follows_the_provider_s_groups_at_each_sign_in(world, provider_a):
    # given alice, an ADMIN of A through the provider's group
    provider_a.add_user("alice-1", "alice@a.example", groups=["renkei-admins"])
    await world.browser().visit("/auth/login?email=alice@a.example")
    assert await world.memberships("alice@a.example") == {"org-a": "ADMIN"}
    # when the group is taken from her and she signs in again
    provider_a.add_user("alice-1", "alice@a.example", groups=[])
    page = await world.browser().visit("/auth/login?email=alice@a.example")
    # then she is a MEMBER, and the change is in the audit log
    assert page.status_code == 200, page.text
    assert await world.memberships("alice@a.example") == {"org-a": "MEMBER"}
    alice = await world.user("alice@a.example")
    [change] = await world.audit("role_changed")
    assert alice is not None
    assert (change.organization_id, change.actor_user_id, change.detail) == (
        world.org_a.id,
        alice.id,
        {"by": "identity_provider", "before": "ADMIN", "after": "MEMBER"},
    )


@pytest.mark.parametrize("groups", [[], ["renkei-admins"]])
async def test_the_provider_never_changes_an_owner_s_role(world, provider_a, groups):
    # given A's owner, at A's provider in whatever groups
    provider_a.add_user("owner-1", "owner@a.example", groups=groups)
    # when
    page = await world.browser().visit("/auth/login?email=owner@a.example")
    # then
    assert page.status_code == 200, page.text
    assert await world.memberships("owner@a.example") == {"org-a": "OWNER"}
    assert await world.audit("role_changed") == []
