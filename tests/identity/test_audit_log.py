"""The audit log: what an organization's admins read, who else may read it, and that nobody
rewrites it."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError

from factories import add_member, create_user, graphql, token_for
from identity.oidc_provider import OidcProvider
from identity.signin_world import World
from renkei import audit
from renkei.db import unit_of_work
from renkei.graphql.relay import to_global_id
from renkei.identity.models import AuditEvent
from renkei.identity.tokens import TokenService
from renkei.organizations.models import Organization
from renkei.tenancy import MembershipRole, Viewer

AUDIT = """
query Audit($id: ID!) {
  organization(id: $id) {
    auditEvents(last: 20) { nodes { action outcome reason actorEmail detail } }
  }
}
"""

CREATE_CLIENT = """
mutation Create($input: CreateApiClientInput!) {
  createApiClient(input: $input) {
    apiClient { id clientId }
    userErrors { field code message }
  }
}
"""

CHANGE_ROLE = """
mutation ChangeRole($input: ChangeMemberRoleInput!) {
  changeMemberRole(input: $input) {
    membership { role }
    userErrors { field code message }
  }
}
"""

REVOKE_CLIENT = """
mutation Revoke($input: RevokeApiClientInput!) {
  revokeApiClient(input: $input) {
    apiClient { id }
    userErrors { field code message }
  }
}
"""


async def _audit(world: World, token: str, organization: Organization) -> dict[str, Any] | None:
    world.app.cookies.clear()  # the token alone, not a browser session of the test
    body = await graphql(
        world.app, AUDIT, {"id": to_global_id("Organization", organization.id)}, token=token
    )
    assert "errors" not in body, body
    return body["data"]["organization"]["auditEvents"]


async def _a_month_at_organization_a(
    world: World, tokens: TokenService, provider_a: OidcProvider
) -> tuple[str, str]:
    """Sign-ins, a refused one, a role change, an API client made and revoked.

    Returns the token of A's admin and the client's id."""
    owner = await world.user("owner@a.example")
    assert owner is not None
    admin = await create_user(world.sessions, "admin@a.example")
    await add_member(world.sessions, world.org_a, owner, admin, MembershipRole.ADMIN)
    admin_token = token_for(tokens, admin, world.org_a)
    # alice signs in as an ADMIN through the provider's group ...
    provider_a.add_user("alice-1", "alice@a.example", groups=["renkei-admins"])
    assert (await world.browser().visit("/auth/login?email=alice@a.example")).status_code == 200
    # ... a forged answer is refused ...
    provider_a.misbehave(nonce="wrong")
    assert (await world.browser().visit("/auth/login?email=alice@a.example")).status_code == 400
    provider_a.behave()
    # ... and she loses the group, so her next sign-in makes her a MEMBER
    provider_a.add_user("alice-1", "alice@a.example", groups=[])
    assert (await world.browser().visit("/auth/login?email=alice@a.example")).status_code == 200
    # the admin makes an API client and revokes it
    world.app.cookies.clear()
    created = await graphql(
        world.app,
        CREATE_CLIENT,
        {
            "input": {
                "organizationId": to_global_id("Organization", world.org_a.id),
                "name": "KPI dashboard",
                "scopes": ["kpi:write"],
            }
        },
        token=admin_token,
    )
    client = created["data"]["createApiClient"]["apiClient"]
    revoked = await graphql(
        world.app, REVOKE_CLIENT, {"input": {"apiClientId": client["id"]}}, token=admin_token
    )
    assert revoked["data"]["revokeApiClient"]["userErrors"] == []
    return admin_token, client["clientId"]


def _unordered(events: Iterable[dict[str, Any]]) -> list[str]:
    return sorted(json.dumps(event, sort_keys=True) for event in events)


def _without_ids(detail: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in detail.items() if k not in ("provider_id", "api_client_id")}


async def test_an_admin_reads_every_sign_in_refusal_role_change_and_client(
    world, tokens, provider_a
):
    # given
    admin_token, client_id = await _a_month_at_organization_a(world, tokens, provider_a)
    issuer = provider_a.issuer
    # when
    events = await _audit(world, admin_token, world.org_a)
    # then every event is there, with who did it and why a sign-in was refused (compared
    # without order: a role change and its sign-in share a transaction and may share a time)
    assert events is not None
    expected = [
        {
            "action": "email_domain_claimed",
            "outcome": "success",
            "reason": None,
            "actorEmail": "owner@a.example",
            "detail": {"domain": "a.example", "record": "_renkei-challenge.a.example"},
        },
        {
            "action": "email_domain_verified",
            "outcome": "success",
            "reason": None,
            "actorEmail": None,
            "detail": {"domain": "a.example", "method": "OPERATOR", "by": "test"},
        },
        {
            "action": "identity_provider_registered",
            "outcome": "success",
            "reason": None,
            "actorEmail": "owner@a.example",
            "detail": {"issuer": issuer, "email_domains": ["a.example"]},
        },
        {
            "action": "sign_in",
            "outcome": "success",
            "reason": None,
            "actorEmail": "alice@a.example",
            "detail": {"issuer": issuer},
        },
        {
            "action": "sign_in",
            "outcome": "failure",
            "reason": "id_token_nonce",
            "actorEmail": None,
            # what the person was shown, in their language
            "detail": {"message": "ID トークンの nonce が無効です。", "callback": "org-a"},
        },
        {
            "action": "role_changed",
            "outcome": "success",
            "reason": None,
            "actorEmail": "alice@a.example",
            "detail": {"by": "identity_provider", "before": "ADMIN", "after": "MEMBER"},
        },
        {
            "action": "sign_in",
            "outcome": "success",
            "reason": None,
            "actorEmail": "alice@a.example",
            "detail": {"issuer": issuer},
        },
        {
            "action": "api_client_created",
            "outcome": "success",
            "reason": None,
            "actorEmail": "admin@a.example",
            "detail": {
                "client_id": client_id,
                "name": "KPI dashboard",
                "scopes": ["kpi:write"],
            },
        },
        {
            "action": "api_client_revoked",
            "outcome": "success",
            "reason": None,
            "actorEmail": "admin@a.example",
            "detail": {"client_id": client_id},
        },
    ]
    assert _unordered({**e, "detail": _without_ids(e["detail"])} for e in events["nodes"]) == (
        _unordered(expected)
    )
    assert "renkei-a-secret" not in str(events)


async def test_a_role_changed_by_an_admin_is_audited(world, tokens):
    # given dora, a MEMBER of A
    owner = await world.user("owner@a.example")
    assert owner is not None
    dora = await create_user(world.sessions, "dora@a.example")
    membership = await add_member(world.sessions, world.org_a, owner, dora)
    token = token_for(tokens, owner, world.org_a)
    # when the owner makes her an ADMIN
    changed = await graphql(
        world.app,
        CHANGE_ROLE,
        {"input": {"membershipId": to_global_id("Membership", membership.id), "role": "ADMIN"}},
        token=token,
    )
    # then
    assert changed["data"]["changeMemberRole"] == {
        "membership": {"role": "ADMIN"},
        "userErrors": [],
    }
    events = await _audit(world, token, world.org_a)
    assert events is not None
    assert [
        (e["action"], e["actorEmail"]) for e in events["nodes"] if e["action"] == "role_changed"
    ] == [("role_changed", "owner@a.example")]


async def test_a_member_cannot_read_the_audit_log(world, tokens):
    # given a MEMBER of A
    owner = await world.user("owner@a.example")
    assert owner is not None
    member = await create_user(world.sessions, "member@a.example")
    await add_member(world.sessions, world.org_a, owner, member)
    # when
    events = await _audit(world, token_for(tokens, member, world.org_a), world.org_a)
    # then
    assert events is None


async def test_another_organization_s_admin_reads_none_of_it(world, tokens, provider_a):
    # given
    await _a_month_at_organization_a(world, tokens, provider_a)
    owner_b = await world.user("owner@b.example")
    assert owner_b is not None
    token = token_for(tokens, owner_b, world.org_b)
    # when B's owner asks for A's log, and reads B's own
    of_a = await _audit(world, token, world.org_a)
    of_b = await _audit(world, token, world.org_b)
    # then A's is closed to them, and B's holds only B's own registration (and its domain's)
    assert of_a is None
    assert of_b is not None
    assert sorted((e["action"], e["actorEmail"]) for e in of_b["nodes"]) == [
        ("email_domain_claimed", "owner@b.example"),
        ("email_domain_verified", None),
        ("identity_provider_registered", "owner@b.example"),
    ]


@pytest.mark.parametrize(
    "statement",
    ["UPDATE audit_events SET reason = 'nothing happened'", "DELETE FROM audit_events"],
)
async def test_the_application_cannot_rewrite_the_log(sessions, statement):
    # given a refused sign-in on record
    await audit.record_failure(
        sessions, action=audit.SIGN_IN, organization_id=None, reason="id_token_nonce"
    )
    # when the application, even acting as the platform, tries to rewrite it
    with pytest.raises(DBAPIError, match="permission denied for table audit_events"):
        async with unit_of_work(sessions, Viewer.platform()) as session:
            await session.execute(text(statement))
    # then the log is whole
    async with unit_of_work(sessions, Viewer.platform()) as session:
        reasons = (await session.scalars(select(AuditEvent.reason))).all()
    assert reasons == ["id_token_nonce"]


@pytest.mark.parametrize(
    "statement",
    ["UPDATE audit_events SET reason = 'nothing happened'", "DELETE FROM audit_events"],
)
async def test_not_even_the_owner_of_the_tables_can_rewrite_the_log(owner_engine, statement):
    # given an event, written by the tables' owner in a transaction rolled back at the end
    async with owner_engine.connect() as connection:
        transaction = await connection.begin()
        await connection.execute(
            text(
                "INSERT INTO audit_events (id, action, outcome, detail, created_at)"
                " VALUES (gen_random_uuid(), 'sign_in', 'success', '{}', now())"
            )
        )
        # when / then
        with pytest.raises(DBAPIError, match="the audit log is append-only"):
            await connection.execute(text(statement))
        await transaction.rollback()
