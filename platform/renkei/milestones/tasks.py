"""The milestones domain's outbox handlers, exported as HANDLERS: changes told, slips flagged.

Run by a worker as the platform. Each re-reads its rows and records at most one notification per
message and person, so a message handled twice notifies once. People are notified through their
organizations: its owners, admins and members (not viewers).
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from datetime import date, timedelta
from functools import partial
from typing import Any

from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from renkei import outbox
from renkei.i18n.formats import format_date
from renkei.i18n.messages import _, current_locale, ngettext
from renkei.milestones import dependencies
from renkei.milestones import service as milestones
from renkei.milestones.models import Milestone, status_label
from renkei.notifications.service import Recipient, people_to_tell, tell
from renkei.notifications.subjects import global_id
from renkei.organizations.models import Organization
from renkei.projects.models import Project

DAILY_REMINDER = "milestone.daily_reminder"


async def _owner_and_counterpart(session: AsyncSession, milestone: Milestone) -> list[Recipient]:
    organizations = [milestone.owner_organization_id]
    if milestone.counterpart_organization_id is not None:
        organizations.append(milestone.counterpart_organization_id)
    return await people_to_tell(session, organizations)


async def milestone_status_changed(
    session: AsyncSession, outbox_id: uuid.UUID, payload: dict[str, Any]
) -> None:
    milestone = await session.get(Milestone, uuid.UUID(payload["milestone_id"]))
    if milestone is None:
        return
    project = await session.get(Project, milestone.project_id)
    assert project is not None
    await tell(
        session,
        outbox_id,
        await _owner_and_counterpart(session, milestone),
        kind="milestone.status_changed",
        subject_id=global_id("Milestone", milestone.id),
        text=lambda: (
            _(
                "「{milestone}」 is now {status}",
                milestone=milestone.title,
                status=status_label(payload["to"]),
            ),
            _(
                "The milestone 「{milestone}」 of {project} moved from {before} to {after}"
                " (due {due}).",
                milestone=milestone.title,
                project=project.name,
                before=status_label(payload["from"]),
                after=status_label(payload["to"]),
                due=format_date(milestone.due_on),
            ),
        ),
    )


async def milestone_at_risk(
    session: AsyncSession, outbox_id: uuid.UUID, payload: dict[str, Any]
) -> None:
    milestone = await session.get(Milestone, uuid.UUID(payload["milestone_id"]))
    if milestone is None or milestone.status.value != "AT_RISK":
        return
    project = await session.get(Project, milestone.project_id)
    assert project is not None
    await tell(
        session,
        outbox_id,
        await _owner_and_counterpart(session, milestone),
        kind="milestone.at_risk",
        subject_id=global_id("Milestone", milestone.id),
        text=lambda: (
            _("「{milestone}」 is at risk", milestone=milestone.title),
            _(
                "The milestone 「{milestone}」 of {project} is at risk: {reason}",
                milestone=milestone.title,
                project=project.name,
                # In the recipient's language when the platform wrote it, as typed otherwise.
                reason=milestone.at_risk_reason_in(current_locale()) or _("its owner flagged it."),
            ),
        ),
    )


async def milestone_rescheduled(
    session: AsyncSession, outbox_id: uuid.UUID, payload: dict[str, Any]
) -> None:
    """Flag what a slip delays; each flag sends its own milestone.at_risk message."""
    await dependencies.flag_at_risk_dependents(session, uuid.UUID(payload["milestone_id"]))


async def enqueue_daily_reminder(session: AsyncSession, on: date) -> None:
    """The day's reminder, once a day however often the schedule fires: its id is the date's."""
    message_id = uuid.uuid5(uuid.NAMESPACE_URL, f"renkei:{DAILY_REMINDER}:{on.isoformat()}")
    await session.execute(
        insert(outbox.OutboxMessage)
        .values(id=message_id, topic=DAILY_REMINDER, payload={"on": on.isoformat()})
        .on_conflict_do_nothing(index_elements=["id"])
    )


async def daily_reminder(
    session: AsyncSession, outbox_id: uuid.UUID, payload: dict[str, Any]
) -> None:
    """Tell each owner organization what is due within 7 days and what is overdue."""
    on = date.fromisoformat(payload["on"])
    by_owner: dict[uuid.UUID, list[milestones.DueReminder]] = defaultdict(list)
    owners: dict[uuid.UUID, Organization] = {}
    for reminder in await milestones.due_soon_and_overdue(session, on):
        by_owner[reminder.owner.id].append(reminder)
        owners[reminder.owner.id] = reminder.owner
    for owner_id, reminders in by_owner.items():
        overdue = [r for r in reminders if r.overdue]
        soon = [r for r in reminders if not r.overdue]
        await tell(
            session,
            outbox_id,
            await people_to_tell(session, [owner_id]),
            kind=DAILY_REMINDER,
            # About the owner organization: the list is its milestones due soon.
            subject_id=global_id("Organization", owner_id),
            text=partial(_reminder_text, owners[owner_id].name, overdue, soon, on),
        )


def _reminder_text(
    owner: str,
    overdue: list[milestones.DueReminder],
    soon: list[milestones.DueReminder],
    on: date,
) -> tuple[str, str]:
    """The daily reminder of one owner organization, in the current locale."""
    lines = [
        "- "
        + (
            ngettext(
                "「{milestone}」 due {due} ({n} day overdue)",
                "「{milestone}」 due {due} ({n} days overdue)",
                -r.days_left,
                milestone=r.milestone.title,
                due=format_date(r.milestone.due_on),
            )
            if r.overdue
            else ngettext(
                "「{milestone}」 due {due} (in {n} day)",
                "「{milestone}」 due {due} (in {n} days)",
                r.days_left,
                milestone=r.milestone.title,
                due=format_date(r.milestone.due_on),
            )
        )
        for r in (*overdue, *soon)
    ]
    subject = _(
        "{organization}: {overdue} overdue, {soon} due by {day}",
        organization=owner,
        overdue=len(overdue),
        soon=len(soon),
        day=format_date(on + timedelta(days=milestones.REMINDER_DAYS)),
    )
    return subject, "\n".join(lines)


HANDLERS: dict[str, outbox.Handler] = {
    milestones.MILESTONE_STATUS_CHANGED: milestone_status_changed,
    milestones.MILESTONE_AT_RISK: milestone_at_risk,
    milestones.MILESTONE_RESCHEDULED: milestone_rescheduled,
    DAILY_REMINDER: daily_reminder,
}
