"""Notifications reach people by email: once each, in their language, through a real SMTP
server on loopback; a server that is down delays them, never loses or doubles them."""

from __future__ import annotations

import logging
import uuid
from collections import Counter

import pytest
from arq.worker import Retry
from sqlalchemy import select, update

from factories import create_organization, create_user, run_outbox_messages
from notifications.conftest import MailServer
from renkei.config import Settings
from renkei.db import SessionFactory, unit_of_work
from renkei.identity import service as identity
from renkei.identity.models import User
from renkei.identity.scopes import ALL_SCOPES
from renkei.notifications import delivery
from renkei.notifications import service as notifications
from renkei.notifications import tasks as notification_tasks
from renkei.notifications.models import DeliveryStatus, Notification, NotificationDelivery
from renkei.notifications.smtp import Mailer, SmtpServer
from renkei.organizations import service as organizations
from renkei.outbox import OutboxMessage
from renkei.tenancy import MembershipRole, Viewer
from renkei.workers.jobs import MAX_TRIES, handle_message, handle_outbox_message, handlers_for

PUBLIC_URL = "https://renkei.example"
MAIL_FROM = "Renkei <no-reply@renkei.example>"


def _mailer(server: MailServer) -> Mailer:
    """As the worker builds it at start, from its settings."""
    return Mailer.from_settings(
        Settings(smtp_url=server.url, mail_from=MAIL_FROM, public_url=PUBLIC_URL)
    )


async def _run_outbox(sessions: SessionFactory, mailer: Mailer | None) -> int:
    """Handle every unprocessed outbox message as the worker does, those the handlers add too,
    until none is left but those that failed in this run; how many were handled."""
    return await run_outbox_messages(sessions, handlers_for(mailer))


async def _invite(sessions: SessionFactory, owner: User, organization_id: uuid.UUID, email: str):
    async with sessions() as session, session.begin():
        viewer = await identity.viewer_for(
            session, owner.id, organization_id=organization_id, scopes=ALL_SCOPES
        )
        await organizations.invite_member(
            session,
            viewer,
            organization_id=organization_id,
            email=email,
            role=MembershipRole.MEMBER,
        )


async def _notification(sessions: SessionFactory, email: str) -> Notification:
    async with unit_of_work(sessions, Viewer.platform()) as session:
        return (
            await session.scalars(select(Notification).where(Notification.recipient_email == email))
        ).one()


async def _deliveries(sessions: SessionFactory) -> list[NotificationDelivery]:
    async with unit_of_work(sessions, Viewer.platform()) as session:
        return list(await session.scalars(select(NotificationDelivery)))


async def _invited_twice(sessions: SessionFactory) -> None:
    """Two invitations: to an address nobody uses yet (Japanese, the default) and to a user who
    saved English; their outbox messages not yet handled."""
    owner = await create_user(sessions, "owner@a.example")
    org = await create_organization(sessions, owner, name="福岡半導体")
    english = await create_user(sessions, "english@b.example")
    async with unit_of_work(sessions, Viewer.platform()) as session:
        await session.execute(update(User).where(User.id == english.id).values(locale="en"))
    await _invite(sessions, owner, org.id, "new@b.example")
    await _invite(sessions, owner, org.id, "english@b.example")


async def test_an_invitation_is_emailed_once_to_each_invitee_in_their_language(
    sessions: SessionFactory, mail_server: MailServer
) -> None:
    # given
    await _invited_twice(sessions)
    # when
    await _run_outbox(sessions, _mailer(mail_server))
    # then
    by_address = {r.recipients[0]: r.message for r in mail_server.received}
    assert sorted(r.recipients for r in mail_server.received) == [
        ["english@b.example"],
        ["new@b.example"],
    ]
    for address, locale, stop in (
        ("new@b.example", "ja", "配信を停止するには"),
        ("english@b.example", "en", "To stop these emails"),
    ):
        notification = await _notification(sessions, address)
        message = by_address[address]
        assert notification.locale == locale
        assert message["To"] == address
        assert message["From"] == MAIL_FROM
        assert message["Subject"] == notification.subject
        assert "福岡半導体" in notification.subject
        assert message["Message-ID"] == f"<notification-{notification.id}@renkei.example>"
        assert message["Content-Language"] == locale
        assert message["List-Unsubscribe"] == "<mailto:no-reply@renkei.example?subject=unsubscribe>"
        assert message.get_content_type() == "multipart/alternative"
        text = message.get_body(("plain",))
        page = message.get_body(("html",))
        assert text is not None and page is not None
        assert text.get_content_charset() == "utf-8"
        assert notification.body in text.get_content()
        assert stop in text.get_content()
        assert f"{PUBLIC_URL}/graphql" in text.get_content()
        assert f'<html lang="{locale}">' in page.get_content()
        assert f'href="{PUBLIC_URL}/graphql"' in page.get_content()
        assert stop in page.get_content()
    assert [d.status for d in await _deliveries(sessions)] == [DeliveryStatus.SENT] * 2
    assert {d.attempts for d in await _deliveries(sessions)} == {1}


async def test_the_text_is_escaped_into_the_html(sessions: SessionFactory, mail_server) -> None:
    # given a notification whose words look like markup
    async with unit_of_work(sessions, Viewer.platform()) as session:
        await notifications.record(
            session,
            outbox_id=uuid.uuid4(),
            recipient=notifications.Recipient("someone@b.example", None, "ja"),
            kind="test",
            subject_id=None,
            text=lambda: ("<b>件名</b>", 'A & B <script>alert("x")</script>'),
        )
    # when
    await _run_outbox(sessions, _mailer(mail_server))
    # then
    [received] = mail_server.received
    page = received.message.get_body(("html",)).get_content()  # type: ignore[union-attr]
    assert "<script>" not in page
    assert "A &amp; B &lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in page
    assert "<title>&lt;b&gt;件名&lt;/b&gt;</title>" in page
    assert received.message["Subject"] == "<b>件名</b>"


async def test_a_delivery_run_twice_sends_once(sessions: SessionFactory, mail_server) -> None:
    # given an invitation emailed once
    await _invited_twice(sessions)
    mailer = _mailer(mail_server)
    await _run_outbox(sessions, mailer)
    first = await _notification(sessions, "new@b.example")
    async with unit_of_work(sessions, Viewer.platform()) as session:
        [email_message] = await session.scalars(
            select(OutboxMessage).where(
                OutboxMessage.topic == delivery.EMAIL_TOPIC,
                OutboxMessage.payload["notification_id"].astext == str(first.id),
            )
        )
    # when: the message is handled again, and its handler is run again by hand
    handled_again = await handle_message(sessions, email_message.id, handlers=handlers_for(mailer))
    handler = notification_tasks.handlers(mailer)[delivery.EMAIL_TOPIC]
    for _ in range(2):
        async with unit_of_work(sessions, Viewer.platform()) as session:
            await handler(session, email_message.id, email_message.payload)
    # then
    assert handled_again is False
    assert [r.recipients for r in mail_server.received].count(["new@b.example"]) == 1
    assert len(mail_server.received) == 2


async def test_without_an_smtp_server_a_delivery_fails_visibly(
    sessions: SessionFactory, caplog: pytest.LogCaptureFixture
) -> None:
    # given
    await _invited_twice(sessions)
    caplog.set_level(logging.WARNING, logger="renkei.notifications.delivery")
    # when
    await _run_outbox(sessions, None)
    # then
    deliveries = await _deliveries(sessions)
    assert [(d.status, d.last_error) for d in deliveries] == [
        (DeliveryStatus.FAILED, delivery.NOT_CONFIGURED)
    ] * 2
    assert [r.message for r in caplog.records] == ["email delivery failed for good"] * 2


async def _tell_many(sessions: SessionFactory, count: int) -> None:
    people = [notifications.Recipient(f"p{i:03}@b.example", None, "ja") for i in range(count)]
    async with unit_of_work(sessions, Viewer.platform()) as session:
        told = await notifications.tell(
            session,
            uuid.uuid4(),
            people,
            kind="test",
            text=lambda: ("件名", "本文"),
            subject_id=None,
        )
    assert told == count


async def test_an_smtp_outage_loses_no_email_and_doubles_none(
    sessions: SessionFactory, mail_server: MailServer
) -> None:
    # given: the server is down while 200 notifications are recorded and the outbox runs twice
    mail_server.stop()
    await _tell_many(sessions, 200)
    mailer = _mailer(mail_server)
    for _ in range(2):
        assert await _run_outbox(sessions, mailer) == 0
    waiting = await _deliveries(sessions)
    assert len(waiting) == 200
    assert {(d.status, d.attempts, d.sent_at) for d in waiting} == {
        (DeliveryStatus.PENDING, 2, None)
    }
    assert all(d.last_error for d in waiting)
    assert mail_server.received == []
    # when the server is back and the outbox runs again, twice
    mail_server.start()
    handled = await _run_outbox(sessions, mailer)
    again = await _run_outbox(sessions, mailer)
    # then: one email per notification
    assert (handled, again) == (200, 0)
    counts = Counter(r.message["Message-ID"] for r in mail_server.received)
    assert len(counts) == 200 and set(counts.values()) == {1}
    assert sorted(r.recipients[0] for r in mail_server.received) == [
        f"p{i:03}@b.example" for i in range(200)
    ]
    sent = await _deliveries(sessions)
    assert {(d.status, d.attempts, d.last_error) for d in sent} == {(DeliveryStatus.SENT, 3, None)}


async def test_the_worker_retries_with_a_delay_then_gives_up_visibly(
    sessions: SessionFactory, mail_server: MailServer, caplog: pytest.LogCaptureFixture
) -> None:
    # given a notification whose email the server, down, cannot take
    mail_server.stop()
    await _tell_many(sessions, 1)
    async with unit_of_work(sessions, Viewer.platform()) as session:
        [message] = await session.scalars(
            select(OutboxMessage).where(OutboxMessage.topic == delivery.EMAIL_TOPIC)
        )
    ctx = {"sessions": sessions, "handlers": handlers_for(_mailer(mail_server))}
    caplog.set_level(logging.WARNING)
    # when the worker's job runs it: first, then for the last time
    with pytest.raises(Retry) as retry:
        await handle_outbox_message({**ctx, "job_try": 1}, str(message.id))
    pending = await _deliveries(sessions)
    last = await handle_outbox_message({**ctx, "job_try": MAX_TRIES}, str(message.id))
    # then: a retry was asked for, later; the last failure is final, kept and logged
    assert retry.value.defer_score == 30_000
    assert [(d.status, d.attempts) for d in pending] == [(DeliveryStatus.PENDING, 1)]
    assert last is True
    [failed] = await _deliveries(sessions)
    assert (failed.status, failed.attempts) == (DeliveryStatus.FAILED, 2)
    assert failed.last_error
    async with unit_of_work(sessions, Viewer.platform()) as session:
        processed = await session.scalar(
            select(OutboxMessage.processed_at).where(OutboxMessage.id == message.id)
        )
    assert processed is not None
    messages = [r.message for r in caplog.records]
    assert "outbox message failed; retrying" in messages
    assert "email delivery failed for good" in messages
    assert "outbox message failed for good" in messages


def test_smtp_urls_say_how_to_connect() -> None:
    assert SmtpServer.from_url("smtp://127.0.0.1:2525") == SmtpServer("127.0.0.1", 2525)
    assert SmtpServer.from_url(
        "smtp://AKIA%2Fuser:p%40ss@email-smtp.ap-northeast-1.amazonaws.com?starttls=true"
    ) == SmtpServer(
        "email-smtp.ap-northeast-1.amazonaws.com",
        587,
        starttls=True,
        username="AKIA/user",
        password="p@ss",
    )
    assert SmtpServer.from_url("smtps://mail.example") == SmtpServer(
        "mail.example", 465, implicit_tls=True
    )
    with pytest.raises(ValueError):
        SmtpServer.from_url("http://mail.example")
