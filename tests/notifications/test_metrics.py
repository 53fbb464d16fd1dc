"""Operations see deliveries by channel and outcome, and how long outbox messages wait: the
counters move as a real SMTP server takes, or cannot take, a notification's email."""

from __future__ import annotations

import uuid

import pytest
from prometheus_client import REGISTRY
from sqlalchemy import select

from notifications.conftest import MailServer
from renkei import outbox
from renkei.config import Settings
from renkei.db import SessionFactory, unit_of_work
from renkei.notifications import delivery
from renkei.notifications import service as notifications
from renkei.notifications.smtp import Mailer
from renkei.outbox import OutboxMessage
from renkei.tenancy import Viewer
from renkei.workers.jobs import handle_message, handlers_for


def _deliveries(outcome: str) -> float:
    value = REGISTRY.get_sample_value(
        "renkei_deliveries_total", {"channel": "email", "outcome": outcome}
    )
    return value or 0.0


def _ages(topic: str) -> float:
    value = REGISTRY.get_sample_value("renkei_outbox_age_seconds_count", {"topic": topic})
    return value or 0.0


def _mailer(server: MailServer) -> Mailer:
    return Mailer.from_settings(Settings(smtp_url=server.url, mail_from="no-reply@renkei.example"))


async def _email_message(sessions: SessionFactory) -> uuid.UUID:
    """A notification recorded, and the id of the outbox message that emails it."""
    async with unit_of_work(sessions, Viewer.platform()) as session:
        await notifications.record(
            session,
            outbox_id=uuid.uuid4(),
            recipient=notifications.Recipient("someone@b.example", None, "ja"),
            kind="test",
            subject_id=None,
            text=lambda: ("件名", "本文"),
        )
    async with unit_of_work(sessions, Viewer.platform()) as session:
        return (
            await session.scalars(
                select(OutboxMessage.id).where(OutboxMessage.topic == delivery.EMAIL_TOPIC)
            )
        ).one()


async def test_a_sent_email_is_counted_with_its_wait(
    sessions: SessionFactory, mail_server: MailServer
) -> None:
    # given
    message_id = await _email_message(sessions)
    handlers = handlers_for(_mailer(mail_server))
    sent, skipped, ages = _deliveries("sent"), _deliveries("skipped"), _ages(delivery.EMAIL_TOPIC)
    # when it is handled, then run again through its handler by hand
    assert await handle_message(sessions, message_id, handlers=handlers) is True
    async with unit_of_work(sessions, Viewer.platform()) as session:
        payload = await session.scalar(
            select(OutboxMessage.payload).where(OutboxMessage.id == message_id)
        )
        await handlers[delivery.EMAIL_TOPIC](session, message_id, payload)
    # then
    assert len(mail_server.received) == 1
    assert _deliveries("sent") == sent + 1
    assert _deliveries("skipped") == skipped + 1
    assert _ages(delivery.EMAIL_TOPIC) == ages + 1


async def test_an_email_the_server_cannot_take_is_counted_retried_then_failed(
    sessions: SessionFactory, mail_server: MailServer
) -> None:
    # given a notification and a server that is down
    message_id = await _email_message(sessions)
    handlers = handlers_for(_mailer(mail_server))
    mail_server.stop()
    retried, failed, ages = (
        _deliveries("retried"),
        _deliveries("failed"),
        _ages(delivery.EMAIL_TOPIC),
    )
    # when it is tried, then tried for the last time
    with pytest.raises(outbox.RetryLater):
        await handle_message(sessions, message_id, handlers=handlers)
    after_first = (_deliveries("retried"), _deliveries("failed"), _ages(delivery.EMAIL_TOPIC))
    assert await handle_message(sessions, message_id, handlers=handlers, last_try=True) is True
    # then: a retry, then a failure, and the message's wait observed once, when it is done
    assert after_first == (retried + 1, failed, ages)
    assert _deliveries("retried") == retried + 1
    assert _deliveries("failed") == failed + 1
    assert _ages(delivery.EMAIL_TOPIC) == ages + 1
    assert mail_server.received == []
