"""Baselines: a frozen, named snapshot of a project's milestones, and today's plan against it."""

from __future__ import annotations

from datetime import date

from renkei.db import unit_of_work
from renkei.graphql.relay import to_global_id
from renkei.milestones import service as milestones
from renkei.milestones.models import MilestoneStatus
from renkei.tenancy import MembershipRole

CREATE_BASELINE = """
mutation CreateBaseline($input: CreateBaselineInput!) {
  createBaseline(input: $input) {
    baseline { id name milestones { title dueOn status } }
    userErrors { field code message }
  }
}
"""

BASELINE = """
query Baseline($id: ID!) {
  node(id: $id) {
    ... on Baseline {
      name
      project { name }
      createdBy { email }
      milestones { title dueOn status weight }
      variance {
        compared late added removed maxSlipDays meanSlipDays
        items { title change baselineDueOn currentDueOn slipDays statusThen statusNow }
      }
    }
  }
}
"""


async def test_the_variance_shows_slips_additions_and_removals_since_the_baseline(world):
    # given
    lead = await world.party("福岡県")
    partner = await world.party("熊本県", "43")
    outsider = await world.party("大分県", "44")
    project = await world.project(lead, partner)
    site = await world.milestone(project, lead, "用地確保", date(2026, 6, 30))
    plant = await world.milestone(project, lead, "工場建設", date(2026, 9, 30))
    staff = await world.milestone(project, lead, "人材確保", date(2026, 12, 31))
    export = await world.milestone(project, lead, "輸出開始", date(2027, 3, 31))
    data = await world.call(
        CREATE_BASELINE,
        {"input": {"projectId": to_global_id("Project", project.id), "name": "ビジョン採択時"}},
        token=await world.token(partner, MembershipRole.MEMBER),
    )
    baseline = data["createBaseline"]["baseline"]
    assert data["createBaseline"]["userErrors"] == []
    assert [m["title"] for m in baseline["milestones"]] == [
        "用地確保",
        "工場建設",
        "人材確保",
        "輸出開始",
    ]
    # when: the plan moves on
    viewer = await world.viewer(lead)
    async with unit_of_work(world.sessions, viewer) as session:
        for milestone, due in ((site, date(2026, 7, 10)), (plant, date(2026, 9, 26))):
            await milestones.update_milestone(
                session, viewer, milestone_id=milestone.id, version=1, due_on=due
            )
        await milestones.update_milestone(
            session, viewer, milestone_id=staff.id, version=1, due_on=date(2027, 1, 1)
        )
        await milestones.change_milestone_status(
            session, viewer, milestone_id=export.id, version=1, status=MilestoneStatus.CANCELLED
        )
        await milestones.create_milestone(
            session,
            viewer,
            project_id=project.id,
            title="展示会出展",
            due_on=date(2027, 1, 31),
            horizon_years=1,
        )
    result = await world.call(
        BASELINE, {"id": baseline["id"]}, token=await world.token(partner, MembershipRole.MEMBER)
    )
    # then
    frozen = result["node"]
    assert frozen["name"] == "ビジョン採択時"
    assert (
        frozen["createdBy"]["email"] == (await world.person(partner, MembershipRole.MEMBER)).email
    )
    assert frozen["milestones"][3] == {
        "title": "輸出開始",
        "dueOn": "2027-03-31",
        "status": "NOT_STARTED",
        "weight": 1.0,
    }
    variance = frozen["variance"]
    # (10 - 4 + 1) ÷ 3 = 2.33…
    assert {k: v for k, v in variance.items() if k != "items"} == {
        "compared": 3,
        "late": 2,
        "added": 1,
        "removed": 1,
        "maxSlipDays": 10,
        "meanSlipDays": 2.3,
    }
    assert variance["items"] == [
        {
            "title": "用地確保",
            "change": "KEPT",
            "baselineDueOn": "2026-06-30",
            "currentDueOn": "2026-07-10",
            "slipDays": 10,
            "statusThen": "NOT_STARTED",
            "statusNow": "NOT_STARTED",
        },
        {
            "title": "工場建設",
            "change": "KEPT",
            "baselineDueOn": "2026-09-30",
            "currentDueOn": "2026-09-26",
            "slipDays": -4,
            "statusThen": "NOT_STARTED",
            "statusNow": "NOT_STARTED",
        },
        {
            "title": "人材確保",
            "change": "KEPT",
            "baselineDueOn": "2026-12-31",
            "currentDueOn": "2027-01-01",
            "slipDays": 1,
            "statusThen": "NOT_STARTED",
            "statusNow": "NOT_STARTED",
        },
        {
            "title": "展示会出展",
            "change": "ADDED",
            "baselineDueOn": None,
            "currentDueOn": "2027-01-31",
            "slipDays": None,
            "statusThen": None,
            "statusNow": "NOT_STARTED",
        },
        {
            "title": "輸出開始",
            "change": "REMOVED",
            "baselineDueOn": "2027-03-31",
            "currentDueOn": None,
            "slipDays": None,
            "statusThen": "NOT_STARTED",
            "statusNow": "CANCELLED",
        },
    ]
    # An organization outside the project cannot fetch it by id.
    hidden = await world.call(BASELINE, {"id": baseline["id"]}, token=await world.token(outsider))
    assert hidden["node"] is None


async def test_baseline_names_are_unique_per_project_and_only_participants_take_them(world):
    # given
    lead = await world.party("福岡県")
    outsider = await world.party("大分県", "44")
    project = await world.project(lead)
    other = await world.project(lead, name="九州周遊観光")
    variables = {
        "input": {"projectId": to_global_id("Project", project.id), "name": "交付金申請時"}
    }
    token = await world.token(lead)
    await world.call(CREATE_BASELINE, variables, token=token)
    # when
    twice = await world.call(CREATE_BASELINE, variables, token=token)
    elsewhere = await world.call(
        CREATE_BASELINE,
        {"input": {"projectId": to_global_id("Project", other.id), "name": "交付金申請時"}},
        token=token,
    )
    by_viewer = await world.call(
        CREATE_BASELINE, variables, token=await world.token(lead, MembershipRole.VIEWER)
    )
    by_outsider = await world.call(CREATE_BASELINE, variables, token=await world.token(outsider))
    # then
    assert twice["createBaseline"] == {
        "baseline": None,
        "userErrors": [
            {
                "field": "name",
                "code": "DUPLICATE",
                "message": "このプロジェクトには「交付金申請時」という名前の"
                "ベースラインがすでにあります。",
            }
        ],
    }
    assert elsewhere["createBaseline"]["baseline"]["name"] == "交付金申請時"
    assert by_viewer["createBaseline"]["userErrors"][0]["code"] == "FORBIDDEN"
    assert by_outsider["createBaseline"]["userErrors"] == [
        {"field": "projectId", "code": "NOT_FOUND", "message": "プロジェクトが見つかりません。"}
    ]
