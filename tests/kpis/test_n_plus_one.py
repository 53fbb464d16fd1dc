"""The N+1 guard: a page of KPIs with their latest observation costs the same for 3 or 30."""

from __future__ import annotations

from datetime import date

from factories import graphql, token_for
from renkei.db import unit_of_work
from renkei.graphql.relay import to_global_id
from renkei.kpis import service
from renkei.tenancy import MembershipRole

KPIS_WITH_LATEST = """
query KpisWithLatest($projectId: ID!) {
  kpis(projectId: $projectId, first: 50) {
    nodes {
      name
      targets { fiscalYear value }
      latestObservation { periodEnd value }
      attainment { percent }
      observations(first: 2) { nodes { value } }
    }
  }
}
"""

# Sign-in (4 statements) and the savepoint around the request (2); the query: KPIs, targets,
# latest observations (DISTINCT ON), pages of observations (4).
MAX_STATEMENTS = 10


async def add_kpis(world, start: int, count: int) -> None:
    """KPIs numbered from `start`, each with a FY2025 target and two quarters observed."""
    viewer = await world.viewer(world.lead)
    async with unit_of_work(world.sessions, viewer) as session:
        for number in range(start, start + count):
            kpi = await service.create_kpi(
                session,
                viewer,
                project_id=world.project.id,
                name=f"KPI{number:02}",
                unit="件",
                baseline_value=100,
            )
            await service.set_kpi_target(
                session, viewer, kpi_id=kpi.id, fiscal_year=2025, value=200
            )
            for start_on, end_on, value in (
                (date(2025, 4, 1), date(2025, 6, 30), 100 + number),
                (date(2025, 7, 1), date(2025, 9, 30), 110 + number),
            ):
                await service.record_kpi_observation(
                    session,
                    viewer,
                    kpi_id=kpi.id,
                    period_start=start_on,
                    period_end=end_on,
                    value=value,
                )


def shown(statements: list[str]) -> str:
    return "\n".join(f"  {s.splitlines()[0][:120]}" for s in statements)


async def test_latest_observations_of_30_kpis_cost_the_same_as_of_3(
    client, tokens, world, statement_counter
):
    # given
    await add_kpis(world, 0, 3)
    token = token_for(
        tokens, world.partner.people[MembershipRole.MEMBER], world.partner.organization
    )
    variables = {"projectId": to_global_id("Project", world.project.id)}
    with statement_counter as few:
        small = await graphql(client, KPIS_WITH_LATEST, variables, token=token)
    few_count = few.count
    await add_kpis(world, 3, 27)
    # when
    with statement_counter as many:
        large = await graphql(client, KPIS_WITH_LATEST, variables, token=token)
    # then
    assert "errors" not in small and "errors" not in large
    nodes = large["data"]["kpis"]["nodes"]
    assert len(small["data"]["kpis"]["nodes"]) == 3 and len(nodes) == 30
    assert nodes[29] == {
        "name": "KPI29",
        "targets": [{"fiscalYear": 2025, "value": 200.0}],
        "latestObservation": {"periodEnd": "2025-09-30", "value": 139.0},
        "attainment": {"percent": 39.0},
        "observations": {"nodes": [{"value": 129.0}, {"value": 139.0}]},
    }
    assert many.count == few_count <= MAX_STATEMENTS, (
        f"3 KPIs took {few_count} statements, 30 took {many.count} (at most {MAX_STATEMENTS}):\n"
        f"{shown(many.statements)}"
    )
