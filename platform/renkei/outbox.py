"""The transactional outbox: side effects are rows written with the change that causes them.

A relay moves committed rows to arq with the outbox id as the job id, so a row sent twice is
queued once; the job records `processed_at` in the same transaction as its effect, so a job run
twice has its effect once. A rolled-back change never reaches the queue: its row never existed.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any, Protocol

from opentelemetry.trace import SpanKind
from sqlalchemy import DateTime, Index, String, func, select, text, update
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from renkei import tracing
from renkei.db import Base, IdMixin, SessionFactory, unit_of_work
from renkei.tenancy import Viewer

logger = logging.getLogger(__name__)

# The arq function that handles every outbox message; the topic picks the handler inside it.
JOB_NAME = "handle_outbox_message"
NOTIFY_CHANNEL = "renkei_outbox"

# A topic's handler, as each domain's tasks.HANDLERS maps them: (session, outbox id, payload),
# run by a worker as the platform in the transaction that marks the message processed.
Handler = Callable[[AsyncSession, uuid.UUID, dict[str, Any]], Awaitable[None]]

# Writes down why a handler's effect failed, in a transaction of its own: (session, final),
# final when no retry follows.
FailureRecorder = Callable[[AsyncSession, bool], Awaitable[None]]


class RetryLater(Exception):
    """A handler's effect could not happen now (a server it talks to is down): its transaction
    is rolled back, `record` writes the failure in a new one, and the worker runs the message
    again after a delay, until its last try, after which the failure is final (never dropped
    without a trace: `record` is called with final=True and the message is marked processed).
    `delays`: this topic's own seconds between tries (the nth after the nth try), else the
    worker's default backoff."""

    def __init__(
        self,
        reason: str,
        *,
        record: FailureRecorder | None = None,
        delays: tuple[int, ...] | None = None,
    ) -> None:
        super().__init__(reason)
        self.record = record
        self.delays = delays


class OutboxMessage(IdMixin, Base):
    __tablename__ = "outbox"
    __table_args__ = (
        Index("ix_outbox_unrelayed", "created_at", postgresql_where=text("relayed_at IS NULL")),
    )

    topic: Mapped[str] = mapped_column(String(100))
    payload: Mapped[dict[str, Any]] = mapped_column(JSONB)
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=lambda: datetime.now(UTC)
    )
    relayed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    processed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # The W3C trace context of the span that wrote it: its job continues that trace.
    trace_context: Mapped[dict[str, str] | None] = mapped_column(JSONB)


def enqueue(session: AsyncSession, topic: str, payload: dict[str, Any]) -> OutboxMessage:
    """Add a message to the current transaction; it leaves only if the transaction commits."""
    message = OutboxMessage(
        id=uuid.uuid4(), topic=topic, payload=payload, trace_context=tracing.trace_context()
    )
    session.add(message)
    return message


class JobQueue(Protocol):
    async def enqueue_job(
        self,
        function: str,
        *args: Any,
        _job_id: str | None = None,
        _queue_name: str | None = None,
        **kwargs: Any,
    ) -> Any: ...


# The queue a message goes to: a name, or None for the queue's default.
Route = Callable[[str, dict[str, Any]], str | None]


async def relay_pending(
    sessions: SessionFactory, queue: JobQueue, *, batch: int = 100, route: Route | None = None
) -> int:
    """Queue committed, unsent messages; return how many. Safe to run from several processes.

    `route(topic, payload)` names the queue of a message that is not the default one's."""
    async with unit_of_work(sessions, Viewer.platform()) as session:
        rows = (
            await session.scalars(
                select(OutboxMessage)
                .where(OutboxMessage.relayed_at.is_(None))
                .order_by(OutboxMessage.created_at)
                .limit(batch)
                .with_for_update(skip_locked=True)
            )
        ).all()
        for message in rows:
            # A job id arq already holds is not queued again, so a relay that dies after
            # queueing and before committing cannot make a second job.
            queue_name = route(message.topic, message.payload) if route is not None else None
            # In the trace of the change that wrote it, which the job continues.
            with tracing.continued(
                message.trace_context,
                f"outbox relay {message.topic}",
                kind=SpanKind.PRODUCER,
                attributes={tracing.MESSAGE_ID: str(message.id), tracing.TOPIC: message.topic},
            ):
                await queue.enqueue_job(
                    JOB_NAME,
                    str(message.id),
                    _job_id=str(message.id),
                    _queue_name=queue_name,
                    **job_trace(),
                )
        if rows:
            await session.execute(
                update(OutboxMessage)
                .where(OutboxMessage.id.in_([m.id for m in rows]))
                .values(relayed_at=text("now()"))
            )
        return len(rows)


def job_trace() -> dict[str, Any]:
    """The keyword arguments of a job queued now that carry the current span's trace context
    (the relay's, in the trace of the change that wrote the message), when there is one."""
    carrier = tracing.trace_context()
    return {"trace_context": carrier} if carrier else {}


async def pending_count(sessions: SessionFactory) -> int:
    """Committed messages not yet handed to the queue."""
    async with unit_of_work(sessions, Viewer.platform()) as session:
        count = await session.scalar(
            select(func.count())
            .select_from(OutboxMessage)
            .where(OutboxMessage.relayed_at.is_(None))
        )
        return int(count or 0)


async def unsent(sessions: SessionFactory) -> tuple[int, datetime | None]:
    """How many committed messages are not yet handed to the queue, and the oldest's time."""
    async with unit_of_work(sessions, Viewer.platform()) as session:
        count, oldest = (
            await session.execute(
                select(func.count(), func.min(OutboxMessage.created_at)).where(
                    OutboxMessage.relayed_at.is_(None)
                )
            )
        ).one()
        return int(count or 0), oldest


async def claim(session: AsyncSession, message_id: uuid.UUID) -> OutboxMessage | None:
    """Lock an unprocessed message for its handler; None when it is unknown or done already."""
    message = await session.scalar(
        select(OutboxMessage).where(OutboxMessage.id == message_id).with_for_update()
    )
    if message is None or message.processed_at is not None:
        return None
    return message


def after_commit(session: AsyncSession, callback: Callable[[], Awaitable[None]]) -> None:
    """Run `callback` once the handler's transaction has committed (the worker runs it): what
    other processes must learn only when the change is visible to them."""
    session.info.setdefault(_AFTER_COMMIT, []).append(callback)


def after_commit_callbacks(session: AsyncSession) -> list[Callable[[], Awaitable[None]]]:
    """The callbacks `after_commit` registered in this session's transaction."""
    return list(session.info.pop(_AFTER_COMMIT, []))


_AFTER_COMMIT = "renkei.after_commit"


def mark_processed(message: OutboxMessage) -> None:
    message.processed_at = datetime.now(UTC)
