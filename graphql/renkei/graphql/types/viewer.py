"""The signed-in caller, their acting organization and what they may do.

The viewer's row is the user's; who they act for and as what come from the transaction's viewer
(renkei.tenancy.set_viewer, read by renkei_*() in SQL), as row-level security reads them. The
token's scopes exist only in Python: the compiled statement takes them as a parameter of each
request (renkei.graphql.compiled.spec.VIEWER_SCOPES), never from the plan it shares.
"""

from __future__ import annotations

from typing import Annotated

import strawberry

from renkei.graphql.compiled.spec import (
    READER_LOCALE,
    VIEWER_SCOPES,
    WORD,
    Inline,
    JsonText,
    Many,
    One,
    Scalar,
    computed,
    sql,
    table,
)
from renkei.graphql.context import Info
from renkei.graphql.relay import After, Before, Connection, First, Last, PageArgs
from renkei.graphql.types import notification_preferences
from renkei.graphql.types import notifications as inbox
from renkei.graphql.types.locales import Locale, LocaleValue, locale_of, stored_locale_sql
from renkei.graphql.types.notification_preferences import NotificationPreference
from renkei.graphql.types.notifications import Notification
from renkei.graphql.types.organizations import Invitation, MembershipRole, Organization, User
from renkei.i18n.messages import current_locale
from renkei.identity.models import User as UserRow
from renkei.organizations import repository

# The viewer's row: the signed-in user, where row-level security lets them see it.
VIEWER_ROW = "{t}.id = (SELECT renkei_user_id())"


@table(UserRow)
@strawberry.type(description="You: the user behind the token, acting for one organization.")
class Viewer:
    row: strawberry.Private[UserRow]

    @strawberry.field(description="Your user record.", metadata=sql(Inline("User")))
    def user(self) -> User:
        return User.from_row(self.row)

    @strawberry.field(
        description="Your role in the acting organization.",
        metadata=sql(Scalar("(SELECT renkei_role())", WORD)),
    )
    def role(self, info: Info) -> MembershipRole | None:  # type: ignore[valid-type]
        return info.context.viewer.role

    locale: Locale = computed(  # type: ignore[valid-type]
        Scalar(f"upper(CAST({READER_LOCALE} AS text))", WORD),
        lambda _row: LocaleValue(current_locale()),
        description="The language this response is written in: your saved preference, else "
        "your browser's Accept-Language, else your organization's default, else JA.",
    )
    preferred_locale: Locale | None = computed(  # type: ignore[valid-type]
        stored_locale_sql("{t}.locale"),
        lambda row: locale_of(row.locale),
        description="The language you saved (updateViewerPreferences); null follows your "
        "browser, then your organization's default.",
    )

    @strawberry.field(
        description="The scopes your token carries, e.g. projects:read; a field that"
        " needs another one answers INSUFFICIENT_SCOPE.",
        metadata=sql(JsonText(f"CAST({VIEWER_SCOPES} AS text)")),
    )
    def scopes(self, info: Info) -> list[str]:
        return sorted(info.context.viewer.scopes)

    @strawberry.field(
        description="The organization you act for in this request.",
        metadata=sql(One("Organization", "{c}.id = (SELECT renkei_organization_id())")),
    )
    async def acting_organization(self, info: Info) -> Organization | None:
        organization_id = info.context.viewer.organization_id
        if organization_id is None:
            return None
        row = await info.context.loaders.organization.load(organization_id)
        return Organization.from_row(row) if row else None

    @strawberry.field(
        description="Invitations waiting for your answer.",
        metadata=sql(
            Many(
                "Invitation",
                "{c}.email = (SELECT renkei_email()) AND {c}.status = 'PENDING'",
                "{c}.created_at, {c}.id",
            )
        ),
    )
    async def invitations(self, info: Info) -> list[Invitation]:
        email = info.context.viewer.email or ""
        rows = await info.context.run(lambda s: repository.pending_for_email(s, email))
        return [Invitation.from_row(r) for r in rows]

    @strawberry.field(
        description="Your notifications, oldest first: `last: 20` reads the newest. "
        "unreadOnly: only those you have not marked read.",
        metadata=sql(inbox.INBOX),
    )
    async def notifications(
        self,
        info: Info,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
        unread_only: Annotated[
            bool,
            strawberry.argument(
                description="true: only the notifications you have not marked read (false by"
                " default)."
            ),
        ] = False,
    ) -> Connection[Notification]:
        args = PageArgs.of(first, after, last, before)
        return await inbox.inbox(info, args, unread_only=unread_only)

    @strawberry.field(
        description="How many of your notifications you have not marked read.",
        metadata=sql(inbox.UNREAD_COUNT),
    )
    async def unread_notification_count(self, info: Info) -> int:
        return await inbox.unread_count(info)

    @strawberry.field(
        description="How you are told of each notification topic: email at once, a daily "
        "digest, or inbox only (updateNotificationPreferences).",
        metadata=sql(notification_preferences.PREFERENCES),
    )
    async def notification_preferences(self, info: Info) -> list[NotificationPreference]:
        return await notification_preferences.read(info)
