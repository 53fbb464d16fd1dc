"""The notifications domain's outbox handlers: a recorded notification is emailed, once; the
daily digest is queued per person and each person's digest emailed, once.

Its handler needs the SMTP server, which the worker builds from its settings when it starts:
`handlers(mailer)` makes them with it. HANDLERS, as every domain exports them, have none: run
outside a worker, a delivery fails visibly (FAILED, logged) rather than vanishing.
"""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from renkei import outbox
from renkei.notifications import delivery, digest
from renkei.notifications.smtp import Mailer


def handlers(mailer: Mailer | None) -> dict[str, outbox.Handler]:
    """The handlers, sending through `mailer` (None: no SMTP server, deliveries fail visibly)."""

    async def notification_email(
        session: AsyncSession, outbox_id: uuid.UUID, payload: dict[str, Any]
    ) -> None:
        await delivery.deliver_email(
            session, mailer, notification_id=uuid.UUID(payload["notification_id"])
        )

    async def digest_email(
        session: AsyncSession, outbox_id: uuid.UUID, payload: dict[str, Any]
    ) -> None:
        await digest.send_digest(
            session, mailer, email=payload["email"], on=date.fromisoformat(payload["on"])
        )

    return {
        delivery.EMAIL_TOPIC: notification_email,
        digest.DIGEST_TOPIC: digest.daily_digest,
        digest.DIGEST_EMAIL_TOPIC: digest_email,
    }


HANDLERS: dict[str, outbox.Handler] = handlers(None)
