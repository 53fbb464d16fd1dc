"""Webhooks reach a member's system: signed, once per event and endpoint, retried while it is
down or failing, then delivered or visibly failed; a real receiver on loopback checks them."""

from __future__ import annotations

import json
import logging
import time
import uuid
from collections import Counter

import pytest
from arq.worker import Retry
from prometheus_client import REGISTRY
from sqlalchemy import func, select

from factories import create_organization, create_user
from renkei.db import SessionFactory, unit_of_work
from renkei.identity.models import User
from renkei.notifications import service as notifications
from renkei.organizations import service as organizations
from renkei.outbox import OutboxMessage
from renkei.tenancy import MembershipRole, Viewer
from renkei.webhooks import service as webhooks
from renkei.webhooks import signing
from renkei.webhooks.models import WebhookDeliveryStatus
from renkei.webhooks.service import WebhookConfig
from renkei.webhooks.tasks import RETRY_DELAYS
from renkei.workers.jobs import MAX_TRIES, handle_outbox_message, handlers_for
from renkei.workers.settings import JOB_KEPT_MS
from webhooks.conftest import Receiver
from webhooks.helpers import acting, deliveries, run_outbox


async def _organization_with_endpoints(
    sessions: SessionFactory, config: WebhookConfig, urls: list[str], topics: list[str]
) -> tuple[User, uuid.UUID, list[str]]:
    """An organization, its owner, and the secrets of its endpoints at `urls`."""
    owner = await create_user(sessions, f"owner-{uuid.uuid4().hex[:6]}@a.example")
    org = await create_organization(sessions, owner, name="熊本精密")
    secrets = []
    async with acting(sessions, owner.id, org.id) as (session, viewer):
        for url in urls:
            _, secret = await webhooks.create_endpoint(
                session, viewer, config=config, organization_id=org.id, url=url, topics=topics
            )
            secrets.append(secret)
    return owner, org.id, secrets


async def _tell(sessions: SessionFactory, organization_id: uuid.UUID, count: int) -> None:
    """`count` notifications, each of its own outbox message, to two people of the organization:
    one event each for the organization."""
    async with unit_of_work(sessions, Viewer.platform()) as session:
        for i in range(count):
            people = [
                notifications.Recipient(f"p{i:03}-{n}@b.example", organization_id, "ja")
                for n in range(2)
            ]
            await notifications.tell(
                session,
                uuid.uuid4(),
                people,
                kind="milestone.status_changed",
                text=lambda: ("件名", "本文"),
                subject_id=None,
            )


async def test_an_invitation_is_posted_once_to_each_endpoint_signed_with_its_secret(
    sessions: SessionFactory, receiver: Receiver, config: WebhookConfig
) -> None:
    # given two endpoints of an organization listening to invitations
    owner, org_id, secrets = await _organization_with_endpoints(
        sessions, config, [receiver.url, receiver.url + "?second"], ["invitation.created"]
    )
    async with acting(sessions, owner.id, org_id) as (session, viewer):
        await organizations.invite_member(
            session,
            viewer,
            organization_id=org_id,
            email="new@b.example",
            role=MembershipRole.MEMBER,
        )
    # when the outbox runs, twice
    await run_outbox(sessions, config)
    await run_outbox(sessions, config)
    # then each endpoint got the one event, verifiable with its own secret only
    assert len(receiver.calls) == 2
    events = {c.headers["renkei-event-id"] for c in receiver.calls}
    assert len(events) == 1
    for call, secret, other in zip(receiver.calls, secrets, reversed(secrets), strict=True):
        assert signing.verify(secret, call.headers["renkei-signature"], call.body)
        assert not signing.verify(other, call.headers["renkei-signature"], call.body)
        assert not signing.verify("whsec_wrong", call.headers["renkei-signature"], call.body)
        body = json.loads(call.body)
        assert body["id"] == call.headers["renkei-event-id"]
        assert (body["topic"], body["organizationId"]) == ("invitation.created", str(org_id))
        assert body["subjectId"].startswith("SW52aXRhdGlvbj")  # "Invitation:" base64
        assert body["data"]["locale"] == "ja"
    log = await deliveries(sessions)
    assert [(d.status, d.attempts, d.response_code) for d in log] == [
        (WebhookDeliveryStatus.DELIVERED, 1, 200)
    ] * 2
    assert all(d.latency_ms is not None and d.delivered_at for d in log)


async def test_topics_not_listened_to_and_inactive_endpoints_get_nothing(
    sessions: SessionFactory, receiver: Receiver, config: WebhookConfig
) -> None:
    # given an endpoint for another topic
    await _organization_with_endpoints(sessions, config, [receiver.url], ["talent.match_step"])
    _, org_id, _ = await _organization_with_endpoints(
        sessions, config, [receiver.url], ["milestone.status_changed"]
    )
    # when
    await _tell(sessions, org_id, 1)
    await run_outbox(sessions, config)
    # then one call, for the organization listening
    [call] = receiver.calls
    assert json.loads(call.body)["organizationId"] == str(org_id)


def test_a_signature_is_refused_with_a_wrong_secret_a_changed_body_or_too_late() -> None:
    body = b'{"id":"1"}'
    header = signing.sign("whsec_right", body)
    assert signing.verify("whsec_right", header, body)
    assert not signing.verify("whsec_wrong", header, body)
    assert not signing.verify("whsec_right", header, body + b" ")
    old = signing.sign("whsec_right", body, timestamp=int(time.time()) - 301)
    assert not signing.verify("whsec_right", old, body)
    assert not signing.verify("whsec_right", "v1=abc", body)


def _counted(outcome: str) -> float:
    return (
        REGISTRY.get_sample_value(
            "renkei_deliveries_total", {"channel": "webhook", "outcome": outcome}
        )
        or 0.0
    )


async def test_a_failing_receiver_is_retried_then_delivered_and_the_log_shows_it(
    sessions: SessionFactory, receiver: Receiver, config: WebhookConfig
) -> None:
    # given a receiver answering 500, then 200
    _, org_id, _ = await _organization_with_endpoints(
        sessions, config, [receiver.url], ["milestone.status_changed"]
    )
    receiver.answers = [500]
    await _tell(sessions, org_id, 1)
    before = {o: _counted(o) for o in ("retried", "sent")}
    # when the outbox runs, then again
    await run_outbox(sessions, config)
    [failed] = await deliveries(sessions)
    await run_outbox(sessions, config)
    # then
    assert (failed.status, failed.attempts, failed.response_code) == (
        WebhookDeliveryStatus.PENDING,
        1,
        500,
    )
    assert failed.last_error and failed.last_error.startswith("HTTP 500")
    [delivered] = await deliveries(sessions)
    assert (delivered.status, delivered.attempts, delivered.response_code) == (
        WebhookDeliveryStatus.DELIVERED,
        2,
        200,
    )
    assert delivered.last_error is None
    assert {o: _counted(o) - n for o, n in before.items()} == {"retried": 1, "sent": 1}
    assert len({c.headers["renkei-event-id"] for c in receiver.calls}) == 1
    assert len(receiver.calls) == 2


async def test_a_receiver_outage_loses_no_event_and_doubles_none(
    sessions: SessionFactory, receiver: Receiver, config: WebhookConfig
) -> None:
    # given the receiver is down while 200 notifications are recorded and the outbox runs twice
    _, org_id, secrets = await _organization_with_endpoints(
        sessions, config, [receiver.url], ["milestone.status_changed"]
    )
    await receiver.stop()
    await _tell(sessions, org_id, 200)
    for _ in range(2):
        await run_outbox(sessions, config)
    waiting = await deliveries(sessions)
    assert len(waiting) == 200
    assert {(d.status, d.attempts, d.response_code) for d in waiting} == {
        (WebhookDeliveryStatus.PENDING, 2, None)
    }
    assert all(d.last_error for d in waiting)
    # when it is back and the outbox runs again, twice
    await receiver.start()
    await run_outbox(sessions, config)
    await run_outbox(sessions, config)
    # then exactly one call per event
    counts = Counter(c.headers["renkei-event-id"] for c in receiver.calls)
    assert len(counts) == 200 and set(counts.values()) == {1}
    assert all(
        signing.verify(secrets[0], c.headers["renkei-signature"], c.body) for c in receiver.calls
    )
    async with unit_of_work(sessions, Viewer.platform()) as session:
        queued = await session.scalar(
            select(func.count())
            .select_from(OutboxMessage)
            .where(OutboxMessage.topic == webhooks.DELIVER_TOPIC)
        )
    assert queued == 200  # one per event: the second person told queued nothing more
    done = await deliveries(sessions)
    assert {(d.status, d.attempts) for d in done} == {(WebhookDeliveryStatus.DELIVERED, 3)}


async def test_redelivery_sends_the_same_event_again(
    sessions: SessionFactory, receiver: Receiver, config: WebhookConfig
) -> None:
    # given a delivered event
    owner, org_id, _ = await _organization_with_endpoints(
        sessions, config, [receiver.url], ["milestone.status_changed"]
    )
    await _tell(sessions, org_id, 1)
    await run_outbox(sessions, config)
    [delivered] = await deliveries(sessions)
    # when a manager redelivers it
    async with acting(sessions, owner.id, org_id) as (session, viewer):
        await webhooks.redeliver(session, viewer, delivery_id=delivered.id)
    await run_outbox(sessions, config)
    # then
    first, second = receiver.calls
    assert first.headers["renkei-event-id"] == second.headers["renkei-event-id"]
    assert first.body == second.body
    [again] = await deliveries(sessions)
    assert (again.status, again.attempts) == (WebhookDeliveryStatus.DELIVERED, 2)


async def test_the_worker_retries_for_about_a_day_then_gives_up_visibly(
    sessions: SessionFactory,
    receiver: Receiver,
    config: WebhookConfig,
    caplog: pytest.LogCaptureFixture,
) -> None:
    # given an event the receiver, down, cannot take
    _, org_id, _ = await _organization_with_endpoints(
        sessions, config, [receiver.url], ["milestone.status_changed"]
    )
    await receiver.stop()
    await _tell(sessions, org_id, 1)
    await run_outbox(sessions, config)  # the notification's own message, its email
    async with unit_of_work(sessions, Viewer.platform()) as session:
        [message] = await session.scalars(
            select(OutboxMessage).where(OutboxMessage.topic == webhooks.DELIVER_TOPIC)
        )
    ctx = {"sessions": sessions, "handlers": handlers_for(None, config)}
    caplog.set_level(logging.WARNING)
    # when the job runs it on its second try, then on its last
    with pytest.raises(Retry) as retry:
        await handle_outbox_message({**ctx, "job_try": 2}, str(message.id))
    last = await handle_outbox_message({**ctx, "job_try": MAX_TRIES}, str(message.id))
    # then: webhook delays span a day, within the time the worker keeps a job; the last failure
    # is final, kept and logged
    assert retry.value.defer_score == RETRY_DELAYS[1] * 1000
    assert 24 * 3600 <= sum(RETRY_DELAYS[: MAX_TRIES - 1]) < JOB_KEPT_MS / 1000
    assert last is True
    [failed] = await deliveries(sessions)
    assert failed.status is WebhookDeliveryStatus.FAILED
    assert failed.last_error
    assert "webhook delivery failed for good" in [r.message for r in caplog.records]


def test_the_topics_are_the_kinds_the_code_records() -> None:
    import re
    from pathlib import Path

    from renkei.email_domains.service import DOMAIN_CLAIMED_ELSEWHERE
    from renkei.milestones.tasks import DAILY_REMINDER
    from renkei.organizations.service import INVITATION_CREATED
    from renkei.talent.tasks import MATCH_STEP_TAKEN, NEW_PROPOSAL

    platform = Path(webhooks.__file__).parents[1]
    literals = {
        kind
        for path in platform.glob("*/tasks.py")
        for kind in re.findall(r'kind="([a-z_.]+)"', path.read_text())
    }
    named = {INVITATION_CREATED, DAILY_REMINDER, MATCH_STEP_TAKEN, NEW_PROPOSAL}
    assert literals | named | {DOMAIN_CLAIMED_ELSEWHERE} == set(webhooks.TOPICS)


async def test_a_notification_recorded_again_queues_no_second_email_or_event(
    sessions: SessionFactory, receiver: Receiver, config: WebhookConfig
) -> None:
    # given an organization listening, and one outbox message telling the same person twice
    _, org_id, _ = await _organization_with_endpoints(
        sessions, config, [receiver.url], ["milestone.status_changed"]
    )
    outbox_id = uuid.uuid4()
    people = [notifications.Recipient("p@b.example", org_id, "ja")]
    # when
    async with unit_of_work(sessions, Viewer.platform()) as session:
        told = [
            await notifications.tell(
                session,
                outbox_id,
                people,
                kind="milestone.status_changed",
                text=lambda: ("件名", "本文"),
                subject_id=None,
            )
            for _ in range(2)
        ]
    await run_outbox(sessions, config)
    # then
    assert told == [1, 0]
    assert len(receiver.calls) == 1
