"""The talent domain's outbox handlers, exported as HANDLERS: proposals recomputed and told.

Handlers of outbox messages, run by a worker as the platform. A recompute compares the needs'
PROPOSED matches before and after, and tells the firm's writers and the professional of the
proposals it newly made; a step taken on a match is told to the other side. Each recipient gets
at most one notification per message (several new proposals make one list), so a message
handled twice notifies once. Firms see professionals by their pseudonym only.

HANDLERS rebuild the engine from the database for each message (what runs outside a worker);
`handlers(host)` use the worker's warm engine (renkei.talent.warm_engine) while the worker holds
it, and fall back to HANDLERS' way when it does not (renkei.workers.talent_engine). Workers
route the messages that `feeds_engine` to the holder, so that fallback is the exception.
"""

from __future__ import annotations

import logging
import uuid
from collections import defaultdict
from collections.abc import Awaitable, Callable, Iterable
from datetime import date
from functools import partial
from typing import Any, Protocol

from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from renkei import outbox
from renkei.i18n.messages import N_, _, ngettext
from renkei.notifications.service import Recipient, people_to_tell, record, tell, user_recipient
from renkei.notifications.subjects import global_id
from renkei.organizations.models import Organization
from renkei.talent import lifecycle, proposals, repository, subsidy_reminders
from renkei.talent import service as talent
from renkei.talent.lifecycle import Side
from renkei.talent.metrics import ENGINE_DRIFT, ENGINE_REBUILDS
from renkei.talent.models import Match, Professional, TalentNeed, match_status_label
from renkei.talent.warm_engine import WarmEngine
from renkei.tenancy import Viewer

logger = logging.getLogger(__name__)

NIGHTLY_RECOMPUTE = "talent.nightly_recompute"
NEW_PROPOSAL = "talent.new_proposal"
# New proposals the warm engine made, told by a job of their own: the engine's worker applies
# changes one at a time, and telling (a query or two per person) need not hold it up.
TELL_PROPOSALS = "talent.tell_proposals"
MATCH_STEP_TAKEN = "talent.match_step"

# What a side did, as the other side reads it: "<who> ... 「<need>」".
_STEP_WORDS = {
    "accept": N_("{who} accepted the match for 「{need}」"),
    "decline": N_("{who} declined the match for 「{need}」"),
    "withdraw": N_("{who} withdrew from the match for 「{need}」"),
    "scheduleInterview": N_("{who} scheduled the interview (面談) for 「{need}」"),
    "recordContract": N_("{who} recorded the contract terms for 「{need}」"),
    "confirmContract": N_("{who} confirmed the contract for 「{need}」"),
    "start": N_("{who} started the engagement for 「{need}」"),
    "complete": N_("{who} completed the engagement for 「{need}」"),
    "review": N_("{who} reviewed the engagement for 「{need}」"),
    "apply": N_("{who} applied to 「{need}」"),
    "scout": N_("{who} scouted you for 「{need}」"),
}


def _step_words(step: str, who: str, need: str) -> str:
    """What a side did, in the reader's locale."""
    words = _STEP_WORDS.get(step)
    if words is None:
        return _("{who} took the step {step} on 「{need}」", who=who, step=step, need=need)
    return _(words, who=who, need=need)


async def _proposed(session: AsyncSession, need_ids: Iterable[uuid.UUID] | None) -> set[uuid.UUID]:
    """Ids of the PROPOSED matches of these needs (of every need when None)."""
    return await repository.proposed_match_ids(session, need_ids=need_ids)


async def _professional(session: AsyncSession, user_id: uuid.UUID, contact_email: str) -> Recipient:
    """The professional, at their contact address (else their account's), in their language."""
    return await user_recipient(session, user_id, email=contact_email.strip() or None)


async def _tell_new_proposals(
    session: AsyncSession, outbox_id: uuid.UUID, match_ids: set[uuid.UUID]
) -> None:
    """One notification per firm writer and per professional, listing their new proposals."""
    if not match_ids:
        return
    rows = await repository.matches_with_parties(session, match_ids=match_ids)
    by_firm: dict[uuid.UUID, list[tuple[str, str, int | None]]] = defaultdict(list)
    by_professional: dict[uuid.UUID, list[tuple[str, str]]] = defaultdict(list)
    professionals: dict[uuid.UUID, tuple[uuid.UUID, str]] = {}  # user, contact address
    # What each list is about: its match when it holds one, else its need when all are one's.
    firm_subjects: dict[uuid.UUID, list[tuple[uuid.UUID, uuid.UUID]]] = defaultdict(list)
    professional_subjects: dict[uuid.UUID, list[tuple[uuid.UUID, uuid.UUID]]] = defaultdict(list)
    for row in rows:
        by_firm[row.firm_id].append((row.pseudonym, row.title, row.rank))
        by_professional[row.professional_id].append((row.title, row.firm_name))
        professionals[row.professional_id] = (row.user_id, row.contact_email)
        firm_subjects[row.firm_id].append((row.match_id, row.need_id))
        professional_subjects[row.professional_id].append((row.match_id, row.need_id))
    del rows
    for firm_id, proposed in by_firm.items():
        await tell(
            session,
            outbox_id,
            await people_to_tell(session, [firm_id]),
            kind=NEW_PROPOSAL,
            text=partial(_firm_proposals_text, proposed),
            subject_id=_proposals_subject(firm_subjects[firm_id]),
        )
    for professional_id, needs in by_professional.items():
        user_id, contact_email = professionals[professional_id]
        await record(
            session,
            outbox_id=outbox_id,
            recipient=await user_recipient(session, user_id, email=contact_email.strip() or None),
            kind=NEW_PROPOSAL,
            text=partial(_professional_proposals_text, needs),
            subject_id=_proposals_subject(professional_subjects[professional_id]),
        )


def _proposals_subject(matches: list[tuple[uuid.UUID, uuid.UUID]]) -> str | None:
    """A list of new proposals ((match, need) ids) is about its match when it holds one, about
    its need when all are the same need's, else about nothing in particular."""
    if len(matches) == 1:
        return global_id("Match", matches[0][0])
    needs = {need for _match, need in matches}
    return global_id("TalentNeed", needs.pop()) if len(needs) == 1 else None


def _firm_proposals_text(proposed: list[tuple[str, str, int | None]]) -> tuple[str, str]:
    lines = [
        "- " + _("{who} for 「{need}」 (rank {rank})", who=who, need=need, rank=rank)
        for who, need, rank in proposed
    ]
    subject = ngettext(
        "{n} new proposal for your needs", "{n} new proposals for your needs", len(lines)
    )
    return subject, _("The matching engine proposes:") + "\n" + "\n".join(lines)


def _professional_proposals_text(needs: list[tuple[str, str]]) -> tuple[str, str]:
    lines = ["- " + _("「{need}」 at {firm}", need=need, firm=firm) for need, firm in needs]
    subject = ngettext(
        "{n} new proposal of side work for you",
        "{n} new proposals of side work for you",
        len(lines),
    )
    return subject, _("Firms' needs that fit your profile:") + "\n" + "\n".join(lines)


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
    if Side(payload["by"]) is Side.FIRM:

        def to_professional() -> tuple[str, str]:
            done = _step_words(step, firm.name, need.title)
            return done, _(
                "{done}. The match is now {status}; see it in your matches.",
                done=done,
                status=match_status_label(match.status),
            )

        await record(
            session,
            outbox_id=outbox_id,
            recipient=await _professional(
                session, professional.user_id, professional.contact_email
            ),
            kind=MATCH_STEP_TAKEN,
            text=to_professional,
            subject_id=global_id("Match", match.id),
        )
    else:

        def to_firm() -> tuple[str, str]:
            who = _("The professional {who}", who=professional.pseudonym)
            return _step_words(step, professional.pseudonym, need.title), _(
                "{done}. The match is now {status}; see it in your needs' matches.",
                done=_step_words(step, who, need.title),
                status=match_status_label(match.status),
            )

        await tell(
            session,
            outbox_id,
            await people_to_tell(session, [firm.id]),
            kind=MATCH_STEP_TAKEN,
            text=to_firm,
            subject_id=global_id("Match", match.id),
        )


# Steps that move a professional's engagements (and so their capacity) in or out of use.
CAPACITY_STEPS = frozenset({"confirmContract", "complete"})
# Topics whose every message changes the engine's inputs (a match step only when in CAPACITY_STEPS).
ENGINE_TOPICS = frozenset({talent.NEED_CHANGED, talent.PROFILE_CHANGED, NIGHTLY_RECOMPUTE})


def feeds_engine(topic: str, payload: dict[str, Any]) -> bool:
    """Whether a message changes the matching engine's inputs: the warm engine's holder handles
    it, one at a time (renkei.workers.engine_seat); the others only forward it."""
    if topic == lifecycle.MATCH_STEP:
        return payload.get("step") in CAPACITY_STEPS
    return topic in ENGINE_TOPICS


class EngineHost(Protocol):
    """Where a worker keeps its warm engine (renkei.workers.talent_engine).

    `synced`: every proposal the engine makes is stored, as far as the host knows. False after
    a load (the engine may already hold changes whose messages are still to come, which, finding
    nothing to change, would store nothing) and from a change until its commit."""

    synced: bool

    async def warm(self, session: AsyncSession) -> WarmEngine | None:
        """The engine, loaded and current, when this worker holds it; None: take the cold path."""
        ...

    async def changed(self, *, warm: bool) -> None:
        """The engine's inputs changed and the change is committed (`warm`: by the holder)."""
        ...


Change = Callable[[WarmEngine], Awaitable[list[uuid.UUID]]]


async def _apply_warm(
    session: AsyncSession, outbox_id: uuid.UUID, host: EngineHost, change: Change
) -> bool:
    """Apply a change to the warm engine, store the needs it moved and tell of new proposals;
    False when this worker does not hold the engine (the caller takes the cold path)."""
    warm = await host.warm(session)
    if warm is None:
        outbox.after_commit(session, partial(host.changed, warm=False))
        return False
    try:
        synced, host.synced = host.synced, False  # until this change is committed
        need_ids = await change(warm)
        if not synced:
            need_ids = [*need_ids, *await warm.unstored(session)]
        if need_ids:
            before = await _proposed(session, need_ids)
            await warm.store(session, need_ids)
            new = await _proposed(session, need_ids) - before
            if new:
                payload = {"match_ids": sorted(str(m) for m in new)}
                outbox.enqueue(session, TELL_PROPOSALS, payload)
    except BaseException:
        # The transaction rolls back: memory would be ahead of the database. Load again.
        warm.drop()
        raise
    outbox.after_commit(session, partial(host.changed, warm=True))
    return True


def handlers(host: EngineHost | None) -> dict[str, outbox.Handler]:
    """The topics that feed the engine, on `host`'s warm engine (None: rebuilt each time)."""
    if host is None:
        return HANDLERS

    async def warm_need_changed(
        session: AsyncSession, outbox_id: uuid.UUID, payload: dict[str, Any]
    ) -> None:
        need_id = uuid.UUID(payload["need_id"])
        if not await _apply_warm(
            session, outbox_id, host, lambda warm: warm.need_changed(session, need_id)
        ):
            await need_changed(session, outbox_id, payload)

    async def warm_profile_changed(
        session: AsyncSession, outbox_id: uuid.UUID, payload: dict[str, Any]
    ) -> None:
        professional_id = uuid.UUID(payload["professional_id"])
        if not await _apply_warm(
            session,
            outbox_id,
            host,
            lambda warm: warm.professional_changed(session, professional_id),
        ):
            await profile_changed(session, outbox_id, payload)

    async def warm_match_step(
        session: AsyncSession, outbox_id: uuid.UUID, payload: dict[str, Any]
    ) -> None:
        if payload.get("step") in CAPACITY_STEPS:
            match = await session.get(Match, uuid.UUID(payload["match_id"]))
            if match is not None:
                professional_id = match.professional_id
                # Cold, the step waits for the next change or night to reach the proposals.
                await _apply_warm(
                    session,
                    outbox_id,
                    host,
                    lambda warm: warm.professional_changed(session, professional_id),
                )
        await match_step(session, outbox_id, payload)

    async def warm_nightly_recompute(
        session: AsyncSession, outbox_id: uuid.UUID, payload: dict[str, Any]
    ) -> None:
        warm = await host.warm(session)
        if warm is None:
            outbox.after_commit(session, partial(host.changed, warm=False))
            await nightly_recompute(session, outbox_id, payload)
            return
        host.synced = False  # until the rebuild's proposals are committed
        try:
            # Only the needs whose stored proposals differ from the fresh engine's are written,
            # and their new proposals told ({"rewrite": true}: every need's, after new words).
            rebuilt = await warm.rebuild(session, rewrite=bool(payload.get("rewrite")))
            await _tell_new_proposals(session, outbox_id, rebuilt.new)
        except BaseException:
            warm.drop()
            raise
        ENGINE_REBUILDS.inc()
        ENGINE_DRIFT.set(rebuilt.drift)
        logger.info(
            "warm engine verified",
            extra={
                "needs": rebuilt.needs,
                "drift": rebuilt.drift,
                "stored": rebuilt.stored,
                "told": len(rebuilt.new),
                "stable": rebuilt.stable,
                "seconds": rebuilt.seconds,
                "cpu_seconds": rebuilt.cpu_seconds,
            },
        )
        outbox.after_commit(session, partial(host.changed, warm=True))

    return {
        **HANDLERS,
        talent.NEED_CHANGED: warm_need_changed,
        talent.PROFILE_CHANGED: warm_profile_changed,
        NIGHTLY_RECOMPUTE: warm_nightly_recompute,
        lifecycle.MATCH_STEP: warm_match_step,
    }


async def tell_proposals(
    session: AsyncSession, outbox_id: uuid.UUID, payload: dict[str, Any]
) -> None:
    """Tell of the proposals a warm engine change made (those still PROPOSED)."""
    match_ids = [uuid.UUID(m) for m in payload["match_ids"]]
    still = await repository.proposed_match_ids(session, need_ids=None, among=match_ids)
    await _tell_new_proposals(session, outbox_id, still)


HANDLERS: dict[str, outbox.Handler] = {
    TELL_PROPOSALS: tell_proposals,
    talent.NEED_CHANGED: need_changed,
    talent.PROFILE_CHANGED: profile_changed,
    NIGHTLY_RECOMPUTE: nightly_recompute,
    lifecycle.MATCH_STEP: match_step,
    # The subsidy deadline reminders (their own module: they read no engine).
    **subsidy_reminders.HANDLERS,
}
