"""Cost budgets: a leaky bucket in Redis per organization, API client and anonymous address.

As GitHub and Shopify do, a query costs what it could return (the node count of
renkei.graphql.limits: each connection multiplies by its page size), a mutation a fixed amount.
Each bucket holds at most `capacity` points and is refilled at `refill_per_minute`; a request
whose cost is more than what is left is refused with a 429, `THROTTLED` and a `Retry-After`
saying when it would fit. One Lua script (EVALSHA) refills, compares and takes, atomically, on
Redis's own clock, so that every server process shares the same buckets.

Whose bucket: a client-credentials token's API client (`client_id` claim) has its own, so that a
runaway integration does not starve its organization's people; any other token or browser
session spends its organization's; a signed-in person outside any organization their own; a
request without a token its address's (an IPv6 address by its /64).

When Redis is down or slow (more than `timeout` seconds, 0.25 by default), queries are
answered without a budget (fail open: a missed limit costs less than an outage), while mutations
and the sign-in endpoints use this process's copy of the buckets (what Redis last said of each,
refilled locally), because they write and can be brute-forced. Both are counted in
`renkei_throttle_fail_open_total` and logged once per outage; Redis is tried again after
`FAILURE_PAUSE` seconds, not on every request. A timeout while this process's own event loop is
behind is not an outage: then every charge, queries included, uses the local copy.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import logging
import math
import time
from collections import OrderedDict, deque
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import orjson
import redis.asyncio as redis
from graphql import (
    DocumentNode,
    GraphQLError,
    GraphQLSchema,
    OperationDefinitionNode,
    OperationType,
)
from prometheus_client import Counter, Gauge
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp, Receive, Scope, Send

from renkei.graphql import limits
from renkei.graphql.query_cost import operation_cost
from renkei.i18n.messages import _
from renkei.identity.tokens import Claims
from renkei.tenancy import Viewer

logger = logging.getLogger(__name__)

THROTTLED = Counter(
    "renkei_throttle_throttled_total", "Requests refused for an exhausted budget", ["kind"]
)
FAIL_OPEN = Counter(
    "renkei_throttle_fail_open_total",
    "Requests let through without the shared budget because Redis did not answer",
    ["kind"],
)
OVERLOADED_TOTAL = Counter(
    "renkei_throttle_overloaded_total",
    "Charges made in this process because its event loop was too far behind to hear Redis",
)
DEGRADED = Gauge(
    "renkei_throttle_redis_unavailable", "1 while the limiter cannot reach Redis, else 0"
)

UNAVAILABLE = "unavailable"
OVERLOADED = "overloaded"
# Seconds without trying Redis after it failed: an outage costs one timeout, not one per request.
FAILURE_PAUSE = 1.0
# Buckets kept by the in-process fallback; the least recently used go first.
LOCAL_BUCKETS = 10_000
# Documents whose cost is remembered, by text, operation and variables.
CACHED_COSTS = 512
CACHED_SIZE = 16_384

# KEYS[1] the bucket; ARGV capacity, refill per second, cost. The bucket is a hash of what is
# available and when that was computed; it expires once it would be full again.
LEAKY_BUCKET = """
local capacity = tonumber(ARGV[1])
local rate = tonumber(ARGV[2])
local cost = tonumber(ARGV[3])
local clock = redis.call('TIME')
local now = tonumber(clock[1]) + tonumber(clock[2]) / 1000000
local state = redis.call('HMGET', KEYS[1], 'a', 't')
local available = tonumber(state[1])
local since = tonumber(state[2])
if available == nil or since == nil then
  available = capacity
else
  available = math.min(capacity, available + math.max(0, now - since) * rate)
end
local allowed = 0
if cost <= available then
  available = available - cost
  allowed = 1
end
redis.call('HSET', KEYS[1], 'a', tostring(available), 't', tostring(now))
redis.call('PEXPIRE', KEYS[1], math.ceil((capacity - available) / rate * 1000) + 1000)
return {allowed, tostring(available)}
"""


@dataclass(frozen=True)
class Budget:
    """A bucket's size and refill. `capacity` should be at least the largest allowed cost."""

    capacity: int
    refill_per_minute: int

    @property
    def per_second(self) -> float:
        return self.refill_per_minute / 60


@dataclass(frozen=True)
class Throttling:
    """The settings (renkei.config: RENKEI_THROTTLE_*)."""

    # Every query allowed by limits.MAX_NODES fits in a full bucket; the region dashboard at
    # projects(first: 50) costs 800, so a tenant may burst 25 of them and run 2.5 a second.
    budget: Budget = Budget(capacity=limits.MAX_NODES, refill_per_minute=120_000)
    mutation_cost: int = 10
    # Requests per minute and address to /auth/* and /oauth/token (a burst of as many).
    auth_per_minute: int = 60
    # Seconds a Redis call may take before the limiter fails open. It must exceed the event
    # loop's own lag under load (an answer read late is not Redis's fault): at 0.05 s a burst
    # of admitted dashboards made the limiter time out, fail open and admit the whole flood.
    timeout: float = 0.25
    key_prefix: str = "renkei:throttle:"


@dataclass(frozen=True)
class Status:
    """The outcome of one charge; `shared` is False when Redis did not answer."""

    cost: int
    allowed: bool
    available: float
    budget: Budget
    shared: bool = True

    @property
    def retry_after(self) -> int:
        """Whole seconds until the bucket holds this cost again."""
        missing = self.cost - self.available
        return max(1, math.ceil(missing / self.budget.per_second)) if missing > 0 else 0

    def extension(self) -> dict[str, Any]:
        """`extensions.cost` as Shopify writes it; no throttleStatus while Redis is away."""
        return {
            "requestedQueryCost": self.cost,
            "actualQueryCost": self.cost if self.allowed else None,
            "throttleStatus": {
                "maximumAvailable": self.budget.capacity,
                "currentlyAvailable": int(self.available),
                "restoreRate": round(self.budget.per_second, 3),
            }
            if self.shared
            else None,
        }


class _LocalBuckets:
    """This process's copy of the buckets: what Redis last said of each, refilled locally, for
    when Redis does not answer."""

    def __init__(self) -> None:
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()

    def remember(self, key: str, available: float) -> None:
        self._buckets.pop(key, None)
        self._buckets[key] = (available, time.monotonic())
        if len(self._buckets) > LOCAL_BUCKETS:
            self._buckets.popitem(last=False)

    def peek(self, key: str, budget: Budget) -> float | None:
        """What the bucket holds at most now: what Redis last said, plus the refill since
        (other processes can only have taken more); None for a bucket not seen."""
        found = self._buckets.get(key)
        if found is None:
            return None
        available, since = found
        return min(budget.capacity, available + (time.monotonic() - since) * budget.per_second)

    def take(self, key: str, budget: Budget, cost: int) -> tuple[bool, float]:
        available = self.peek(key, budget)
        if available is None:
            available = float(budget.capacity)
        allowed = cost <= available
        self.remember(key, available - cost if allowed else available)
        return allowed, available - cost if allowed else available


class _LoopLag:
    """How far behind this process's event loop has been lately: a task asks to wake every TICK
    and notes how late it woke; the largest lateness of the last WINDOW seconds counts.

    A Redis answer that arrives in time but is read late, because the loop is busy, is not a
    Redis outage; treating it as one would let a flood through exactly when the server is
    overloaded (measured: bench/noisy_neighbour.py). While the loop is busy, its ticks are late
    one after another, so a window of them tells it from a Redis that stopped answering.
    """

    TICK = 0.05
    WINDOW = 2.0

    def __init__(self) -> None:
        self._last = 0.0
        # (when, how late) of the ticks that came late, newest last
        self._late: deque[tuple[float, float]] = deque(maxlen=64)
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        if self._task is None:
            self._last = time.monotonic()
            self._task = asyncio.get_running_loop().create_task(self._run())

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self.TICK)
            now = time.monotonic()
            late = now - self._last - self.TICK
            self._last = now
            if late > 0.01:
                self._late.append((now, late))

    def behind(self, by: float) -> bool:
        """Whether a tick was, or is now, more than `by` seconds late within the window."""
        if self._task is None:
            return False
        now = time.monotonic()
        if now - self._last - self.TICK > by:
            return True
        return any(late > by for when, late in self._late if now - when < self.WINDOW)

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None


class Throttle:
    """Charges requests to their buckets (one EVALSHA each) and builds the 429."""

    def __init__(self, redis_url: str, settings: Throttling) -> None:
        self.settings = settings
        # Its own client: short timeouts, and no retry that would double the wait.
        self.redis = redis.Redis.from_url(
            redis_url,
            socket_timeout=settings.timeout,
            socket_connect_timeout=settings.timeout,
            retry_on_timeout=False,
        )
        self._script = self.redis.register_script(LEAKY_BUCKET)
        self._local = _LocalBuckets()
        self._lag = _LoopLag()
        self._paused_until = 0.0
        self._overloaded = False

    async def close(self) -> None:
        await self._lag.stop()
        await self.redis.aclose()

    async def charge(self, key: str, cost: int, *, budget: Budget, strict: bool) -> Status:
        """Take `cost` from `key`'s bucket. Without Redis, a `strict` charge uses this process's
        buckets and any other passes; while this process is overloaded, every charge does."""
        kind = "strict" if strict else "query"
        at_most = self._local.peek(key, budget)
        if at_most is not None and cost > at_most:
            # Refused without asking Redis: a flood's refusals cost it no round trip.
            THROTTLED.labels(kind).inc()
            return Status(cost, False, at_most, budget)
        shared = await self._shared(key, cost, budget)
        if isinstance(shared, tuple):
            allowed, available = shared
            self._local.remember(key, available)
            status = Status(cost, allowed, available, budget)
        elif strict or shared == OVERLOADED:
            if shared == UNAVAILABLE:
                FAIL_OPEN.labels(kind).inc()
            allowed, available = self._local.take(key, budget, cost)
            status = Status(cost, allowed, available, budget, shared=False)
        else:
            FAIL_OPEN.labels(kind).inc()
            status = Status(cost, True, float(budget.capacity), budget, shared=False)
        if not status.allowed:
            THROTTLED.labels(kind).inc()
        return status

    async def _shared(self, key: str, cost: int, budget: Budget) -> tuple[bool, float] | str:
        """Redis's answer, or why there is none: UNAVAILABLE or OVERLOADED (this process)."""
        if time.monotonic() < self._paused_until:
            return UNAVAILABLE
        self._lag.start()
        try:
            async with asyncio.timeout(self.settings.timeout):
                allowed, available = await self._script(
                    keys=[self.settings.key_prefix + key],
                    args=[budget.capacity, budget.per_second, cost],
                )
        except (redis.RedisError, OSError, TimeoutError) as error:
            timed_out = isinstance(error, TimeoutError | redis.TimeoutError)
            if timed_out and self._lag.behind(self.settings.timeout / 4):
                OVERLOADED_TOTAL.inc()
                if not self._overloaded:
                    logger.warning(
                        "rate limiter: this process's event loop is behind; budgets are "
                        "kept in this process until it catches up"
                    )
                    self._overloaded = True
                return OVERLOADED
            if self._paused_until == 0.0:
                logger.warning(
                    "rate limiter: Redis unavailable (%s); queries pass unlimited, mutations "
                    "and sign-in use this process's buckets",
                    type(error).__name__,
                )
            self._paused_until = time.monotonic() + FAILURE_PAUSE
            DEGRADED.set(1)
            return UNAVAILABLE
        self._overloaded = False
        if self._paused_until:
            logger.info("rate limiter: Redis is back")
            self._paused_until = 0.0
            DEGRADED.set(0)
        return bool(allowed), float(available)

    # -- GraphQL ---------------------------------------------------------------------------

    async def charge_operation(
        self,
        key: str,
        schema: GraphQLSchema,
        query: str | None,
        variables: dict[str, Any] | None,
        operation_name: str | None,
    ) -> Status:
        cost, mutation = await request_cost(schema, query, variables, operation_name)
        if mutation:
            cost = self.settings.mutation_cost
        return await self.charge(key, cost, budget=self.settings.budget, strict=mutation)


def throttled(status: Status, media: str) -> Response:
    """The 429 of an exhausted budget, shaped like a GraphQL answer."""
    seconds = status.retry_after
    return JSONResponse(
        {
            "errors": [
                {
                    "message": _(
                        "this request costs {cost} and the budget has {left} left: "
                        "retry in {seconds} s",
                        cost=status.cost,
                        left=int(status.available),
                        seconds=seconds,
                    ),
                    "extensions": {"code": "THROTTLED", "retryAfter": seconds},
                }
            ],
            "extensions": {"cost": status.extension()},
        },
        status_code=429,
        media_type=media,
        headers={"Retry-After": str(seconds)},
    )


# -- whose bucket -----------------------------------------------------------------------------


def client_address(scope: Scope) -> str:
    """The caller's address as the bucket names it: an IPv6 address by its /64."""
    client = scope.get("client")
    host = client[0] if client else "unknown"
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return host
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.ip_network(f"{address}/64", strict=False))
    return str(address)


def key_for_claims(claims: Claims) -> str:
    if claims.client_id is not None:
        return f"client:{claims.client_id}"
    if claims.organization_id is not None:
        return f"org:{claims.organization_id}"
    return f"user:{claims.user_id}"


def key_for_viewer(viewer: Viewer, request: Request) -> str:
    if viewer.organization_id is not None:
        return f"org:{viewer.organization_id}"
    if viewer.user_id is not None:
        return f"user:{viewer.user_id}"
    return f"ip:{client_address(request.scope)}"


def key_for_anonymous(request: Request) -> str:
    return f"ip:{client_address(request.scope)}"


# -- what a request costs ---------------------------------------------------------------------


def _cost(
    schema: GraphQLSchema, document: DocumentNode, variables: bytes, operation_name: str | None
) -> tuple[int, bool]:
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    chosen = [
        o
        for o in operations
        if operation_name is None or (o.name is not None and o.name.value == operation_name)
    ]
    if len(chosen) != 1:
        return 1, False
    operation = chosen[0]
    if operation.operation is OperationType.MUTATION:
        return 0, True
    name = operation.name.value if operation.name else None
    return max(1, operation_cost(schema, document, orjson.loads(variables), name)), False


# Only small requests are remembered: 512 bodies of a megabyte would hold half a gigabyte.
_cached_cost = lru_cache(maxsize=CACHED_COSTS)(_cost)


async def request_cost(
    schema: GraphQLSchema,
    query: str | None,
    variables: dict[str, Any] | None,
    operation_name: str | None,
) -> tuple[int, bool]:
    """(the query's node count, at least 1; whether it is a mutation)."""
    if not query:
        return 1, False
    try:
        encoded = orjson.dumps(variables or {}, option=orjson.OPT_SORT_KEYS)
    except TypeError:
        return 1, False
    try:
        # The pipeline's own parse, off the event loop and remembered: it runs once per text.
        document = await limits.document_of(query)
    except GraphQLError:
        return 1, False  # refused by the parser: cheap, but not free
    if len(query) + len(encoded) > CACHED_SIZE:
        return _cost(schema, document, encoded, operation_name)
    return _cached_cost(schema, document, encoded, operation_name)


# -- the sign-in endpoints --------------------------------------------------------------------


class SignInLimit:
    """At most `auth_per_minute` requests a minute per address to /auth/* and /oauth/token."""

    def __init__(self, app: ASGIApp, throttle: Throttle) -> None:
        self.app = app
        self.throttle = throttle
        per_minute = throttle.settings.auth_per_minute
        self.budget = Budget(capacity=per_minute, refill_per_minute=per_minute)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "") if scope["type"] == "http" else ""
        if not (path.startswith("/auth/") or path == "/oauth/token"):
            await self.app(scope, receive, send)
            return
        key = f"auth:{client_address(scope)}"
        status = await self.throttle.charge(key, 1, budget=self.budget, strict=True)
        if status.allowed:
            await self.app(scope, receive, send)
            return
        seconds = status.retry_after
        message = _("too many sign-in requests: retry in {seconds} s", seconds=seconds)
        response = JSONResponse(
            {
                "error": "too_many_requests",
                "error_description": message,
                "errors": [
                    {
                        "message": message,
                        "extensions": {"code": "THROTTLED", "retryAfter": seconds},
                    }
                ],
            },
            status_code=429,
            headers={"Retry-After": str(seconds), "Cache-Control": "no-store"},
        )
        await response(scope, receive, send)
