"""The N+1 guard: a list of projects with their grant applications (money, scheme, allowance
left aside) costs the same statements for 2 projects as for 8."""

from __future__ import annotations

from typing import Any

import strawberry
from sqlalchemy import select
from starlette.requests import Request

from grants.conftest import World
from renkei.db import unit_of_work
from renkei.grants import service
from renkei.graphql.compiled.json_sql import RawJson
from renkei.graphql.context import Context, Info
from renkei.graphql.types.grants import GrantApplication, project_grant_applications
from renkei.projects.models import Project

PROJECTS = """
query Projects {
  projects {
    name
    grantApplications {
      title status grantJpy localShareJpy nextStatus scheme { name capJpy }
    }
  }
}
"""


@strawberry.type
class ProjectCard:
    name: str
    row: strawberry.Private[Project]

    @strawberry.field
    async def grant_applications(self, info: Info) -> list[GrantApplication]:
        return await project_grant_applications(info, self.row.id)


@strawberry.type
class Query:
    @strawberry.field
    async def projects(self, info: Info) -> list[ProjectCard]:
        rows = await info.context.run(
            lambda s: s.scalars(select(Project).order_by(Project.name, Project.id))
        )
        return [ProjectCard(name=r.name, row=r) for r in rows]


SCHEMA = strawberry.Schema(query=Query)


async def _projects(world: World, lead, scheme, start: int, count: int) -> None:  # type: ignore[no-untyped-def]
    viewer = await world.viewer(lead)
    for number in range(start, start + count):
        project = await world.project(lead, name=f"九州連携{number:02}")
        async with unit_of_work(world.sessions, viewer) as session:
            for title in ("設備", "人材"):
                await service.create_application(
                    session,
                    viewer,
                    project_id=project.id,
                    scheme_id=scheme.id,
                    title=title,
                    requested_cost_jpy=10_000_000,
                    rate=0.5,
                )


async def _run(world: World, viewer: Any, statement_counter: Any) -> tuple[dict[str, Any], int]:
    async with unit_of_work(world.sessions, viewer) as session:
        context = Context(
            request=Request({"type": "http", "headers": []}), viewer=viewer, session=session
        )
        with statement_counter as counted:
            result = await SCHEMA.execute(PROJECTS, context_value=context)
        assert result.errors is None, result.errors
        data = result.data.parsed() if isinstance(result.data, RawJson) else result.data
        return data, len(counted.statements)


async def test_projects_with_grant_applications_cost_the_same_for_2_and_8(
    world: World, statement_counter: Any
) -> None:
    # given two projects with two applications each
    lead = await world.party("熊本県", "43")
    scheme = await world.scheme()
    await _projects(world, lead, scheme, 0, 2)
    viewer = await world.viewer(lead)
    small, few = await _run(world, viewer, statement_counter)
    # when six more are added
    await _projects(world, lead, scheme, 2, 6)
    large, many = await _run(world, viewer, statement_counter)
    # then the list costs the same statements
    assert len(small["projects"]) == 2 and len(large["projects"]) == 8
    assert large["projects"][0]["grantApplications"][0] == {
        "title": "設備",
        "status": "CONCEPT",
        "grantJpy": 5_000_000.0,
        "localShareJpy": 5_000_000.0,
        "nextStatus": "APPLIED",
        "scheme": {"name": "地域未来交付金（テスト）", "capJpy": 1_500_000_000.0},
    }
    assert many == few
