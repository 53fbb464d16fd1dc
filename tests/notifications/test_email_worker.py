"""The worker as the product builds it emails notifications through the SMTP server its
settings name: resolved once at start, used by every job."""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator

import pytest
from arq.connections import ArqRedis, RedisSettings, create_pool
from sqlalchemy import select

from factories import create_organization, create_user
from notifications.conftest import MailServer
from renkei import outbox
from renkei.config import Settings
from renkei.db import unit_of_work
from renkei.identity import service as identity
from renkei.identity.scopes import ALL_SCOPES
from renkei.identity.tokens import TokenService
from renkei.notifications.models import DeliveryStatus, NotificationDelivery
from renkei.organizations import service as organizations
from renkei.runtime import Runtime
from renkei.tenancy import MembershipRole, Viewer
from renkei.workers.settings import create_worker

# arq 0.28 closes its pool with redis-py's deprecated close().
pytestmark = pytest.mark.filterwarnings("ignore:Call to deprecated close:DeprecationWarning")


@pytest.fixture
async def queue(redis_url: str) -> AsyncIterator[ArqRedis]:
    pool = await create_pool(
        RedisSettings.from_dsn(redis_url), default_queue_name=f"renkei-test-{uuid.uuid4().hex}"
    )
    yield pool
    await pool.delete(pool.default_queue_name)
    await pool.aclose()


@pytest.fixture
async def runtime(
    committed, redis_url: str, tokens: TokenService, mail_server: MailServer
) -> AsyncIterator[Runtime]:
    settings = Settings(
        database_url=committed.owner_url,
        app_database_url=committed.app_url,
        redis_url=redis_url,
        signing_keys=json.dumps(tokens.keys.as_dict(private=True)),
        smtp_url=mail_server.url,
        public_url="https://renkei.example",
    )
    runtime = Runtime.start(settings)
    yield runtime
    await runtime.close()


async def test_the_worker_emails_an_invitation_through_its_smtp_server(
    committed, runtime: Runtime, queue: ArqRedis, mail_server: MailServer
) -> None:
    # given a committed invitation
    owner = await create_user(committed.sessions, "owner@a.example")
    org = await create_organization(committed.sessions, owner, name="熊本精密")
    async with committed.sessions() as session, session.begin():
        viewer = await identity.viewer_for(
            session, owner.id, organization_id=org.id, scopes=ALL_SCOPES
        )
        await organizations.invite_member(
            session,
            viewer,
            organization_id=org.id,
            email="new@b.example",
            role=MembershipRole.MEMBER,
        )
    # when the relay and the worker run until nothing is left (the invitation, then its email)
    for _ in range(3):
        await outbox.relay_pending(committed.sessions, queue)
        worker = create_worker(
            runtime, burst=True, relay=False, queue_name=queue.default_queue_name
        )
        try:
            await worker.async_run()
        finally:
            await worker.close()
        assert worker.jobs_failed == 0
    # then
    [received] = mail_server.received
    assert received.recipients == ["new@b.example"]
    assert "熊本精密" in received.message["Subject"]
    assert received.message["Message-ID"].endswith("@renkei.example>")
    async with unit_of_work(committed.sessions, Viewer.platform()) as session:
        [delivery] = await session.scalars(select(NotificationDelivery))
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.SENT, 1)
