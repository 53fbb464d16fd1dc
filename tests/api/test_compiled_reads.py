"""Compiled reads answer exactly what the resolvers answer, in one statement."""

from __future__ import annotations

from typing import Any

import httpx2

from conftest import StatementCounter
from factories import add_member, create_organization, create_user, graphql, token_for
from renkei.db import SessionFactory
from renkei.graphql.compiled.spec import (
    MARK,
)
from renkei.graphql.relay import to_global_id
from renkei.identity.tokens import TokenService

ORGANIZATIONS = """
query Organizations($first: Int, $after: String, $kind: OrganizationKind, $withKind: Boolean!) {
  __typename
  organizations(first: $first, after: $after, kind: $kind) {
    __typename
    edges {
      cursor
      node {
        __typename
        id
        name
        slug
        kind @include(if: $withKind)
        createdAt
        ...Place
        members(first: 2) {
          pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
          nodes { role createdAt user { email displayName } }
        }
      }
    }
    nodes { id corporateNumber localGovernmentCode }
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
  }
}

fragment Place on Organization {
  homePrefecture { id code name nameKana nameRomaji planningBloc { code name nameRomaji } }
}
"""

ONE = """
query One($id: ID, $slug: String) {
  bySlug: organization(slug: $slug) { id name members { edges { cursor node { role } } } }
  byId: organization(id: $id) { ... on Node { id } name }
}
"""


def _compiled_statements(statements: list[str]) -> int:
    return sum(MARK in s for s in statements)


async def _both(
    client: httpx2.AsyncClient,
    resolvers_only: httpx2.AsyncClient,
    query: str,
    variables: dict[str, Any],
    token: str,
    counter: StatementCounter,
) -> dict[str, Any]:
    with counter:
        compiled = await graphql(client, query, variables, token=token)
    compiled_statements = list(counter.statements)
    with counter:
        resolved = await graphql(resolvers_only, query, variables, token=token)
    assert "errors" not in resolved, resolved
    assert compiled == resolved
    # the compiled answer came from one statement, the other from the resolvers
    assert _compiled_statements(compiled_statements) == 1
    assert _compiled_statements(counter.statements) == 0
    return compiled


async def test_organizations_compiled_match_the_resolvers_page_by_page(
    sessions: SessionFactory,
    client: httpx2.AsyncClient,
    resolvers_only: httpx2.AsyncClient,
    tokens: TokenService,
    statement_counter: StatementCounter,
) -> None:
    # given organizations whose names sort and escape in awkward ways, with members
    owner = await create_user(sessions, "owner@kyushu.example", 'Owner "Q" \\ 九州')
    names = ["九州経済連合会", 'Quote "Inc"', "back\\slash", "ｶﾅ商事", "Ａｌｐｈａ"]
    for number, name in enumerate(names):
        organization = await create_organization(
            sessions, owner, name=name, slug=f"compiled-{number}"
        )
        for seat in range(number % 3):
            member = await create_user(sessions, f"m{seat}@c{number}.example")
            await add_member(sessions, organization, owner, member)
    token = token_for(tokens, owner)
    # when every page is read both ways, following the cursors
    after = None
    seen = 0
    while True:
        data = await _both(
            client,
            resolvers_only,
            ORGANIZATIONS,
            {"first": 2, "after": after, "withKind": seen % 2 == 0},
            token,
            statement_counter,
        )
        page = data["data"]["organizations"]
        seen += len(page["edges"])
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    # then both walked the same pages to the end
    assert seen >= len(names)


async def test_lookups_compiled_match_the_resolvers(
    sessions: SessionFactory,
    client: httpx2.AsyncClient,
    resolvers_only: httpx2.AsyncClient,
    tokens: TokenService,
    statement_counter: StatementCounter,
) -> None:
    owner = await create_user(sessions, "lookup@kyushu.example")
    organization = await create_organization(sessions, owner, slug="lookup-org", name="北九州市")
    token = token_for(tokens, owner, organization)
    for variables in (
        {"slug": " Lookup-Org ", "id": to_global_id("Organization", organization.id)},
        {"slug": "no-such-org", "id": to_global_id("Organization", owner.id)},
        {"slug": "Not a slug!", "id": to_global_id("User", owner.id)},
    ):
        await _both(client, resolvers_only, ONE, variables, token, statement_counter)


CONSTANT_PARTS = """
query ConstantParts {
  organizations(first: 5) { __typename pageInfo { hasPreviousPage __typename } }
  edges: organizations { edges { __typename } }
  none: organizations(kind: MEDIA) { __typename }
}
"""


async def test_a_connection_asked_only_for_constants_is_one_object(
    sessions: SessionFactory,
    client: httpx2.AsyncClient,
    resolvers_only: httpx2.AsyncClient,
    tokens: TokenService,
    statement_counter: StatementCounter,
) -> None:
    """Found by the fuzzer: with nothing aggregated, the connection was one row per item (a
    CardinalityViolation, a fault) and null with no items."""
    # given two organizations the viewer sees
    owner = await create_user(sessions, "constants@kyushu.example")
    for number in range(2):
        await create_organization(sessions, owner, slug=f"constants-{number}")
    # when a connection is asked only for what does not depend on its rows
    data = await _both(
        client, resolvers_only, CONSTANT_PARTS, {}, token_for(tokens, owner), statement_counter
    )
    # then it answers one object, as the resolvers do
    assert data["data"]["organizations"] == {
        "__typename": "OrganizationConnection",
        "pageInfo": {"hasPreviousPage": False, "__typename": "PageInfo"},
    }
    assert data["data"]["none"] == {"__typename": "OrganizationConnection"}


async def test_a_query_seen_before_still_checks_the_tokens_scopes(
    sessions: SessionFactory, client: httpx2.AsyncClient, tokens: TokenService
) -> None:
    # given the query answered once, compiled, for a token with every scope
    owner = await create_user(sessions, "scopes@kyushu.example")
    organization = await create_organization(sessions, owner, slug="scopes-org", name="佐賀県")
    variables = {"slug": "scopes-org", "id": to_global_id("Organization", organization.id)}
    first = await graphql(client, ONE, variables, token=token_for(tokens, owner, organization))
    assert first["data"]["bySlug"]["name"] == "佐賀県"
    # when a token without organizations:read sends the very same request
    narrow = token_for(tokens, owner, organization, scopes=frozenset({"projects:read"}))
    again = await graphql(client, ONE, variables, token=narrow)
    # then it is refused as it would be the first time
    assert again["data"] is None or again["data"] == {"bySlug": None, "byId": None}
    assert {e["extensions"]["code"] for e in again["errors"]} == {"INSUFFICIENT_SCOPE"}
