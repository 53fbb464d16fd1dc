"""Observations: who reports them, corrections of a period, and API clients with kpi:write."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from clients.machine import access_token, create_client
from factories import graphql, token_for
from kpis.world import graphql_in
from renkei.db import unit_of_work
from renkei.errors import Invalid
from renkei.graphql.relay import to_global_id
from renkei.i18n.messages import use_locale
from renkei.identity.scopes import KPI_WRITE, PROJECTS_READ, PROJECTS_WRITE
from renkei.kpis import service
from renkei.kpis.models import KpiObservation
from renkei.tenancy import MembershipRole, Viewer

RECORD = """
mutation Record($input: RecordKpiObservationInput!) {
  recordKpiObservation(input: $input) {
    kpiObservation {
      periodStart periodEnd value note source
      recordedFor { slug }
      kpi { latestObservation { value } attainment { percent achieved targetFiscalYear } }
    }
    userErrors { field code message }
  }
}
"""

OBSERVATION_ACTIVITY = """
query ObservationActivity($id: ID!) {
  node(id: $id) {
    ... on KpiObservation { value activity { nodes { action before after } } }
  }
}
"""

OBSERVATIONS = """
query Observations($id: ID!) {
  kpi(id: $id) { observations { nodes { periodEnd value } } }
}
"""


def _record(kpi, value=1340, start="2025-04-01", end="2025-06-30", note="第1四半期"):
    return {
        "input": {
            "kpiId": to_global_id("Kpi", kpi.id),
            "periodStart": start,
            "periodEnd": end,
            "value": value,
            "note": note,
        }
    }


RANGE = "from -9999999999999999.9999 to 9999999999999999.9999 (16 digits before the point)"
RANGE_JA = "-9999999999999999.9999から9999999999999999.9999まで（整数部16桁まで）"


async def test_a_member_of_a_participant_records_an_observation(client, tokens, world):
    # given
    kpi = await world.kpi(baseline=1200, targets={2025: 1600})
    token = token_for(
        tokens, world.partner.people[MembershipRole.MEMBER], world.partner.organization
    )
    # when
    result = await graphql(client, RECORD, _record(kpi), token=token)
    # then: (1340 − 1200) ÷ (1600 − 1200) × 100 = 35
    assert result == {
        "data": {
            "recordKpiObservation": {
                "kpiObservation": {
                    "periodStart": "2025-04-01",
                    "periodEnd": "2025-06-30",
                    "value": 1340.0,
                    "note": "第1四半期",
                    "source": "MEMBER",
                    "recordedFor": {"slug": "tosu-fab"},
                    "kpi": {
                        "latestObservation": {"value": 1340.0},
                        "attainment": {
                            "percent": 35.0,
                            "achieved": False,
                            "targetFiscalYear": 2025,
                        },
                    },
                },
                "userErrors": [],
            }
        }
    }


@pytest.mark.parametrize(
    ("who", "role", "code", "language", "message"),
    [
        (
            "partner",
            MembershipRole.VIEWER,
            "FORBIDDEN",
            "ja",
            "KPIの実績値を記録できるのは、オーナー・管理者・メンバーだけです。"
            "あなたの役割は「閲覧者」です。",
        ),
        (
            "partner",
            MembershipRole.VIEWER,
            "FORBIDDEN",
            "en",
            "only owners, admins and members may record KPI observations; your role is viewer",
        ),
        (
            "regional",
            MembershipRole.OWNER,
            "FORBIDDEN",
            "ja",
            "このプロジェクトのKPIを記録できるのは、参加団体だけです。",
        ),
        (
            "regional",
            MembershipRole.OWNER,
            "FORBIDDEN",
            "en",
            "only organizations taking part in the project may record its KPIs",
        ),
        ("invited", MembershipRole.OWNER, "NOT_FOUND", "ja", "KPIが見つかりません。"),
        ("outsider", MembershipRole.OWNER, "NOT_FOUND", "en", "no such KPI"),
    ],
)
async def test_only_writers_of_participating_organizations_record(
    client, tokens, world, who, role, code, language, message
):
    # given a KPI of a project its region's members see; the invited bank has not answered
    kpi = await world.kpi()
    party = getattr(world, who)
    token = token_for(tokens, party.people[role], party.organization)
    # when a reader of the language records
    result = await graphql_in(client, language, RECORD, _record(kpi), token=token)
    # then
    assert result == {
        "data": {
            "recordKpiObservation": {
                "kpiObservation": None,
                "userErrors": [
                    {
                        "field": "kpiId" if code == "NOT_FOUND" else None,
                        "code": code,
                        "message": message,
                    }
                ],
            }
        }
    }
    async with unit_of_work(world.sessions, Viewer.platform()) as session:
        assert (await session.scalars(select(KpiObservation))).all() == []


async def test_a_region_kpi_is_recorded_by_member_organizations_of_the_region(
    client, tokens, world
):
    # given
    kpi = await world.kpi(region=world.region, name="広域周遊観光客数", unit="万人", baseline=850)
    member = token_for(
        tokens, world.regional.people[MembershipRole.OWNER], world.regional.organization
    )
    outsider = token_for(
        tokens, world.outsider.people[MembershipRole.OWNER], world.outsider.organization
    )
    # when
    recorded = await graphql(client, RECORD, _record(kpi, value=912.5), token=member)
    refused = await graphql(client, RECORD, _record(kpi, value=999), token=outsider)
    # then
    observation = recorded["data"]["recordKpiObservation"]["kpiObservation"]
    assert (observation["value"], observation["recordedFor"]) == (912.5, {"slug": "fukuoka-pref"})
    assert refused["data"]["recordKpiObservation"]["userErrors"] == [
        {"field": "kpiId", "code": "NOT_FOUND", "message": "KPIが見つかりません。"}
    ]
    async with unit_of_work(world.sessions, Viewer.platform()) as session:
        stored = (await session.scalars(select(KpiObservation))).all()
        assert [(o.region_id, o.project_id) for o in stored] == [(world.region.id, None)]


async def test_entering_the_same_period_again_corrects_it_and_keeps_before_and_after(
    client, tokens, world
):
    # given a first figure from the partner's member, corrected by the partner's owner
    kpi = await world.kpi(baseline=1200, targets={2025: 1600})
    partner = token_for(
        tokens, world.partner.people[MembershipRole.MEMBER], world.partner.organization
    )
    partner_owner = token_for(
        tokens, world.partner.people[MembershipRole.OWNER], world.partner.organization
    )
    first = await graphql(client, RECORD, _record(kpi, value=1340), token=partner)
    assert first["data"]["recordKpiObservation"]["userErrors"] == []
    # when
    second = await graphql(
        client, RECORD, _record(kpi, value=1385, note="速報値を確定値に修正"), token=partner_owner
    )
    # then the value changes, and who recorded the period stays
    corrected = second["data"]["recordKpiObservation"]["kpiObservation"]
    assert (corrected["value"], corrected["recordedFor"]) == (1385.0, {"slug": "tosu-fab"})
    assert corrected["kpi"]["attainment"]["percent"] == 46.3  # 185 ÷ 400 = 46.25 → 46.3
    async with unit_of_work(world.sessions, Viewer.platform()) as session:
        rows = (await session.scalars(select(KpiObservation))).all()
    assert len(rows) == 1
    assert rows[0].recorded_by_id == world.partner.people[MembershipRole.MEMBER].id
    history = await graphql(
        client,
        OBSERVATION_ACTIVITY,
        {"id": to_global_id("KpiObservation", rows[0].id)},
        token=partner,
    )
    entries = history["data"]["node"]["activity"]["nodes"]
    assert [e["action"] for e in entries] == ["recorded", "corrected"]
    assert entries[1]["before"] == {"value": 1340.0, "note": "第1四半期"}
    assert entries[1]["after"] == {"value": 1385.0, "note": "速報値を確定値に修正"}


async def test_observations_list_by_period_end_and_the_latest_is_the_last_period(
    client, tokens, world
):
    # given periods entered out of order
    kpi = await world.kpi()
    for start, end, value in [
        (date(2025, 7, 1), date(2025, 9, 30), 1400),
        (date(2025, 4, 1), date(2025, 6, 30), 1340),
        (date(2025, 10, 1), date(2025, 12, 31), 1390),
    ]:
        await world.observe(kpi, start, end, value)
    token = token_for(tokens, world.lead.people[MembershipRole.OWNER], world.lead.organization)
    # when
    listed = await graphql(client, OBSERVATIONS, {"id": to_global_id("Kpi", kpi.id)}, token=token)
    # then
    assert listed["data"]["kpi"]["observations"]["nodes"] == [
        {"periodEnd": "2025-06-30", "value": 1340.0},
        {"periodEnd": "2025-09-30", "value": 1400.0},
        {"periodEnd": "2025-12-31", "value": 1390.0},
    ]


async def test_an_observation_needs_an_ordered_begun_period_and_a_finite_value(world):
    # given
    kpi = await world.kpi()
    viewer = await world.viewer(world.partner, MembershipRole.MEMBER)
    today = date(2025, 6, 15)

    async def record(start: date, end: date, value: float = 10) -> KpiObservation:
        async with unit_of_work(world.sessions, viewer) as session:
            return await service.record_kpi_observation(
                session,
                viewer,
                kpi_id=kpi.id,
                period_start=start,
                period_end=end,
                value=value,
                today=today,
            )

    # when / then: a month in progress may be reported; one not begun may not
    in_progress = await record(date(2025, 6, 15), date(2025, 6, 30))
    assert in_progress.value == 10
    refusals = []
    for start, end, value in [
        (date(2025, 6, 16), date(2025, 6, 30), 10.0),
        (date(2025, 6, 30), date(2025, 6, 1), 10.0),
        (date(2025, 5, 1), date(2025, 5, 31), float("nan")),
        (date(2025, 5, 1), date(2025, 5, 31), float("inf")),
    ]:
        with pytest.raises(Invalid) as refused:
            await record(start, end, value)
        refusals.append((refused.value.field, refused.value.message))
    assert refusals == [
        (
            "periodStart",
            "この期間はまだ始まっていません（日本時間で今日は2025年6月15日です）。"
            "期間が始まってから記録してください。",
        ),
        ("periodEnd", "期間の終了日は開始日以降にしてください。"),
        ("value", f"値には、{RANGE_JA}の有限の数値を指定してください。"),
        ("value", f"値には、{RANGE_JA}の有限の数値を指定してください。"),
    ]
    # and an English reader reads why in English
    with use_locale("en"), pytest.raises(Invalid) as refused:
        await record(date(2025, 6, 16), date(2025, 6, 30))
    assert refused.value.message == (
        "the period has not begun yet (today is June 15, 2025 in Japan); record it once it has"
    )


async def test_an_api_client_with_kpi_write_records_and_one_without_is_refused(
    client, sessions, world
):
    # given two API clients of the partner: a sensor feed with kpi:write, a dashboard without
    kpi = await world.kpi(baseline=1200, targets={2025: 1600})
    partner = world.partner
    feed = await create_client(
        sessions,
        scopes=frozenset({KPI_WRITE}),
        organization=partner.organization,
        owner=partner.people[MembershipRole.OWNER],
        name="受講者数フィード",
    )
    dashboard = await create_client(
        sessions,
        scopes=frozenset({PROJECTS_READ, PROJECTS_WRITE}),
        organization=partner.organization,
        owner=partner.people[MembershipRole.OWNER],
        name="ダッシュボード",
    )
    feed_token = await access_token(client, feed)
    dashboard_token = await access_token(client, dashboard)
    # when
    recorded = await graphql(client, RECORD, _record(kpi, value=1420), token=feed_token)
    refused = await graphql(client, RECORD, _record(kpi, value=1), token=dashboard_token)
    # then
    observation = recorded["data"]["recordKpiObservation"]
    assert observation["userErrors"] == []
    assert observation["kpiObservation"]["source"] == "API_CLIENT"
    assert observation["kpiObservation"]["recordedFor"] == {"slug": "tosu-fab"}
    assert observation["kpiObservation"]["value"] == 1420.0
    assert refused == {
        "data": {
            "recordKpiObservation": {
                "kpiObservation": None,
                "userErrors": [
                    {
                        "field": None,
                        "code": "FORBIDDEN",
                        "message": "このトークンには kpi:write スコープがありません。",
                    }
                ],
            }
        }
    }
    async with unit_of_work(world.sessions, Viewer.platform()) as session:
        stored = (await session.scalars(select(KpiObservation))).all()
    assert [(o.value, o.source.value, o.recorded_by_id) for o in stored] == [
        (1420, "API_CLIENT", feed.client.service_user_id)
    ]


async def test_a_kpi_and_its_observations_are_nodes_only_for_those_who_see_the_project(
    client, tokens, world
):
    # given
    kpi = await world.kpi()
    await world.observe(kpi, date(2025, 4, 1), date(2025, 6, 30), 1300)
    async with unit_of_work(world.sessions, Viewer.platform()) as session:
        observation = await session.scalar(select(KpiObservation))
    assert observation is not None
    query = """
    query Nodes($ids: [ID!]!) {
      nodes(ids: $ids) {
        ... on Kpi { name }
        ... on KpiObservation { value }
      }
    }
    """
    ids = [to_global_id("Kpi", kpi.id), to_global_id("KpiObservation", observation.id)]
    # when
    seen = await graphql(
        client,
        query,
        {"ids": ids},
        token=token_for(
            tokens, world.regional.people[MembershipRole.OWNER], world.regional.organization
        ),
    )
    unseen = await graphql(
        client,
        query,
        {"ids": ids},
        token=token_for(
            tokens, world.outsider.people[MembershipRole.OWNER], world.outsider.organization
        ),
    )
    # then
    assert seen == {"data": {"nodes": [{"name": "半導体人材の育成数"}, {"value": 1300.0}]}}
    assert unseen == {"data": {"nodes": [None, None]}}
