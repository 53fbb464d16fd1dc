"""The worker's warm matching engine: kept current by the outbox, equal to a fresh build."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import date

import pytest
from redis.asyncio import Redis
from sqlalchemy import select, update

from factories import act_as
from renkei.db import SessionFactory, unit_of_work
from renkei.identity.tokens import TokenService
from renkei.notifications.models import Notification
from renkei.notifications.subjects import global_id
from renkei.outbox import OutboxMessage
from renkei.talent import service
from renkei.talent import tasks as talent_tasks
from renkei.talent.metrics import ENGINE_DRIFT
from renkei.talent.models import Match, MatchStatus, NeedStatus, ProfessionalProfile
from renkei.talent.warm_engine import WarmEngine
from renkei.tenancy import Viewer
from renkei.workers.jobs import handle_message
from renkei.workers.talent_engine import GENERATION_KEY, OWNER_KEY, EngineOwnership
from talent.talent_world import TalentWorld, create_talent_world, need_fields, profile_fields

ENGINE_TOPICS = (service.NEED_CHANGED, service.PROFILE_CHANGED)


@pytest.fixture
async def world(sessions: SessionFactory, tokens: TokenService) -> TalentWorld:
    return await create_talent_world(sessions, tokens)


@pytest.fixture
async def redis(redis_url: str) -> AsyncIterator[Redis]:
    client = Redis.from_url(redis_url)
    await client.delete(OWNER_KEY, GENERATION_KEY)
    yield client
    await client.delete(OWNER_KEY, GENERATION_KEY)
    await client.aclose()


async def _handle_new(
    sessions: SessionFactory, host: EngineOwnership, seen: set[uuid.UUID]
) -> list[uuid.UUID]:
    """Handle, oldest first, the engine's messages not handled yet, on `host`'s handlers."""
    handlers = {**talent_tasks.HANDLERS, **talent_tasks.handlers(host)}
    async with unit_of_work(sessions, Viewer.platform()) as session:
        rows = await session.scalars(
            select(OutboxMessage.id)
            .where(OutboxMessage.topic.in_(ENGINE_TOPICS), OutboxMessage.processed_at.is_(None))
            .order_by(OutboxMessage.created_at, OutboxMessage.id)
        )
        ids = [i for i in rows.all() if i not in seen]
    for message_id in ids:
        assert await handle_message(sessions, message_id, handlers=handlers) is True
        seen.add(message_id)
    # The new proposals are told by messages of their own, which any worker handles.
    async with unit_of_work(sessions, Viewer.platform()) as session:
        rows = await session.scalars(
            select(OutboxMessage.id).where(
                OutboxMessage.topic == talent_tasks.TELL_PROPOSALS,
                OutboxMessage.processed_at.is_(None),
            )
        )
        tells = list(rows.all())
    for message_id in tells:
        assert await handle_message(sessions, message_id, handlers=talent_tasks.HANDLERS)
    return ids


async def _stored(sessions: SessionFactory) -> dict[uuid.UUID, set[tuple[uuid.UUID, int]]]:
    """The PROPOSED matches in the database: (professional, rank) by need."""
    async with unit_of_work(sessions, Viewer.platform()) as session:
        rows = await session.execute(
            select(Match.need_id, Match.professional_id, Match.rank).where(
                Match.status == MatchStatus.PROPOSED
            )
        )
        found: dict[uuid.UUID, set[tuple[uuid.UUID, int]]] = {}
        for need_id, professional_id, rank in rows.all():
            found.setdefault(need_id, set()).add((professional_id, rank))
        return found


def _of(engine: WarmEngine) -> dict[uuid.UUID, set[tuple[uuid.UUID, int]]]:
    return {
        need_id: {(p, rank) for p, rank, _score in shortlist}  # type: ignore[misc]
        for need_id, shortlist in engine.shortlists().items()
        if shortlist
    }


async def _fresh(sessions: SessionFactory) -> WarmEngine:
    """What a restarted worker builds: an engine loaded from the database."""
    engine = WarmEngine()
    async with unit_of_work(sessions, Viewer.platform()) as session:
        await engine.load(session)
    return engine


async def _change_the_world(sessions: SessionFactory, world: TalentWorld) -> None:
    """A need opened at another firm, the first need given a second opening, Carol learning
    finance, and Bob closing his profile."""
    other = await act_as(sessions, world.other_owner, world.other_firm)
    async with unit_of_work(sessions, other) as session:
        need = await service.create_need(
            session, other, values=need_fields(title="経理の仕組みづくり", openings=1)
        )
        await service.change_need_status(session, other, need_id=need.id, status=NeedStatus.OPEN)
    firm = await act_as(sessions, world.firm_owner, world.firm)
    async with unit_of_work(sessions, firm) as session:
        await service.update_need(
            session, firm, need_id=world.need.id, version=2, changes={"openings": 2}
        )
    carol = await act_as(sessions, world.carol)
    async with unit_of_work(sessions, carol) as session:
        await service.save_profile(
            session,
            carol,
            values=profile_fields("Carol", skills=[("finance", 5, 12.0), ("export-sales", 3, 5.0)]),
        )
    bob = await act_as(sessions, world.bob)
    async with unit_of_work(sessions, bob) as session:
        await service.save_profile(session, bob, values=profile_fields("Bob", is_open=False))


async def test_the_warm_engine_proposes_what_a_fresh_build_does_after_changes(
    sessions: SessionFactory, world: TalentWorld, redis: Redis
) -> None:
    # given: a worker's engine, warmed by the need's opening
    host = EngineOwnership(redis)
    seen: set[uuid.UUID] = set()
    await _handle_new(sessions, host, seen)
    assert host.engine.loaded and host.loads == 1
    assert _of(host.engine) == await _stored(sessions) != {}
    generation = host.generation
    assert generation is not None

    # when: needs and profiles change, each message handled on the warm engine
    await _change_the_world(sessions, world)
    handled = await _handle_new(sessions, host, seen)

    # then: the engine stayed warm (one load), and what it stored is what a restarted
    # worker's fresh engine proposes
    assert len(handled) == 4
    assert host.generation == generation + 4 and host.loads == 1
    fresh = await _fresh(sessions)
    assert _of(host.engine) == _of(fresh) == await _stored(sessions)
    bob = {p for pairs in (await _stored(sessions)).values() for p, _ in pairs}
    assert len(bob) == 2  # Alice and Carol now; Bob closed his profile


async def test_a_need_closed_expires_its_proposals_on_the_warm_engine(
    sessions: SessionFactory, world: TalentWorld, redis: Redis
) -> None:
    host = EngineOwnership(redis)
    seen: set[uuid.UUID] = set()
    await _handle_new(sessions, host, seen)
    firm = await act_as(sessions, world.firm_owner, world.firm)
    async with unit_of_work(sessions, firm) as session:
        await service.change_need_status(
            session, firm, need_id=world.need.id, status=NeedStatus.CLOSED
        )
    await _handle_new(sessions, host, seen)
    assert await _stored(sessions) == {} == _of(host.engine)


async def test_a_message_handled_twice_stores_and_tells_once(
    sessions: SessionFactory, world: TalentWorld, redis: Redis
) -> None:
    host = EngineOwnership(redis)
    handlers = talent_tasks.handlers(host)
    *_profiles, message_id = await _handle_new(sessions, host, set())
    stored = await _stored(sessions)
    generation = host.generation

    # when: the same message comes again (a job retried, queued twice), and its telling too
    assert await handle_message(sessions, message_id, handlers=handlers) is False
    async with unit_of_work(sessions, Viewer.platform()) as session:
        tells = (
            await session.scalars(
                select(OutboxMessage).where(OutboxMessage.topic == talent_tasks.TELL_PROPOSALS)
            )
        ).all()
        assert len(tells) == 1
        tells[0].processed_at = None  # as if its job ran again before it was marked
    assert await handle_message(sessions, tells[0].id, handlers=handlers) is True

    # then: nothing moved, nobody was told twice, the engine did not count a change
    assert await _stored(sessions) == stored
    assert host.generation == generation
    async with unit_of_work(sessions, Viewer.platform()) as session:
        told = await session.scalars(
            select(Notification.recipient_email).where(
                Notification.kind == talent_tasks.NEW_PROPOSAL
            )
        )
        emails = list(told.all())
    assert len(emails) == len(set(emails)) == 3


async def test_a_second_worker_handles_cold_and_the_holder_reloads(
    sessions: SessionFactory, world: TalentWorld, redis: Redis
) -> None:
    # given: one worker holds the warm engine
    holder, other = EngineOwnership(redis), EngineOwnership(redis)
    seen: set[uuid.UUID] = set()
    await _handle_new(sessions, holder, seen)
    generation = holder.generation
    assert generation is not None

    # when: the other worker handles the next changes, without the lease
    await _change_the_world(sessions, world)
    await _handle_new(sessions, other, seen)
    assert not other.engine.loaded
    assert other.handled == {"cold": 4}  # counted, and logged, as handled cold

    # then: the holder's engine is stale by the counter and reloads at its next use
    async with unit_of_work(sessions, Viewer.platform()) as session:
        engine = await holder.warm(session)
    assert engine is holder.engine and holder.generation == generation + 4
    assert holder.loads == 2
    assert _of(holder.engine) == _of(await _fresh(sessions))


async def test_the_lease_goes_to_another_worker_once_released(redis: Redis) -> None:
    first, second = EngineOwnership(redis), EngineOwnership(redis)
    assert await first.holds() and not await second.holds()
    await first.release()
    assert await second.holds() and not await first.holds()


async def test_the_nightly_rebuild_finds_no_drift_and_a_lost_change_as_drift(
    sessions: SessionFactory, world: TalentWorld, redis: Redis
) -> None:
    host = EngineOwnership(redis)
    await _handle_new(sessions, host, set())
    async with unit_of_work(sessions, Viewer.platform()) as session:
        assert (await host.engine.rebuild(session)).drift == 0

    # a change the engine never heard of (a message lost) is drift the night finds
    async with unit_of_work(sessions, Viewer.platform()) as session:
        need = await service.get_need(session, world.need.id, field="needId")
        need.status = NeedStatus.PAUSED
    async with unit_of_work(sessions, Viewer.platform()) as session:
        rebuilt = await host.engine.rebuild(session)
    assert rebuilt.drift == 1
    assert await _stored(sessions) == {}


async def test_the_nightly_message_verifies_the_warm_engine(
    sessions: SessionFactory, world: TalentWorld, redis: Redis
) -> None:
    # given: a warm engine, and changes it was told of
    host = EngineOwnership(redis)
    seen: set[uuid.UUID] = set()
    await _handle_new(sessions, host, seen)
    await _change_the_world(sessions, world)
    await _handle_new(sessions, host, seen)
    stored = await _stored(sessions)
    ENGINE_DRIFT.set(-1)

    # when: the night's recompute is handled by the holder
    async with unit_of_work(sessions, Viewer.platform()) as session:
        await talent_tasks.enqueue_nightly_recompute(session, date(2026, 11, 22))
        [message_id] = await session.scalars(
            select(OutboxMessage.id).where(OutboxMessage.topic == talent_tasks.NIGHTLY_RECOMPUTE)
        )
    handlers = talent_tasks.handlers(host)
    assert await handle_message(sessions, message_id, handlers=handlers) is True

    # then: no drift, the same proposals, and the engine is current for what follows
    assert ENGINE_DRIFT._value.get() == 0
    assert await _stored(sessions) == stored == _of(host.engine)
    assert host.generation == int(await redis.get(GENERATION_KEY) or 0)


async def test_the_nightly_rewrites_only_what_the_database_has_wrong_and_tells_the_new(
    sessions: SessionFactory, world: TalentWorld, redis: Redis, caplog: pytest.LogCaptureFixture
) -> None:
    # given: a warm engine over two open needs, their proposals stored
    host = EngineOwnership(redis)
    seen: set[uuid.UUID] = set()
    await _handle_new(sessions, host, seen)
    await _change_the_world(sessions, world)
    await _handle_new(sessions, host, seen)
    stored = await _stored(sessions)
    assert len(stored) == 2
    # and the database wrong behind the engine's back: one of the first need's proposals
    # withdrawn, one of the other need's moved to another rank
    async with unit_of_work(sessions, Viewer.platform()) as session:
        proposed = (
            await session.scalars(select(Match).where(Match.status == MatchStatus.PROPOSED))
        ).all()
        lost = next(m for m in proposed if m.need_id == world.need.id)
        lost.status = MatchStatus.EXPIRED
        moved = next(m for m in proposed if m.need_id != world.need.id)
        moved.rank = 9
        lost_id, moved_id, moved_version = lost.id, moved.id, moved.version

    # when: the night's recompute is handled by the holder
    async with unit_of_work(sessions, Viewer.platform()) as session:
        await talent_tasks.enqueue_nightly_recompute(session, date(2026, 11, 23))
        [message_id] = await session.scalars(
            select(OutboxMessage.id).where(OutboxMessage.topic == talent_tasks.NIGHTLY_RECOMPUTE)
        )
    caplog.set_level("INFO", logger=talent_tasks.logger.name)
    assert await handle_message(sessions, message_id, handlers=talent_tasks.handlers(host))

    # then: the database holds the fresh engine's proposals again, both needs were written
    # (the warm engine itself had not drifted), and only the proposal made again was told
    assert await _stored(sessions) == stored == _of(host.engine) == _of(await _fresh(sessions))
    [verified] = [r for r in caplog.records if r.getMessage() == "warm engine verified"]
    assert (verified.drift, verified.stored, verified.told) == (0, 2, 1)
    async with unit_of_work(sessions, Viewer.platform()) as session:
        told = await session.scalars(
            select(Notification.subject_id).where(Notification.outbox_id == message_id)
        )
        assert set(told.all()) == {global_id("Match", lost_id)}
        again = await session.get(Match, moved_id)
        assert again is not None and again.version > moved_version


async def test_a_steady_night_writes_and_tells_nothing(
    sessions: SessionFactory, world: TalentWorld, redis: Redis
) -> None:
    host = EngineOwnership(redis)
    await _handle_new(sessions, host, set())
    stored = await _stored(sessions)
    async with unit_of_work(sessions, Viewer.platform()) as session:
        rebuilt = await host.engine.rebuild(session)
    assert (rebuilt.drift, rebuilt.stored, rebuilt.new) == (0, 0, set())
    assert await _stored(sessions) == stored == _of(host.engine)
    # a match the sides moved on with (accepted) is not a proposal the night must write again
    async with unit_of_work(sessions, Viewer.platform()) as session:
        accepted = await session.scalar(select(Match).where(Match.need_id == world.need.id))
        assert accepted is not None
        accepted.status = MatchStatus.ACCEPTED
    async with unit_of_work(sessions, Viewer.platform()) as session:
        rebuilt = await host.engine.rebuild(session)
        assert (rebuilt.stored, rebuilt.new) == (0, set())
        assert (await session.get(Match, accepted.id, populate_existing=True)).status == (
            MatchStatus.ACCEPTED
        )
    # a rewrite (new words for the explanations) writes every need, and tells nothing new
    async with unit_of_work(sessions, Viewer.platform()) as session:
        rebuilt = await host.engine.rebuild(session, rewrite=True)
    assert (rebuilt.stored, rebuilt.new) == (1, set())


async def test_the_nightly_reads_again_only_a_profile_edited_in_the_database(
    sessions: SessionFactory, world: TalentWorld, redis: Redis
) -> None:
    # given: a warm engine, its proposals stored
    host = EngineOwnership(redis)
    await _handle_new(sessions, host, set())
    proposed = sorted(p for p, _rank in (await _stored(sessions))[world.need.id])
    priced_out = proposed[0]
    read_before = dict(host.engine._professionals)
    # and one of the proposed professionals' profile edited in the database directly (no
    # message, no new version): their fee is now far above the need's budget
    async with unit_of_work(sessions, Viewer.platform()) as session:
        await session.execute(
            update(ProfessionalProfile)
            .where(ProfessionalProfile.professional_id == priced_out)
            .values(fee_min_jpy=5_000_000, fee_max_jpy=6_000_000)
        )

    # when: the night's rebuild
    async with unit_of_work(sessions, Viewer.platform()) as session:
        rebuilt = await host.engine.rebuild(session)

    # then: the edit is found (the warm engine had drifted), the need written without them,
    # and the engine is what a restarted worker builds
    assert (rebuilt.drift, rebuilt.stored) == (1, 1)
    stored = await _stored(sessions)
    assert priced_out not in {p for p, _rank in stored.get(world.need.id, set())}
    assert stored == _of(host.engine) == _of(await _fresh(sessions))
    # only that profile was read again: the others keep the specs read before
    read_after = host.engine._professionals
    assert read_after[priced_out] != read_before[priced_out]
    assert all(read_after[p] is spec for p, spec in read_before.items() if p != priced_out)
