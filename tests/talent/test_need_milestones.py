"""A need serves milestones of a project its firm takes part in; the project lists its needs."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import pytest

from conftest import StatementCounter
from factories import act_as, graphql
from renkei.db import SessionFactory, unit_of_work
from renkei.graphql.relay import to_global_id
from renkei.identity.models import User
from renkei.identity.tokens import TokenService
from renkei.milestones import service as milestones
from renkei.organizations.models import Organization
from renkei.projects import service as projects
from renkei.projects.models import ProjectCategory
from talent.talent_world import TalentWorld, create_talent_world
from talent.test_compiled_talent import both, resolvers_only

__all__ = ["resolvers_only"]  # a fixture, imported for the tests below

NEED = """
  id title version
  project { id name }
  milestones { id title }
"""
CREATE = f"""
mutation Create($input: CreateTalentNeedInput!) {{
  createTalentNeed(input: $input) {{ talentNeed {{ {NEED} }} userErrors {{ field code message }} }}
}}
"""
UPDATE = f"""
mutation Update($input: UpdateTalentNeedInput!) {{
  updateTalentNeed(input: $input) {{ talentNeed {{ {NEED} }} userErrors {{ field code message }} }}
}}
"""
PROJECT_NEEDS = """
query($id: ID!) { node(id: $id) { ... on Project { talentNeeds { title milestones { title } } } } }
"""


@dataclass
class ProjectWithMilestones:
    id: str
    milestones: list[str]


async def create_project(
    sessions: SessionFactory, user: User, organization: Organization, name: str
) -> ProjectWithMilestones:
    viewer = await act_as(sessions, user, organization)
    async with unit_of_work(sessions, viewer) as session:
        project = await projects.create_project(
            session,
            viewer,
            name=name,
            category=ProjectCategory.SEMICONDUCTOR,
            prefecture_codes=["40", "43"],
        )
        ids = []
        for title, due in (("試作ライン稼働", date(2027, 3, 31)), ("量産開始", date(2028, 3, 31))):
            milestone = await milestones.create_milestone(
                session, viewer, project_id=project.id, title=title, due_on=due, horizon_years=3
            )
            ids.append(to_global_id("Milestone", milestone.id))
    return ProjectWithMilestones(id=to_global_id("Project", project.id), milestones=ids)


@pytest.fixture
async def world(sessions: SessionFactory, tokens: TokenService) -> TalentWorld:
    return await create_talent_world(sessions, tokens)


def _need(**extra: Any) -> dict[str, Any]:
    return {
        "input": {
            "title": "製造ラインのIoT化",
            "requiredSkills": [{"skill": "財務", "weight": 1.0}],
            "hoursPerMonth": 20,
            "workplacePrefectureCode": "40",
            "feeMinJpy": 100000,
            "feeMaxJpy": 200000,
            "startsOn": "2027-04-01",
            **extra,
        }
    }


async def test_a_need_serves_milestones_of_its_firms_project_and_the_project_lists_it(
    client: Any, sessions: SessionFactory, world: TalentWorld
) -> None:
    # given a project the firm leads, with two milestones
    project = await create_project(sessions, world.firm_owner, world.firm, "九州半導体人材")
    firm = world.tokens["firm"]

    # when the firm drafts a need serving both milestones
    created = await graphql(
        client,
        CREATE,
        _need(projectId=project.id, milestoneIds=project.milestones),
        token=firm,
    )

    # then the need names its project and milestones, by due date
    payload = created["data"]["createTalentNeed"]
    assert payload["userErrors"] == []
    need = payload["talentNeed"]
    assert need["project"] == {"id": project.id, "name": "九州半導体人材"}
    assert [m["title"] for m in need["milestones"]] == ["試作ライン稼働", "量産開始"]

    # when it narrows them to one
    updated = await graphql(
        client,
        UPDATE,
        {
            "input": {
                "id": need["id"],
                "version": need["version"],
                "milestoneIds": project.milestones[1:],
            }
        },
        token=firm,
    )

    # then the project lists the need with that milestone
    assert updated["data"]["updateTalentNeed"]["userErrors"] == []
    listed = await graphql(client, PROJECT_NEEDS, {"id": project.id}, token=firm)
    assert listed["data"]["node"]["talentNeeds"] == [
        {"title": "製造ラインのIoT化", "milestones": [{"title": "量産開始"}]}
    ]


async def test_a_project_the_firm_takes_no_part_in_is_refused(
    client: Any, sessions: SessionFactory, world: TalentWorld
) -> None:
    # given another firm's project
    project = await create_project(sessions, world.other_owner, world.other_firm, "別府の観光DX")
    mine = await create_project(sessions, world.firm_owner, world.firm, "九州半導体人材")
    firm = world.tokens["firm"]

    # when the firm names it, or its milestones under its own project, or milestones alone
    other = await graphql(client, CREATE, _need(projectId=project.id), token=firm)
    foreign = await graphql(
        client, CREATE, _need(projectId=mine.id, milestoneIds=project.milestones), token=firm
    )
    alone = await graphql(client, CREATE, _need(milestoneIds=mine.milestones), token=firm)

    # then each is refused in Japanese and nothing is created
    assert other["data"]["createTalentNeed"] == {
        "talentNeed": None,
        "userErrors": [
            {
                "field": "projectId",
                "code": "INVALID",
                "message": "貴社はこのプロジェクトに参加していません。"
                "ニーズは参加しているプロジェクトに結び付けてください。",
            }
        ],
    }
    assert foreign["data"]["createTalentNeed"]["userErrors"] == [
        {
            "field": "milestoneIds",
            "code": "INVALID",
            "message": "マイルストーンはいずれもそのプロジェクトのものを指定してください。",
        }
    ]
    assert alone["data"]["createTalentNeed"]["userErrors"] == [
        {
            "field": "milestoneIds",
            "code": "INVALID",
            "message": "マイルストーンが属するプロジェクトを指定してください。",
        }
    ]
    listed = await graphql(client, PROJECT_NEEDS, {"id": mine.id}, token=firm)
    assert listed["data"]["node"]["talentNeeds"] == []


async def test_the_compiled_read_answers_as_the_resolvers_do(
    client: Any,
    resolvers_only: Any,
    statement_counter: StatementCounter,
    sessions: SessionFactory,
    world: TalentWorld,
) -> None:
    # given a need serving both milestones of the firm's project
    project = await create_project(sessions, world.firm_owner, world.firm, "九州半導体人材")
    firm = world.tokens["firm"]
    await graphql(
        client, CREATE, _need(projectId=project.id, milestoneIds=project.milestones), token=firm
    )

    # when the firm, and a professional, read the project's needs
    query = PROJECT_NEEDS.replace("title milestones", f"{NEED} milestones")
    read = await both(client, resolvers_only, statement_counter, query, {"id": project.id}, firm)
    await both(
        client, resolvers_only, statement_counter, query, {"id": project.id}, world.tokens["alice"]
    )

    # then both paths agree, in one statement
    assert len(read["node"]["talentNeeds"]) == 1
