"""An organization's admin fields compiled: what its owners and admins see, null for others."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any, cast

import httpx2
import pytest

from factories import add_member, create_organization, create_user, graphql, token_for
from renkei.db import SessionFactory, unit_of_work
from renkei.graphql.app import create_app
from renkei.graphql.auth import SignInConfig
from renkei.graphql.compiled.spec import MARK
from renkei.graphql.relay import to_global_id
from renkei.identity.models import IdentityProvider
from renkei.identity.tokens import TokenService
from renkei.tenancy import MembershipRole, Viewer

ADMIN = """
query Admin($id: ID!) {
  organization(id: $id) {
    name
    invitations(first: 1) {
      edges { cursor node { id email role status expiresAt createdAt organization { name } } }
      pageInfo { hasNextPage endCursor }
    }
    apiClients { __typename id name clientId scopes createdAt revokedAt lastUsedAt }
    identityProviders {
      id name issuer clientId emailDomains jitProvisioning roleClaim
      roleMapping { __typename value role } defaultRole enabled redirectUri createdAt
    }
    domainClaims {
      id domain status challenge { recordName recordType value }
      verificationMethod verifiedAt lastCheckedAt lastCheckError createdAt
    }
    auditEvents(first: 50) {
      nodes { id action outcome reason detail createdAt actorEmail }
      pageInfo { hasNextPage }
    }
  }
}
"""

INVITE = """
mutation Invite($input: InviteMemberInput!) {
  inviteMember(input: $input) { userErrors { code } }
}
"""
CREATE_CLIENT = """
mutation Create($input: CreateApiClientInput!) {
  createApiClient(input: $input) { userErrors { code } }
}
"""
CLAIM = """
mutation Claim($input: ClaimEmailDomainInput!) {
  claimEmailDomain(input: $input) { userErrors { code } }
}
"""


@dataclass
class World:
    organization_id: str
    owner_token: str
    admin_token: str
    member_token: str
    owner_acting_for_none: str


def _app(sessions: SessionFactory, tokens: TokenService, redis_url: str, compiled: bool) -> Any:
    # Sign-in is configured only for the redirect URI's public address; nothing signs in here.
    sign_in = SignInConfig(
        public_url="https://renkei.example",
        box=cast(Any, None),
        oidc=cast(Any, None),
        cookie_secret="not used",
        secure_cookies=True,
    )
    return create_app(
        sessions=sessions,
        tokens=tokens,
        redis_url=redis_url,
        development=True,
        sign_in=sign_in,
        compiled_reads=compiled,
    )


@pytest.fixture
async def clients(
    sessions: SessionFactory, tokens: TokenService, redis_url: str
) -> AsyncIterator[tuple[httpx2.AsyncClient, httpx2.AsyncClient]]:
    """The API with sign-in configured, compiled and through the resolvers only."""
    async with (
        httpx2.AsyncClient(
            transport=httpx2.ASGITransport(app=_app(sessions, tokens, redis_url, True)),
            base_url="http://renkei.test",
        ) as compiled,
        httpx2.AsyncClient(
            transport=httpx2.ASGITransport(app=_app(sessions, tokens, redis_url, False)),
            base_url="http://renkei.test",
        ) as resolved,
    ):
        yield compiled, resolved


@pytest.fixture
async def world(
    client: httpx2.AsyncClient, sessions: SessionFactory, tokens: TokenService
) -> World:
    """長崎ラボ with an owner, an admin and a member; invitations, an API client, a domain claim,
    an identity provider and the audit log they leave."""
    owner = await create_user(sessions, "owner@nagasaki.example")
    admin = await create_user(sessions, "admin@nagasaki.example")
    member = await create_user(sessions, "member@nagasaki.example")
    organization = await create_organization(sessions, owner, slug="nagasaki-lab", name="長崎ラボ")
    await add_member(sessions, organization, owner, admin, MembershipRole.ADMIN)
    await add_member(sessions, organization, owner, member)
    owner_token = token_for(tokens, owner, organization)
    organization_id = to_global_id("Organization", organization.id)
    for email in ("b@nagasaki.example", "a@nagasaki.example"):
        body = await graphql(
            client,
            INVITE,
            {"input": {"organizationId": organization_id, "email": email, "role": "VIEWER"}},
            token=owner_token,
        )
        assert body["data"]["inviteMember"]["userErrors"] == []
    for name, scopes in (
        ("KPI dashboard", ["kpi:write", "projects:read"]),
        ("BI", ["talent:read"]),
    ):
        body = await graphql(
            client,
            CREATE_CLIENT,
            {"input": {"organizationId": organization_id, "name": name, "scopes": scopes}},
            token=owner_token,
        )
        assert body["data"]["createApiClient"]["userErrors"] == []
    for domain in ("nagasaki.example", "lab.nagasaki.example"):
        body = await graphql(
            client,
            CLAIM,
            {"input": {"organizationId": organization_id, "domain": domain}},
            token=owner_token,
        )
        assert body["data"]["claimEmailDomain"]["userErrors"] == []
    async with unit_of_work(sessions, Viewer.platform()) as session:
        session.add(
            IdentityProvider(
                organization_id=organization.id,
                name="長崎 Entra ID",
                issuer="https://login.nagasaki.example/v2.0",
                client_id="renkei",
                client_secret_ciphertext="sealed",
                client_secret_key_id="k1",
                email_domains=["nagasaki.example", "lab.nagasaki.example"],
                role_claim="groups",
                role_mapping={"renkei-members": "MEMBER", "Renkei-Admins": "ADMIN", "é": "VIEWER"},
                default_role=MembershipRole.VIEWER,
            )
        )
    return World(
        organization_id=organization_id,
        owner_token=owner_token,
        admin_token=token_for(tokens, admin, organization),
        member_token=token_for(tokens, member, organization),
        owner_acting_for_none=token_for(tokens, owner),
    )


async def _both(
    clients: tuple[httpx2.AsyncClient, httpx2.AsyncClient],
    statement_counter: Any,
    token: str,
    query: str = ADMIN,
    **variables: Any,
) -> dict[str, Any]:
    compiled_client, resolved_client = clients
    with statement_counter:
        compiled = await graphql(compiled_client, query, variables, token=token)
    compiled_statements = sum(MARK in s for s in statement_counter.statements)
    resolved = await graphql(resolved_client, query, variables, token=token)
    assert "errors" not in resolved, resolved
    assert compiled == resolved
    assert compiled_statements == 1
    organization: dict[str, Any] = compiled["data"]["organization"]
    return organization


async def test_owners_and_admins_see_the_admin_fields_compiled_as_resolved(
    clients, world: World, statement_counter
) -> None:
    for token in (world.owner_token, world.admin_token):
        # when a manager of the organization asks for its admin fields
        organization = await _both(clients, statement_counter, token, id=world.organization_id)
        # then every one of them is there, as the resolvers answer
        assert organization["invitations"]["pageInfo"]["hasNextPage"] is True
        assert [c["name"] for c in organization["apiClients"]] == ["KPI dashboard", "BI"]
        assert organization["apiClients"][0]["scopes"] == ["kpi:write", "projects:read"]
        (provider,) = organization["identityProviders"]
        assert [e["value"] for e in provider["roleMapping"]] == [
            "Renkei-Admins",
            "renkei-members",
            "é",
        ]
        assert provider["redirectUri"] == "https://renkei.example/auth/callback/nagasaki-lab"
        assert [c["domain"] for c in organization["domainClaims"]] == [
            "lab.nagasaki.example",
            "nagasaki.example",
        ]
        assert organization["domainClaims"][0]["challenge"]["recordName"] == (
            "_renkei-challenge.lab.nagasaki.example"
        )
        events = organization["auditEvents"]["nodes"]
        assert events and any(e["actorEmail"] == "owner@nagasaki.example" for e in events)


async def test_others_see_the_admin_fields_null_compiled_as_resolved(
    clients, world: World, statement_counter
) -> None:
    for token in (world.member_token, world.owner_acting_for_none):
        # when a plain member, or the owner acting for no organization, asks
        organization = await _both(clients, statement_counter, token, id=world.organization_id)
        # then the organization is there and its admin fields are null
        assert organization["name"] == "長崎ラボ"
        assert {k: v for k, v in organization.items() if k != "name"} == {
            "invitations": None,
            "apiClients": None,
            "identityProviders": None,
            "domainClaims": None,
            "auditEvents": None,
        }


async def test_the_next_page_of_invitations_and_the_newest_audit_events(
    clients, world: World, statement_counter
) -> None:
    # given the first page of invitations
    first = await _both(clients, statement_counter, world.owner_token, id=world.organization_id)
    after = first["invitations"]["pageInfo"]["endCursor"]
    # when the next page and the newest audit events (a backward page) are asked
    query = """
    query Next($id: ID!, $after: String) {
      organization(id: $id) {
        invitations(first: 5, after: $after) { nodes { email } pageInfo { hasNextPage } }
        auditEvents(last: 2) { nodes { action actorEmail } pageInfo { hasPreviousPage } }
      }
    }
    """
    organization = await _both(
        clients, statement_counter, world.owner_token, query, id=world.organization_id, after=after
    )
    # then the page follows on, and the backward page is the newest two
    assert len(organization["invitations"]["nodes"]) == 1
    assert organization["auditEvents"]["pageInfo"]["hasPreviousPage"] is True
    assert len(organization["auditEvents"]["nodes"]) == 2
