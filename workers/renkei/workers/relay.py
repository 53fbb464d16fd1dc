"""Moves committed outbox messages to arq: woken by PostgreSQL's NOTIFY, polling as a fallback."""

from __future__ import annotations

import asyncio
import contextlib
import logging

import psycopg
from sqlalchemy.engine import make_url

from renkei import outbox
from renkei.db import SessionFactory

logger = logging.getLogger(__name__)


def libpq_url(sqlalchemy_url: str) -> str:
    return make_url(sqlalchemy_url).set(drivername="postgresql").render_as_string(False)


async def run_relay(
    sessions: SessionFactory,
    queue: outbox.JobQueue,
    database_url: str,
    *,
    poll_seconds: float = 2.0,
) -> None:
    """Relay until cancelled. NOTIFY comes only on commit: a rolled-back row never wakes it."""
    wake = asyncio.Event()
    listener = asyncio.create_task(_listen(libpq_url(database_url), wake))
    try:
        while True:
            try:
                while await outbox.relay_pending(sessions, queue) > 0:
                    pass
            except Exception:
                logger.exception("outbox relay failed; retrying")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(wake.wait(), poll_seconds)
            wake.clear()
    finally:
        listener.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await listener


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
