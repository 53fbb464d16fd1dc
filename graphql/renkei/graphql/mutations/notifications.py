"""Marking your notifications read: some by id, or all of them."""

from __future__ import annotations

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession

from renkei.graphql.context import Info
from renkei.graphql.mutations.base import UserError, run_mutation
from renkei.graphql.relay import decode_id
from renkei.identity.scopes import ORGANIZATIONS_WRITE
from renkei.notifications import service as notifications
from renkei.tenancy import Viewer


@strawberry.input
class MarkNotificationsReadInput:
    ids: list[strawberry.ID] | None = strawberry.field(
        default=None, description="Up to 100 of your notifications; or pass all."
    )
    all: bool = strawberry.field(default=False, description="Every notification of yours.")


@strawberry.type
class MarkNotificationsReadPayload:
    read_count: int = strawberry.field(
        description="How many were unread and are now read; another person's ids count none."
    )
    user_errors: list[UserError]


@strawberry.type
class NotificationMutations:
    @strawberry.mutation(
        description="Mark your notifications read: some by id, or all. Ids of notifications "
        "that are not yours are not counted, as ids that do not exist."
    )
    async def mark_notifications_read(
        self, info: Info, input: MarkNotificationsReadInput
    ) -> MarkNotificationsReadPayload:
        async def work(session: AsyncSession, viewer: Viewer) -> int:
            ids = None
            if input.ids is not None:
                ids = [decode_id(i, "Notification", field="ids") for i in input.ids]
            return await notifications.mark_read(session, viewer, ids=ids, everything=input.all)

        count, errors = await run_mutation(info, work, scope=ORGANIZATIONS_WRITE)
        return MarkNotificationsReadPayload(read_count=count or 0, user_errors=errors)
