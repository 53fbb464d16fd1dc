"""Delivering notifications by email, once: PENDING when recorded, SENT once the SMTP server
took the message, FAILED when it refused it for good or the worker gave up, with the reason.

The delivery row is locked while a job sends, so two jobs for one notification take turns and
the second finds it SENT. A server that is down makes the job raise `outbox.RetryLater`: the
attempt and its error are written down, and the worker runs the message again later. The one
way to send twice is a crash between the server's answer and our commit; the Message-ID, made
from the notification's id, lets the recipient's mail program recognise the copy.
"""

from __future__ import annotations

import logging
import uuid
from datetime import UTC, datetime
from functools import partial

from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from renkei import outbox
from renkei.notifications import mail, repository
from renkei.notifications.metrics import DELIVERIES
from renkei.notifications.models import DeliveryChannel, DeliveryStatus, NotificationDelivery
from renkei.notifications.smtp import Mailer, SmtpRefused, SmtpUnavailable
from renkei.notifications.topics import DeliveryMode

logger = logging.getLogger(__name__)

EMAIL_TOPIC = "notification.email"
# The channel as metrics label it (renkei.notifications.metrics.DELIVERIES).
_CHANNEL = DeliveryChannel.EMAIL.value
NOT_CONFIGURED = "no SMTP server is configured (RENKEI_SMTP_URL)"
# Enough of an SMTP server's answer to say why; some repeat the whole message.
ERROR_LENGTH = 2000


# The status of a delivery by the recipient's mode: DIGEST and INBOX are not emailed alone.
_STATUS_OF_MODE = {
    DeliveryMode.IMMEDIATE: DeliveryStatus.PENDING,
    DeliveryMode.DIGEST: DeliveryStatus.DIGEST,
    DeliveryMode.INBOX: DeliveryStatus.INBOX,
}


async def _add_pending(
    session: AsyncSession,
    notification_id: uuid.UUID,
    status: DeliveryStatus = DeliveryStatus.PENDING,
) -> None:
    await session.execute(
        insert(NotificationDelivery)
        .values(
            id=uuid.uuid4(),
            notification_id=notification_id,
            channel=DeliveryChannel.EMAIL.value,
            status=status,
            attempts=0,
        )
        .on_conflict_do_nothing(index_elements=["notification_id", "channel"])
    )


async def queue_email(
    session: AsyncSession,
    notification_id: uuid.UUID,
    mode: DeliveryMode = DeliveryMode.IMMEDIATE,
) -> None:
    """In the transaction that records a notification: its email delivery and, IMMEDIATE, the
    outbox message that sends it. DIGEST waits for the day's digest (renkei.notifications.
    digest); INBOX is written down as never emailed, by the recipient's choice."""
    await _add_pending(session, notification_id, _STATUS_OF_MODE[mode])
    if mode is DeliveryMode.IMMEDIATE:
        outbox.enqueue(session, EMAIL_TOPIC, {"notification_id": str(notification_id)})


async def _claim(session: AsyncSession, notification_id: uuid.UUID) -> NotificationDelivery:
    """The email delivery of a notification, locked; made PENDING if it was never queued."""
    delivery = await repository.delivery_for_update(
        session, notification_id=notification_id, channel=DeliveryChannel.EMAIL.value
    )
    if delivery is None:
        await _add_pending(session, notification_id)
        delivery = await repository.delivery_for_update(
            session, notification_id=notification_id, channel=DeliveryChannel.EMAIL.value
        )
        assert delivery is not None
    return delivery


def _failed(delivery: NotificationDelivery, error: str, *, final: bool) -> None:
    DELIVERIES.labels(_CHANNEL, "failed" if final else "retried").inc()
    delivery.attempts += 1
    delivery.last_error = error[:ERROR_LENGTH]
    delivery.status = DeliveryStatus.FAILED if final else DeliveryStatus.PENDING
    delivery.updated_at = datetime.now(UTC)
    log = logger.error if final else logger.warning
    log(
        "email delivery failed for good" if final else "email delivery failed; retrying",
        extra={
            "notification_id": str(delivery.notification_id),
            "attempts": delivery.attempts,
            "error": delivery.last_error,
        },
    )


async def deliver_email(
    session: AsyncSession, mailer: Mailer | None, *, notification_id: uuid.UUID
) -> None:
    """Send a notification's email unless it was sent; raises outbox.RetryLater when the SMTP
    server cannot take it now."""
    notification = await repository.notification(session, notification_id)
    if notification is None:
        logger.warning(
            "notification to email is gone", extra={"notification_id": str(notification_id)}
        )
        return
    delivery = await _claim(session, notification_id)
    if delivery.status is DeliveryStatus.SENT:
        DELIVERIES.labels(_CHANNEL, "skipped").inc()
        return
    if delivery.status in (DeliveryStatus.DIGEST, DeliveryStatus.INBOX):
        # Not emailed now: the day's digest lists it, or the person reads it in the inbox.
        return
    if mailer is None or mailer.server is None:
        _failed(delivery, NOT_CONFIGURED, final=True)
        return
    message = mail.compose(notification, mail_from=mailer.mail_from, public_url=mailer.public_url)
    try:
        await mailer.server.send(message)
    except SmtpRefused as exc:
        _failed(delivery, str(exc), final=True)
        return
    except SmtpUnavailable as exc:
        raise outbox.RetryLater(
            str(exc),
            record=partial(record_failure, notification_id=notification_id, error=str(exc)),
        ) from exc
    # Counted once the server took it: sent, whatever becomes of our commit.
    DELIVERIES.labels(_CHANNEL, "sent").inc()
    now = datetime.now(UTC)
    delivery.attempts += 1
    delivery.status = DeliveryStatus.SENT
    delivery.last_error = None
    delivery.sent_at = delivery.updated_at = now


async def record_failure(
    session: AsyncSession, final: bool, *, notification_id: uuid.UUID, error: str
) -> None:
    """Write down a failed attempt (the job's own transaction was rolled back)."""
    delivery = await _claim(session, notification_id)
    if delivery.status is DeliveryStatus.PENDING or delivery.status is DeliveryStatus.FAILED:
        _failed(delivery, error, final=final)
    else:  # another job sent it meanwhile
        DELIVERIES.labels(_CHANNEL, "skipped").inc()
