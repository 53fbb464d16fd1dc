"""Milestones shared across organizations: the plan, sign-off and slips.

Who may do what (row-level security checks the same, as a backstop):
- members (OWNER, ADMIN, MEMBER; not VIEWER) of a project's active participant organizations
  add milestones;
- the owner organization's and the project lead's members change a milestone and its status;
- a milestone with a counterpart is DONE only when the counterpart's members sign it off (the
  owner asks for it by setting progress to 100); without one, the owner marks it DONE.

A change to the dates of a milestone with dependencies leaves an outbox message; its job,
`renkei.milestones.dependencies.flag_at_risk_dependents`, flags every milestone down the chain
that can no longer start on time. The dependencies themselves live in that module.
"""

from __future__ import annotations

import enum
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Final
from urllib.parse import urlsplit

from babel.lists import format_list
from sqlalchemy.ext.asyncio import AsyncSession

from renkei import outbox
from renkei.activity.models import SubjectType
from renkei.activity.service import JsonValue, record, snapshot
from renkei.errors import Conflict, Forbidden, Invalid, NotFound, Unauthenticated
from renkei.i18n.formats import format_date
from renkei.i18n.messages import N_, _, current_locale
from renkei.milestones import repository
from renkei.milestones.models import CLOSED, Milestone, MilestoneStatus, status_label
from renkei.milestones.models import today as today  # for callers of the service
from renkei.organizations.models import Organization
from renkei.projects import repository as projects
from renkei.projects.models import Project, ProjectStatus
from renkei.tenancy import MembershipRole, Viewer
from renkei.text import clean_name
from renkei.text_search import document_terms

MILESTONE_RESCHEDULED = "milestone.rescheduled"  # {"milestone_id"}
MILESTONE_STATUS_CHANGED = "milestone.status_changed"  # {"milestone_id", "from", "to"}
MILESTONE_AT_RISK = "milestone.at_risk"  # {"milestone_id"}

HORIZONS = (1, 3, 5)
MAX_WEIGHT = Decimal("9999.99")
MAX_EVIDENCE_LINKS = 20
MAX_LINK_LENGTH = 2000
REMINDER_DAYS = 7

_WRITERS = frozenset({MembershipRole.OWNER, MembershipRole.ADMIN, MembershipRole.MEMBER})
# The statuses changeMilestoneStatus may move to from each status. DONE also needs the
# counterpart's sign-off when there is one; leaving DONE withdraws the sign-off.
_S = MilestoneStatus
TRANSITIONS: Final[dict[MilestoneStatus, frozenset[MilestoneStatus]]] = {
    _S.NOT_STARTED: frozenset({_S.IN_PROGRESS, _S.AT_RISK, _S.DONE, _S.CANCELLED}),
    _S.IN_PROGRESS: frozenset({_S.AT_RISK, _S.DONE, _S.CANCELLED}),
    _S.AT_RISK: frozenset({_S.NOT_STARTED, _S.IN_PROGRESS, _S.DONE, _S.CANCELLED}),
    _S.DONE: frozenset({_S.IN_PROGRESS}),
    _S.CANCELLED: frozenset({_S.NOT_STARTED}),
}
FIELDS: tuple[str, ...] = ("title", "description", "starts_on", "due_on", "horizon_years")
FIELDS += ("owner_organization_id", "counterpart_organization_id", "status", "progress")
FIELDS += ("weight", "evidence_links", "at_risk_reason", "at_risk_reasons", "signed_off_at")
FIELDS += ("signed_off_by_id",)


class _Keep(enum.Enum):
    KEEP = "keep"


KEEP: Final = _Keep.KEEP
"""For update arguments that may be cleared with None: leave the value as it is."""


def is_overdue(milestone: Milestone, on: date | None = None) -> bool:
    """Past due in Japan (today, or `on`) and still open: Milestone.is_overdue, the one rule."""
    return milestone.is_overdue if on is None else milestone.overdue_on(on)


def effective_start(milestone: Milestone) -> date:
    """When a milestone starts: its start date, or its due date when it has none."""
    return milestone.starts_on or milestone.due_on


def statuses_listed(statuses: Iterable[MilestoneStatus]) -> str:
    """Statuses as the reader reads them, as alternatives: in progress, done, or cancelled."""
    return format_list([status_label(s) for s in statuses], style="or", locale=current_locale())


def allowed_transitions(milestone: Milestone) -> list[MilestoneStatus]:
    """Where changeMilestoneStatus may take it; DONE only when no counterpart signs off."""
    allowed = TRANSITIONS[milestone.status]
    if milestone.counterpart_organization_id is not None:
        allowed = allowed - {MilestoneStatus.DONE}
    return [s for s in MilestoneStatus if s in allowed]


# Rules --------------------------------------------------------------------------------------


async def _project(session: AsyncSession, project_id: uuid.UUID, field: str) -> Project:
    project = await projects.get_project(session, project_id)
    if project is None:
        raise NotFound(_("no such project"), field=field)
    return project


async def _active_participants(session: AsyncSession, project_id: uuid.UUID) -> set[uuid.UUID]:
    return await projects.active_organization_ids(session, project_id=project_id)


def _require_writer(viewer: Viewer) -> uuid.UUID:
    if viewer.user_id is None:
        raise Unauthenticated(_("sign in first"))
    if viewer.organization_id is None or viewer.role not in _WRITERS:
        raise Forbidden(
            _(
                "only owners, admins and members of a participating organization change"
                " milestones; viewers read them"
            )
        )
    return viewer.organization_id


async def project_for_writing(
    session: AsyncSession, viewer: Viewer, project_id: uuid.UUID, *, field: str = "projectId"
) -> tuple[Project, set[uuid.UUID]]:
    """The project and its active participants, if the viewer writes for one of them."""
    organization_id = _require_writer(viewer)
    project = await _project(session, project_id, field)
    active = await _active_participants(session, project_id)
    if organization_id not in active:
        raise Forbidden(
            _("only members of the project's participating organizations may do this"),
            field=field,
        )
    return project, active


async def milestone_for_editing(
    session: AsyncSession, viewer: Viewer, milestone_id: uuid.UUID, *, field: str = "id"
) -> tuple[Milestone, Project, set[uuid.UUID]]:
    """The milestone, if the viewer writes for its owner or for the project's lead."""
    organization_id = _require_writer(viewer)
    milestone = await repository.get(session, milestone_id)
    if milestone is None:
        raise NotFound(_("no such milestone"), field=field)
    project = await _project(session, milestone.project_id, field)
    active = await _active_participants(session, project.id)
    editors = {milestone.owner_organization_id, project.lead_organization_id}
    if organization_id not in editors or organization_id not in active:
        raise Forbidden(
            _(
                "only members of the milestone's owner organization or of the project's lead"
                " organization may change it"
            ),
            field=field,
        )
    return milestone, project, active


async def _lock_at_version(session: AsyncSession, milestone: Milestone, version: int) -> None:
    """Lock the row as last committed; Conflict when it changed since the caller read it."""
    await session.refresh(milestone, with_for_update=True)
    if milestone.version != version:
        raise Conflict(
            _(
                "this milestone was changed since you read it (you read version {read}, it is"
                " now at version {current}): reload it and make your change again",
                read=version,
                current=milestone.version,
            ),
            field="version",
        )


def touch(milestone: Milestone) -> None:
    milestone.version += 1
    milestone.updated_at = datetime.now(UTC)


_CLOSED_PROJECT = {
    ProjectStatus.COMPLETED: N_("the project is completed: its plan is closed"),
    ProjectStatus.CANCELLED: N_("the project is cancelled: its plan is closed"),
}


def _check_open_project(project: Project, field: str) -> None:
    if project.status in _CLOSED_PROJECT:
        raise Invalid(_(_CLOSED_PROJECT[project.status]), field=field)


_NOT_PARTICIPATING = {
    "owner": N_("the owner must be an active participant organization of the project"),
    "counterpart": N_("the counterpart must be an active participant organization of the project"),
}


def _check_participant(
    organization_id: uuid.UUID | None, active: set[uuid.UUID], *, field: str, what: str
) -> None:
    if organization_id is not None and organization_id not in active:
        raise Invalid(_(_NOT_PARTICIPATING[what]), field=field)


def _check_roles(owner_id: uuid.UUID, counterpart_id: uuid.UUID | None) -> None:
    if counterpart_id == owner_id:
        raise Invalid(
            _("the counterpart signs off the owner's work: it must be another organization"),
            field="counterpartOrganizationId",
        )


def _check_dates(starts_on: date | None, due_on: date) -> None:
    if starts_on is not None and starts_on > due_on:
        raise Invalid(
            _(
                "a milestone cannot start after it is due (starts {start}, due {due})",
                start=format_date(starts_on),
                due=format_date(due_on),
            ),
            field="startsOn",
        )


def _check_horizon(horizon_years: int) -> int:
    if horizon_years not in HORIZONS:
        raise Invalid(_("the roadmap horizon is 1, 3 or 5 years"), field="horizonYears")
    return horizon_years


def clean_weight(weight: Decimal | float | int) -> Decimal:
    try:
        value = Decimal(str(weight))
    except InvalidOperation as exc:
        raise Invalid(_("the weight must be a number"), field="weight") from exc
    if not value.is_finite() or not Decimal(0) < value <= MAX_WEIGHT:
        raise Invalid(
            _("the weight must be above 0 and at most {maximum}", maximum=MAX_WEIGHT),
            field="weight",
        )
    if value != value.quantize(Decimal("0.01")):
        raise Invalid(_("the weight has at most two decimal places"), field="weight")
    return value.quantize(Decimal("0.01"))


def clean_evidence_links(links: Iterable[str]) -> list[str]:
    """http(s) URLs with a host, each once, in the order given."""
    cleaned: dict[str, None] = {}
    for number, raw in enumerate(links, start=1):
        link = raw.strip()
        try:
            parts = urlsplit(link)
            host = parts.hostname
        except ValueError:
            host = None
        ok = (
            host
            and parts.scheme in ("http", "https")
            and len(link) <= MAX_LINK_LENGTH
            and not any(c.isspace() or ord(c) < 32 for c in link)
        )
        if not ok:
            raise Invalid(
                _(
                    "evidence link {number} is not an http(s) URL of at most {maximum}"
                    " characters: {link}",
                    number=number,
                    maximum=MAX_LINK_LENGTH,
                    link=repr(link[:80]),
                ),
                field="evidenceLinks",
            )
        cleaned.setdefault(link, None)
    if len(cleaned) > MAX_EVIDENCE_LINKS:
        raise Invalid(
            _("at most {maximum} evidence links", maximum=MAX_EVIDENCE_LINKS),
            field="evidenceLinks",
        )
    return list(cleaned)


def record_activity(
    session: AsyncSession,
    viewer: Viewer,
    milestone: Milestone,
    action: str,
    before: dict[str, JsonValue] | None,
) -> None:
    record(
        session,
        viewer,
        subject_type=SubjectType.MILESTONE,
        subject_id=milestone.id,
        action=action,
        project_id=milestone.project_id,
        before=before,
        after=snapshot(milestone, FIELDS),
    )


def _cannot_become(milestone: Milestone, target: MilestoneStatus) -> str:
    allowed = allowed_transitions(milestone)
    if not allowed:
        return _(
            "a {before} milestone cannot become {after}, nor any other status",
            before=status_label(milestone.status),
            after=status_label(target),
        )
    return _(
        "a {before} milestone cannot become {after}; it can become {allowed}",
        before=status_label(milestone.status),
        after=status_label(target),
        allowed=statuses_listed(allowed),
    )


def _status_changed(session: AsyncSession, milestone: Milestone, was: MilestoneStatus) -> None:
    if milestone.status != was:
        outbox.enqueue(
            session,
            MILESTONE_STATUS_CHANGED,
            {
                "milestone_id": str(milestone.id),
                "from": was.value,
                "to": milestone.status.value,
            },
        )


def enqueue_rescheduled(session: AsyncSession, milestone: Milestone) -> None:
    outbox.enqueue(session, MILESTONE_RESCHEDULED, {"milestone_id": str(milestone.id)})


# Services -----------------------------------------------------------------------------------


async def create_milestone(
    session: AsyncSession,
    viewer: Viewer,
    *,
    project_id: uuid.UUID,
    title: str,
    due_on: date,
    horizon_years: int,
    description: str = "",
    starts_on: date | None = None,
    owner_organization_id: uuid.UUID | None = None,
    counterpart_organization_id: uuid.UUID | None = None,
    weight: Decimal | float | int = Decimal(1),
    evidence_links: Iterable[str] = (),
) -> Milestone:
    """Add a milestone to a project's plan; its owner is the acting organization by default."""
    project, active = await project_for_writing(session, viewer, project_id)
    _check_open_project(project, "projectId")
    owner_id = owner_organization_id or viewer.organization_id
    assert owner_id is not None
    _check_participant(owner_id, active, field="ownerOrganizationId", what="owner")
    _check_participant(
        counterpart_organization_id, active, field="counterpartOrganizationId", what="counterpart"
    )
    _check_roles(owner_id, counterpart_organization_id)
    title = clean_name(title, field="title")
    _check_dates(starts_on, due_on)
    milestone = Milestone(
        id=uuid.uuid4(),
        project_id=project.id,
        title=title,
        description=description.strip(),
        starts_on=starts_on,
        due_on=due_on,
        horizon_years=_check_horizon(horizon_years),
        owner_organization_id=owner_id,
        counterpart_organization_id=counterpart_organization_id,
        status=MilestoneStatus.NOT_STARTED,
        progress=0,
        weight=clean_weight(weight),
        evidence_links=clean_evidence_links(evidence_links),
        search_terms=document_terms(title),
        version=1,
    )
    session.add(milestone)
    record_activity(session, viewer, milestone, "created", None)
    await session.flush()
    return milestone


async def update_milestone(
    session: AsyncSession,
    viewer: Viewer,
    *,
    milestone_id: uuid.UUID,
    version: int,
    title: str | None = None,
    description: str | None = None,
    starts_on: date | _Keep | None = KEEP,
    due_on: date | None = None,
    horizon_years: int | None = None,
    owner_organization_id: uuid.UUID | None = None,
    counterpart_organization_id: uuid.UUID | _Keep | None = KEEP,
    weight: Decimal | float | int | None = None,
    evidence_links: Iterable[str] | None = None,
) -> Milestone:
    """Change a milestone's plan, from the version the caller read (CONFLICT if stale)."""
    milestone, _project, active = await milestone_for_editing(session, viewer, milestone_id)
    await _lock_at_version(session, milestone, version)
    before = snapshot(milestone, FIELDS)
    old_start, old_due = effective_start(milestone), milestone.due_on
    if title is not None:
        milestone.title = clean_name(title, field="title")
        milestone.search_terms = document_terms(milestone.title)
    if description is not None:
        milestone.description = description.strip()
    if not isinstance(starts_on, _Keep):
        milestone.starts_on = starts_on
    if due_on is not None:
        milestone.due_on = due_on
    _check_dates(milestone.starts_on, milestone.due_on)
    if horizon_years is not None:
        milestone.horizon_years = _check_horizon(horizon_years)
    if owner_organization_id is not None:
        _check_participant(owner_organization_id, active, field="ownerOrganizationId", what="owner")
        milestone.owner_organization_id = owner_organization_id
    if not isinstance(counterpart_organization_id, _Keep):
        if counterpart_organization_id != milestone.counterpart_organization_id:
            if milestone.status == MilestoneStatus.DONE:
                raise Invalid(
                    _("the milestone is done: reopen it before changing who signs it off"),
                    field="counterpartOrganizationId",
                )
            _check_participant(
                counterpart_organization_id,
                active,
                field="counterpartOrganizationId",
                what="counterpart",
            )
        milestone.counterpart_organization_id = counterpart_organization_id
    _check_roles(milestone.owner_organization_id, milestone.counterpart_organization_id)
    if weight is not None:
        milestone.weight = clean_weight(weight)
    if evidence_links is not None:
        milestone.evidence_links = clean_evidence_links(evidence_links)
    if snapshot(milestone, FIELDS) == before:
        return milestone
    touch(milestone)
    record_activity(session, viewer, milestone, "updated", before)
    # Later than before, it may now end after a dependent starts; earlier, start before a
    # predecessor ends. The job checks both, down the chain.
    later, earlier = milestone.due_on > old_due, effective_start(milestone) < old_start
    if (later or earlier) and await repository.has_dependencies(
        session, milestone_id=milestone.id, predecessors=earlier, successors=later
    ):
        enqueue_rescheduled(session, milestone)
    await session.flush()
    return milestone


async def change_milestone_status(
    session: AsyncSession,
    viewer: Viewer,
    *,
    milestone_id: uuid.UUID,
    version: int,
    status: MilestoneStatus | None = None,
    progress: int | None = None,
    at_risk_reason: str | None = None,
) -> Milestone:
    """Move a milestone along its statuses and report progress (0 to 100).

    With a counterpart, the owner asks for sign-off by reaching progress 100; DONE comes from
    `sign_off_milestone`. Progress on a NOT_STARTED milestone starts it.
    """
    milestone, _project, _active = await milestone_for_editing(session, viewer, milestone_id)
    await _lock_at_version(session, milestone, version)
    before = snapshot(milestone, FIELDS)
    was = milestone.status
    if progress is not None and not 0 <= progress <= 100:
        raise Invalid(_("progress is a percentage from 0 to 100"), field="progress")
    target = status or was
    if status is None and progress and was == MilestoneStatus.NOT_STARTED:
        target = MilestoneStatus.IN_PROGRESS
    if target != was:
        if target not in TRANSITIONS[was]:
            raise Invalid(_cannot_become(milestone, target), field="status")
        if target == MilestoneStatus.DONE and milestone.counterpart_organization_id is not None:
            raise Forbidden(
                _(
                    "this milestone's counterpart organization signs off its completion: set"
                    " progress to 100 to ask for its sign-off"
                ),
                field="status",
            )
    elif progress is not None and was in CLOSED and progress != milestone.progress:
        raise Invalid(
            _(
                "the milestone is {status}: reopen it before reporting progress",
                status=status_label(was),
            ),
            field="progress",
        )
    if progress is not None:
        milestone.progress = progress
    milestone.status = target
    if target == MilestoneStatus.DONE and was != MilestoneStatus.DONE:
        milestone.progress = 100
        milestone.signed_off_at = datetime.now(UTC)
        milestone.signed_off_by_id = viewer.user_id
    elif was == MilestoneStatus.DONE:
        # Reopened: the completion is no longer confirmed.
        milestone.signed_off_at = None
        milestone.signed_off_by_id = None
    if target == MilestoneStatus.AT_RISK:
        if at_risk_reason is not None:
            # A person's reason, kept as typed, replaces the one the platform wrote.
            milestone.at_risk_reason = at_risk_reason.strip() or None
            milestone.at_risk_reasons = None
    elif at_risk_reason:
        raise Invalid(
            _("a reason is given only when marking a milestone AT_RISK"), field="atRiskReason"
        )
    else:
        milestone.at_risk_reason = None
        milestone.at_risk_reasons = None
    if snapshot(milestone, FIELDS) == before:
        return milestone
    touch(milestone)
    record_activity(
        session,
        viewer,
        milestone,
        "status_changed" if target != was else "progress_reported",
        before,
    )
    _status_changed(session, milestone, was)
    if (
        was in CLOSED
        and target not in CLOSED
        and await repository.has_dependencies(session, milestone_id=milestone.id)
    ):
        # Back in the plan: it may hold up its dependents again.
        enqueue_rescheduled(session, milestone)
    await session.flush()
    return milestone


async def sign_off_milestone(
    session: AsyncSession, viewer: Viewer, *, milestone_id: uuid.UUID, version: int
) -> Milestone:
    """The counterpart organization confirms the owner's completed milestone: DONE."""
    organization_id = _require_writer(viewer)
    milestone = await repository.get(session, milestone_id)
    if milestone is None:
        raise NotFound(_("no such milestone"), field="id")
    counterpart_id = milestone.counterpart_organization_id
    if counterpart_id is None:
        raise Invalid(
            _("this milestone has no counterpart: its owner marks it DONE itself"), field="id"
        )
    if organization_id != counterpart_id or counterpart_id not in await _active_participants(
        session, milestone.project_id
    ):
        raise Forbidden(
            _("only members of the milestone's counterpart organization may sign it off"),
            field="id",
        )
    await _lock_at_version(session, milestone, version)
    if milestone.status in CLOSED:
        raise Invalid(
            _("the milestone is {status} already", status=status_label(milestone.status)),
            field="id",
        )
    if milestone.progress < 100:
        raise Invalid(
            _(
                "the owner has not asked for sign-off yet (progress is {progress}%, not 100%)",
                progress=milestone.progress,
            ),
            field="id",
        )
    before = snapshot(milestone, FIELDS)
    was = milestone.status
    milestone.status = MilestoneStatus.DONE
    milestone.at_risk_reason = None
    milestone.at_risk_reasons = None
    milestone.signed_off_at = datetime.now(UTC)
    milestone.signed_off_by_id = viewer.user_id
    touch(milestone)
    record_activity(session, viewer, milestone, "signed_off", before)
    _status_changed(session, milestone, was)
    await session.flush()
    return milestone


# Jobs ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DueReminder:
    milestone: Milestone
    owner: Organization
    # Days until due: negative when overdue.
    days_left: int

    @property
    def overdue(self) -> bool:
        return self.days_left < 0


async def due_soon_and_overdue(session: AsyncSession, on: date) -> list[DueReminder]:
    """For the daily reminder (as the platform): open milestones due within 7 days of `on`, and
    overdue ones, with their owner organization; by owner, then due date."""
    rows = await repository.open_due_by(session, until=on + timedelta(days=REMINDER_DAYS))
    return [DueReminder(milestone=m, owner=o, days_left=(m.due_on - on).days) for m, o in rows]
