"""How you are told of each notification topic: email at once, a daily digest, or inbox only."""

from __future__ import annotations

import strawberry

from renkei.graphql.context import Info
from renkei.notifications import preferences
from renkei.notifications.topics import DeliveryMode

NotificationDeliveryMode = strawberry.enum(
    DeliveryMode,
    name="NotificationDeliveryMode",
    description="IMMEDIATE: an email as soon as it happens (the default). DIGEST: listed in one "
    "email a day at 09:00 Japan time. INBOX: no email, read in viewer.notifications.",
)


@strawberry.type(description="How you are told of one topic of notifications.")
class NotificationPreference:
    topic: str = strawberry.field(
        description="The notification kind: milestone.at_risk, invitation.created..."
    )
    label: str = strawberry.field(description="The topic in your language.")
    mode: NotificationDeliveryMode  # type: ignore[valid-type]
    required_by_organization: bool = strawberry.field(
        description="An organization of yours requires this topic emailed: its notifications "
        "for that organization are emailed at once whatever your mode."
    )

    @classmethod
    def of(cls, preference: preferences.Preference) -> NotificationPreference:
        return cls(
            topic=preference.topic,
            label=preference.label,
            mode=preference.mode,
            required_by_organization=preference.required_by_organization,
        )


async def read(info: Info) -> list[NotificationPreference]:
    viewer = info.context.viewer
    if viewer.user_id is None:
        return []
    rows = await info.context.run(lambda s: preferences.read(s, viewer))
    return [NotificationPreference.of(p) for p in rows]
