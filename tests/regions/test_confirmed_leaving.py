"""Leaving a region takes two steps: the first says what will happen, the second confirms."""

from __future__ import annotations

from factories import graphql
from regions.world import World
from renkei.graphql.relay import to_global_id

LEAVE = """
mutation Leave($input: LeaveRegionInput!) {
  leaveRegion(input: $input) {
    regionMember { status organization { name } }
    userErrors { field code message }
  }
}
"""

MEMBER_NAMES = """
query Members($id: ID!) {
  region(id: $id) { members(status: ACTIVE) { nodes { organization { name } } } }
}
"""


async def test_leaving_a_region_needs_a_confirming_second_call(client, world: World):
    # given Kumamoto, an active member of a region
    region = await world.found_region()
    await world.join(region, world.kumamoto, world.kumamoto_owner)
    token = world.token(world.kumamoto_owner, world.kumamoto)
    region_id = to_global_id("Region", region.id)
    # when its owner clicks "leave" once
    first = await graphql(client, LEAVE, {"input": {"regionId": region_id}}, token=token)
    still = await graphql(client, MEMBER_NAMES, {"id": region_id}, token=token)
    # then nothing changes, and the answer says what leaving would do
    assert first["data"]["leaveRegion"] == {
        "regionMember": None,
        "userErrors": [
            {
                "field": "confirm",
                "code": "CONFIRMATION_REQUIRED",
                "message": "your organization will leave 九州地域戦略会議: it stops taking "
                "part at once, its people no longer see what the region shows only to its "
                "members, and only the secretariat can invite it back. Send the same request "
                "with confirm: true to leave",
            }
        ],
    }
    assert [n["organization"]["name"] for n in still["data"]["region"]["members"]["nodes"]] == [
        "九州経済連合会",
        "熊本半導体クラスター",
    ]
    # when it confirms
    second = await graphql(
        client, LEAVE, {"input": {"regionId": region_id, "confirm": True}}, token=token
    )
    # then it has left
    assert second["data"]["leaveRegion"] == {
        "regionMember": {"status": "LEFT", "organization": {"name": "熊本半導体クラスター"}},
        "userErrors": [],
    }
