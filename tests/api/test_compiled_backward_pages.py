"""Backward pages (last/before) compile too, and answer exactly what the resolvers answer."""

from __future__ import annotations

from typing import Any

import httpx2

from conftest import StatementCounter
from factories import add_member, create_organization, create_user, graphql, token_for
from renkei.db import SessionFactory
from renkei.graphql.compiled.spec import MARK
from renkei.identity.tokens import TokenService

NEWEST = """
query Newest($last: Int, $before: String, $withCursors: Boolean!) {
  organizations(last: $last, before: $before) {
    edges @include(if: $withCursors) { cursor node { name } }
    nodes { name members(last: 2) { nodes { user { email } } pageInfo { hasPreviousPage } } }
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
  }
}
"""


async def test_walking_back_page_by_page_matches_the_resolvers(
    sessions: SessionFactory,
    client: httpx2.AsyncClient,
    resolvers_only: httpx2.AsyncClient,
    tokens: TokenService,
    statement_counter: StatementCounter,
) -> None:
    # given five organizations with a few members each
    owner = await create_user(sessions, "owner@backward.example")
    for number in range(5):
        organization = await create_organization(
            sessions, owner, name=f"後方{number}", slug=f"backward-{number}"
        )
        for seat in range(number % 3):
            member = await create_user(sessions, f"m{seat}@b{number}.example")
            await add_member(sessions, organization, owner, member)
    token = token_for(tokens, owner)
    # when the list is read backwards two at a time, both ways, following startCursor
    before = None
    seen = 0
    for turn in range(10):
        variables: dict[str, Any] = {"last": 2, "before": before, "withCursors": turn % 2 == 0}
        with statement_counter:
            compiled = await graphql(client, NEWEST, variables, token=token)
        resolved = await graphql(resolvers_only, NEWEST, variables, token=token)
        # then each page is the same, and came from one compiled statement
        assert "errors" not in compiled, compiled
        assert compiled == resolved
        assert sum(MARK in s for s in statement_counter.statements) == 1
        page = compiled["data"]["organizations"]
        seen += len(page["nodes"])
        if not page["pageInfo"]["hasPreviousPage"]:
            break
        before = page["pageInfo"]["startCursor"]
    assert seen >= 5
