"""The viewer's own preferences: the language Renkei writes to them in."""

from __future__ import annotations

from typing import Annotated

import strawberry

from renkei.graphql.context import Info
from renkei.graphql.mutations.base import INPUT, USER_ERRORS, UserError, run_mutation
from renkei.graphql.types.locales import Locale, stored_locale
from renkei.graphql.types.viewer import Viewer
from renkei.i18n.messages import activate
from renkei.i18n.negotiation import choose
from renkei.identity import service as identity
from renkei.identity.scopes import ORGANIZATIONS_WRITE


@strawberry.input(description="Your own preferences; only the fields given change.")
class UpdateViewerPreferencesInput:
    locale: Locale | None = strawberry.field(  # type: ignore[valid-type]
        default=None,
        description="The language to read Renkei in, on every device and in notifications; "
        "null follows your browser's Accept-Language, then your organization's default.",
    )


@strawberry.type(description="The result of saving your preferences.")
class ViewerPreferencesPayload:
    viewer: Viewer | None = strawberry.field(
        description="You, with the preferences saved; null when nothing was saved."
    )
    user_errors: list[UserError] = strawberry.field(description=USER_ERRORS)


@strawberry.type
class PreferenceMutations:
    @strawberry.mutation(
        description="Save your preferences. The rest of this response is written in the "
        "language they choose."
    )
    async def update_viewer_preferences(
        self, info: Info, input: Annotated[UpdateViewerPreferencesInput, INPUT]
    ) -> ViewerPreferencesPayload:
        context = info.context
        saved, errors = await run_mutation(
            info,
            lambda session, viewer: identity.update_preferences(
                session, viewer, locale=stored_locale(input.locale)
            ),
            scope=ORGANIZATIONS_WRITE,
        )
        if saved is None:
            return ViewerPreferencesPayload(viewer=None, user_errors=errors)
        user, viewer = saved
        context.viewer = viewer
        activate(
            choose(
                preference=viewer.locale,
                accept_language=context.request.headers.get("accept-language"),
                organization_default=viewer.organization_locale,
            )
        )
        return ViewerPreferencesPayload(viewer=Viewer(row=user), user_errors=[])
