"""Mutations on webhook endpoints (owners and admins): register, change, delete, rotate the
secret, and send a delivery again. A secret is in the payload only when it is made."""

from __future__ import annotations

from typing import Annotated

import strawberry

from renkei.errors import Invalid
from renkei.graphql.context import Info
from renkei.graphql.mutations.base import INPUT, USER_ERRORS, UserError, run_mutation
from renkei.graphql.relay import decode_id
from renkei.graphql.types.webhooks import WebhookDelivery, WebhookEndpoint
from renkei.i18n.messages import _
from renkei.identity.scopes import ORGANIZATIONS_WRITE
from renkei.webhooks import service as webhooks
from renkei.webhooks.service import WebhookConfig


@strawberry.input
class CreateWebhookEndpointInput:
    organization_id: strawberry.ID
    url: str = strawberry.field(description="https:// (http:// in development only).")
    topics: list[str] = strawberry.field(
        description="Notification kinds to receive: project.invited, milestone.status_changed, "
        "talent.match_step..."
    )
    description: str | None = None


@strawberry.input
class UpdateWebhookEndpointInput:
    id: strawberry.ID
    url: str | None = None
    topics: list[str] | None = None
    active: bool | None = None
    description: str | None = None


@strawberry.input
class WebhookEndpointIdInput:
    id: strawberry.ID = strawberry.field(description="The WebhookEndpoint's id.")


@strawberry.input
class RedeliverWebhookInput:
    delivery_id: strawberry.ID


@strawberry.type
class WebhookEndpointPayload:
    webhook_endpoint: WebhookEndpoint | None
    secret: str | None = strawberry.field(
        description="The signing secret, shown only here (creation and rotation): keep it."
    )
    user_errors: list[UserError] = strawberry.field(description=USER_ERRORS)


@strawberry.type
class DeleteWebhookEndpointPayload:
    deleted_id: strawberry.ID | None
    user_errors: list[UserError] = strawberry.field(description=USER_ERRORS)


@strawberry.type
class RedeliverWebhookPayload:
    delivery: WebhookDelivery | None
    user_errors: list[UserError] = strawberry.field(description=USER_ERRORS)


def _config(info: Info) -> WebhookConfig:
    if info.context.webhooks is None:
        raise Invalid(_("webhooks are not configured on this server"))
    return info.context.webhooks


def _made(result: tuple[object, str] | None, errors: list[UserError]) -> WebhookEndpointPayload:
    if result is None:
        return WebhookEndpointPayload(webhook_endpoint=None, secret=None, user_errors=errors)
    row, secret = result
    return WebhookEndpointPayload(
        webhook_endpoint=WebhookEndpoint.from_row(row),  # type: ignore[arg-type]
        secret=secret,
        user_errors=errors,
    )


@strawberry.type
class WebhookMutations:
    @strawberry.mutation(
        description="Register a webhook endpoint for your organization (owners and admins); "
        "the payload holds its signing secret, shown this once."
    )
    async def create_webhook_endpoint(
        self, info: Info, input: Annotated[CreateWebhookEndpointInput, INPUT]
    ) -> WebhookEndpointPayload:
        async def work(session, viewer):  # type: ignore[no-untyped-def]
            return await webhooks.create_endpoint(
                session,
                viewer,
                config=_config(info),
                organization_id=decode_id(
                    input.organization_id, "Organization", field="organizationId"
                ),
                url=input.url,
                topics=input.topics,
                description=input.description,
            )

        result, errors = await run_mutation(info, work, scope=ORGANIZATIONS_WRITE)
        return _made(result, errors)

    @strawberry.mutation(description="Change an endpoint's URL, topics, description or activity.")
    async def update_webhook_endpoint(
        self, info: Info, input: Annotated[UpdateWebhookEndpointInput, INPUT]
    ) -> WebhookEndpointPayload:
        async def work(session, viewer):  # type: ignore[no-untyped-def]
            return await webhooks.update_endpoint(
                session,
                viewer,
                config=_config(info),
                endpoint_id=decode_id(input.id, "WebhookEndpoint"),
                url=input.url,
                topics=input.topics,
                active=input.active,
                description=input.description,
            )

        row, errors = await run_mutation(info, work, scope=ORGANIZATIONS_WRITE)
        return WebhookEndpointPayload(
            webhook_endpoint=WebhookEndpoint.from_row(row) if row is not None else None,
            secret=None,
            user_errors=errors,
        )

    @strawberry.mutation(description="Delete an endpoint and its delivery log.")
    async def delete_webhook_endpoint(
        self, info: Info, input: Annotated[WebhookEndpointIdInput, INPUT]
    ) -> DeleteWebhookEndpointPayload:
        async def work(session, viewer):  # type: ignore[no-untyped-def]
            return await webhooks.delete_endpoint(
                session, viewer, endpoint_id=decode_id(input.id, "WebhookEndpoint")
            )

        deleted, errors = await run_mutation(info, work, scope=ORGANIZATIONS_WRITE)
        return DeleteWebhookEndpointPayload(
            deleted_id=input.id if deleted is not None else None, user_errors=errors
        )

    @strawberry.mutation(
        description="Give an endpoint a new signing secret, shown this once; the old one "
        "signs nothing more."
    )
    async def rotate_webhook_secret(
        self, info: Info, input: Annotated[WebhookEndpointIdInput, INPUT]
    ) -> WebhookEndpointPayload:
        async def work(session, viewer):  # type: ignore[no-untyped-def]
            return await webhooks.rotate_secret(
                session,
                viewer,
                config=_config(info),
                endpoint_id=decode_id(input.id, "WebhookEndpoint"),
            )

        result, errors = await run_mutation(info, work, scope=ORGANIZATIONS_WRITE)
        return _made(result, errors)

    @strawberry.mutation(
        description="Send a delivery's event again, with the same event id (owners and admins)."
    )
    async def redeliver_webhook(
        self, info: Info, input: Annotated[RedeliverWebhookInput, INPUT]
    ) -> RedeliverWebhookPayload:
        async def work(session, viewer):  # type: ignore[no-untyped-def]
            return await webhooks.redeliver(
                session,
                viewer,
                delivery_id=decode_id(input.delivery_id, "WebhookDelivery", field="deliveryId"),
            )

        row, errors = await run_mutation(info, work, scope=ORGANIZATIONS_WRITE)
        return RedeliverWebhookPayload(
            delivery=WebhookDelivery.from_row(row) if row is not None else None,
            user_errors=errors,
        )
