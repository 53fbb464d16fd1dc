"""Changing a region and adopting its vision: the secretariat's admins only, on a fresh read."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from factories import graphql
from regions.world import World
from renkei.graphql.relay import to_global_id

UPDATE_REGION = """
mutation UpdateRegion($input: UpdateRegionInput!) {
  updateRegion(input: $input) {
    region { name version prefectures { code } declaration { declaredOn } }
    userErrors { field code message }
  }
}
"""

ADOPT_VISION = """
mutation AdoptVision($input: AdoptRegionVisionInput!) {
  adoptRegionVision(input: $input) {
    region { version vision { text adoptedOn version } }
    userErrors { field code message }
  }
}
"""

REGION = """
query Region($id: ID!) {
  region(id: $id) {
    name version updatedAt
    vision { text version }
    activity { nodes { action before after actor { email } actingOrganization { name } } }
  }
}
"""

SEARCH = """
query Search($search: String!) { regions(search: $search) { nodes { slug } } }
"""

FIRST_VISION = "半導体サプライチェーンと周遊観光を柱とする"
SECOND_VISION = "半導体・観光に人材育成を加え、実施体制を9県の分担で定める"


def rename(region: Any, version: int, **fields: Any) -> dict[str, Any]:
    return {
        "input": {
            "id": to_global_id("Region", region.id),
            "version": version,
            "name": "九州・山口広域リージョン",
            **fields,
        }
    }


async def read(client: Any, token: str, region: Any) -> dict[str, Any]:
    body = await graphql(client, REGION, {"id": to_global_id("Region", region.id)}, token=token)
    return body["data"]["region"]


async def test_the_secretariat_admin_renames_and_the_new_name_is_searchable(client, world: World):
    # given
    region = await world.found_region(name="九州地域戦略会議")
    token = world.token(world.secretariat_admin, world.secretariat)
    # when
    body = await graphql(
        client, UPDATE_REGION, rename(region, 1, prefectureCodes=["40", "35"]), token=token
    )
    # then
    assert body["data"]["updateRegion"] == {
        "region": {
            "name": "九州・山口広域リージョン",
            "version": 2,
            "prefectures": [{"code": "35"}, {"code": "40"}],
            "declaration": {"declaredOn": "2025-10-20"},
        },
        "userErrors": [],
    }
    found = await graphql(client, SEARCH, {"search": "山口"}, token=token)
    assert found["data"]["regions"]["nodes"] == [{"slug": "kyushu"}]
    gone = await graphql(client, SEARCH, {"search": "戦略"}, token=token)
    assert gone["data"]["regions"]["nodes"] == []
    entry = (await read(client, token, region))["activity"]["nodes"][-1]
    assert entry == {
        "action": "updated",
        "before": {
            "name": "九州地域戦略会議",
            "prefecture_codes": ["35", "40", "41", "42", "43", "44", "45", "46", "47"],
        },
        "after": {"name": "九州・山口広域リージョン", "prefecture_codes": ["35", "40"]},
        "actor": {"email": "admin@q-keiren.example"},
        "actingOrganization": {"name": "九州経済連合会"},
    }


def forbidden(message: str) -> dict[str, Any]:
    return {"field": None, "code": "FORBIDDEN", "message": message}


NOT_SECRETARIAT = "only the region's secretariat may change the region"
NOT_MANAGER = "only the organization's owners and admins may change the region"


@pytest.mark.parametrize(
    ("who", "acting_for", "message"),
    [
        ("secretariat_member", "secretariat", NOT_MANAGER),
        ("secretariat_viewer", "secretariat", NOT_MANAGER),
        ("kumamoto_owner", "kumamoto", NOT_SECRETARIAT),
        ("hiroshima_owner", "hiroshima", NOT_SECRETARIAT),
    ],
)
async def test_only_the_secretariat_admins_change_a_region(
    client, world: World, who, acting_for, message
):
    # given: 熊本 is an active member, 広島 an outsider
    region = await world.found_region()
    await world.join(region, world.kumamoto, world.kumamoto_owner)
    token = world.token(getattr(world, who), getattr(world, acting_for))
    # when
    body = await graphql(client, UPDATE_REGION, rename(region, 1), token=token)
    # then
    assert body["data"]["updateRegion"] == {"region": None, "userErrors": [forbidden(message)]}
    owner = world.token(world.secretariat_owner, world.secretariat)
    after = await read(client, owner, region)
    assert (after["name"], after["version"]) == ("九州地域戦略会議", 1)


async def test_a_stale_version_conflicts_and_nothing_is_written(client, world: World):
    # given: the admin renamed it while the owner still holds version 1
    region = await world.found_region()
    admin = world.token(world.secretariat_admin, world.secretariat)
    first = await graphql(client, UPDATE_REGION, rename(region, 1), token=admin)
    assert first["data"]["updateRegion"]["userErrors"] == []
    owner = world.token(world.secretariat_owner, world.secretariat)
    before = await read(client, owner, region)
    # when
    body = await graphql(client, UPDATE_REGION, rename(region, 1, name="九州連携会議"), token=owner)
    # then
    assert body["data"]["updateRegion"] == {
        "region": None,
        "userErrors": [
            {
                "field": "version",
                "code": "CONFLICT",
                "message": "the region changed since you read it (you read version 1, it is now "
                "version 2): reload it and try again",
            }
        ],
    }
    assert await read(client, owner, region) == before
    assert before["name"] == "九州・山口広域リージョン"


async def test_an_update_that_changes_nothing_keeps_the_version(client, world: World):
    # given
    region = await world.found_region(name="九州地域戦略会議")
    token = world.token(world.secretariat_owner, world.secretariat)
    # when
    body = await graphql(
        client, UPDATE_REGION, rename(region, 1, name="九州地域戦略会議"), token=token
    )
    # then
    assert body["data"]["updateRegion"]["region"]["version"] == 1
    actions = [e["action"] for e in (await read(client, token, region))["activity"]["nodes"]]
    assert actions == ["created", "joined"]


async def test_each_vision_adoption_is_a_new_version_and_the_previous_stays_in_the_log(
    client, world: World
):
    # given
    region = await world.found_region(vision_text=FIRST_VISION, vision_adopted_on=date(2025, 12, 1))
    token = world.token(world.secretariat_admin, world.secretariat)
    # when
    body = await graphql(
        client,
        ADOPT_VISION,
        {
            "input": {
                "regionId": to_global_id("Region", region.id),
                "text": SECOND_VISION,
                "adoptedOn": "2026-03-27",
                "version": 1,
            }
        },
        token=token,
    )
    # then
    assert body["data"]["adoptRegionVision"] == {
        "region": {
            "version": 2,
            "vision": {"text": SECOND_VISION, "adoptedOn": "2026-03-27", "version": 2},
        },
        "userErrors": [],
    }
    entry = (await read(client, token, region))["activity"]["nodes"][-1]
    assert entry["action"] == "vision_adopted"
    assert entry["before"] == {
        "vision_text": FIRST_VISION,
        "vision_adopted_on": "2025-12-01",
        "vision_version": 1,
    }
    assert entry["after"] == {
        "vision_text": SECOND_VISION,
        "vision_adopted_on": "2026-03-27",
        "vision_version": 2,
    }


async def test_the_first_vision_of_a_region_without_one_is_version_1(client, world: World):
    # given
    region = await world.found_region()
    token = world.token(world.secretariat_owner, world.secretariat)
    assert (await read(client, token, region))["vision"] is None
    # when
    body = await graphql(
        client,
        ADOPT_VISION,
        {
            "input": {
                "regionId": to_global_id("Region", region.id),
                "text": FIRST_VISION,
                "adoptedOn": "2025-12-01",
            }
        },
        token=token,
    )
    # then
    assert body["data"]["adoptRegionVision"]["region"]["vision"] == {
        "text": FIRST_VISION,
        "adoptedOn": "2025-12-01",
        "version": 1,
    }
    entry = (await read(client, token, region))["activity"]["nodes"][-1]
    assert entry["before"] == {"vision_text": None, "vision_adopted_on": None, "vision_version": 0}


@pytest.mark.parametrize(
    ("who", "acting_for", "message"),
    [
        (
            "secretariat_member",
            "secretariat",
            "only the organization's owners and admins may adopt the region's vision",
        ),
        (
            "kumamoto_owner",
            "kumamoto",
            "only the region's secretariat may adopt the region's vision",
        ),
    ],
)
async def test_only_the_secretariat_admins_adopt_a_vision(
    client, world: World, who, acting_for, message
):
    # given
    region = await world.found_region(vision_text=FIRST_VISION, vision_adopted_on=date(2025, 12, 1))
    await world.join(region, world.kumamoto, world.kumamoto_owner)
    token = world.token(getattr(world, who), getattr(world, acting_for))
    # when
    body = await graphql(
        client,
        ADOPT_VISION,
        {
            "input": {
                "regionId": to_global_id("Region", region.id),
                "text": SECOND_VISION,
                "adoptedOn": "2026-03-27",
            }
        },
        token=token,
    )
    # then
    assert body["data"]["adoptRegionVision"] == {"region": None, "userErrors": [forbidden(message)]}
    owner = world.token(world.secretariat_owner, world.secretariat)
    assert (await read(client, owner, region))["vision"] == {"text": FIRST_VISION, "version": 1}


async def test_a_stale_vision_adoption_conflicts(client, world: World):
    # given
    region = await world.found_region(vision_text=FIRST_VISION, vision_adopted_on=date(2025, 12, 1))
    token = world.token(world.secretariat_owner, world.secretariat)
    await graphql(client, UPDATE_REGION, rename(region, 1), token=token)
    # when
    body = await graphql(
        client,
        ADOPT_VISION,
        {
            "input": {
                "regionId": to_global_id("Region", region.id),
                "text": SECOND_VISION,
                "adoptedOn": "2026-03-27",
                "version": 1,
            }
        },
        token=token,
    )
    # then
    assert body["data"]["adoptRegionVision"]["userErrors"][0]["code"] == "CONFLICT"
    assert (await read(client, token, region))["vision"] == {"text": FIRST_VISION, "version": 1}
