"""The platform's own Prometheus series: the database pool, the outbox, the worker's jobs.

Each process (the API, the worker, `renkei run` holding both) serves its series on a listener
of its own (RENKEI_METRICS_PORT), never on the public port.

- `renkei_db_pool_connections{state}`: the application engine's pool, `in_use` and `idle`
  connections, and `waiting`: requests waiting for one (the pool is exhausted when it grows).
- `renkei_outbox_unsent_messages` and `renkei_outbox_oldest_unsent_age_seconds`: what the
  relay has not handed to the queue yet, and how long the oldest has waited (0: none). The age
  grows by itself between measurements, so a relay that stopped shows.
- `renkei_jobs_total{job, outcome}`, `renkei_job_duration_seconds{job}`: each job run, an
  outbox message's by its topic (`outbox:milestone.status_changed`), outcome `ok`, `retried`
  (another try follows), `failed` (for good) or `skipped` (handled before, or sent on to the
  worker whose it is).
"""

from __future__ import annotations

import contextvars
import functools
import time
import weakref
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from prometheus_client import Counter, Gauge, Histogram
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import REGISTRY, Collector
from sqlalchemy.ext.asyncio import AsyncEngine

JOBS = Counter(
    "renkei_jobs_total",
    "Jobs the worker ran, by job (an outbox message's: outbox:<topic>) and outcome: ok, "
    "retried, failed (for good), skipped (handled before, or sent on)",
    ["job", "outcome"],
)
JOB_DURATION = Histogram(
    "renkei_job_duration_seconds",
    "Time a job took, each try",
    ["job"],
    buckets=(0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300),
)
OUTBOX_UNSENT = Gauge(
    "renkei_outbox_unsent_messages", "Committed outbox messages not yet handed to the queue"
)
OUTBOX_OLDEST_AGE = Gauge(
    "renkei_outbox_oldest_unsent_age_seconds",
    "Seconds since the oldest outbox message not yet handed to the queue was written (0: none)",
)

_oldest_unsent: float | None = None


def _oldest_age() -> float:
    return max(0.0, time.time() - _oldest_unsent) if _oldest_unsent is not None else 0.0


OUTBOX_OLDEST_AGE.set_function(_oldest_age)


def outbox_unsent(count: int, oldest: datetime | None) -> None:
    """What the relay found not yet sent (renkei.workers.relay)."""
    global _oldest_unsent
    OUTBOX_UNSENT.set(count)
    _oldest_unsent = oldest.timestamp() if oldest is not None else None


# -- jobs ---------------------------------------------------------------------------------------


@dataclass
class JobReport:
    """What a job says of itself while it runs: its name (an outbox topic's), its outcome."""

    job: str
    outcome: str | None = None


_REPORT: contextvars.ContextVar[JobReport | None] = contextvars.ContextVar(
    "renkei_job_report", default=None
)


def current_job() -> JobReport | None:
    return _REPORT.get()


J = TypeVar("J", bound=Callable[..., Awaitable[Any]])


def observed_job(job: J, *, retry: type[BaseException]) -> J:
    """The job, its runs counted by outcome; `retry` is the exception that asks for a retry."""
    name = job.__name__

    @functools.wraps(job)
    async def run(ctx: dict[str, Any], *args: Any, **kwargs: Any) -> Any:
        report = JobReport(job=name)
        token = _REPORT.set(report)
        started = time.perf_counter()
        outcome = "failed"
        try:
            value = await job(ctx, *args, **kwargs)
            outcome = report.outcome or ("skipped" if value is False else "ok")
            return value
        except retry:
            outcome = "retried"
            raise
        finally:
            _REPORT.reset(token)
            JOBS.labels(report.job, outcome).inc()
            JOB_DURATION.labels(report.job).observe(time.perf_counter() - started)

    return run  # type: ignore[return-value]


# -- the database pool --------------------------------------------------------------------------

_ENGINES: weakref.WeakSet[AsyncEngine] = weakref.WeakSet()


def watch_pool(engine: AsyncEngine) -> None:
    """Count this engine's pool in `renkei_db_pool_connections` while the engine lives."""
    _ENGINES.add(engine)


def _waiting(pool: Any) -> int:
    # SQLAlchemy's asyncio pool queues connections in an asyncio.Queue made on first use;
    # those waiting for one are its getters (not a public API: 0 if it changes shape).
    queue = getattr(pool, "_pool", None)
    inner = getattr(queue, "__dict__", {}).get("_queue")
    getters = getattr(inner, "_getters", ())
    return sum(1 for waiter in getters if not waiter.done())


class PoolCollector(Collector):
    def collect(self) -> Iterator[GaugeMetricFamily]:
        family = GaugeMetricFamily(
            "renkei_db_pool_connections",
            "The application's database connections: in_use, idle, and waiting (requests "
            "waiting for one)",
            labels=["state"],
        )
        in_use = idle = waiting = 0
        for engine in list(_ENGINES):
            pool: Any = engine.sync_engine.pool
            try:
                in_use += int(pool.checkedout())
                idle += int(pool.checkedin())
            except AttributeError:  # a pool without counts (NullPool, StaticPool)
                continue
            waiting += _waiting(pool)
        family.add_metric(["in_use"], in_use)
        family.add_metric(["idle"], idle)
        family.add_metric(["waiting"], waiting)
        yield family


REGISTRY.register(PoolCollector())
