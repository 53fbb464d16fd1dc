"""Webhook endpoints an organization registers, and each one's delivery log."""

from __future__ import annotations

from datetime import datetime

import strawberry

from renkei.graphql.compiled.spec import Key, Page, Scalar, column, computed, sql, table
from renkei.graphql.context import Info
from renkei.graphql.enums import described_enum
from renkei.graphql.relay import (
    After,
    Before,
    Connection,
    First,
    Last,
    PageArgs,
    root_page,
    to_connection,
    to_global_id,
)
from renkei.webhooks import models, repository

# Oldest first, as every connection; `last: 20` reads the newest (ix_webhook_deliveries_log).
DELIVERY_ORDER = (Key("created_at", "timestamptz"), Key("id", "uuid"))

WebhookDeliveryStatus = described_enum(
    models.WebhookDeliveryStatus,
    description="PENDING until the endpoint answers 2xx (DELIVERED) or the retries, about a "
    "day of them, run out (FAILED).",
    values={
        "PENDING": "Not yet answered with a 2xx; it will be tried again.",
        "DELIVERED": "The endpoint answered with a 2xx status.",
        "FAILED": "Every retry, about a day of them, failed; redeliverWebhook sends it again.",
    },
)


@table(models.WebhookDelivery)
@strawberry.type(description="One event sent to one endpoint: the delivery log's entry.")
class WebhookDelivery:
    id: strawberry.ID = strawberry.field(description="The delivery's id (for redeliverWebhook).")
    row: strawberry.Private[models.WebhookDelivery]
    event_id: str = computed(
        Scalar("{t}.event_id::text"),
        lambda row: str(row.event_id),
        description="The event's id (the Renkei-Event-Id header and the body's `id`): the same "
        "in every endpoint's delivery and in a redelivery.",
    )
    topic: str = column(
        models.WebhookDelivery.topic,
        description="The notification kind of the event, e.g. milestone.status_changed.",
    )
    subject_id: strawberry.ID | None = column(
        models.WebhookDelivery.subject_id, description="The global id of what it is about."
    )
    status: WebhookDeliveryStatus = column(  # type: ignore[valid-type]
        models.WebhookDelivery.status,
        description="PENDING, DELIVERED or FAILED.",
    )
    attempts: int = column(
        models.WebhookDelivery.attempts,
        description="How many times it was sent.",
    )
    response_code: int | None = column(
        models.WebhookDelivery.response_code,
        description="The HTTP status of the last attempt's answer; null when none came.",
    )
    latency_ms: int | None = column(
        models.WebhookDelivery.latency_ms, description="How long the last attempt took."
    )
    last_error: str | None = column(
        models.WebhookDelivery.last_error, description="Why the last attempt failed."
    )
    created_at: datetime = column(
        models.WebhookDelivery.created_at,
        description="When the event happened and the delivery was queued.",
    )
    delivered_at: datetime | None = column(
        models.WebhookDelivery.delivered_at,
        description="When the endpoint answered with a 2xx; null until then.",
    )

    @classmethod
    def from_row(cls, row: models.WebhookDelivery) -> WebhookDelivery:
        return cls(id=to_global_id("WebhookDelivery", row.id), row=row)


@table(models.WebhookEndpoint)
@strawberry.type(
    description="A URL your organization's system listens at: each event of its topics is "
    "POSTed there, signed (Renkei-Signature) with its secret."
)
class WebhookEndpoint:
    id: strawberry.ID = strawberry.field(description="The endpoint's id.")
    row: strawberry.Private[models.WebhookEndpoint]
    url: str = column(
        models.WebhookEndpoint.url,
        description="Where events are sent (POST, JSON body, signed with the endpoint's secret).",
    )
    topics: list[str] = column(
        models.WebhookEndpoint.topics, description="The notification kinds it receives."
    )
    description: str | None = column(
        models.WebhookEndpoint.description,
        description="What the endpoint is for; null if not said.",
    )
    active: bool = column(
        models.WebhookEndpoint.active, description="Whether events are sent to it."
    )
    created_at: datetime = column(
        models.WebhookEndpoint.created_at,
        description="When it was registered.",
    )

    @classmethod
    def from_row(cls, row: models.WebhookEndpoint) -> WebhookEndpoint:
        return cls(id=to_global_id("WebhookEndpoint", row.id), row=row)

    @strawberry.field(
        description="Its delivery log, oldest first; `last: 20` for the newest.",
        metadata=sql(Page("WebhookDelivery", DELIVERY_ORDER, join="{c}.endpoint_id = {t}.id")),
    )
    async def deliveries(
        self,
        info: Info,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
    ) -> Connection[WebhookDelivery]:
        page = await root_page(
            info.context,
            repository.deliveries(self.row.id),
            order_by=(models.WebhookDelivery.created_at, models.WebhookDelivery.id),
            args=PageArgs.of(first, after, last, before),
        )
        return to_connection(page, WebhookDelivery.from_row)
