"""A compiled query sent again is answered in one exchange with PostgreSQL (renkei.graphql.direct):
the same answer, the same viewer, the same refusals as the first time."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx2
import pytest
from sqlalchemy import select, update

from conftest import CommittedDatabase
from factories import act_as, create_organization, create_user, graphql, token_for
from renkei.db import unit_of_work
from renkei.graphql.app import create_app
from renkei.graphql.relay import to_global_id
from renkei.identity.models import User
from renkei.identity.tokens import TokenService
from renkei.projects import service as projects
from renkei.projects.models import Project, ProjectCategory, ProjectVisibility
from renkei.regions import service as regions
from renkei.tenancy import Viewer

# The messages asserted here are the English ones (Accept-Language: en).
pytestmark = pytest.mark.usefixtures("in_english")

REGION = """
query Region($id: ID!) {
  region(id: $id) {
    name
    secretariat { name }
    projects(first: 10) {
      nodes { name status lead { name } milestones(first: 5) { nodes { title } } }
    }
  }
}
"""


@pytest.fixture
async def region_world(committed: CommittedDatabase) -> dict[str, Any]:
    owner = await create_user(committed.sessions, "owner@direct.example")
    secretariat = await create_organization(
        committed.sessions, owner, slug="direct-keizai", name="九州経済連合会"
    )
    viewer = await act_as(committed.sessions, owner, secretariat)
    async with unit_of_work(committed.sessions, viewer) as session:
        region = await regions.create_region(
            session, viewer, slug="direct-kyushu", name="九州", prefecture_codes=["40", "43"]
        )
        await projects.create_project(
            session,
            viewer,
            name="半導体人材",
            category=ProjectCategory.SEMICONDUCTOR,
            region_id=region.id,
            visibility=ProjectVisibility.PARTICIPANTS,
        )
    outsider = await create_user(committed.sessions, "outsider@direct.example")
    elsewhere = await create_organization(committed.sessions, outsider, slug="direct-else")
    return {
        "owner": owner,
        "secretariat": secretariat,
        "outsider": outsider,
        "elsewhere": elsewhere,
        "variables": {"id": to_global_id("Region", region.id)},
    }


@pytest.fixture
async def resolvers_only(
    committed: CommittedDatabase, tokens: TokenService, redis_url: str
) -> AsyncIterator[httpx2.AsyncClient]:
    app = create_app(
        sessions=committed.sessions,
        tokens=tokens,
        redis_url=redis_url,
        development=True,
        compiled_reads=False,
    )
    async with httpx2.AsyncClient(
        transport=httpx2.ASGITransport(app=app), base_url="http://renkei.test"
    ) as http:
        yield http


async def test_a_repeated_query_answers_as_the_first_time_and_as_the_resolvers(
    committed: CommittedDatabase,
    resolvers_only: httpx2.AsyncClient,
    tokens: TokenService,
    region_world: dict[str, Any],
) -> None:
    # given the secretariat's owner and an outsider, each asking twice
    w = region_world
    for user, organization, projects_seen in (
        (w["owner"], w["secretariat"], ["半導体人材"]),
        (w["outsider"], w["elsewhere"], []),
    ):
        token = token_for(tokens, user, organization)
        # when
        first = await graphql(committed.client, REGION, w["variables"], token=token)
        again = await graphql(committed.client, REGION, w["variables"], token=token)
        resolved = await graphql(resolvers_only, REGION, w["variables"], token=token)
        # then each sees what row-level security shows them, the same every time
        assert first == again == resolved
        names = [p["name"] for p in again["data"]["region"]["projects"]["nodes"]]
        assert names == projects_seen


async def test_a_repeated_query_refuses_a_deactivated_account_at_once(
    committed: CommittedDatabase, tokens: TokenService, region_world: dict[str, Any]
) -> None:
    # given a query answered once
    w = region_world
    token = token_for(tokens, w["owner"], w["secretariat"])
    assert "errors" not in await graphql(committed.client, REGION, w["variables"], token=token)
    # when the account is deactivated and the same request comes again
    async with unit_of_work(committed.sessions, Viewer.platform()) as session:
        await session.execute(
            update(User).where(User.id == w["owner"].id).values(deactivated_at=User.created_at)
        )
    response = await committed.client.post(
        "/graphql",
        json={"query": REGION, "variables": w["variables"]},
        headers={"Authorization": f"Bearer {token}"},
    )
    # then it is refused, as on the first request
    assert response.status_code == 401
    assert response.json() == {"errors": [{"message": "this account is deactivated"}]}


async def test_a_repeated_query_uses_the_role_of_the_moment(
    committed: CommittedDatabase, tokens: TokenService, region_world: dict[str, Any]
) -> None:
    # given the outsider asks once, seeing no project
    w = region_world
    token = token_for(tokens, w["outsider"], w["elsewhere"])
    first = await graphql(committed.client, REGION, w["variables"], token=token)
    assert first["data"]["region"]["projects"]["nodes"] == []
    # when their organization is invited to the project and accepts, and they ask again
    owner = await act_as(committed.sessions, w["owner"], w["secretariat"])
    async with unit_of_work(committed.sessions, owner) as session:
        project_id = await session.scalar(select(Project.id).where(Project.name == "半導体人材"))
        participant = await projects.invite_participant(
            session,
            owner,
            project_id=project_id,
            organization_id=w["elsewhere"].id,
            role="PARTNER",
        )
    outsider = await act_as(committed.sessions, w["outsider"], w["elsewhere"])
    async with unit_of_work(committed.sessions, outsider) as session:
        await projects.answer_participation(
            session, outsider, participant_id=participant.id, accept=True
        )
    again = await graphql(committed.client, REGION, w["variables"], token=token)
    # then the same request now shows the project
    assert [p["name"] for p in again["data"]["region"]["projects"]["nodes"]] == ["半導体人材"]
