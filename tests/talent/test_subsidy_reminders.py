"""Reminders to apply for a side-job subsidy before its deadline: the firm's people are told 14,
7, 3 and 1 days before, on the day and once after, each once, until the firm records that it
applied (recordSubsidyApplication)."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import select, update
from sqlalchemy.exc import DBAPIError

from factories import act_as, add_member, create_user, graphql
from renkei.db import SessionFactory, unit_of_work
from renkei.graphql.relay import to_global_id
from renkei.identity.models import User
from renkei.identity.tokens import TokenService
from renkei.notifications.models import Notification
from renkei.outbox import OutboxMessage
from renkei.talent import service, subsidies
from renkei.talent import subsidy_reminders as reminders
from renkei.talent.models import (
    Match,
    MatchStatus,
    Professional,
    SubsidyApplication,
    SubsidyScheme,
)
from renkei.talent.subsidy_applications import (
    application_deadline,
    application_of,
    record_application,
)
from renkei.tenancy import MembershipRole, Viewer
from renkei.workers.jobs import handle_message
from talent.talent_world import TalentWorld, create_talent_world, need_fields

ALL_KINDS = ["FEE", "TRAVEL", "PLACEMENT_FEE"]
# Invented for the tests (the seed carries the real notices).
TOCHIGI = "栃木県 副業・兼業人材活用（テスト）"
GIFU = "岐阜県 副業・兼業新規活用（テスト）"
NOTICE = "https://example.jp/tochigi-notice"

RECORD = """
mutation Record($input: RecordSubsidyApplicationInput!) {
  recordSubsidyApplication(input: $input) {
    subsidyApplication { appliedOn }
    match { id subsidyApplication { appliedOn } }
    userErrors { field code message }
  }
}
"""

READ = """
query($id: ID!) {
  match(id: $id) {
    subsidyApplication { appliedOn }
    estimatedSubsidy { scheme { name } appliedOn applicationDeadline }
  }
}
"""


def tier(**values: Any) -> SubsidyScheme:
    defaults: dict[str, Any] = {
        "fiscal_year": 2026,
        "rate": Decimal("0.800"),
        "cap_jpy": 500_000,
        "eligible_cost_kinds": ALL_KINDS,
        "first_use_only": True,
    }
    return SubsidyScheme(**{**defaults, **values})


@pytest.fixture
async def world(sessions: SessionFactory, tokens: TokenService) -> TalentWorld:
    world = await create_talent_world(sessions, tokens)
    async with unit_of_work(sessions, Viewer.platform()) as session:
        session.add_all(
            [
                # Two weeks before the contract (as 栃木 asks).
                tier(
                    prefecture_code="09",
                    name=TOCHIGI,
                    deadline_days=14,
                    deadline_basis="CONTRACT",
                    source_url=NOTICE,
                ),
                # Five days before work starts (as 岐阜 asks): FY2026's and FY2025's tiers.
                tier(prefecture_code="21", name=GIFU, deadline_days=5, deadline_basis="START"),
                tier(
                    prefecture_code="21",
                    fiscal_year=2025,
                    name="岐阜県 前年度（テスト）",
                    deadline_days=30,
                    deadline_basis="START",
                ),
                # No deadline known (as the seed's 福岡).
                tier(prefecture_code="40", name="福岡県（テスト）"),
            ]
        )
    return world


async def _match(
    sessions: SessionFactory,
    world: TalentWorld,
    *,
    prefecture_code: str,
    starts_on: date,
    status: MatchStatus = MatchStatus.ACCEPTED,
    user: User | None = None,
    **contract: Any,
) -> Match:
    """A need of the firm in the prefecture starting on `starts_on`, and a match with Alice (or
    `user`) at `status`."""
    viewer = await act_as(sessions, world.firm_owner, world.firm)
    async with unit_of_work(sessions, viewer) as session:
        need = await service.create_need(
            session,
            viewer,
            values=need_fields(
                title="販路開拓", workplace_prefecture_code=prefecture_code, starts_on=starts_on
            ),
        )
    async with unit_of_work(sessions, Viewer.platform()) as session:
        professional_id = await session.scalar(
            select(Professional.id).where(Professional.user_id == (user or world.alice).id)
        )
        match = Match(
            need_id=need.id,
            professional_id=professional_id,
            organization_id=world.firm.id,
            status=status,
            **contract,
        )
        session.add(match)
        await session.flush()
        return match


async def _run_day(sessions: SessionFactory, on: date) -> None:
    """The schedule fires twice on the day, and every message is handled twice."""
    for _ in range(2):
        async with unit_of_work(sessions, Viewer.platform()) as session:
            await reminders.enqueue_daily_check(session, on)
    for topic in (reminders.SUBSIDY_DEADLINES, reminders.SUBSIDY_DEADLINE) * 2:
        async with unit_of_work(sessions, Viewer.platform()) as session:
            ids = list(
                await session.scalars(select(OutboxMessage.id).where(OutboxMessage.topic == topic))
            )
        for message_id in ids:
            await handle_message(sessions, message_id)


async def _told(sessions: SessionFactory) -> list[tuple[str, str, str]]:
    """Every deadline reminder: (recipient, subject, body)."""
    async with unit_of_work(sessions, Viewer.platform()) as session:
        rows = await session.execute(
            select(Notification.recipient_email, Notification.subject, Notification.body)
            .where(Notification.kind == reminders.SUBSIDY_DEADLINE)
            .order_by(Notification.created_at, Notification.recipient_email)
        )
        return [tuple(r) for r in rows.all()]  # type: ignore[misc]


def test_the_reminder_due_is_the_nearest_threshold_reached() -> None:
    deadline = date(2026, 6, 17)
    due = {
        days: reminders.due_threshold(deadline, deadline - timedelta(days=days))
        for days in (15, 14, 13, 8, 7, 5, 3, 2, 1, 0, -1, -14, -15)
    }

    assert due == {
        15: None,
        14: 14,
        13: 14,
        8: 14,
        7: 7,
        5: 7,
        3: 3,
        2: 3,
        1: 1,
        0: 0,
        -1: reminders.PASSED,
        -14: reminders.PASSED,
        -15: None,
    }


async def test_the_firm_is_reminded_at_each_threshold_once_and_no_one_else(
    sessions: SessionFactory, world: TalentWorld
) -> None:
    # given a match in 栃木 both sides accepted, work planned from July 1 and no contract yet:
    # the last day to apply is June 17; the firm's owner reads Japanese, a member English
    member = await create_user(sessions, "member@firm.example", "Firm Member")
    await add_member(sessions, world.firm, world.firm_owner, member, MembershipRole.MEMBER)
    async with unit_of_work(sessions, Viewer.platform()) as session:
        await session.execute(update(User).where(User.id == member.id).values(locale="en"))
    await _match(sessions, world, prefecture_code="09", starts_on=date(2026, 7, 1))

    # when the job runs (twice) on each of these days
    told_by_day = {}
    for day in (1, 3, 4, 10, 12, 14, 16, 17, 18, 20):
        before = len(await _told(sessions))
        await _run_day(sessions, date(2026, 6, day))
        told_by_day[day] = sorted(subject for _, subject, _ in (await _told(sessions))[before:])

    # then the firm's two people were told once at 14, 7, 3 and 1 days, on the day, and after
    owner = [
        "【申請期限まであと14日】「販路開拓」の補助金を申請してください",
        "【申請期限まであと7日】「販路開拓」の補助金を申請してください",
        "【申請期限まであと3日】「販路開拓」の補助金を申請してください",
        "【申請期限まであと1日】「販路開拓」の補助金を申請してください",
        "【本日が申請期限】「販路開拓」の補助金を今日中に申請してください",
        "【申請期限超過】「販路開拓」の補助金の申請期限を過ぎました",
    ]
    english = [
        "14 days left to apply for the subsidy: 「販路開拓」",
        "7 days left to apply for the subsidy: 「販路開拓」",
        "3 days left to apply for the subsidy: 「販路開拓」",
        "1 day left to apply for the subsidy: 「販路開拓」",
        "Apply for the subsidy today, the last day: 「販路開拓」",
        "The deadline to apply for the subsidy has passed: 「販路開拓」",
    ]
    assert told_by_day == {
        1: [],
        3: [english[0], owner[0]],
        4: [],
        10: [english[1], owner[1]],
        12: [],
        14: [english[2], owner[2]],
        16: [english[3], owner[3]],
        17: [english[4], owner[4]],
        18: [english[5], owner[5]],
        20: [],
    }
    told = await _told(sessions)
    assert {email for email, _, _ in told} == {"member@firm.example", "owner@firm.example"}
    first = {email: body for email, subject, body in told if subject in (owner[0], english[0])}
    assert first["owner@firm.example"].splitlines() == [
        "Aliceさんとの副業・兼業「販路開拓」で栃木県の「栃木県 副業・兼業人材活用（テスト）」を"
        "受けるには、2026年6月17日までに栃木県へ申請してください。",
        "申請期限は契約日の14日前です。まだ契約していないため、契約できる最終日である"
        "業務開始予定日（2026年7月1日）から数えています。契約は申請日から14日以上あけて"
        "結んでください。",
        "申請したら、Renkeiのこのマッチングに申請日を記録してください。記録すると、"
        "このお知らせは止まります。",
        f"制度の公募情報：{NOTICE}",
    ]
    assert first["member@firm.example"].splitlines()[:2] == [
        "To receive Tochigi's 「栃木県 副業・兼業人材活用（テスト）」 for the side job 「販路開拓」"
        " with Alice, apply to Tochigi by June 17, 2026.",
        "The deadline is 14 days before the contract. The contract is not signed yet, so it is"
        " counted from the planned start of work (July 1, 2026), the latest day to sign it: sign"
        " the contract at least 14 days after you apply.",
    ]
    passed = next(body for email, subject, body in told if subject == owner[5])
    assert passed.splitlines()[1:3] == [
        "申請期限は契約日の14日前です。まだ契約していないため、契約できる最終日である"
        "業務開始予定日（2026年7月1日）から数えています。契約は申請日から14日以上あけて"
        "結んでください。",
        "申請済みの場合は、Renkeiのこのマッチングに申請日を記録してください。未申請の場合は、"
        "まだ申請を受け付けてもらえるか栃木県に問い合わせてください。",
    ]


async def test_no_reminder_once_the_firm_records_its_application(
    client: Any, sessions: SessionFactory, world: TalentWorld
) -> None:
    # given a match in 栃木 whose 14-day reminder went out, and a 7-day reminder written
    match = await _match(sessions, world, prefecture_code="09", starts_on=date(2026, 7, 1))
    await _run_day(sessions, date(2026, 6, 3))
    async with unit_of_work(sessions, Viewer.platform()) as session:
        await reminders.enqueue_daily_check(session, date(2026, 6, 10))
        check = await session.scalar(
            select(OutboxMessage.id).where(
                OutboxMessage.topic == reminders.SUBSIDY_DEADLINES,
                OutboxMessage.payload["on"].astext == "2026-06-10",
            )
        )
    assert check is not None
    await handle_message(sessions, check)
    match_id = to_global_id("Match", match.id)
    variables = {"input": {"matchId": match_id, "appliedOn": "2026-06-05"}}

    # when the professional, another firm and the firm itself record an application
    by_professional = await graphql(client, RECORD, variables, token=world.tokens["alice"])
    by_other_firm = await graphql(client, RECORD, variables, token=world.tokens["other"])
    future = {"input": {"matchId": match_id, "appliedOn": "2999-01-01"}}
    in_future = await graphql(client, RECORD, future, token=world.tokens["firm"])
    by_firm = await graphql(client, RECORD, variables, token=world.tokens["firm"])
    await _run_day(sessions, date(2026, 6, 10))
    await _run_day(sessions, date(2026, 6, 17))

    # then only the firm's is recorded, and no reminder follows the first
    assert by_professional["data"]["recordSubsidyApplication"]["userErrors"] == [
        {
            "field": None,
            "code": "FORBIDDEN",
            "message": "補助金の申請を記録できるのは企業側だけです。",
        }
    ]
    assert by_other_firm["data"]["recordSubsidyApplication"]["userErrors"] == [
        {"field": "matchId", "code": "NOT_FOUND", "message": "該当するマッチングがありません。"}
    ]
    assert in_future["data"]["recordSubsidyApplication"]["userErrors"] == [
        {
            "field": "appliedOn",
            "code": "INVALID",
            "message": "申請日に未来の日付は指定できません。",
        }
    ]
    assert by_firm["data"]["recordSubsidyApplication"] == {
        "subsidyApplication": {"appliedOn": "2026-06-05"},
        "match": {"id": match_id, "subsidyApplication": {"appliedOn": "2026-06-05"}},
        "userErrors": [],
    }
    subjects = [subject for _, subject, _ in await _told(sessions)]
    assert subjects == ["【申請期限まであと14日】「販路開拓」の補助金を申請してください"]
    professional_reads = await graphql(client, READ, {"id": match_id}, token=world.tokens["alice"])
    assert professional_reads["data"]["match"]["subsidyApplication"] is None


async def test_the_estimate_shows_the_application_recorded(
    client: Any, sessions: SessionFactory, world: TalentWorld
) -> None:
    # given a contracted match in 岐阜, working from May 1 (FY2026)
    match = await _match(
        sessions,
        world,
        prefecture_code="21",
        starts_on=date(2026, 5, 1),
        status=MatchStatus.CONTRACTED,
        contract_fee_jpy=300_000,
        contract_hours_per_month=20,
        contract_starts_on=date(2026, 5, 1),
    )
    match_id = to_global_id("Match", match.id)

    # when the firm records that it applied on April 20
    recorded = await graphql(
        client,
        RECORD,
        {"input": {"matchId": match_id, "appliedOn": "2026-04-20"}},
        token=world.tokens["firm"],
    )
    read = await graphql(client, READ, {"id": match_id}, token=world.tokens["firm"])

    # then the estimate names the tier, its deadline and the day the firm applied
    assert recorded["data"]["recordSubsidyApplication"]["userErrors"] == []
    assert read["data"]["match"] == {
        "subsidyApplication": {"appliedOn": "2026-04-20"},
        "estimatedSubsidy": {
            "scheme": {"name": GIFU},
            "appliedOn": "2026-04-20",
            "applicationDeadline": "2026-04-26",
        },
    }


async def test_no_reminder_without_a_deadline_or_before_both_sides_accepted(
    sessions: SessionFactory, world: TalentWorld
) -> None:
    # given a match in 福岡, whose scheme has no deadline, and one in 栃木 only proposed
    await _match(sessions, world, prefecture_code="40", starts_on=date(2026, 7, 1))
    await _match(
        sessions,
        world,
        prefecture_code="09",
        starts_on=date(2026, 7, 1),
        status=MatchStatus.PROPOSED,
        user=world.bob,
    )

    # when the job runs on what would be each one's deadline
    for day in (3, 10, 17, 18):
        await _run_day(sessions, date(2026, 6, day))

    # then no one is told
    assert await _told(sessions) == []


async def test_the_deadline_at_the_fiscal_years_edge(
    sessions: SessionFactory, world: TalentWorld
) -> None:
    # given work in 岐阜 planned from April 3, 2026 (FY2026), five days' notice: the last day
    # is March 29, still FY2025, whose own tier asks thirty days
    gifu = await _match(sessions, world, prefecture_code="21", starts_on=date(2026, 4, 3))
    # and a 栃木 contract signed at 00:30 on April 1 in Japan (March 31 in UTC), work from
    # April 15
    tochigi = await _match(
        sessions,
        world,
        prefecture_code="09",
        starts_on=date(2026, 4, 15),
        status=MatchStatus.CONTRACTED,
        user=world.bob,
        contract_fee_jpy=300_000,
        contract_hours_per_month=20,
        contract_starts_on=date(2026, 4, 15),
        contract_confirmed_at=datetime(2026, 3, 31, 15, 30, tzinfo=UTC),
    )

    # when their deadlines are read, and the job runs on March 29
    async with unit_of_work(sessions, Viewer.platform()) as session:
        by_start = await application_deadline(session, gifu)
        by_contract = await application_deadline(session, tochigi)
        estimate = await subsidies.estimate_for_match(session, tochigi)
    await _run_day(sessions, date(2026, 3, 29))

    # then 岐阜's FY2026 tier counts back from the start, 栃木's from the contract's day in
    # Japan: the one is due today, the other passed (signed without an application recorded)
    assert by_start is not None and by_contract is not None
    assert (by_start.tier.name, by_start.last_day, by_start.counted_from) == (
        GIFU,
        date(2026, 3, 29),
        date(2026, 4, 3),
    )
    assert (by_contract.tier.name, by_contract.last_day, by_contract.counted_from) == (
        TOCHIGI,
        date(2026, 3, 18),
        date(2026, 4, 1),
    )
    assert estimate is not None and estimate.deadline == date(2026, 3, 18)
    told = {subject: body.splitlines()[1] for _, subject, body in await _told(sessions)}
    assert told == {
        "【本日が申請期限】「販路開拓」の補助金を今日中に申請してください": (
            "申請期限は業務開始日の5日前です（業務開始予定日：2026年4月3日）。"
        ),
        "【申請期限超過】「販路開拓」の補助金の申請期限を過ぎました": (
            "申請期限は契約日（2026年4月1日）の14日前です。"
        ),
    }


async def test_row_level_security_keeps_the_application_the_firms(
    sessions: SessionFactory, world: TalentWorld
) -> None:
    # given the firm's match in 栃木, and its application recorded
    match = await _match(sessions, world, prefecture_code="09", starts_on=date(2026, 7, 1))
    firm = await act_as(sessions, world.firm_owner, world.firm)
    async with unit_of_work(sessions, firm) as session:
        await record_application(session, firm, match_id=match.id, applied_on=date(2026, 6, 1))
    other = await act_as(sessions, world.other_owner, world.other_firm)
    alice = await act_as(sessions, world.alice)

    # when another firm writes past the service, under its own name or the firm's
    for organization_id in (world.other_firm.id, world.firm.id):
        with pytest.raises(DBAPIError, match="row-level security"):
            async with unit_of_work(sessions, other) as session:
                await session.execute(
                    SubsidyApplication.__table__.insert().values(
                        match_id=uuid.uuid4() if organization_id == world.firm.id else match.id,
                        organization_id=organization_id,
                        applied_on=date(2026, 6, 2),
                    )
                )

    # then neither it nor the professional reads or changes the firm's record
    for viewer in (other, alice):
        async with unit_of_work(sessions, viewer) as session:
            assert (await session.execute(SubsidyApplication.__table__.select())).all() == []
            changed = await session.execute(
                SubsidyApplication.__table__.update()
                .values(applied_on=date(2026, 6, 3))
                .returning(SubsidyApplication.match_id)
            )
            assert changed.all() == []
    async with unit_of_work(sessions, firm) as session:
        found = await application_of(session, match.id)
        assert found is not None and found.applied_on == date(2026, 6, 1)
