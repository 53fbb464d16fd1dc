"""Per topic, a person is emailed at once, in a daily digest, or not at all (inbox only); an
organization may require some topics emailed. Sent through a real SMTP server on loopback."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import httpx2
import psycopg
import pytest
from sqlalchemy import select, update
from sqlalchemy.exc import DBAPIError

from api.conftest import Compare
from factories import (
    act_as,
    add_member,
    create_organization,
    create_user,
    graphql,
    run_outbox_messages,
    token_for,
)
from notifications.conftest import MailServer
from renkei.config import Settings
from renkei.db import SessionFactory, unit_of_work
from renkei.graphql.relay import to_global_id
from renkei.identity.models import User
from renkei.identity.tokens import TokenService
from renkei.milestones import service as milestones
from renkei.notifications import digest
from renkei.notifications import service as notifications
from renkei.notifications import tasks as notification_tasks
from renkei.notifications.models import (
    DeliveryStatus,
    Notification,
    NotificationDelivery,
    NotificationPreference,
)
from renkei.notifications.smtp import Mailer
from renkei.notifications.topics import TOPICS, DeliveryMode
from renkei.organizations.models import Organization
from renkei.tenancy import MembershipRole, Viewer
from renkei.workers.jobs import handlers_for

PUBLIC_URL = "https://renkei.example"
MAIL_FROM = "Renkei <no-reply@renkei.example>"
AT_RISK = "milestone.at_risk"
STATUS = "milestone.status_changed"

READ = """
query { viewer { notificationPreferences { topic label mode requiredByOrganization } } }
"""
UPDATE = """
mutation Update($input: UpdateNotificationPreferencesInput!) {
  updateNotificationPreferences(input: $input) {
    preferences { topic mode }
    userErrors { field code message }
  }
}
"""
POLICY = """
mutation Policy($input: UpdateOrganizationEmailPolicyInput!) {
  updateOrganizationEmailPolicy(input: $input) {
    requiredTopics
    userErrors { field code message }
  }
}
"""


def _mailer(server: MailServer) -> Mailer:
    return Mailer.from_settings(
        Settings(smtp_url=server.url, mail_from=MAIL_FROM, public_url=PUBLIC_URL)
    )


async def _run_outbox(sessions: SessionFactory, mailer: Mailer | None) -> int:
    """Handle every unprocessed outbox message as the worker does, those the handlers add too."""
    return await run_outbox_messages(sessions, handlers_for(mailer))


@dataclass
class World:
    sessions: SessionFactory
    tokens: TokenService
    mail: MailServer
    mailer: Mailer
    owner: User
    member: User  # saved English
    other: User
    org: Organization
    client: httpx2.AsyncClient

    def token(self, user: User) -> str:
        return token_for(self.tokens, user, self.org)

    async def tell(self, user: User, kind: str, subject: str, *, org: bool = True) -> None:
        """Record a notification of `kind` for `user`, as a domain's handler does."""
        async with unit_of_work(self.sessions, Viewer.platform()) as session:
            locale = await session.scalar(select(User.locale).where(User.id == user.id))
            await notifications.record(
                session,
                outbox_id=uuid.uuid4(),
                recipient=notifications.Recipient(
                    user.email, self.org.id if org else None, locale or "ja"
                ),
                kind=kind,
                subject_id=None,
                text=lambda: (subject, f"{subject}の本文"),
            )

    async def choose(self, user: User, topic: str, mode: DeliveryMode) -> None:
        answer = await graphql(
            self.client,
            UPDATE,
            {"input": {"preferences": [{"topic": topic, "mode": mode.value}]}},
            token=self.token(user),
        )
        assert answer["data"]["updateNotificationPreferences"]["userErrors"] == []

    def received(self, address: str) -> list[str]:
        return [str(r.message["Subject"]) for r in self.mail.received if address in r.recipients]


@pytest.fixture
async def world(
    sessions: SessionFactory,
    tokens: TokenService,
    mail_server: MailServer,
    client: httpx2.AsyncClient,
) -> World:
    owner = await create_user(sessions, "owner@prefs.example")
    org = await create_organization(sessions, owner, slug="prefs-lead")
    member = await create_user(sessions, "member@prefs.example")
    other = await create_user(sessions, "other@prefs-other.example")
    await add_member(sessions, org, owner, member, MembershipRole.MEMBER)
    async with unit_of_work(sessions, Viewer.platform()) as session:
        await session.execute(update(User).where(User.id == member.id).values(locale="en"))
    mailer = _mailer(mail_server)
    # The invitation's email, out of the way.
    await _run_outbox(sessions, mailer)
    mail_server.received.clear()
    return World(sessions, tokens, mail_server, mailer, owner, member, other, org, client)


async def _deliveries(sessions: SessionFactory, email: str) -> list[DeliveryStatus]:
    async with unit_of_work(sessions, Viewer.platform()) as session:
        rows = await session.scalars(
            select(NotificationDelivery.status)
            .join(Notification, Notification.id == NotificationDelivery.notification_id)
            .where(Notification.recipient_email == email)
            .order_by(Notification.created_at)
        )
        return list(rows)


async def _digest_day(sessions: SessionFactory, on: date) -> None:
    async with unit_of_work(sessions, Viewer.platform()) as session:
        await digest.enqueue_daily_digest(session, on)


def test_every_kind_the_domains_record_is_a_topic() -> None:
    # given every kind= the domains write, literally or through a constant
    root = Path(notifications.__file__).parents[1]
    kinds: set[str] = set()
    for source in [*root.glob("*/tasks.py"), root / "organizations" / "service.py"]:
        text = source.read_text(encoding="utf-8")
        kinds |= set(re.findall(r'kind="([a-z_.]+)"', text))
        for constant in re.findall(r"kind=([A-Z_]+),", text):
            kinds |= set(re.findall(rf'^{constant} = "([a-z_.]+)"', text, re.M))
    from renkei.email_domains.service import DOMAIN_CLAIMED_ELSEWHERE
    from renkei.organizations.service import INVITATION_CREATED

    kinds |= {DOMAIN_CLAIMED_ELSEWHERE, INVITATION_CREATED}
    # then each is a topic a person can choose for
    assert kinds - set(TOPICS) == set()
    assert {"milestone.daily_reminder", "talent.match_step", "project.invited"} <= kinds


async def test_preferences_are_read_and_changed_in_the_readers_language(
    world: World, compiled_and_resolved: Compare
) -> None:
    client = world.client
    # given nothing chosen: every topic is emailed at once
    english = await compiled_and_resolved(READ, token=world.token(world.member))
    preferences = english["data"]["viewer"]["notificationPreferences"]
    assert [p["topic"] for p in preferences] == list(TOPICS)
    assert {p["mode"] for p in preferences} == {"IMMEDIATE"}
    at_risk = next(p for p in preferences if p["topic"] == AT_RISK)
    assert at_risk["label"] == "Milestones flagged at risk"
    assert at_risk["requiredByOrganization"] is False
    # (the member saved English; the owner saved nothing and reads Japanese)
    japanese = await graphql(client, READ, token=world.token(world.owner), language="ja")
    labels = {p["topic"]: p["label"] for p in japanese["data"]["viewer"]["notificationPreferences"]}
    assert labels[AT_RISK] == "遅延リスクのあるマイルストーン"
    # when one is changed
    changed = await graphql(
        client,
        UPDATE,
        {"input": {"preferences": [{"topic": AT_RISK, "mode": "DIGEST"}]}},
        token=world.token(world.member),
    )
    # then it reads back so, the others unchanged
    modes = {
        p["topic"]: p["mode"]
        for p in changed["data"]["updateNotificationPreferences"]["preferences"]
    }
    assert modes[AT_RISK] == "DIGEST" and modes[STATUS] == "IMMEDIATE"
    again = await compiled_and_resolved(READ, token=world.token(world.member))
    assert {
        p["topic"]: p["mode"] for p in again["data"]["viewer"]["notificationPreferences"]
    } == modes
    # and an unknown topic is refused, in the reader's language, and changes nothing
    for user, words in ((world.owner, "通知トピック"), (world.member, "unknown notification")):
        refused = await graphql(
            client,
            UPDATE,
            {
                "input": {
                    "preferences": [
                        {"topic": STATUS, "mode": "INBOX"},
                        {"topic": "no.such", "mode": "INBOX"},
                    ]
                }
            },
            token=world.token(user),
        )
        payload = refused["data"]["updateNotificationPreferences"]
        assert payload["preferences"] is None
        [error] = payload["userErrors"]
        assert error["code"] == "INVALID" and error["field"] == "preferences"
        assert words in error["message"]
    unchanged = await compiled_and_resolved(READ, token=world.token(world.member))
    owners = await compiled_and_resolved(READ, token=world.token(world.owner))
    assert {p["mode"] for p in owners["data"]["viewer"]["notificationPreferences"]} == {"IMMEDIATE"}
    assert {
        p["topic"]: p["mode"] for p in unchanged["data"]["viewer"]["notificationPreferences"]
    } == modes


async def test_nobody_else_reads_or_changes_a_persons_preferences(world: World) -> None:
    # given the member's choice
    await world.choose(world.member, AT_RISK, DeliveryMode.INBOX)
    # when another person reads and changes preferences straight in SQL
    other = await act_as(world.sessions, world.other)
    async with unit_of_work(world.sessions, other) as session:
        # then row-level security shows them none of the member's
        assert list(await session.scalars(select(NotificationPreference))) == []
        result = await session.execute(
            update(NotificationPreference).values(mode=DeliveryMode.IMMEDIATE)
        )
        assert result.rowcount == 0  # type: ignore[attr-defined]
    # and they cannot write one for the member
    with pytest.raises(DBAPIError) as refused:
        async with unit_of_work(world.sessions, other) as session:
            session.add(
                NotificationPreference(
                    id=uuid.uuid4(), user_id=world.member.id, topic=STATUS, mode=DeliveryMode.INBOX
                )
            )
    assert isinstance(refused.value.orig, psycopg.errors.InsufficientPrivilege)
    # and through the API they read their own defaults
    theirs = await graphql(world.client, READ, token=token_for(world.tokens, world.other))
    assert {p["mode"] for p in theirs["data"]["viewer"]["notificationPreferences"]} == {"IMMEDIATE"}
    mine = await act_as(world.sessions, world.member, world.org)
    async with unit_of_work(world.sessions, mine) as session:
        [kept] = await session.scalars(select(NotificationPreference))
        assert kept.mode is DeliveryMode.INBOX


async def test_inbox_only_sends_no_email_but_the_inbox_has_it(world: World) -> None:
    # given the member reads at-risk flags in the inbox only
    await world.choose(world.member, AT_RISK, DeliveryMode.INBOX)
    # when one is recorded for them, and one of another topic, and the worker runs
    await world.tell(world.member, AT_RISK, "リスクあり")
    await world.tell(world.member, STATUS, "状態変更")
    await _run_outbox(world.sessions, world.mailer)
    await _digest_day(world.sessions, milestones.today() + timedelta(days=1))
    await _run_outbox(world.sessions, world.mailer)
    # then only the other topic was emailed; the at-risk flag is in the inbox, never emailed
    assert world.received(world.member.email) == ["状態変更"]
    assert await _deliveries(world.sessions, world.member.email) == [
        DeliveryStatus.INBOX,
        DeliveryStatus.SENT,
    ]
    inbox = await graphql(
        world.client,
        "query { viewer { notifications(first: 10) { nodes { kind subject } } } }",
        token=world.token(world.member),
    )
    assert {"kind": AT_RISK, "subject": "リスクあり"} in inbox["data"]["viewer"]["notifications"][
        "nodes"
    ]


async def test_a_digest_lists_the_days_notifications_once_in_each_persons_language(
    world: World,
) -> None:
    # given two people reading two topics in a digest: one in English, one in Japanese
    for user in (world.member, world.owner):
        for topic in (AT_RISK, STATUS):
            await world.choose(user, topic, DeliveryMode.DIGEST)
    for user in (world.member, world.owner):
        await world.tell(user, AT_RISK, "リスクあり")
        await world.tell(user, STATUS, "状態変更")
    # when the worker runs: nothing is emailed at once
    await _run_outbox(world.sessions, world.mailer)
    assert world.mail.received == []
    assert set(await _deliveries(world.sessions, world.member.email)) == {DeliveryStatus.DIGEST}
    # and the next morning's digest runs, twice, and its handler once more by hand
    tomorrow = milestones.today() + timedelta(days=1)
    for _ in range(2):
        await _digest_day(world.sessions, tomorrow)
        await _run_outbox(world.sessions, world.mailer)
    handler = notification_tasks.handlers(world.mailer)[digest.DIGEST_EMAIL_TOPIC]
    async with unit_of_work(world.sessions, Viewer.platform()) as session:
        await handler(
            session, uuid.uuid4(), {"email": world.member.email, "on": tomorrow.isoformat()}
        )
    # then each person got one digest listing both, in their language
    assert sorted(r.recipients[0] for r in world.mail.received) == sorted(
        [world.member.email, world.owner.email]
    )
    by_address = {r.recipients[0]: r.message for r in world.mail.received}
    for address, locale, subject_words, intro in (
        (world.member.email, "en", "Renkei: 2 notifications on", "Your daily digest"),
        (world.owner.email, "ja", "の通知 2件", "本日のダイジェスト"),
    ):
        message = by_address[address]
        assert subject_words in str(message["Subject"])
        assert message["Content-Language"] == locale
        assert message["Message-ID"] == digest.message_id(address, tomorrow, public_url=PUBLIC_URL)
        body = message.get_body(("plain",)).get_content()  # type: ignore[union-attr]
        assert intro in body
        assert "リスクあり" in body and "状態変更の本文" in body
        page = message.get_body(("html",)).get_content()  # type: ignore[union-attr]
        assert f'<html lang="{locale}">' in page
    assert set(await _deliveries(world.sessions, world.member.email)) == {DeliveryStatus.SENT}
    # and a notification recorded later waits for the next day's digest
    await world.tell(world.member, AT_RISK, "また")
    await _digest_day(world.sessions, tomorrow)
    await _run_outbox(world.sessions, world.mailer)
    assert len(world.mail.received) == 2
    assert (await _deliveries(world.sessions, world.member.email))[-1] is DeliveryStatus.DIGEST


async def test_a_topic_the_organization_requires_is_emailed_even_to_inbox_only(
    world: World, compiled_and_resolved: Compare
) -> None:
    client = world.client
    org_id = to_global_id("Organization", world.org.id)
    # given the member reads at-risk flags in the inbox only
    await world.choose(world.member, AT_RISK, DeliveryMode.INBOX)
    # when a member (not a manager) tries to require it, then the owner does
    refused = await graphql(
        client,
        POLICY,
        {"input": {"organizationId": org_id, "requiredTopics": [AT_RISK]}},
        token=world.token(world.member),
    )
    assert refused["data"]["updateOrganizationEmailPolicy"]["userErrors"][0]["code"] == "FORBIDDEN"
    unknown = await graphql(
        client,
        POLICY,
        {"input": {"organizationId": org_id, "requiredTopics": ["no.such"]}},
        token=world.token(world.owner),
    )
    assert unknown["data"]["updateOrganizationEmailPolicy"]["userErrors"][0]["code"] == "INVALID"
    required = await graphql(
        client,
        POLICY,
        {"input": {"organizationId": org_id, "requiredTopics": [AT_RISK, AT_RISK]}},
        token=world.token(world.owner),
    )
    assert required["data"]["updateOrganizationEmailPolicy"] == {
        "requiredTopics": [AT_RISK],
        "userErrors": [],
    }
    # then the member's preferences say so
    read = await compiled_and_resolved(READ, token=world.token(world.member))
    at_risk = next(
        p for p in read["data"]["viewer"]["notificationPreferences"] if p["topic"] == AT_RISK
    )
    assert at_risk == {
        "topic": AT_RISK,
        "label": "Milestones flagged at risk",
        "mode": "INBOX",
        "requiredByOrganization": True,
    }
    # and an at-risk flag of the organization is emailed; one of no organization is not
    await world.tell(world.member, AT_RISK, "組織のリスク")
    await world.tell(world.member, AT_RISK, "個人のリスク", org=False)
    await _run_outbox(world.sessions, world.mailer)
    assert world.received(world.member.email) == ["組織のリスク"]
