"""The warm matching engine of a worker process, and which worker holds it.

Each worker process may hold one warm engine (renkei.talent.warm_engine). Which one does is a
Redis lease, OWNER_KEY, set with NX to a token of the process and renewed on every use: the
holder applies need, profile and capacity changes to its engine in place; any other worker
handles the message cold (rebuilding from the database, as without a warm engine), so nothing
waits on the holder and nothing is lost if it dies. A holder idle longer than LEASE_MS lets the
lease go, and the next worker with a talent message takes it and loads its engine.

Correctness does not rest on the lease but on GENERATION_KEY, a counter every worker increments
after committing a change to the engine's inputs. The holder remembers the generation its engine
reflects: when it increments the counter itself and gets that plus one, nobody else changed
anything in between; otherwise (a cold worker's change, a second holder while a lease lapsed)
the next message rebuilds the engine from the database before using it. A restarted worker
starts empty and loads at its first talent message.
"""

from __future__ import annotations

import logging
import uuid
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from renkei.talent.warm_engine import WarmEngine

logger = logging.getLogger(__name__)

OWNER_KEY = "renkei:talent:engine:owner"
GENERATION_KEY = "renkei:talent:engine:generation"
LEASE_MS = 10 * 60 * 1000  # longer than a full load at 100,000 professionals

# Renew the lease only if this process holds it.
_RENEW = """
if redis.call('get', KEYS[1]) == ARGV[1] then
  return redis.call('pexpire', KEYS[1], ARGV[2])
end
return 0
"""


class EngineOwnership:
    """This process's warm engine, used only while it holds the lease."""

    def __init__(self, redis: Any, engine: WarmEngine | None = None) -> None:
        self.redis = redis
        self.token = uuid.uuid4().hex
        self.engine = engine or WarmEngine()
        self.generation: int | None = None  # the counter's value the engine reflects
        self.loads = 0  # how often the engine was built from the database

    async def holds(self) -> bool:
        """Take or renew the lease; False when another process holds it."""
        if await self.redis.set(OWNER_KEY, self.token, nx=True, px=LEASE_MS):
            return True
        return bool(await self.redis.eval(_RENEW, 1, OWNER_KEY, self.token, LEASE_MS))

    async def warm(self, session: AsyncSession) -> WarmEngine | None:
        if not await self.holds():
            if self.engine.loaded:
                logger.info("warm engine let go: another worker holds it")
                self.engine.drop()
            return None
        current = int(await self.redis.get(GENERATION_KEY) or 0)
        if not self.engine.loaded or current != self.generation:
            try:
                await self.engine.load(session)
            except BaseException:
                self.engine.drop()  # half loaded is not loaded
                raise
            self.generation = current
            self.loads += 1
            logger.info("warm engine loaded", extra={"generation": current})
        return self.engine

    async def changed(self, *, warm: bool) -> None:
        now = int(await self.redis.incr(GENERATION_KEY))
        if warm and self.generation is not None and now == self.generation + 1:
            self.generation = now

    async def release(self) -> None:
        """Let the lease go at shutdown (if held), so another worker takes it at once."""
        await self.redis.eval(
            "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) "
            "end return 0",
            1,
            OWNER_KEY,
            self.token,
        )
