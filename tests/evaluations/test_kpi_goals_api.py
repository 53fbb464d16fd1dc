"""KPI goals through the API: calendar-year and relative targets, and the national goal a KPI
contributes to; the compiled read answers as the resolvers do."""

from __future__ import annotations

import uuid
from decimal import Decimal

import httpx2

from factories import graphql, token_for
from kpis.world import World
from renkei.db import unit_of_work
from renkei.graphql.relay import to_global_id
from renkei.identity.tokens import TokenService
from renkei.kpis.models import NationalGoal
from renkei.tenancy import MembershipRole, Viewer

SET_GOALS = """
mutation Goals($kpi: ID!, $goal: ID!) {
  setKpiCalendarTarget(input: {kpiId: $kpi, year: 2030, value: 500}) {
    userErrors { field code message }
  }
  setKpiRelativeTarget(input: {kpiId: $kpi, referenceName: "東京圏の水準", referenceValue: 3.2,
                               description: "東京圏の水準以上"}) {
    userErrors { field code message }
  }
  linkKpiNationalGoal(input: {kpiId: $kpi, nationalGoalId: $goal, contribution: "若者の定着"}) {
    kpi { nationalGoal { name confirmed } }
    userErrors { field code message }
  }
}
"""
READ = """
query Read($kpi: ID!) {
  kpi(id: $kpi) {
    name
    calendarTargets { year value }
    relativeTarget { referenceName referenceValue factor description }
    nationalGoal { code name targetValue unit confirmed note }
  }
  nationalGoals { code confirmed }
}
"""
BAD_YEAR = """
mutation Bad($kpi: ID!) {
  setKpiCalendarTarget(input: {kpiId: $kpi, year: 1800, value: 1}) {
    userErrors { field code }
  }
}
"""


async def test_kpi_goals_are_set_and_read_alike_by_both_paths(
    world: World,
    client: httpx2.AsyncClient,
    resolvers_only: httpx2.AsyncClient,
    tokens: TokenService,
):
    # given a region KPI and a national goal whose figure is not confirmed
    kpi = await world.kpi(region=world.region, name="若年層の転出超過数", baseline=100)
    async with unit_of_work(world.sessions, Viewer.platform()) as session:
        goal = NationalGoal(
            id=uuid.uuid4(),
            code="kankei-jinko-10m",
            name="関係人口の創出（実人数）",
            target_value=Decimal(10_000_000),
            unit="人",
            confirmed=False,
            note="原文で未確認",
        )
        session.add(goal)
    secretariat = token_for(
        tokens, world.secretariat.people[MembershipRole.OWNER], world.secretariat.organization
    )
    ids = {"kpi": to_global_id("Kpi", kpi.id), "goal": to_global_id("NationalGoal", goal.id)}
    # when the secretariat sets the goals
    body = await graphql(client, SET_GOALS, ids, token=secretariat)
    # then
    assert all(payload["userErrors"] == [] for payload in body["data"].values()), body
    member = token_for(
        tokens, world.regional.people[MembershipRole.OWNER], world.regional.organization
    )
    compiled = await graphql(client, READ, {"kpi": ids["kpi"]}, token=member)
    resolved = await graphql(resolvers_only, READ, {"kpi": ids["kpi"]}, token=member)
    assert compiled == resolved
    read = compiled["data"]["kpi"]
    assert read["calendarTargets"] == [{"year": 2030, "value": 500.0}]
    assert read["relativeTarget"]["referenceName"] == "東京圏の水準"
    assert read["relativeTarget"]["factor"] == 1.0
    assert read["nationalGoal"]["confirmed"] is False
    assert compiled["data"]["nationalGoals"] == [{"code": "kankei-jinko-10m", "confirmed": False}]
    # and a year out of range is a user error on its field
    bad = await graphql(client, BAD_YEAR, {"kpi": ids["kpi"]}, token=secretariat)
    assert bad["data"]["setKpiCalendarTarget"]["userErrors"] == [
        {"field": "year", "code": "INVALID"}
    ]
