"""The webhooks domain's outbox handler: a queued delivery is POSTed, signed, until it succeeds.

A 2xx answer delivers it. Anything else (an error status, a timeout, a refused connection) raises
`outbox.RetryLater` with RETRY_DELAYS: the attempt is written in the delivery log, and the worker
runs the message again later, for about 24.6 hours, after which the delivery is FAILED (logged,
counted, visible in the API). The delivery row is locked while a job sends, so two jobs for one
delivery take turns and the second finds it DELIVERED; the event id header lets a receiver drop
the copy a crash between its answer and our commit would cause.

The handler needs the key ring that opens secrets: `handlers(config)` makes it with the worker's.
HANDLERS, as every domain exports them, have none: a delivery then fails visibly.
"""

from __future__ import annotations

import json
import logging
import time
import uuid
from datetime import UTC, datetime
from functools import partial
from typing import Any

import httpx2
from sqlalchemy.ext.asyncio import AsyncSession

from renkei import outbox
from renkei.notifications.metrics import DELIVERIES
from renkei.webhooks import repository, signing, urls
from renkei.webhooks.models import WebhookDelivery, WebhookDeliveryStatus
from renkei.webhooks.service import DELIVER_TOPIC, WebhookConfig, secret_of

logger = logging.getLogger(__name__)

TIMEOUT_SECONDS = 10.0
# Seconds between tries (the worker's MAX_TRIES, 10, makes 9 gaps): about 24.6 hours in all,
# the day a member's system may be down. They must stay under the time arq keeps a job
# (renkei.workers.settings.JOB_KEPT_MS, two days): retries keep the job's first deadline, so a
# later try would never run and the delivery would stay PENDING.
RETRY_DELAYS = (60, 300, 1800, 3600, 7200, 10800, 18000, 21600, 25200)
ERROR_LENGTH = 2000
NOT_CONFIGURED = "webhooks are not configured in this worker (no secret key ring)"
USER_AGENT = "Renkei-Webhooks/1"


def body_of(delivery: WebhookDelivery) -> bytes:
    """The JSON POSTed: the same bytes for every try of a delivery."""
    return json.dumps(
        {
            "id": str(delivery.event_id),
            "topic": delivery.topic,
            "createdAt": delivery.created_at.astimezone(UTC).isoformat(),
            "organizationId": str(delivery.organization_id),
            "subjectId": delivery.subject_id,
            "data": delivery.data,
        },
        ensure_ascii=False,
        separators=(",", ":"),
    ).encode()


def _written(
    delivery: WebhookDelivery,
    *,
    final: bool,
    error: str,
    response_code: int | None,
    latency_ms: int | None,
) -> None:
    delivery.attempts += 1
    delivery.last_error = error[:ERROR_LENGTH]
    delivery.response_code = response_code
    delivery.latency_ms = latency_ms
    delivery.status = WebhookDeliveryStatus.FAILED if final else WebhookDeliveryStatus.PENDING
    delivery.updated_at = datetime.now(UTC)
    DELIVERIES.labels(channel="webhook", outcome="failed" if final else "retried").inc()
    (logger.error if final else logger.warning)(
        "webhook delivery failed for good" if final else "webhook delivery failed; retrying",
        extra={
            "delivery_id": str(delivery.id),
            "attempts": delivery.attempts,
            "response_code": response_code,
            "error": delivery.last_error,
        },
    )


async def record_failure(
    session: AsyncSession,
    final: bool,
    *,
    delivery_id: uuid.UUID,
    error: str,
    response_code: int | None,
    latency_ms: int | None,
) -> None:
    """Write down a failed attempt (the job's own transaction was rolled back)."""
    delivery = await repository.delivery_for_update(session, delivery_id)
    if delivery is not None and delivery.status is WebhookDeliveryStatus.PENDING:
        _written(
            delivery, final=final, error=error, response_code=response_code, latency_ms=latency_ms
        )


async def deliver(
    session: AsyncSession, config: WebhookConfig | None, *, delivery_id: uuid.UUID
) -> None:
    """POST a delivery's event unless it was delivered; outbox.RetryLater when it failed now."""
    delivery = await repository.delivery_for_update(session, delivery_id)
    if delivery is None:
        return  # its endpoint was deleted
    if delivery.status is not WebhookDeliveryStatus.PENDING:
        DELIVERIES.labels(channel="webhook", outcome="skipped").inc()
        return
    endpoint = await repository.endpoint(session, delivery.endpoint_id)
    if endpoint is None or not endpoint.active:
        _written(
            delivery,
            final=True,
            error="the endpoint is inactive",
            response_code=None,
            latency_ms=None,
        )
        return
    if config is None:
        _written(delivery, final=True, error=NOT_CONFIGURED, response_code=None, latency_ms=None)
        return
    try:
        # Again now: the host's addresses may have changed since it was registered.
        await urls.check(endpoint.url, production=config.production)
    except urls.RefusedUrl as exc:
        _written(delivery, final=True, error=str(exc), response_code=None, latency_ms=None)
        return
    body = body_of(delivery)
    headers = {
        "Content-Type": "application/json; charset=utf-8",
        "User-Agent": USER_AGENT,
        signing.HEADER: signing.sign(secret_of(config.box, endpoint), body),
        signing.EVENT_HEADER: str(delivery.event_id),
    }
    started = time.monotonic()
    code: int | None = None
    try:
        async with httpx2.AsyncClient(timeout=TIMEOUT_SECONDS, follow_redirects=False) as http:
            response = await http.post(endpoint.url, content=body, headers=headers)
        code = response.status_code
        error = None if response.is_success else f"HTTP {code}: {response.text[:500]}"
    except httpx2.HTTPError as exc:
        error = f"{type(exc).__name__}: {exc}"
    latency = int((time.monotonic() - started) * 1000)
    if error is not None:
        raise outbox.RetryLater(
            error,
            record=partial(
                record_failure,
                delivery_id=delivery_id,
                error=error,
                response_code=code,
                latency_ms=latency,
            ),
            delays=RETRY_DELAYS,
        )
    now = datetime.now(UTC)
    delivery.attempts += 1
    delivery.status = WebhookDeliveryStatus.DELIVERED
    delivery.response_code = code
    delivery.latency_ms = latency
    delivery.last_error = None
    delivery.delivered_at = delivery.updated_at = now
    DELIVERIES.labels(channel="webhook", outcome="sent").inc()


def handlers(config: WebhookConfig | None) -> dict[str, outbox.Handler]:
    """The handler, opening secrets with `config` (None: deliveries fail visibly)."""

    async def webhook_deliver(
        session: AsyncSession, outbox_id: uuid.UUID, payload: dict[str, Any]
    ) -> None:
        await deliver(session, config, delivery_id=uuid.UUID(payload["delivery_id"]))

    return {DELIVER_TOPIC: webhook_deliver}


HANDLERS: dict[str, outbox.Handler] = handlers(None)
