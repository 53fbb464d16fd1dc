"""An owner or admin removing their own membership does it in two steps, and an organization
never ends up without an owner."""

from __future__ import annotations

from typing import Any

from factories import add_member, create_organization, create_user, graphql, token_for
from renkei.graphql.relay import to_global_id
from renkei.organizations.models import Membership
from renkei.tenancy import MembershipRole

REMOVE_MEMBER = """
mutation RemoveMember($input: RemoveMemberInput!) {
  removeMember(input: $input) {
    removedMembershipId
    userErrors { field code message }
  }
}
"""

ROSTER = """
query Roster { viewer { actingOrganization { members { nodes { role user { email } } } } } }
"""


def _remove(membership: Membership, **extra: Any) -> dict[str, Any]:
    return {"input": {"membershipId": to_global_id("Membership", membership.id), **extra}}


async def _roster(client: Any, token: str) -> list[tuple[str, str]]:
    body = await graphql(client, ROSTER, token=token)
    nodes = body["data"]["viewer"]["actingOrganization"]["members"]["nodes"]
    return sorted((n["user"]["email"], n["role"]) for n in nodes)


async def test_the_last_admin_removing_themselves_is_asked_to_confirm_first(
    sessions, client, tokens
):
    # given 熊本半導体: its owner and one admin
    owner = await create_user(sessions, "owner@kumamoto.example")
    admin = await create_user(sessions, "admin@kumamoto.example")
    organization = await create_organization(sessions, owner, slug="kumamoto", name="熊本半導体")
    membership = await add_member(sessions, organization, owner, admin, MembershipRole.ADMIN)
    token = token_for(tokens, admin, organization)
    owners_token = token_for(tokens, owner, organization)
    # when the admin removes their own membership in one click
    first = await graphql(client, REMOVE_MEMBER, _remove(membership), token=token)
    # then nothing changes, and they are told what would happen
    assert first["data"]["removeMember"] == {
        "removedMembershipId": None,
        "userErrors": [
            {
                "field": "confirm",
                "code": "CONFIRMATION_REQUIRED",
                "message": "you are removing yourself from 熊本半導体: you lose access to it at "
                "once and only its owners or admins can invite you back; 1 other owner or "
                "admin will manage it. Send the same request with confirm: true to go ahead",
            }
        ],
    }
    assert await _roster(client, owners_token) == [
        ("admin@kumamoto.example", "ADMIN"),
        ("owner@kumamoto.example", "OWNER"),
    ]
    # when they confirm
    second = await graphql(client, REMOVE_MEMBER, _remove(membership, confirm=True), token=token)
    # then they are gone
    assert second["data"]["removeMember"] == {
        "removedMembershipId": to_global_id("Membership", membership.id),
        "userErrors": [],
    }
    assert await _roster(client, owners_token) == [("owner@kumamoto.example", "OWNER")]


async def test_the_last_owner_cannot_remove_themselves_even_when_confirming(
    sessions, client, tokens
):
    # given an organization with one owner
    owner = await create_user(sessions, "owner@kumamoto.example")
    organization = await create_organization(sessions, owner, slug="kumamoto", name="熊本半導体")
    token = token_for(tokens, owner, organization)
    roster = await graphql(
        client,
        "query { viewer { actingOrganization { members { nodes { id } } } } }",
        token=token,
    )
    membership_id = roster["data"]["viewer"]["actingOrganization"]["members"]["nodes"][0]["id"]
    # when the owner removes themselves, confirming
    body = await graphql(
        client,
        REMOVE_MEMBER,
        {"input": {"membershipId": membership_id, "confirm": True}},
        token=token,
    )
    # then the organization keeps its owner
    assert body["data"]["removeMember"]["userErrors"] == [
        {
            "field": "membershipId",
            "code": "LAST_OWNER",
            "message": "an organization keeps at least one owner: make someone else owner first",
        }
    ]
    assert await _roster(client, token) == [("owner@kumamoto.example", "OWNER")]


async def test_an_admin_removing_someone_else_needs_no_confirmation(sessions, client, tokens):
    # given an owner and a member
    owner = await create_user(sessions, "owner@kumamoto.example")
    member = await create_user(sessions, "member@kumamoto.example")
    organization = await create_organization(sessions, owner, slug="kumamoto", name="熊本半導体")
    membership = await add_member(sessions, organization, owner, member)
    token = token_for(tokens, owner, organization)
    # when the owner removes the member
    body = await graphql(client, REMOVE_MEMBER, _remove(membership), token=token)
    # then it is done in one call
    assert body["data"]["removeMember"]["userErrors"] == []
    assert await _roster(client, token) == [("owner@kumamoto.example", "OWNER")]
