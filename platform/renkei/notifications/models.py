"""Notifications recorded for people; the delivery channels (mail, chat) come later."""

from __future__ import annotations

import uuid

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from renkei.db import Base, IdMixin, TimestampMixin


class Notification(IdMixin, TimestampMixin, Base):
    __tablename__ = "notifications"
    __table_args__ = (UniqueConstraint("outbox_id", "recipient_email"),)

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
