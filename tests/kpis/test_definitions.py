"""Defining KPIs: who may, targets per fiscal year, and changes that carry the version read."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from factories import graphql, token_for
from kpis.world import graphql_in
from renkei.activity.models import Activity
from renkei.db import unit_of_work
from renkei.graphql.relay import to_global_id
from renkei.kpis.models import Kpi, KpiTarget
from renkei.tenancy import MembershipRole, Viewer

CREATE_KPI = """
mutation CreateKpi($input: CreateKpiInput!) {
  createKpi(input: $input) {
    kpi {
      name unit description direction baseline baselineOn version
      project { name } region { name }
      targets { fiscalYear value }
      latestObservation { value }
      attainment { percent achieved reason }
      activity { nodes { action before after } }
    }
    userErrors { field code message }
  }
}
"""

UPDATE_KPI = """
mutation UpdateKpi($input: UpdateKpiInput!) {
  updateKpi(input: $input) {
    kpi { name unit baseline version activity { nodes { action before after } } }
    userErrors { field code message }
  }
}
"""

SET_KPI_TARGET = """
mutation SetKpiTarget($input: SetKpiTargetInput!) {
  setKpiTarget(input: $input) {
    kpi { targets { fiscalYear value } activity { nodes { action before after } } }
    userErrors { field code message }
  }
}
"""

KPIS = """
query Kpis($projectId: ID, $regionId: ID) {
  kpis(projectId: $projectId, regionId: $regionId) { nodes { name } }
}
"""


def _input(world, **overrides):
    return {
        "projectId": to_global_id("Project", world.project.id),
        "name": "半導体人材の育成数",
        "unit": "人",
        "description": "熊本・佐賀・福岡の講座修了者",
        "direction": "INCREASE",
        "baseline": 1200,
        "baselineOn": "2025-03-31",
        **overrides,
    }


async def test_the_lead_organizations_admin_defines_a_project_kpi(client, tokens, world):
    # given
    token = token_for(tokens, world.lead.people[MembershipRole.ADMIN], world.lead.organization)
    # when
    result = await graphql(client, CREATE_KPI, {"input": _input(world)}, token=token)
    # then
    assert result == {
        "data": {
            "createKpi": {
                "kpi": {
                    "name": "半導体人材の育成数",
                    "unit": "人",
                    "description": "熊本・佐賀・福岡の講座修了者",
                    "direction": "INCREASE",
                    "baseline": 1200.0,
                    "baselineOn": "2025-03-31",
                    "version": 1,
                    "project": {"name": "九州半導体人材育成コンソーシアム"},
                    "region": None,
                    "targets": [],
                    "latestObservation": None,
                    "attainment": {
                        "percent": None,
                        "achieved": False,
                        "reason": "実績値がまだ記録されていません。",
                    },
                    "activity": {
                        "nodes": [
                            {
                                "action": "created",
                                "before": None,
                                "after": {
                                    "name": "半導体人材の育成数",
                                    "unit": "人",
                                    "description": "熊本・佐賀・福岡の講座修了者",
                                    "direction": "INCREASE",
                                    "baseline_value": 1200.0,
                                    "baseline_on": "2025-03-31",
                                },
                            }
                        ]
                    },
                },
                "userErrors": [],
            }
        }
    }


async def test_neither_a_partner_nor_the_region_secretariat_defines_a_project_kpi(
    client, tokens, world
):
    # given the owners of a partner and of the secretariat: neither leads the project
    partner = token_for(
        tokens, world.partner.people[MembershipRole.OWNER], world.partner.organization
    )
    secretariat = token_for(
        tokens, world.secretariat.people[MembershipRole.OWNER], world.secretariat.organization
    )
    # when
    by_partner = await graphql(client, CREATE_KPI, {"input": _input(world)}, token=partner)
    by_secretariat = await graphql_in(
        client, "en", CREATE_KPI, {"input": _input(world)}, token=secretariat
    )
    # then: in Japanese by default, in English for a reader who asks for it

    def refused(message: str) -> dict[str, Any]:
        error = {"field": None, "code": "FORBIDDEN", "message": message}
        return {"data": {"createKpi": {"kpi": None, "userErrors": [error]}}}

    assert by_partner == refused(
        "このプロジェクトのKPIを定義できるのは、代表団体のオーナーと管理者だけです。"
    )
    assert by_secretariat == refused(
        "only the lead organization's owners and admins may define its KPIs"
    )
    async with unit_of_work(world.sessions, Viewer.platform()) as session:
        assert await session.scalar(select(func.count()).select_from(Kpi)) == 0


async def test_the_secretariat_defines_a_region_kpi_and_members_cannot(client, tokens, world):
    # given
    region_input = _input(world, projectId=None, regionId=to_global_id("Region", world.region.id))
    region_input |= {"name": "広域周遊観光客数", "unit": "万人"}
    secretariat = token_for(
        tokens, world.secretariat.people[MembershipRole.OWNER], world.secretariat.organization
    )
    member = token_for(
        tokens, world.regional.people[MembershipRole.OWNER], world.regional.organization
    )
    # when
    made = await graphql(client, CREATE_KPI, {"input": region_input}, token=secretariat)
    refused = await graphql(client, CREATE_KPI, {"input": region_input}, token=member)
    listed = await graphql(
        client, KPIS, {"regionId": to_global_id("Region", world.region.id)}, token=member
    )
    # then
    kpi = made["data"]["createKpi"]["kpi"]
    assert (kpi["name"], kpi["project"], kpi["region"]) == (
        "広域周遊観光客数",
        None,
        {"name": "九州広域リージョン"},
    )
    assert refused["data"]["createKpi"]["userErrors"] == [
        {
            "field": None,
            "code": "FORBIDDEN",
            "message": "この広域リージョンのKPIを定義できるのは、"
            "事務局のオーナーと管理者だけです。",
        }
    ]
    assert listed == {"data": {"kpis": {"nodes": [{"name": "広域周遊観光客数"}]}}}


async def test_a_kpi_needs_exactly_one_owner_and_a_finite_baseline(client, tokens, world):
    # given
    token = token_for(tokens, world.lead.people[MembershipRole.OWNER], world.lead.organization)
    both = _input(world, regionId=to_global_id("Region", world.region.id))
    wrong_type = _input(world, projectId=to_global_id("Region", world.region.id))
    too_large = _input(world, baseline=1e17)
    # when
    results = [
        (await graphql(client, CREATE_KPI, {"input": i}, token=token))["data"]["createKpi"]
        for i in (both, wrong_type, too_large)
    ]
    # then
    assert [r["userErrors"] for r in results] == [
        [
            {
                "field": "projectId",
                "code": "INVALID",
                "message": "KPIはプロジェクトか広域リージョンのどちらかに属します。"
                "どちらか一方を指定してください。",
            }
        ],
        [{"field": "projectId", "code": "INVALID_ID", "message": "Project の ID ではありません。"}],
        [
            {
                "field": "baseline",
                "code": "INVALID",
                "message": "基準値が大きすぎます。-9999999999999999.9999から"
                "9999999999999999.9999まで（整数部16桁まで）の値を指定してください。",
            }
        ],
    ]


async def test_a_change_with_a_stale_version_conflicts_and_writes_nothing(client, tokens, world):
    # given a KPI changed once since Alice read it at version 1
    kpi = await world.kpi(baseline=1200)
    token = token_for(tokens, world.lead.people[MembershipRole.OWNER], world.lead.organization)
    first = await graphql(
        client,
        UPDATE_KPI,
        {"input": {"id": to_global_id("Kpi", kpi.id), "version": 1, "baseline": 1250}},
        token=token,
    )
    # when
    stale = await graphql(
        client,
        UPDATE_KPI,
        {"input": {"id": to_global_id("Kpi", kpi.id), "version": 1, "name": "育成数"}},
        token=token,
    )
    # then
    assert first["data"]["updateKpi"]["kpi"] == {
        "name": "半導体人材の育成数",
        "unit": "人",
        "baseline": 1250.0,
        "version": 2,
        "activity": {
            "nodes": [
                {"action": "created", "before": None, "after": first_after(1200)},
                {
                    "action": "updated",
                    "before": {"baseline_value": 1200.0},
                    "after": {"baseline_value": 1250.0},
                },
            ]
        },
    }
    assert stale == {
        "data": {
            "updateKpi": {
                "kpi": None,
                "userErrors": [
                    {
                        "field": "version",
                        "code": "CONFLICT",
                        "message": "このKPIは読み込んだ後に変更されました（読み込んだ版：1、"
                        "現在の版：2）。再読み込みしてから、もう一度変更してください。",
                    }
                ],
            }
        }
    }
    async with unit_of_work(world.sessions, Viewer.platform()) as session:
        stored = await session.get(Kpi, kpi.id)
        assert stored is not None
        assert (stored.name, stored.version) == ("半導体人材の育成数", 2)
        entries = await session.scalars(
            select(Activity.action).where(Activity.subject_id == kpi.id)
        )
        assert sorted(entries.all()) == ["created", "updated"]


def first_after(baseline: float) -> dict:
    return {
        "name": "半導体人材の育成数",
        "unit": "人",
        "description": "",
        "direction": "INCREASE",
        "baseline_value": baseline,
        "baseline_on": None,
    }


async def test_a_target_per_fiscal_year_is_set_then_replaced(client, tokens, world):
    # given
    kpi = await world.kpi()
    token = token_for(tokens, world.lead.people[MembershipRole.OWNER], world.lead.organization)
    kpi_id = to_global_id("Kpi", kpi.id)
    # when
    for year, value in ((2026, 1800), (2025, 1500), (2025, 1550)):
        result = await graphql(
            client,
            SET_KPI_TARGET,
            {"input": {"kpiId": kpi_id, "fiscalYear": year, "value": value}},
            token=token,
        )
        assert result["data"]["setKpiTarget"]["userErrors"] == []
    # then
    shown = result["data"]["setKpiTarget"]["kpi"]
    assert shown["targets"] == [
        {"fiscalYear": 2025, "value": 1550.0},
        {"fiscalYear": 2026, "value": 1800.0},
    ]
    assert [(a["action"], a["before"], a["after"]) for a in shown["activity"]["nodes"][1:]] == [
        ("target_set", None, {"targets": {"2026": 1800.0}}),
        ("target_set", None, {"targets": {"2025": 1500.0}}),
        ("target_set", {"targets": {"2025": 1500.0}}, {"targets": {"2025": 1550.0}}),
    ]
    async with unit_of_work(world.sessions, Viewer.platform()) as session:
        rows = (await session.scalars(select(KpiTarget).where(KpiTarget.kpi_id == kpi.id))).all()
        assert sorted((t.fiscal_year, t.project_id) for t in rows) == [
            (2025, world.project.id),
            (2026, world.project.id),
        ]


async def test_targets_are_set_by_the_definer_only_and_for_a_plausible_fiscal_year(
    client, tokens, world
):
    # given
    kpi = await world.kpi()
    kpi_id = to_global_id("Kpi", kpi.id)
    partner = token_for(
        tokens, world.partner.people[MembershipRole.MEMBER], world.partner.organization
    )
    lead = token_for(tokens, world.lead.people[MembershipRole.OWNER], world.lead.organization)
    # when
    by_partner = await graphql(
        client,
        SET_KPI_TARGET,
        {"input": {"kpiId": kpi_id, "fiscalYear": 2025, "value": 10}},
        token=partner,
    )
    calendar_typo = await graphql(
        client,
        SET_KPI_TARGET,
        {"input": {"kpiId": kpi_id, "fiscalYear": 20251, "value": 10}},
        token=lead,
    )
    # then
    assert by_partner["data"]["setKpiTarget"]["userErrors"] == [
        {
            "field": None,
            "code": "FORBIDDEN",
            "message": "このプロジェクトのKPIの目標値を設定できるのは、"
            "代表団体のオーナーと管理者だけです。",
        }
    ]
    assert calendar_typo["data"]["setKpiTarget"]["userErrors"] == [
        {
            "field": "fiscalYear",
            "code": "INVALID",
            "message": "年度は2000から2100までを、始まる年で指定してください"
            "（2025年度は2025年4月から2026年3月まで）。",
        }
    ]
