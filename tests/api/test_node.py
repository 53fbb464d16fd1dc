"""Fetching by global id: node(id:), nodes(ids:), and ids of the wrong type in mutations."""

from __future__ import annotations

import asyncio
import base64
import uuid
from dataclasses import dataclass
from typing import Any, cast

import pytest

from factories import add_member, create_organization, create_user, graphql, token_for
from renkei.graphql.compiled.spec import MARK
from renkei.graphql.loaders import Loaders
from renkei.graphql.nodes import NODE_TYPES
from renkei.graphql.relay import to_global_id
from renkei.graphql.schema import build_schema

# The messages asserted here are the English ones (Accept-Language: en).
pytestmark = pytest.mark.usefixtures("in_english")

FIELDS = """
  __typename id
  ... on Organization { name }
  ... on Membership { role }
  ... on User { email }
  ... on Invitation { email status }
  ... on Prefecture { name }
"""
NODE = "query Node($id: ID!) { node(id: $id) {" + FIELDS + "} }"
NODES = "query Nodes($ids: [ID!]!) { nodes(ids: $ids) {" + FIELDS + "} }"
IDS = """
query Ids {
  viewer { actingOrganization { id members { nodes { id user { id } } } } }
  prefecture(code: "21") { id }
}
"""
INVITE = """
mutation Invite($organizationId: ID!) {
  inviteMember(input: {organizationId: $organizationId, email: "new@gifu.example"}) {
    invitation { id }
    userErrors { field code message }
  }
}
"""
UPDATE_ORGANIZATION = """
mutation Rename($id: ID!) {
  updateOrganization(input: {id: $id, name: "新しい名前"}) {
    organization { name }
    userErrors { field code message }
  }
}
"""


@dataclass
class World:
    token: str
    organization: str
    owner_membership: str
    member_membership: str
    member: str
    invitation: str
    prefecture: str
    other_organization: str
    other_membership: str
    other_user: str


@pytest.fixture
async def world(client, sessions, tokens):
    """The owner of 岐阜ラボ, acting for it, with one member and one pending invitation.

    Next door, 大分ラボ, to which the owner does not belong.
    """
    owner = await create_user(sessions, "owner@gifu.example")
    member = await create_user(sessions, "member@gifu.example")
    org = await create_organization(sessions, owner, slug="gifu-lab", name="岐阜ラボ")
    await add_member(sessions, org, owner, member)
    stranger = await create_user(sessions, "owner@oita.example")
    other = await create_organization(sessions, stranger, slug="oita-lab", name="大分ラボ")
    other_membership = await add_member(
        sessions, other, stranger, await create_user(sessions, "member@oita.example")
    )
    token = token_for(tokens, owner, org)
    ids = (await graphql(client, IDS, token=token))["data"]
    acting = ids["viewer"]["actingOrganization"]
    invited = await graphql(client, INVITE, {"organizationId": acting["id"]}, token=token)
    owner_membership, member_membership = acting["members"]["nodes"]
    return World(
        token=token,
        organization=acting["id"],
        owner_membership=owner_membership["id"],
        member_membership=member_membership["id"],
        member=member_membership["user"]["id"],
        invitation=invited["data"]["inviteMember"]["invitation"]["id"],
        prefecture=ids["prefecture"]["id"],
        other_organization=to_global_id("Organization", other.id),
        other_membership=to_global_id("Membership", other_membership.id),
        other_user=to_global_id("User", stranger.id),
    )


def expected(world: World) -> dict[str, dict[str, object]]:
    return {
        world.organization: {
            "__typename": "Organization",
            "id": world.organization,
            "name": "岐阜ラボ",
        },
        world.owner_membership: {
            "__typename": "Membership",
            "id": world.owner_membership,
            "role": "OWNER",
        },
        world.member: {"__typename": "User", "id": world.member, "email": "member@gifu.example"},
        world.invitation: {
            "__typename": "Invitation",
            "id": world.invitation,
            "email": "new@gifu.example",
            "status": "PENDING",
        },
        world.prefecture: {"__typename": "Prefecture", "id": world.prefecture, "name": "岐阜県"},
        # Every signed-in user sees every organization.
        world.other_organization: {
            "__typename": "Organization",
            "id": world.other_organization,
            "name": "大分ラボ",
        },
    }


async def test_node_resolves_each_kind(client, world):
    for global_id, node in expected(world).items():
        # when
        body = await graphql(client, NODE, {"id": global_id}, token=world.token)
        # then
        assert body == {"data": {"node": node}}


def invisible_ids(world: World) -> dict[str, str]:
    return {
        "malformed": "not an id!",
        "not base64 of text": "////",
        "no type": base64.urlsafe_b64encode(b"no-colon-here").decode(),
        "unknown type": to_global_id("Spaceship", uuid.uuid4()),
        "random UUID": to_global_id("Organization", uuid.uuid4()),
        "bare UUID": str(uuid.uuid4()),
        "key not a UUID": to_global_id("Organization", "gifu-lab"),
        "unknown prefecture": to_global_id("Prefecture", "48"),
        "another tenant's membership": world.other_membership,
        "another tenant's user": world.other_user,
    }


async def test_node_is_null_for_ids_that_name_nothing_you_may_see(client, world):
    for case, global_id in invisible_ids(world).items():
        # when
        body = await graphql(client, NODE, {"id": global_id}, token=world.token)
        # then: the same null, whether the id is garbage, missing or another tenant's
        assert body == {"data": {"node": None}}, case


async def test_nodes_resolves_in_the_order_asked_with_nulls_in_place(client, world):
    # given
    visible = expected(world)
    invisible = list(invisible_ids(world).values())
    ids = [*visible, *invisible, world.member_membership, world.organization]
    # when
    body = await graphql(client, NODES, {"ids": ids}, token=world.token)
    # then
    member_membership = {
        "__typename": "Membership",
        "id": world.member_membership,
        "role": "MEMBER",
    }
    assert body == {
        "data": {
            "nodes": [
                *visible.values(),
                *[None] * len(invisible),
                member_membership,
                visible[world.organization],
            ]
        }
    }


async def test_nodes_loads_each_kind_of_row_in_one_statement(
    client, resolvers_only, world, statement_counter
):
    # given: 2 organizations, 3 memberships, 3 users and an invitation to load
    ids = [
        world.organization,
        world.other_organization,
        world.owner_membership,
        world.member_membership,
        world.other_membership,
        world.member,
        world.other_user,
        to_global_id("User", uuid.uuid4()),
        world.invitation,
        world.prefecture,
    ]
    # when the resolvers answer
    with statement_counter as statements:
        resolved = await graphql(resolvers_only, NODES, {"ids": ids}, token=world.token)
    # then: one statement per kind, as for any list (no N+1)
    loads = [s for s in statements.statements if ".id IN (" in s]
    assert len(loads) == 4, "\n\n".join(loads)
    # and compiled, the whole lookup is one statement with the same answer
    with statement_counter as statements:
        compiled = await graphql(client, NODES, {"ids": ids}, token=world.token)
    assert sum(MARK in s for s in statements.statements) == 1
    assert not [s for s in statements.statements if ".id IN (" in s]
    assert compiled == resolved


async def test_a_hundred_ids_are_allowed(client, world):
    # when
    body = await graphql(client, NODES, {"ids": [world.prefecture] * 100}, token=world.token)
    # then
    assert body == {"data": {"nodes": [expected(world)[world.prefecture]] * 100}}


async def test_more_than_a_hundred_ids_are_refused(client, world):
    # when
    body = await graphql(client, NODES, {"ids": [world.prefecture] * 101}, token=world.token)
    # then
    assert body == {
        "data": None,
        "errors": [
            {
                "message": "at most 100 ids at a time",
                "locations": [{"line": 1, "column": 29}],
                "path": ["nodes"],
                "extensions": {"code": "TOO_MANY_IDS"},
            }
        ],
    }


@pytest.mark.parametrize("wrong", ["prefecture", "owner_membership", "member"])
async def test_an_id_of_another_type_is_an_invalid_id(client, world, wrong):
    # when: a Prefecture's (or Membership's, or User's) id where an Organization's is expected
    body = await graphql(
        client, UPDATE_ORGANIZATION, {"id": getattr(world, wrong)}, token=world.token
    )
    # then
    assert body == {
        "data": {
            "updateOrganization": {
                "organization": None,
                "userErrors": [
                    {
                        "field": "id",
                        "code": "INVALID_ID",
                        "message": "not an id of type Organization",
                    }
                ],
            }
        }
    }


async def test_the_organization_id_itself_is_accepted(client, world):
    # when
    body = await graphql(client, UPDATE_ORGANIZATION, {"id": world.organization}, token=world.token)
    # then
    assert body == {
        "data": {"updateOrganization": {"organization": {"name": "新しい名前"}, "userErrors": []}}
    }


def test_every_type_node_fetches_has_its_loader_declared() -> None:
    # given: the schema, whose types say which of them node(id:) fetches
    build_schema()
    loaders = Loaders.for_request(cast(Any, None), asyncio.Lock())

    # when
    declared = {name: loaders.rows_of(node.model).model for name, node in NODE_TYPES.items()}

    # then
    assert declared == {name: node.model for name, node in NODE_TYPES.items()}
    assert "Milestone" in declared and "TalentNeed" in declared
