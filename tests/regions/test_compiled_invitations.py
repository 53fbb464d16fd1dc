"""An organization's region invitations compiled: the same page, read in one statement."""

from __future__ import annotations

from typing import Any

import httpx2

from conftest import StatementCounter
from factories import graphql
from regions.world import World
from renkei.graphql.compiled.planner import FALLBACKS
from renkei.graphql.compiled.spec import MARK

INVITATIONS = """
query Invitations($first: Int, $after: String) {
  regionInvitations(first: $first, after: $after) {
    edges { cursor node { id role status isSignatory respondedAt createdAt region { name } } }
    pageInfo { hasNextPage endCursor }
  }
}
"""


def _fallbacks() -> float:
    return sum(s.value for m in FALLBACKS.collect() for s in m.samples if s.name.endswith("_total"))


async def _both(
    client: httpx2.AsyncClient,
    resolvers_only: httpx2.AsyncClient,
    counter: StatementCounter,
    variables: dict[str, Any],
    token: str,
) -> dict[str, Any]:
    before = _fallbacks()
    with counter:
        compiled = await graphql(client, INVITATIONS, variables, token=token)
    compiled_statements = sum(MARK in s for s in counter.statements)
    fallbacks = _fallbacks() - before
    resolved = await graphql(resolvers_only, INVITATIONS, variables, token=token)
    assert "errors" not in resolved, resolved
    assert compiled == resolved
    assert (compiled_statements, fallbacks) == (1, 0)
    return compiled["data"]["regionInvitations"]


async def test_invitations_compiled_match_the_resolvers_page_by_page(
    client: httpx2.AsyncClient,
    resolvers_only: httpx2.AsyncClient,
    statement_counter: StatementCounter,
    world: World,
) -> None:
    # given 熊本 invited to two regions, and a member already of a third
    kyushu = await world.found_region()
    semiconductors = await world.found_region(slug="kyushu-chips", name="九州半導体連携")
    joined = await world.found_region(slug="kyushu-tourism", name="九州周遊観光")
    await world.invite(kyushu, world.kumamoto, is_signatory=True)
    await world.invite(semiconductors, world.kumamoto)
    await world.join(joined, world.kumamoto, world.kumamoto_owner)
    kumamoto = world.token(world.kumamoto_owner, world.kumamoto)
    # when its pages are read both ways, following the cursor
    first = await _both(client, resolvers_only, statement_counter, {"first": 1}, kumamoto)
    after = first["pageInfo"]["endCursor"]
    rest = await _both(
        client, resolvers_only, statement_counter, {"first": 1, "after": after}, kumamoto
    )
    # then both list the two invitations waiting, oldest first, and not the one answered
    assert first["pageInfo"]["hasNextPage"] is True
    assert rest["pageInfo"]["hasNextPage"] is False
    assert [e["node"]["region"]["name"] for e in first["edges"] + rest["edges"]] == [
        "九州地域戦略会議",
        "九州半導体連携",
    ]
    assert {e["node"]["status"] for e in first["edges"] + rest["edges"]} == {"INVITED"}


async def test_an_organization_invited_nowhere_has_no_invitations_either_way(
    client: httpx2.AsyncClient,
    resolvers_only: httpx2.AsyncClient,
    statement_counter: StatementCounter,
    world: World,
) -> None:
    # given the secretariat, which invites others and is invited nowhere
    region = await world.found_region()
    await world.invite(region, world.kumamoto)
    secretariat = world.token(world.secretariat_owner, world.secretariat)
    # when it reads its invitations both ways
    page = await _both(client, resolvers_only, statement_counter, {}, secretariat)
    # then none
    assert page["edges"] == []
