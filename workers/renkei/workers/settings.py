"""arq worker settings, built from the runtime: the job functions and the outbox relay."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
from datetime import timedelta, timezone
from typing import Any

from arq import cron
from arq.connections import RedisSettings
from arq.constants import default_queue_name
from arq.worker import Retry as ArqRetry
from arq.worker import Worker
from redis.asyncio.retry import Retry
from redis.backoff import ExponentialBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from renkei.metrics import observed_job
from renkei.notifications.smtp import Mailer
from renkei.runtime import Runtime
from renkei.webhooks.service import WebhookConfig
from renkei.workers.engine_seat import EngineSeat
from renkei.workers.jobs import (
    MAX_TRIES,
    handle_outbox_message,
    handlers_for,
    queue_daily_digest,
    queue_daily_reminder,
    queue_grant_report_deadlines,
    queue_nightly_recompute,
    queue_subsidy_deadlines,
)
from renkei.workers.relay import run_relay
from renkei.workers.talent_engine import EngineKeys, LeaseTiming

# Japan keeps no daylight saving time: a fixed offset is its time zone.
JAPAN = timezone(timedelta(hours=9), "JST")

# Redis may go away for a while (a failover, a restart). The worker's commands wait for it,
# trying again every REDIS_RETRY_SECONDS at most, for about REDIS_OUTAGE_SECONDS; arq's worker
# would otherwise die on the first refused connection, and `renkei run` with it. Longer, the
# worker exits and its supervisor starts it again. Nothing is lost meanwhile: what is committed
# waits in the outbox, and the relay queues it once Redis is back.
REDIS_RETRY_SECONDS = 2.0
REDIS_OUTAGE_SECONDS = 300


def redis_settings(url: str) -> RedisSettings:
    """The worker's Redis settings: `url`, with commands that wait out an outage."""
    return dataclasses.replace(
        RedisSettings.from_dsn(url),
        retry=Retry(
            ExponentialBackoff(cap=REDIS_RETRY_SECONDS, base=0.05),
            int(REDIS_OUTAGE_SECONDS / REDIS_RETRY_SECONDS),
        ),
        retry_on_error=[RedisConnectionError, RedisTimeoutError, OSError],
    )


# Two days: longer than any handler's retries (webhooks retry for about 24.6 hours).
JOB_KEPT_MS = 2 * 24 * 3600 * 1000


def create_worker(
    runtime: Runtime,
    *,
    burst: bool = False,
    relay: bool = True,
    queue_name: str = default_queue_name,
    handle_signals: bool = False,
    engine_scope: str | None = None,
    engine_timing: LeaseTiming | None = None,
) -> Worker:
    """An arq worker for this runtime's Redis; it also runs the outbox relay unless told not to.

    The relay queues through the worker's own pool, whose default queue is `queue_name`, so a
    worker on another queue (tests, a second deployment) relays to the queue it reads.
    `handle_signals`: stop gracefully on SIGTERM/SIGINT (a worker on its own; not when it shares
    the event loop with the API in `renkei run`).
    The workers of one `engine_scope` (by default: of one `queue_name`) share one warm matching
    engine, held by one of them (renkei.workers.engine_seat), its lease timed by `engine_timing`.
    """
    options: dict[str, Any] = {
        "timezone": JAPAN,
        "redis_settings": redis_settings(runtime.redis_url),
        # A queued job (and its retries, which keep its first deadline) lives this long: the
        # webhooks' retries span a day (renkei.webhooks.tasks.RETRY_DELAYS).
        "expires_extra_ms": JOB_KEPT_MS,
        "max_tries": MAX_TRIES,
        "keep_result": 3600,
    }

    async def on_startup(ctx: dict[str, Any]) -> None:
        ctx["sessions"] = runtime.sessions
        # The SMTP server is resolved once, at start: RENKEI_SMTP_URL, or the embedded one
        # `renkei run` started. Every job sends through it (see renkei.notifications.tasks).
        mailer = Mailer.from_settings(runtime.settings, smtp_url=runtime.smtp_url)
        webhooks = WebhookConfig(
            box=runtime.secret_box, production=not runtime.settings.development
        )
        seat = EngineSeat(
            sessions=runtime.sessions,
            redis=ctx["redis"],
            redis_url=runtime.redis_url,
            handlers=lambda ownership: handlers_for(mailer, webhooks, ownership),
            worker_options=options,
            keys=EngineKeys.scoped(engine_scope or queue_name),
            timing=engine_timing,
            burst=burst,
        )
        ctx["engine_seat"] = seat
        ctx["handlers"] = seat.handlers
        # The engine's messages are its holder's, one at a time: this worker sends them on.
        ctx["forward"] = seat.forward
        await seat.start()
        if relay:
            ctx["relay"] = asyncio.create_task(
                run_relay(
                    runtime.sessions,
                    ctx["redis"],
                    runtime.app_url,
                    route=seat.route,
                    engine_queue=seat.keys.queue,
                )
            )

    async def on_shutdown(ctx: dict[str, Any]) -> None:
        task = ctx.get("relay")
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        seat = ctx.get("engine_seat")
        if seat is not None:
            await seat.stop()

    def counted(job: Any) -> Any:  # renkei_jobs_total{job, outcome}
        return observed_job(job, retry=ArqRetry)

    return Worker(
        functions=[counted(handle_outbox_message)],
        cron_jobs=(
            [
                cron(counted(queue_daily_reminder), hour=9, minute=0),
                cron(counted(queue_daily_digest), hour=9, minute=0),
                cron(counted(queue_subsidy_deadlines), hour=9, minute=0),
                cron(counted(queue_grant_report_deadlines), hour=9, minute=0),
                cron(counted(queue_nightly_recompute), hour=3, minute=0),
            ]
            if relay
            else []
        ),
        queue_name=queue_name,
        on_startup=on_startup,
        on_shutdown=on_shutdown,
        burst=burst,
        handle_signals=handle_signals,
        **options,
    )
