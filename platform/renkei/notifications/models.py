"""Notifications recorded for people, read in their inbox, and delivered by email (one row per
channel)."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import Date, DateTime, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from renkei.db import Base, IdMixin, TimestampMixin, str_enum
from renkei.notifications.topics import DeliveryMode


class Notification(IdMixin, TimestampMixin, Base):
    __tablename__ = "notifications"
    __table_args__ = (
        UniqueConstraint("outbox_id", "recipient_email"),
        # A person's inbox, newest first or oldest first (migration 0022).
        Index("ix_notifications_inbox", "recipient_email", "created_at", "id"),
    )

    # One notification per outbox message and recipient: a handler run twice writes it once.
    outbox_id: Mapped[uuid.UUID]
    recipient_email: Mapped[str] = mapped_column(String(320), index=True)
    organization_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE")
    )
    kind: Mapped[str] = mapped_column(String(64))
    subject: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    # The language the subject and body are written in: the recipient's.
    locale: Mapped[str | None] = mapped_column(String(8))
    # The global id (as the API spells it) of what this is about: the milestone, the
    # invitation, the match...; null when it is about several things.
    subject_id: Mapped[str | None] = mapped_column(Text)
    # When the recipient marked it read; null while unread.
    read_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class DeliveryChannel(StrEnum):
    EMAIL = "email"


class DeliveryStatus(StrEnum):
    PENDING = "PENDING"
    SENT = "SENT"
    FAILED = "FAILED"
    # Not emailed alone, by the recipient's preference (migration 0024): DIGEST waits for the
    # day's digest (then SENT, with it); INBOX is read in the inbox only, never emailed.
    DIGEST = "DIGEST"
    INBOX = "INBOX"


class NotificationDelivery(IdMixin, TimestampMixin, Base):
    """A notification's delivery through one channel: at most one per (notification, channel),
    so a job run twice finds it SENT and sends nothing again."""

    __tablename__ = "notification_deliveries"
    __table_args__ = (UniqueConstraint("notification_id", "channel"),)

    notification_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("notifications.id", ondelete="CASCADE")
    )
    channel: Mapped[str] = mapped_column(String(16))
    status: Mapped[DeliveryStatus] = mapped_column(
        str_enum(DeliveryStatus, "delivery_status"), default=DeliveryStatus.PENDING
    )
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    # Why the last attempt failed (the SMTP server's answer, or why none was tried).
    last_error: Mapped[str | None] = mapped_column(Text)
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class NotificationPreference(IdMixin, TimestampMixin, Base):
    """How a person is told of one topic; a topic without a row is emailed at once."""

    __tablename__ = "notification_preferences"
    __table_args__ = (UniqueConstraint("user_id", "topic"),)

    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    topic: Mapped[str] = mapped_column(String(64))
    mode: Mapped[DeliveryMode] = mapped_column(str_enum(DeliveryMode, "delivery_mode"))


class NotificationDigest(IdMixin, TimestampMixin, Base):
    """The digest email of one person and day: at most one, so a digest run twice sends once."""

    __tablename__ = "notification_digests"
    __table_args__ = (UniqueConstraint("recipient_email", "day"),)

    recipient_email: Mapped[str] = mapped_column(String(320))
    day: Mapped[date] = mapped_column(Date)
    status: Mapped[DeliveryStatus] = mapped_column(
        str_enum(DeliveryStatus, "delivery_status"), default=DeliveryStatus.PENDING
    )
    # How many notifications it listed.
    count: Mapped[int] = mapped_column(Integer, default=0)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
