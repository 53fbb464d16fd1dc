"""Marking your notifications read (some by id, or all of them); choosing how you are told of
each topic; an organization's topics emailed whatever its people chose."""

from __future__ import annotations

from typing import Annotated

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession

from renkei.graphql.context import Info
from renkei.graphql.mutations.base import INPUT, USER_ERRORS, UserError, run_mutation
from renkei.graphql.relay import decode_id
from renkei.graphql.types.notification_preferences import (
    NotificationDeliveryMode,
    NotificationPreference,
)
from renkei.identity.scopes import ORGANIZATIONS_WRITE
from renkei.notifications import preferences
from renkei.notifications import service as notifications
from renkei.notifications.topics import DeliveryMode
from renkei.tenancy import Viewer


@strawberry.input(description="Which of your notifications to mark read: some ids, or all.")
class MarkNotificationsReadInput:
    ids: list[strawberry.ID] | None = strawberry.field(
        default=None, description="Up to 100 of your notifications; or pass all."
    )
    all: bool = strawberry.field(default=False, description="Every notification of yours.")


@strawberry.type(description="The result of marking notifications read.")
class MarkNotificationsReadPayload:
    read_count: int = strawberry.field(
        description="How many were unread and are now read; another person's ids count none."
    )
    user_errors: list[UserError] = strawberry.field(description=USER_ERRORS)


@strawberry.input(description="How you want to be told of one topic.")
class NotificationPreferenceInput:
    topic: str = strawberry.field(description="A topic of viewer.notificationPreferences.")
    mode: NotificationDeliveryMode = strawberry.field(  # type: ignore[valid-type]
        description="IMMEDIATE, DIGEST or INBOX."
    )


@strawberry.input(description="Your choices for some notification topics.")
class UpdateNotificationPreferencesInput:
    preferences: list[NotificationPreferenceInput] = strawberry.field(
        description="The topics to change; the others stay as they are."
    )


@strawberry.type(description="The result of changing your notification preferences.")
class NotificationPreferencesPayload:
    preferences: list[NotificationPreference] | None = strawberry.field(
        description="Every topic, after the change."
    )
    user_errors: list[UserError] = strawberry.field(description=USER_ERRORS)


@strawberry.input(description="The topics an organization requires emailed at once to its people.")
class UpdateOrganizationEmailPolicyInput:
    organization_id: strawberry.ID = strawberry.field(
        description="Your organization's global id; you must be one of its owners or admins."
    )
    required_topics: list[str] = strawberry.field(
        description="The topics its people are emailed about at once, whatever they chose; "
        "[] requires none."
    )


@strawberry.type(description="The result of changing an organization's email policy.")
class OrganizationEmailPolicyPayload:
    required_topics: list[str] | None = strawberry.field(
        description="The required topics as they are now; null when nothing changed."
    )
    user_errors: list[UserError] = strawberry.field(description=USER_ERRORS)


@strawberry.type
class NotificationMutations:
    @strawberry.mutation(
        description="Mark your notifications read: some by id, or all. Ids of notifications "
        "that are not yours are not counted, as ids that do not exist."
    )
    async def mark_notifications_read(
        self, info: Info, input: Annotated[MarkNotificationsReadInput, INPUT]
    ) -> MarkNotificationsReadPayload:
        async def work(session: AsyncSession, viewer: Viewer) -> int:
            ids = None
            if input.ids is not None:
                ids = [decode_id(i, "Notification", field="ids") for i in input.ids]
            return await notifications.mark_read(session, viewer, ids=ids, everything=input.all)

        count, errors = await run_mutation(info, work, scope=ORGANIZATIONS_WRITE)
        return MarkNotificationsReadPayload(read_count=count or 0, user_errors=errors)

    @strawberry.mutation(
        description="Choose how you are told of some topics: IMMEDIATE, DIGEST or INBOX."
    )
    async def update_notification_preferences(
        self, info: Info, input: Annotated[UpdateNotificationPreferencesInput, INPUT]
    ) -> NotificationPreferencesPayload:
        chosen = [(p.topic, DeliveryMode(p.mode)) for p in input.preferences]
        saved, errors = await run_mutation(
            info,
            lambda session, viewer: preferences.update(session, viewer, preferences=chosen),
            scope=ORGANIZATIONS_WRITE,
        )
        return NotificationPreferencesPayload(
            preferences=None if saved is None else [NotificationPreference.of(p) for p in saved],
            user_errors=errors,
        )

    @strawberry.mutation(
        description="Require some topics emailed at once to an organization's people, "
        "whatever their preference; its owners and admins only."
    )
    async def update_organization_email_policy(
        self, info: Info, input: Annotated[UpdateOrganizationEmailPolicyInput, INPUT]
    ) -> OrganizationEmailPolicyPayload:
        async def work(session: AsyncSession, viewer: Viewer) -> list[str]:
            organization_id = decode_id(
                input.organization_id, "Organization", field="organizationId"
            )
            return await preferences.set_required_topics(
                session, viewer, organization_id=organization_id, topics=input.required_topics
            )

        topics, errors = await run_mutation(info, work, scope=ORGANIZATIONS_WRITE)
        return OrganizationEmailPolicyPayload(required_topics=topics, user_errors=errors)
