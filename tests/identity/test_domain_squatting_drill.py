"""Drill: organization B's admin tries to take over organization A by squatting A's email domain
with an OpenID provider B controls, then signing in as A's owner through it.

Played end to end through Renkei's HTTP surface: GraphQL for B's admin, the browser sign-in
for the attacker, a real DNS server and real OpenID providers on loopback, the outbox handler
as the worker runs it. Each step must be refused, and A must hear of it.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import select

from factories import create_organization, create_user, graphql, token_for
from identity.dns_server import DnsZone
from identity.oidc_provider import OidcProvider
from identity.signin_world import RENKEI, World, approve_domain
from renkei.db import unit_of_work
from renkei.email_domains.service import CLAIMED_TOPIC
from renkei.graphql.relay import to_global_id
from renkei.identity.models import UserIdentity
from renkei.notifications.models import Notification
from renkei.organizations.models import OrganizationKind
from renkei.outbox import OutboxMessage
from renkei.tenancy import Viewer
from renkei.workers.jobs import handle_message

REGISTER = """
mutation Register($input: RegisterIdentityProviderInput!) {
  registerIdentityProvider(input: $input) {
    identityProvider { id issuer emailDomains }
    userErrors { field code message }
  }
}
"""

DISABLE = """
mutation Disable($id: ID!) {
  updateIdentityProvider(input: {id: $id, enabled: false}) {
    identityProvider { enabled }
    userErrors { field code message }
  }
}
"""

CLAIMS = """
query Claims($id: ID!) {
  organization(id: $id) { domainClaims { id domain status challenge { recordName value } } }
}
"""

CHECK = """
mutation Check($id: ID!) {
  checkEmailDomain(input: {id: $id}) {
    domainClaim { status lastCheckError }
    userErrors { code message }
  }
}
"""

AUDIT = """
query Audit($id: ID!) {
  organization(id: $id) { auditEvents(last: 50) { nodes { action actorEmail detail } } }
}
"""

SWITCH = """
mutation Switch($id: ID!) {
  switchOrganization(input: {organizationId: $id}) {
    organization { slug }
    accessToken
    userErrors { field code message }
  }
}
"""


@pytest.fixture
def mallory_idp() -> Iterator[OidcProvider]:
    """The identity provider organization B's admin controls, asserting whatever it likes."""
    with OidcProvider() as provider:
        provider.register_client("renkei-mallory", "mallory-secret", (f"{RENKEI}/*",))
        yield provider


async def _claimed_messages(world: World) -> list[OutboxMessage]:
    async with unit_of_work(world.sessions, Viewer.platform()) as session:
        rows = await session.scalars(
            select(OutboxMessage)
            .where(OutboxMessage.topic == CLAIMED_TOPIC)
            .order_by(OutboxMessage.created_at)
        )
        return list(rows.all())


async def _notifications(world: World) -> list[tuple[str, str, str]]:
    async with unit_of_work(world.sessions, Viewer.platform()) as session:
        rows = await session.scalars(select(Notification).order_by(Notification.recipient_email))
        return [(n.recipient_email, n.kind, n.subject) for n in rows.all()]


async def test_squatting_another_organization_s_domain_is_refused_at_every_step(
    world, tokens, dns_zone: DnsZone, mallory_idp: OidcProvider
):
    owner_a = await world.user("owner@a.example")
    owner_b = await world.user("owner@b.example")
    assert owner_a is not None and owner_b is not None
    token_a = token_for(tokens, owner_a, world.org_a)
    token_b = token_for(tokens, owner_b, world.org_b)
    org_a_id = to_global_id("Organization", world.org_a.id)
    org_b_id = to_global_id("Organization", world.org_b.id)

    # 1. B's admin registers B's own provider for A's domain, and switches B's usual one off
    #    so that every sign-in "for B" goes through it.
    registered = await graphql(
        world.app,
        REGISTER,
        {
            "input": {
                "organizationId": org_b_id,
                "name": "B (really Mallory)",
                "issuer": mallory_idp.issuer,
                "clientId": "renkei-mallory",
                "clientSecret": "mallory-secret",
                "emailDomains": ["a.example"],
            }
        },
        token=token_b,
    )
    disabled = await graphql(
        world.app,
        DISABLE,
        {"id": to_global_id("IdentityProvider", world.provider_b.id)},
        token=token_b,
    )
    assert registered["data"]["registerIdentityProvider"]["userErrors"] == []
    assert disabled["data"]["updateIdentityProvider"]["userErrors"] == []

    # 2. The claim is PENDING and vouches for nobody: a.example's people are still sent to A.
    claims = await graphql(world.app, CLAIMS, {"id": org_b_id}, token=token_b)
    [claim] = [
        c for c in claims["data"]["organization"]["domainClaims"] if c["domain"] == "a.example"
    ]
    assert claim["status"] == "PENDING"
    home = await world.app.get("/auth/login?email=owner@a.example")
    for_b = await world.app.get("/auth/login?email=owner@a.example&org=org-b")
    assert home.status_code == 302 and home.headers["location"].startswith(world.provider_a.issuer)
    assert for_b.status_code == 404
    assert "org-b は a.example のアドレスでサインインする団体ではありません。" in for_b.text

    # 3. B cannot prove the domain: DNS has no such record (and B cannot publish one in A's zone).
    checked = await graphql(world.app, CHECK, {"id": claim["id"]}, token=token_b)
    assert checked["data"]["checkEmailDomain"] == {
        "domainClaim": {
            "status": "PENDING",
            "lastCheckError": "_renkei-challenge.a.example は DNS に存在しません。",
        },
        "userErrors": [
            {"code": "INVALID", "message": "_renkei-challenge.a.example は DNS に存在しません。"}
        ],
    }
    assert ("_renkei-challenge.a.example", "TXT") in dns_zone.queries

    # 4. A is told: the worker handles the claim, A's owner is notified, A's log records it.
    messages = [m for m in await _claimed_messages(world) if m.payload["domain"] == "a.example"]
    squat = [m for m in messages if m.payload["organization_id"] == str(world.org_b.id)]
    assert len(squat) == 1
    assert await handle_message(world.sessions, squat[0].id)
    assert (
        "owner@a.example",
        "email_domain_claimed_elsewhere",
        "福岡大学がメールドメイン a.example を申請しました",
    ) in await _notifications(world)
    audit_a = await graphql(world.app, AUDIT, {"id": org_a_id}, token=token_a)
    told = [
        e
        for e in audit_a["data"]["organization"]["auditEvents"]["nodes"]
        if e["action"] == "email_domain_claimed_elsewhere"
    ]
    # (who in B did it stays B's: A's admins read the organization, not B's people)
    assert [
        (e["actorEmail"], e["detail"]["domain"], e["detail"]["claimed_by_organization"])
        for e in told
    ] == [(None, "a.example", "org-b")]
    audit_a_by_b = await graphql(world.app, AUDIT, {"id": org_a_id}, token=token_b)
    assert audit_a_by_b["data"]["organization"]["auditEvents"] is None

    # 5. At sign-in, B's provider presents A's owner's address: refused, nothing granted.
    mallory_idp.add_user("mallory-1", "owner@a.example", name="Not the owner")
    browser = world.browser()
    page = await browser.visit("/auth/login?org=org-b")
    assert page.status_code == 400
    assert "owner@a.example のアカウントは既にあり、別の方法でサインインします。" in page.text
    assert "renkei_session" not in browser.cookies
    # ... and a newcomer at a.example is no better: the PENDING claim vouches for nobody.
    mallory_idp.add_user("newbie-1", "newbie@a.example")
    mallory_idp.default_user = "newbie-1"
    newcomer = await world.browser().visit("/auth/login?org=org-b")
    assert newcomer.status_code == 400
    assert "その団体がこのドメインを確認していないためです。" in newcomer.text
    assert await world.user("newbie@a.example") is None
    mallory_idp.default_user = "mallory-1"
    # 6. Even had B proved the domain (say, an operator misled), the account is not B's to reach.
    await approve_domain(world.sessions, world.org_b, "a.example")
    again = await world.browser().visit("/auth/login?org=org-b")
    assert again.status_code == 400
    refusals = [
        (e.reason, e.organization_id) for e in await world.audit() if e.outcome == "failure"
    ]
    assert refusals == [
        ("account_exists_elsewhere", world.org_b.id),
        ("email_domain_not_vouched", world.org_b.id),
        ("account_exists_elsewhere", world.org_b.id),
    ]
    assert await world.memberships("owner@a.example") == {"org-a": "OWNER"}
    assert await world.sessions_of("owner@a.example") == 0
    assert await world.count(UserIdentity, UserIdentity.issuer == mallory_idp.issuer) == 0

    # 7. And B's admin cannot act for A: switchOrganization into A finds no membership.
    world.app.cookies.clear()
    switched = await graphql(world.app, SWITCH, {"id": org_a_id}, token=token_b)
    assert switched["data"]["switchOrganization"] == {
        "organization": None,
        "accessToken": None,
        "userErrors": [
            {
                "field": "organizationId",
                "code": "NOT_FOUND",
                "message": "あなたはこの団体のメンバーではありません。",
            }
        ],
    }


async def test_squatting_the_domain_of_an_organization_without_a_provider(
    world, tokens, mallory_idp: OidcProvider
):
    # given 熊本県, whose people (its OWNER among them) have never had a provider of their own:
    # nobody had claimed pref-kumamoto.example, which was all the attack needed
    owner_k = await create_user(world.sessions, "owner@pref-kumamoto.example")
    kumamoto = await create_organization(
        world.sessions,
        owner_k,
        slug="pref-kumamoto",
        name="熊本県",
        kind=OrganizationKind.PREFECTURE,
        home_prefecture_code="43",
        local_government_code="430005",
    )
    owner_b = await world.user("owner@b.example")
    assert owner_b is not None
    token_b = token_for(tokens, owner_b, world.org_b)
    # when B's admin registers their provider for it, and B's own provider is switched off
    registered = await graphql(
        world.app,
        REGISTER,
        {
            "input": {
                "organizationId": to_global_id("Organization", world.org_b.id),
                "name": "B (really Mallory)",
                "issuer": mallory_idp.issuer,
                "clientId": "renkei-mallory",
                "clientSecret": "mallory-secret",
                "emailDomains": ["pref-kumamoto.example"],
            }
        },
        token=token_b,
    )
    await graphql(
        world.app,
        DISABLE,
        {"id": to_global_id("IdentityProvider", world.provider_b.id)},
        token=token_b,
    )
    [message] = [
        m for m in await _claimed_messages(world) if m.payload["domain"] == "pref-kumamoto.example"
    ]
    await handle_message(world.sessions, message.id)
    # and signs in through it as 熊本県's owner, then tries to act for 熊本県
    mallory_idp.add_user("mallory-1", "owner@pref-kumamoto.example")
    browser = world.browser()
    page = await browser.visit("/auth/login?org=org-b")
    switched = await graphql(
        world.app, SWITCH, {"id": to_global_id("Organization", kumamoto.id)}, token=token_b
    )
    # then the registration stands but vouches for nobody; 熊本県's owner is told; the sign-in
    # is refused; and nobody but 熊本県's owner acts for it
    assert registered["data"]["registerIdentityProvider"]["userErrors"] == []
    assert page.status_code == 400
    assert "renkei_session" not in browser.cookies
    assert (
        "owner@pref-kumamoto.example",
        "email_domain_claimed_elsewhere",
        "福岡大学がメールドメイン pref-kumamoto.example を申請しました",
    ) in await _notifications(world)
    assert [
        e.detail["claimed_by_organization"]
        for e in await world.audit("email_domain_claimed_elsewhere")
        if e.organization_id == kumamoto.id
    ] == ["org-b"]
    assert await world.memberships("owner@pref-kumamoto.example") == {"pref-kumamoto": "OWNER"}
    assert await world.sessions_of("owner@pref-kumamoto.example") == 0
    assert switched["data"]["switchOrganization"]["userErrors"][0]["code"] == "NOT_FOUND"
