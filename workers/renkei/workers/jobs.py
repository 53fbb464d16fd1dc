"""The job that handles every outbox message: claim it, run its topic's handler, mark it done."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from renkei import logs, outbox
from renkei.db import SessionFactory, unit_of_work
from renkei.email_domains import tasks as email_domain_jobs
from renkei.notifications import collaboration
from renkei.notifications import talent as talent_jobs
from renkei.organizations import service as organizations
from renkei.projects import milestones
from renkei.projects import service as projects
from renkei.regions import service as regions
from renkei.talent import lifecycle as matches
from renkei.talent import service as talent
from renkei.tenancy import Viewer

logger = logging.getLogger(__name__)

Handler = Callable[[AsyncSession, uuid.UUID, dict[str, Any]], Awaitable[None]]


async def _invitation_created(
    session: AsyncSession, message_id: uuid.UUID, payload: dict[str, Any]
) -> None:
    await organizations.notify_invitee(
        session, outbox_id=message_id, invitation_id=uuid.UUID(payload["invitation_id"])
    )


HANDLERS: dict[str, Handler] = {
    organizations.INVITATION_CREATED: _invitation_created,
    regions.REGION_INVITED: collaboration.region_invited,
    projects.PROJECT_INVITED: collaboration.project_invited,
    milestones.MILESTONE_STATUS_CHANGED: collaboration.milestone_status_changed,
    milestones.MILESTONE_AT_RISK: collaboration.milestone_at_risk,
    milestones.MILESTONE_RESCHEDULED: collaboration.milestone_rescheduled,
    collaboration.DAILY_REMINDER: collaboration.daily_reminder,
    talent.NEED_CHANGED: talent_jobs.need_changed,
    talent.PROFILE_CHANGED: talent_jobs.profile_changed,
    talent_jobs.NIGHTLY_RECOMPUTE: talent_jobs.nightly_recompute,
    matches.MATCH_STEP: talent_jobs.match_step,
    **email_domain_jobs.HANDLERS,
}


async def handle_message(sessions: SessionFactory, message_id: uuid.UUID) -> bool:
    """Run the message's handler once; False when it was handled before or is unknown."""
    async with unit_of_work(sessions, Viewer.platform()) as session:
        message = await outbox.claim(session, message_id)
        if message is None:
            return False
        handler = HANDLERS.get(message.topic)
        if handler is None:
            logger.error("no handler for outbox topic", extra={"topic": message.topic})
        else:
            await handler(session, message.id, message.payload)
        outbox.mark_processed(message)
        return True


async def handle_outbox_message(ctx: dict[str, Any], message_id: str) -> bool:
    """arq job; the job id is the message id, so arq queues each message once."""
    token = logs.request_id.set(f"outbox:{message_id}")
    try:
        return await handle_message(ctx["sessions"], uuid.UUID(message_id))
    finally:
        logs.request_id.reset(token)


async def queue_daily_reminder(ctx: dict[str, Any]) -> None:
    """arq cron job at 09:00 in Japan: the day's reminder goes out through the outbox, once."""
    async with unit_of_work(ctx["sessions"], Viewer.platform()) as session:
        await collaboration.enqueue_daily_reminder(session, milestones.today())


async def queue_nightly_recompute(ctx: dict[str, Any]) -> None:
    """arq cron job at 03:00 in Japan: every proposal is recomputed through the outbox, once."""
    async with unit_of_work(ctx["sessions"], Viewer.platform()) as session:
        await talent_jobs.enqueue_nightly_recompute(session, milestones.today())
