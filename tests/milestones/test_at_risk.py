"""Slips: when a milestone is now due after a dependent starts, the job flags the dependent, and
what depends on it in turn, AT_RISK with the reason; across projects the editor cannot see."""

from __future__ import annotations

import dataclasses
import uuid
from datetime import date

import httpx2
from sqlalchemy import select

from renkei.activity.models import Activity
from renkei.db import unit_of_work
from renkei.graphql.relay import to_global_id
from renkei.milestones import dependencies
from renkei.milestones import service as milestones
from renkei.milestones.models import MilestoneStatus
from renkei.milestones.service import MILESTONE_AT_RISK, MILESTONE_RESCHEDULED
from renkei.tenancy import Viewer

UPDATE_MILESTONE = """
mutation UpdateMilestone($input: UpdateMilestoneInput!) {
  updateMilestone(input: $input) { milestone { dueOn } userErrors { field code message } }
}
"""

MILESTONE = """
query Milestone($id: ID!) { milestone(id: $id) { status atRiskReason } }
"""

CHANGE_STATUS = """
mutation Change($input: ChangeMilestoneStatusInput!) {
  changeMilestoneStatus(input: $input) {
    milestone { status atRiskReason version } userErrors { field code message }
  }
}
"""


async def run_job(world, milestone_id: str) -> list[uuid.UUID]:
    """What the worker does for a milestone.rescheduled message: the handler, as the platform."""
    async with unit_of_work(world.sessions, Viewer.platform()) as session:
        return await dependencies.flag_at_risk_dependents(session, uuid.UUID(milestone_id))


async def test_a_slip_flags_dependents_down_the_chain_in_a_project_the_editor_cannot_see(world):
    # given: 福岡's A; in 熊本's own project, B waits for A and C waits for B; D waits for C
    fukuoka = await world.party("福岡県")
    kumamoto = await world.party("熊本県", "43")
    ours = await world.project(fukuoka, kumamoto, name="九州半導体人材育成")
    theirs = await world.project(kumamoto, name="熊本県内装置メーカー連携")
    a = await world.milestone(ours, fukuoka, "研修カリキュラム策定", date(2026, 9, 30))
    b = await world.milestone(
        theirs, kumamoto, "実習受入開始", date(2026, 12, 31), starts_on=date(2026, 10, 1)
    )
    c = await world.milestone(
        theirs, kumamoto, "実習成果報告", date(2027, 3, 31), starts_on=date(2027, 1, 10)
    )
    d = await world.milestone(theirs, kumamoto, "次年度計画", date(2027, 6, 30))
    done = await world.milestone(theirs, kumamoto, "受入体制整備", date(2026, 9, 1))
    await world.depend(kumamoto, a, b)
    await world.depend(kumamoto, b, c)
    await world.depend(kumamoto, c, d)
    await world.depend(kumamoto, a, done)
    async with unit_of_work(world.sessions, await world.viewer(kumamoto)) as session:
        await milestones.change_milestone_status(
            session,
            await world.viewer(kumamoto),
            milestone_id=done.id,
            version=1,
            status=MilestoneStatus.DONE,
        )
    queued = len(await world.outbox(MILESTONE_RESCHEDULED))
    # when: 福岡 moves A 20 days later
    data = await world.call(
        UPDATE_MILESTONE,
        {"input": {"id": to_global_id("Milestone", a.id), "version": 1, "dueOn": "2026-10-21"}},
        token=await world.token(fukuoka),
    )
    assert data["updateMilestone"]["userErrors"] == []
    [message] = (await world.outbox(MILESTONE_RESCHEDULED))[queued:]
    flagged = await run_job(world, message["milestone_id"])
    # then: B starts 20 days too early; it may finish 20 days late, 10 days after C starts;
    # C may finish 10 days late, still before D is due; DONE holds nothing up
    assert flagged == [b.id, c.id]
    b_now, c_now, d_now = [await world.read(m.id) for m in (b, c, d)]
    # (A is 福岡's project's: B's readers may not see it, so it is not named)
    # the reasons are written in every language, the person's reason is left empty
    assert (b_now.status, b_now.at_risk_reasons, b_now.at_risk_reason, b_now.version) == (
        MilestoneStatus.AT_RISK,
        {
            "ja": "別のプロジェクトの先行マイルストーンの期限が2026年10月21日で、"
            "このマイルストーンの開始日（2026年10月1日）の20日後です。",
            "en": "a predecessor in another project is due October 21, 2026, 20 days after this"
            " milestone starts (October 1, 2026)",
        },
        None,
        2,
    )
    assert (c_now.status, c_now.at_risk_reasons) == (
        MilestoneStatus.AT_RISK,
        {
            "ja": "先行マイルストーン「実習受入開始」に遅延リスクがあり、"
            "完了が期限（2026年12月31日）より20日遅い2027年1月20日になる見込みです。"
            "これは、このマイルストーンの開始日（2027年1月10日）の10日後です。",
            "en": "predecessor 「実習受入開始」 is at risk and may finish January 20, 2027 (20 days"
            " after its due date December 31, 2026), 10 days after this milestone starts"
            " (January 10, 2027)",
        },
    )
    assert d_now.status == MilestoneStatus.NOT_STARTED
    assert (await world.read(done.id)).status == MilestoneStatus.DONE
    assert await world.outbox(MILESTONE_AT_RISK) == [
        {"milestone_id": str(b.id)},
        {"milestone_id": str(c.id)},
    ]
    # 熊本 sees why, in its language; 福岡 does not see 熊本's project at all.
    b_id = to_global_id("Milestone", b.id)
    seen = await world.call(MILESTONE, {"id": b_id}, token=await world.token(kumamoto))
    assert seen["milestone"] == {"status": "AT_RISK", "atRiskReason": b_now.at_risk_reasons["ja"]}
    seen = await world.call(
        MILESTONE, {"id": b_id}, token=await world.token(kumamoto), language="en"
    )
    assert seen["milestone"] == {"status": "AT_RISK", "atRiskReason": b_now.at_risk_reasons["en"]}
    hidden = await world.call(MILESTONE, {"id": b_id}, token=await world.token(fukuoka))
    assert hidden["milestone"] is None
    async with unit_of_work(world.sessions, Viewer.platform()) as session:
        entry = await session.scalar(
            select(Activity).where(
                Activity.subject_id == b.id, Activity.action == "flagged_at_risk"
            )
        )
    assert entry is not None and entry.actor_user_id is None
    assert entry.before == {"status": "NOT_STARTED", "at_risk_reasons": None}
    assert entry.after == {"status": "AT_RISK", "at_risk_reasons": b_now.at_risk_reasons}
    # when: the job runs again (a redelivery)
    again = await run_job(world, message["milestone_id"])
    # then: nothing new
    assert again == []
    assert len(await world.outbox(MILESTONE_AT_RISK)) == 2


async def test_a_new_dependency_on_a_later_milestone_flags_the_successor(world):
    # given
    lead = await world.party("福岡県")
    project = await world.project(lead)
    permit = await world.milestone(project, lead, "建築許可取得", date(2026, 12, 15))
    build = await world.milestone(
        project, lead, "工場着工", date(2027, 9, 30), starts_on=date(2026, 12, 1)
    )
    # when
    await world.depend(lead, permit, build)
    [message] = await world.outbox(MILESTONE_RESCHEDULED)
    flagged = await run_job(world, message["milestone_id"])
    # then
    assert message == {"milestone_id": str(permit.id)}
    assert flagged == [build.id]
    assert (await world.read(build.id)).at_risk_reasons == {
        "ja": "先行マイルストーン「建築許可取得」の期限が2026年12月15日で、"
        "このマイルストーンの開始日（2026年12月1日）の14日後です。",
        "en": "predecessor 「建築許可取得」 is due December 15, 2026, 14 days after this milestone"
        " starts (December 1, 2026)",
    }


async def test_a_start_moved_before_a_predecessor_is_due_flags_the_milestone_itself(world):
    # given: without a start date, the due date is the start
    lead = await world.party("福岡県")
    project = await world.project(lead)
    survey = await world.milestone(project, lead, "需要調査", date(2026, 6, 30))
    route = await world.milestone(project, lead, "周遊ルート公開", date(2026, 8, 1))
    await world.depend(lead, survey, route)
    queued = len(await world.outbox(MILESTONE_RESCHEDULED))
    # when: the route is now planned a day before the survey is due
    await world.call(
        UPDATE_MILESTONE,
        {"input": {"id": to_global_id("Milestone", route.id), "version": 1, "dueOn": "2026-06-29"}},
        token=await world.token(lead),
    )
    [message] = (await world.outbox(MILESTONE_RESCHEDULED))[queued:]
    flagged = await run_job(world, message["milestone_id"])
    # then
    assert message == {"milestone_id": str(route.id)}
    assert flagged == [route.id]
    assert (await world.read(route.id)).at_risk_reasons == {
        "ja": "先行マイルストーン「需要調査」の期限が2026年6月30日で、"
        "このマイルストーンの開始日（2026年6月29日）の1日後です。",
        "en": "predecessor 「需要調査」 is due June 30, 2026, 1 day after this milestone starts"
        " (June 29, 2026)",
    }


TYPED = "地権者との協議が長引いています"


async def test_each_reader_reads_the_platforms_reason_in_their_language_a_persons_as_typed(
    world, resolvers_only: httpx2.AsyncClient
):
    # given: the job flagged 工場着工, which starts before 建築許可取得 is due
    lead = await world.party("福岡県")
    project = await world.project(lead)
    permit = await world.milestone(project, lead, "建築許可取得", date(2026, 12, 15))
    build = await world.milestone(
        project, lead, "工場着工", date(2027, 9, 30), starts_on=date(2026, 12, 1)
    )
    await world.depend(lead, permit, build)
    [message] = await world.outbox(MILESTONE_RESCHEDULED)
    await run_job(world, message["milestone_id"])
    written = (await world.read(build.id)).at_risk_reasons
    token = await world.token(lead)
    build_id = to_global_id("Milestone", build.id)
    resolvers = dataclasses.replace(world, client=resolvers_only)
    for language in ("ja", "en"):
        # when a reader of each language asks, compiled and through the resolvers
        compiled = await world.call(MILESTONE, {"id": build_id}, token=token, language=language)
        resolved = await resolvers.call(MILESTONE, {"id": build_id}, token=token, language=language)
        # then each reads the platform's reason in their own language, the same on both paths
        assert (
            compiled
            == resolved
            == {"milestone": {"status": "AT_RISK", "atRiskReason": written[language]}}
        )
    assert written["ja"].startswith("先行マイルストーン「建築許可取得」の期限が2026年12月15日で")
    # when a person gives their own reason
    data = await world.call(
        CHANGE_STATUS,
        {"input": {"id": build_id, "version": 2, "atRiskReason": f" {TYPED} "}},
        token=token,
    )
    # then it replaces the platform's and every reader reads it as typed
    assert data["changeMilestoneStatus"] == {
        "milestone": {"status": "AT_RISK", "atRiskReason": TYPED, "version": 3},
        "userErrors": [],
    }
    assert (await world.read(build.id)).at_risk_reasons is None
    for language in ("ja", "en"):
        compiled = await world.call(MILESTONE, {"id": build_id}, token=token, language=language)
        resolved = await resolvers.call(MILESTONE, {"id": build_id}, token=token, language=language)
        assert compiled == resolved == {"milestone": {"status": "AT_RISK", "atRiskReason": TYPED}}
