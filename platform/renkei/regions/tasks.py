"""The regions domain's outbox handlers, exported as HANDLERS: an invited organization is told.

Run by a worker as the platform; each re-reads its rows and notifies at most once per message
and person, so a message handled twice notifies once.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from renkei import outbox
from renkei.i18n.messages import _
from renkei.notifications.service import MANAGERS, people_to_tell, tell
from renkei.notifications.subjects import global_id
from renkei.regions.models import MEMBER_ROLES, ParticipationStatus, Region, RegionMember
from renkei.regions.service import REGION_INVITED


async def region_invited(
    session: AsyncSession, outbox_id: uuid.UUID, payload: dict[str, Any]
) -> None:
    member = await session.get(RegionMember, uuid.UUID(payload["region_member_id"]))
    if member is None or member.status is not ParticipationStatus.INVITED:
        return
    region = await session.get(Region, member.region_id)
    assert region is not None
    await tell(
        session,
        outbox_id,
        await people_to_tell(session, [member.organization_id], MANAGERS),
        kind="region.invited",
        subject_id=global_id("RegionMember", member.id),
        text=lambda: (
            _("{region} invites your organization", region=region.name),
            _(
                "{region} invites your organization to join as {role}. An owner or admin"
                " answers with answerRegionInvitation (see regionInvitations).",
                region=region.name,
                role=_(MEMBER_ROLES[member.role]),
            ),
        ),
    )


HANDLERS: dict[str, outbox.Handler] = {REGION_INVITED: region_invited}
