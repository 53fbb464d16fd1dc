"""Every query of the notifications domain: who, in an organization, is told, in what language."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import Select, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from renkei.identity.models import User
from renkei.notifications.models import Notification, NotificationDelivery
from renkei.organizations.models import Membership, Organization
from renkei.tenancy import MembershipRole


async def member_emails(
    session: AsyncSession,
    *,
    organization_ids: Sequence[uuid.UUID],
    roles: Sequence[MembershipRole],
) -> list[tuple[str, uuid.UUID, str | None, str | None]]:
    """(email, organization id, user's locale, organization's default locale) of active people
    with these roles, by email."""
    rows = await session.execute(
        select(User.email, Membership.organization_id, User.locale, Organization.default_locale)
        .join(Membership, Membership.user_id == User.id)
        .join(Organization, Organization.id == Membership.organization_id)
        .where(
            Membership.organization_id.in_(organization_ids),
            Membership.role.in_(roles),
            User.deactivated_at.is_(None),
            User.is_service_account.is_(False),
        )
        .order_by(User.email)
    )
    return [(email, org, locale, org_locale) for email, org, locale, org_locale in rows]


async def locales_of_address(
    session: AsyncSession, *, email: str, organization_id: uuid.UUID
) -> tuple[str | None, str | None]:
    """The saved locale of the user at an address (if any) and an organization's default."""
    user_locale = select(User.locale).where(User.email == email.lower()).scalar_subquery()
    row = (
        await session.execute(
            select(user_locale, Organization.default_locale).where(
                Organization.id == organization_id
            )
        )
    ).one()
    return row[0], row[1]


async def user_email_and_locale(
    session: AsyncSession, *, user_id: uuid.UUID
) -> tuple[str, str | None]:
    """A user's address and saved locale."""
    row = (await session.execute(select(User.email, User.locale).where(User.id == user_id))).one()
    return row.email, row.locale


async def notification(session: AsyncSession, notification_id: uuid.UUID) -> Notification | None:
    return await session.get(Notification, notification_id)


async def delivery_for_update(
    session: AsyncSession, *, notification_id: uuid.UUID, channel: str
) -> NotificationDelivery | None:
    """A notification's delivery through a channel, locked until the transaction ends: two jobs
    delivering it take turns, and the second sees what the first did."""
    return await session.scalar(
        select(NotificationDelivery)
        .where(
            NotificationDelivery.notification_id == notification_id,
            NotificationDelivery.channel == channel,
        )
        .with_for_update()
        .execution_options(populate_existing=True)
    )


def inbox(email: str, *, unread_only: bool = False) -> Select[Notification]:
    """A person's notifications (row-level security shows them only their own)."""
    stmt = select(Notification).where(Notification.recipient_email == email.lower())
    return stmt.where(Notification.read_at.is_(None)) if unread_only else stmt


async def unread_count(session: AsyncSession, *, email: str) -> int:
    """How many of a person's notifications are unread."""
    stmt = select(func.count()).select_from(inbox(email, unread_only=True).subquery())
    return int(await session.scalar(stmt) or 0)


async def mark_read(session: AsyncSession, *, email: str, ids: Sequence[uuid.UUID] | None) -> int:
    """Mark a person's unread notifications read (these ids, or all); how many changed."""
    stmt = (
        update(Notification)
        .where(Notification.recipient_email == email.lower(), Notification.read_at.is_(None))
        .values(read_at=func.now())
        .execution_options(synchronize_session=False)
    )
    if ids is not None:
        stmt = stmt.where(Notification.id.in_(ids))
    result = await session.execute(stmt)
    return int(result.rowcount)  # type: ignore[attr-defined]
