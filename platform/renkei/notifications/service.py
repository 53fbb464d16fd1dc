"""Recording notifications, idempotently (one per outbox message and recipient), and to whom."""

from __future__ import annotations

import uuid

from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from renkei.notifications import repository
from renkei.notifications.models import Notification
from renkei.tenancy import MembershipRole

# People are notified through their organizations: its owners, admins and members (not viewers).
NOTIFIED_ROLES = (MembershipRole.OWNER, MembershipRole.ADMIN, MembershipRole.MEMBER)
MANAGERS = (MembershipRole.OWNER, MembershipRole.ADMIN)


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


async def people_to_tell(
    session: AsyncSession,
    organization_ids: list[uuid.UUID],
    roles: tuple[MembershipRole, ...] = NOTIFIED_ROLES,
) -> list[tuple[str, uuid.UUID]]:
    """(email, organization id) of the people to tell, active accounts only, each once."""
    rows = await repository.member_emails(session, organization_ids=organization_ids, roles=roles)
    seen: dict[str, uuid.UUID] = {}
    for email, organization_id in rows:
        seen.setdefault(email, organization_id)
    return list(seen.items())


async def tell(
    session: AsyncSession,
    outbox_id: uuid.UUID,
    people: list[tuple[str, uuid.UUID]],
    *,
    kind: str,
    subject: str,
    body: str,
) -> int:
    """Record the notification for each person; how many were told for the first time."""
    told = 0
    for email, organization_id in people:
        told += await record(
            session,
            outbox_id=outbox_id,
            recipient_email=email,
            organization_id=organization_id,
            kind=kind,
            subject=subject,
            body=body,
        )
    return told
