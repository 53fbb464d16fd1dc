"""The fields that Project and Region attach: `kpis` of many parents in one statement, `kpiRollup`.

They are exercised here through a small schema that attaches them as Project and Region do, so
that they are tested on their own, with the request context the API gives them.
"""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any, cast

import strawberry

from kpis.world import make_project
from renkei.db import unit_of_work
from renkei.graphql.compiled.json_sql import RawJson
from renkei.graphql.context import Context, Info
from renkei.graphql.relay import Connection, PageArgs, decode_id, to_global_id
from renkei.graphql.types.kpis import Kpi, KpiRollup, project_kpis, region_kpi_rollup, region_kpis
from renkei.tenancy import MembershipRole


@strawberry.type
class ProjectStandIn:
    id: strawberry.Private[uuid.UUID]

    @strawberry.field
    async def kpis(self, info: Info, first: int | None = None) -> Connection[Kpi]:
        return await project_kpis(info, self.id, PageArgs.of(first))


@strawberry.type
class RegionStandIn:
    id: strawberry.Private[uuid.UUID]

    @strawberry.field
    async def kpis(self, info: Info, first: int | None = None) -> Connection[Kpi]:
        return await region_kpis(info, self.id, PageArgs.of(first))

    @strawberry.field
    async def kpi_rollup(self, info: Info) -> KpiRollup:
        return await region_kpi_rollup(info, self.id)


@strawberry.type
class Query:
    @strawberry.field
    def projects(self, ids: list[strawberry.ID]) -> list[ProjectStandIn]:
        return [ProjectStandIn(id=decode_id(i, "Project")) for i in ids]

    @strawberry.field
    def region(self, id: strawberry.ID) -> RegionStandIn:
        return RegionStandIn(id=decode_id(id, "Region"))


SCHEMA = strawberry.Schema(query=Query)

PROJECT_KPIS = """
query ProjectKpis($ids: [ID!]!) {
  projects(ids: $ids) { kpis(first: 5) { nodes { name latestObservation { value } } } }
}
"""

REGION_KPIS = """
query RegionKpis($id: ID!) {
  region(id: $id) {
    kpis { nodes { name } }
    kpiRollup {
      percent formula kpiCount achievedCount
      included { kpi { name } attainment { percent baseline target targetFiscalYear latestValue } }
      excluded { kpi { name } reason }
    }
  }
}
"""


async def run(world, party, query: str, variables: dict[str, Any]) -> dict[str, Any]:
    viewer = await world.viewer(party, MembershipRole.OWNER)
    async with unit_of_work(world.sessions, viewer) as session:
        context = Context(request=cast(Any, None), viewer=viewer, session=session)
        result = await SCHEMA.execute(query, variable_values=variables, context_value=context)
    assert result.errors is None, result.errors
    assert result.data is not None
    return result.data.parsed() if isinstance(result.data, RawJson) else result.data


async def test_kpis_of_8_projects_cost_the_same_statements_as_of_2(world, statement_counter):
    # given projects of the lead, each with two KPIs, one of them observed
    made = [world.project, world.private_project]
    for number in range(6):
        made.append(await make_project(world.sessions, world.lead, [], name=f"共同研究{number}"))
    for number, project in enumerate(made):
        await world.kpi(project=project, name=f"A{number}")
        observed = await world.kpi(project=project, name=f"B{number}")
        await world.observe(observed, date(2025, 4, 1), date(2025, 6, 30), number)
    ids = [to_global_id("Project", p.id) for p in made]
    with statement_counter as few:
        small = await run(world, world.lead, PROJECT_KPIS, {"ids": ids[:2]})
    few_count = few.count
    # when
    with statement_counter as many:
        large = await run(world, world.lead, PROJECT_KPIS, {"ids": ids})
    # then
    assert small["projects"] == large["projects"][:2]
    assert [p["kpis"]["nodes"] for p in large["projects"]][7] == [
        {"name": "A7", "latestObservation": None},
        {"name": "B7", "latestObservation": {"value": 7.0}},
    ]
    assert many.count == few_count


async def test_a_region_lists_its_own_kpis_and_rolls_up_its_projects_too(world):
    # given a region KPI at 40 % and a project KPI at 150 %, and one not yet observed
    tourists = await world.kpi(
        region=world.region, name="広域周遊観光客数", baseline=850, targets={2025: 1000}
    )
    await world.observe(tourists, date(2025, 4, 1), date(2025, 6, 30), 910, party=world.regional)
    engineers = await world.kpi(name="技術者の育成数", baseline=100, targets={2025: 200})
    await world.observe(engineers, date(2025, 4, 1), date(2025, 6, 30), 250)
    await world.kpi(name="共同研究の件数", baseline=3, targets={2025: 8})
    # when
    data = await run(
        world, world.regional, REGION_KPIS, {"id": to_global_id("Region", world.region.id)}
    )
    # then
    region = data["region"]
    assert region["kpis"] == {"nodes": [{"name": "広域周遊観光客数"}]}
    assert region["kpiRollup"] == {
        "percent": 95.0,
        "formula": "達成率 = 対象KPIの達成率（丸める前の値）の平均。各KPIは1回だけ数え、"
        "小数第1位に四捨五入。達成率のないKPIは理由を添えて対象外",
        "kpiCount": 3,
        "achievedCount": 1,
        "included": [
            {
                "kpi": {"name": "広域周遊観光客数"},
                "attainment": {
                    "percent": 40.0,
                    "baseline": 850.0,
                    "target": 1000.0,
                    "targetFiscalYear": 2025,
                    "latestValue": 910.0,
                },
            },
            {
                "kpi": {"name": "技術者の育成数"},
                "attainment": {
                    "percent": 150.0,
                    "baseline": 100.0,
                    "target": 200.0,
                    "targetFiscalYear": 2025,
                    "latestValue": 250.0,
                },
            },
        ],
        "excluded": [
            {"kpi": {"name": "共同研究の件数"}, "reason": "実績値がまだ記録されていません。"}
        ],
    }
