"""Joining a region only by consent: the secretariat invites, the invited organization answers."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import text

from factories import graphql
from regions.world import World
from renkei.db import unit_of_work
from renkei.graphql.relay import parse_global_id, to_global_id
from renkei.tenancy import Viewer

INVITE = """
mutation Invite($input: InviteRegionMemberInput!) {
  inviteRegionMember(input: $input) {
    regionMember { id role status isSignatory respondedAt organization { name } region { name } }
    userErrors { field code message }
  }
}
"""

ANSWER = """
mutation Answer($input: AnswerRegionInvitationInput!) {
  answerRegionInvitation(input: $input) {
    regionMember { status respondedAt organization { name } }
    userErrors { field code message }
  }
}
"""

LEAVE = """
mutation Leave($input: LeaveRegionInput!) {
  leaveRegion(input: $input) {
    regionMember { status organization { name } }
    userErrors { field code message }
  }
}
"""

MY_REGION_INVITATIONS = """
query MyRegionInvitations {
  regionInvitations { nodes { id role isSignatory region { name secretariat { name } } } }
}
"""

MEMBERS = """
query Members($id: ID!, $status: ParticipationStatus!) {
  region(id: $id) {
    members(status: $status) { nodes { role isSignatory organization { name } } }
    declaration { signatories { name } }
  }
}
"""

ACTIVITY = """
query Activity($id: ID!) {
  region(id: $id) { activity { nodes { action before after actingOrganization { name } } } }
}
"""

OUTBOX = text(
    "SELECT topic, payload FROM outbox WHERE topic = 'region.invited' ORDER BY created_at"
)


def invitation(region: Any, organization: Any, **fields: Any) -> dict[str, Any]:
    return {
        "input": {
            "regionId": to_global_id("Region", region.id),
            "organizationId": to_global_id("Organization", organization.id),
            **fields,
        }
    }


def answer(member: Any, accept: bool) -> dict[str, Any]:
    return {"input": {"regionMemberId": to_global_id("RegionMember", member.id), "accept": accept}}


def leave(region: Any) -> dict[str, Any]:
    """Leaving, confirmed (the unconfirmed first step is in test_confirmed_departures.py)."""
    return {"input": {"regionId": to_global_id("Region", region.id), "confirm": True}}


def error(field: str | None, code: str, message: str) -> dict[str, Any]:
    return {"field": field, "code": code, "message": message}


async def members(
    client: Any, token: str, region: Any, status: str = "ACTIVE"
) -> list[tuple[str, str]]:
    body = await graphql(
        client, MEMBERS, {"id": to_global_id("Region", region.id), "status": status}, token=token
    )
    nodes = body["data"]["region"]["members"]["nodes"]
    return [(n["organization"]["name"], n["role"]) for n in nodes]


async def signatories(client: Any, token: str, region: Any) -> list[str]:
    body = await graphql(
        client, MEMBERS, {"id": to_global_id("Region", region.id), "status": "ACTIVE"}, token=token
    )
    return [o["name"] for o in body["data"]["region"]["declaration"]["signatories"]]


async def test_an_invited_organization_is_not_a_member_until_its_admin_accepts(
    client, sessions, world: World
):
    # given
    region = await world.found_region()
    secretariat = world.token(world.secretariat_admin, world.secretariat)
    kumamoto = world.token(world.kumamoto_owner, world.kumamoto)
    # when: invited
    body = await graphql(
        client,
        INVITE,
        invitation(region, world.kumamoto, role="SUPPORTER", isSignatory=True),
        token=secretariat,
    )
    # then: invited, and nowhere a member or a signatory yet
    payload = body["data"]["inviteRegionMember"]
    assert payload["userErrors"] == []
    invited = payload["regionMember"]
    assert {k: v for k, v in invited.items() if k != "id"} == {
        "role": "SUPPORTER",
        "status": "INVITED",
        "isSignatory": True,
        "respondedAt": None,
        "organization": {"name": "熊本半導体クラスター"},
        "region": {"name": "九州地域戦略会議"},
    }
    assert await members(client, kumamoto, region) == [("九州経済連合会", "SECRETARIAT")]
    assert await signatories(client, kumamoto, region) == ["九州経済連合会"]
    waiting = await graphql(client, MY_REGION_INVITATIONS, token=kumamoto)
    assert waiting["data"]["regionInvitations"]["nodes"] == [
        {
            "id": invited["id"],
            "role": "SUPPORTER",
            "isSignatory": True,
            "region": {"name": "九州地域戦略会議", "secretariat": {"name": "九州経済連合会"}},
        }
    ]
    async with unit_of_work(sessions, Viewer.platform()) as session:
        queued = [dict(row._mapping) for row in await session.execute(OUTBOX)]
    member_id = invited["id"]
    assert queued == [
        {"topic": "region.invited", "payload": {"region_member_id": _row_id(member_id)}}
    ]
    # when: its owner accepts
    body = await graphql(
        client,
        ANSWER,
        {"input": {"regionMemberId": member_id, "accept": True}},
        token=kumamoto,
    )
    # then
    accepted = body["data"]["answerRegionInvitation"]
    assert accepted["userErrors"] == []
    assert accepted["regionMember"]["status"] == "ACTIVE"
    assert accepted["regionMember"]["respondedAt"] is not None
    assert await members(client, secretariat, region) == [
        ("九州経済連合会", "SECRETARIAT"),
        ("熊本半導体クラスター", "SUPPORTER"),
    ]
    assert await signatories(client, secretariat, region) == [
        "九州経済連合会",
        "熊本半導体クラスター",
    ]
    waiting = await graphql(client, MY_REGION_INVITATIONS, token=kumamoto)
    assert waiting["data"]["regionInvitations"]["nodes"] == []


def _row_id(global_id: str) -> str:
    parsed = parse_global_id(global_id)
    assert parsed is not None and parsed[0] == "RegionMember"
    return parsed[1]


@pytest.mark.parametrize(
    ("who", "acting_for", "expected"),
    [
        # The inviter cannot accept on the invitee's behalf.
        (
            "secretariat_owner",
            "secretariat",
            error(
                "regionMemberId",
                "FORBIDDEN",
                "only the invited organization may answer its invitation",
            ),
        ),
        # A third organization does not even see the invitation.
        (
            "hiroshima_owner",
            "hiroshima",
            error("regionMemberId", "NOT_FOUND", "no such region invitation"),
        ),
        # Inside the invited organization, only its owners and admins answer.
        (
            "kumamoto_member",
            "kumamoto",
            error(
                None,
                "FORBIDDEN",
                "only the organization's owners and admins may answer a region invitation",
            ),
        ),
    ],
)
@pytest.mark.parametrize("accept", [True, False])
async def test_nobody_but_the_invited_organizations_admins_answers(
    client, world: World, who, acting_for, expected, accept
):
    # given
    region = await world.found_region()
    member = await world.invite(region, world.kumamoto)
    token = world.token(getattr(world, who), getattr(world, acting_for))
    # when
    body = await graphql(client, ANSWER, answer(member, accept), token=token)
    # then
    assert body["data"]["answerRegionInvitation"] == {
        "regionMember": None,
        "userErrors": [expected],
    }
    secretariat = world.token(world.secretariat_owner, world.secretariat)
    assert await members(client, secretariat, region, "INVITED") == [
        ("熊本半導体クラスター", "MEMBER")
    ]
    assert await members(client, secretariat, region) == [("九州経済連合会", "SECRETARIAT")]


async def test_a_declined_invitation_stays_declined_and_can_be_sent_again(client, world: World):
    # given
    region = await world.found_region()
    member = await world.invite(region, world.kumamoto)
    kumamoto = world.token(world.kumamoto_owner, world.kumamoto)
    secretariat = world.token(world.secretariat_owner, world.secretariat)
    # when
    declined = await graphql(client, ANSWER, answer(member, False), token=kumamoto)
    again = await graphql(client, ANSWER, answer(member, True), token=kumamoto)
    # then
    assert declined["data"]["answerRegionInvitation"]["regionMember"]["status"] == "DECLINED"
    assert again["data"]["answerRegionInvitation"] == {
        "regionMember": None,
        "userErrors": [
            error(
                "regionMemberId",
                "CONFLICT",
                "this invitation is answered already: the organization's place is declined",
            )
        ],
    }
    assert await members(client, secretariat, region) == [("九州経済連合会", "SECRETARIAT")]
    assert await members(client, secretariat, region, "DECLINED") == [
        ("熊本半導体クラスター", "MEMBER")
    ]
    # when: the secretariat asks again, and this time it is accepted
    body = await graphql(client, INVITE, invitation(region, world.kumamoto), token=secretariat)
    invited = body["data"]["inviteRegionMember"]
    assert invited["userErrors"] == []
    assert invited["regionMember"]["status"] == "INVITED"
    accepted = await graphql(client, ANSWER, answer(member, True), token=kumamoto)
    # then
    assert accepted["data"]["answerRegionInvitation"]["regionMember"]["status"] == "ACTIVE"
    assert await members(client, secretariat, region) == [
        ("九州経済連合会", "SECRETARIAT"),
        ("熊本半導体クラスター", "MEMBER"),
    ]


async def test_an_organization_is_invited_once_and_never_twice_into_a_region(client, world: World):
    # given: 熊本 is a member; 広島 has an invitation pending
    region = await world.found_region()
    await world.join(region, world.kumamoto, world.kumamoto_owner)
    await world.invite(region, world.hiroshima)
    token = world.token(world.secretariat_owner, world.secretariat)
    # when
    member = await graphql(client, INVITE, invitation(region, world.kumamoto), token=token)
    pending = await graphql(client, INVITE, invitation(region, world.hiroshima), token=token)
    secretariat = await graphql(client, INVITE, invitation(region, world.secretariat), token=token)
    # then
    assert member["data"]["inviteRegionMember"]["userErrors"] == [
        error(
            "organizationId", "DUPLICATE", "熊本半導体クラスター is a member of this region already"
        )
    ]
    assert pending["data"]["inviteRegionMember"]["userErrors"] == [
        error(
            "organizationId",
            "DUPLICATE",
            "広島大学 has a pending invitation to this region already",
        )
    ]
    assert secretariat["data"]["inviteRegionMember"]["userErrors"] == [
        error("organizationId", "DUPLICATE", "九州経済連合会 is a member of this region already")
    ]


@pytest.mark.parametrize(
    ("who", "acting_for", "expected"),
    [
        (
            "secretariat_member",
            "secretariat",
            error(
                None,
                "FORBIDDEN",
                "only the organization's owners and admins may invite organizations",
            ),
        ),
        (
            "secretariat_viewer",
            "secretariat",
            error(
                None,
                "FORBIDDEN",
                "only the organization's owners and admins may invite organizations",
            ),
        ),
        (
            "kumamoto_owner",
            "kumamoto",
            error(None, "FORBIDDEN", "only the region's secretariat may invite organizations"),
        ),
    ],
)
async def test_only_the_secretariat_admins_invite(client, world: World, who, acting_for, expected):
    # given: 熊本 is an active member, but not the secretariat
    region = await world.found_region()
    await world.join(region, world.kumamoto, world.kumamoto_owner)
    token = world.token(getattr(world, who), getattr(world, acting_for))
    # when
    body = await graphql(client, INVITE, invitation(region, world.hiroshima), token=token)
    # then
    assert body["data"]["inviteRegionMember"] == {"regionMember": None, "userErrors": [expected]}
    hiroshima = world.token(world.hiroshima_owner, world.hiroshima)
    nothing = await graphql(client, MY_REGION_INVITATIONS, token=hiroshima)
    assert nothing["data"]["regionInvitations"]["nodes"] == []


async def test_a_second_secretariat_cannot_be_invited(client, world: World):
    # given
    region = await world.found_region()
    token = world.token(world.secretariat_owner, world.secretariat)
    # when
    body = await graphql(
        client, INVITE, invitation(region, world.kumamoto, role="SECRETARIAT"), token=token
    )
    # then
    assert body["data"]["inviteRegionMember"] == {
        "regionMember": None,
        "userErrors": [
            error("role", "INVALID", "a region has one secretariat: invite as member or supporter")
        ],
    }


async def test_a_member_leaves_and_the_secretariat_stays(client, world: World):
    # given
    region = await world.found_region()
    await world.join(region, world.kumamoto, world.kumamoto_owner, is_signatory=True)
    kumamoto = world.token(world.kumamoto_owner, world.kumamoto)
    secretariat = world.token(world.secretariat_owner, world.secretariat)
    # when
    left = await graphql(client, LEAVE, leave(region), token=kumamoto)
    again = await graphql(client, LEAVE, leave(region), token=kumamoto)
    stays = await graphql(client, LEAVE, leave(region), token=secretariat)
    # then
    assert left["data"]["leaveRegion"] == {
        "regionMember": {"status": "LEFT", "organization": {"name": "熊本半導体クラスター"}},
        "userErrors": [],
    }
    assert again["data"]["leaveRegion"]["userErrors"] == [
        error(
            "regionId",
            "CONFLICT",
            "your organization is not an active member of this region (left)",
        )
    ]
    assert stays["data"]["leaveRegion"]["userErrors"] == [
        error("regionId", "CONFLICT", "the secretariat runs the region and cannot leave it")
    ]
    assert await members(client, secretariat, region) == [("九州経済連合会", "SECRETARIAT")]
    assert await signatories(client, secretariat, region) == ["九州経済連合会"]
    assert await members(client, secretariat, region, "LEFT") == [
        ("熊本半導体クラスター", "MEMBER")
    ]


async def test_only_a_members_admins_take_it_out_and_outsiders_have_nothing_to_leave(
    client, world: World
):
    # given
    region = await world.found_region()
    await world.join(region, world.kumamoto, world.kumamoto_owner)
    # when
    staff = await graphql(
        client, LEAVE, leave(region), token=world.token(world.kumamoto_member, world.kumamoto)
    )
    outsider = await graphql(
        client, LEAVE, leave(region), token=world.token(world.hiroshima_owner, world.hiroshima)
    )
    # then
    assert staff["data"]["leaveRegion"]["userErrors"] == [
        error(None, "FORBIDDEN", "only the organization's owners and admins may leave a region")
    ]
    assert outsider["data"]["leaveRegion"]["userErrors"] == [
        error("regionId", "NOT_FOUND", "your organization is not a member of this region")
    ]
    secretariat = world.token(world.secretariat_owner, world.secretariat)
    assert await members(client, secretariat, region) == [
        ("九州経済連合会", "SECRETARIAT"),
        ("熊本半導体クラスター", "MEMBER"),
    ]


async def test_every_membership_change_is_in_the_regions_activity(client, world: World):
    # given
    region = await world.found_region()
    member = await world.invite(region, world.kumamoto, is_signatory=True)
    kumamoto = world.token(world.kumamoto_owner, world.kumamoto)
    await graphql(client, ANSWER, answer(member, True), token=kumamoto)
    await graphql(client, LEAVE, leave(region), token=kumamoto)
    # when
    body = await graphql(
        client,
        ACTIVITY,
        {"id": to_global_id("Region", region.id)},
        token=world.token(world.secretariat_viewer, world.secretariat),
    )
    # then
    entries = body["data"]["region"]["activity"]["nodes"]
    assert [(e["action"], e["actingOrganization"]["name"]) for e in entries] == [
        ("created", "九州経済連合会"),
        ("joined", "九州経済連合会"),
        ("invited", "九州経済連合会"),
        ("accepted", "熊本半導体クラスター"),
        ("left", "熊本半導体クラスター"),
    ]
    invited, accepted, left = entries[2:]
    assert invited["before"] is None
    assert invited["after"]["status"] == "INVITED"
    assert invited["after"]["is_signatory"] is True
    assert accepted["before"] == {"status": "INVITED", "responded_at": None}
    assert accepted["after"]["status"] == "ACTIVE"
    assert left["before"] == {"status": "ACTIVE"}
    assert left["after"] == {"status": "LEFT"}
    # An organization outside the region does not read its activity.
    outsider = await graphql(
        client,
        ACTIVITY,
        {"id": to_global_id("Region", region.id)},
        token=world.token(world.hiroshima_owner, world.hiroshima),
    )
    assert outsider["data"]["region"]["activity"]["nodes"] == []
