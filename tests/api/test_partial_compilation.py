"""A field the statement cannot serve is resolved alone; the rest of the query stays compiled.

Every such field is counted (`renkei_compiled_fallback_total{reason}`) and logged with the
operation's name and the field, so that leaving the fast path never goes unnoticed.
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from typing import Any

import httpx2
import pytest

from conftest import StatementCounter
from factories import add_member, create_organization, create_user, graphql, token_for
from renkei.db import SessionFactory
from renkei.graphql.compiled import planner
from renkei.graphql.compiled.planner import FALLBACKS
from renkei.graphql.compiled.spec import MARK, ROOTS, TABLES
from renkei.identity.tokens import TokenService

MEMBERS = """
query Members($slug: String!, $after: String) {
  organization(slug: $slug) {
    name
    members(first: 2, after: $after) { nodes { role user { email } } }
    everyone: members(first: 5) { nodes { role } }
  }
  organizations(first: 3) { nodes { slug } }
}
"""

OLDER = """
query Older { organizations(first: 2) { nodes { name } } }
"""


def _fallbacks(reason: str) -> float:
    return FALLBACKS.labels(reason=reason)._value.get()


@pytest.fixture
def members_without_sql(monkeypatch: pytest.MonkeyPatch) -> None:
    """Organization.members as a newly added field nobody gave its SQL yet (e.g. `daysLate`)."""
    monkeypatch.delitem(TABLES["Organization"].fields, "members")
    monkeypatch.setattr(planner, "_PLANS", OrderedDict())


@pytest.fixture
def organizations_without_sql(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delitem(ROOTS, "organizations")
    monkeypatch.setattr(planner, "_PLANS", OrderedDict())


@pytest.fixture
async def organization_with_members(sessions: SessionFactory, tokens: TokenService) -> str:
    owner = await create_user(sessions, "owner@partial.example")
    organization = await create_organization(sessions, owner, slug="partial", name="部分商事")
    for number in range(3):
        member = await create_user(sessions, f"m{number}@partial.example")
        await add_member(sessions, organization, owner, member)
    return token_for(tokens, owner)


async def test_a_field_without_sql_is_resolved_alone_inside_a_compiled_answer(
    members_without_sql: None,
    client: httpx2.AsyncClient,
    resolvers_only: httpx2.AsyncClient,
    organization_with_members: str,
    statement_counter: StatementCounter,
    caplog: pytest.LogCaptureFixture,
) -> None:
    # given a query selecting a field that has no SQL, twice (under two names)
    variables: dict[str, Any] = {"slug": "partial"}
    before = _fallbacks("resolver_field")
    # when it is asked of the compiled API and of the resolvers alone
    with caplog.at_level(logging.INFO, "renkei.graphql.compiled.planner"), statement_counter:
        compiled = await graphql(client, MEMBERS, variables, token=organization_with_members)
    resolved = await graphql(resolvers_only, MEMBERS, variables, token=organization_with_members)
    # then both answer the same, the rest of the query ran as one compiled statement
    assert "errors" not in compiled, compiled
    assert compiled == resolved
    assert compiled["data"]["organization"]["members"]["nodes"]
    assert sum(MARK in s for s in statement_counter.statements) == 1
    # and the field that left the fast path was counted and logged with the operation's name
    assert _fallbacks("resolver_field") == before + 2
    logged = [r for r in caplog.records if r.getMessage().startswith("compiled read fell back")]
    fields = [(r.operation, r.field) for r in logged]  # type: ignore[attr-defined]
    assert fields == [("Members", "Organization.members")] * 2


async def test_an_error_of_a_field_resolved_alone_has_its_path_in_the_query(
    members_without_sql: None,
    client: httpx2.AsyncClient,
    resolvers_only: httpx2.AsyncClient,
    organization_with_members: str,
) -> None:
    # given a page after a cursor that is none of ours
    variables: dict[str, Any] = {"slug": "partial", "after": "not-a-cursor"}
    # when it is asked of both
    compiled = await graphql(client, MEMBERS, variables, token=organization_with_members)
    resolved = await graphql(resolvers_only, MEMBERS, variables, token=organization_with_members)
    # then the error points at the same place as the resolvers' own, with the same words
    assert compiled == resolved
    assert [e["path"] for e in compiled["errors"]] == [["organization", "members"]]


async def test_a_query_nothing_of_which_compiles_goes_to_the_resolvers_counted(
    organizations_without_sql: None,
    client: httpx2.AsyncClient,
    organization_with_members: str,
    caplog: pytest.LogCaptureFixture,
    statement_counter: StatementCounter,
) -> None:
    # given a query whose only root field the statement cannot serve
    before = _fallbacks("field_not_compiled")
    # when it is asked twice
    with caplog.at_level(logging.INFO, "renkei.graphql.compiled.planner"), statement_counter:
        for _ in range(2):
            answer = await graphql(client, OLDER, token=organization_with_members)
            assert "errors" not in answer, answer
    # then no compiled statement ran, and each request was counted and logged
    assert sum(MARK in s for s in statement_counter.statements) == 0
    assert _fallbacks("field_not_compiled") == before + 2
    logged = [r for r in caplog.records if r.getMessage().startswith("compiled read fell back")]
    assert [(r.operation, r.field) for r in logged] == [("Older", "Query.organizations")] * 2  # type: ignore[attr-defined]
