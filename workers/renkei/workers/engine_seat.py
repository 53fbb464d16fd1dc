"""Where a worker process keeps the warm matching engine: one holder, the others forward.

Every worker process has an EngineSeat. Its LeaseKeeper (renkei.workers.talent_engine) keeps
trying to take the engine's lease; the process that holds it runs a second arq worker of its
own on the engine's queue, with max_jobs=1, so the engine's changes apply one at a time, and
loads its engine from the database when it starts. The messages that change the engine's inputs
(renkei.talent.tasks.feeds_engine) reach that queue two ways: the outbox relay routes them there
(`route`), and a worker that still gets one on its default queue (queued before this routing,
or by hand) sends it on (`forward`) without handling it. Both count as forwarded
(renkei_talent_engine_messages_total{path="forwarded"}).

When the lease is lost (the keeper could not renew it) the engine's worker is closed: a job it
was running is cancelled, and arq runs it again on the next holder; the engine's memory is let
go. When the holder dies, its lease lapses and another process takes it, loads the engine and
drains the queue, where the messages waited. A burst worker (tests, one-off runs) drains the
engine's queue after its own, if it holds the lease.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from typing import Any

from arq.connections import ArqRedis
from arq.worker import Retry, Worker

from renkei import outbox
from renkei.db import SessionFactory, unit_of_work
from renkei.metrics import observed_job
from renkei.talent.metrics import ENGINE_MESSAGES
from renkei.talent.tasks import feeds_engine
from renkei.tenancy import Viewer
from renkei.workers.jobs import handle_outbox_message
from renkei.workers.talent_engine import EngineKeys, EngineOwnership, LeaseKeeper, LeaseTiming

logger = logging.getLogger(__name__)

# How often the seat looks at its lease (and tells the keeper that the event loop turns).
CHECK_SECONDS = 1.0


class EngineSeat:
    """This process's seat at the warm engine: taken while it holds the lease."""

    def __init__(
        self,
        *,
        sessions: SessionFactory,
        redis: ArqRedis,
        redis_url: str,
        handlers: Callable[[EngineOwnership], dict[str, outbox.Handler]],
        worker_options: dict[str, Any],
        keys: EngineKeys | None = None,
        timing: LeaseTiming | None = None,
        burst: bool = False,
    ) -> None:
        self.sessions = sessions
        self.redis = redis
        self.ownership = EngineOwnership(redis, keys=keys, timing=timing)
        self.keys = self.ownership.keys
        self.handlers = handlers(self.ownership)
        self.worker_options = worker_options
        self.burst = burst
        self.forwarded = 0
        self.keeper = LeaseKeeper(redis_url, self.ownership, self._lease_changed)
        self._wake = asyncio.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._supervisor: asyncio.Task[None] | None = None
        self._worker: Worker | None = None
        self._running: asyncio.Task[None] | None = None

    @property
    def holding(self) -> bool:
        """Whether this process holds the engine and reads its queue."""
        return self._running is not None and not self._running.done()

    async def start(self) -> None:
        """Try the lease once now (the first worker up takes it), then keep trying."""
        self._loop = asyncio.get_running_loop()
        held = await self.ownership.holds()
        self.keeper.start(held=held)
        self._supervisor = asyncio.create_task(self._supervise())

    async def stop(self) -> None:
        """Let the engine go: a burst worker first drains the engine's queue if it holds it."""
        if self._supervisor is not None:
            self._supervisor.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._supervisor
        if self.burst and self.keeper.held and await self.redis.zcard(self.keys.queue):
            worker = self._engine_worker()
            try:
                await worker.async_run()
            finally:
                await worker.close()
        await self._close_engine_worker()
        await asyncio.to_thread(self.keeper.stop)

    # Forwarding

    def route(self, topic: str, payload: dict[str, Any]) -> str | None:
        """The relay's route: the engine's messages to its queue, the rest to the default."""
        if not feeds_engine(topic, payload):
            return None
        self._count_forwarded(topic)
        return self.keys.queue

    async def forward(self, message: outbox.OutboxMessage) -> bool:
        """Send an engine message found on the default queue on to the engine's queue."""
        if not feeds_engine(message.topic, message.payload):
            return False
        # Not the message's own id: that job is the one running this.
        await self.redis.enqueue_job(
            outbox.JOB_NAME,
            str(message.id),
            _job_id=f"{message.id}:engine",
            _queue_name=self.keys.queue,
            **outbox.job_trace(),
        )
        self._count_forwarded(message.topic)
        return True

    def _count_forwarded(self, topic: str) -> None:
        self.forwarded += 1
        ENGINE_MESSAGES.labels("forwarded").inc()
        logger.info("engine message forwarded to the engine's queue", extra={"topic": topic})

    # The engine's worker

    def _lease_changed(self, held: bool) -> None:
        """Called in the keeper's thread."""
        loop = self._loop
        if loop is not None and not loop.is_closed():
            with contextlib.suppress(RuntimeError):  # the loop closed meanwhile
                loop.call_soon_threadsafe(self._wake.set)

    async def _supervise(self) -> None:
        while True:
            self.keeper.loop_turned()
            if self.keeper.held and not self.burst and not self.holding:
                if self._running is not None:  # it ended on its own: a fault, said below
                    await self._close_engine_worker()
                    await asyncio.sleep(self.ownership.timing.renew_seconds)
                    continue
                logger.info("warm engine's lease taken; reading the engine's queue")
                self._worker = self._engine_worker()
                self._running = asyncio.create_task(self._run(self._worker))
            elif not self.keeper.held and self._running is not None:
                logger.warning("warm engine's lease lost; the engine's queue left to its holder")
                await self._close_engine_worker()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), CHECK_SECONDS)
            self._wake.clear()

    async def _run(self, worker: Worker) -> None:
        try:
            await worker.async_run()
        except asyncio.CancelledError:
            raise
        except Exception:
            logger.exception("the engine's worker failed; started again while the lease holds")

    async def _close_engine_worker(self) -> None:
        worker, running = self._worker, self._running
        self._worker = self._running = None
        if worker is not None:
            with contextlib.suppress(Exception):
                await worker.close()  # its running job is cancelled, and run again by arq
        if running is not None:
            running.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await running
        if self.ownership.engine.loaded:
            self.ownership.engine.drop()
            self.ownership.generation = None

    def _engine_worker(self) -> Worker:
        async def on_startup(ctx: dict[str, Any]) -> None:
            ctx["sessions"] = self.sessions
            ctx["handlers"] = self.handlers
            # Loaded now, not at the first message: what waits is not a person's edit.
            async with unit_of_work(self.sessions, Viewer.platform()) as session:
                await self.ownership.warm(session)

        return Worker(
            functions=[observed_job(handle_outbox_message, retry=Retry)],
            queue_name=self.keys.queue,
            on_startup=on_startup,
            burst=self.burst,
            handle_signals=False,
            max_jobs=1,
            **self.worker_options,
        )
