"""The job that handles every outbox message: claim it, run its topic's handler, mark it done.

Each domain's `tasks.py` exports its handlers as HANDLERS; this module only merges them, so the
outbox topics (and the one arq function, `handle_outbox_message`) stay as queued jobs know them.
The notifications domain's handlers send email, so they are made with the worker's Mailer.

A handler whose effect cannot happen now raises `outbox.RetryLater`: the job is run again after
a growing delay (arq's Retry), up to MAX_TRIES; the last failure is final and written down.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

from arq.worker import Retry
from opentelemetry import trace
from opentelemetry.trace import SpanKind

from renkei import logs, metrics, outbox, tracing
from renkei.db import SessionFactory, unit_of_work
from renkei.email_domains import tasks as email_domain_tasks
from renkei.grants import tasks as grant_tasks
from renkei.intermediaries import tasks as intermediary_tasks
from renkei.milestones import service as milestones
from renkei.milestones import tasks as milestone_tasks
from renkei.notifications import digest
from renkei.notifications import tasks as notification_tasks
from renkei.notifications.metrics import QUEUE_AGE
from renkei.notifications.smtp import Mailer
from renkei.organizations import tasks as organization_tasks
from renkei.projects import tasks as project_tasks
from renkei.regions import tasks as region_tasks
from renkei.talent import subsidy_reminders
from renkei.talent import tasks as talent_tasks
from renkei.tenancy import Viewer
from renkei.webhooks import tasks as webhook_tasks
from renkei.webhooks.service import WebhookConfig

logger = logging.getLogger(__name__)

# Tries of one outbox message, the first included; then its failure is final.
MAX_TRIES = 10
# Seconds before the next try: 30 s, 1 min, 2 min, … capped at an hour (about 4 h in all).
FIRST_RETRY_SECONDS = 30
LONGEST_RETRY_SECONDS = 3600

_DOMAINS: tuple[dict[str, outbox.Handler], ...] = (
    organization_tasks.HANDLERS,
    region_tasks.HANDLERS,
    project_tasks.HANDLERS,
    milestone_tasks.HANDLERS,
    talent_tasks.HANDLERS,
    intermediary_tasks.HANDLERS,
    email_domain_tasks.HANDLERS,
    notification_tasks.HANDLERS,
    webhook_tasks.HANDLERS,
    grant_tasks.HANDLERS,
)


def _merged(domains: tuple[dict[str, outbox.Handler], ...]) -> dict[str, outbox.Handler]:
    merged: dict[str, outbox.Handler] = {}
    for handlers in domains:
        clash = merged.keys() & handlers.keys()
        if clash:
            raise RuntimeError(f"outbox topics handled by two domains: {sorted(clash)}")
        merged.update(handlers)
    return merged


# Without a mailer (what runs a message outside a worker): an email to send fails visibly.
HANDLERS: dict[str, outbox.Handler] = _merged(_DOMAINS)


def handlers_for(
    mailer: Mailer | None,
    webhooks: WebhookConfig | None = None,
    engine: talent_tasks.EngineHost | None = None,
) -> dict[str, outbox.Handler]:
    """Every topic's handler, email sent through `mailer` (None: none configured), webhooks
    signed with secrets `webhooks` opens (None: they fail visibly), proposals computed on
    `engine`'s warm matching engine (None: rebuilt from the database for each change)."""
    return {
        **HANDLERS,
        **talent_tasks.handlers(engine),
        **notification_tasks.handlers(mailer),
        **webhook_tasks.handlers(webhooks),
    }


# Sends a message on to the worker whose it is to handle (the warm engine's holder: see
# renkei.workers.engine_seat); True when it did, and the message is left unprocessed for it.
Forward = Callable[[outbox.OutboxMessage], Awaitable[bool]]


async def handle_message(
    sessions: SessionFactory,
    message_id: uuid.UUID,
    *,
    handlers: dict[str, outbox.Handler] = HANDLERS,
    last_try: bool = False,
    forward: Forward | None = None,
) -> bool:
    """Run the message's handler once; False when it was handled before or is unknown, or
    when `forward` sent it on to another worker.

    A handler raising outbox.RetryLater has its failure written down and the message left for
    another try (the exception goes on to the caller), unless this is the `last_try`: then the
    failure is final, the message is marked processed, and an error is logged.
    Once marked processed, the time since the message was written is observed (QUEUE_AGE).
    """
    try:
        async with unit_of_work(sessions, Viewer.platform()) as session:
            message = await outbox.claim(session, message_id)
            if message is None:
                return False
            if forward is not None and await forward(message):
                return False
            topic, created_at = message.topic, message.created_at
            span = trace.get_current_span()
            span.set_attribute(tracing.TOPIC, topic)
            span.update_name(f"outbox job {topic}")
            logs.annotate(topic=topic)
            handler = handlers.get(topic)
            _report_topic(topic if handler is not None else "unknown")
            if handler is None:
                logger.error("no handler for outbox topic", extra={"topic": topic})
            else:
                await handler(session, message.id, message.payload)
            outbox.mark_processed(message)
            committed = outbox.after_commit_callbacks(session)
        for callback in committed:
            try:
                await callback()
            except Exception:  # the message is handled; what follows its commit is best effort
                logger.exception("after-commit callback failed", extra={"topic": topic})
        _observe_age(topic, created_at)
        return True
    except outbox.RetryLater as failure:
        async with unit_of_work(sessions, Viewer.platform()) as session:
            message = await outbox.claim(session, message_id)
            if message is None:  # another job handled it meanwhile
                return False
            if failure.record is not None:
                await failure.record(session, last_try)
            if last_try:
                outbox.mark_processed(message)
        if not last_try:
            raise
        report = metrics.current_job()
        if report is not None:
            report.outcome = "failed"
        _observe_age(message.topic, message.created_at)
        logger.error(
            "outbox message failed for good",
            extra={"topic": message.topic, "message_id": str(message_id), "reason": str(failure)},
        )
        return True


def _report_topic(topic: str) -> None:
    """The job's metrics name the message's topic (renkei.metrics.JOBS)."""
    report = metrics.current_job()
    if report is not None:
        report.job = f"outbox:{topic}"


def _observe_age(topic: str, created_at: datetime) -> None:
    """How long a message waited from being written to being handled (committed): once each,
    when it is done, so a message retried for hours counts once, with its hours."""
    QUEUE_AGE.labels(topic).observe(max(0.0, (datetime.now(UTC) - created_at).total_seconds()))


def retry_delay(job_try: int, delays: tuple[int, ...] | None = None) -> int:
    """Seconds to wait after the `job_try`th try failed: the handler's own `delays` (webhooks
    retry for about a day), else 30 s doubling up to an hour."""
    if delays:
        return delays[min(job_try, len(delays)) - 1]
    return int(min(FIRST_RETRY_SECONDS * 2 ** (job_try - 1), LONGEST_RETRY_SECONDS))


async def handle_outbox_message(
    ctx: dict[str, Any], message_id: str, trace_context: dict[str, str] | None = None
) -> bool:
    """arq job; the job id is the message id, so arq queues each message once.

    `trace_context`: the message's (outbox.trace_context, handed on by the relay); the job's
    span continues the trace of the change that wrote the message."""
    token = logs.request_id.set(f"outbox:{message_id}")
    fields = logs.bind(message_id=message_id)
    job_try = int(ctx.get("job_try", 1))
    try:
        with tracing.continued(
            trace_context,
            f"outbox job {outbox.JOB_NAME}",
            kind=SpanKind.CONSUMER,
            attributes={
                tracing.MESSAGE_ID: message_id,
                "renkei.job.try": job_try,
            },
        ) as span:
            handled = await handle_message(
                ctx["sessions"],
                uuid.UUID(message_id),
                handlers=ctx.get("handlers", HANDLERS),
                last_try=job_try >= MAX_TRIES,
                forward=ctx.get("forward"),
            )
            span.set_attribute("renkei.job.handled", handled)
            return handled
    except outbox.RetryLater as failure:
        delay = retry_delay(job_try, failure.delays)
        logger.warning(
            "outbox message failed; retrying",
            extra={"try": job_try, "retry_in_seconds": delay, "reason": str(failure)},
        )
        raise Retry(defer=delay) from failure
    finally:
        logs.unbind(fields)
        logs.request_id.reset(token)


async def queue_daily_reminder(ctx: dict[str, Any]) -> None:
    """arq cron job at 09:00 in Japan: the day's reminder goes out through the outbox, once."""
    async with unit_of_work(ctx["sessions"], Viewer.platform()) as session:
        await milestone_tasks.enqueue_daily_reminder(session, milestones.today())


async def queue_daily_digest(ctx: dict[str, Any]) -> None:
    """arq cron job at 09:00 in Japan: each person's digest of what they chose to read once a
    day goes out through the outbox, once."""
    async with unit_of_work(ctx["sessions"], Viewer.platform()) as session:
        await digest.enqueue_daily_digest(session, milestones.today())


async def queue_subsidy_deadlines(ctx: dict[str, Any]) -> None:
    """arq cron job at 09:00 in Japan: the day's subsidy deadline reminders go out through the
    outbox, each once."""
    async with unit_of_work(ctx["sessions"], Viewer.platform()) as session:
        await subsidy_reminders.enqueue_daily_check(session, milestones.today())


async def queue_grant_report_deadlines(ctx: dict[str, Any]) -> None:
    """arq cron job at 09:00 in Japan: the day's reminders of grant reports (実績報告) due go
    out through the outbox, each once."""
    async with unit_of_work(ctx["sessions"], Viewer.platform()) as session:
        await grant_tasks.enqueue_daily_check(session, milestones.today())


async def queue_nightly_recompute(ctx: dict[str, Any]) -> None:
    """arq cron job at 03:00 in Japan: every proposal is recomputed through the outbox, once."""
    async with unit_of_work(ctx["sessions"], Viewer.platform()) as session:
        await talent_tasks.enqueue_nightly_recompute(session, milestones.today())
