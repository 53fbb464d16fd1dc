"""Founding a region: who may, what a region needs, and what its founder becomes."""

from __future__ import annotations

from typing import Any

import pytest

from factories import graphql
from regions.world import World

CREATE_REGION = """
mutation CreateRegion($input: CreateRegionInput!) {
  createRegion(input: $input) {
    region {
      slug name version
      prefectures { code name }
      secretariat { name }
      declaration { text declaredOn signatories { name } }
      vision { text adoptedOn version }
      members { nodes { role status isSignatory respondedAt organization { name } } }
      activity { nodes { action after actingOrganization { name } } }
    }
    userErrors { field code message }
  }
}
"""

REGION_BY_SLUG = """
query RegionBySlug($slug: String!) { region(slug: $slug) { name } }
"""

KYUSHU_VISION = "半導体・観光・人材を柱に、九州・山口・沖縄の9県で役割分担と実施体制を定める"


def kyushu(**fields: Any) -> dict[str, Any]:
    return {
        "input": {
            "slug": "kyushu",
            "name": "九州地域戦略会議",
            "prefectureCodes": ["40", "41", "42", "43", "44", "45", "46", "47", "35"],
            "declarationText": "九州・山口・沖縄の広域連携を宣言する",
            "declaredOn": "2025-10-20",
            **fields,
        }
    }


async def region_named(client: Any, token: str, slug: str) -> dict[str, Any] | None:
    body = await graphql(client, REGION_BY_SLUG, {"slug": slug}, token=token)
    return body["data"]["region"]


async def test_an_admin_founds_a_region_and_its_organization_becomes_secretariat_and_signatory(
    client, world: World
):
    # given
    token = world.token(world.secretariat_admin, world.secretariat)
    # when
    body = await graphql(
        client,
        CREATE_REGION,
        kyushu(visionText=KYUSHU_VISION, visionAdoptedOn="2026-03-27"),
        token=token,
    )
    # then
    payload = body["data"]["createRegion"]
    assert payload["userErrors"] == []
    region = payload["region"]
    assert region["slug"] == "kyushu"
    assert region["version"] == 1
    assert [p["name"] for p in region["prefectures"]] == [
        "山口県",
        "福岡県",
        "佐賀県",
        "長崎県",
        "熊本県",
        "大分県",
        "宮崎県",
        "鹿児島県",
        "沖縄県",
    ]
    assert region["secretariat"] == {"name": "九州経済連合会"}
    assert region["declaration"] == {
        "text": "九州・山口・沖縄の広域連携を宣言する",
        "declaredOn": "2025-10-20",
        "signatories": [{"name": "九州経済連合会"}],
    }
    assert region["vision"] == {"text": KYUSHU_VISION, "adoptedOn": "2026-03-27", "version": 1}
    (member,) = region["members"]["nodes"]
    assert member["organization"] == {"name": "九州経済連合会"}
    assert (member["role"], member["status"], member["isSignatory"]) == (
        "SECRETARIAT",
        "ACTIVE",
        True,
    )
    assert member["respondedAt"] is not None
    created, joined = region["activity"]["nodes"]
    assert created["action"] == "created"
    assert created["after"]["name"] == "九州地域戦略会議"
    assert created["after"]["vision_version"] == 1
    assert created["actingOrganization"] == {"name": "九州経済連合会"}
    assert joined["action"] == "joined"
    assert joined["after"]["role"] == "SECRETARIAT"


async def test_full_width_and_repeated_codes_mean_the_same_prefectures(client, world: World):
    # given
    token = world.token(world.secretariat_owner, world.secretariat)
    # when
    body = await graphql(
        client, CREATE_REGION, kyushu(prefectureCodes=["４０", "40", " 41 "]), token=token
    )
    # then
    payload = body["data"]["createRegion"]
    assert payload["userErrors"] == []
    assert [p["code"] for p in payload["region"]["prefectures"]] == ["40", "41"]


@pytest.mark.parametrize(
    ("fields", "error"),
    [
        (
            {"prefectureCodes": ["40"]},
            {
                "field": "prefectureCodes",
                "code": "INVALID",
                "message": "a region crosses prefectural borders: "
                "name at least two different prefectures",
            },
        ),
        (
            {"prefectureCodes": ["40", "４０"]},
            {
                "field": "prefectureCodes",
                "code": "INVALID",
                "message": "a region crosses prefectural borders: "
                "name at least two different prefectures",
            },
        ),
        (
            {"prefectureCodes": ["40", "48"]},
            {
                "field": "prefectureCodes",
                "code": "UNKNOWN_PREFECTURE",
                "message": 'unknown prefecture code "48": '
                "use a JIS X 0401 code from 01 (北海道) to 47 (沖縄県)",
            },
        ),
        (
            {"slug": "九州"},
            {
                "field": "slug",
                "code": "INVALID",
                "message": "a slug is 2 to 63 lower-case letters, digits and hyphens, e.g. kyushu",
            },
        ),
        (
            {"name": "  "},
            {
                "field": "name",
                "code": "INVALID",
                "message": "a name of 1 to 200 characters is needed",
            },
        ),
        (
            {"visionText": KYUSHU_VISION},
            {
                "field": "visionAdoptedOn",
                "code": "INVALID",
                "message": "say when the vision was adopted",
            },
        ),
        (
            {"visionText": KYUSHU_VISION, "visionAdoptedOn": "2025-10-19"},
            {
                "field": "visionAdoptedOn",
                "code": "INVALID",
                "message": "a vision is adopted on or after the declaration (October 20, 2025)",
            },
        ),
    ],
)
async def test_a_region_that_does_not_hold_together_is_refused_and_not_written(
    client, world: World, fields, error
):
    # given
    token = world.token(world.secretariat_owner, world.secretariat)
    # when
    body = await graphql(client, CREATE_REGION, kyushu(**fields), token=token)
    # then
    assert body["data"]["createRegion"] == {"region": None, "userErrors": [error]}
    assert await region_named(client, token, "kyushu") is None


async def test_a_taken_slug_is_refused(client, world: World):
    # given
    await world.found_region(slug="kyushu", name="九州地域戦略会議")
    token = world.token(world.kumamoto_owner, world.kumamoto)
    # when
    body = await graphql(client, CREATE_REGION, kyushu(name="九州広域リージョン"), token=token)
    # then
    assert body["data"]["createRegion"] == {
        "region": None,
        "userErrors": [
            {"field": "slug", "code": "DUPLICATE", "message": "the slug 'kyushu' is taken"}
        ],
    }
    assert await region_named(client, token, "kyushu") == {"name": "九州地域戦略会議"}


@pytest.mark.parametrize("who", ["secretariat_member", "secretariat_viewer"])
async def test_only_owners_and_admins_found_a_region_for_their_organization(
    client, world: World, who
):
    # given
    token = world.token(getattr(world, who), world.secretariat)
    # when
    body = await graphql(client, CREATE_REGION, kyushu(), token=token)
    # then
    assert body["data"]["createRegion"] == {
        "region": None,
        "userErrors": [
            {
                "field": None,
                "code": "FORBIDDEN",
                "message": "only the organization's owners and admins may found a region",
            }
        ],
    }
    assert await region_named(client, token, "kyushu") is None
