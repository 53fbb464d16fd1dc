"""Attainment, the region's roll-up and activity, compiled, answer what the resolvers answer."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import httpx2
import pytest

from conftest import StatementCounter
from factories import graphql, token_for
from kpis.world import Party, World, graphql_in
from renkei.graphql.compiled.spec import (
    MARK,
)
from renkei.graphql.relay import to_global_id
from renkei.identity.tokens import TokenService
from renkei.kpis.models import KpiDirection
from renkei.tenancy import MembershipRole

REGION = """
query Region($id: ID!) {
  region(id: $id) {
    kpiRollup {
      percent formula kpiCount achievedCount
      included { kpi { name } attainment { ...A } }
      excluded { kpi { name } reason attainment { ...A } }
    }
    activity(first: 5) {
      edges { cursor node { action subjectType after actor { email } } }
      pageInfo { hasNextPage endCursor }
    }
    kpis(first: 10) {
      nodes {
        name attainment { ...A }
        latestObservation { value activity(first: 2) { nodes { action after } } }
        activity(first: 3) { nodes { action before after } }
      }
    }
    projects(first: 10) {
      nodes {
        name totalFundingJpy
        kpis(first: 10) { nodes { name attainment { ...A } latestObservation { periodEnd } } }
      }
    }
  }
}
fragment A on KpiAttainment {
  percent achieved formula baseline target targetFiscalYear latestValue latestPeriodStart
  latestPeriodEnd reason
}
"""

SPRING = (date(2026, 4, 1), date(2026, 6, 30))  # FY2026


@pytest.fixture
async def measured(world: World) -> World:
    """KPIs on every edge: none observed, no target, a target equal to or on the wrong side of
    the baseline, a decreasing one measured to a later year, and two whose mean lies exactly
    on a rounding boundary (100/3 and 203/30: Python's 28 digits round it up)."""
    await world.kpi(name="A 未観測", targets={2026: 200})
    no_target = await world.kpi(name="B 目標なし", targets={2025: 200})
    await world.observe(no_target, *SPRING, 150)
    equal = await world.kpi(name="C 目標=基準", baseline=Decimal("100.5"), targets={2026: "100.5"})
    await world.observe(equal, *SPRING, 120)
    wrong = await world.kpi(name="D 逆向き", baseline=100, targets={2026: 80})
    await world.observe(wrong, *SPRING, 90)
    falling = await world.kpi(
        name="E CO2",
        project=world.private_project,
        direction=KpiDirection.DECREASE,
        baseline=500,
        targets={2027: 300, 2030: 100},
    )
    await world.observe(falling, date(2026, 10, 1), date(2026, 11, 30), Decimal("430.25"))
    third = await world.kpi(region=world.region, name="F 三分の一", baseline=0, targets={2026: 3})
    await world.observe(third, *SPRING, 1, party=world.secretariat)
    await world.observe(third, date(2025, 4, 1), date(2025, 6, 30), 2, party=world.secretariat)
    rest = await world.kpi(region=world.region, name="G 残り", baseline=0, targets={2026: 3000})
    await world.observe(rest, *SPRING, 203, party=world.secretariat)
    return world


# Why each excluded KPI has no percent, as a reader of each language reads it.
EXCLUDED = {
    "ja": {
        "A 未観測": "実績値がまだ記録されていません。",
        "B 目標なし": "2026年度以降の目標値が設定されていません。",
        "C 目標=基準": "2026年度の目標値が基準値（100.5）と同じため、達成率は出さず、"
        "達成か未達成かだけを示します。",
        "D 逆向き": "増加を目指すKPIですが、2026年度の目標値（80）が"
        "基準値（100）を下回っています。",
    },
    "en": {
        "A 未観測": "no observation yet",
        "B 目標なし": "no target for FY2026 or a later fiscal year",
        "C 目標=基準": "the FY2026 target equals the baseline (100.5): the target is met"
        " or not, with no percentage",
        "D 逆向き": "the FY2026 target (80) lies below the baseline (100) of an increasing KPI",
    },
}
FORMULA = {
    "ja": "達成率 = (最新値 − 基準値) ÷ (目標値 − 基準値) × 100。最新値 ≥ 目標値で達成",
    "en": "percent = (latest − baseline) ÷ (target − baseline) × 100;"
    " achieved when latest ≥ target",
}


@pytest.mark.parametrize(
    ("who", "language"),
    [
        ("secretariat", "ja"),
        ("secretariat", "en"),
        ("lead", "ja"),
        ("lead", "en"),
        ("partner", "ja"),
        ("regional", "en"),
        ("outsider", "ja"),
    ],
)
async def test_the_region_compiled_matches_the_resolvers_for_each_viewer(
    measured: World,
    who: str,
    language: str,
    client: httpx2.AsyncClient,
    resolvers_only: httpx2.AsyncClient,
    tokens: TokenService,
    statement_counter: StatementCounter,
) -> None:
    # given
    party: Party = getattr(measured, who)
    token = token_for(tokens, party.people[MembershipRole.OWNER], party.organization)
    variables = {"id": to_global_id("Region", measured.region.id)}
    # when
    with statement_counter:
        compiled = await graphql_in(client, language, REGION, variables, token=token)
    statements = list(statement_counter.statements)
    resolved = await graphql_in(resolvers_only, language, REGION, variables, token=token)
    # then
    assert "errors" not in resolved, resolved
    assert compiled == resolved
    assert sum(MARK in s for s in statements) == 1
    if who == "secretariat":
        rollup = compiled["data"]["region"]["kpiRollup"]
        assert [e["kpi"]["name"] for e in rollup["included"]] == ["F 三分の一", "G 残り"]
        assert rollup["percent"] == 20.1
        excluded = {e["kpi"]["name"]: e["reason"] for e in rollup["excluded"]}
        assert excluded == EXCLUDED[language]
        assert rollup["included"][0]["attainment"]["formula"] == FORMULA[language]
    if who == "lead":
        project_kpis = compiled["data"]["region"]["projects"]["nodes"]
        falling = next(k for p in project_kpis for k in p["kpis"]["nodes"] if k["name"] == "E CO2")
        assert falling["attainment"]["targetFiscalYear"] == 2027
        assert falling["attainment"]["percent"] == 34.9  # 69.75 ÷ 200


KPIS = """
query Kpis($projectId: ID, $regionId: ID, $first: Int, $after: String) {
  kpis(projectId: $projectId, regionId: $regionId, first: $first, after: $after) {
    edges {
      cursor
      node {
        id name unit description direction baseline baselineOn version createdAt updatedAt
        targets { fiscalYear value }
        latestObservation { id periodStart periodEnd value note source recordedFor { name } }
        project { name } region { name }
      }
    }
    pageInfo { hasNextPage endCursor }
  }
}
"""


@pytest.mark.parametrize(
    ("who", "everything", "private"),
    [
        (
            "secretariat",
            ["A 未観測", "B 目標なし", "C 目標=基準", "D 逆向き", "F 三分の一", "G 残り"],
            [],
        ),
        (
            "lead",
            ["A 未観測", "B 目標なし", "C 目標=基準", "D 逆向き", "E CO2", "F 三分の一", "G 残り"],
            ["E CO2"],
        ),
        ("outsider", [], []),
    ],
)
async def test_the_root_kpis_compiled_match_the_resolvers_for_each_filter(
    measured: World,
    who: str,
    everything: list[str],
    private: list[str],
    client: httpx2.AsyncClient,
    resolvers_only: httpx2.AsyncClient,
    tokens: TokenService,
    statement_counter: StatementCounter,
) -> None:
    # given
    party: Party = getattr(measured, who)
    token = token_for(tokens, party.people[MembershipRole.OWNER], party.organization)
    asked = [
        {},
        {"first": 2},
        {"regionId": to_global_id("Region", measured.region.id)},
        {"projectId": to_global_id("Project", measured.private_project.id)},
        {"projectId": to_global_id("Project", measured.project.id), "first": 1},
    ]
    seen = []
    for variables in asked:
        # when
        with statement_counter:
            compiled = await graphql(client, KPIS, variables, token=token)
        statements = list(statement_counter.statements)
        resolved = await graphql(resolvers_only, KPIS, variables, token=token)
        # then: the same KPIs, in one compiled statement
        assert "errors" not in resolved, resolved
        assert compiled == resolved, variables
        assert sum(MARK in s for s in statements) == 1, variables
        seen.append([e["node"]["name"] for e in compiled["data"]["kpis"]["edges"]])
    # and the private project's KPI shows only to its participants
    assert seen[0] == everything
    assert seen[3] == private


async def test_the_root_kpis_with_another_types_id_answer_as_the_resolver_does(
    measured: World,
    client: httpx2.AsyncClient,
    resolvers_only: httpx2.AsyncClient,
    tokens: TokenService,
) -> None:
    # given a region's id where a project's is expected
    party = measured.lead
    token = token_for(tokens, party.people[MembershipRole.OWNER], party.organization)
    variables = {"projectId": to_global_id("Region", measured.region.id)}
    # when
    compiled = await graphql(client, KPIS, variables, token=token)
    resolved = await graphql(resolvers_only, KPIS, variables, token=token)
    # then
    assert "errors" in compiled
    assert compiled == resolved


async def test_one_cached_plan_answers_each_reader_in_their_language(
    measured: World,
    client: httpx2.AsyncClient,
    tokens: TokenService,
    statement_counter: StatementCounter,
) -> None:
    """The words are bind parameters: the statement is the same for every reader, and the
    plan compiled for a Japanese reader answers an English one in English, and back."""
    # given
    party = measured.secretariat
    token = token_for(tokens, party.people[MembershipRole.OWNER], party.organization)
    variables = {"id": to_global_id("Region", measured.region.id)}
    answers, sql = [], []
    # when the same query is read in Japanese, English, then Japanese again
    for language in ("ja", "en", "ja"):
        with statement_counter:
            body = await graphql_in(client, language, REGION, variables, token=token)
        sql.append([s for s in statement_counter.statements if MARK in s])
        rollup = body["data"]["region"]["kpiRollup"]
        answers.append({e["kpi"]["name"]: e["reason"] for e in rollup["excluded"]})
    # then each reads their own language from one and the same statement
    assert answers == [EXCLUDED["ja"], EXCLUDED["en"], EXCLUDED["ja"]]
    assert len(sql[0]) == 1 and sql[0] == sql[1] == sql[2]
    assert "年度" not in sql[0][0] and "no observation" not in sql[0][0]
