"""The organizations domain's outbox handlers, exported as HANDLERS: an invitation is mailed."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from renkei import outbox
from renkei.organizations import service


async def invitation_created(
    session: AsyncSession, outbox_id: uuid.UUID, payload: dict[str, Any]
) -> None:
    """Tell the invited address about its invitation."""
    await service.notify_invitee(
        session, outbox_id=outbox_id, invitation_id=uuid.UUID(payload["invitation_id"])
    )


HANDLERS: dict[str, outbox.Handler] = {service.INVITATION_CREATED: invitation_created}
