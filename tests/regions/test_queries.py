"""Finding regions: by search on Japanese names, by prefecture, by id; lists without N+1."""

from __future__ import annotations

from typing import Any

import pytest

from factories import graphql
from regions.world import World
from renkei.graphql.relay import to_global_id

SEARCH = """
query Search($search: String, $prefectureCode: String) {
  regions(search: $search, prefectureCode: $prefectureCode) { nodes { slug } }
}
"""

NODE = """
query Node($id: ID!) {
  node(id: $id) {
    __typename id
    ... on Region { slug name }
    ... on RegionMember { role status organization { name } region { slug } }
  }
}
"""

REGION_BY_SLUG = """
query RegionBySlug($slug: String!) { region(slug: $slug) { id name } }
"""

PAGES = """
query Pages($after: String) {
  regions(first: 2, after: $after) {
    nodes { name }
    pageInfo { hasNextPage endCursor }
  }
}
"""

NESTED_REGIONS = """
query NestedRegions {
  regions(first: 20) {
    nodes {
      name
      prefectures { name }
      secretariat { name }
      declaration { signatories { name } }
      vision { version }
      members { nodes { role organization { name } } }
    }
  }
}
"""

# Sign-in (4) and the test transaction's savepoint (2), as for organizations; then regions,
# their members, their signatories, and organizations in one batch per level that names them
# (secretariats, members', signatories').
MAX_STATEMENTS = 12


@pytest.fixture
async def three_regions(world: World) -> None:
    await world.found_region(slug="kyushu", name="九州地域戦略会議")
    await world.found_region(
        slug="chugoku",
        name="中国地域広域リージョン",
        prefecture_codes=["31", "32", "33", "34", "35"],
    )
    await world.found_region(
        slug="kansai", name="関西ＤＸ広域リージョン", prefecture_codes=["25", "26", "27", "28"]
    )


async def slugs(client: Any, token: str, **variables: Any) -> set[str]:
    body = await graphql(client, SEARCH, variables, token=token)
    assert "errors" not in body, body
    return {n["slug"] for n in body["data"]["regions"]["nodes"]}


@pytest.mark.parametrize(
    ("search", "found"),
    [
        ("九州", {"kyushu"}),  # a two-character word
        ("九", {"kyushu"}),
        ("広域", {"chugoku", "kansai"}),
        ("ＤＸ", {"kansai"}),  # full-width, as typed with a Japanese input method
        ("dx", {"kansai"}),  # half-width, lower case
        ("ｄｘ広域", {"kansai"}),
        ("ﾘｰｼﾞｮﾝ", {"chugoku", "kansai"}),  # half-width katakana
        ("りーじょん", {"chugoku", "kansai"}),  # hiragana
        ("大阪", set()),
        ("九州リージョン", set()),  # every bigram must be in the name
        ("", {"kyushu", "chugoku", "kansai"}),
    ],
)
async def test_search_finds_regions_by_any_part_of_their_japanese_name(
    client, world: World, three_regions, search, found
):
    # given
    token = world.token(world.hiroshima_owner, world.hiroshima)
    # when
    result = await slugs(client, token, search=search)
    # then
    assert result == found


@pytest.mark.parametrize(
    ("code", "found"),
    [
        ("35", {"kyushu", "chugoku"}),  # 山口 is in both
        ("３５", {"kyushu", "chugoku"}),
        ("27", {"kansai"}),
        ("13", set()),
    ],
)
async def test_regions_covering_a_prefecture(client, world: World, three_regions, code, found):
    # given
    token = world.token(world.kumamoto_owner, world.kumamoto)
    # when
    result = await slugs(client, token, prefectureCode=code)
    # then
    assert result == found


async def test_search_and_prefecture_together(client, world: World, three_regions):
    token = world.token(world.kumamoto_owner, world.kumamoto)
    assert await slugs(client, token, search="広域", prefectureCode="35") == {"chugoku"}


async def test_regions_are_listed_by_name_a_page_at_a_time(client, world: World):
    # given
    for number in (3, 1, 2):
        await world.found_region(slug=f"region-{number}", name=f"広域リージョン{number}")
    token = world.token(world.hiroshima_owner, world.hiroshima)
    # when
    first = (await graphql(client, PAGES, token=token))["data"]["regions"]
    cursor = first["pageInfo"]["endCursor"]
    second = (await graphql(client, PAGES, {"after": cursor}, token=token))["data"]["regions"]
    # then
    assert [n["name"] for n in first["nodes"]] == ["広域リージョン1", "広域リージョン2"]
    assert first["pageInfo"]["hasNextPage"] is True
    assert [n["name"] for n in second["nodes"]] == ["広域リージョン3"]
    assert second["pageInfo"]["hasNextPage"] is False


async def test_a_region_and_its_member_are_found_by_global_id_or_slug(client, world: World):
    # given
    region = await world.found_region()
    member = await world.join(region, world.kumamoto, world.kumamoto_owner)
    token = world.token(world.hiroshima_owner, world.hiroshima)
    region_id = to_global_id("Region", region.id)
    # when
    by_id = await graphql(client, NODE, {"id": region_id}, token=token)
    by_slug = await graphql(client, REGION_BY_SLUG, {"slug": "KYUSHU"}, token=token)
    member_node = await graphql(
        client, NODE, {"id": to_global_id("RegionMember", member.id)}, token=token
    )
    # then: declarations are public, so an outsider reads the region and its active members
    assert by_id["data"]["node"] == {
        "__typename": "Region",
        "id": region_id,
        "slug": "kyushu",
        "name": "九州地域戦略会議",
    }
    assert by_slug["data"]["region"] == {"id": region_id, "name": "九州地域戦略会議"}
    assert member_node["data"]["node"]["organization"] == {"name": "熊本半導体クラスター"}
    assert member_node["data"]["node"]["region"] == {"slug": "kyushu"}


async def test_an_invitation_is_hidden_from_outsiders_even_by_id(client, world: World):
    # given
    region = await world.found_region()
    member = await world.invite(region, world.kumamoto)
    member_id = to_global_id("RegionMember", member.id)
    # when
    outsider = await graphql(
        client, NODE, {"id": member_id}, token=world.token(world.hiroshima_owner, world.hiroshima)
    )
    invitee = await graphql(
        client, NODE, {"id": member_id}, token=world.token(world.kumamoto_member, world.kumamoto)
    )
    # then
    assert outsider["data"]["node"] is None
    assert invitee["data"]["node"]["status"] == "INVITED"


async def test_a_region_id_of_another_type_finds_nothing(client, world: World):
    region = await world.found_region()
    token = world.token(world.secretariat_owner, world.secretariat)
    body = await graphql(client, NODE, {"id": to_global_id("Organization", region.id)}, token=token)
    assert body["data"]["node"] is None


async def regions_with_members(world: World, start: int, count: int) -> None:
    """Regions founded by the secretariat, each joined by 熊本 or 熊本 and 広島."""
    for number in range(start, start + count):
        region = await world.found_region(slug=f"region-{number:02}", name=f"地域{number:02}")
        await world.join(region, world.kumamoto, world.kumamoto_owner, is_signatory=True)
        if number % 2:
            await world.join(region, world.hiroshima, world.hiroshima_owner)


def shown(statements: list[str]) -> str:
    return "\n".join(f"  {s.splitlines()[0][:120]}" for s in statements)


async def test_nested_region_lists_cost_the_same_for_2_and_8_regions(
    client, world: World, statement_counter
):
    # given
    await regions_with_members(world, 0, 2)
    token = world.token(world.kumamoto_owner, world.kumamoto)
    with statement_counter as few:
        small = await graphql(client, NESTED_REGIONS, token=token)
    few_statements = list(few.statements)
    await regions_with_members(world, 2, 6)
    # when
    with statement_counter as many:
        large = await graphql(client, NESTED_REGIONS, token=token)
    # then
    assert "errors" not in small and "errors" not in large
    assert len(small["data"]["regions"]["nodes"]) == 2
    nodes = large["data"]["regions"]["nodes"]
    assert [n["name"] for n in nodes] == [f"地域{i:02}" for i in range(8)]
    assert nodes[1]["secretariat"] == {"name": "九州経済連合会"}
    assert [m["organization"]["name"] for m in nodes[1]["members"]["nodes"]] == [
        "九州経済連合会",
        "熊本半導体クラスター",
        "広島大学",
    ]
    assert [s["name"] for s in nodes[1]["declaration"]["signatories"]] == [
        "九州経済連合会",
        "熊本半導体クラスター",
    ]
    assert many.count == len(few_statements) <= MAX_STATEMENTS, (
        f"2 regions took {len(few_statements)} statements, 8 took {many.count} "
        f"(at most {MAX_STATEMENTS}):\n{shown(many.statements)}"
    )
