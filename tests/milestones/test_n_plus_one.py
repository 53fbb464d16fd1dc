"""The N+1 guard: a page of projects with their milestones (first: 10), progress and baselines
costs the same statements for 2 projects as for 12.

The fields are resolved by the functions the Project type attaches (project_milestones,
project_progress, project_baselines), served here by a small schema over a request context.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import strawberry
from sqlalchemy import select
from starlette.requests import Request

from renkei.db import unit_of_work
from renkei.graphql.compiled.json_sql import RawJson
from renkei.graphql.context import Context, Info
from renkei.graphql.relay import Connection, PageArgs
from renkei.graphql.types.milestones import (
    Baseline,
    Milestone,
    ProgressRollup,
    project_baselines,
    project_milestones,
    project_progress,
)
from renkei.milestones import baselines
from renkei.milestones import service as milestones
from renkei.projects.models import Project

PROJECTS = """
query Projects {
  projects {
    name
    milestones(first: 10) {
      nodes { title isOverdue owner { name } counterpart { name } dependsOn { title } }
    }
    progress { percent inputs { title contribution } }
    baselines { name milestones { title } variance { compared late } }
  }
}
"""


@strawberry.type
class ProjectCard:
    name: str
    row: strawberry.Private[Project]

    @strawberry.field
    async def milestones(self, info: Info, first: int | None = None) -> Connection[Milestone]:
        return await project_milestones(info, self.row.id, PageArgs.of(first), None)

    @strawberry.field
    async def progress(self, info: Info) -> ProgressRollup:
        return await project_progress(info, self.row.id)

    @strawberry.field
    async def baselines(self, info: Info) -> list[Baseline]:
        return await project_baselines(info, self.row.id)


@strawberry.type
class Query:
    @strawberry.field
    async def projects(self, info: Info) -> list[ProjectCard]:
        rows = await info.context.run(
            lambda s: s.scalars(select(Project).order_by(Project.name, Project.id))
        )
        return [ProjectCard(name=r.name, row=r) for r in rows]


SCHEMA = strawberry.Schema(query=Query)


async def projects_with_milestones(world, lead, partner, start: int, count: int) -> None:
    today = milestones.today()
    for number in range(start, start + count):
        project = await world.project(lead, partner, name=f"九州連携{number:02}")
        first = await world.milestone(
            project,
            lead,
            "用地確保",
            today - timedelta(days=10),
            counterpart_organization_id=partner.id,
        )
        second = await world.milestone(
            project, partner, "工場建設", today + timedelta(days=100), weight=2
        )
        await world.milestone(project, lead, "量産開始", today + timedelta(days=400))
        await world.depend(lead, first, second)
        viewer = await world.viewer(lead)
        async with unit_of_work(world.sessions, viewer) as session:
            await baselines.create_baseline(
                session, viewer, project_id=project.id, name="ビジョン採択時"
            )


async def run(world, viewer: Any, statement_counter: Any) -> tuple[dict[str, Any], list[str]]:
    async with unit_of_work(world.sessions, viewer) as session:
        context = Context(
            request=Request({"type": "http", "headers": []}), viewer=viewer, session=session
        )
        with statement_counter as counted:
            result = await SCHEMA.execute(PROJECTS, context_value=context)
        assert result.errors is None, result.errors
        data = result.data.parsed() if isinstance(result.data, RawJson) else result.data
        return data, list(counted.statements)


async def test_projects_with_milestones_cost_the_same_for_2_and_12_projects(
    world, statement_counter
):
    # given
    lead = await world.party("福岡県")
    partner = await world.party("熊本県", "43")
    await projects_with_milestones(world, lead, partner, 0, 2)
    viewer = await world.viewer(lead)
    small, few = await run(world, viewer, statement_counter)
    await projects_with_milestones(world, lead, partner, 2, 10)
    # when
    large, many = await run(world, viewer, statement_counter)
    # then
    assert len(small["projects"]) == 2 and len(large["projects"]) == 12
    first = large["projects"][0]
    assert first == {
        "name": "九州連携00",
        "milestones": {
            "nodes": [
                {
                    "title": "用地確保",
                    "isOverdue": True,
                    "owner": {"name": "福岡県"},
                    "counterpart": {"name": "熊本県"},
                    "dependsOn": [],
                },
                {
                    "title": "工場建設",
                    "isOverdue": False,
                    "owner": {"name": "熊本県"},
                    "counterpart": None,
                    "dependsOn": [{"title": "用地確保"}],
                },
                {
                    "title": "量産開始",
                    "isOverdue": False,
                    "owner": {"name": "福岡県"},
                    "counterpart": None,
                    "dependsOn": [],
                },
            ]
        },
        "progress": {
            "percent": 0.0,
            "inputs": [
                {"title": "用地確保", "contribution": 0.0},
                {"title": "工場建設", "contribution": 0.0},
                {"title": "量産開始", "contribution": 0.0},
            ],
        },
        "baselines": [
            {
                "name": "ビジョン採択時",
                "milestones": [{"title": "用地確保"}, {"title": "工場建設"}, {"title": "量産開始"}],
                "variance": {"compared": 3, "late": 0},
            }
        ],
    }
    # Projects, their first milestones, organizations, predecessors, all milestones (progress),
    # baselines, their milestones; the variance reuses the last two. One statement each,
    # whatever the page holds.
    assert len(many) == len(few) <= 7, "\n".join(s.splitlines()[0][:120] for s in many)
