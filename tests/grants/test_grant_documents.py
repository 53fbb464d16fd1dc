"""What leaves a grant application: the 実績報告 reminders through the outbox, and the documents
(CSV and .xlsx) with the milestones, KPIs and budget; and the 企業版ふるさと納税's donor."""

from __future__ import annotations

import io
import uuid
from datetime import date, timedelta

from openpyxl import load_workbook
from sqlalchemy import select

from grants.conftest import World, gid
from renkei.db import unit_of_work
from renkei.grants import service, tasks
from renkei.kpis import service as kpis
from renkei.milestones.models import today
from renkei.notifications.models import Notification
from renkei.outbox import OutboxMessage
from renkei.projects import service as projects
from renkei.projects.models import FundingKind
from renkei.tenancy import Viewer
from renkei.workers.jobs import handle_message

ADD_FUNDING = """
mutation Add($input: AddFundingSourceInput!) {
  addFundingSource(input: $input) {
    fundingSource { kind staffSecondment funder { name } }
    userErrors { field code message }
  }
}
"""


async def _decided(world: World, report_due_on: date):  # type: ignore[no-untyped-def]
    lead = await world.party("熊本県", "43")
    region = await world.region(lead)
    project = await world.project(lead, region=region, name="九州半導体（テスト）")
    scheme = await world.scheme()
    viewer = await world.viewer(lead)
    async with unit_of_work(world.sessions, viewer) as session:
        application = await service.create_application(
            session,
            viewer,
            project_id=project.id,
            scheme_id=scheme.id,
            title="半導体サプライチェーン（テスト）",
            requested_cost_jpy=640_000_000,
            rate=0.5,
        )
        await service.apply(
            session, viewer, application_id=application.id, applied_on=date(2026, 5, 15)
        )
        await service.decide(
            session,
            viewer,
            application_id=application.id,
            amount_jpy=300_000_000,
            decided_on=date(2026, 7, 1),
            report_due_on=report_due_on,
        )
    return lead, project, application


async def _run(world: World, topic: str) -> None:
    async with unit_of_work(world.sessions, Viewer.platform()) as session:
        ids = list(
            await session.scalars(
                select(OutboxMessage.id).where(
                    OutboxMessage.topic == topic, OutboxMessage.processed_at.is_(None)
                )
            )
        )
    for message_id in ids:
        await handle_message(world.sessions, message_id)


async def _told(world: World) -> list[tuple[str, str]]:
    async with unit_of_work(world.sessions, Viewer.platform()) as session:
        rows = await session.execute(
            select(Notification.recipient_email, Notification.subject).where(
                Notification.kind == tasks.GRANT_REPORT_DUE
            )
        )
        return [(r[0], r[1]) for r in rows.all()]


async def test_the_report_reminder_leaves_through_the_outbox_once(world: World) -> None:
    # given a grant decided with its 実績報告 due in a week
    on = today()
    lead, _project, _application = await _decided(world, on + timedelta(days=7))
    # when the day's check runs twice and its messages are handled
    for _ in range(2):
        async with unit_of_work(world.sessions, Viewer.platform()) as session:
            await tasks.enqueue_daily_check(session, on)
        await _run(world, tasks.GRANT_REPORT_DEADLINES)
        await _run(world, tasks.GRANT_REPORT_DUE)
    # then the lead's owner is told once, in Japanese
    assert await _told(world) == [
        (lead.owner.email, "実績報告の期限まであと7日：「半導体サプライチェーン（テスト）」")
    ]


async def test_no_reminder_once_the_report_is_recorded(world: World) -> None:
    # given a reminder written for a report due tomorrow
    on = today()
    lead, _project, application = await _decided(world, on + timedelta(days=1))
    async with unit_of_work(world.sessions, Viewer.platform()) as session:
        await tasks.enqueue_daily_check(session, on)
    await _run(world, tasks.GRANT_REPORT_DEADLINES)
    # when the report is recorded before the reminder is handled
    viewer = await world.viewer(lead)
    async with unit_of_work(world.sessions, viewer) as session:
        await service.report(
            session, viewer, application_id=application.id, spending_jpy=600_000_000, reported_on=on
        )
    await _run(world, tasks.GRANT_REPORT_DUE)
    # then no one is told
    assert await _told(world) == []


async def test_the_documents_hold_the_milestones_kpis_and_budget(world: World) -> None:
    # given a project with a milestone, a KPI and a funding source, and its decided grant
    lead, project, application = await _decided(world, date(2027, 4, 30))
    await world.milestone(project, lead, "用地確保", date(2026, 6, 30))
    viewer = await world.viewer(lead)
    async with unit_of_work(world.sessions, viewer) as session:
        await kpis.create_kpi(
            session,
            viewer,
            project_id=project.id,
            name="新規参入サプライヤー数",
            unit="社",
            baseline_value=10,
        )
        await projects.add_funding_source(
            session,
            viewer,
            project_id=project.id,
            kind=FundingKind.LOCAL_GOVERNMENT_BUDGET,
            name="熊本県 半導体産業集積強化事業",
            amount_jpy=150_000_000,
            fiscal_year=2026,
        )
    headers = {"Authorization": f"Bearer {await world.token(lead)}"}
    base = f"/exports/grant-applications/{gid('GrantApplication', application.id)}"
    # when the lead downloads the CSV and the workbook
    csv = await world.client.get(f"{base}/application.csv", headers=headers)
    xlsx = await world.client.get(f"{base}/application.xlsx", headers=headers)
    # then both hold the application, its local share, the budget, the milestones and the KPIs
    assert csv.status_code == 200 and xlsx.status_code == 200
    text = csv.content.decode("utf-8-sig")
    header = text.splitlines()[0]
    assert header == "区分,項目,日付,年度,金額（円）,値,備考"
    for expected in (
        "地方負担,,,340000000",
        "交付決定,2026年7月1日,,300000000",
        "予算,熊本県 半導体産業集積強化事業,,2026年度,150000000",
        "マイルストーン,用地確保,2026年6月30日",
        "KPI,新規参入サプライヤー数（社）",
    ):
        assert expected in text, (expected, text)
    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    assert sheet is not None
    cells = {str(c.value) for row in sheet.iter_rows() for c in row if c.value is not None}
    assert {
        "地方負担",
        "熊本県 半導体産業集積強化事業",
        "用地確保",
        "新規参入サプライヤー数（社）",
    } <= cells


async def test_a_hometown_tax_records_its_donor_firm_and_the_seconded_staff_variant(
    world: World,
) -> None:
    lead = await world.party("熊本県", "43")
    firm = await world.party("阿蘇精密（テスト）", "43")
    project = await world.project(lead)
    token = await world.token(lead)
    base = {
        "projectId": gid("Project", project.id),
        "name": "企業版ふるさと納税",
        "amountJpy": 1000,
    }
    # a 企業版ふるさと納税 by a firm, given as seconded staff (人材派遣型)
    data = await world.call(
        ADD_FUNDING,
        {
            "input": {
                **base,
                "kind": "CORPORATE_HOMETOWN_TAX",
                "funderId": gid("Organization", firm.id),
                "staffSecondment": True,
            }
        },
        token=token,
    )
    assert data["addFundingSource"]["fundingSource"] == {
        "kind": "CORPORATE_HOMETOWN_TAX",
        "staffSecondment": True,
        "funder": {"name": "阿蘇精密（テスト）"},
    }
    # a bank loan is never 人材派遣型
    data = await world.call(
        ADD_FUNDING,
        {"input": {**base, "kind": "BANK_FINANCE", "staffSecondment": True}},
        token=token,
    )
    assert [e["field"] for e in data["addFundingSource"]["userErrors"]] == ["staffSecondment"]
    assert uuid.UUID(str(lead.id))
