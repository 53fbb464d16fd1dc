"""Every query of the webhooks domain (row-level security shows an organization only its own)."""

from __future__ import annotations

import uuid

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from renkei.webhooks.models import WebhookDelivery, WebhookEndpoint


async def endpoint(session: AsyncSession, endpoint_id: uuid.UUID) -> WebhookEndpoint | None:
    return await session.get(WebhookEndpoint, endpoint_id, populate_existing=True)


async def endpoints_of(
    session: AsyncSession, *, organization_id: uuid.UUID
) -> list[WebhookEndpoint]:
    rows = await session.scalars(
        select(WebhookEndpoint)
        .where(WebhookEndpoint.organization_id == organization_id)
        .order_by(WebhookEndpoint.created_at, WebhookEndpoint.id)
    )
    return list(rows)


async def subscribed(
    session: AsyncSession, *, organization_id: uuid.UUID, topic: str
) -> list[WebhookEndpoint]:
    """The organization's active endpoints listening to `topic`."""
    rows = await session.scalars(
        select(WebhookEndpoint).where(
            WebhookEndpoint.organization_id == organization_id,
            WebhookEndpoint.active.is_(True),
            WebhookEndpoint.topics.contains([topic]),
        )
    )
    return list(rows)


def deliveries(endpoint_id: uuid.UUID) -> Select[WebhookDelivery]:
    """An endpoint's delivery log (paged by the caller, oldest first)."""
    return select(WebhookDelivery).where(WebhookDelivery.endpoint_id == endpoint_id)


async def delivery_for_update(
    session: AsyncSession, delivery_id: uuid.UUID
) -> WebhookDelivery | None:
    """A delivery, locked while a job sends it: two jobs for it take turns."""
    return await session.scalar(
        select(WebhookDelivery)
        .where(WebhookDelivery.id == delivery_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
