"""The talent domain's outbox handlers, exported as HANDLERS: proposals recomputed and told.

Handlers of outbox messages, run by a worker as the platform. A recompute compares the needs'
PROPOSED matches before and after, and tells the firm's writers and the professional of the
proposals it newly made; a step taken on a match is told to the other side. Each recipient gets
at most one notification per message (several new proposals make one list), so a message
handled twice notifies once. Firms see professionals by their pseudonym only.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable
from datetime import date
from typing import Any

from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from renkei import outbox
from renkei.identity.models import User
from renkei.notifications.service import people_to_tell, record, tell
from renkei.organizations.models import Organization
from renkei.talent import lifecycle, proposals, repository
from renkei.talent import service as talent
from renkei.talent.lifecycle import Side
from renkei.talent.models import Match, Professional, TalentNeed
from renkei.tenancy import Viewer

NIGHTLY_RECOMPUTE = "talent.nightly_recompute"
NEW_PROPOSAL = "talent.new_proposal"
MATCH_STEP_TAKEN = "talent.match_step"

# What a side did, as the other side reads it: "<firm> <verb> 「<need>」".
_STEP_WORDS = {
    "accept": "accepted the match for",
    "decline": "declined the match for",
    "withdraw": "withdrew from the match for",
    "scheduleInterview": "scheduled the interview (面談) for",
    "recordContract": "recorded the contract terms for",
    "confirmContract": "confirmed the contract for",
    "start": "started the engagement for",
    "complete": "completed the engagement for",
    "review": "reviewed the engagement for",
    "apply": "applied to",
    "scout": "scouted you for",
}


async def _proposed(session: AsyncSession, need_ids: Iterable[uuid.UUID] | None) -> set[uuid.UUID]:
    """Ids of the PROPOSED matches of these needs (of every need when None)."""
    return await repository.proposed_match_ids(session, need_ids=need_ids)


async def _professional_email(session: AsyncSession, professional: Professional) -> str:
    if professional.contact_email.strip():
        return professional.contact_email.strip()
    user = await session.get(User, professional.user_id)
    assert user is not None
    return user.email


async def _tell_new_proposals(
    session: AsyncSession, outbox_id: uuid.UUID, match_ids: set[uuid.UUID]
) -> None:
    """One notification per firm writer and per professional, listing their new proposals."""
    if not match_ids:
        return
    rows = await repository.matches_with_parties(session, match_ids=match_ids)
    by_firm: dict[uuid.UUID, list[str]] = defaultdict(list)
    by_professional: dict[uuid.UUID, list[str]] = defaultdict(list)
    professionals: dict[uuid.UUID, Professional] = {}
    for match, need, professional, firm in rows:
        by_firm[firm.id].append(
            f"- {professional.pseudonym} for 「{need.title}」 (rank {match.rank})"
        )
        by_professional[professional.id].append(f"- 「{need.title}」 at {firm.name}")
        professionals[professional.id] = professional
    for firm_id, lines in by_firm.items():
        count = len(lines)
        await tell(
            session,
            outbox_id,
            await people_to_tell(session, [firm_id]),
            kind=NEW_PROPOSAL,
            subject=f"{count} new proposal{'s' if count > 1 else ''} for your needs",
            body="The matching engine proposes:\n" + "\n".join(lines),
        )
    for professional_id, lines in by_professional.items():
        count = len(lines)
        await record(
            session,
            outbox_id=outbox_id,
            recipient_email=await _professional_email(session, professionals[professional_id]),
            organization_id=None,
            kind=NEW_PROPOSAL,
            subject=f"{count} new proposal{'s' if count > 1 else ''} of side work for you",
            body="Firms' needs that fit your profile:\n" + "\n".join(lines),
        )


async def need_changed(
    session: AsyncSession, outbox_id: uuid.UUID, payload: dict[str, Any]
) -> None:
    """Recompute one need's proposals; tell both sides of those newly made."""
    need_id = uuid.UUID(payload["need_id"])
    if await session.get(TalentNeed, need_id) is None:
        return
    before = await _proposed(session, [need_id])
    await proposals.recompute_for_need(session, Viewer.platform(), need_id=need_id)
    await _tell_new_proposals(session, outbox_id, await _proposed(session, [need_id]) - before)


async def _recompute_all(session: AsyncSession, outbox_id: uuid.UUID) -> None:
    before = await _proposed(session, None)
    await proposals.recompute_all(session, Viewer.platform())
    await _tell_new_proposals(session, outbox_id, await _proposed(session, None) - before)


async def profile_changed(
    session: AsyncSession, outbox_id: uuid.UUID, payload: dict[str, Any]
) -> None:
    """A profile changed: recompute every open need's proposals.

    Capacity-aware allocation couples the needs (a professional holds a seat with the need they
    prefer), so one profile can move proposals of any need; the engine runs over all of them in
    one pass, which at this scale (10,000 needs, 100,000 professionals) stays within a minute."""
    if await session.get(Professional, uuid.UUID(payload["professional_id"])) is None:
        return
    await _recompute_all(session, outbox_id)


async def enqueue_nightly_recompute(session: AsyncSession, on: date) -> None:
    """The night's full recompute, once a day however often the schedule fires."""
    message_id = uuid.uuid5(uuid.NAMESPACE_URL, f"renkei:{NIGHTLY_RECOMPUTE}:{on.isoformat()}")
    await session.execute(
        insert(outbox.OutboxMessage)
        .values(id=message_id, topic=NIGHTLY_RECOMPUTE, payload={"on": on.isoformat()})
        .on_conflict_do_nothing(index_elements=["id"])
    )


async def nightly_recompute(
    session: AsyncSession, outbox_id: uuid.UUID, payload: dict[str, Any]
) -> None:
    await _recompute_all(session, outbox_id)


async def match_step(session: AsyncSession, outbox_id: uuid.UUID, payload: dict[str, Any]) -> None:
    """Tell the other side of the match what this side did."""
    match = await session.get(Match, uuid.UUID(payload["match_id"]))
    if match is None:
        return
    need = await session.get(TalentNeed, match.need_id)
    professional = await session.get(Professional, match.professional_id)
    firm = await session.get(Organization, match.organization_id)
    assert need is not None and professional is not None and firm is not None
    step = str(payload["step"])
    words = _STEP_WORDS.get(step, f"took the step {step} on")
    if Side(payload["by"]) is Side.FIRM:
        await record(
            session,
            outbox_id=outbox_id,
            recipient_email=await _professional_email(session, professional),
            organization_id=None,
            kind=MATCH_STEP_TAKEN,
            subject=f"{firm.name} {words} 「{need.title}」",
            body=(
                f"{firm.name} {words} 「{need.title}」. The match is now {match.status}; "
                "see it in your matches."
            ),
        )
    else:
        await tell(
            session,
            outbox_id,
            await people_to_tell(session, [firm.id]),
            kind=MATCH_STEP_TAKEN,
            subject=f"{professional.pseudonym} {words} 「{need.title}」",
            body=(
                f"The professional {professional.pseudonym} {words} 「{need.title}」. "
                f"The match is now {match.status}; see it in your needs' matches."
            ),
        )


HANDLERS: dict[str, outbox.Handler] = {
    talent.NEED_CHANGED: need_changed,
    talent.PROFILE_CHANGED: profile_changed,
    NIGHTLY_RECOMPUTE: nightly_recompute,
    lifecycle.MATCH_STEP: match_step,
}
