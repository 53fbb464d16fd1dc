"""The root `milestones` page, compiled from the repository's own statement, answers what its
resolver answers, and reads "today" when it runs, not when its plan was made."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date, timedelta
from typing import Any

import httpx2
import pytest
from graphql import parse

from conftest import StatementCounter
from factories import graphql
from milestones.conftest import World
from milestones.test_portfolio import a_portfolio
from renkei.db import SessionFactory
from renkei.graphql.app import create_app
from renkei.graphql.compiled.planner import Plan, compile_operation
from renkei.graphql.compiled.spec import MARK
from renkei.graphql.relay import to_global_id
from renkei.graphql.schema import build_schema
from renkei.identity.tokens import TokenService

PORTFOLIO = """
query Portfolio(
  $first: Int, $after: String, $dueFrom: Date, $dueTo: Date, $overdue: Boolean,
  $status: [MilestoneStatus!], $regionId: ID, $projectId: ID, $search: String
) {
  milestones(
    first: $first, after: $after, dueFrom: $dueFrom, dueTo: $dueTo, overdue: $overdue,
    status: $status, regionId: $regionId, projectId: $projectId, search: $search
  ) {
    edges {
      cursor
      node {
        id title dueOn status isOverdue completionRequested allowedTransitions weight
        evidenceLinks updatedAt project { name } owner { name } counterpart { name }
      }
    }
    pageInfo { hasNextPage endCursor }
  }
}
"""


@pytest.fixture
async def resolvers_only(
    sessions: SessionFactory, tokens: TokenService, redis_url: str
) -> AsyncIterator[httpx2.AsyncClient]:
    app = create_app(
        sessions=sessions,
        tokens=tokens,
        redis_url=redis_url,
        development=True,
        compiled_reads=False,
    )
    async with httpx2.AsyncClient(
        transport=httpx2.ASGITransport(app=app), base_url="http://renkei.test"
    ) as http:
        yield http


async def test_every_filter_of_the_portfolio_compiled_matches_the_resolvers(
    world: World, resolvers_only: httpx2.AsyncClient, statement_counter: StatementCounter
) -> None:
    # given 福岡's portfolio (one milestone overdue, one DONE, one of 大分's it does not see)
    given = await a_portfolio(world)
    today: date = given["today"]
    region = to_global_id("Region", given["region"].id)
    standalone = to_global_id("Project", given["standalone"].id)
    window = {"dueFrom": today.isoformat(), "dueTo": (today + timedelta(days=30)).isoformat()}
    asked: list[dict[str, Any]] = [
        {},
        window,
        {**window, "status": ["DONE"]},
        {"status": ["DONE", "NOT_STARTED"]},
        {"overdue": True},
        {"overdue": False},
        {"overdue": False, "status": ["DONE"]},
        {"regionId": region},
        {"projectId": standalone},
        {"projectId": to_global_id("Region", given["region"].id)},
        {"regionId": "not an id"},
        {"search": "東京"},
        {"search": "周遊 ﾙｰﾄ"},
        {**window, "first": 2},
    ]
    for variables in asked:
        # when
        with statement_counter:
            compiled = await graphql(world.client, PORTFOLIO, variables, token=given["token"])
        statements = list(statement_counter.statements)
        resolved = await graphql(resolvers_only, PORTFOLIO, variables, token=given["token"])
        # then: the same answer, in one compiled statement
        assert "errors" not in resolved, (variables, resolved)
        assert compiled == resolved, variables
        assert sum(MARK in s for s in statements) == 1, variables
    # and the next page follows the compiled cursor
    first = await graphql(world.client, PORTFOLIO, {**window, "first": 2}, token=given["token"])
    after = first["data"]["milestones"]["pageInfo"]["endCursor"]
    following = {**window, "first": 2, "after": after}
    compiled = await graphql(world.client, PORTFOLIO, following, token=given["token"])
    assert compiled == await graphql(resolvers_only, PORTFOLIO, following, token=given["token"])
    assert [e["node"]["title"] for e in compiled["data"]["milestones"]["edges"]] == [
        "半導体装置搬入",
        "京都展示会",
    ]


def test_a_cached_overdue_plan_reads_today_when_it_runs() -> None:
    # given the plan of an overdue portfolio, as the plan cache keeps it for later requests
    schema = build_schema()._schema
    # when
    plan = compile_operation(schema, parse(PORTFOLIO), None, {"overdue": True})
    # then: today is SQL in the statement, no date fixed in its parameters
    assert isinstance(plan, Plan)
    assert not [v for v in plan.params.values() if isinstance(v, date)]
    assert "timezone('Asia/Tokyo', now())" in plan.sql
