"""A milestone's status: the transitions allowed, progress, and completion signed off by the
counterpart organization when there is one."""

from __future__ import annotations

from datetime import date
from typing import Any

from renkei.graphql.relay import to_global_id
from renkei.milestones.service import MILESTONE_STATUS_CHANGED
from renkei.tenancy import MembershipRole

CHANGE_STATUS = """
mutation ChangeMilestoneStatus($input: ChangeMilestoneStatusInput!) {
  changeMilestoneStatus(input: $input) {
    milestone {
      status progress version atRiskReason signedOffAt completionRequested allowedTransitions
    }
    userErrors { field code message }
  }
}
"""

SIGN_OFF = """
mutation SignOffMilestone($input: SignOffMilestoneInput!) {
  signOffMilestone(input: $input) {
    milestone { status progress version signedOffAt signedOffBy { email } completionRequested }
    userErrors { field code message }
  }
}
"""


def change(milestone: Any, version: int, **fields: Any) -> dict[str, Any]:
    return {"input": {"id": to_global_id("Milestone", milestone.id), "version": version, **fields}}


async def test_with_a_counterpart_the_owner_asks_and_only_the_counterpart_signs_off(world):
    # given
    lead = await world.party("福岡県")
    owner = await world.party("九州半導体株式会社", "43")
    third = await world.party("熊本大学", "43")
    project = await world.project(lead, owner, third)
    milestone = await world.milestone(
        project, owner, "試作ライン稼働", date(2027, 3, 31), counterpart_organization_id=lead.id
    )
    owner_token = await world.token(owner, MembershipRole.MEMBER)
    # when: the owner tries to finish it itself
    done = await world.call(CHANGE_STATUS, change(milestone, 1, status="DONE"), token=owner_token)
    # then
    assert done["changeMilestoneStatus"]["userErrors"] == [
        {
            "field": "status",
            "code": "FORBIDDEN",
            "message": "このマイルストーンの完了は承認団体が承認します。"
            "承認を依頼するには、進捗率を100にしてください。",
        }
    ]
    # when: the counterpart signs off before the owner has asked
    early = await world.call(SIGN_OFF, change(milestone, 1), token=await world.token(lead))
    # then
    assert early["signOffMilestone"]["userErrors"] == [
        {
            "field": "id",
            "code": "INVALID",
            "message": "担当団体はまだ完了の承認を依頼していません（進捗率は100%ではなく0%です）。",
        }
    ]
    # when: the owner reaches 100%
    asked = await world.call(CHANGE_STATUS, change(milestone, 1, progress=100), token=owner_token)
    # then: started by the progress, waiting for the counterpart
    assert asked["changeMilestoneStatus"] == {
        "milestone": {
            "status": "IN_PROGRESS",
            "progress": 100,
            "version": 2,
            "atRiskReason": None,
            "signedOffAt": None,
            "completionRequested": True,
            "allowedTransitions": ["AT_RISK", "CANCELLED"],
        },
        "userErrors": [],
    }
    # when: a third participant, then the owner, try to sign off
    by_third = await world.call(SIGN_OFF, change(milestone, 2), token=await world.token(third))
    by_owner = await world.call(SIGN_OFF, change(milestone, 2), token=owner_token)
    # then
    forbidden = [
        {
            "field": "id",
            "code": "FORBIDDEN",
            "message": "このマイルストーンの完了を承認できるのは、承認団体のメンバーだけです。",
        }
    ]
    assert by_third["signOffMilestone"]["userErrors"] == forbidden
    assert by_owner["signOffMilestone"]["userErrors"] == forbidden
    # when: the counterpart's member signs off
    signer = await world.person(lead, MembershipRole.MEMBER)
    signed = await world.call(
        SIGN_OFF, change(milestone, 2), token=await world.token(lead, MembershipRole.MEMBER)
    )
    # then
    milestone_now = signed["signOffMilestone"]["milestone"]
    assert signed["signOffMilestone"]["userErrors"] == []
    assert milestone_now["status"] == "DONE"
    assert milestone_now["signedOffAt"] is not None
    assert milestone_now["signedOffBy"] == {"email": signer.email}
    assert milestone_now["completionRequested"] is False
    assert await world.outbox(MILESTONE_STATUS_CHANGED) == [
        {"milestone_id": str(milestone.id), "from": "NOT_STARTED", "to": "IN_PROGRESS"},
        {"milestone_id": str(milestone.id), "from": "IN_PROGRESS", "to": "DONE"},
    ]


async def test_without_a_counterpart_the_owner_marks_it_done(world):
    # given
    lead = await world.party("福岡県")
    project = await world.project(lead)
    milestone = await world.milestone(project, lead, "人材育成講座開講", date(2026, 4, 1))
    token = await world.token(lead)
    # when
    data = await world.call(CHANGE_STATUS, change(milestone, 1, status="DONE"), token=token)
    # then
    result = data["changeMilestoneStatus"]["milestone"]
    assert (result["status"], result["progress"]) == ("DONE", 100)
    assert result["signedOffAt"] is not None
    assert result["allowedTransitions"] == ["IN_PROGRESS"]
    # when: reopened, the completion is withdrawn
    reopened = await world.call(
        CHANGE_STATUS, change(milestone, 2, status="IN_PROGRESS", progress=80), token=token
    )
    # then
    result = reopened["changeMilestoneStatus"]["milestone"]
    assert (result["status"], result["progress"], result["signedOffAt"]) == (
        "IN_PROGRESS",
        80,
        None,
    )


async def test_only_sensible_transitions_and_progress_are_accepted(world):
    # given
    lead = await world.party("福岡県")
    project = await world.project(lead)
    milestone = await world.milestone(project, lead, "観光周遊ルート公開", date(2026, 7, 1))
    token = await world.token(lead)
    await world.call(CHANGE_STATUS, change(milestone, 1, status="CANCELLED"), token=token)
    cases = [
        (
            change(milestone, 2, status="DONE"),
            "status",
            "「中止」のマイルストーンは「完了」に変更できません。変更できる状態は未着手です。",
            "a cancelled milestone cannot become done; it can become not started",
        ),
        (
            change(milestone, 2, progress=101),
            "progress",
            "進捗率は0から100までの数値で指定してください。",
            "progress is a percentage from 0 to 100",
        ),
        (
            change(milestone, 2, progress=10),
            "progress",
            "このマイルストーンは「中止」です。進捗を報告するには、先に再開してください。",
            "the milestone is cancelled: reopen it before reporting progress",
        ),
        (
            change(milestone, 2, status="NOT_STARTED", atRiskReason="遅延"),
            "atRiskReason",
            "理由は、マイルストーンを AT_RISK（遅延リスクあり）にするときだけ指定できます。",
            "a reason is given only when marking a milestone AT_RISK",
        ),
    ]
    for variables, field, japanese, english in cases:
        for language, message in (("ja", japanese), ("en", english)):
            # when
            data = await world.call(CHANGE_STATUS, variables, token=token, language=language)
            # then
            assert data["changeMilestoneStatus"] == {
                "milestone": None,
                "userErrors": [{"field": field, "code": "INVALID", "message": message}],
            }
    # when: revived, then marked at risk by hand with a reason
    await world.call(CHANGE_STATUS, change(milestone, 2, status="NOT_STARTED"), token=token)
    data = await world.call(
        CHANGE_STATUS,
        change(milestone, 3, status="AT_RISK", atRiskReason="協力事業者の選定が遅れている"),
        token=token,
    )
    # then
    result = data["changeMilestoneStatus"]["milestone"]
    assert (result["status"], result["atRiskReason"]) == ("AT_RISK", "協力事業者の選定が遅れている")
    # when: back on track, the reason goes
    data = await world.call(CHANGE_STATUS, change(milestone, 4, status="IN_PROGRESS"), token=token)
    assert data["changeMilestoneStatus"]["milestone"]["atRiskReason"] is None
    assert [m["to"] for m in await world.outbox(MILESTONE_STATUS_CHANGED)] == [
        "CANCELLED",
        "NOT_STARTED",
        "AT_RISK",
        "IN_PROGRESS",
    ]


async def test_a_viewer_member_cannot_change_the_status(world):
    # given
    lead = await world.party("福岡県")
    project = await world.project(lead)
    milestone = await world.milestone(project, lead, "観光周遊ルート公開", date(2026, 7, 1))
    # when
    data = await world.call(
        CHANGE_STATUS,
        change(milestone, 1, progress=50),
        token=await world.token(lead, MembershipRole.VIEWER),
    )
    # then
    assert data["changeMilestoneStatus"]["userErrors"][0]["code"] == "FORBIDDEN"
    assert (await world.read(milestone.id)).progress == 0
