"""Several workers, one warm engine: the holder computes, the others forward, nothing is lost.

The workers run as the product builds them (`create_worker`), on real PostgreSQL (a database
of the test's own, with real commits) and the embedded Redis, sharing one engine scope of the
test's own, with a short lease so that a holder's death is noticed within seconds. One test
kills a worker process outright (SIGKILL) while it holds the engine.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import subprocess
import sys
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import pytest
from arq.connections import RedisSettings, create_pool
from arq.worker import Worker
from prometheus_client import REGISTRY
from redis.asyncio import Redis
from sqlalchemy import func, select

from factories import act_as
from renkei import outbox
from renkei.config import Settings
from renkei.db import SessionFactory, unit_of_work
from renkei.identity.tokens import TokenService
from renkei.notifications.models import Notification
from renkei.outbox import OutboxMessage
from renkei.runtime import Runtime
from renkei.talent import lifecycle, service
from renkei.talent import tasks as talent_tasks
from renkei.talent.models import Match, MatchStatus, NeedStatus
from renkei.talent.warm_engine import WarmEngine
from renkei.tenancy import Viewer
from renkei.workers.engine_seat import EngineSeat
from renkei.workers.settings import create_worker
from renkei.workers.talent_engine import EngineKeys, LeaseTiming
from talent.talent_world import TalentWorld, create_talent_world, need_fields, profile_fields

# arq 0.28 closes its pool with redis-py's deprecated close().
pytestmark = pytest.mark.filterwarnings("ignore:Call to deprecated close:DeprecationWarning")

FAST = LeaseTiming(lease_ms=2000, renew_seconds=0.2)
Proposals = dict[uuid.UUID, set[tuple[uuid.UUID, int]]]


@pytest.fixture
async def runtime(
    committed, redis_url: str, tokens: TokenService, tmp_path: Path
) -> AsyncIterator[Runtime]:
    settings = Settings(
        database_url=committed.owner_url,
        app_database_url=committed.app_url,
        redis_url=redis_url,
        signing_keys=json.dumps(tokens.keys.as_dict(private=True)),
        data_dir=tmp_path,
    )
    runtime = Runtime.start(settings)
    yield runtime
    await runtime.close()
    runtime.stop_embedded()


@pytest.fixture
async def scope(redis_url: str) -> AsyncIterator[str]:
    """An engine scope no other test uses; its keys and queues are removed afterwards."""
    name = f"renkei-test-{uuid.uuid4().hex}"
    yield name
    client = Redis.from_url(redis_url)
    keys = EngineKeys.scoped(name)
    await client.delete(keys.owner, keys.generation, keys.queue)
    await client.aclose()


@pytest.fixture
async def world(committed, tokens: TokenService) -> TalentWorld:
    return await create_talent_world(committed.sessions, tokens)


class Running:
    """A worker of this process, running until stopped."""

    def __init__(self, worker: Worker) -> None:
        self.worker = worker
        self.task = asyncio.create_task(worker.async_run())

    @property
    def seat(self) -> EngineSeat:
        seat = self.worker.ctx.get("engine_seat")
        assert isinstance(seat, EngineSeat)
        return seat

    async def holds_loaded(self) -> bool:
        """Whether it holds the engine, loaded, and reads the engine's queue."""
        seat = self.worker.ctx.get("engine_seat")
        return isinstance(seat, EngineSeat) and seat.holding and seat.ownership.engine.loaded

    async def stop(self) -> None:
        await self.worker.close()
        self.task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self.task


@pytest.fixture
async def start(runtime: Runtime, scope: str) -> AsyncIterator[Callable[..., Running]]:
    started: list[Running] = []

    def run(*, relay: bool, queue_name: str | None = None) -> Running:
        worker = create_worker(
            runtime,
            relay=relay,
            queue_name=queue_name or f"renkei-test-{uuid.uuid4().hex}",
            engine_scope=scope,
            engine_timing=FAST,
        )
        started.append(Running(worker))
        return started[-1]

    yield run
    for running in started:
        if not running.task.done():
            await running.stop()


async def _wait_for(predicate: Callable[[], Awaitable[bool]], seconds: float = 60) -> bool:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    while loop.time() < deadline:
        if await predicate():
            return True
        await asyncio.sleep(0.1)
    return await predicate()


async def _all_processed(sessions: SessionFactory) -> bool:
    async with unit_of_work(sessions, Viewer.platform()) as session:
        waiting = await session.scalar(
            select(func.count())
            .select_from(OutboxMessage)
            .where(OutboxMessage.processed_at.is_(None))
        )
    return waiting == 0


async def _engine_messages(sessions: SessionFactory, *, processed: bool | None = None) -> int:
    """How many messages change the engine's inputs (only those processed or not, if told)."""
    async with unit_of_work(sessions, Viewer.platform()) as session:
        stmt = select(OutboxMessage.topic, OutboxMessage.payload)
        if processed is not None:
            done = OutboxMessage.processed_at.is_not(None)
            stmt = stmt.where(done if processed else ~done)
        rows = await session.execute(stmt)
        return sum(1 for topic, payload in rows.all() if talent_tasks.feeds_engine(topic, payload))


async def _stored(sessions: SessionFactory) -> Proposals:
    """The PROPOSED matches in the database: (professional, rank) by need."""
    async with unit_of_work(sessions, Viewer.platform()) as session:
        rows = await session.execute(
            select(Match.need_id, Match.professional_id, Match.rank).where(
                Match.status == MatchStatus.PROPOSED
            )
        )
        found: Proposals = {}
        for need_id, professional_id, rank in rows.all():
            found.setdefault(need_id, set()).add((professional_id, rank))
        return found


async def _fresh(sessions: SessionFactory) -> Proposals:
    """What a full recompute from the database proposes (a worker started now)."""
    engine = WarmEngine()
    async with unit_of_work(sessions, Viewer.platform()) as session:
        await engine.load(session)
    return {
        need_id: {(p, rank) for p, rank, _score in shortlist}  # type: ignore[misc]
        for need_id, shortlist in engine.shortlists().items()
        if shortlist
    }


async def _told_once_each(sessions: SessionFactory) -> bool:
    """Nobody was told of new proposals twice by one message."""
    async with unit_of_work(sessions, Viewer.platform()) as session:
        rows = await session.execute(
            select(Notification.outbox_id, Notification.recipient_email).where(
                Notification.kind == talent_tasks.NEW_PROPOSAL
            )
        )
        told = rows.all()
    return len(told) == len(set(told)) > 0


async def _open_need(sessions: SessionFactory, world: TalentWorld, title: str) -> None:
    other = await act_as(sessions, world.other_owner, world.other_firm)
    async with unit_of_work(sessions, other) as session:
        need = await service.create_need(session, other, values=need_fields(title=title))
        await service.change_need_status(session, other, need_id=need.id, status=NeedStatus.OPEN)


async def _carol_learns_finance(sessions: SessionFactory, world: TalentWorld) -> None:
    carol = await act_as(sessions, world.carol)
    async with unit_of_work(sessions, carol) as session:
        await service.save_profile(
            session,
            carol,
            values=profile_fields("Carol", skills=[("finance", 5, 12.0), ("export-sales", 3, 5.0)]),
        )


async def _bob_closes_his_profile(sessions: SessionFactory, world: TalentWorld) -> None:
    bob = await act_as(sessions, world.bob)
    async with unit_of_work(sessions, bob) as session:
        await service.save_profile(session, bob, values=profile_fields("Bob", is_open=False))


async def test_only_the_holder_computes_the_other_forwards_and_takes_over_when_it_stops(
    committed, runtime: Runtime, world: TalentWorld, start: Callable[..., Running]
) -> None:
    sessions = committed.sessions
    counted = _engine_messages_counted()
    # given: a worker that holds the engine, loaded from the database at its start
    holder = start(relay=False)
    assert await _wait_for(holder.holds_loaded)
    # and the world's messages queued on another worker's queue by a relay that does not
    # route them (as before routing existed)
    queue = await create_pool(
        RedisSettings.from_dsn(runtime.redis_url),
        default_queue_name=f"renkei-test-{uuid.uuid4().hex}",
    )
    try:
        assert await outbox.relay_pending(sessions, queue) > 0
    finally:
        await queue.aclose()
    other = start(relay=True, queue_name=queue.default_queue_name)

    # when: the other worker runs, then more changes are committed
    assert await _wait_for(lambda: _all_processed(sessions))
    await _open_need(sessions, world, "経理の仕組みづくり")
    await _carol_learns_finance(sessions, world)
    assert await _wait_for(lambda: _all_processed(sessions))

    # then: the other forwarded each engine message, the holder handled each once, warm
    engine_messages = await _engine_messages(sessions)
    assert engine_messages == 6  # three profiles and a need, then a need and a profile
    assert holder.seat.ownership.handled == {"warm": engine_messages}
    assert other.seat.ownership.handled == {} and not other.seat.ownership.engine.loaded
    # (four found on its queue, two routed by its relay)
    assert (other.seat.forwarded, holder.seat.forwarded) == (engine_messages, 0)
    assert holder.seat.ownership.loads == 1
    assert await _stored(sessions) == await _fresh(sessions) != {}

    # when: the holder stops, and a change is committed meanwhile
    await holder.stop()
    await _bob_closes_his_profile(sessions, world)

    # then: the other takes the engine, loads it from the database, and drains the queue
    assert await _wait_for(lambda: _all_processed(sessions))
    assert other.seat.holding and other.seat.ownership.loads == 1
    assert other.seat.ownership.handled == {"warm": 1}
    stored = await _stored(sessions)
    assert stored == await _fresh(sessions)
    assert {p for pairs in stored.values() for p, _ in pairs} == await _professionals(
        sessions, "alice@example.jp", "carol@example.jp"
    )
    assert await _told_once_each(sessions)
    # and operations saw it: seven forwarded, seven handled warm, none cold
    assert _engine_messages_counted() - counted == Counter(forwarded=7, warm=7)


def _engine_messages_counted() -> Counter[str]:
    """renkei_talent_engine_messages_total by path, as /metrics shows it."""
    return Counter(
        {
            sample.labels["path"]: int(sample.value)
            for metric in REGISTRY.collect()
            if metric.name == "renkei_talent_engine_messages"
            for sample in metric.samples
            if sample.name == "renkei_talent_engine_messages_total"
        }
    )


async def _professionals(sessions: SessionFactory, *emails: str) -> set[uuid.UUID]:
    from renkei.talent.models import Professional

    async with unit_of_work(sessions, Viewer.platform()) as session:
        rows = await session.scalars(
            select(Professional.id).where(Professional.contact_email.in_(emails))
        )
        return set(rows.all())


@pytest.fixture
async def worker_process(
    committed, redis_url: str, tokens: TokenService, tmp_path: Path, scope: str
) -> AsyncIterator[asyncio.subprocess.Process]:
    """Another worker process (`engine_worker_process.py`) of the same engine scope, started
    and told to say when it holds the engine; killed afterwards if the test did not."""
    options = {
        "database_url": committed.owner_url,
        "app_database_url": committed.app_url,
        "redis_url": redis_url,
        "signing_keys": json.dumps(tokens.keys.as_dict(private=True)),
        "data_dir": str(tmp_path / "process"),
        "queue": f"renkei-test-{uuid.uuid4().hex}",
        "scope": scope,
        "lease_ms": str(FAST.lease_ms),
        "renew_seconds": str(FAST.renew_seconds),
    }
    with (tmp_path / "process.log").open("wb") as log:  # what it logs, to read on a failure
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            str(Path(__file__).with_name("engine_worker_process.py")),
            json.dumps(options),
            stdout=subprocess.PIPE,
            stderr=log,
        )
        yield process
        if process.returncode is None:
            process.kill()
            await process.wait()


async def test_a_holder_killed_outright_loses_no_message_and_the_next_rebuilds(
    committed,
    world: TalentWorld,
    start: Callable[..., Running],
    worker_process: asyncio.subprocess.Process,
) -> None:
    sessions = committed.sessions
    # given: another process that holds the engine, and a worker here that relays
    assert worker_process.stdout is not None
    assert await asyncio.wait_for(_said(worker_process.stdout, b"holding\n"), 60)
    here = start(relay=True)
    await _open_need(sessions, world, "経理の仕組みづくり")
    assert await _wait_for(lambda: _all_processed(sessions))
    assert here.seat.ownership.handled == {} and here.seat.forwarded == 5  # all it relayed

    # when: that process is killed (no shutdown: its lease is left to lapse) and changes
    # are committed meanwhile
    worker_process.kill()
    await worker_process.wait()
    await _carol_learns_finance(sessions, world)
    await _bob_closes_his_profile(sessions, world)

    # then: the worker here takes the engine once the lease lapses, loads it from the
    # database, and handles each waiting message once, warm
    assert await _wait_for(lambda: _all_processed(sessions))
    assert here.seat.holding and here.seat.ownership.loads == 1
    assert here.seat.ownership.handled == {"warm": 2}
    # and what is stored is what a full recompute from the database proposes
    stored = await _stored(sessions)
    assert stored == await _fresh(sessions)
    assert {p for pairs in stored.values() for p, _ in pairs} == await _professionals(
        sessions, "alice@example.jp", "carol@example.jp"
    )
    assert await _told_once_each(sessions)


async def _said(stdout: asyncio.StreamReader, line: bytes) -> bool:
    """Read until the process says `line`; False when it ends first."""
    while said := await stdout.readline():
        if said == line:
            return True
    return False


async def test_a_burst_worker_forwards_then_drains_the_engine_queue_it_holds(
    committed, runtime: Runtime, world: TalentWorld, scope: str
) -> None:
    sessions = committed.sessions
    # given: the world's messages on a worker's queue
    queue = await create_pool(
        RedisSettings.from_dsn(runtime.redis_url),
        default_queue_name=f"renkei-test-{uuid.uuid4().hex}",
    )
    try:
        assert await outbox.relay_pending(sessions, queue) > 0
    finally:
        await queue.aclose()
    # when: a worker runs them in burst mode (as tests and one-off runs do)
    worker = create_worker(
        runtime,
        burst=True,
        relay=False,
        queue_name=queue.default_queue_name,
        engine_scope=scope,
        engine_timing=FAST,
    )
    try:
        await worker.async_run()
    finally:
        await worker.close()
    # then: it forwarded the engine's messages, and, holding the engine, handled them before
    # it stopped; what is stored is a full recompute's
    seat = worker.ctx["engine_seat"]
    assert worker.jobs_failed == 0
    assert seat.forwarded == 4 and seat.ownership.handled == {"warm": 4}
    assert await _engine_messages(sessions, processed=False) == 0
    assert await _stored(sessions) == await _fresh(sessions) != {}


@pytest.mark.parametrize(
    ("topic", "payload", "holders"),
    [
        (service.NEED_CHANGED, {"need_id": "n"}, True),
        (service.PROFILE_CHANGED, {"professional_id": "p"}, True),
        (talent_tasks.NIGHTLY_RECOMPUTE, {"on": "2026-12-06"}, True),
        # a contract confirmed or an engagement completed moves the professional's capacity
        (lifecycle.MATCH_STEP, {"match_id": "m", "step": "confirmContract", "by": "FIRM"}, True),
        (lifecycle.MATCH_STEP, {"match_id": "m", "step": "complete", "by": "FIRM"}, True),
        # the other steps only tell the other side: any worker, at once
        (lifecycle.MATCH_STEP, {"match_id": "m", "step": "accept", "by": "FIRM"}, False),
        ("organization.invitation_created", {}, False),
    ],
)
def test_the_engine_holder_gets_the_messages_that_change_the_engine_s_inputs(
    topic: str, payload: dict[str, str], holders: bool
) -> None:
    assert talent_tasks.feeds_engine(topic, payload) is holders
