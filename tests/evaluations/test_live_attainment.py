"""A KPI's live attainment chooses its target as an evaluation round does: the earliest
deadline, fiscal (年度) or calendar (暦年), on or after the latest observation; the compiled
read and the resolvers agree on it."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import httpx2

from factories import graphql, token_for
from kpis.world import World
from renkei.db import unit_of_work
from renkei.evaluations import service
from renkei.graphql.relay import to_global_id
from renkei.identity.tokens import TokenService
from renkei.kpis import goals
from renkei.tenancy import MembershipRole

KPI = """
query Kpi($id: ID!) {
  kpi(id: $id) {
    name
    attainment {
      percent achieved target targetFiscalYear targetCalendarYear latestValue reason
    }
  }
}
"""
ROLLUP = """
query Rollup($region: ID!) {
  region(id: $region) {
    kpiRollup { percent kpiCount achievedCount included { kpi { name } } }
  }
}
"""
REVIEWS = """
query Rounds($region: ID!) {
  evaluationRounds(regionId: $region) {
    kpiReviews { kpiName target targetPeriod latest percent achieved reasonCode }
  }
}
"""


async def test_live_attainment_uses_calendar_targets_as_a_round_freezes_them(
    world: World,
    client: httpx2.AsyncClient,
    resolvers_only: httpx2.AsyncClient,
    tokens: TokenService,
):
    # given a KPI with only a 2030年 target, one with a 2025年 target before its FY2025 one,
    # and one whose 2030年 target equals its baseline, each observed in February 2026
    viewer = await world.viewer(world.secretariat)
    calendar_only = await world.kpi(region=world.region, name="移住者数", baseline=100)
    mixed = await world.kpi(
        region=world.region, name="半導体人材の育成数", baseline=100, targets={2025: 300}
    )
    flat = await world.kpi(region=world.region, name="開業件数", baseline=100)
    async with unit_of_work(world.sessions, viewer) as session:
        await goals.set_calendar_target(
            session, viewer, kpi_id=calendar_only.id, year=2030, value=500
        )
        await goals.set_calendar_target(session, viewer, kpi_id=mixed.id, year=2025, value=200)
        await goals.set_calendar_target(session, viewer, kpi_id=mixed.id, year=2030, value=900)
        await goals.set_calendar_target(session, viewer, kpi_id=flat.id, year=2030, value=100)
    for kpi in (calendar_only, mixed, flat):
        await world.observe(kpi, date(2026, 2, 1), date(2026, 2, 28), 250, party=world.regional)
    # when a round held in March 2026 reviews them and is recorded
    async with unit_of_work(world.sessions, viewer) as session:
        found = await service.create_round(
            session, viewer, region_id=world.region.id, title="第1回", held_on=date(2026, 3, 15)
        )
        for kpi in (calendar_only, mixed, flat):
            await service.add_kpi_review(session, viewer, round_id=found.id, kpi_id=kpi.id)
        await service.record_round(session, viewer, round_id=found.id)
    member = token_for(
        tokens, world.regional.people[MembershipRole.OWNER], world.regional.organization
    )
    rounds = await graphql(
        client, REVIEWS, {"region": to_global_id("Region", world.region.id)}, token=member
    )
    (frozen_round,) = rounds["data"]["evaluationRounds"]
    frozen = {r["kpiName"]: r for r in frozen_round["kpiReviews"]}
    # then the live attainment, compiled and resolved, is the one the round froze
    by_name = {}
    for kpi in (calendar_only, mixed, flat):
        variables = {"id": to_global_id("Kpi", kpi.id)}
        compiled = await graphql(client, KPI, variables, token=member)
        resolved = await graphql(resolvers_only, KPI, variables, token=member)
        assert "errors" not in compiled, compiled
        assert compiled == resolved
        live = compiled["data"]["kpi"]["attainment"]
        review = frozen[kpi.name]
        assert live["percent"] == (
            None if review["percent"] is None else float(Decimal(str(review["percent"])))
        )
        assert live["achieved"] == review["achieved"]
        assert live["target"] == review["target"]
        assert live["latestValue"] == review["latest"] == 250
        by_name[kpi.name] = live
    # 2030年: (250 − 100) ÷ (500 − 100) = 37.5 %, no longer "no target"
    assert by_name["移住者数"]["percent"] == 37.5
    assert by_name["移住者数"]["targetCalendarYear"] == 2030
    assert by_name["移住者数"]["targetFiscalYear"] is None
    assert by_name["移住者数"]["reason"] is None
    assert frozen["移住者数"]["targetPeriod"] == "CY2030"
    # the 2025年 target is due before February 2026; FY2025 (due 2026-03-31) before 2030年
    assert by_name["半導体人材の育成数"]["targetFiscalYear"] == 2025
    assert by_name["半導体人材の育成数"]["targetCalendarYear"] is None
    assert by_name["半導体人材の育成数"]["percent"] == 75.0
    assert frozen["半導体人材の育成数"]["targetPeriod"] == "FY2025"
    # a calendar target equal to the baseline: met, with no percent, and a reason
    assert by_name["開業件数"]["percent"] is None
    assert by_name["開業件数"]["achieved"] is True
    assert by_name["開業件数"]["reason"]
    assert frozen["開業件数"]["reasonCode"] == "TARGET_IS_BASELINE"
    # and the region's roll-up counts the calendar target, in both paths alike
    region = {"region": to_global_id("Region", world.region.id)}
    compiled_rollup = await graphql(client, ROLLUP, region, token=member)
    assert compiled_rollup == await graphql(resolvers_only, ROLLUP, region, token=member)
    rollup = compiled_rollup["data"]["region"]["kpiRollup"]
    assert rollup["percent"] == 56.3  # (37.5 + 75.0) ÷ 2, half up
    assert (rollup["kpiCount"], rollup["achievedCount"]) == (3, 1)
    assert {e["kpi"]["name"] for e in rollup["included"]} == {"移住者数", "半導体人材の育成数"}
