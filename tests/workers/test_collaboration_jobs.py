"""Notifications of region and project work, through the outbox: each message notifies once,
in each recipient's language (Japanese unless they saved another)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import pytest
from sqlalchemy import select, update

from factories import act_as, add_member, create_organization, create_user
from renkei.db import SessionFactory, unit_of_work
from renkei.graphql.relay import parse_global_id
from renkei.i18n.messages import translate_in
from renkei.identity.models import User
from renkei.milestones import dependencies
from renkei.milestones import service as milestones
from renkei.milestones import tasks as milestone_tasks
from renkei.milestones.models import Milestone, MilestoneStatus
from renkei.notifications.models import Notification
from renkei.organizations.models import Organization
from renkei.outbox import OutboxMessage
from renkei.projects import service as projects
from renkei.projects.models import ProjectCategory, ProjectVisibility
from renkei.regions import service as regions
from renkei.tenancy import MembershipRole, Viewer
from renkei.workers.jobs import handle_message

TODAY = date(2026, 11, 22)


@dataclass
class World:
    sessions: SessionFactory
    lead: Organization
    lead_owner: User
    lead_member: User
    lead_viewer: User
    partner: Organization
    partner_owner: User
    project_id: uuid.UUID
    region_id: uuid.UUID

    async def act(self, user: User, organization: Organization, work: Any) -> Any:
        viewer = await act_as(self.sessions, user, organization)
        async with unit_of_work(self.sessions, viewer) as session:
            return await work(session, viewer)


async def _messages(sessions: SessionFactory, topic: str) -> list[OutboxMessage]:
    async with unit_of_work(sessions, Viewer.platform()) as session:
        rows = await session.scalars(
            select(OutboxMessage).where(OutboxMessage.topic == topic).order_by(OutboxMessage.id)
        )
        return list(rows.all())


async def _notifications(sessions: SessionFactory, kind: str) -> list[tuple[str, str, str]]:
    async with unit_of_work(sessions, Viewer.platform()) as session:
        rows = await session.execute(
            select(Notification.recipient_email, Notification.subject, Notification.body)
            .where(Notification.kind == kind)
            .order_by(Notification.recipient_email, Notification.subject)
        )
        return [tuple(r) for r in rows.all()]  # type: ignore[misc]


async def _locales(sessions: SessionFactory, kind: str) -> dict[str, str | None]:
    """The language each recipient's notification was written in."""
    async with unit_of_work(sessions, Viewer.platform()) as session:
        rows = await session.execute(
            select(Notification.recipient_email, Notification.locale).where(
                Notification.kind == kind
            )
        )
        return {email: locale for email, locale in rows.all()}


async def _prefers(sessions: SessionFactory, user: User, locale: str) -> None:
    """The person saved `locale` as their language (users.locale)."""
    async with unit_of_work(sessions, Viewer.platform()) as session:
        await session.execute(update(User).where(User.id == user.id).values(locale=locale))


async def _handle_all(sessions: SessionFactory, topic: str) -> None:
    for message in await _messages(sessions, topic):
        await handle_message(sessions, message.id)


@pytest.fixture
async def world(sessions: SessionFactory) -> World:
    lead_owner = await create_user(sessions, "owner@lead.example")
    lead = await create_organization(
        sessions, lead_owner, slug="lead-org", home_prefecture_code="40"
    )
    lead_member = await create_user(sessions, "member@lead.example")
    lead_viewer = await create_user(sessions, "viewer@lead.example")
    await add_member(sessions, lead, lead_owner, lead_member, MembershipRole.MEMBER)
    await add_member(sessions, lead, lead_owner, lead_viewer, MembershipRole.VIEWER)
    partner_owner = await create_user(sessions, "owner@partner.example")
    partner = await create_organization(
        sessions, partner_owner, slug="partner-org", home_prefecture_code="43"
    )
    w = World(
        sessions,
        lead,
        lead_owner,
        lead_member,
        lead_viewer,
        partner,
        partner_owner,
        uuid.uuid4(),
        uuid.uuid4(),
    )
    region = await w.act(
        lead_owner,
        lead,
        lambda s, v: regions.create_region(
            s, v, slug="kyushu-jobs", name="九州", prefecture_codes=["40", "43"]
        ),
    )
    w.region_id = region.id
    project = await w.act(
        lead_owner,
        lead,
        lambda s, v: projects.create_project(
            s,
            v,
            name="半導体人材",
            category=ProjectCategory.SEMICONDUCTOR,
            region_id=region.id,
            visibility=ProjectVisibility.REGION,
        ),
    )
    w.project_id = project.id
    return w


async def _join_project(w: World, *, announce: bool = False) -> None:
    """The partner is invited to the region and the project and accepts each; with `announce`,
    the worker handles each invitation before it is answered."""
    invited = await w.act(
        w.lead_owner,
        w.lead,
        lambda s, v: regions.invite_region_member(
            s, v, region_id=w.region_id, organization_id=w.partner.id
        ),
    )
    if announce:
        await _handle_all(w.sessions, regions.REGION_INVITED)
        await _handle_all(w.sessions, regions.REGION_INVITED)
    await w.act(
        w.partner_owner,
        w.partner,
        lambda s, v: regions.answer_region_invitation(
            s, v, region_member_id=invited.id, accept=True
        ),
    )
    participant = await w.act(
        w.lead_owner,
        w.lead,
        lambda s, v: projects.invite_participant(
            s, v, project_id=w.project_id, organization_id=w.partner.id, role="PARTNER"
        ),
    )
    if announce:
        await _handle_all(w.sessions, projects.PROJECT_INVITED)
        await _handle_all(w.sessions, projects.PROJECT_INVITED)
    await w.act(
        w.partner_owner,
        w.partner,
        lambda s, v: projects.answer_participation(
            s, v, participant_id=participant.id, accept=True
        ),
    )


async def _milestone(w: World, title: str, due: date, start: date | None = None) -> Milestone:
    return await w.act(  # type: ignore[no-any-return]
        w.lead_owner,
        w.lead,
        lambda s, v: milestones.create_milestone(
            s,
            v,
            project_id=w.project_id,
            title=title,
            starts_on=start,
            due_on=due,
            horizon_years=1,
            counterpart_organization_id=w.partner.id,
        ),
    )


async def test_invitations_notify_the_invited_organizations_admins_once(world: World) -> None:
    # given invitations to a region and to a project, each handled twice before its answer
    await _join_project(world, announce=True)
    # then only the invited organization's owner heard, once for each, in Japanese
    [(email, subject, body)] = await _notifications(world.sessions, "region.invited")
    assert (email, subject) == (
        "owner@partner.example",
        translate_in("ja", "{region} invites your organization", region="九州"),
    )
    assert "answerRegionInvitation" in body and "invites" not in body
    [(email, subject, _)] = await _notifications(world.sessions, "project.invited")
    assert (email, subject) == (
        "owner@partner.example",
        translate_in("ja", "Invitation to the project {project}", project="半導体人材"),
    )
    assert "半導体人材" in subject and "Invitation" not in subject
    # each about the invitation the organization answers
    async with unit_of_work(world.sessions, Viewer.platform()) as session:
        subjects = dict(
            (await session.execute(select(Notification.kind, Notification.subject_id))).all()
        )
    for kind, type_name in (
        ("region.invited", "RegionMember"),
        ("project.invited", "ProjectParticipant"),
    ):
        parsed = parse_global_id(subjects[kind])
        assert parsed is not None and parsed[0] == type_name


async def test_an_answered_invitation_is_not_announced(world: World) -> None:
    # given invitations answered before the worker ran
    await _join_project(world)
    # when
    await _handle_all(world.sessions, regions.REGION_INVITED)
    await _handle_all(world.sessions, projects.PROJECT_INVITED)
    # then the accepted invitations were not announced any more
    assert await _notifications(world.sessions, "region.invited") == []
    assert await _notifications(world.sessions, "project.invited") == []


async def test_a_status_change_tells_the_owner_and_counterpart_but_not_viewers(
    world: World,
) -> None:
    # given: the partner's owner reads English, the others saved no language
    await _join_project(world)
    await _prefers(world.sessions, world.partner_owner, "en")
    milestone = await _milestone(world, "試作ライン稼働", TODAY + timedelta(days=40))
    # when the owner starts it and the message is handled twice
    await world.act(
        world.lead_member,
        world.lead,
        lambda s, v: milestones.change_milestone_status(
            s,
            v,
            milestone_id=milestone.id,
            version=milestone.version,
            status=MilestoneStatus.IN_PROGRESS,
        ),
    )
    await _handle_all(world.sessions, milestones.MILESTONE_STATUS_CHANGED)
    await _handle_all(world.sessions, milestones.MILESTONE_STATUS_CHANGED)
    # then both organizations' owners, admins and members heard, once; the viewer did not
    told = await _notifications(world.sessions, "milestone.status_changed")
    assert [email for email, _, _ in told] == [
        "member@lead.example",
        "owner@lead.example",
        "owner@partner.example",
    ]
    # in Japanese, but for the one who reads English
    assert told == [
        (
            "member@lead.example",
            "「試作ライン稼働」が「進行中」になりました",
            "プロジェクト「半導体人材」のマイルストーン「試作ライン稼働」の状態が「未着手」から"
            "「進行中」に変わりました（期限：2027年1月1日）。",
        ),
        (
            "owner@lead.example",
            "「試作ライン稼働」が「進行中」になりました",
            "プロジェクト「半導体人材」のマイルストーン「試作ライン稼働」の状態が「未着手」から"
            "「進行中」に変わりました（期限：2027年1月1日）。",
        ),
        (
            "owner@partner.example",
            "「試作ライン稼働」 is now in progress",
            "The milestone 「試作ライン稼働」 of 半導体人材 moved from not started to in progress"
            " (due January 1, 2027).",
        ),
    ]
    assert await _locales(world.sessions, "milestone.status_changed") == {
        "member@lead.example": "ja",
        "owner@lead.example": "ja",
        "owner@partner.example": "en",
    }


async def test_a_slip_flags_the_dependent_at_risk_and_tells_its_owners(world: World) -> None:
    # given B starts when A is due; the partner's owner reads English
    await _join_project(world)
    await _prefers(world.sessions, world.partner_owner, "en")
    a = await _milestone(world, "用地確保", TODAY + timedelta(days=30))
    b = await _milestone(
        world, "工場建設", TODAY + timedelta(days=200), start=TODAY + timedelta(days=31)
    )
    await world.act(
        world.lead_owner,
        world.lead,
        lambda s, v: dependencies.add_dependency(s, v, predecessor_id=a.id, successor_id=b.id),
    )
    await _handle_all(world.sessions, milestones.MILESTONE_RESCHEDULED)
    # when A slips by 20 days
    await world.act(
        world.lead_owner,
        world.lead,
        lambda s, v: milestones.update_milestone(
            s, v, milestone_id=a.id, version=a.version, due_on=TODAY + timedelta(days=50)
        ),
    )
    await _handle_all(world.sessions, milestones.MILESTONE_RESCHEDULED)
    await _handle_all(world.sessions, milestones.MILESTONE_AT_RISK)
    # then B is at risk, and its owner and counterpart were told why
    async with unit_of_work(world.sessions, Viewer.platform()) as session:
        flagged = await session.get(Milestone, b.id)
        assert flagged is not None
        assert flagged.status is MilestoneStatus.AT_RISK
    told = await _notifications(world.sessions, "milestone.at_risk")
    assert {email for email, _, _ in told} == {
        "member@lead.example",
        "owner@lead.example",
        "owner@partner.example",
    }
    # in each one's language, the reason too (the job wrote it in both)
    japanese = (
        "「工場建設」に遅延リスクがあります",
        "プロジェクト「半導体人材」のマイルストーン「工場建設」に遅延リスクがあります。"
        "理由：先行マイルストーン「用地確保」の期限が2027年1月11日で、"
        "このマイルストーンの開始日（2026年12月23日）の19日後です。",
    )
    assert {email: (subject, body) for email, subject, body in told} == {
        "member@lead.example": japanese,
        "owner@lead.example": japanese,
        "owner@partner.example": (
            "「工場建設」 is at risk",
            "The milestone 「工場建設」 of 半導体人材 is at risk: predecessor 「用地確保」 is due"
            " January 11, 2027, 19 days after this milestone starts (December 23, 2026)",
        ),
    }


async def test_the_daily_reminder_goes_out_once_a_day_listing_due_and_overdue(
    world: World,
) -> None:
    # given one milestone overdue, one due in 3 days, one far off; the lead's member reads
    # English, its owner saved no language
    await _join_project(world)
    await _prefers(world.sessions, world.lead_member, "en")
    await _milestone(world, "報告書提出", TODAY - timedelta(days=2))
    await _milestone(world, "説明会", TODAY + timedelta(days=3))
    await _milestone(world, "量産開始", TODAY + timedelta(days=300))
    # when the schedule fires twice on the same day and the messages are handled
    for _ in range(2):
        async with unit_of_work(world.sessions, Viewer.platform()) as session:
            await milestone_tasks.enqueue_daily_reminder(session, TODAY)
    assert len(await _messages(world.sessions, milestone_tasks.DAILY_REMINDER)) == 1
    await _handle_all(world.sessions, milestone_tasks.DAILY_REMINDER)
    await _handle_all(world.sessions, milestone_tasks.DAILY_REMINDER)
    # then the owner organization's people got one reminder each, overdue first
    told = await _notifications(world.sessions, milestone_tasks.DAILY_REMINDER)
    assert [email for email, _, _ in told] == ["member@lead.example", "owner@lead.example"]
    _, subject, body = told[0]
    assert subject == "lead-org: 1 overdue, 1 due by November 29, 2026"
    assert body.splitlines() == [
        "- 「報告書提出」 due November 20, 2026 (2 days overdue)",
        "- 「説明会」 due November 25, 2026 (in 3 days)",
    ]
    _, subject, body = told[1]
    assert subject == "lead-org：期限超過1件、2026年11月29日までに期限を迎えるもの1件"
    assert body.splitlines() == [
        "- 「報告書提出」 期限：2026年11月20日（2日超過）",
        "- 「説明会」 期限：2026年11月25日（あと3日）",
    ]
