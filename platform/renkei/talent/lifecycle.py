"""The match lifecycle: who may take which step from which status.

PROPOSED (the engine) or INTRODUCED (by an intermediary, renkei.intermediaries) → either side
accepts: the firm's acceptance makes it SCOUTED, the professional's APPLIED (a firm may also
scout a professional proposed to another of its needs, a professional apply to any open need) →
the other side accepts: ACCEPTED, and the firm sees who
the professional is → the firm schedules the 面談: INTERVIEW → the firm records the contract's
terms (fee, hours, dates) and the professional confirms them: CONTRACTED → either side starts
it on or after its first day: ACTIVE → either side completes it with a review: COMPLETED, and
the other side adds its review. DECLINED by the side asked; WITHDRAWN by either before the
contract.
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from enum import StrEnum

from sqlalchemy.ext.asyncio import AsyncSession

from renkei import outbox
from renkei.errors import Conflict, ErrorCode, Forbidden, Invalid, NotFound
from renkei.i18n.formats import JST, format_date
from renkei.i18n.messages import _
from renkei.talent import repository
from renkei.talent.match_activity import record_step
from renkei.talent.models import (
    Match,
    MatchStatus,
    NeedStatus,
    match_status_label,
    need_status_label,
)
from renkei.talent.service import (
    WRITERS,
    firm_writers_only,
    get_need,
    require_firm_writer,
    require_user,
)
from renkei.tenancy import Viewer

S = MatchStatus

# Outbox topic: the other side is told of the step. {"match_id", "step", "by": FIRM|PROFESSIONAL}
MATCH_STEP = "talent.match_step"


class Side(StrEnum):
    FIRM = "FIRM"
    PROFESSIONAL = "PROFESSIONAL"
    # The organization that introduced the professional: it reads the match, takes no step.
    INTERMEDIARY = "INTERMEDIARY"


BOTH = (Side.FIRM, Side.PROFESSIONAL)
FIRM = (Side.FIRM,)
PROFESSIONAL = (Side.PROFESSIONAL,)

# step -> {status it may be taken from: the sides that may take it}
STEPS: dict[str, dict[MatchStatus, tuple[Side, ...]]] = {
    "accept": {S.PROPOSED: BOTH, S.INTRODUCED: BOTH, S.APPLIED: FIRM, S.SCOUTED: PROFESSIONAL},
    "decline": {S.PROPOSED: BOTH, S.INTRODUCED: BOTH, S.APPLIED: FIRM, S.SCOUTED: PROFESSIONAL},
    "withdraw": {S.APPLIED: PROFESSIONAL, S.SCOUTED: FIRM, S.ACCEPTED: BOTH, S.INTERVIEW: BOTH},
    "scheduleInterview": {S.ACCEPTED: FIRM, S.INTERVIEW: FIRM},
    "recordContract": {S.INTERVIEW: FIRM},
    "confirmContract": {S.INTERVIEW: PROFESSIONAL},
    "start": {S.CONTRACTED: BOTH},
    "complete": {S.ACTIVE: BOTH},
    "review": {S.COMPLETED: BOTH},
}


CONTRACT_STEPS = ("recordContract", "confirmContract")
# Where a side's application or scout is its acceptance of the match already there.
FIRST_STEP_FROM = (S.PROPOSED, S.INTRODUCED)


def interview_ahead(match: Match, now: datetime | None = None) -> bool:
    """Whether the 面談 is scheduled but has not taken place yet: no contract before it."""
    if match.status is not S.INTERVIEW or match.interview_at is None:
        return False
    return match.interview_at > (now or datetime.now(UTC))


def allowed_steps(match: Match, side: Side, now: datetime | None = None) -> list[str]:
    """The steps this side may take now."""
    steps = [name for name, table in STEPS.items() if side in table.get(match.status, ())]
    if match.status is S.INTERVIEW and match.contract_fee_jpy is None:
        steps = [s for s in steps if s != "confirmContract"]
    if interview_ahead(match, now):
        steps = [s for s in steps if s not in CONTRACT_STEPS]
    if match.status is S.COMPLETED:
        reviewed = match.firm_rating if side is Side.FIRM else match.professional_rating
        if reviewed is not None:
            steps = [s for s in steps if s != "review"]
    return steps


async def side_of(session: AsyncSession, viewer: Viewer, match: Match) -> Side:
    """Which side of the match the viewer is on (the firm when acting for its organization)."""
    user_id = require_user(viewer)
    if viewer.organization_id == match.organization_id:
        return Side.FIRM
    own = await repository.own_professional(session, user_id)
    if own is not None and own.id == match.professional_id:
        return Side.PROFESSIONAL
    raise NotFound(_("No such match."), field="matchId")


async def _match(
    session: AsyncSession, viewer: Viewer, match_id: uuid.UUID, version: int | None
) -> tuple[Match, Side]:
    match = await repository.get_match(session, match_id)
    if match is None:
        raise NotFound(_("No such match."), field="matchId")
    side = await side_of(session, viewer, match)
    if side is Side.FIRM and viewer.role not in WRITERS:
        raise Forbidden(firm_writers_only("act on its matches"))
    await repository.lock(session, match)
    if version is not None and version != match.version:
        raise Conflict(
            _(
                "The match changed since you read it (you read version {read}, it is now "
                "version {now}). Reload it and try again.",
                read=version,
                now=match.version,
            ),
            field="version",
            code=ErrorCode.CONFLICT,
        )
    return match, side


def _stepped(session: AsyncSession, viewer: Viewer, match: Match, step: str, side: Side) -> None:
    outbox.enqueue(session, MATCH_STEP, {"match_id": str(match.id), "step": step, "by": side.value})
    record_step(session, viewer, match=match, step=step, side=side.value)


def _steps_now(match: Match, side: Side) -> str:
    """The sentence that says which steps this side may take now."""
    mine = allowed_steps(match, side)
    if not mine:
        return _("You may take no step on it now.")
    return _("Steps you may take now: {steps}.", steps=", ".join(mine))


def _check_step(match: Match, side: Side, step: str) -> None:
    sides = STEPS[step].get(match.status)
    status = match_status_label(match.status)
    if sides is None:
        refused = _(
            "A match that is {status} cannot take the step {step}. {steps_now}",
            status=status,
            step=step,
            steps_now=_steps_now(match, side),
        )
        raise Invalid(refused, field="matchId")
    if side not in sides:
        if Side.FIRM in sides:
            only = _(
                "Only the firm may take the step {step} on a match that is {status}. {steps_now}",
                step=step,
                status=status,
                steps_now=_steps_now(match, side),
            )
        else:
            only = _(
                "Only the professional may take the step {step} on a match that is {status}."
                " {steps_now}",
                step=step,
                status=status,
                steps_now=_steps_now(match, side),
            )
        raise Forbidden(only, field="matchId")
    if step in CONTRACT_STEPS and interview_ahead(match):
        assert match.interview_at is not None
        raise Invalid(
            _(
                "The interview is on {day}: a contract is recorded and confirmed after it.",
                day=format_date(match.interview_at.astimezone(JST).date()),
            ),
            field="matchId",
        )


def _touch(match: Match, status: MatchStatus | None = None) -> None:
    if status is not None:
        match.status = status
    match.version += 1
    match.updated_at = datetime.now(UTC)


def _accept(match: Match, side: Side, now: datetime) -> None:
    if side is Side.FIRM:
        match.firm_accepted_at = now
    else:
        match.professional_accepted_at = now
    if match.firm_accepted_at is not None and match.professional_accepted_at is not None:
        _touch(match, S.ACCEPTED)
    else:
        _touch(match, S.SCOUTED if side is Side.FIRM else S.APPLIED)


async def accept(
    session: AsyncSession, viewer: Viewer, *, match_id: uuid.UUID, version: int | None = None
) -> Match:
    match, side = await _match(session, viewer, match_id, version)
    _check_step(match, side, "accept")
    _accept(match, side, datetime.now(UTC))
    _stepped(session, viewer, match, "accept", side)
    await session.flush()
    return match


async def decline(
    session: AsyncSession, viewer: Viewer, *, match_id: uuid.UUID, version: int | None = None
) -> Match:
    match, side = await _match(session, viewer, match_id, version)
    _check_step(match, side, "decline")
    _touch(match, S.DECLINED)
    _stepped(session, viewer, match, "decline", side)
    await session.flush()
    return match


async def withdraw(
    session: AsyncSession, viewer: Viewer, *, match_id: uuid.UUID, version: int | None = None
) -> Match:
    match, side = await _match(session, viewer, match_id, version)
    _check_step(match, side, "withdraw")
    _touch(match, S.WITHDRAWN)
    _stepped(session, viewer, match, "withdraw", side)
    await session.flush()
    return match


async def schedule_interview(
    session: AsyncSession,
    viewer: Viewer,
    *,
    match_id: uuid.UUID,
    at: datetime,
    version: int | None = None,
) -> Match:
    match, side = await _match(session, viewer, match_id, version)
    _check_step(match, side, "scheduleInterview")
    if at.tzinfo is None:
        raise Invalid(_("Give the interview's time with its offset, e.g. +09:00."), field="at")
    match.interview_at = at
    _touch(match, S.INTERVIEW)
    _stepped(session, viewer, match, "scheduleInterview", side)
    await session.flush()
    return match


async def record_contract(
    session: AsyncSession,
    viewer: Viewer,
    *,
    match_id: uuid.UUID,
    fee_jpy: int,
    hours_per_month: int,
    starts_on: date,
    ends_on: date | None,
    version: int | None = None,
) -> Match:
    """The firm writes the terms after the interview; the professional then confirms them.
    Recording again (before confirmation) replaces the terms."""
    match, side = await _match(session, viewer, match_id, version)
    _check_step(match, side, "recordContract")
    if fee_jpy <= 0:
        raise Invalid(_("Give a monthly fee in yen, above 0."), field="feeJpy")
    if not 1 <= hours_per_month <= 200:
        raise Invalid(_("Hours per month are 1 to 200."), field="hoursPerMonth")
    if ends_on is not None and ends_on < starts_on:
        raise Invalid(_("A contract ends on or after its start."), field="endsOn")
    match.contract_fee_jpy = fee_jpy
    match.contract_hours_per_month = hours_per_month
    match.contract_starts_on = starts_on
    match.contract_ends_on = ends_on
    _touch(match)
    _stepped(session, viewer, match, "recordContract", side)
    await session.flush()
    return match


async def confirm_contract(
    session: AsyncSession, viewer: Viewer, *, match_id: uuid.UUID, version: int | None = None
) -> Match:
    match, side = await _match(session, viewer, match_id, version)
    _check_step(match, side, "confirmContract")
    if match.contract_fee_jpy is None:
        raise Invalid(
            _("The firm has not recorded the contract's terms yet: there is nothing to confirm."),
            field="matchId",
        )
    match.contract_confirmed_at = datetime.now(UTC)
    _touch(match, S.CONTRACTED)
    _stepped(session, viewer, match, "confirmContract", side)
    await session.flush()
    return match


async def start(
    session: AsyncSession,
    viewer: Viewer,
    *,
    match_id: uuid.UUID,
    today: date | None = None,
    version: int | None = None,
) -> Match:
    match, side = await _match(session, viewer, match_id, version)
    _check_step(match, side, "start")
    today = today or datetime.now(UTC).date()
    if match.contract_starts_on is not None and today < match.contract_starts_on:
        raise Invalid(
            _(
                "The contract starts on {day}: start it on that day or later.",
                day=format_date(match.contract_starts_on),
            ),
            field="matchId",
        )
    _touch(match, S.ACTIVE)
    _stepped(session, viewer, match, "start", side)
    await session.flush()
    return match


def _review(match: Match, side: Side, rating: int, review: str) -> None:
    if not 1 <= rating <= 5:
        raise Invalid(_("A rating is 1 to 5."), field="rating")
    text = review.strip()
    if side is Side.FIRM:
        if match.firm_rating is not None:
            raise Conflict(_("The firm has reviewed this match already."), field="rating")
        match.firm_rating, match.firm_review = rating, text
    else:
        if match.professional_rating is not None:
            raise Conflict(_("You have reviewed this match already."), field="rating")
        match.professional_rating, match.professional_review = rating, text


async def complete(
    session: AsyncSession,
    viewer: Viewer,
    *,
    match_id: uuid.UUID,
    rating: int,
    review: str = "",
    version: int | None = None,
) -> Match:
    """End the engagement with one's review (評価); the other side reviews afterwards."""
    match, side = await _match(session, viewer, match_id, version)
    _check_step(match, side, "complete")
    _review(match, side, rating, review)
    _touch(match, S.COMPLETED)
    _stepped(session, viewer, match, "complete", side)
    await session.flush()
    return match


async def review(
    session: AsyncSession,
    viewer: Viewer,
    *,
    match_id: uuid.UUID,
    rating: int,
    review: str = "",
    version: int | None = None,
) -> Match:
    match, side = await _match(session, viewer, match_id, version)
    _check_step(match, side, "review")
    _review(match, side, rating, review)
    _touch(match)
    _stepped(session, viewer, match, "review", side)
    await session.flush()
    return match


async def apply_to_need(session: AsyncSession, viewer: Viewer, *, need_id: uuid.UUID) -> Match:
    """A professional applies to an open need (or accepts its proposal to them)."""
    user_id = require_user(viewer)
    professional = await repository.own_professional(session, user_id)
    if professional is None or await repository.profile(session, professional.id) is None:
        raise Invalid(_("Save your professional profile before applying."), field="needId")
    need = await get_need(session, need_id, field="needId")
    if need.status is not NeedStatus.OPEN:
        raise Invalid(
            _(
                "This need is {status}, not open to applications.",
                status=need_status_label(need.status),
            ),
            field="needId",
        )
    now = datetime.now(UTC)
    match = await repository.match_of(session, need.id, professional.id)
    if match is not None:
        if match.status not in FIRST_STEP_FROM:
            raise Conflict(
                _(
                    "You are in a match with this need already ({status}).",
                    status=match_status_label(match.status),
                ),
                field="needId",
                code=ErrorCode.DUPLICATE,
            )
        await repository.lock(session, match)
        _accept(match, Side.PROFESSIONAL, now)
    else:
        match = Match(
            id=uuid.uuid4(),
            need_id=need.id,
            professional_id=professional.id,
            organization_id=need.organization_id,
            status=S.APPLIED,
            explanation=[],
            professional_accepted_at=now,
            version=1,
            created_at=now,
            updated_at=now,
        )
        session.add(match)
    await session.flush()
    _stepped(session, viewer, match, "apply", Side.PROFESSIONAL)
    return match


async def scout(
    session: AsyncSession, viewer: Viewer, *, need_id: uuid.UUID, professional_id: uuid.UUID
) -> Match:
    """A firm invites a professional proposed to one of its needs (スカウト) for this need."""
    need = await get_need(session, need_id, field="needId")
    require_firm_writer(viewer, need.organization_id, to="scout for its needs")
    if need.status is not NeedStatus.OPEN:
        raise Invalid(
            _("This need is {status}: open it to scout.", status=need_status_label(need.status)),
            field="needId",
        )
    # Row-level security shows a firm only the profiles of professionals proposed to it.
    if await repository.profile(session, professional_id) is None:
        raise NotFound(
            _("No such professional among those proposed to your needs."),
            field="professionalId",
        )
    now = datetime.now(UTC)
    match = await repository.match_of(session, need.id, professional_id)
    if match is not None:
        if match.status not in FIRST_STEP_FROM:
            raise Conflict(
                _(
                    "This professional is in a match with this need already ({status}).",
                    status=match_status_label(match.status),
                ),
                field="professionalId",
                code=ErrorCode.DUPLICATE,
            )
        await repository.lock(session, match)
        _accept(match, Side.FIRM, now)
    else:
        match = Match(
            id=uuid.uuid4(),
            need_id=need.id,
            professional_id=professional_id,
            organization_id=need.organization_id,
            status=S.SCOUTED,
            explanation=[],
            firm_accepted_at=now,
            version=1,
            created_at=now,
            updated_at=now,
        )
        session.add(match)
    await session.flush()
    _stepped(session, viewer, match, "scout", Side.FIRM)
    return match
