"""Reminders of a decided grant's 実績報告 due date, exported as HANDLERS.

Every day at 09:00 in Japan (renkei.workers.jobs) one message, GRANT_REPORT_DEADLINES, looks at
the decided applications whose report is due within the thresholds of the side-job subsidy
reminders (14, 7, 3, 1 days ahead, on the day, and once after: renkei.talent.subsidy_reminders
.due_threshold) and writes one GRANT_REPORT_DUE message per application, due date and threshold
(its id made of them): a second run writes nothing new, and each reminder goes out once. The
reminder re-reads the application: once the report is recorded, or the due date moved, it
tells no one. The lead organization's owners, admins and members are told, each in their own
language.
"""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from typing import Any

from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from renkei import outbox
from renkei.grants import repository
from renkei.grants.models import GrantApplicationStatus, GrantScheme
from renkei.i18n.formats import format_date
from renkei.i18n.messages import _, ngettext
from renkei.notifications.service import people_to_tell, tell
from renkei.notifications.subjects import global_id
from renkei.projects.models import Project
from renkei.talent.subsidy_reminders import PASSED, PASSED_WINDOW_DAYS, THRESHOLDS, due_threshold

GRANT_REPORT_DEADLINES = "grants.report_deadlines"
GRANT_REPORT_DUE = "grants.report_due"


def reminder_id(application_id: uuid.UUID, due_on: date, threshold: int) -> uuid.UUID:
    """One reminder per application, due date and threshold, however often the job runs."""
    key = f"renkei:{GRANT_REPORT_DUE}:{application_id}:{due_on.isoformat()}:{threshold}"
    return uuid.uuid5(uuid.NAMESPACE_URL, key)


async def enqueue_daily_check(session: AsyncSession, on: date) -> None:
    """The day's look at the report due dates, once a day however often the schedule fires."""
    message_id = uuid.uuid5(uuid.NAMESPACE_URL, f"renkei:{GRANT_REPORT_DEADLINES}:{on.isoformat()}")
    await session.execute(
        insert(outbox.OutboxMessage)
        .values(id=message_id, topic=GRANT_REPORT_DEADLINES, payload={"on": on.isoformat()})
        .on_conflict_do_nothing(index_elements=["id"])
    )


async def check_deadlines(
    session: AsyncSession, outbox_id: uuid.UUID, payload: dict[str, Any]
) -> None:
    """Write a GRANT_REPORT_DUE message for each reminder due on the day, once each."""
    on = date.fromisoformat(payload["on"])
    due = await repository.reports_due_between(
        session,
        start=on - timedelta(days=PASSED_WINDOW_DAYS),
        end=on + timedelta(days=max(THRESHOLDS)),
    )
    for application in due:
        assert application.report_due_on is not None
        threshold = due_threshold(application.report_due_on, on)
        if threshold is None:
            continue
        await session.execute(
            insert(outbox.OutboxMessage)
            .values(
                id=reminder_id(application.id, application.report_due_on, threshold),
                topic=GRANT_REPORT_DUE,
                payload={
                    "application_id": str(application.id),
                    "due_on": application.report_due_on.isoformat(),
                    "threshold": threshold,
                    "on": on.isoformat(),
                },
            )
            .on_conflict_do_nothing(index_elements=["id"])
        )


def reminder_text(
    *, title: str, scheme: str, project: str, due_on: date, days_left: int
) -> tuple[str, str]:
    """The reminder's subject and body in the current locale."""
    if days_left < 0:
        subject = _("The performance report (実績報告) is overdue: 「{title}」", title=title)
    elif days_left == 0:
        subject = _("The performance report (実績報告) is due today: 「{title}」", title=title)
    else:
        subject = ngettext(
            "{n} day left to submit the performance report (実績報告): 「{title}」",
            "{n} days left to submit the performance report (実績報告): 「{title}」",
            days_left,
            title=title,
        )
    body = "\n".join(
        (
            _(
                "The performance report (実績報告) of 「{title}」 ({scheme}) for the project"
                " 「{project}」 is due on {date}.",
                title=title,
                scheme=scheme,
                project=project,
                date=format_date(due_on),
            ),
            _(
                "Once it is submitted, record the spending reported on the grant application"
                " in Renkei: these reminders then stop."
            ),
        )
    )
    return subject, body


async def remind(session: AsyncSession, outbox_id: uuid.UUID, payload: dict[str, Any]) -> None:
    """Tell the lead organization's people the report is due, unless it was recorded or the
    due date moved since the message was written."""
    application = await repository.get_application(session, uuid.UUID(payload["application_id"]))
    if application is None or application.status is not GrantApplicationStatus.DECIDED:
        return
    if application.report_due_on is None or (
        application.report_due_on.isoformat() != payload["due_on"]
    ):
        return
    project = await session.get(Project, application.project_id)
    scheme = await session.get(GrantScheme, application.scheme_id)
    if project is None or scheme is None:
        return
    due_on = application.report_due_on
    on = date.fromisoformat(payload["on"])
    threshold = int(payload["threshold"])
    days_left = -1 if threshold == PASSED else (due_on - on).days

    def text() -> tuple[str, str]:
        return reminder_text(
            title=application.title,
            scheme=scheme.name,
            project=project.name,
            due_on=due_on,
            days_left=days_left,
        )

    await tell(
        session,
        outbox_id,
        await people_to_tell(session, [project.lead_organization_id]),
        kind=GRANT_REPORT_DUE,
        subject_id=global_id("GrantApplication", application.id),
        text=text,
    )


HANDLERS: dict[str, outbox.Handler] = {
    GRANT_REPORT_DEADLINES: check_deadlines,
    GRANT_REPORT_DUE: remind,
}
