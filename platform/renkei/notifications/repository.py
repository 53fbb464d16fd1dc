"""Every query of the notifications domain: who, in an organization, is told, in what language."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date, datetime

from sqlalchemy import Select, func, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from renkei.identity.models import User
from renkei.notifications.models import (
    DeliveryStatus,
    Notification,
    NotificationDelivery,
    NotificationDigest,
    NotificationPreference,
)
from renkei.notifications.topics import DeliveryMode
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


async def preferences(session: AsyncSession, *, user_id: uuid.UUID) -> dict[str, DeliveryMode]:
    """A person's chosen mode per topic (topics they never chose are absent)."""
    rows = await session.execute(
        select(NotificationPreference.topic, NotificationPreference.mode).where(
            NotificationPreference.user_id == user_id
        )
    )
    return {topic: mode for topic, mode in rows}


async def set_preference(
    session: AsyncSession, *, user_id: uuid.UUID, topic: str, mode: DeliveryMode
) -> None:
    """Choose a person's mode for a topic (row-level security: only their own)."""
    await session.execute(
        insert(NotificationPreference)
        .values(id=uuid.uuid4(), user_id=user_id, topic=topic, mode=mode.value)
        .on_conflict_do_update(index_elements=["user_id", "topic"], set_={"mode": mode.value})
    )


async def preference_of_address(
    session: AsyncSession, *, email: str, topic: str
) -> DeliveryMode | None:
    """The mode the user at an address chose for a topic; None when none (or no such user)."""
    mode = await session.scalar(
        select(NotificationPreference.mode)
        .join(User, User.id == NotificationPreference.user_id)
        .where(User.email == email.lower(), NotificationPreference.topic == topic)
    )
    return DeliveryMode(mode) if mode is not None else None


async def required_topics(session: AsyncSession, *, organization_id: uuid.UUID) -> list[str]:
    """The topics an organization requires its people be emailed about at once."""
    topics = await session.scalar(
        select(Organization.required_email_topics).where(Organization.id == organization_id)
    )
    return list(topics or [])


async def required_topics_of_user(session: AsyncSession, *, user_id: uuid.UUID) -> set[str]:
    """The topics any organization of the user requires emailed."""
    rows = await session.scalars(
        select(func.unnest(Organization.required_email_topics))
        .join(Membership, Membership.organization_id == Organization.id)
        .where(Membership.user_id == user_id)
    )
    return set(rows)


async def organization_for_update(
    session: AsyncSession, organization_id: uuid.UUID
) -> Organization | None:
    return await session.get(Organization, organization_id, with_for_update=True)


async def digest_recipients(session: AsyncSession, *, before: datetime) -> list[str]:
    """The addresses with notifications waiting for a digest, recorded before `before`."""
    rows = await session.scalars(
        select(Notification.recipient_email)
        .join(NotificationDelivery, NotificationDelivery.notification_id == Notification.id)
        .where(
            NotificationDelivery.status == DeliveryStatus.DIGEST,
            Notification.created_at < before,
        )
        .distinct()
        .order_by(Notification.recipient_email)
    )
    return list(rows)


async def waiting_for_digest(
    session: AsyncSession, *, email: str, before: datetime
) -> list[tuple[NotificationDelivery, Notification]]:
    """A person's notifications waiting for a digest, oldest first, their deliveries locked."""
    rows = await session.execute(
        select(NotificationDelivery, Notification)
        .join(Notification, Notification.id == NotificationDelivery.notification_id)
        .where(
            Notification.recipient_email == email,
            NotificationDelivery.status == DeliveryStatus.DIGEST,
            Notification.created_at < before,
        )
        .order_by(Notification.created_at, Notification.id)
        .with_for_update(of=NotificationDelivery)
        .execution_options(populate_existing=True)
    )
    return [(delivery, notification) for delivery, notification in rows]


async def digest_for_update(session: AsyncSession, *, email: str, day: date) -> NotificationDigest:
    """The digest of a person and day, made PENDING if new, locked until the transaction ends."""
    await session.execute(
        insert(NotificationDigest)
        .values(
            id=uuid.uuid4(),
            recipient_email=email,
            day=day,
            status=DeliveryStatus.PENDING.value,
            count=0,
            attempts=0,
        )
        .on_conflict_do_nothing(index_elements=["recipient_email", "day"])
    )
    digest = await session.scalar(
        select(NotificationDigest)
        .where(NotificationDigest.recipient_email == email, NotificationDigest.day == day)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    assert digest is not None
    return digest


async def locale_of_address(session: AsyncSession, *, email: str) -> str | None:
    """The saved locale of the user at an address, if any."""
    return await session.scalar(select(User.locale).where(User.email == email.lower()))
