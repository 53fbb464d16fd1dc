"""Webhooks for member systems: an organization's endpoints and the log of what each was sent."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Boolean, DateTime, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import Mapped, mapped_column

from renkei.db import Base, IdMixin, TimestampMixin, str_enum


class WebhookEndpoint(IdMixin, TimestampMixin, Base):
    """A URL an organization's system listens at, for some topics; signed with its secret."""

    __tablename__ = "webhook_endpoints"

    organization_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), index=True
    )
    url: Mapped[str] = mapped_column(String(2048))
    topics: Mapped[list[str]] = mapped_column(ARRAY(String(64)))
    description: Mapped[str | None] = mapped_column(String(300))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # AES-GCM ciphertext of the signing secret (renkei.crypto, bound to the endpoint's id).
    secret_ciphertext: Mapped[str] = mapped_column(Text)
    secret_key_id: Mapped[str] = mapped_column(String(64))
    updated_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class WebhookDeliveryStatus(StrEnum):
    PENDING = "PENDING"
    DELIVERED = "DELIVERED"
    FAILED = "FAILED"


class WebhookDelivery(IdMixin, TimestampMixin, Base):
    """One event sent to one endpoint: at most one per (endpoint, event), so an event queued
    twice is sent once; its attempts, last answer and error are the delivery log."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (
        UniqueConstraint("endpoint_id", "event_id"),
        Index("ix_webhook_deliveries_log", "endpoint_id", "created_at", "id"),
    )

    endpoint_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("webhook_endpoints.id", ondelete="CASCADE")
    )
    organization_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE")
    )
    # One event per (outbox message, organization): the same id in every endpoint's delivery.
    event_id: Mapped[uuid.UUID]
    topic: Mapped[str] = mapped_column(String(64))
    subject_id: Mapped[str | None] = mapped_column(Text)
    data: Mapped[dict[str, Any]] = mapped_column(JSONB)
    status: Mapped[WebhookDeliveryStatus] = mapped_column(
        str_enum(WebhookDeliveryStatus, "webhook_delivery_status"),
        default=WebhookDeliveryStatus.PENDING,
    )
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    response_code: Mapped[int | None] = mapped_column(Integer)
    latency_ms: Mapped[int | None] = mapped_column(Integer)
    last_error: Mapped[str | None] = mapped_column(Text)
    delivered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
