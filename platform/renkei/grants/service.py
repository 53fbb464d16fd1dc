"""A project's grant applications and their cycle: 構想 → 申請 → 交付決定 → 実績報告 → 確定.

Who may do what (row-level security checks the same, as a backstop): the project's active
participants read its applications; the lead organization's owners and admins create them and
take every step. Each status has one next step; any other is refused (INVALID_TRANSITION). A
step is a row of grant_application_transitions (who, acting for which organization, when) and
an entry of the project's activity. At 申請 and at 交付決定 the project's milestones are frozen
in a named baseline (renkei.milestones.baselines), so the plan as submitted and as decided can
be compared with today's.
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from renkei.activity.models import SubjectType
from renkei.activity.service import JsonValue, record, snapshot
from renkei.errors import ErrorCode, Forbidden, Invalid, NotFound, Unauthenticated
from renkei.grants import repository
from renkei.grants.models import (
    NEXT_STATUS,
    GrantApplication,
    GrantApplicationStatus,
    GrantApplicationTransition,
    GrantScheme,
    status_label,
)
from renkei.grants.money import allowance_of, grant_by_rule, money_of
from renkei.i18n.formats import format_date, format_yen
from renkei.i18n.messages import _
from renkei.milestones import baselines
from renkei.milestones import repository as milestones
from renkei.milestones.models import today
from renkei.projects import repository as projects
from renkei.projects.models import Project
from renkei.tenancy import Viewer
from renkei.text import clean_name

S = GrantApplicationStatus
MAX_AMOUNT_JPY = 10**13  # ten trillion yen: beyond any grant
MAX_CONDITIONS = 4000
FIELDS: tuple[str, ...] = ("title", "status", "requested_cost_jpy", "requested_grant_jpy", "rate")
FIELDS += ("uses_region_allowance", "applied_on", "decided_amount_jpy", "decided_on")
FIELDS += ("report_due_on", "reported_spending_jpy", "reported_on", "final_amount_jpy")
FIELDS += ("settled_on",)
# The activity action of each step, by the status it reaches.
ACTIONS = {
    S.APPLIED: "grant_applied",
    S.DECIDED: "grant_decided",
    S.REPORTED: "grant_reported",
    S.SETTLED: "grant_settled",
}


def _now() -> datetime:
    return datetime.now(UTC)


def next_status(application: GrantApplication) -> GrantApplicationStatus | None:
    """The one step that may follow, None once settled."""
    return NEXT_STATUS[application.status]


def _require_lead_admin(viewer: Viewer, project: Project) -> uuid.UUID:
    if viewer.user_id is None:
        raise Unauthenticated(_("sign in first"))
    if not viewer.manages(project.lead_organization_id):
        raise Forbidden(
            _("only the lead organization's owners and admins manage the project's grants")
        )
    return viewer.user_id


def _amount(value: float, field: str, *, zero: bool = False) -> int:
    if value != int(value):
        raise Invalid(_("an amount is a whole number of yen"), field=field)
    if value < (0 if zero else 1):
        raise Invalid(
            _("an amount is 0 yen or more") if zero else _("an amount is more than 0 yen"),
            field=field,
        )
    if value > MAX_AMOUNT_JPY:
        raise Invalid(
            _("an amount is at most {amount} yen", amount=format(MAX_AMOUNT_JPY, ",")),
            field=field,
        )
    return int(value)


def _not_in_future(day: date, field: str) -> date:
    if day > today():
        raise Invalid(_("this day cannot be in the future"), field=field)
    return day


async def _scheme(session: AsyncSession, scheme_id: uuid.UUID) -> GrantScheme:
    scheme = await repository.get_scheme(session, scheme_id)
    if scheme is None:
        raise NotFound(_("no such grant scheme"), field="schemeId")
    return scheme


async def _project(session: AsyncSession, project_id: uuid.UUID) -> Project:
    project = await projects.get_project(session, project_id)
    if project is None:
        raise NotFound(_("no such project"), field="projectId")
    return project


def _record_step(
    session: AsyncSession,
    viewer: Viewer,
    application: GrantApplication,
    project: Project,
    *,
    was: GrantApplicationStatus | None,
    action: str,
    before: dict[str, JsonValue] | None,
) -> None:
    session.add(
        GrantApplicationTransition(
            id=uuid.uuid4(),
            application_id=application.id,
            project_id=application.project_id,
            from_status=was,
            to_status=application.status,
            user_id=viewer.user_id,
            organization_id=viewer.organization_id,
            at=_now(),
        )
    )
    record(
        session,
        viewer,
        subject_type=SubjectType.GRANT_APPLICATION,
        subject_id=application.id,
        action=action,
        project_id=project.id,
        before=before,
        after=snapshot(application, FIELDS),
    )


async def create_application(
    session: AsyncSession,
    viewer: Viewer,
    *,
    project_id: uuid.UUID,
    scheme_id: uuid.UUID,
    title: str,
    requested_cost_jpy: float,
    rate: float | None = None,
    uses_region_allowance: bool = False,
    demo: bool = False,
) -> GrantApplication:
    """A new application at 構想 (concept): the scheme, the cost it asks support for, the 補助率
    (the scheme's; the application's own where the scheme's is not confirmed)."""
    project = await _project(session, project_id)
    user_id = _require_lead_admin(viewer, project)
    scheme = await _scheme(session, scheme_id)
    title = clean_name(title)
    cost = _amount(requested_cost_jpy, "requestedCostJpy")
    own_rate = Decimal(str(rate)) if rate is not None else None
    if own_rate is not None and not Decimal(0) < own_rate <= Decimal(1):
        raise Invalid(_("a 補助率 is more than 0 and at most 1 (1/2 = 0.5)"), field="rate")
    if scheme.rate is not None and "rate" not in scheme.unconfirmed_fields:
        if own_rate is not None and own_rate != scheme.rate:
            raise Invalid(
                _("the scheme's 補助率 is {rate}: leave the rate out", rate=str(scheme.rate)),
                field="rate",
            )
        own_rate = scheme.rate
    elif own_rate is None:
        raise Invalid(
            _(
                "the scheme's 補助率 is not confirmed: state the rate the application assumes"
                " (e.g. 0.5)"
            ),
            field="rate",
        )
    if uses_region_allowance and (project.region_id is None or scheme.region_allowance_jpy is None):
        raise Invalid(
            _("only a region's project may draw on a scheme's region-wide allowance"),
            field="usesRegionAllowance",
        )
    application = GrantApplication(
        id=uuid.uuid4(),
        project_id=project.id,
        region_id=project.region_id if uses_region_allowance else None,
        scheme_id=scheme.id,
        title=title,
        status=S.CONCEPT,
        requested_cost_jpy=cost,
        rate=own_rate,
        requested_grant_jpy=grant_by_rule(cost, own_rate, scheme.cap_jpy),
        uses_region_allowance=uses_region_allowance,
        conditions="",
        demo=demo,
        version=1,
        created_by_id=user_id,
    )
    session.add(application)
    await session.flush()
    _record_step(session, viewer, application, project, was=None, action="created", before=None)
    await session.flush()
    return application


async def _for_step(
    session: AsyncSession, viewer: Viewer, application_id: uuid.UUID, to: GrantApplicationStatus
) -> tuple[GrantApplication, Project, GrantScheme]:
    """The application, locked, if the viewer may take it to `to` and `to` is its next step."""
    found = await repository.get_application(session, application_id)
    if found is None:
        raise NotFound(_("no such grant application"), field="applicationId")
    project = await _project(session, found.project_id)
    _require_lead_admin(viewer, project)
    # Only the lead's owners and admins may lock it (row-level security's UPDATE policy).
    application = await repository.lock_application(session, application_id)
    assert application is not None
    following = next_status(application)
    if following is not to:
        if following is None:
            message = _(
                "「{title}」 is {status}: no step follows",
                title=application.title,
                status=status_label(application.status),
            )
        else:
            message = _(
                "「{title}」 is {status}: it can only go to {next}, not to {target}",
                title=application.title,
                status=status_label(application.status),
                next=status_label(following),
                target=status_label(to),
            )
        raise Invalid(message, field="applicationId", code=ErrorCode.INVALID_TRANSITION)
    scheme = await _scheme(session, application.scheme_id)
    return application, project, scheme


async def _freeze(
    session: AsyncSession, viewer: Viewer, application: GrantApplication, label: str
) -> uuid.UUID:
    """A named baseline of the project's milestones as they stand (a new name if taken)."""
    name, number = label, 1
    while await milestones.baseline_named(session, project_id=application.project_id, name=name):
        number += 1
        name = f"{label} ({number})"
    baseline = await baselines.create_baseline(
        session, viewer, project_id=application.project_id, name=name
    )
    return baseline.id


async def _step(
    session: AsyncSession,
    viewer: Viewer,
    application: GrantApplication,
    project: Project,
    to: GrantApplicationStatus,
    before: dict[str, JsonValue],
) -> GrantApplication:
    was = application.status
    application.status = to
    application.version += 1
    application.updated_at = _now()
    await session.flush()
    _record_step(session, viewer, application, project, was=was, action=ACTIONS[to], before=before)
    await session.flush()
    return application


async def apply(
    session: AsyncSession, viewer: Viewer, *, application_id: uuid.UUID, applied_on: date
) -> GrantApplication:
    """申請: the application is submitted; the plan as submitted is frozen in a baseline."""
    application, project, scheme = await _for_step(session, viewer, application_id, S.APPLIED)
    before = snapshot(application, FIELDS)
    application.applied_on = _not_in_future(applied_on, "appliedOn")
    application.application_baseline_id = await _freeze(
        session,
        viewer,
        application,
        _("{scheme}: as applied for ({day})", scheme=scheme.name, day=format_date(applied_on)),
    )
    return await _step(session, viewer, application, project, S.APPLIED, before)


async def decide(
    session: AsyncSession,
    viewer: Viewer,
    *,
    application_id: uuid.UUID,
    amount_jpy: float,
    decided_on: date,
    conditions: str = "",
    report_due_on: date | None = None,
) -> GrantApplication:
    """交付決定: the amount granted, the day, its conditions and when the 実績報告 is due; the
    plan as decided is frozen in a baseline."""
    application, project, scheme = await _for_step(session, viewer, application_id, S.DECIDED)
    before = snapshot(application, FIELDS)
    amount = _amount(amount_jpy, "amountJpy")
    if amount > application.requested_cost_jpy:
        raise Invalid(
            _(
                "the grant cannot exceed the cost applied for ({cost})",
                cost=format_yen(application.requested_cost_jpy),
            ),
            field="amountJpy",
        )
    if scheme.cap_jpy is not None and amount > scheme.cap_jpy:
        raise Invalid(
            _("the scheme grants at most {cap}", cap=format_yen(scheme.cap_jpy)),
            field="amountJpy",
        )
    if application.applied_on is not None and decided_on < application.applied_on:
        raise Invalid(_("a decision comes after the application"), field="decidedOn")
    _not_in_future(decided_on, "decidedOn")
    if report_due_on is not None and report_due_on < decided_on:
        raise Invalid(_("the report is due after the decision"), field="reportDueOn")
    conditions = conditions.strip()
    if len(conditions) > MAX_CONDITIONS:
        raise Invalid(
            _("conditions are at most {count} characters", count=MAX_CONDITIONS),
            field="conditions",
        )
    if application.uses_region_allowance and application.region_id is not None:
        allowance = await allowance_of(session, region_id=application.region_id, scheme=scheme)
        drawn_now = money_of(application, scheme).grant_jpy or 0
        if allowance is not None and allowance.used_jpy - drawn_now + amount > (
            allowance.allowance_jpy
        ):
            raise Invalid(
                _(
                    "the region has {left} left of the scheme's region-wide allowance",
                    left=format_yen(allowance.left_jpy + drawn_now),
                ),
                field="amountJpy",
            )
    application.decided_amount_jpy = amount
    application.decided_on = decided_on
    application.conditions = conditions
    application.report_due_on = report_due_on
    application.decision_baseline_id = await _freeze(
        session,
        viewer,
        application,
        _("{scheme}: as decided ({day})", scheme=scheme.name, day=format_date(decided_on)),
    )
    return await _step(session, viewer, application, project, S.DECIDED, before)


async def report(
    session: AsyncSession,
    viewer: Viewer,
    *,
    application_id: uuid.UUID,
    spending_jpy: float,
    reported_on: date,
) -> GrantApplication:
    """実績報告: what was actually spent, reported to the ministry."""
    application, project, _scheme_row = await _for_step(session, viewer, application_id, S.REPORTED)
    before = snapshot(application, FIELDS)
    application.reported_spending_jpy = _amount(spending_jpy, "spendingJpy", zero=True)
    if application.decided_on is not None and reported_on < application.decided_on:
        raise Invalid(_("a report comes after the decision"), field="reportedOn")
    application.reported_on = _not_in_future(reported_on, "reportedOn")
    return await _step(session, viewer, application, project, S.REPORTED, before)


async def settle(
    session: AsyncSession,
    viewer: Viewer,
    *,
    application_id: uuid.UUID,
    final_amount_jpy: float,
    settled_on: date,
) -> GrantApplication:
    """確定: the final amount, at most the decided one and the spending reported."""
    application, project, _scheme_row = await _for_step(session, viewer, application_id, S.SETTLED)
    before = snapshot(application, FIELDS)
    final = _amount(final_amount_jpy, "finalAmountJpy", zero=True)
    ceiling = min(
        application.decided_amount_jpy or 0,
        application.reported_spending_jpy or 0,
    )
    if final > ceiling:
        raise Invalid(
            _(
                "the final amount is at most the decided grant and the spending reported"
                " ({amount})",
                amount=format_yen(ceiling),
            ),
            field="finalAmountJpy",
        )
    if application.reported_on is not None and settled_on < application.reported_on:
        raise Invalid(_("a settlement comes after the report"), field="settledOn")
    application.final_amount_jpy = final
    application.settled_on = _not_in_future(settled_on, "settledOn")
    return await _step(session, viewer, application, project, S.SETTLED, before)


async def applications_of(session: AsyncSession, project_id: uuid.UUID) -> list[GrantApplication]:
    """The project's applications the viewer may read (its participants), oldest first."""
    return (await repository.applications_of_projects(session, [project_id]))[project_id]
