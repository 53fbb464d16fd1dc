"""Reminders to apply for a match's side-job subsidy before its deadline, exported as HANDLERS.

Every day at 09:00 in Japan (renkei.workers.jobs) one message, SUBSIDY_DEADLINES, looks at the
matches both sides accepted (up to a running side job) whose firm has not recorded applying
(renkei.talent.subsidy_applications). For each whose deadline is 14, 7, 3 or 1 days ahead, today,
or passed within the last PASSED_WINDOW_DAYS, it writes one SUBSIDY_DEADLINE message whose id
is the match's, the deadline's and the threshold's: a second run, the same day or a later one
within the same threshold, writes nothing new, and each recipient's notification is keyed by
that message, so each reminder goes out once. A day missed (the worker down) is caught up by the
next run under the threshold reached. A deadline that moves (a new start) gets its own reminders.

The firm's owners, admins and members are told, in their own language; the professional is not
(the application is the firm's). A reminder re-reads the match: once the firm records its
application, or the deadline moves, it tells no one.
"""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from typing import Any

from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from renkei import outbox
from renkei.geography.models import Prefecture
from renkei.i18n.formats import format_date
from renkei.i18n.messages import _, current_locale, ngettext
from renkei.notifications.service import people_to_tell, tell
from renkei.notifications.subjects import global_id
from renkei.talent import repository
from renkei.talent import subsidy_rules as rules
from renkei.talent.models import DeadlineBasis, Match, MatchStatus, Professional
from renkei.talent.subsidy_applications import ApplicationDeadline, application_deadline

SUBSIDY_DEADLINES = "talent.subsidy_deadlines"
SUBSIDY_DEADLINE = "talent.subsidy_deadline"

# Days before the deadline a reminder goes out, the last on the day itself.
THRESHOLDS = (14, 7, 3, 1, 0)
# A deadline passed without an application recorded is told once, if it passed this recently
# (older ones were before the reminders began, or told already).
PASSED = -1
PASSED_WINDOW_DAYS = 14
# Both sides accepted, up to a running side job (a deadline from its start may still come).
REMINDED = (MatchStatus.ACCEPTED, MatchStatus.INTERVIEW, MatchStatus.CONTRACTED, MatchStatus.ACTIVE)


def due_threshold(last_day: date, on: date) -> int | None:
    """The reminder due on `on`: the nearest threshold at or beyond the days left, PASSED after
    the deadline (within the window), None when none is due."""
    days_left = (last_day - on).days
    if days_left < 0:
        return PASSED if -days_left <= PASSED_WINDOW_DAYS else None
    for threshold in sorted(THRESHOLDS):
        if days_left <= threshold:
            return threshold
    return None


def reminder_id(match_id: uuid.UUID, last_day: date, threshold: int) -> uuid.UUID:
    """One reminder per match, deadline and threshold, however often the job runs."""
    key = f"renkei:{SUBSIDY_DEADLINE}:{match_id}:{last_day.isoformat()}:{threshold}"
    return uuid.uuid5(uuid.NAMESPACE_URL, key)


async def enqueue_daily_check(session: AsyncSession, on: date) -> None:
    """The day's look at the deadlines, once a day however often the schedule fires."""
    message_id = uuid.uuid5(uuid.NAMESPACE_URL, f"renkei:{SUBSIDY_DEADLINES}:{on.isoformat()}")
    await session.execute(
        insert(outbox.OutboxMessage)
        .values(id=message_id, topic=SUBSIDY_DEADLINES, payload={"on": on.isoformat()})
        .on_conflict_do_nothing(index_elements=["id"])
    )


async def check_deadlines(
    session: AsyncSession, outbox_id: uuid.UUID, payload: dict[str, Any]
) -> None:
    """Write a SUBSIDY_DEADLINE message for each reminder due on the day, once each."""
    on = date.fromisoformat(payload["on"])
    longest = await repository.longest_application_deadline(session)
    if longest is None:
        return
    # A deadline within the thresholds or the window counts back from a start in these days
    # (a contract is signed on or before the start).
    candidates = await repository.matches_awaiting_subsidy_application(
        session,
        statuses=REMINDED,
        starting_from=on - timedelta(days=PASSED_WINDOW_DAYS),
        starting_by=on + timedelta(days=max(THRESHOLDS) + longest),
    )
    for match in candidates:
        deadline = await application_deadline(session, match)
        if deadline is None:
            continue
        threshold = due_threshold(deadline.last_day, on)
        if threshold is None:
            continue
        await session.execute(
            insert(outbox.OutboxMessage)
            .values(
                id=reminder_id(match.id, deadline.last_day, threshold),
                topic=SUBSIDY_DEADLINE,
                payload={
                    "match_id": str(match.id),
                    "last_day": deadline.last_day.isoformat(),
                    "threshold": threshold,
                    "on": on.isoformat(),
                },
            )
            .on_conflict_do_nothing(index_elements=["id"])
        )


async def remind(session: AsyncSession, outbox_id: uuid.UUID, payload: dict[str, Any]) -> None:
    """Tell the firm's people to apply by the deadline, unless it recorded its application or
    the deadline moved since the message was written."""
    match = await session.get(Match, uuid.UUID(payload["match_id"]))
    if match is None or match.status not in REMINDED:
        return
    if await repository.subsidy_application(session, match.id) is not None:
        return
    deadline = await application_deadline(session, match)
    if deadline is None or deadline.last_day.isoformat() != payload["last_day"]:
        return
    prefecture = await session.get(Prefecture, deadline.need.workplace_prefecture_code)
    professional = await session.get(Professional, match.professional_id)
    on = date.fromisoformat(payload["on"])
    threshold = int(payload["threshold"])

    def text() -> tuple[str, str]:
        return reminder_text(
            deadline,
            prefecture=_prefecture_name(prefecture),
            professional=professional.full_name if professional else "",
            days_left=(deadline.last_day - on).days,
            passed=threshold == PASSED,
        )

    await tell(
        session,
        outbox_id,
        await people_to_tell(session, [match.organization_id]),
        kind=SUBSIDY_DEADLINE,
        subject_id=global_id("Match", match.id),
        text=text,
    )


def _prefecture_name(prefecture: Prefecture | None) -> str:
    if prefecture is None:
        return ""
    return prefecture.name if current_locale() == "ja" else prefecture.name_romaji


def _subject(need: str, days_left: int, passed: bool) -> str:
    if passed:
        return _("The deadline to apply for the subsidy has passed: 「{need}」", need=need)
    if days_left == 0:
        return _("Apply for the subsidy today, the last day: 「{need}」", need=need)
    return ngettext(
        "{n} day left to apply for the subsidy: 「{need}」",
        "{n} days left to apply for the subsidy: 「{need}」",
        days_left,
        need=need,
    )


def _counted_from(deadline: ApplicationDeadline) -> str:
    """What the deadline counts back from, as the firm's president reads it."""
    days, day = deadline.tier.deadline_days, format_date(deadline.counted_from)
    if deadline.basis is DeadlineBasis.CONTRACT and deadline.contract_signed:
        return _("The deadline is {days} days before the contract ({day}).", days=days, day=day)
    if deadline.basis is DeadlineBasis.CONTRACT:
        planned = (
            _("the planned start of work ({day})", day=day)
            if deadline.start_planned
            else _("the start of work ({day})", day=day)
        )
        return _(
            "The deadline is {days} days before the contract. The contract is not signed yet,"
            " so it is counted from {start}, the latest day to sign it: sign the contract at"
            " least {days} days after you apply.",
            days=days,
            start=planned,
        )
    if deadline.start_planned:
        return _(
            "The deadline is {days} days before work starts (planned for {day}).",
            days=days,
            day=day,
        )
    return _("The deadline is {days} days before work starts ({day}).", days=days, day=day)


def reminder_text(
    deadline: ApplicationDeadline,
    *,
    prefecture: str,
    professional: str,
    days_left: int,
    passed: bool,
) -> tuple[str, str]:
    """The reminder's subject and body in the current locale."""
    need, scheme, last = deadline.need.title, deadline.tier.name, format_date(deadline.last_day)
    if passed:
        what = _(
            "The last day to apply to {prefecture} for 「{scheme}」 for the side job 「{need}」"
            " with {professional} was {date}.",
            prefecture=prefecture,
            scheme=scheme,
            need=need,
            professional=professional,
            date=last,
        )
        next_step = _(
            "If you applied, record the day you applied on the match in Renkei. If not, ask"
            " {prefecture} whether it can still take the application.",
            prefecture=prefecture,
        )
    else:
        what = _(
            "To receive {prefecture}'s 「{scheme}」 for the side job 「{need}」 with"
            " {professional}, apply to {prefecture} by {date}.",
            prefecture=prefecture,
            scheme=scheme,
            need=need,
            professional=professional,
            date=last,
        )
        next_step = _(
            "Once you have applied, record the day you applied on the match in Renkei: these"
            " reminders then stop."
        )
    lines = [what, _counted_from(deadline), next_step, rules.unconfirmed_text(deadline.tier)]
    if deadline.tier.source_url:
        lines.append(_("The scheme's public notice: {url}", url=deadline.tier.source_url))
    return _subject(need, days_left, passed), "\n".join(line for line in lines if line)


HANDLERS: dict[str, outbox.Handler] = {
    SUBSIDY_DEADLINES: check_deadlines,
    SUBSIDY_DEADLINE: remind,
}
