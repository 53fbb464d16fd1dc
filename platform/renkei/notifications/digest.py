"""The daily digest: at 09:00 in Japan, one email per person listing the notifications they
chose to read in a digest (DIGEST deliveries) recorded before that day began.

A cron job queues the day's digest through the outbox, once a day however often it fires (the
message id is the date's). Its handler queues one message per person, each with an id of the
person and day; that message's handler sends the person's digest. `notification_digests` holds
one row per person and day, locked while it sends: run twice, a digest is sent once. The
deliveries it lists become SENT with it; a notification recorded after the day began waits for
the next day's digest, so none is lost.
"""

from __future__ import annotations

import hashlib
import html
import logging
import uuid
from datetime import UTC, date, datetime, time
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime
from functools import partial
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from renkei import outbox
from renkei.i18n.formats import JST, format_date
from renkei.i18n.messages import _, ngettext, use_locale
from renkei.i18n.negotiation import choose
from renkei.notifications import repository
from renkei.notifications.delivery import ERROR_LENGTH, NOT_CONFIGURED
from renkei.notifications.mail import unsubscribe_address
from renkei.notifications.models import DeliveryStatus, Notification, NotificationDigest
from renkei.notifications.smtp import Mailer, SmtpRefused, SmtpUnavailable

logger = logging.getLogger(__name__)

DIGEST_TOPIC = "notification.digest"
DIGEST_EMAIL_TOPIC = "notification.digest_email"


def day_start(day: date) -> datetime:
    """When a day begins in Japan: a digest lists what was recorded before its day began."""
    return datetime.combine(day, time(0, 0), tzinfo=JST)


def _message_id(topic: str, key: str) -> uuid.UUID:
    return uuid.uuid5(uuid.NAMESPACE_URL, f"renkei:{topic}:{key}")


async def _enqueue_once(
    session: AsyncSession, message_id: uuid.UUID, topic: str, payload: dict[str, Any]
) -> None:
    await session.execute(
        insert(outbox.OutboxMessage)
        .values(id=message_id, topic=topic, payload=payload)
        .on_conflict_do_nothing(index_elements=["id"])
    )


async def enqueue_daily_digest(session: AsyncSession, on: date) -> None:
    """The digest of the day `on`, queued once however often the schedule fires."""
    await _enqueue_once(
        session, _message_id(DIGEST_TOPIC, on.isoformat()), DIGEST_TOPIC, {"on": on.isoformat()}
    )


async def daily_digest(
    session: AsyncSession, outbox_id: uuid.UUID, payload: dict[str, Any]
) -> None:
    """Queue one digest email per person with notifications waiting for it."""
    on = date.fromisoformat(payload["on"])
    for email in await repository.digest_recipients(session, before=day_start(on)):
        await _enqueue_once(
            session,
            _message_id(DIGEST_EMAIL_TOPIC, f"{email}:{on.isoformat()}"),
            DIGEST_EMAIL_TOPIC,
            {"email": email, "on": on.isoformat()},
        )


def message_id(email: str, day: date, *, public_url: str) -> str:
    """The Message-ID of a person's digest of a day: the same however often it is sent."""
    host = urlsplit(public_url).hostname or "renkei.invalid"
    # Short enough for one header line: a folded one reads back with a leading space.
    digest = hashlib.sha256(f"{email}:{day.isoformat()}".encode()).hexdigest()[:20]
    return f"<digest-{day:%Y%m%d}-{digest}@{host}>"


def compose(
    email: str,
    day: date,
    notifications: list[Notification],
    *,
    locale: str,
    mail_from: str,
    public_url: str,
) -> EmailMessage:
    """A person's digest of a day in their language: each notification's subject and body."""
    url = f"{public_url.rstrip('/')}/graphql"
    unsubscribe = unsubscribe_address(mail_from)
    with use_locale(locale) as written_in:
        subject = ngettext(
            "Renkei: {n} notification on {day}",
            "Renkei: {n} notifications on {day}",
            len(notifications),
            day=format_date(day),
        )
        intro = _(
            "Your daily digest: what Renkei recorded for you before {day}.",
            day=format_date(day),
        )
        open_text = _("Open in Renkei: {url}", url=url)
        open_label = _("Open in Renkei")
        why = _(
            "You receive this digest because you chose to read these topics once a day"
            " (updateNotificationPreferences).",
        )
    message = EmailMessage()
    message["From"] = mail_from
    message["To"] = Address(addr_spec=email)
    message["Subject"] = subject
    message["Date"] = format_datetime(datetime.now(UTC))
    message["Message-ID"] = message_id(email, day, public_url=public_url)
    message["List-Unsubscribe"] = f"<{unsubscribe}>"
    message["Auto-Submitted"] = "auto-generated"
    items = "\n\n".join(f"* {n.subject}\n{n.body}" for n in notifications)
    message.set_content(f"{intro}\n\n{items}\n\n{open_text}\n\n-- \n{why}\n", charset="utf-8")
    listed = "".join(
        f"<li><strong>{html.escape(n.subject)}</strong><br>"
        f"{html.escape(n.body).replace(chr(10), '<br>')}</li>"
        for n in notifications
    )
    message.add_alternative(
        f'<!DOCTYPE html>\n<html lang="{written_in}">\n<head><meta charset="utf-8">'
        f"<title>{html.escape(subject)}</title></head>\n<body>\n"
        f"<p>{html.escape(intro)}</p>\n<ul>{listed}</ul>\n"
        f'<p><a href="{html.escape(url)}">{html.escape(open_label)}</a></p>\n'
        f'<hr>\n<p style="font-size:small;color:#555">{html.escape(why)}</p>\n'
        "</body>\n</html>\n",
        subtype="html",
        charset="utf-8",
    )
    message["Content-Language"] = written_in
    return message


def _failed(digest: NotificationDigest, error: str, *, final: bool) -> None:
    digest.attempts += 1
    digest.last_error = error[:ERROR_LENGTH]
    digest.status = DeliveryStatus.FAILED if final else DeliveryStatus.PENDING
    log = logger.error if final else logger.warning
    log(
        "digest email failed for good" if final else "digest email failed; retrying",
        extra={"day": digest.day.isoformat(), "attempts": digest.attempts, "error": error},
    )


async def send_digest(
    session: AsyncSession, mailer: Mailer | None, *, email: str, on: date
) -> None:
    """Send a person's digest of a day unless it was sent; outbox.RetryLater when the SMTP
    server cannot take it now (the deliveries stay DIGEST for the next try)."""
    digest = await repository.digest_for_update(session, email=email, day=on)
    if digest.status is DeliveryStatus.SENT:
        return
    waiting = await repository.waiting_for_digest(session, email=email, before=day_start(on))
    if not waiting:
        return
    if mailer is None or mailer.server is None:
        _failed(digest, NOT_CONFIGURED, final=True)
        return
    notifications = [notification for _delivery, notification in waiting]
    locale = choose(
        preference=await repository.locale_of_address(session, email=email)
        or notifications[-1].locale
    )
    message = compose(
        email,
        on,
        notifications,
        locale=locale,
        mail_from=mailer.mail_from,
        public_url=mailer.public_url,
    )
    try:
        await mailer.server.send(message)
    except SmtpRefused as exc:
        _failed(digest, str(exc), final=True)
        return
    except SmtpUnavailable as exc:
        raise outbox.RetryLater(
            str(exc), record=partial(record_failure, email=email, on=on, error=str(exc))
        ) from exc
    now = datetime.now(UTC)
    digest.attempts += 1
    digest.status = DeliveryStatus.SENT
    digest.count = len(waiting)
    digest.last_error = None
    digest.sent_at = now
    for delivery, _notification in waiting:
        delivery.attempts += 1
        delivery.status = DeliveryStatus.SENT
        delivery.sent_at = delivery.updated_at = now


async def record_failure(
    session: AsyncSession, final: bool, *, email: str, on: date, error: str
) -> None:
    """Write down a failed attempt (the job's own transaction was rolled back)."""
    digest = await repository.digest_for_update(session, email=email, day=on)
    if digest.status is not DeliveryStatus.SENT:
        _failed(digest, error, final=final)
