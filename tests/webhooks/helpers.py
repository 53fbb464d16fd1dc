"""Running the outbox as the worker does, with webhooks configured, and reading the log."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from factories import run_outbox_messages
from renkei.db import SessionFactory, unit_of_work
from renkei.identity import service as identity
from renkei.identity.scopes import ALL_SCOPES
from renkei.tenancy import Viewer
from renkei.webhooks.models import WebhookDelivery
from renkei.webhooks.service import WebhookConfig
from renkei.workers.jobs import handlers_for


async def run_outbox(sessions: SessionFactory, config: WebhookConfig) -> int:
    """Handle every unprocessed outbox message (those handlers add too) until none is left but
    those that failed in this run; how many were handled. No SMTP server: emails fail visibly."""
    return await run_outbox_messages(sessions, handlers_for(None, config))


async def deliveries(sessions: SessionFactory) -> list[WebhookDelivery]:
    async with unit_of_work(sessions, Viewer.platform()) as session:
        return list(
            await session.scalars(
                select(WebhookDelivery).order_by(WebhookDelivery.created_at, WebhookDelivery.id)
            )
        )


@asynccontextmanager
async def acting(
    sessions: SessionFactory, user_id: uuid.UUID, organization_id: uuid.UUID
) -> AsyncIterator[tuple[AsyncSession, Viewer]]:
    """A transaction acting as a user for an organization, as a request would."""
    async with sessions() as session, session.begin():
        viewer = await identity.viewer_for(
            session, user_id, organization_id=organization_id, scopes=ALL_SCOPES
        )
        yield session, viewer
