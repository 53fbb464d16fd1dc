"""The outbox end to end on real servers: committed changes reach their handler once, through Redis.

Each test has a database of its own with real commits (`committed`) and an arq queue of its own,
and runs the worker as the product builds it (`create_worker`), in burst mode.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import pytest
from arq.connections import ArqRedis, RedisSettings, create_pool
from arq.jobs import Job
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

from factories import create_organization, create_user, graphql, token_for
from renkei import outbox
from renkei.config import Settings
from renkei.db import unit_of_work
from renkei.graphql.relay import to_global_id
from renkei.identity import service as identity
from renkei.identity.scopes import ALL_SCOPES
from renkei.identity.tokens import TokenService
from renkei.notifications.models import Notification
from renkei.organizations import service as organizations
from renkei.organizations.models import Invitation, Organization
from renkei.outbox import OutboxMessage
from renkei.runtime import Runtime
from renkei.tenancy import MembershipRole, Viewer
from renkei.webhooks.tasks import RETRY_DELAYS as WEBHOOK_RETRY_DELAYS
from renkei.workers.jobs import handle_message
from renkei.workers.relay import run_relay
from renkei.workers.settings import JOB_KEPT_MS, create_worker

INVITE_MEMBER = """
mutation Invite($input: InviteMemberInput!) {
  inviteMember(input: $input) {
    invitation { email status }
    userErrors { field code message }
  }
}
"""

INVITEE = "invitee@b.example"

# arq 0.28 closes its pool with redis-py's deprecated close().
pytestmark = pytest.mark.filterwarnings("ignore:Call to deprecated close:DeprecationWarning")


@pytest.fixture
async def queue(redis_url: str) -> AsyncIterator[ArqRedis]:
    """An arq pool whose default queue no other test uses."""
    pool = await create_pool(
        RedisSettings.from_dsn(redis_url), default_queue_name=f"renkei-test-{uuid.uuid4().hex}"
    )
    yield pool
    await pool.delete(pool.default_queue_name)
    await pool.aclose()


@pytest.fixture
async def runtime(
    committed, redis_url: str, tokens: TokenService, tmp_path: Path
) -> AsyncIterator[Runtime]:
    """The worker's runtime, resolved from settings as `renkei worker` resolves it (its
    embedded SMTP server keeps this test's mail under tmp_path, not the developer's)."""
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
def run_worker(runtime: Runtime, queue: ArqRedis) -> Callable[[], Awaitable[int]]:
    """Run the product's worker on this test's queue until the queue is empty."""

    async def run() -> int:
        worker = create_worker(
            runtime, burst=True, relay=False, queue_name=queue.default_queue_name
        )
        try:
            await worker.async_run()
        finally:
            await worker.close()
        assert worker.jobs_failed == 0
        return worker.jobs_complete

    return run


async def _organization(committed, tokens: TokenService) -> tuple[Organization, str]:
    """An organization and its owner's token; creating it queues nothing."""
    owner = await create_user(committed.sessions, "owner@a.example")
    org = await create_organization(committed.sessions, owner, name="Fukuoka Semiconductor")
    return org, token_for(tokens, owner, org)


async def _invite(committed, org: Organization, token: str, email: str = INVITEE) -> None:
    body = await graphql(
        committed.client,
        INVITE_MEMBER,
        {"input": {"organizationId": to_global_id("Organization", org.id), "email": email}},
        token=token,
    )
    assert body == {
        "data": {
            "inviteMember": {
                "invitation": {"email": email, "status": "PENDING"},
                "userErrors": [],
            }
        }
    }


async def _notifications(committed) -> list[Notification]:
    async with unit_of_work(committed.sessions, Viewer.platform()) as session:
        return list(
            await session.scalars(
                select(Notification).where(Notification.recipient_email == INVITEE)
            )
        )


async def _outbox(committed) -> list[OutboxMessage]:
    """The invitations' messages (a notification adds one of its own, to email it)."""
    async with unit_of_work(committed.sessions, Viewer.platform()) as session:
        return list(
            await session.scalars(
                select(OutboxMessage).where(OutboxMessage.topic == organizations.INVITATION_CREATED)
            )
        )


async def test_committed_invitation_notifies_the_invitee_once(committed, tokens, queue, run_worker):
    # given
    org, token = await _organization(committed, tokens)
    await _invite(committed, org, token)
    # when
    relayed = await outbox.relay_pending(committed.sessions, queue)
    handled = await run_worker()
    # then
    assert (relayed, handled) == (1, 1)
    [notification] = await _notifications(committed)
    assert "Fukuoka Semiconductor" in notification.subject
    assert notification.organization_id == org.id
    [message] = await _outbox(committed)
    assert message.topic == organizations.INVITATION_CREATED
    assert message.relayed_at is not None
    assert message.processed_at is not None
    assert notification.outbox_id == message.id
    assert await Job(str(message.id), queue).result(timeout=1) is True


async def test_a_message_delivered_again_has_no_second_effect(committed, tokens, queue, run_worker):
    # given
    org, token = await _organization(committed, tokens)
    await _invite(committed, org, token)
    await outbox.relay_pending(committed.sessions, queue)
    await run_worker()
    # the notification's own message (its email) is relayed and handled as well
    assert await outbox.relay_pending(committed.sessions, queue) == 1
    await run_worker()
    [message] = await _outbox(committed)
    # when: the relay and the worker run again
    relayed_again = await outbox.relay_pending(committed.sessions, queue)
    handled_again = await run_worker()
    # when: the same job id is queued by hand, which arq refuses while it keeps the result
    same_id = await queue.enqueue_job(outbox.JOB_NAME, str(message.id), _job_id=str(message.id))
    # when: the message is delivered under another job id, as after a lost result
    redelivered = await queue.enqueue_job(outbox.JOB_NAME, str(message.id))
    assert redelivered is not None
    handled_redelivery = await run_worker()
    # when: the handler is called directly
    handled_directly = await handle_message(committed.sessions, message.id)
    # then
    assert (relayed_again, handled_again, same_id) == (0, 0, None)
    assert handled_redelivery == 1
    assert await redelivered.result(timeout=1) is False
    assert handled_directly is False
    assert len(await _notifications(committed)) == 1


async def test_a_rolled_back_invitation_never_reaches_the_queue(committed, queue):
    # given
    owner = await create_user(committed.sessions, "owner@a.example")
    org = await create_organization(committed.sessions, owner)
    # when
    async with committed.sessions() as session:
        await session.begin()
        viewer = await identity.viewer_for(
            session, owner.id, organization_id=org.id, scopes=ALL_SCOPES
        )
        await organizations.invite_member(
            session, viewer, organization_id=org.id, email=INVITEE, role=MembershipRole.MEMBER
        )
        # The writer may not read the outbox (row-level security): keep what it added.
        pending = [m for m in session.new if isinstance(m, OutboxMessage)]
        await session.flush()  # the row, and its NOTIFY trigger, reach the database
        await session.rollback()
    relayed = await outbox.relay_pending(committed.sessions, queue)
    # then
    assert len(pending) == 1  # the invitation wrote its message inside the transaction
    assert relayed == 0
    assert await queue.zcard(queue.default_queue_name) == 0
    assert await _outbox(committed) == []
    assert await _notifications(committed) == []
    async with unit_of_work(committed.sessions, Viewer.platform()) as session:
        assert await session.scalar(select(func.count()).select_from(Invitation)) == 0


async def _wait_for(predicate: Callable[[], Awaitable[bool]], *, seconds: float) -> bool:
    """Poll until the predicate holds or the time is up; the time bounds a failure, nothing else."""
    for _ in range(int(seconds / 0.05)):
        if await predicate():
            return True
        await asyncio.sleep(0.05)
    return await predicate()


async def test_the_relay_wakes_on_notify_before_its_next_poll(committed, tokens, queue):
    # given: a relay that polls only every 30 seconds, past its first pass and listening
    org, token = await _organization(committed, tokens)
    await _invite(committed, org, token, "first@b.example")
    owner_engine = create_async_engine(committed.owner_url, poolclass=NullPool)

    async def listening() -> bool:
        async with owner_engine.connect() as conn:
            found = await conn.scalar(
                text(
                    "SELECT count(*) FROM pg_stat_activity"
                    " WHERE datname = current_database() AND query = :listen"
                ),
                {"listen": f"LISTEN {outbox.NOTIFY_CHANNEL}"},
            )
        return bool(found)

    async def all_relayed() -> bool:
        messages = await _outbox(committed)
        return bool(messages) and all(m.relayed_at is not None for m in messages)

    relay = asyncio.create_task(
        run_relay(committed.sessions, queue, committed.app_url, poll_seconds=30)
    )
    try:
        # The first message is relayed by the pass the relay makes on start; the second can
        # then only be relayed within seconds if the commit's NOTIFY wakes it.
        assert await _wait_for(all_relayed, seconds=5)
        assert await _wait_for(listening, seconds=5)
        # when
        await _invite(committed, org, token, "second@b.example")
        # then
        assert await _wait_for(all_relayed, seconds=5)
        assert len(await _outbox(committed)) == 2
        assert await queue.zcard(queue.default_queue_name) == 2
    finally:
        relay.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await relay
        await owner_engine.dispose()
    assert relay.cancelled()


async def test_the_relay_reports_the_backlog_for_alarms_and_scaling(
    committed, tokens, queue, caplog
):
    # given two committed invitations and no worker to take their jobs
    org, token = await _organization(committed, tokens)
    await _invite(committed, org, token, "first@b.example")
    await _invite(committed, org, token, "second@b.example")
    caplog.set_level(logging.INFO, logger="renkei.workers.relay")
    relay = asyncio.create_task(
        run_relay(committed.sessions, queue, committed.app_url, poll_seconds=30)
    )
    # when its first pass has relayed them
    try:
        assert await _wait_for(
            lambda: _async_true(any(r.message == "worker backlog" for r in caplog.records)),
            seconds=5,
        )
    finally:
        relay.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await relay
    # then it says nothing waits in the outbox and two jobs wait in the queue
    [report] = [r for r in caplog.records if r.message == "worker backlog"]
    assert (report.outbox_pending, report.queue_depth) == (0, 2)


async def _async_true(value: bool) -> bool:
    return value


def test_the_worker_keeps_a_queued_job_longer_than_any_handler_retries(runtime: Runtime) -> None:
    """arq drops a job once its deadline (set when queued, kept by retries) passes: the worker's
    must outlast the webhooks' day of retries, or their last tries would never run."""
    worker = create_worker(runtime, queue_name=f"renkei-test-{uuid.uuid4().hex}", burst=True)
    assert worker.expires_extra_ms == JOB_KEPT_MS
    assert sum(WEBHOOK_RETRY_DELAYS) * 1000 < JOB_KEPT_MS
