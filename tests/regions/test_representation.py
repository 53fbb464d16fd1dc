"""A declaration signed by a body on behalf of its members (関西広域連合 for its 府県 and 政令市).

The secretariat invites the body as a signatory and each member as represented by it; the member
joins by accepting, then confirms that the body spoke for it. Only the member confirms, only a
signatory represents, and the declaration lists the represented members with their body.
"""

from __future__ import annotations

from typing import Any

from factories import create_organization, create_user, graphql
from regions.world import World
from renkei.graphql.relay import to_global_id
from renkei.organizations.models import OrganizationKind
from renkei.regions.models import Region

INVITE = """
mutation Invite($input: InviteRegionMemberInput!) {
  inviteRegionMember(input: $input) {
    regionMember { id isSignatory representedBy { name } organization { name } }
    userErrors { field code message }
  }
}
"""

ANSWER = """
mutation Answer($input: AnswerRegionInvitationInput!) {
  answerRegionInvitation(input: $input) { userErrors { field message } }
}
"""

CONFIRM = """
mutation Confirm($input: ConfirmRegionRepresentationInput!) {
  confirmRegionRepresentation(input: $input) {
    regionMember { representationConfirmedAt representedBy { name } }
    userErrors { field code message }
  }
}
"""

DECLARATION = """
query Declaration($id: ID!) {
  region(id: $id) {
    declaration {
      demo sources signatories { name }
      represented { organization { name } representedBy { name } representationConfirmedAt }
    }
  }
}
"""


async def _union(world: World) -> Any:
    """関西広域連合: a 広域連合, a public body verified by the platform."""
    owner = await create_user(world.sessions, "owner@kouiki.example")
    union = await create_organization(
        world.sessions,
        owner,
        slug="kouiki",
        name="関西広域連合",
        kind=OrganizationKind.WIDE_AREA_UNION,
        home_prefecture_code="27",
    )
    return union


async def _invite(world: World, client: Any, region: Region, **input: Any) -> dict[str, Any]:
    token = world.token(world.secretariat_owner, world.secretariat)
    body = await graphql(
        client,
        INVITE,
        {"input": {"regionId": to_global_id("Region", region.id), **input}},
        token=token,
    )
    payload: dict[str, Any] = body["data"]["inviteRegionMember"]
    return payload


async def test_a_member_represented_by_a_body_joins_and_confirms(world: World, client: Any) -> None:
    # given a region whose declaration 関西広域連合 signed, on behalf of 熊本半導体クラスター
    region = await world.found_region()
    union = await _union(world)
    signed = await _invite(
        world,
        client,
        region,
        organizationId=to_global_id("Organization", union.id),
        isSignatory=True,
    )
    assert signed["userErrors"] == []
    invited = await _invite(
        world,
        client,
        region,
        organizationId=to_global_id("Organization", world.kumamoto.id),
        representedById=to_global_id("Organization", union.id),
    )
    assert invited["userErrors"] == []
    member = invited["regionMember"]
    assert member["representedBy"] == {"name": "関西広域連合"} and not member["isSignatory"]
    # when the member accepts the invitation, then confirms the representation
    kumamoto = world.token(world.kumamoto_owner, world.kumamoto)
    body = await graphql(
        client, ANSWER, {"input": {"regionMemberId": member["id"], "accept": True}}, token=kumamoto
    )
    assert body["data"]["answerRegionInvitation"]["userErrors"] == []
    body = await graphql(
        client, CONFIRM, {"input": {"regionMemberId": member["id"]}}, token=kumamoto
    )
    # then the declaration shows it as represented by the body, confirmed
    confirmed = body["data"]["confirmRegionRepresentation"]
    assert confirmed["userErrors"] == []
    assert confirmed["regionMember"]["representationConfirmedAt"] is not None
    body = await graphql(
        client, DECLARATION, {"id": to_global_id("Region", region.id)}, token=kumamoto
    )
    declaration = body["data"]["region"]["declaration"]
    assert declaration["represented"] == [
        {
            "organization": {"name": "熊本半導体クラスター"},
            "representedBy": {"name": "関西広域連合"},
            "representationConfirmedAt": confirmed["regionMember"]["representationConfirmedAt"],
        }
    ]
    assert {"name": "熊本半導体クラスター"} not in declaration["signatories"]
    # and a region founded through the API is the secretariat's own text: not demo, no sources
    assert declaration["demo"] is False and declaration["sources"] == []


async def test_only_the_represented_member_confirms(world: World, client: Any) -> None:
    # given 熊本半導体クラスター represented by 関西広域連合, and taking part
    region = await world.found_region()
    union = await _union(world)
    await _invite(
        world,
        client,
        region,
        organizationId=to_global_id("Organization", union.id),
        isSignatory=True,
    )
    invited = await _invite(
        world,
        client,
        region,
        organizationId=to_global_id("Organization", world.kumamoto.id),
        representedById=to_global_id("Organization", union.id),
    )
    member_id = invited["regionMember"]["id"]
    variables = {"input": {"regionMemberId": member_id}}
    # when it confirms before accepting, it is told to accept first
    kumamoto = world.token(world.kumamoto_owner, world.kumamoto)
    body = await graphql(client, CONFIRM, variables, token=kumamoto)
    errors = body["data"]["confirmRegionRepresentation"]["userErrors"]
    assert [e["field"] for e in errors] == ["regionMemberId"]
    assert "accept the invitation" in errors[0]["message"]
    await graphql(
        client, ANSWER, {"input": {"regionMemberId": member_id, "accept": True}}, token=kumamoto
    )
    # when the secretariat, or an outside organization, tries to confirm for it
    for token in (
        world.token(world.secretariat_owner, world.secretariat),
        world.token(world.hiroshima_owner, world.hiroshima),
    ):
        body = await graphql(client, CONFIRM, variables, token=token)
        payload = body["data"]["confirmRegionRepresentation"]
        # then it is refused and nothing is confirmed
        assert payload["regionMember"] is None
        assert payload["userErrors"][0]["code"] in ("FORBIDDEN", "NOT_FOUND")
    # and a member (not an admin) of the represented organization may not confirm either
    staff = world.token(world.kumamoto_member, world.kumamoto)
    body = await graphql(client, CONFIRM, variables, token=staff)
    assert body["data"]["confirmRegionRepresentation"]["userErrors"][0]["code"] == "FORBIDDEN"
    body = await graphql(
        client, DECLARATION, {"id": to_global_id("Region", region.id)}, token=kumamoto
    )
    represented = body["data"]["region"]["declaration"]["represented"]
    assert represented[0]["representationConfirmedAt"] is None


async def test_only_a_signatory_represents_and_never_itself(world: World, client: Any) -> None:
    # given a region where 関西広域連合 is invited, but not as a signatory
    region = await world.found_region()
    union = await _union(world)
    await _invite(world, client, region, organizationId=to_global_id("Organization", union.id))
    union_id = to_global_id("Organization", union.id)
    kumamoto_id = to_global_id("Organization", world.kumamoto.id)
    # when the secretariat names it as 熊本半導体クラスター's representative
    payload = await _invite(
        world, client, region, organizationId=kumamoto_id, representedById=union_id
    )
    # then it is refused: only a signatory signs on behalf of others
    assert payload["regionMember"] is None
    assert [e["field"] for e in payload["userErrors"]] == ["representedById"]
    # and a member cannot represent itself, nor be both represented and a signatory
    payload = await _invite(
        world, client, region, organizationId=kumamoto_id, representedById=kumamoto_id
    )
    assert [e["field"] for e in payload["userErrors"]] == ["representedById"]
    payload = await _invite(
        world,
        client,
        region,
        organizationId=kumamoto_id,
        representedById=to_global_id("Organization", world.secretariat.id),
        isSignatory=True,
    )
    assert [e["field"] for e in payload["userErrors"]] == ["isSignatory"]
