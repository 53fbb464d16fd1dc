"""Recording notifications. Idempotent: one per outbox message and recipient."""

from __future__ import annotations

import uuid

from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from renkei.notifications.models import Notification


async def record(
    session: AsyncSession,
    *,
    outbox_id: uuid.UUID,
    recipient_email: str,
    organization_id: uuid.UUID | None,
    kind: str,
    subject: str,
    body: str,
) -> bool:
    """Record a notification; False when this message already notified this recipient."""
    result = await session.execute(
        insert(Notification)
        .values(
            id=uuid.uuid4(),
            outbox_id=outbox_id,
            recipient_email=recipient_email,
            organization_id=organization_id,
            kind=kind,
            subject=subject,
            body=body,
        )
        .on_conflict_do_nothing(index_elements=["outbox_id", "recipient_email"])
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]
