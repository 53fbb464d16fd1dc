"""The job that handles every outbox message: claim it, run its topic's handler, mark it done.

Each domain's `tasks.py` exports its handlers as HANDLERS; this module only merges them, so the
outbox topics (and the one arq function, `handle_outbox_message`) stay as queued jobs know them.
"""

from __future__ import annotations

import logging
import uuid
from typing import Any

from renkei import logs, outbox
from renkei.db import SessionFactory, unit_of_work
from renkei.email_domains import tasks as email_domain_tasks
from renkei.milestones import service as milestones
from renkei.milestones import tasks as milestone_tasks
from renkei.organizations import tasks as organization_tasks
from renkei.projects import tasks as project_tasks
from renkei.regions import tasks as region_tasks
from renkei.talent import tasks as talent_tasks
from renkei.tenancy import Viewer

logger = logging.getLogger(__name__)

_DOMAINS: tuple[dict[str, outbox.Handler], ...] = (
    organization_tasks.HANDLERS,
    region_tasks.HANDLERS,
    project_tasks.HANDLERS,
    milestone_tasks.HANDLERS,
    talent_tasks.HANDLERS,
    email_domain_tasks.HANDLERS,
)


def _merged(domains: tuple[dict[str, outbox.Handler], ...]) -> dict[str, outbox.Handler]:
    merged: dict[str, outbox.Handler] = {}
    for handlers in domains:
        clash = merged.keys() & handlers.keys()
        if clash:
            raise RuntimeError(f"outbox topics handled by two domains: {sorted(clash)}")
        merged.update(handlers)
    return merged


HANDLERS: dict[str, outbox.Handler] = _merged(_DOMAINS)


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
        await milestone_tasks.enqueue_daily_reminder(session, milestones.today())


async def queue_nightly_recompute(ctx: dict[str, Any]) -> None:
    """arq cron job at 03:00 in Japan: every proposal is recomputed through the outbox, once."""
    async with unit_of_work(ctx["sessions"], Viewer.platform()) as session:
        await talent_tasks.enqueue_nightly_recompute(session, milestones.today())
