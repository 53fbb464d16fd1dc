"""The notifications domain's outbox handlers: a recorded notification is emailed, once.

Its handler needs the SMTP server, which the worker builds from its settings when it starts:
`handlers(mailer)` makes them with it. HANDLERS, as every domain exports them, have none: run
outside a worker, a delivery fails visibly (FAILED, logged) rather than vanishing.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from renkei import outbox
from renkei.notifications import delivery
from renkei.notifications.smtp import Mailer


def handlers(mailer: Mailer | None) -> dict[str, outbox.Handler]:
    """The handlers, sending through `mailer` (None: no SMTP server, deliveries fail visibly)."""

    async def notification_email(
        session: AsyncSession, outbox_id: uuid.UUID, payload: dict[str, Any]
    ) -> None:
        await delivery.deliver_email(
            session, mailer, notification_id=uuid.UUID(payload["notification_id"])
        )

    return {delivery.EMAIL_TOPIC: notification_email}


HANDLERS: dict[str, outbox.Handler] = handlers(None)
