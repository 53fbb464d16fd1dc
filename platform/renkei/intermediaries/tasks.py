"""The intermediaries domain's outbox handlers, exported as HANDLERS: an introduction is told.

Run by a worker as the platform; each re-reads its rows and notifies at most once per message
and person, so a message handled twice notifies once. The firm reads the professional's
pseudonym; the professional reads the firm's and the intermediary's names.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from renkei import outbox
from renkei.i18n.messages import _
from renkei.intermediaries.models import role_label
from renkei.intermediaries.service import INTRODUCED
from renkei.notifications.service import people_to_tell, record, tell, user_recipient
from renkei.notifications.subjects import global_id
from renkei.organizations.models import Organization
from renkei.talent.models import Match, Professional, TalentNeed


async def introduced(session: AsyncSession, outbox_id: uuid.UUID, payload: dict[str, Any]) -> None:
    match = await session.get(Match, uuid.UUID(payload["match_id"]))
    if match is None or match.introduced_by_organization_id is None:
        return
    need = await session.get(TalentNeed, match.need_id)
    professional = await session.get(Professional, match.professional_id)
    firm = await session.get(Organization, match.organization_id)
    introducer = await session.get(Organization, match.introduced_by_organization_id)
    assert need is not None and professional is not None and firm is not None
    assert introducer is not None
    note = match.introduction_note or ""

    def to_firm() -> tuple[str, str]:
        role = role_label(match.introduced_via or "")
        body = _(
            "{introducer} ({role}) introduced the professional {who} to 「{need}」. Accept or"
            " decline the match in your needs' matches.",
            introducer=introducer.name,
            role=role,
            who=professional.pseudonym,
            need=need.title,
        )
        if note:
            body = _("{body} Their note: {note}", body=body, note=note)
        return _("An introduction to 「{need}」", need=need.title), body

    await tell(
        session,
        outbox_id,
        await people_to_tell(session, [firm.id]),
        kind=INTRODUCED,
        text=to_firm,
        subject_id=global_id("Match", match.id),
    )

    def to_professional() -> tuple[str, str]:
        body = _(
            "{introducer} introduced you to 「{need}」 of {firm}. Accept or decline the match"
            " in your matches.",
            introducer=introducer.name,
            need=need.title,
            firm=firm.name,
        )
        if note:
            body = _("{body} Their note: {note}", body=body, note=note)
        return _("An introduction to 「{need}」", need=need.title), body

    await record(
        session,
        outbox_id=outbox_id,
        recipient=await user_recipient(
            session, professional.user_id, email=professional.contact_email.strip() or None
        ),
        kind=INTRODUCED,
        text=to_professional,
        subject_id=global_id("Match", match.id),
    )


HANDLERS: dict[str, outbox.Handler] = {INTRODUCED: introduced}
