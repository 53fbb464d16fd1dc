"""Moves committed outbox messages to arq: woken by PostgreSQL's NOTIFY, polling as a fallback."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time

import psycopg
from sqlalchemy.engine import make_url

from renkei import metrics, outbox
from renkei.db import SessionFactory

logger = logging.getLogger(__name__)

# renkei_outbox_unsent_messages and the oldest's age are measured at most this often.
MEASURE_SECONDS = 1.0


def libpq_url(sqlalchemy_url: str) -> str:
    return make_url(sqlalchemy_url).set(drivername="postgresql").render_as_string(False)


async def run_relay(
    sessions: SessionFactory,
    queue: outbox.JobQueue,
    database_url: str,
    *,
    poll_seconds: float = 2.0,
    report_seconds: float = 60.0,
    route: outbox.Route | None = None,
    engine_queue: str | None = None,
) -> None:
    """Relay until cancelled. NOTIFY comes only on commit: a rolled-back row never wakes it.

    `route` sends a message to a queue other than the default (the matching engine's messages
    to `engine_queue`, which its holder reads: renkei.workers.engine_seat).
    Every `report_seconds` it logs the backlog (`worker backlog`, with `outbox_pending`,
    `queue_depth` and `engine_queue_depth`), which the deployment turns into metrics for alarms
    and autoscaling; it measures what is not yet sent for /metrics (renkei.metrics).
    """
    wake = asyncio.Event()
    listener = asyncio.create_task(_listen(libpq_url(database_url), wake))
    reported = measured = -report_seconds
    try:
        while True:
            try:
                while await outbox.relay_pending(sessions, queue, route=route) > 0:
                    pass
                if time.monotonic() - reported >= report_seconds:
                    reported = time.monotonic()
                    await _report_backlog(sessions, queue, engine_queue)
            except Exception:
                logger.exception("outbox relay failed; retrying")
            if time.monotonic() - measured >= MEASURE_SECONDS:
                measured = time.monotonic()
                # Also when the relay failed (Redis away): the oldest's age then keeps growing.
                try:
                    metrics.outbox_unsent(*await outbox.unsent(sessions))
                except Exception:  # the database is away: the relay's failure says so
                    logger.debug("outbox relay could not measure the unsent messages")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(wake.wait(), poll_seconds)
            wake.clear()
    finally:
        listener.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await listener


async def _report_backlog(
    sessions: SessionFactory, queue: outbox.JobQueue, engine_queue: str | None
) -> None:
    depth = engine_depth = None
    queue_name = getattr(queue, "default_queue_name", None)
    if queue_name is not None and hasattr(queue, "zcard"):
        depth = await queue.zcard(queue_name)
        if engine_queue is not None:
            engine_depth = await queue.zcard(engine_queue)
    logger.info(
        "worker backlog",
        extra={
            "outbox_pending": await outbox.pending_count(sessions),
            "queue_depth": depth,
            "engine_queue_depth": engine_depth,
        },
    )


async def _listen(conninfo: str, wake: asyncio.Event) -> None:
    while True:
        try:
            async with await psycopg.AsyncConnection.connect(conninfo, autocommit=True) as conn:
                await conn.execute(f"LISTEN {outbox.NOTIFY_CHANNEL}")
                async for _ in conn.notifies():
                    wake.set()
        except asyncio.CancelledError:
            raise
        except Exception:
            logger.warning("outbox listener lost its connection; polling until it is back")
            await asyncio.sleep(5)
