"""KPI figures keep who recorded them, and no number is too large for a typed answer."""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlalchemy import select

from factories import graphql, token_for
from kpis.world import graphql_in
from renkei.db import unit_of_work
from renkei.graphql.relay import to_global_id
from renkei.kpis.models import KpiObservation
from renkei.tenancy import MembershipRole, Viewer

RANGE = "from -9999999999999999.9999 to 9999999999999999.9999 (16 digits before the point)"
RANGE_JA = "-9999999999999999.9999から9999999999999999.9999まで（整数部16桁まで）"
JAPANESE = {"baseline": "基準値", "value": "値"}

RECORD = """
mutation Record($input: RecordKpiObservationInput!) {
  recordKpiObservation(input: $input) {
    kpiObservation { value recordedFor { slug } }
    userErrors { field code message }
  }
}
"""

CREATE_KPI = """
mutation CreateKpi($input: CreateKpiInput!) {
  createKpi(input: $input) { kpi { baseline } userErrors { field code message } }
}
"""

UPDATE_KPI = """
mutation UpdateKpi($input: UpdateKpiInput!) {
  updateKpi(input: $input) { kpi { baseline } userErrors { field code message } }
}
"""

SET_KPI_TARGET = """
mutation SetKpiTarget($input: SetKpiTargetInput!) {
  setKpiTarget(input: $input) { kpi { targets { value } } userErrors { field code message } }
}
"""


def _record(kpi: Any, value: Any, note: str = "第1四半期") -> dict[str, Any]:
    return {
        "input": {
            "kpiId": to_global_id("Kpi", kpi.id),
            "periodStart": "2025-04-01",
            "periodEnd": "2025-06-30",
            "value": value,
            "note": note,
        }
    }


async def test_another_participant_cannot_correct_a_period_it_did_not_record(client, tokens, world):
    # given the partner's figure for a quarter
    kpi = await world.kpi(baseline=1200, targets={2025: 1600})
    partner = token_for(
        tokens, world.partner.people[MembershipRole.MEMBER], world.partner.organization
    )
    first = await graphql(client, RECORD, _record(kpi, 1340), token=partner)
    assert first["data"]["recordKpiObservation"]["userErrors"] == []
    # when the lead's admin enters the same quarter with another figure
    lead = token_for(tokens, world.lead.people[MembershipRole.ADMIN], world.lead.organization)
    taken = await graphql(client, RECORD, _record(kpi, 9999, note="上書き"), token=lead)
    # then it is refused, and the partner's figure and attribution stay
    assert taken["data"]["recordKpiObservation"] == {
        "kpiObservation": None,
        "userErrors": [
            {
                "field": "periodStart",
                "code": "FORBIDDEN",
                "message": "この期間（2025年4月1日〜2025年6月30日）の実績値はtosu-fabが"
                "記録しました。値を訂正できるのはtosu-fabだけですので、訂正を依頼してください。",
            }
        ],
    }
    async with unit_of_work(world.sessions, Viewer.platform()) as session:
        rows = (await session.scalars(select(KpiObservation))).all()
    assert [(r.value, r.note, r.recorded_for_organization_id, r.recorded_by_id) for r in rows] == [
        (1340, "第1四半期", world.partner.id, world.partner.people[MembershipRole.MEMBER].id)
    ]


def _cases(world: Any, kpi: Any, value: float) -> list[tuple[str, str, dict[str, Any], str]]:
    project = to_global_id("Project", world.project.id)
    kpi_id = to_global_id("Kpi", kpi.id)
    return [
        ("recordKpiObservation", RECORD, _record(kpi, value), "value"),
        (
            "createKpi",
            CREATE_KPI,
            {"input": {"projectId": project, "name": "n", "unit": "人", "baseline": value}},
            "baseline",
        ),
        (
            "setKpiTarget",
            SET_KPI_TARGET,
            {"input": {"kpiId": kpi_id, "fiscalYear": 2025, "value": value}},
            "value",
        ),
        (
            "updateKpi",
            UPDATE_KPI,
            {"input": {"id": kpi_id, "version": 1, "baseline": value}},
            "baseline",
        ),
    ]


@pytest.mark.parametrize("value", [1e16, 1e24, -1e24, 1.7e308])
async def test_a_number_too_large_is_invalid_and_names_the_field_and_range(
    client, tokens, world, value
):
    # given the lead's owner, who may define, target and record the project's KPI
    kpi = await world.kpi()
    token = token_for(tokens, world.lead.people[MembershipRole.OWNER], world.lead.organization)
    for mutation, query, variables, field in _cases(world, kpi, value):
        for language, message in (
            ("ja", f"{JAPANESE[field]}が大きすぎます。{RANGE_JA}の値を指定してください。"),
            ("en", f"{field} is too large: {RANGE}"),
        ):
            # when the number is far larger than a KPI holds
            body = await graphql_in(client, language, query, variables, token=token)
            # then it is a userError naming the field and the range, not a fault
            assert body == {
                "data": {
                    mutation: {
                        mutation_payload_key(mutation): None,
                        "userErrors": [{"field": field, "code": "INVALID", "message": message}],
                    }
                }
            }, (mutation, language)


def mutation_payload_key(mutation: str) -> str:
    return "kpiObservation" if mutation == "recordKpiObservation" else "kpi"


async def test_a_huge_number_without_a_token_is_refused_before_it_is_read(client, world):
    # given no token at all
    kpi = await world.kpi()
    for _mutation, query, variables, _field in _cases(world, kpi, 1e24):
        # when
        response = await client.post("/graphql", json={"query": query, "variables": variables})
        # then the mutation is refused up front, typed, before its input is looked at
        assert response.status_code == 401, response.text
        assert response.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


@pytest.mark.parametrize("raw", ["Infinity", "-Infinity", "NaN", "1e400"])
async def test_infinity_and_nan_in_json_never_reach_the_service(client, tokens, world, raw):
    # given a body whose number JSON parsers read as infinite or not a number
    kpi = await world.kpi()
    token = token_for(tokens, world.lead.people[MembershipRole.OWNER], world.lead.organization)
    variables = json.dumps(_record(kpi, 0)).replace('"value": 0', f'"value": {raw}')
    body = f'{{"query": {json.dumps(RECORD)}, "variables": {variables}}}'
    # when
    response = await client.post(
        "/graphql",
        content=body,
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    # then GraphQL refuses the variable (a 400 with a GraphQL-shaped body), nothing recorded
    assert response.status_code == 400, response.text
    assert "Float cannot represent non numeric value" in response.json()["errors"][0]["message"]
    async with unit_of_work(world.sessions, Viewer.platform()) as session:
        assert (await session.scalars(select(KpiObservation))).all() == []
