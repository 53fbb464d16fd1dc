"""A project's grant applications: 構想 → 申請 → 交付決定 → 実績報告 → 確定, each step by the
lead organization's owners and admins, baselines frozen at 申請 and 交付決定, the local share
computed, the region's allowance drawn, and only the participants reading any of it."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select

from grants.conftest import World, gid
from renkei.db import unit_of_work
from renkei.grants import service
from renkei.grants.models import GrantApplication
from renkei.milestones import service as milestones
from renkei.milestones.models import today
from renkei.tenancy import MembershipRole

CREATE = """
mutation Create($input: CreateGrantApplicationInput!) {
  createGrantApplication(input: $input) {
    grantApplication {
      id status nextStatus grantByRuleJpy grantJpy localShareJpy localShareFormula
    }
    userErrors { field code message }
  }
}
"""
APPLY = """
mutation Apply($input: ApplyForGrantInput!) {
  applyForGrant(input: $input) {
    grantApplication { status appliedOn applicationBaseline { name } }
    userErrors { field code message }
  }
}
"""
DECIDE = """
mutation Decide($input: DecideGrantInput!) {
  decideGrant(input: $input) {
    grantApplication {
      status decidedAmountJpy grantBasis localShareJpy nextDeadline
      decisionBaseline { name milestones { title dueOn } }
      regionAllowance { allowanceJpy usedJpy leftJpy }
    }
    userErrors { field code message }
  }
}
"""
REPORT = """
mutation Report($input: ReportGrantPerformanceInput!) {
  reportGrantPerformance(input: $input) {
    grantApplication { status reportedSpendingJpy }
    userErrors { field code message }
  }
}
"""
SETTLE = """
mutation Settle($input: SettleGrantInput!) {
  settleGrant(input: $input) {
    grantApplication { status finalAmountJpy localShareJpy grantBasis }
    userErrors { field code message }
  }
}
"""
READ = """
query Read($id: ID!) {
  project(id: $id) {
    grantApplications {
      title status statusLabel localShareJpy
      transitions { fromStatus toStatus by { email } organization { name } }
      applicationBaseline { milestones { title dueOn } }
      activity(first: 20) { nodes { summary actor { email } } }
    }
  }
}
"""

CONCEPT_ONLY = "構想（未申請）"


async def _setting(world: World):  # type: ignore[no-untyped-def]
    lead = await world.party("熊本県", "43")
    partner = await world.party("福岡県")
    region = await world.region(lead)
    project = await world.project(lead, partner, region=region)
    scheme = await world.scheme()
    return lead, partner, project, scheme


async def _create(world: World, lead, project, scheme, cost: int = 640_000_000) -> str:  # type: ignore[no-untyped-def]
    data = await world.call(
        CREATE,
        {
            "input": {
                "projectId": gid("Project", project.id),
                "schemeId": gid("GrantScheme", scheme.id),
                "title": "半導体サプライチェーン（テスト）",
                "requestedCostJpy": cost,
                "rate": 0.5,
                "usesRegionAllowance": True,
            }
        },
        token=await world.token(lead),
    )
    assert data["createGrantApplication"]["userErrors"] == []
    return str(data["createGrantApplication"]["grantApplication"]["id"])


async def test_the_cycle_goes_one_step_at_a_time_and_refuses_any_other(world: World) -> None:
    # given an application at 構想
    lead, _partner, project, scheme = await _setting(world)
    token = await world.token(lead)
    app_id = await _create(world, lead, project, scheme)
    # when the lead records a decision before applying
    data = await world.call(
        DECIDE,
        {"input": {"applicationId": app_id, "amountJpy": 1, "decidedOn": "2026-07-01"}},
        token=token,
    )
    # then it is refused, typed and in Japanese, and nothing changed
    [error] = data["decideGrant"]["userErrors"]
    assert error["code"] == "INVALID_TRANSITION"
    assert error["field"] == "applicationId"
    assert "構想" in error["message"] and "申請" in error["message"]
    assert data["decideGrant"]["grantApplication"] is None
    # when it goes 申請 → 交付決定 → 実績報告 → 確定
    applied = await world.call(
        APPLY, {"input": {"applicationId": app_id, "appliedOn": "2026-05-15"}}, token=token
    )
    assert applied["applyForGrant"]["grantApplication"]["status"] == "APPLIED"
    decided = await world.call(
        DECIDE,
        {
            "input": {
                "applicationId": app_id,
                "amountJpy": 300_000_000,
                "decidedOn": "2026-07-01",
                "conditions": "調査結果を公表すること",
                "reportDueOn": "2027-04-30",
            }
        },
        token=token,
    )
    assert decided["decideGrant"]["userErrors"] == []
    reported = await world.call(
        REPORT,
        {
            "input": {
                "applicationId": app_id,
                "spendingJpy": 610_000_000,
                "reportedOn": "2026-11-27",
            }
        },
        token=token,
    )
    assert reported["reportGrantPerformance"]["grantApplication"]["status"] == "REPORTED"
    settled = await world.call(
        SETTLE,
        {
            "input": {
                "applicationId": app_id,
                "finalAmountJpy": 295_000_000,
                "settledOn": "2026-12-01",
            }
        },
        token=token,
    )
    # then the final amount stands, the local share is spending − final grant
    assert settled["settleGrant"]["grantApplication"] == {
        "status": "SETTLED",
        "finalAmountJpy": 295_000_000.0,
        "localShareJpy": 315_000_000.0,
        "grantBasis": "FINAL",
    }
    # and nothing follows 確定
    again = await world.call(
        SETTLE,
        {"input": {"applicationId": app_id, "finalAmountJpy": 1, "settledOn": "2026-12-01"}},
        token=token,
    )
    assert [e["code"] for e in again["settleGrant"]["userErrors"]] == ["INVALID_TRANSITION"]
    # and every step is recorded, who and for whom, and in the project's activity
    read = await world.call(READ, {"id": gid("Project", project.id)}, token=token)
    [application] = read["project"]["grantApplications"]
    steps = [(t["fromStatus"], t["toStatus"]) for t in application["transitions"]]
    assert steps == [
        (None, "CONCEPT"),
        ("CONCEPT", "APPLIED"),
        ("APPLIED", "DECIDED"),
        ("DECIDED", "REPORTED"),
        ("REPORTED", "SETTLED"),
    ]
    assert {t["by"]["email"] for t in application["transitions"]} == {lead.owner.email}
    assert {t["organization"]["name"] for t in application["transitions"]} == {"熊本県"}
    summaries = [n["summary"] for n in application["activity"]["nodes"]]
    assert len(summaries) == 5
    assert any("交付決定" in s for s in summaries), summaries
    assert any("確定" in s for s in summaries), summaries


async def test_the_local_share_is_the_cost_less_the_grant_by_rate_and_cap(world: World) -> None:
    # given a scheme capped at 15億円 and a region allowance of 10億円
    lead, _partner, project, scheme = await _setting(world)
    # when one application asks 6.4億円 at 1/2, another 40億円 at 1/2
    first = await _create(world, lead, project, scheme)
    data = await world.call(
        CREATE,
        {
            "input": {
                "projectId": gid("Project", project.id),
                "schemeId": gid("GrantScheme", scheme.id),
                "title": "大型投資（テスト）",
                "requestedCostJpy": 4_000_000_000,
                "rate": 0.5,
            }
        },
        token=await world.token(lead),
    )
    big = data["createGrantApplication"]["grantApplication"]
    # then the first's grant is 3.2億円 and its local share 3.2億円
    read = await world.call(READ, {"id": gid("Project", project.id)}, token=await world.token(lead))
    shares = {a["title"]: a["localShareJpy"] for a in read["project"]["grantApplications"]}
    assert shares["半導体サプライチェーン（テスト）"] == 320_000_000
    # and the second's grant is capped at 15億円: its local share is 25億円, the formula says so
    assert (big["grantByRuleJpy"], big["localShareJpy"]) == (1_500_000_000, 2_500_000_000)
    assert "¥1,500,000,000" in big["localShareFormula"]
    # when the first is decided at 3億円 after applying
    token = await world.token(lead)
    await world.call(
        APPLY, {"input": {"applicationId": first, "appliedOn": "2026-05-15"}}, token=token
    )
    decided = await world.call(
        DECIDE,
        {"input": {"applicationId": first, "amountJpy": 300_000_000, "decidedOn": "2026-07-01"}},
        token=token,
    )
    # then its local share is the cost less the decided grant, and the allowance shows it drawn
    application = decided["decideGrant"]["grantApplication"]
    assert (application["grantBasis"], application["localShareJpy"]) == ("DECIDED", 340_000_000)
    assert application["regionAllowance"] == {
        "allowanceJpy": 1_000_000_000,
        "usedJpy": 300_000_000,
        "leftJpy": 700_000_000,
    }


async def test_an_unconfirmed_rate_must_be_stated_by_the_application(world: World) -> None:
    lead, _partner, project, scheme = await _setting(world)
    data = await world.call(
        CREATE,
        {
            "input": {
                "projectId": gid("Project", project.id),
                "schemeId": gid("GrantScheme", scheme.id),
                "title": "補助率なし",
                "requestedCostJpy": 1_000_000,
            }
        },
        token=await world.token(lead),
    )
    [error] = data["createGrantApplication"]["userErrors"]
    assert (error["field"], error["code"]) == ("rate", "INVALID")
    assert "確認" in error["message"]


async def test_a_grant_beyond_the_regions_allowance_is_refused(world: World) -> None:
    lead, _partner, project, scheme = await _setting(world)
    app_id = await _create(world, lead, project, scheme, cost=3_000_000_000)
    token = await world.token(lead)
    await world.call(
        APPLY, {"input": {"applicationId": app_id, "appliedOn": "2026-05-15"}}, token=token
    )
    data = await world.call(
        DECIDE,
        {"input": {"applicationId": app_id, "amountJpy": 1_200_000_000, "decidedOn": "2026-07-01"}},
        token=token,
    )
    [error] = data["decideGrant"]["userErrors"]
    assert error["field"] == "amountJpy" and "¥1,000,000,000" in error["message"]


async def test_baselines_are_frozen_at_application_and_at_decision(world: World) -> None:
    # given a project with a milestone, and its application
    lead, _partner, project, scheme = await _setting(world)
    site = await world.milestone(project, lead, "用地確保", date(2026, 6, 30))
    app_id = await _create(world, lead, project, scheme)
    token = await world.token(lead)
    # when it is applied for, the milestone slips, and the grant is decided
    applied = await world.call(
        APPLY, {"input": {"applicationId": app_id, "appliedOn": "2026-05-15"}}, token=token
    )
    viewer = await world.viewer(lead)
    async with unit_of_work(world.sessions, viewer) as session:
        await milestones.update_milestone(
            session, viewer, milestone_id=site.id, version=site.version, due_on=date(2026, 9, 30)
        )
    decided = await world.call(
        DECIDE,
        {"input": {"applicationId": app_id, "amountJpy": 300_000_000, "decidedOn": "2026-07-01"}},
        token=token,
    )
    # then the baseline of the application keeps the plan as submitted, the decision's the new one
    assert "申請時" in applied["applyForGrant"]["grantApplication"]["applicationBaseline"]["name"]
    baseline = decided["decideGrant"]["grantApplication"]["decisionBaseline"]
    assert "交付決定時" in baseline["name"]
    assert baseline["milestones"] == [{"title": "用地確保", "dueOn": "2026-09-30"}]
    read = await world.call(READ, {"id": gid("Project", project.id)}, token=token)
    [application] = read["project"]["grantApplications"]
    assert application["applicationBaseline"]["milestones"] == [
        {"title": "用地確保", "dueOn": "2026-06-30"}
    ]


async def test_only_the_leads_owners_and_admins_take_steps(world: World) -> None:
    lead, partner, project, scheme = await _setting(world)
    app_id = await _create(world, lead, project, scheme)
    for party, role in ((partner, MembershipRole.OWNER), (lead, MembershipRole.MEMBER)):
        data = await world.call(
            APPLY,
            {"input": {"applicationId": app_id, "appliedOn": "2026-05-15"}},
            token=await world.token(party, role),
        )
        assert [e["code"] for e in data["applyForGrant"]["userErrors"]] == ["FORBIDDEN"]


async def test_an_outsider_reads_no_application_of_another(world: World) -> None:
    # given an application of a project, a partner taking part and an outsider who does not
    lead, partner, project, scheme = await _setting(world)
    app_id = await _create(world, lead, project, scheme)
    outsider = await world.party("大分県", "44")
    # then the partner reads it, the outsider nothing: neither the API
    read = await world.call(
        READ, {"id": gid("Project", project.id)}, token=await world.token(partner)
    )
    assert len(read["project"]["grantApplications"]) == 1
    outside = await world.call(
        READ, {"id": gid("Project", project.id)}, token=await world.token(outsider)
    )
    assert outside["project"] is None or outside["project"]["grantApplications"] == []
    # nor the service, nor the table itself under row-level security
    viewer = await world.viewer(outsider)
    async with unit_of_work(world.sessions, viewer) as session:
        assert await service.applications_of(session, project.id) == []
        assert (await session.scalars(select(GrantApplication))).all() == []
    # nor its documents, which the partner downloads
    url = f"/exports/grant-applications/{app_id}/application.csv"
    for party, status in ((outsider, 404), (partner, 200)):
        headers = {"Authorization": f"Bearer {await world.token(party)}"}
        assert (await world.client.get(url, headers=headers)).status_code == status


async def test_a_decision_cannot_be_dated_in_the_future(world: World) -> None:
    lead, _partner, project, scheme = await _setting(world)
    app_id = await _create(world, lead, project, scheme)
    token = await world.token(lead)
    await world.call(
        APPLY, {"input": {"applicationId": app_id, "appliedOn": "2026-05-15"}}, token=token
    )
    data = await world.call(
        DECIDE,
        {
            "input": {
                "applicationId": app_id,
                "amountJpy": 1,
                "decidedOn": (today() + timedelta(days=3)).isoformat(),
            }
        },
        token=token,
    )
    assert [e["field"] for e in data["decideGrant"]["userErrors"]] == ["decidedOn"]


SCHEMES = """
query { grantSchemes(fiscalYear: 2026) { name rate capJpy regionAllowanceJpy unconfirmedFields } }
"""


async def test_a_refused_step_reads_in_english_and_the_schemes_say_what_is_unconfirmed(
    world: World,
) -> None:
    # given an application at 構想, read by an English reader
    lead, _partner, project, scheme = await _setting(world)
    app_id = await _create(world, lead, project, scheme)
    token = await world.token(lead)
    # when they record its settlement
    data = await world.call(
        SETTLE,
        {"input": {"applicationId": app_id, "finalAmountJpy": 1, "settledOn": "2026-12-01"}},
        token=token,
        language="en",
    )
    # then the same code, in English, names the one step that may follow
    [error] = data["settleGrant"]["userErrors"]
    assert error["code"] == "INVALID_TRANSITION"
    assert "it can only go to applied (申請)" in error["message"]
    # and the scheme lists its unconfirmed 補助率 rather than a figure
    schemes = (await world.call(SCHEMES, {}, token=token))["grantSchemes"]
    assert {
        "name": "地域未来交付金（テスト）",
        "rate": None,
        "capJpy": 1_500_000_000.0,
        "regionAllowanceJpy": 1_000_000_000.0,
        "unconfirmedFields": ["rate"],
    } in schemes
