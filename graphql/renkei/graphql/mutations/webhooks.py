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


@strawberry.input(
    description="A URL of your organization's system that receives its events, signed."
)
class CreateWebhookEndpointInput:
    organization_id: strawberry.ID = strawberry.field(
        description="Your organization's global id; you must be one of its owners or admins."
    )
    url: str = strawberry.field(description="https:// (http:// in development only).")
    topics: list[str] = strawberry.field(
        description="Notification kinds to receive: project.invited, milestone.status_changed, "
        "talent.match_step..."
    )
    description: str | None = strawberry.field(
        default=None, description="What the endpoint is for, for your admins; optional."
    )


@strawberry.input(description="Changes to a webhook endpoint: only the fields given change.")
class UpdateWebhookEndpointInput:
    id: strawberry.ID = strawberry.field(description="The WebhookEndpoint's id.")
    url: str | None = strawberry.field(
        default=None, description="A new URL (https://); unchanged if not given."
    )
    topics: list[str] | None = strawberry.field(
        default=None,
        description="The notification kinds it receives, replacing the current ones;"
        " unchanged if not given.",
    )
    active: bool | None = strawberry.field(
        default=None,
        description="false stops sending events to it, true starts again; unchanged if not given.",
    )
    description: str | None = strawberry.field(
        default=None, description="A new description; unchanged if not given."
    )


@strawberry.input(description="The webhook endpoint to act on.")
class WebhookEndpointIdInput:
    id: strawberry.ID = strawberry.field(description="The WebhookEndpoint's id.")


@strawberry.input(description="The delivery to send again.")
class RedeliverWebhookInput:
    delivery_id: strawberry.ID = strawberry.field(description="The WebhookDelivery's id.")


@strawberry.type(description="The result of a mutation on a webhook endpoint.")
class WebhookEndpointPayload:
    webhook_endpoint: WebhookEndpoint | None = strawberry.field(
        description="The endpoint as it is now; null when the mutation changed nothing."
    )
    secret: str | None = strawberry.field(
        description="The signing secret, shown only here (creation and rotation): keep it."
    )
    user_errors: list[UserError] = strawberry.field(description=USER_ERRORS)


@strawberry.type(description="The result of deleting a webhook endpoint.")
class DeleteWebhookEndpointPayload:
    deleted_id: strawberry.ID | None = strawberry.field(
        description="The id of the endpoint deleted; null when nothing was deleted."
    )
    user_errors: list[UserError] = strawberry.field(description=USER_ERRORS)


@strawberry.type(description="The result of sending a delivery again.")
class RedeliverWebhookPayload:
    delivery: WebhookDelivery | None = strawberry.field(
        description="The delivery, PENDING again; null when nothing was sent."
    )
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
