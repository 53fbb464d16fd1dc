"""An organization's admins create and revoke API clients; the secret is shown once."""

from __future__ import annotations

import uuid

from clients.machine import access_token, audit_trail, create_client, stored_client
from factories import add_member, create_organization, create_user, graphql, token_for
from renkei.graphql.relay import to_global_id
from renkei.identity.scopes import KPI_WRITE, ORGANIZATIONS_READ
from renkei.tenancy import MembershipRole

CREATE = """
mutation Create($input: CreateApiClientInput!) {
  createApiClient(input: $input) {
    apiClient { id name clientId scopes revokedAt lastUsedAt }
    clientSecret
    userErrors { field code message }
  }
}
"""

REVOKE = """
mutation Revoke($input: RevokeApiClientInput!) {
  revokeApiClient(input: $input) {
    apiClient { id revokedAt }
    userErrors { field code message }
  }
}
"""

CLIENTS = """
query Clients($id: ID!) {
  organization(id: $id) {
    apiClients { id name clientId scopes revokedAt lastUsedAt }
  }
}
"""


async def _organization_with(sessions, role: MembershipRole):
    owner = await create_user(sessions, f"owner-{uuid.uuid4().hex[:8]}@example.jp")
    organization = await create_organization(sessions, owner)
    person = await create_user(sessions, f"{role.value.lower()}-{uuid.uuid4().hex[:8]}@example.jp")
    await add_member(sessions, organization, owner, person, role)
    return organization, person


def _create_input(organization, scopes: list[str], name: str = "KPI dashboard") -> dict:
    return {
        "input": {
            "organizationId": to_global_id("Organization", organization.id),
            "name": name,
            "scopes": scopes,
        }
    }


async def test_an_admin_creates_a_client_and_sees_its_secret_once(sessions, client, tokens):
    # given
    organization, admin = await _organization_with(sessions, MembershipRole.ADMIN)
    token = token_for(tokens, admin, organization)
    # when
    variables = _create_input(organization, ["organizations:read", "kpi:write"])
    created = await graphql(client, CREATE, variables, token=token)
    # then
    payload = created["data"]["createApiClient"]
    assert payload["userErrors"] == []
    api_client, secret = payload["apiClient"], payload["clientSecret"]
    assert api_client["name"] == "KPI dashboard"
    assert api_client["clientId"].startswith("rk_")
    assert api_client["scopes"] == ["kpi:write", "organizations:read"]
    assert (api_client["revokedAt"], api_client["lastUsedAt"]) == (None, None)
    assert len(secret) >= 43  # 256 random bits
    stored = await stored_client(sessions, api_client["clientId"])
    assert stored is not None and secret not in stored.secret_hash
    # and a later look at the organization lists the client, never the secret
    response = await client.post(
        "/graphql",
        json={"query": CLIENTS, "variables": {"id": to_global_id("Organization", organization.id)}},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.json()["data"]["organization"]["apiClients"] == [api_client]
    assert secret not in response.text


async def test_a_member_cannot_create_a_client(sessions, client, tokens):
    # given
    organization, member = await _organization_with(sessions, MembershipRole.MEMBER)
    client.headers["Accept-Language"] = "en"  # tenancy's message, read in English
    # when
    created = await graphql(
        client,
        CREATE,
        _create_input(organization, ["organizations:read"]),
        token=token_for(tokens, member, organization),
    )
    # then
    assert created["data"]["createApiClient"] == {
        "apiClient": None,
        "clientSecret": None,
        "userErrors": [
            {
                "field": None,
                "code": "FORBIDDEN",
                "message": "only the organization's owners and admins may do this",
            }
        ],
    }


async def test_an_admin_of_another_organization_cannot_create_a_client_here(
    sessions, client, tokens
):
    # given
    organization, _ = await _organization_with(sessions, MembershipRole.MEMBER)
    elsewhere, admin = await _organization_with(sessions, MembershipRole.ADMIN)
    client.headers["Accept-Language"] = "en"  # tenancy's message, read in English
    # when
    created = await graphql(
        client,
        CREATE,
        _create_input(organization, ["organizations:read"]),
        token=token_for(tokens, admin, elsewhere),
    )
    # then
    assert created["data"]["createApiClient"]["userErrors"] == [
        {
            "field": None,
            "code": "FORBIDDEN",
            "message": "only the organization's owners and admins may do this",
        }
    ]


async def test_scopes_must_be_known_and_at_least_one(sessions, client, tokens):
    # given
    organization, admin = await _organization_with(sessions, MembershipRole.ADMIN)
    token = token_for(tokens, admin, organization)
    # when
    unknown = await graphql(
        client, CREATE, _create_input(organization, ["kpi:write", "projects:admin"]), token=token
    )
    client.headers["Accept-Language"] = "en"
    none = await graphql(client, CREATE, _create_input(organization, []), token=token)
    # then the first reads Japanese (no Accept-Language), the second English; codes alike
    assert unknown["data"]["createApiClient"] == {
        "apiClient": None,
        "clientSecret": None,
        "userErrors": [
            {
                "field": "scopes",
                "code": "INVALID",
                "message": "不明なスコープ 'projects:admin' です。次から選んでください: kpi:write, "
                "organizations:read, organizations:write, projects:read, projects:write, "
                "talent:read, talent:write",
            }
        ],
    }
    assert none["data"]["createApiClient"]["userErrors"] == [
        {"field": "scopes", "code": "INVALID", "message": "choose at least one scope"}
    ]
    listed = await graphql(
        client, CLIENTS, {"id": to_global_id("Organization", organization.id)}, token=token
    )
    assert listed["data"]["organization"]["apiClients"] == []


async def test_only_the_organizations_managers_see_its_clients(sessions, client, tokens):
    # given
    issued = await create_client(sessions, scopes=frozenset({ORGANIZATIONS_READ}))
    member = await create_user(sessions, "member@example.jp")
    await add_member(sessions, issued.organization, issued.owner, member)
    variables = {"id": to_global_id("Organization", issued.organization.id)}
    # when
    as_owner = await graphql(
        client, CLIENTS, variables, token=token_for(tokens, issued.owner, issued.organization)
    )
    as_member = await graphql(
        client, CLIENTS, variables, token=token_for(tokens, member, issued.organization)
    )
    # then
    assert [c["clientId"] for c in as_owner["data"]["organization"]["apiClients"]] == [
        issued.client.client_id
    ]
    assert as_member["data"]["organization"]["apiClients"] is None


async def test_an_admin_revokes_a_client_once(sessions, client, tokens):
    # given
    issued = await create_client(sessions, scopes=frozenset({ORGANIZATIONS_READ}))
    token = token_for(tokens, issued.owner, issued.organization)
    variables = {"input": {"apiClientId": to_global_id("ApiClient", issued.client.id)}}
    client.headers["Accept-Language"] = "en"
    # when
    first = await graphql(client, REVOKE, variables, token=token)
    again = await graphql(client, REVOKE, variables, token=token)
    # then
    payload = first["data"]["revokeApiClient"]
    assert payload["userErrors"] == []
    assert payload["apiClient"]["id"] == to_global_id("ApiClient", issued.client.id)
    assert payload["apiClient"]["revokedAt"] is not None
    assert again["data"]["revokeApiClient"] == {
        "apiClient": None,
        "userErrors": [
            {
                "field": "apiClientId",
                "code": "CONFLICT",
                "message": "this API client was revoked already",
            }
        ],
    }


async def test_a_member_cannot_revoke_a_client(sessions, client, tokens):
    # given
    issued = await create_client(sessions, scopes=frozenset({ORGANIZATIONS_READ}))
    member = await create_user(sessions, "member@example.jp")
    await add_member(sessions, issued.organization, issued.owner, member)
    # when
    revoked = await graphql(
        client,
        REVOKE,
        {"input": {"apiClientId": to_global_id("ApiClient", issued.client.id)}},
        token=token_for(tokens, member, issued.organization),
    )
    # then: a member cannot even see the client
    assert revoked["data"]["revokeApiClient"] == {
        "apiClient": None,
        "userErrors": [
            {
                "field": "apiClientId",
                "code": "NOT_FOUND",
                "message": "該当する API クライアントがありません。",
            }
        ],
    }
    stored = await stored_client(sessions, issued.client.client_id)
    assert stored is not None and stored.revoked_at is None


async def test_creation_revocation_and_token_requests_are_audited(sessions, client, tokens):
    # given
    issued = await create_client(sessions, scopes=frozenset({ORGANIZATIONS_READ, KPI_WRITE}))
    await access_token(client, issued, scope=KPI_WRITE)
    refused = await client.post(
        "/oauth/token",
        data={"grant_type": "client_credentials"},
        auth=(issued.client.client_id, "not-the-secret"),
    )
    assert refused.status_code == 401
    # when
    await graphql(
        client,
        REVOKE,
        {"input": {"apiClientId": to_global_id("ApiClient", issued.client.id)}},
        token=token_for(tokens, issued.owner, issued.organization),
    )
    # then
    client_id, service_user = issued.client.client_id, issued.client.service_user_id
    grant = {
        "grant_type": "client_credentials",
        "api_client_id": str(issued.client.id),
        "client_id": client_id,
    }
    assert [
        (e.action, e.outcome, e.actor_user_id, e.reason, e.detail)
        for e in await audit_trail(sessions, issued.organization)
    ] == [
        (
            "api_client_created",
            "success",
            issued.owner.id,
            None,
            {
                "api_client_id": str(issued.client.id),
                "client_id": client_id,
                "name": "KPI dashboard",
                "scopes": ["kpi:write", "organizations:read"],
            },
        ),
        ("sign_in", "success", service_user, None, {**grant, "scope": "kpi:write"}),
        ("sign_in", "failure", service_user, "wrong or missing client secret", grant),
        (
            "api_client_revoked",
            "success",
            issued.owner.id,
            None,
            {"api_client_id": str(issued.client.id), "client_id": client_id},
        ),
    ]
