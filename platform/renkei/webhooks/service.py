"""Webhooks: an organization's owners and admins register endpoints for notification topics;
each event (one per outbox message and organization) is delivered to every active endpoint
listening to its topic, once, through the outbox (renkei.webhooks.tasks).

The signing secret is shown once, when made (creation, rotation), and kept sealed
(renkei.crypto). An event's id is derived from its outbox message and organization, so the
same event queued twice is one delivery per endpoint (UNIQUE (endpoint_id, event_id)).
"""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from renkei import outbox
from renkei.crypto import Sealed, SecretBox
from renkei.errors import Invalid, NotFound
from renkei.i18n.messages import N_, _
from renkei.tenancy import Viewer, require_manager
from renkei.webhooks import repository, urls
from renkei.webhooks.models import WebhookDelivery, WebhookDeliveryStatus, WebhookEndpoint

DELIVER_TOPIC = "webhook.deliver"
SECRET_PREFIX = "whsec_"
# The kinds of notification the code records (each domain's tasks.py): the topics to listen to.
TOPICS = (
    "invitation.created",
    "project.invited",
    "region.invited",
    "milestone.status_changed",
    "milestone.at_risk",
    "milestone.daily_reminder",
    "talent.new_proposal",
    "talent.match_step",
    "email_domain_claimed_elsewhere",
)
MAX_ENDPOINTS = 20
_EVENTS = uuid.UUID("3f7c2a1e-9b4d-4c55-8a61-5e2f0d7b9c10")
_MANAGE = N_("manage its webhooks")


@dataclass(frozen=True)
class WebhookConfig:
    """What webhooks need from the runtime: the key ring sealing secrets, and whether URLs are
    held to production's rules (https, public addresses only)."""

    box: SecretBox
    production: bool


def event_id(outbox_id: uuid.UUID, organization_id: uuid.UUID) -> uuid.UUID:
    """The one event of an outbox message for an organization."""
    return uuid.uuid5(_EVENTS, f"{outbox_id}:{organization_id}")


def new_secret() -> str:
    return SECRET_PREFIX + secrets.token_urlsafe(32)


def secret_of(box: SecretBox, endpoint: WebhookEndpoint) -> str:
    return box.open(
        Sealed(endpoint.secret_key_id, endpoint.secret_ciphertext), context=str(endpoint.id)
    )


def _seal(box: SecretBox, endpoint: WebhookEndpoint, secret: str) -> None:
    sealed = box.seal(secret, context=str(endpoint.id))
    endpoint.secret_ciphertext = sealed.ciphertext
    endpoint.secret_key_id = sealed.key_id


def _topics(topics: Sequence[str]) -> list[str]:
    chosen = sorted(set(topics))
    if not chosen:
        raise Invalid(_("choose at least one topic"), field="topics")
    unknown = [t for t in chosen if t not in TOPICS]
    if unknown:
        raise Invalid(
            _(
                "unknown topics: {topics}; choose among {known}",
                topics=", ".join(unknown),
                known=", ".join(TOPICS),
            ),
            field="topics",
        )
    return chosen


async def _url(url: str, config: WebhookConfig) -> str:
    if len(url) > 2048:
        raise Invalid(_("the URL is too long"), field="url")
    try:
        return await urls.check(url, production=config.production)
    except urls.RefusedUrl as exc:
        raise Invalid(str(exc), field="url") from exc


async def _managed(
    session: AsyncSession, viewer: Viewer, endpoint_id: uuid.UUID
) -> WebhookEndpoint:
    endpoint = await repository.endpoint(session, endpoint_id)
    # Another organization's endpoint is invisible (row-level security): as one that is not.
    if endpoint is None or not viewer.manages(endpoint.organization_id):
        raise NotFound(_("no such webhook endpoint"), field="id")
    return endpoint


async def create_endpoint(
    session: AsyncSession,
    viewer: Viewer,
    *,
    config: WebhookConfig,
    organization_id: uuid.UUID,
    url: str,
    topics: Sequence[str],
    description: str | None = None,
) -> tuple[WebhookEndpoint, str]:
    """Register an endpoint (owners and admins); its secret, returned here only."""
    require_manager(viewer, organization_id, to=_MANAGE)
    checked = await _url(url, config)
    chosen = _topics(topics)
    if (
        len(await repository.endpoints_of(session, organization_id=organization_id))
        >= MAX_ENDPOINTS
    ):
        raise Invalid(_("at most {most} webhook endpoints", most=MAX_ENDPOINTS), field="url")
    endpoint = WebhookEndpoint(
        id=uuid.uuid4(),
        organization_id=organization_id,
        url=checked,
        topics=chosen,
        description=(description or "").strip()[:300] or None,
        active=True,
    )
    secret = new_secret()
    _seal(config.box, endpoint, secret)
    session.add(endpoint)
    await session.flush()
    return endpoint, secret


async def update_endpoint(
    session: AsyncSession,
    viewer: Viewer,
    *,
    config: WebhookConfig,
    endpoint_id: uuid.UUID,
    url: str | None = None,
    topics: Sequence[str] | None = None,
    active: bool | None = None,
    description: str | None = None,
) -> WebhookEndpoint:
    """Change an endpoint's URL, topics, description or whether it is active."""
    endpoint = await _managed(session, viewer, endpoint_id)
    if url is not None:
        endpoint.url = await _url(url, config)
    if topics is not None:
        endpoint.topics = _topics(topics)
    if active is not None:
        endpoint.active = active
    if description is not None:
        endpoint.description = description.strip()[:300] or None
    endpoint.updated_at = datetime.now(UTC)
    await session.flush()
    return endpoint


async def delete_endpoint(
    session: AsyncSession, viewer: Viewer, *, endpoint_id: uuid.UUID
) -> uuid.UUID:
    """Delete an endpoint and its delivery log; its id."""
    endpoint = await _managed(session, viewer, endpoint_id)
    await session.delete(endpoint)
    await session.flush()
    return endpoint_id


async def rotate_secret(
    session: AsyncSession, viewer: Viewer, *, config: WebhookConfig, endpoint_id: uuid.UUID
) -> tuple[WebhookEndpoint, str]:
    """A new signing secret, returned here only; the old one signs nothing more."""
    endpoint = await _managed(session, viewer, endpoint_id)
    secret = new_secret()
    _seal(config.box, endpoint, secret)
    endpoint.updated_at = datetime.now(UTC)
    await session.flush()
    return endpoint, secret


async def endpoints(
    session: AsyncSession, viewer: Viewer, *, organization_id: uuid.UUID
) -> list[WebhookEndpoint]:
    """An organization's endpoints, for its managers."""
    require_manager(viewer, organization_id, to=_MANAGE)
    return await repository.endpoints_of(session, organization_id=organization_id)


async def redeliver(
    session: AsyncSession, viewer: Viewer, *, delivery_id: uuid.UUID
) -> WebhookDelivery:
    """Send a delivery's event again, with the same event id (a receiver may dedupe on it)."""
    delivery = await repository.delivery_for_update(session, delivery_id)
    if delivery is None or not viewer.manages(delivery.organization_id):
        raise NotFound(_("no such webhook delivery"), field="deliveryId")
    delivery.status = WebhookDeliveryStatus.PENDING
    delivery.updated_at = datetime.now(UTC)
    outbox.enqueue(session, DELIVER_TOPIC, {"delivery_id": str(delivery.id), "redeliver": True})
    await session.flush()
    return delivery


async def queue_event(
    session: AsyncSession,
    *,
    organization_id: uuid.UUID,
    topic: str,
    outbox_id: uuid.UUID,
    subject_id: str | None,
    data: dict[str, Any],
) -> int:
    """In the transaction recording a notification for an organization: one delivery per active
    endpoint listening to `topic`, each with the outbox message that sends it; how many were new
    (an event queued again adds none)."""
    event = event_id(outbox_id, organization_id)
    queued = 0
    for endpoint in await repository.subscribed(
        session, organization_id=organization_id, topic=topic
    ):
        # RETURNING tells a new delivery from one that was there (the driver reports no row
        # count here); the worker, as the platform, may read what it writes.
        made = await session.scalar(
            insert(WebhookDelivery)
            .values(
                id=uuid.uuid4(),
                endpoint_id=endpoint.id,
                organization_id=organization_id,
                event_id=event,
                topic=topic,
                subject_id=subject_id,
                data=data,
                status=WebhookDeliveryStatus.PENDING,
                attempts=0,
            )
            .on_conflict_do_nothing(index_elements=["endpoint_id", "event_id"])
            .returning(WebhookDelivery.id)
        )
        if made is not None:
            outbox.enqueue(session, DELIVER_TOPIC, {"delivery_id": str(made)})
            queued += 1
    return queued
