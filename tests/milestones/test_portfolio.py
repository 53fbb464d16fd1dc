"""The portfolio: milestones due or overdue across every project the viewer may see, a search
that works on Japanese, and the daily reminder's list."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from renkei.db import unit_of_work
from renkei.graphql.relay import to_global_id
from renkei.milestones import service as milestones
from renkei.milestones.models import MilestoneStatus
from renkei.tenancy import Viewer

MILESTONES = """
query Portfolio(
  $first: Int, $after: String, $dueFrom: Date, $dueTo: Date, $overdue: Boolean,
  $status: [MilestoneStatus!], $regionId: ID, $projectId: ID, $search: String
) {
  milestones(
    first: $first, after: $after, dueFrom: $dueFrom, dueTo: $dueTo, overdue: $overdue,
    status: $status, regionId: $regionId, projectId: $projectId, search: $search
  ) {
    nodes { title isOverdue project { name } }
    pageInfo { hasNextPage endCursor }
  }
}
"""


async def portfolio(world, world_data: dict[str, Any], **variables: Any) -> list[str]:
    data = await world.call(MILESTONES, variables, token=world_data["token"])
    return [n["title"] for n in data["milestones"]["nodes"]]


async def a_portfolio(world) -> dict[str, Any]:
    """福岡 leads a region project and a standalone one; 大分's project it does not see."""
    today = milestones.today()
    fukuoka = await world.party("福岡県")
    oita = await world.party("大分県", "44")
    region = await world.region(fukuoka)
    in_region = await world.project(fukuoka, name="九州半導体人材育成", region=region)
    standalone = await world.project(fukuoka, name="九州周遊観光")
    hidden = await world.project(oita, name="大分県内物流")
    day = lambda n: today + timedelta(days=n)  # noqa: E731
    await world.milestone(in_region, fukuoka, "東京事務所開設", day(5))
    await world.milestone(in_region, fukuoka, "半導体装置搬入", day(20))
    done = await world.milestone(in_region, fukuoka, "研修講師確保", day(10))
    await world.milestone(in_region, fukuoka, "需要調査報告", day(-3))
    await world.milestone(in_region, fukuoka, "量産ライン稼働", day(60))
    await world.milestone(standalone, fukuoka, "九州周遊ルート公開", day(15))
    await world.milestone(standalone, fukuoka, "京都展示会", day(25))
    await world.milestone(hidden, oita, "大分東京便倉庫開設", day(2))
    viewer = await world.viewer(fukuoka)
    async with unit_of_work(world.sessions, viewer) as session:
        await milestones.change_milestone_status(
            session, viewer, milestone_id=done.id, version=1, status=MilestoneStatus.DONE
        )
    return {
        "today": today,
        "token": await world.token(fukuoka),
        "region": region,
        "standalone": standalone,
    }


async def test_due_in_the_next_30_days_and_overdue_across_projects(world):
    # given
    given = await a_portfolio(world)
    today = given["today"]
    window = {"dueFrom": today.isoformat(), "dueTo": (today + timedelta(days=30)).isoformat()}
    # when / then: open ones only, by due date, none of 大分's
    assert await portfolio(world, given, **window) == [
        "東京事務所開設",
        "九州周遊ルート公開",
        "半導体装置搬入",
        "京都展示会",
    ]
    assert await portfolio(world, given, **window, status=["DONE"]) == ["研修講師確保"]
    data = await world.call(MILESTONES, {"overdue": True}, token=given["token"])
    assert data["milestones"]["nodes"] == [
        {"title": "需要調査報告", "isOverdue": True, "project": {"name": "九州半導体人材育成"}}
    ]
    # Pages of two, keyset by due date.
    first = await world.call(MILESTONES, {**window, "first": 2}, token=given["token"])
    assert [n["title"] for n in first["milestones"]["nodes"]] == [
        "東京事務所開設",
        "九州周遊ルート公開",
    ]
    assert first["milestones"]["pageInfo"]["hasNextPage"] is True
    after = first["milestones"]["pageInfo"]["endCursor"]
    assert await portfolio(world, given, **window, first=2, after=after) == [
        "半導体装置搬入",
        "京都展示会",
    ]


async def test_by_region_by_project_and_by_japanese_search(world):
    # given
    given = await a_portfolio(world)
    # when / then: without a date filter, every status
    assert await portfolio(world, given, regionId=to_global_id("Region", given["region"].id)) == [
        "需要調査報告",
        "東京事務所開設",
        "研修講師確保",
        "半導体装置搬入",
        "量産ライン稼働",
    ]
    standalone = to_global_id("Project", given["standalone"].id)
    assert await portfolio(world, given, projectId=standalone) == [
        "九州周遊ルート公開",
        "京都展示会",
    ]
    # Another type's id matches nothing.
    assert (
        await portfolio(world, given, projectId=to_global_id("Region", given["standalone"].id))
        == []
    )
    # 東京 is a two-character word: 京都 does not match it, and 大分's milestone is not shown.
    assert await portfolio(world, given, search="東京") == ["東京事務所開設"]
    assert await portfolio(world, given, search="京") == ["東京事務所開設", "京都展示会"]
    # Half-width katakana and spaces are normalized.
    assert await portfolio(world, given, search="周遊 ﾙｰﾄ") == ["九州周遊ルート公開"]


async def test_the_daily_reminder_lists_open_milestones_due_within_7_days_and_overdue(world):
    # given
    given = await a_portfolio(world)
    # when: the job reads them as the platform
    async with unit_of_work(world.sessions, Viewer.platform()) as session:
        reminders = await milestones.due_soon_and_overdue(session, given["today"])
    # then: by owner organization, then due date; DONE ones are left out
    assert [(r.owner.name, r.milestone.title, r.days_left, r.overdue) for r in reminders] == [
        ("大分県", "大分東京便倉庫開設", 2, False),
        ("福岡県", "需要調査報告", -3, True),
        ("福岡県", "東京事務所開設", 5, False),
    ]
