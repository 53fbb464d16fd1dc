"""Serving requests keeps no memory: what a request loads is dropped with the request."""

from __future__ import annotations

import gc
import tracemalloc
from collections.abc import AsyncIterator
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import httpx2
import pytest

from factories import act_as, create_organization, create_user, graphql, token_for
from renkei.db import SessionFactory, unit_of_work
from renkei.graphql import app as http_app
from renkei.graphql.app import create_app
from renkei.graphql.relay import to_global_id
from renkei.identity.tokens import TokenService
from renkei.kpis import service as kpis
from renkei.milestones import dependencies
from renkei.milestones import service as milestones
from renkei.projects import service as projects
from renkei.projects.models import ProjectCategory, ProjectVisibility
from renkei.regions import service as regions

# What a secretariat opens: the dashboard with the published formulas and the dependencies,
# served field by field by the resolvers and their loaders.
DASHBOARD = """
query DashboardWithFormulas($id: ID!) {
  region(id: $id) {
    name
    projects(first: 10) {
      nodes {
        name
        progress { percent inputs { title } }
        milestones(first: 10) { nodes { title dependsOn { title } } }
        kpis(first: 5) { nodes { name attainment { percent } } }
      }
    }
  }
}
"""
MILESTONE = """
query Milestone($id: ID!) {
  milestone(id: $id) { title dependsOn { title } dependents { title } }
}
"""
WARM_UP = 50
REQUESTS = 500
# What the allocator, the caches of documents and the statement cache may still settle after
# the warm-up; a request that were kept would hold several kilobytes each, megabytes in all.
TOLERATED_GROWTH = 1024 * 1024
TODAY = date.today()


@pytest.fixture
async def resolvers_only(
    sessions: SessionFactory, tokens: TokenService, redis_url: str
) -> AsyncIterator[httpx2.AsyncClient]:
    app = create_app(
        sessions=sessions,
        tokens=tokens,
        redis_url=redis_url,
        development=False,
        compiled_reads=False,
    )
    async with httpx2.AsyncClient(
        transport=httpx2.ASGITransport(app=app), base_url="http://renkei.test"
    ) as http:
        yield http


@pytest.fixture
async def region_with_plans(sessions: SessionFactory) -> tuple[Any, Any, Any, Any]:
    """A secretariat's region: two projects whose milestones depend across them, with KPIs."""
    owner = await create_user(sessions, "owner@kyushu-memory.example")
    secretariat = await create_organization(
        sessions, owner, slug="kyushu-memory", name="九州経済連合会", home_prefecture_code="40"
    )
    viewer = await act_as(sessions, owner, secretariat)

    async def act(work: Any) -> Any:
        async with unit_of_work(sessions, viewer) as session:
            return await work(session, viewer)

    region = await act(
        lambda s, v: regions.create_region(
            s, v, slug="kyushu-memory", name="九州広域リージョン", prefecture_codes=["40", "43"]
        )
    )
    made: list[Any] = []
    for name in ("半導体サプライチェーン", "周遊観光ルート"):
        project = await act(
            lambda s, v, name=name: projects.create_project(
                s,
                v,
                name=name,
                summary=f"{name}の概要",
                category=ProjectCategory.SEMICONDUCTOR,
                region_id=region.id,
                visibility=ProjectVisibility.REGION,
                starts_on=date(2026, 4, 1),
            )
        )
        for step in range(3):
            made.append(
                await act(
                    lambda s, v, project=project, step=step, name=name: milestones.create_milestone(
                        s,
                        v,
                        project_id=project.id,
                        title=f"{name} 工程{step}",
                        due_on=TODAY + timedelta(days=30 * (step + 1)),
                        horizon_years=1,
                        weight=Decimal(step + 1),
                    )
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
        await act(
            lambda s, v, kpi=kpi: kpis.record_kpi_observation(
                s,
                v,
                kpi_id=kpi.id,
                period_start=date(2026, 4, 1),
                period_end=date(2026, 6, 30),
                value=Decimal(1400),
            )
        )
    for predecessor, successor in ((made[0], made[4]), (made[1], made[2])):
        await act(
            lambda s, v, p=predecessor, n=successor: dependencies.add_dependency(
                s, v, predecessor_id=p.id, successor_id=n.id
            )
        )
    return owner, secretariat, region, made[4]


async def test_serving_500_resolved_requests_keeps_no_memory(
    region_with_plans: Any, resolvers_only: httpx2.AsyncClient, tokens: TokenService
) -> None:
    # given
    owner, secretariat, region, milestone = region_with_plans
    token = token_for(tokens, owner, secretariat)
    requests = [
        (DASHBOARD, {"id": to_global_id("Region", region.id)}),
        (MILESTONE, {"id": to_global_id("Milestone", milestone.id)}),
    ]

    async def serve(count: int) -> None:
        for n in range(count):
            query, variables = requests[n % len(requests)]
            body = await graphql(resolvers_only, query, variables, token=token)
            assert "errors" not in body, body

    first = await graphql(resolvers_only, *requests[0], token=token)
    nodes = first["data"]["region"]["projects"]["nodes"]
    assert [m["dependsOn"] for m in nodes[1]["milestones"]["nodes"]][1] == [
        {"title": "半導体サプライチェーン 工程0"}
    ]
    assert nodes[0]["kpis"]["nodes"][0]["attainment"]["percent"] == 40.0
    await serve(WARM_UP)
    gc.collect()
    # Traced from here on: what is still traced at the end was allocated by the requests
    # below and kept.
    tracemalloc.start()
    try:
        after_warm_up, _ = tracemalloc.get_traced_memory()

        # when
        await serve(REQUESTS)
        gc.collect()
        after_all, _ = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    # then
    growth = after_all - after_warm_up
    assert growth < TOLERATED_GROWTH, f"{growth / 1024:.0f} KiB kept by {REQUESTS} requests"


async def test_made_up_http_methods_add_no_metric_series(client: httpx2.AsyncClient) -> None:
    # given
    methods = [f"BREW{n}" for n in range(3)]

    # when
    for method in methods:
        await client.request(method, "/graphql")

    # then
    counted = {s.labels["method"] for family in http_app.REQUESTS.collect() for s in family.samples}
    assert not counted & set(methods)
    assert "OTHER" in counted
