"""How you are told of each notification topic: email at once, a daily digest, or inbox only.

Compiled: the topics are code (renkei.notifications.topics), so the statement reads them from a
VALUES list, each label a bind parameter translated into the reader's language; the mode and
whether an organization requires the topic are read as the viewer (row-level security).
"""

from __future__ import annotations

import strawberry

from renkei.graphql.compiled.spec import NUMBER, WORD, Many, Scalar, computed, message, table
from renkei.graphql.context import Info
from renkei.graphql.enums import described_enum
from renkei.notifications import preferences
from renkei.notifications.topics import DEFAULT_MODE, TOPICS, DeliveryMode

NotificationDeliveryMode = described_enum(
    DeliveryMode,
    name="NotificationDeliveryMode",
    description="How a person is told of a notification topic: at once, in a daily digest, or "
    "only in the inbox.",
    values={
        "IMMEDIATE": "An email as soon as it happens (the default).",
        "DIGEST": "Listed in one email a day at 09:00 Japan time.",
        "INBOX": "No email: read in viewer.notifications (通知) only.",
    },
)

# Every topic, in the order of TOPICS, with its label in the reader's language.
TOPIC_ROWS = (
    "(VALUES "
    + ", ".join(
        f"('{topic}', {position}, CAST({message(label)} AS text))"
        for position, (topic, label) in enumerate(TOPICS.items())
    )
    + ")"
)
MODE = (
    "coalesce((SELECT p.mode FROM notification_preferences p"
    " WHERE p.user_id = (SELECT renkei_user_id()) AND p.topic = {t}.topic),"
    f" '{DEFAULT_MODE.value}')"
)
REQUIRED = (
    "EXISTS (SELECT 1 FROM organizations o JOIN memberships m ON m.organization_id = o.id"
    " WHERE m.user_id = (SELECT renkei_user_id()) AND {t}.topic = ANY(o.required_email_topics))"
)
PREFERENCES = Many(
    "NotificationPreference",
    "(SELECT renkei_user_id()) IS NOT NULL",
    "{c}.position",
    source=TOPIC_ROWS + " {c}(topic, position, label)",
)


@table(TOPIC_ROWS)
@strawberry.type(description="How you are told of one topic of notifications.")
class NotificationPreference:
    row: strawberry.Private[preferences.Preference]
    topic: str = computed(
        Scalar("{t}.topic"),
        lambda row: row.topic,
        description="The notification kind: milestone.at_risk, invitation.created...",
    )
    label: str = computed(
        Scalar("{t}.label"), lambda row: row.label, description="The topic in your language."
    )
    mode: NotificationDeliveryMode = computed(  # type: ignore[valid-type]
        Scalar(MODE, WORD),
        lambda row: row.mode,
        description="How you are told: IMMEDIATE, DIGEST or INBOX.",
    )
    required_by_organization: bool = computed(
        Scalar(REQUIRED, NUMBER),
        lambda row: row.required_by_organization,
        description="An organization of yours requires this topic emailed: its notifications "
        "for that organization are emailed at once whatever your mode.",
    )

    @classmethod
    def of(cls, preference: preferences.Preference) -> NotificationPreference:
        return cls(row=preference)


async def read(info: Info) -> list[NotificationPreference]:
    viewer = info.context.viewer
    if viewer.user_id is None:
        return []
    rows = await info.context.run(lambda s: preferences.read(s, viewer))
    return [NotificationPreference.of(p) for p in rows]
