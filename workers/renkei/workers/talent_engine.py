"""The warm matching engine of a worker process, and which worker holds it.

Each worker process may hold one warm engine (renkei.talent.warm_engine). Which one does is a
Redis lease (EngineKeys.owner), set with NX to a token of the process: every worker process
keeps trying to take it, and the holder renews it, from a LeaseKeeper thread every
RENEW_SECONDS, for LEASE_MS. A thread, not a task: loading or rebuilding the engine at 100,000
professionals holds the event loop for tens of seconds, longer than the lease. The holder alone
reads the engine's queue (renkei.workers.engine_seat): the relay routes the messages that change
the engine's inputs there, and any worker that still gets one forwards it. When the holder dies
its lease lapses within LEASE_MS; another worker takes it, loads its engine from the database
and drains the queue, where the messages waited.

Correctness does not rest on the lease but on the generation counter (EngineKeys.generation),
which every worker increments after committing a change to the engine's inputs. The holder
remembers the generation its engine reflects: when it increments the counter itself and gets
that plus one, nobody else changed anything in between; otherwise (a change handled cold, by a
worker whose lease lapsed in the middle, or a second holder while a lease lapsed) the next
message rebuilds the engine from the database before using it.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import redis
from arq.constants import default_queue_name
from sqlalchemy.ext.asyncio import AsyncSession

from renkei.talent.metrics import ENGINE_MESSAGES
from renkei.talent.warm_engine import WarmEngine

logger = logging.getLogger(__name__)

OWNER_KEY = "renkei:talent:engine:owner"
GENERATION_KEY = "renkei:talent:engine:generation"
ENGINE_QUEUE = "renkei:talent-engine"
# A dead holder's messages wait at most this long for another worker to take its engine.
LEASE_MS = 30 * 1000
RENEW_SECONDS = 10.0
# An event loop that has not turned for this long is stuck, not busy (the nightly rebuild at
# 100,000 professionals holds it about two minutes): its process lets the engine go.
STALL_SECONDS = 600.0

# Take the lease if free, renew it if this process holds it; 1 when held.
_TAKE_OR_RENEW = """
if redis.call('set', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then return 1 end
if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) end
return 0
"""
_RELEASE = """
if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end
return 0
"""


@dataclass(frozen=True, slots=True)
class EngineKeys:
    """Where one engine's lease, generation counter and queue live in Redis."""

    owner: str = OWNER_KEY
    generation: str = GENERATION_KEY
    queue: str = ENGINE_QUEUE

    @classmethod
    def scoped(cls, scope: str) -> EngineKeys:
        """The engine shared by the workers of `scope` (the product's: the default queue's)."""
        if scope == default_queue_name:
            return cls()
        return cls(f"{scope}:engine:owner", f"{scope}:engine:generation", f"{scope}:engine")


@dataclass(frozen=True, slots=True)
class LeaseTiming:
    lease_ms: int = LEASE_MS
    renew_seconds: float = RENEW_SECONDS
    stall_seconds: float = STALL_SECONDS


class EngineOwnership:
    """This process's warm engine, used only while it holds the lease."""

    def __init__(
        self,
        redis: Any,
        engine: WarmEngine | None = None,
        *,
        keys: EngineKeys | None = None,
        timing: LeaseTiming | None = None,
    ) -> None:
        self.redis = redis
        self.keys = keys or EngineKeys()
        self.timing = timing or LeaseTiming()
        self.token = uuid.uuid4().hex
        self.engine = engine or WarmEngine()
        self.generation: int | None = None  # the counter's value the engine reflects
        self.loads = 0  # how often the engine was built from the database
        self.handled: Counter[str] = Counter()  # engine messages by path: warm, cold
        self.synced = False  # renkei.talent.tasks.EngineHost

    async def holds(self) -> bool:
        """Take or renew the lease; False when another process holds it."""
        held = await self.redis.eval(
            _TAKE_OR_RENEW, 1, self.keys.owner, self.token, self.timing.lease_ms
        )
        return bool(held)

    async def warm(self, session: AsyncSession) -> WarmEngine | None:
        if not await self.holds():
            if self.engine.loaded:
                logger.info("warm engine let go: another worker holds it")
                self.engine.drop()
            return None
        current = int(await self.redis.get(self.keys.generation) or 0)
        if not self.engine.loaded or current != self.generation:
            try:
                await self.engine.load(session)
            except BaseException:
                self.engine.drop()  # half loaded is not loaded
                raise
            self.generation = current
            self.synced = False
            self.loads += 1
            logger.info("warm engine loaded", extra={"generation": current})
        return self.engine

    async def changed(self, *, warm: bool) -> None:
        """A change to the engine's inputs is committed; `warm`: applied on this engine, else
        handled cold (rebuilt from the database), which every warm engine must reload after."""
        path = "warm" if warm else "cold"
        self.handled[path] += 1
        ENGINE_MESSAGES.labels(path).inc()
        if warm:
            logger.info("engine message handled on the warm engine")
        else:
            logger.warning("engine message handled cold, away from the warm engine")
        now = int(await self.redis.incr(self.keys.generation))
        if warm and self.generation is not None and now == self.generation + 1:
            self.generation = now
            self.synced = True

    async def release(self) -> None:
        """Let the lease go (if held), so another worker takes it at once."""
        await self.redis.eval(_RELEASE, 1, self.keys.owner, self.token)


class LeaseKeeper:
    """A thread that takes or renews `ownership`'s lease every `renew_seconds`, whatever the
    event loop is doing, and tells `on_change` (in the loop) when it is won or lost.

    Renewing stops when the loop has not called `loop_turned` for `stall_seconds`, and when
    Redis cannot be reached for as long as the lease lasts: then the lease is taken as lost."""

    def __init__(
        self,
        url: str,
        ownership: EngineOwnership,
        on_change: Callable[[bool], None],
    ) -> None:
        self.url = url
        self.ownership = ownership
        self.on_change = on_change
        self.held = False
        self._stop = threading.Event()
        self._loop_seen = time.monotonic()
        self._thread = threading.Thread(target=self._run, name="engine-lease", daemon=True)

    def start(self, *, held: bool) -> None:
        self.held = held
        self._thread.start()

    def loop_turned(self) -> None:
        self._loop_seen = time.monotonic()

    def stop(self, *, release: bool = True) -> None:
        """Stop renewing; with `release`, let the lease go at once (else it lapses)."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join()
        if release:
            try:
                with redis.Redis.from_url(self.url) as client:
                    client.eval(_RELEASE, 1, self.ownership.keys.owner, self.ownership.token)
            except redis.RedisError:  # Redis gone: the lease lapses on its own
                pass

    def _run(self) -> None:
        timing = self.ownership.timing
        client = redis.Redis.from_url(
            self.url, socket_timeout=timing.renew_seconds, socket_connect_timeout=5
        )
        renewed = time.monotonic() if self.held else None
        stalled = False
        try:
            while not self._stop.wait(timing.renew_seconds):
                now = time.monotonic()
                if now - self._loop_seen > timing.stall_seconds:
                    if not stalled:
                        logger.error("event loop stalled; the warm engine's lease is let go")
                    stalled, held = True, False
                else:
                    stalled = False
                    try:
                        held = bool(
                            client.eval(
                                _TAKE_OR_RENEW,
                                1,
                                self.ownership.keys.owner,
                                self.ownership.token,
                                str(timing.lease_ms),
                            )
                        )
                    except redis.RedisError:
                        # Unsure: held until the lease would have lapsed, less a renewal.
                        lease = timing.lease_ms / 1000 - timing.renew_seconds
                        held = renewed is not None and now - renewed < lease
                if held:
                    renewed = now
                if held != self.held:
                    self.held = held
                    self.on_change(held)
        finally:
            client.close()
