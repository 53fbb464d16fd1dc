"""How each person is told of each topic: email at once (the default), the daily digest, or the
inbox only; and the topics an organization requires emailed at once whatever its people chose.

The mode is decided when a notification is recorded (renkei.notifications.service.record):
a topic the recipient's organization requires is emailed at once; otherwise the recipient's
choice, if the address is a user's; otherwise at once.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from renkei.errors import Invalid, NotFound, Unauthenticated
from renkei.i18n.messages import N_, _, label
from renkei.notifications import repository
from renkei.notifications.topics import DEFAULT_MODE, TOPICS, DeliveryMode
from renkei.tenancy import Viewer, require_manager

# Topics one request may set.
MAX_PREFERENCES = len(TOPICS)


@dataclass(frozen=True)
class Preference:
    topic: str
    # The topic as the reader reads it (the current locale).
    label: str
    mode: DeliveryMode
    # An organization of the person requires this topic emailed at once: the mode applies to
    # notifications of other organizations only.
    required_by_organization: bool


async def mode_for(
    session: AsyncSession, *, email: str, organization_id: uuid.UUID | None, topic: str
) -> DeliveryMode:
    """How a notification of `topic` to `email`, for `organization_id`, is delivered."""
    if organization_id is not None and topic in await repository.required_topics(
        session, organization_id=organization_id
    ):
        return DeliveryMode.IMMEDIATE
    chosen = await repository.preference_of_address(session, email=email, topic=topic)
    return chosen or DEFAULT_MODE


async def read(session: AsyncSession, viewer: Viewer) -> list[Preference]:
    """Every topic with the viewer's mode, in the order of TOPICS."""
    user_id = require_user(viewer)
    chosen = await repository.preferences(session, user_id=user_id)
    required = await repository.required_topics_of_user(session, user_id=user_id)
    return [
        Preference(
            topic=topic,
            label=label(TOPICS, topic),
            mode=chosen.get(topic, DEFAULT_MODE),
            required_by_organization=topic in required,
        )
        for topic in TOPICS
    ]


def require_user(viewer: Viewer) -> uuid.UUID:
    if viewer.user_id is None:
        raise Unauthenticated(_("sign in first"))
    return viewer.user_id


def _check_topic(topic: str, *, field: str) -> str:
    if topic not in TOPICS:
        raise Invalid(
            _(
                "unknown notification topic {topic}: use one of {topics}",
                topic=topic,
                topics=", ".join(TOPICS),
            ),
            field=field,
        )
    return topic


async def update(
    session: AsyncSession, viewer: Viewer, *, preferences: Sequence[tuple[str, DeliveryMode]]
) -> list[Preference]:
    """Choose the viewer's mode for some topics; every topic's preference after."""
    user_id = require_user(viewer)
    if not 1 <= len(preferences) <= MAX_PREFERENCES:
        raise Invalid(_("pass 1 to {most} preferences", most=MAX_PREFERENCES), field="preferences")
    for topic, _mode in preferences:
        _check_topic(topic, field="preferences")
    for topic, mode in preferences:
        await repository.set_preference(session, user_id=user_id, topic=topic, mode=mode)
    return await read(session, viewer)


async def set_required_topics(
    session: AsyncSession,
    viewer: Viewer,
    *,
    organization_id: uuid.UUID,
    topics: Sequence[str],
) -> list[str]:
    """The topics an organization's people are emailed about at once; owners and admins only."""
    require_manager(viewer, organization_id, to=N_("require notification emails"))
    organization = await repository.organization_for_update(session, organization_id)
    if organization is None:
        raise NotFound(_("no such organization"), field="organizationId")
    chosen = [_check_topic(topic, field="requiredTopics") for topic in dict.fromkeys(topics)]
    organization.required_email_topics = chosen
    return chosen
