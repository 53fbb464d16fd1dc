"""Region.milestones: the milestones of a region's projects, as Query.milestones(regionId:)
answers them, read by slug in one compiled statement, with the same answer from the resolvers;
a member of the region does not see the milestones of a project only its participants see."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx2

from conftest import StatementCounter
from factories import graphql
from milestones.conftest import Party, World
from renkei.db import unit_of_work
from renkei.milestones import service as milestones
from renkei.milestones.models import MilestoneStatus
from renkei.projects import service as projects
from renkei.projects.models import Project, ProjectCategory, ProjectVisibility
from renkei.regions import service as regions
from renkei.regions.models import Region

HOME = """
query Home(
  $slug: String!, $first: Int, $after: String, $dueFrom: Date, $dueTo: Date,
  $overdue: Boolean, $status: [MilestoneStatus!]
) {
  region(slug: $slug) {
    name
    milestones(
      first: $first, after: $after, dueFrom: $dueFrom, dueTo: $dueTo, overdue: $overdue,
      status: $status
    ) {
      edges { cursor node { id title dueOn status isOverdue project { name } owner { name } } }
      pageInfo { hasNextPage endCursor }
    }
  }
}
"""

ALIASED = """
query Watch($slug: String!, $today: Date!, $horizon: Date!) {
  region(slug: $slug) {
    overdue: milestones(overdue: true, first: 50) { nodes { title } }
    dueSoon: milestones(dueFrom: $today, dueTo: $horizon, first: 50) { nodes { title } }
    atRisk: milestones(status: [AT_RISK], first: 50) { nodes { title } }
  }
}
"""


async def _project(
    world: World, lead: Party, name: str, region: Region, visibility: ProjectVisibility
) -> Project:
    viewer = await world.viewer(lead)
    async with unit_of_work(world.sessions, viewer) as session:
        return await projects.create_project(
            session,
            viewer,
            name=name,
            category=ProjectCategory.SEMICONDUCTOR,
            prefecture_codes=["40", "43"],
            region_id=region.id,
            visibility=visibility,
        )


async def _member(world: World, region: Region, secretariat: Party, member: Party) -> None:
    viewer = await world.viewer(secretariat)
    async with unit_of_work(world.sessions, viewer) as session:
        invited = await regions.invite_region_member(
            session, viewer, region_id=region.id, organization_id=member.id
        )
    viewer = await world.viewer(member)
    async with unit_of_work(world.sessions, viewer) as session:
        await regions.answer_region_invitation(
            session, viewer, region_member_id=invited.id, accept=True
        )


async def a_region(world: World) -> dict[str, Any]:
    """福岡 runs a region with a project its members see and one only its participants see;
    大分 is a member of the region; a project outside the region has a milestone due too."""
    today = milestones.today()
    day = lambda n: today + timedelta(days=n)  # noqa: E731
    fukuoka = await world.party("福岡県")
    oita = await world.party("大分県", "44")
    region = await world.region(fukuoka)
    await _member(world, region, fukuoka, oita)
    shared = await _project(world, fukuoka, "九州半導体人材育成", region, ProjectVisibility.REGION)
    closed = await _project(
        world, fukuoka, "九州非公開調達", region, ProjectVisibility.PARTICIPANTS
    )
    outside = await world.project(fukuoka, name="九州周遊観光")
    await world.milestone(shared, fukuoka, "東京事務所開設", day(5))
    await world.milestone(shared, fukuoka, "半導体装置搬入", day(20))
    done = await world.milestone(shared, fukuoka, "研修講師確保", day(10))
    await world.milestone(shared, fukuoka, "需要調査報告", day(-3))
    at_risk = await world.milestone(shared, fukuoka, "量産ライン稼働", day(60))
    await world.milestone(closed, fukuoka, "調達先選定", day(7))
    await world.milestone(closed, fukuoka, "契約締結", day(-1))
    await world.milestone(outside, fukuoka, "九州周遊ルート公開", day(15))
    viewer = await world.viewer(fukuoka)
    async with unit_of_work(world.sessions, viewer) as session:
        await milestones.change_milestone_status(
            session, viewer, milestone_id=done.id, version=1, status=MilestoneStatus.DONE
        )
        await milestones.change_milestone_status(
            session,
            viewer,
            milestone_id=at_risk.id,
            version=1,
            status=MilestoneStatus.AT_RISK,
            at_risk_reason="装置の納期遅延",
        )
    return {
        "today": today,
        "slug": region.slug,
        "fukuoka": await world.token(fukuoka),
        "oita": await world.token(oita),
    }


def titles(data: dict[str, Any]) -> list[str]:
    return [e["node"]["title"] for e in data["data"]["region"]["milestones"]["edges"]]


async def test_region_milestones_filter_and_hide_what_the_viewer_may_not_see(
    world: World, resolvers_only: httpx2.AsyncClient, statement_counter: StatementCounter
) -> None:
    # given
    given = await a_region(world)
    today = given["today"]
    window = {"dueFrom": today.isoformat(), "dueTo": (today + timedelta(days=30)).isoformat()}
    expected: list[tuple[str, dict[str, Any], list[str]]] = [
        # the secretariat leads both projects: it sees every milestone of the region, no other
        (
            "fukuoka",
            {},
            [
                "需要調査報告",
                "契約締結",
                "東京事務所開設",
                "調達先選定",
                "研修講師確保",
                "半導体装置搬入",
                "量産ライン稼働",
            ],
        ),
        ("fukuoka", window, ["東京事務所開設", "調達先選定", "半導体装置搬入"]),
        ("fukuoka", {**window, "status": ["DONE"]}, ["研修講師確保"]),
        ("fukuoka", {"overdue": True}, ["需要調査報告", "契約締結"]),
        (
            "fukuoka",
            {"overdue": False},
            ["東京事務所開設", "調達先選定", "半導体装置搬入", "量産ライン稼働"],
        ),
        ("fukuoka", {"status": ["AT_RISK"]}, ["量産ライン稼働"]),
        ("fukuoka", {**window, "first": 2}, ["東京事務所開設", "調達先選定"]),
        # 大分, a member, sees the region's shared project, not the participants-only one
        (
            "oita",
            {},
            ["需要調査報告", "東京事務所開設", "研修講師確保", "半導体装置搬入", "量産ライン稼働"],
        ),
        ("oita", window, ["東京事務所開設", "半導体装置搬入"]),
        ("oita", {"overdue": True}, ["需要調査報告"]),
    ]
    for who, variables, wanted in expected:
        variables = {"slug": given["slug"], **variables}
        # when
        with statement_counter:
            compiled = await graphql(world.client, HOME, variables, token=given[who])
        statements = list(statement_counter.statements)
        resolved = await graphql(resolvers_only, HOME, variables, token=given[who])
        # then: what each may see, the same from both paths, in one compiled statement
        assert "errors" not in resolved, (who, variables, resolved)
        assert titles(compiled) == wanted, (who, variables)
        assert compiled == resolved, (who, variables)
        assert sum("renkei:compiled" in s for s in statements) == 1, (who, variables)
    # and the next page follows the compiled cursor, on both paths
    first = await graphql(
        world.client, HOME, {"slug": given["slug"], **window, "first": 2}, token=given["fukuoka"]
    )
    after = first["data"]["region"]["milestones"]["pageInfo"]["endCursor"]
    following = {"slug": given["slug"], **window, "first": 2, "after": after}
    compiled = await graphql(world.client, HOME, following, token=given["fukuoka"])
    assert compiled == await graphql(resolvers_only, HOME, following, token=given["fukuoka"])
    assert titles(compiled) == ["半導体装置搬入"]


async def test_the_region_home_watch_is_three_aliased_pages_of_one_statement(
    world: World, resolvers_only: httpx2.AsyncClient, statement_counter: StatementCounter
) -> None:
    # given
    given = await a_region(world)
    today = given["today"]
    variables = {
        "slug": given["slug"],
        "today": today.isoformat(),
        "horizon": (today + timedelta(days=30)).isoformat(),
    }
    # when
    with statement_counter:
        compiled = await graphql(world.client, ALIASED, variables, token=given["oita"])
    statements = list(statement_counter.statements)
    resolved = await graphql(resolvers_only, ALIASED, variables, token=given["oita"])
    # then
    assert compiled == resolved
    assert sum("renkei:compiled" in s for s in statements) == 1
    region = compiled["data"]["region"]
    assert [n["title"] for n in region["overdue"]["nodes"]] == ["需要調査報告"]
    assert [n["title"] for n in region["dueSoon"]["nodes"]] == ["東京事務所開設", "半導体装置搬入"]
    assert [n["title"] for n in region["atRisk"]["nodes"]] == ["量産ライン稼働"]
