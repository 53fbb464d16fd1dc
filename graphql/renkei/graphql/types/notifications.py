"""A person's notifications: their inbox, each about one object (a global id), read or not."""

from __future__ import annotations

from datetime import datetime

import strawberry

from renkei.graphql.compiled.spec import (
    NUMBER,
    Filter,
    Key,
    Page,
    Scalar,
    column,
    computed,
    table,
)
from renkei.graphql.context import Info
from renkei.graphql.nodes import register_node
from renkei.graphql.relay import Connection, Node, PageArgs, root_page, to_connection, to_global_id
from renkei.graphql.types.locales import Locale, locale_of, stored_locale_sql
from renkei.identity.scopes import ORGANIZATIONS_READ
from renkei.notifications import repository
from renkei.notifications.models import Notification as NotificationRow

# Oldest first, as every connection; `last: 20` reads the newest (ix_notifications_inbox).
ORDER = (Key("created_at", "timestamptz"), Key("id", "uuid"))
ORDER_BY = (NotificationRow.created_at, NotificationRow.id)
# The viewer's own: row-level security would hide anyone else's anyway.
OWN = "{c}.recipient_email = (SELECT renkei_email())"
UNREAD_COUNT = Scalar(
    "(SELECT count(*) FROM notifications n"
    " WHERE n.recipient_email = (SELECT renkei_email()) AND n.read_at IS NULL)",
    NUMBER,
)


def _unread_only(value: object) -> bool | None:
    return True if value else None


INBOX = Page(
    "Notification",
    ORDER,
    join=OWN,
    filters={"unread_only": Filter("{t}.read_at IS NULL AND CAST({p} AS boolean)", _unread_only)},
)


@table(NotificationRow)
@strawberry.type(
    description="Something you were told: a subject and body in your language, about one object."
)
class Notification(Node):
    row: strawberry.Private[NotificationRow]
    kind: str = column(
        NotificationRow.kind,
        description="What happened, as a code: milestone.status_changed, invitation.created...",
    )
    subject: str = column(NotificationRow.subject, description="A one-line summary.")
    body: str = column(
        NotificationRow.body,
        description="The full text, in your language.",
    )
    locale: Locale | None = computed(  # type: ignore[valid-type]
        stored_locale_sql("{t}.locale"),
        lambda row: locale_of(row.locale),
        description="The language the subject and body are written in: yours when recorded.",
    )
    subject_id: strawberry.ID | None = column(
        NotificationRow.subject_id,
        description="The global id of what this is about (a Milestone, an Invitation, a "
        "Match...), for node(id:); null when it is about several things.",
    )
    read_at: datetime | None = column(
        NotificationRow.read_at, description="When you marked it read; null while unread."
    )
    created_at: datetime = column(
        NotificationRow.created_at,
        description="When it was sent.",
    )

    @classmethod
    def from_row(cls, row: NotificationRow) -> Notification:
        return cls(id=to_global_id("Notification", row.id), row=row)


async def inbox(info: Info, args: PageArgs, *, unread_only: bool) -> Connection[Notification]:
    """The viewer's notifications, oldest first (`last: 20` for the newest)."""
    email = info.context.viewer.email
    stmt = repository.inbox(email, unread_only=unread_only) if email else None
    page = await root_page(info.context, stmt, order_by=ORDER_BY, args=args)
    return to_connection(page, Notification.from_row)


async def unread_count(info: Info) -> int:
    email = info.context.viewer.email
    if not email:
        return 0
    return await info.context.run(lambda s: repository.unread_count(s, email=email))


register_node("Notification", NotificationRow, Notification.from_row, ORGANIZATIONS_READ)
