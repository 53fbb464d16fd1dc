"""Planning milestones over GraphQL: who adds and changes them, what is checked, and a stale
version that conflicts instead of overwriting."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from sqlalchemy import func, select

from renkei.activity.models import Activity
from renkei.db import unit_of_work
from renkei.graphql.relay import to_global_id
from renkei.milestones import service as milestones
from renkei.milestones.service import MILESTONE_RESCHEDULED
from renkei.outbox import OutboxMessage
from renkei.tenancy import MembershipRole, Viewer

CREATE_MILESTONE = """
mutation CreateMilestone($input: CreateMilestoneInput!) {
  createMilestone(input: $input) {
    milestone {
      id title description startsOn dueOn horizonYears status progress weight evidenceLinks
      version isOverdue owner { name } counterpart { name } project { name }
      activity { nodes { action after actingOrganization { name } } }
    }
    userErrors { field code message }
  }
}
"""

UPDATE_MILESTONE = """
mutation UpdateMilestone($input: UpdateMilestoneInput!) {
  updateMilestone(input: $input) {
    milestone { title startsOn dueOn weight version counterpart { name } }
    userErrors { field code message }
  }
}
"""

MILESTONE = """
query Milestone($id: ID!) {
  milestone(id: $id) {
    title dueOn version
    activity(last: 1) { nodes { action before after } }
  }
}
"""


def create_input(project: Any, **fields: Any) -> dict[str, Any]:
    return {
        "projectId": to_global_id("Project", project.id),
        "title": "試作ライン稼働",
        "dueOn": "2027-03-31",
        "horizonYears": 1,
        **fields,
    }


async def test_a_partner_adds_a_milestone_it_owns_with_a_counterpart(world):
    # given
    lead = await world.party("福岡県")
    partner = await world.party("九州半導体株式会社", "43")
    project = await world.project(lead, partner)
    starts_on = milestones.today() + timedelta(days=10)
    due_on = milestones.today() + timedelta(days=120)
    # when
    data = await world.call(
        CREATE_MILESTONE,
        {
            "input": create_input(
                project,
                description="量産前の試作ライン",
                startsOn=starts_on.isoformat(),
                dueOn=due_on.isoformat(),
                counterpartOrganizationId=to_global_id("Organization", lead.id),
                weight=2.5,
                evidenceLinks=["https://example.jp/report.pdf", "http://example.jp/photo"],
            )
        },
        token=await world.token(partner, MembershipRole.MEMBER),
    )
    # then
    payload = data["createMilestone"]
    assert payload["userErrors"] == []
    milestone = payload["milestone"]
    assert milestone | {"id": None, "activity": None} == {
        "id": None,
        "title": "試作ライン稼働",
        "description": "量産前の試作ライン",
        "startsOn": starts_on.isoformat(),
        "dueOn": due_on.isoformat(),
        "horizonYears": 1,
        "status": "NOT_STARTED",
        "progress": 0,
        "weight": 2.5,
        "evidenceLinks": ["https://example.jp/report.pdf", "http://example.jp/photo"],
        "version": 1,
        "isOverdue": False,
        "owner": {"name": "九州半導体株式会社"},
        "counterpart": {"name": "福岡県"},
        "project": {"name": "九州半導体サプライチェーン強化"},
        "activity": None,
    }
    (created,) = milestone["activity"]["nodes"]
    assert created["action"] == "created"
    assert created["actingOrganization"] == {"name": "九州半導体株式会社"}
    assert created["after"]["title"] == "試作ライン稼働"
    assert created["after"]["weight"] == 2.5


async def test_what_a_milestone_needs_is_checked_field_by_field(world):
    # given
    lead = await world.party("福岡県")
    outsider = await world.party("大分県", "44")
    project = await world.project(lead)
    token = await world.token(lead)
    cases = [
        ({"startsOn": "2027-04-01"}, "startsOn", "INVALID"),
        ({"horizonYears": 2}, "horizonYears", "INVALID"),
        ({"weight": 0}, "weight", "INVALID"),
        ({"weight": 1.234}, "weight", "INVALID"),
        ({"evidenceLinks": ["ftp://example.jp/x"]}, "evidenceLinks", "INVALID"),
        ({"evidenceLinks": ["javascript:alert(1)"]}, "evidenceLinks", "INVALID"),
        ({"title": "  "}, "title", "INVALID"),
        (
            {"ownerOrganizationId": to_global_id("Organization", outsider.id)},
            "ownerOrganizationId",
            "INVALID",
        ),
        (
            {"counterpartOrganizationId": to_global_id("Organization", outsider.id)},
            "counterpartOrganizationId",
            "INVALID",
        ),
        (
            {"counterpartOrganizationId": to_global_id("Organization", lead.id)},
            "counterpartOrganizationId",
            "INVALID",
        ),
        ({"projectId": to_global_id("Region", project.id)}, "projectId", "INVALID_ID"),
    ]
    for fields, field, code in cases:
        # when
        data = await world.call(
            CREATE_MILESTONE, {"input": create_input(project, **fields)}, token=token
        )
        # then
        payload = data["createMilestone"]
        assert payload["milestone"] is None, fields
        [error] = payload["userErrors"]
        assert (error["field"], error["code"]) == (field, code), (fields, error)
    assert data["createMilestone"]["userErrors"][0]["message"] == "Project の ID ではありません。"
    async with unit_of_work(world.sessions, Viewer.platform()) as session:
        from renkei.milestones.models import Milestone

        assert await session.scalar(select(func.count()).select_from(Milestone)) == 0


async def test_only_writers_of_participating_organizations_add_milestones(world):
    # given
    lead = await world.party("福岡県")
    outsider = await world.party("大分県", "44")
    project = await world.project(lead)
    # when
    as_viewer = await world.call(
        CREATE_MILESTONE,
        {"input": create_input(project)},
        token=await world.token(lead, MembershipRole.VIEWER),
    )
    as_outsider = await world.call(
        CREATE_MILESTONE,
        {"input": create_input(project)},
        token=await world.token(outsider),
        language="en",
    )
    # then
    assert as_viewer["createMilestone"]["userErrors"] == [
        {
            "field": None,
            "code": "FORBIDDEN",
            "message": "マイルストーンを変更できるのは、参加団体のオーナー・管理者・メンバーです。"
            "閲覧者は閲覧のみできます。",
        }
    ]
    # The outsider does not see the project at all (visibility PARTICIPANTS).
    assert as_outsider["createMilestone"]["userErrors"] == [
        {"field": "projectId", "code": "NOT_FOUND", "message": "no such project"}
    ]


async def test_a_stale_version_gets_a_conflict_and_nothing_is_written(world):
    # given
    lead = await world.party("福岡県")
    partner = await world.party("九州半導体株式会社", "43")
    project = await world.project(lead, partner)
    predecessor = await world.milestone(project, partner, "装置搬入", date(2026, 9, 30))
    milestone = await world.milestone(project, partner, "試作ライン稼働", date(2027, 3, 31))
    await world.depend(partner, predecessor, milestone)
    token = await world.token(partner)
    milestone_id = to_global_id("Milestone", milestone.id)
    first = await world.call(
        UPDATE_MILESTONE,
        {"input": {"id": milestone_id, "version": 1, "title": "試作ライン稼働（第1期）"}},
        token=token,
    )
    assert first["updateMilestone"]["milestone"]["version"] == 2
    async with unit_of_work(world.sessions, Viewer.platform()) as session:
        activities = await session.scalar(select(func.count()).select_from(Activity))
        messages = await session.scalar(select(func.count()).select_from(OutboxMessage))
    # when: a second person, who read version 1, moves the due date
    stale = await world.call(
        UPDATE_MILESTONE,
        {"input": {"id": milestone_id, "version": 1, "dueOn": "2027-06-30"}},
        token=await world.token(lead),
    )
    # then
    assert stale["updateMilestone"] == {
        "milestone": None,
        "userErrors": [
            {
                "field": "version",
                "code": "CONFLICT",
                "message": "このマイルストーンは読み込んだ後に変更されました"
                "（読み込んだ版：1、現在の版：2）。再読み込みしてから、もう一度変更してください。",
            }
        ],
    }
    now = await world.read(milestone.id)
    assert (now.title, now.due_on, now.version) == ("試作ライン稼働（第1期）", date(2027, 3, 31), 2)
    async with unit_of_work(world.sessions, Viewer.platform()) as session:
        assert await session.scalar(select(func.count()).select_from(Activity)) == activities
        assert await session.scalar(select(func.count()).select_from(OutboxMessage)) == messages


async def test_the_owner_and_the_lead_change_a_milestone_other_partners_do_not(world):
    # given
    lead = await world.party("福岡県")
    owner = await world.party("九州半導体株式会社", "43")
    other = await world.party("熊本大学", "43")
    project = await world.project(lead, owner, other)
    milestone = await world.milestone(project, owner, "試作ライン稼働", date(2027, 3, 31))
    milestone_id = to_global_id("Milestone", milestone.id)
    # when
    by_other = await world.call(
        UPDATE_MILESTONE,
        {"input": {"id": milestone_id, "version": 1, "title": "別名"}},
        token=await world.token(other),
    )
    by_lead_member = await world.call(
        UPDATE_MILESTONE,
        {
            "input": {
                "id": milestone_id,
                "version": 1,
                "dueOn": "2027-06-30",
                "startsOn": "2027-01-04",
                "weight": 3,
                "counterpartOrganizationId": to_global_id("Organization", other.id),
            }
        },
        token=await world.token(lead, MembershipRole.MEMBER),
    )
    cleared = await world.call(
        UPDATE_MILESTONE,
        {"input": {"id": milestone_id, "version": 2, "startsOn": None}},
        token=await world.token(owner),
    )
    # then
    assert by_other["updateMilestone"]["userErrors"] == [
        {
            "field": "id",
            "code": "FORBIDDEN",
            "message": "このマイルストーンを変更できるのは、担当団体またはプロジェクトの"
            "代表団体のメンバーだけです。",
        }
    ]
    assert by_lead_member["updateMilestone"] == {
        "milestone": {
            "title": "試作ライン稼働",
            "startsOn": "2027-01-04",
            "dueOn": "2027-06-30",
            "weight": 3.0,
            "version": 2,
            "counterpart": {"name": "熊本大学"},
        },
        "userErrors": [],
    }
    assert cleared["updateMilestone"]["milestone"]["startsOn"] is None
    assert cleared["updateMilestone"]["milestone"]["counterpart"] == {"name": "熊本大学"}
    data = await world.call(MILESTONE, {"id": milestone_id}, token=await world.token(other))
    assert data["milestone"]["activity"]["nodes"] == [
        {"action": "updated", "before": {"starts_on": "2027-01-04"}, "after": {"starts_on": None}}
    ]
    # Nothing depends on it, so no job is queued for it.
    assert await world.outbox(MILESTONE_RESCHEDULED) == []


async def test_a_later_due_date_queues_the_slip_check_for_its_dependents(world):
    # given
    lead = await world.party("福岡県")
    project = await world.project(lead)
    first = await world.milestone(project, lead, "装置搬入", date(2026, 9, 30))
    second = await world.milestone(project, lead, "試作ライン稼働", date(2027, 3, 31))
    await world.depend(lead, first, second)
    queued = len(await world.outbox(MILESTONE_RESCHEDULED))
    token = await world.token(lead)
    # when: earlier (nothing to check), then later
    await world.call(
        UPDATE_MILESTONE,
        {"input": {"id": to_global_id("Milestone", first.id), "version": 1, "dueOn": "2026-09-01"}},
        token=token,
    )
    after_earlier = len(await world.outbox(MILESTONE_RESCHEDULED))
    await world.call(
        UPDATE_MILESTONE,
        {"input": {"id": to_global_id("Milestone", first.id), "version": 2, "dueOn": "2026-12-01"}},
        token=token,
    )
    # then
    assert after_earlier == queued
    messages = await world.outbox(MILESTONE_RESCHEDULED)
    assert messages[queued:] == [{"milestone_id": str(first.id)}]


NODE = """
query Node($id: ID!) { node(id: $id) { ... on Milestone { title owner { name } } } }
"""


async def test_node_shows_a_milestone_to_participants_and_null_to_anyone_else(world):
    # given
    lead = await world.party("福岡県")
    partner = await world.party("熊本県", "43")
    outsider = await world.party("大分県", "44")
    project = await world.project(lead, partner)
    milestone = await world.milestone(project, lead, "用地確保", date(2026, 6, 30))
    variables = {"id": to_global_id("Milestone", milestone.id)}
    # when
    seen = await world.call(
        NODE, variables, token=await world.token(partner, MembershipRole.VIEWER)
    )
    guessed = await world.call(NODE, variables, token=await world.token(outsider))
    # then
    assert seen["node"] == {"title": "用地確保", "owner": {"name": "福岡県"}}
    assert guessed["node"] is None
