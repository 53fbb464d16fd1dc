"""The region dashboard and the portfolio, compiled, answer exactly what the resolvers answer."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import httpx2
import pytest
from sqlalchemy import select

from conftest import StatementCounter
from factories import act_as, create_organization, create_user, graphql, token_for
from renkei.db import SessionFactory, unit_of_work
from renkei.graphql.compiled.spec import (
    MARK,
)
from renkei.graphql.relay import to_global_id
from renkei.identity.tokens import TokenService
from renkei.kpis import service as kpis
from renkei.milestones import dependencies
from renkei.milestones import service as milestones
from renkei.milestones.models import Milestone, MilestoneStatus
from renkei.projects import service as projects
from renkei.projects.models import ProjectCategory, ProjectVisibility
from renkei.regions import service as regions

DASHBOARD = """
query Dashboard($id: ID!, $first: Int!, $after: String) {
  region(id: $id) {
    id name slug version updatedAt
    prefectures { code name }
    secretariat { name kind }
    declaration { text declaredOn signatories { name } }
    vision { text adoptedOn version }
    members(first: 5) { nodes { role status isSignatory organization { name } } }
    kpis(first: 5) { nodes { name unit baseline latestObservation { value periodEnd } } }
    projects(first: $first, after: $after) {
      pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
      edges {
        cursor
        node {
          id name summary category status visibility startsOn endsOn allowedTransitions
          lead { name homePrefecture { name } }
          region { slug }
          prefectures { code }
          participants(first: 10) { nodes { role status organization { name } } }
          fundingSources { kind name amountJpy fiscalYear funder { name } }
          milestones(first: 3) {
            pageInfo { hasNextPage endCursor }
            nodes {
              id title dueOn startsOn status progress weight horizonYears isOverdue
              completionRequested allowedTransitions evidenceLinks atRiskReason
              owner { name } counterpart { name }
            }
          }
          kpis(first: 5) {
            nodes {
              name unit direction baseline baselineOn
              targets { fiscalYear value }
              latestObservation { periodStart periodEnd value note source }
              observations(first: 2) { edges { cursor node { value } } }
            }
          }
        }
      }
    }
  }
}
"""

# The dashboard a secretariat opens for the published formulas: progress, attainment, and what
# each milestone waits for.
FULL_DASHBOARD = """
query FullDashboard($id: ID!) {
  region(id: $id) {
    name
    kpiRollup { percent kpiCount achievedCount excluded { kpi { name } reason } }
    projects(first: 10) {
      nodes {
        name
        progress {
          percent formula totalWeight reason
          inputs { title weight progress status counted contribution milestone { id } }
        }
        milestones(first: 10) { nodes { title dependsOn { title } dependents { title } } }
        kpis(first: 5) {
          nodes {
            name
            attainment {
              percent achieved formula baseline target targetFiscalYear latestValue
              latestPeriodStart latestPeriodEnd reason
            }
          }
        }
      }
    }
  }
}
"""

PORTFOLIO = """
query Portfolio($from: Date, $to: Date, $overdue: Boolean, $status: [MilestoneStatus!],
                $search: String, $after: String) {
  milestones(first: 4, dueFrom: $from, dueTo: $to, overdue: $overdue, status: $status,
             search: $search, after: $after) {
    edges { cursor node { title dueOn status project { name } owner { name } } }
    pageInfo { hasNextPage endCursor }
  }
  projects(first: 10, category: SEMICONDUCTOR, search: $search) { nodes { name } }
}
"""

TODAY = date.today()


async def _both(
    client: httpx2.AsyncClient,
    resolvers_only: httpx2.AsyncClient,
    counter: StatementCounter,
    query: str,
    variables: dict[str, Any],
    token: str,
) -> dict[str, Any]:
    with counter:
        compiled = await graphql(client, query, variables, token=token)
    compiled_statements = list(counter.statements)
    resolved = await graphql(resolvers_only, query, variables, token=token)
    assert "errors" not in resolved, resolved
    assert compiled == resolved
    assert sum(MARK in s for s in compiled_statements) == 1
    return compiled


@pytest.fixture
async def dashboard_world(sessions: SessionFactory) -> tuple[Any, Any, Any]:
    """九州: a secretariat leading three projects of mixed visibility with milestones and KPIs."""
    owner = await create_user(sessions, "owner@kyushu-keizai.example")
    secretariat = await create_organization(
        sessions, owner, slug="kyushu-keizai-c", name="九州経済連合会", home_prefecture_code="40"
    )
    viewer = await act_as(sessions, owner, secretariat)

    async def act(work: Any) -> Any:
        async with unit_of_work(sessions, viewer) as session:
            return await work(session, viewer)

    region = await act(
        lambda s, v: regions.create_region(
            s,
            v,
            slug="kyushu-c",
            name="九州広域リージョン",
            prefecture_codes=["40", "43", "47", "35"],
            declaration_text="九州・山口・沖縄は一体となって…",
            declared_on=date(2025, 10, 20),
            vision_text="役割分担と実施体制",
            vision_adopted_on=date(2026, 3, 1),
        )
    )
    for name, category, visibility in [
        ("半導体サプライチェーン", ProjectCategory.SEMICONDUCTOR, ProjectVisibility.PUBLIC),
        ("周遊観光ルート", ProjectCategory.CIRCUIT_TOURISM, ProjectVisibility.REGION),
        ("水素供給網", ProjectCategory.GX_ENERGY, ProjectVisibility.PARTICIPANTS),
    ]:
        project = await act(
            lambda s, v, name=name, category=category, visibility=visibility: (
                projects.create_project(
                    s,
                    v,
                    name=name,
                    summary=f"{name}の概要",
                    category=category,
                    region_id=region.id,
                    visibility=visibility,
                    starts_on=date(2026, 4, 1),
                )
            )
        )
        await act(
            lambda s, v, project=project: projects.add_funding_source(
                s,
                v,
                project_id=project.id,
                kind="NATIONAL_GRANT",
                name="交付金",
                amount_jpy=3_000_000_000,
                fiscal_year=2026,
            )
        )
        for step in range(4):
            made = await act(
                lambda s, v, project=project, step=step, name=name: milestones.create_milestone(
                    s,
                    v,
                    project_id=project.id,
                    title=f"{name} 工程{step}",
                    due_on=TODAY + timedelta(days=-5 + 12 * step),
                    horizon_years=(1, 3, 5, 1)[step],
                    weight=Decimal("1.5") if step else Decimal(1),
                    evidence_links=[f"https://example.jp/{step}"] if step else [],
                )
            )
            if step == 1:
                await act(
                    lambda s, v, made=made: milestones.change_milestone_status(
                        s,
                        v,
                        milestone_id=made.id,
                        version=made.version,
                        status=MilestoneStatus.IN_PROGRESS,
                        progress=40,
                    )
                )
        kpi = await act(
            lambda s, v, project=project: kpis.create_kpi(
                s,
                v,
                project_id=project.id,
                name="来訪者数",
                unit="人",
                baseline_value=Decimal(1000),
                baseline_on=date(2025, 4, 1),
            )
        )
        await act(
            lambda s, v, kpi=kpi: kpis.set_kpi_target(
                s, v, kpi_id=kpi.id, fiscal_year=2026, value=Decimal(2000)
            )
        )
        for month in (4, 7):
            await act(
                lambda s, v, kpi=kpi, month=month: kpis.record_kpi_observation(
                    s,
                    v,
                    kpi_id=kpi.id,
                    period_start=date(2026, month, 1),
                    period_end=date(2026, month + 2, 28),
                    value=Decimal(1200 + month * 10),
                )
            )
    return owner, secretariat, region


async def test_the_region_dashboard_compiled_matches_the_resolvers_page_by_page(
    dashboard_world: Any,
    client: httpx2.AsyncClient,
    resolvers_only: httpx2.AsyncClient,
    tokens: TokenService,
    statement_counter: StatementCounter,
) -> None:
    owner, secretariat, region = dashboard_world
    token = token_for(tokens, owner, secretariat)
    variables: dict[str, Any] = {"id": to_global_id("Region", region.id), "first": 2}
    first = await _both(client, resolvers_only, statement_counter, DASHBOARD, variables, token)
    page = first["data"]["region"]["projects"]
    assert len(page["edges"]) == 2 and page["pageInfo"]["hasNextPage"]
    node = page["edges"][0]["node"]
    assert [m["isOverdue"] for m in node["milestones"]["nodes"]] == [True, False, False]
    assert node["kpis"]["nodes"][0]["latestObservation"]["value"] == 1270.0
    variables["after"] = page["pageInfo"]["endCursor"]
    rest = await _both(client, resolvers_only, statement_counter, DASHBOARD, variables, token)
    assert len(rest["data"]["region"]["projects"]["edges"]) == 1


async def test_the_portfolio_compiled_matches_the_resolvers_for_each_filter(
    dashboard_world: Any,
    client: httpx2.AsyncClient,
    resolvers_only: httpx2.AsyncClient,
    tokens: TokenService,
    statement_counter: StatementCounter,
) -> None:
    owner, secretariat, _ = dashboard_world
    token = token_for(tokens, owner, secretariat)
    soon = {"from": TODAY.isoformat(), "to": (TODAY + timedelta(days=30)).isoformat()}
    for variables in (
        soon,
        {"overdue": True},
        {"overdue": False, "status": ["IN_PROGRESS", "NOT_STARTED"]},
        {"search": "半導体"},
        {"search": "ｻﾌﾟﾗｲ"},
    ):
        data = await _both(client, resolvers_only, statement_counter, PORTFOLIO, variables, token)
        after = data["data"]["milestones"]["pageInfo"]["endCursor"]
        if data["data"]["milestones"]["pageInfo"]["hasNextPage"]:
            await _both(
                client,
                resolvers_only,
                statement_counter,
                PORTFOLIO,
                {**variables, "after": after},
                token,
            )


async def test_the_full_dashboard_compiles_into_one_statement_like_the_resolvers(
    dashboard_world: Any,
    sessions: SessionFactory,
    client: httpx2.AsyncClient,
    resolvers_only: httpx2.AsyncClient,
    tokens: TokenService,
    statement_counter: StatementCounter,
) -> None:
    # given: a milestone of one project waits for one of another
    owner, secretariat, region = dashboard_world
    viewer = await act_as(sessions, owner, secretariat)
    async with unit_of_work(sessions, viewer) as session:
        rows = await session.scalars(select(Milestone).order_by(Milestone.title))
        first, *_, last = rows.all()
        await dependencies.add_dependency(
            session, viewer, predecessor_id=first.id, successor_id=last.id
        )
    token = token_for(tokens, owner, secretariat)
    variables = {"id": to_global_id("Region", region.id)}
    # when
    data = await _both(client, resolvers_only, statement_counter, FULL_DASHBOARD, variables, token)
    # then
    nodes = data["data"]["region"]["projects"]["nodes"]
    assert [p["progress"]["percent"] for p in nodes] == [10.9, 10.9, 10.9]
    assert nodes[0]["kpis"]["nodes"][0]["attainment"]["percent"] == 27.0
    waiting = [m for p in nodes for m in p["milestones"]["nodes"] if m["dependsOn"]]
    assert [(m["title"], m["dependsOn"]) for m in waiting] == [
        (last.title, [{"title": first.title}])
    ]
