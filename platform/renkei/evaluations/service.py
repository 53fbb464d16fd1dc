"""効果検証: rounds of a region or a project, written by its secretariat's (or lead's) admins.

A round is a draft until it is recorded: recording computes each reviewed KPI's attainment at
the round's date (renkei.kpis.goals) and keeps it, so that later observations never change
what the round reported. Improvements (改善策) become milestones of a project through the
milestones service. A published round's report is public (renkei.graphql.reports).
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from renkei.errors import Conflict, Forbidden, Invalid, NotFound
from renkei.evaluations import repository
from renkei.evaluations.models import (
    EvaluationFinding,
    EvaluationKpiReview,
    EvaluationParticipant,
    EvaluationRound,
    FindingKind,
)
from renkei.i18n.formats import format_date
from renkei.i18n.messages import _
from renkei.kpis import goals
from renkei.kpis import goals_repository as kpi_goals
from renkei.kpis import repository as kpis
from renkei.kpis.models import Kpi
from renkei.milestones import service as milestones
from renkei.organizations import repository as organizations
from renkei.tenancy import Viewer
from renkei.text import clean_name

MAX_TEXT = 5000


def _text(value: str, *, field: str) -> str:
    value = value.strip()
    if len(value) > MAX_TEXT:
        raise Invalid(_("at most {maximum} characters", maximum=MAX_TEXT), field=field)
    return value


async def _round(session: AsyncSession, round_id: uuid.UUID, field: str) -> EvaluationRound:
    found = await repository.get(session, round_id)
    if found is None:
        raise NotFound(_("no such evaluation round"), field=field)
    return found


async def _require_writer(
    session: AsyncSession,
    viewer: Viewer,
    *,
    region_id: uuid.UUID | None,
    project_id: uuid.UUID | None,
) -> str:
    """The secretariat's owners and admins write a region's rounds, the lead's a project's;
    returns the subject's name."""
    if project_id is not None:
        project = await kpis.project(session, project_id)
        if project is None:
            raise NotFound(_("no such project"), field="projectId")
        if not viewer.manages(project.lead_organization_id):
            raise Forbidden(
                _("only the lead organization's owners and admins may run its evaluations")
            )
        return project.name
    assert region_id is not None
    region = await kpis.region(session, region_id)
    if region is None:
        raise NotFound(_("no such region"), field="regionId")
    if not viewer.manages(region.secretariat_organization_id):
        raise Forbidden(
            _("only the region secretariat's owners and admins may run its evaluations")
        )
    return region.name


async def _writable(
    session: AsyncSession, viewer: Viewer, round_id: uuid.UUID, *, field: str = "roundId"
) -> EvaluationRound:
    """The round, locked, if the viewer may write it and it is not published."""
    found = await _round(session, round_id, field)
    await _require_writer(session, viewer, region_id=found.region_id, project_id=found.project_id)
    locked = await repository.lock(session, round_id)
    assert locked is not None  # its writers may lock it
    if locked.published_at is not None:
        raise Conflict(_("the round is published: its report can no longer change"), field=field)
    return locked


async def create_round(
    session: AsyncSession,
    viewer: Viewer,
    *,
    region_id: uuid.UUID | None = None,
    project_id: uuid.UUID | None = None,
    title: str,
    held_on: date,
    summary: str = "",
    demo: bool = False,
) -> EvaluationRound:
    """Open a round (a draft) of a region's or a project's 効果検証."""
    if (project_id is None) == (region_id is None):
        raise Invalid(
            _("an evaluation round belongs to a project or to a region: give one of them"),
            field="regionId",
        )
    title = clean_name(title, field="title")
    summary = _text(summary, field="summary")
    name = await _require_writer(session, viewer, region_id=region_id, project_id=project_id)
    found = EvaluationRound(
        id=uuid.uuid4(),
        region_id=region_id,
        project_id=project_id,
        subject_name=name,
        title=title,
        held_on=held_on,
        summary=summary,
        demo=demo,
        created_by_id=viewer.user_id,
    )
    session.add(found)
    await session.flush()
    return found


async def add_participant(
    session: AsyncSession, viewer: Viewer, *, round_id: uuid.UUID, organization_id: uuid.UUID
) -> EvaluationRound:
    """Record that an organization took part; its name and kind are kept as they are today."""
    found = await _writable(session, viewer, round_id)
    organization = await organizations.get(session, organization_id)
    if organization is None:
        raise NotFound(_("no such organization"), field="organizationId")
    already = await repository.participants(session, [found.id])
    if any(p.organization_id == organization_id for p in already):
        return found
    session.add(
        EvaluationParticipant(
            id=uuid.uuid4(),
            round_id=found.id,
            organization_id=organization.id,
            organization_name=organization.name,
            kind=str(organization.kind),
            position=len(already),
        )
    )
    await session.flush()
    return found


async def _in_scope(session: AsyncSession, found: EvaluationRound, kpi: Kpi) -> bool:
    """A project's round reviews the project's KPIs; a region's, its own and its projects'."""
    if found.project_id is not None:
        return kpi.project_id == found.project_id
    if kpi.region_id is not None:
        return kpi.region_id == found.region_id
    assert kpi.project_id is not None
    project = await kpis.project(session, kpi.project_id)
    return project is not None and project.region_id == found.region_id


async def _freeze(session: AsyncSession, review: EvaluationKpiReview, kpi: Kpi, day: date) -> None:
    """Copy the KPI's definition and its attainment at `day` into the review."""
    result = await goals.kpi_at_date(session, kpi, day)
    relative = await kpi_goals.relative_target(session, kpi.id)
    goal = await kpi_goals.national_goal_of(session, kpi.id)
    review.kpi_name = kpi.name
    review.unit = kpi.unit
    review.direction = kpi.direction
    review.baseline = kpi.baseline_value
    review.target = None if result.target is None else result.target.value
    review.target_period = None if result.target is None else result.target.period
    review.latest = None if result.latest is None else result.latest.value
    review.latest_period_start = None if result.latest is None else result.latest.period_start
    review.latest_period_end = None if result.latest is None else result.latest.period_end
    review.percent = result.percent
    review.achieved = result.achieved
    review.reason_code = result.reason_code
    review.relative_target_name = None if relative is None else relative.reference_name
    review.relative_target_value = result.relative_value
    review.relative_achieved = result.relative_achieved
    review.national_goal = None if goal is None else goals.national_goal_text(goal)


async def add_kpi_review(
    session: AsyncSession,
    viewer: Viewer,
    *,
    round_id: uuid.UUID,
    kpi_id: uuid.UUID,
    comment: str = "",
) -> EvaluationRound:
    """Put a KPI on the round's agenda; its figures are computed now and again on recording."""
    found = await _writable(session, viewer, round_id)
    if found.recorded_at is not None:
        raise Conflict(_("the round is recorded: the KPIs it reviewed are frozen"), field="roundId")
    kpi = await kpis.get(session, kpi_id)
    if kpi is None or not await _in_scope(session, found, kpi):
        raise NotFound(_("no such KPI of this region or project"), field="kpiId")
    already = await repository.kpi_reviews(session, [found.id])
    if any(r.kpi_id == kpi.id for r in already):
        return found
    review = EvaluationKpiReview(
        id=uuid.uuid4(),
        round_id=found.id,
        kpi_id=kpi.id,
        position=len(already),
        comment=_text(comment, field="comment"),
    )
    await _freeze(session, review, kpi, found.held_on)
    session.add(review)
    await session.flush()
    return found


def _horizon(held_on: date, due_on: date) -> int:
    """The roadmap horizon (1, 3 or 5 years) the due date falls in, counted from the round."""
    years = (due_on - held_on).days / 365.25
    return 1 if years <= 1 else 3 if years <= 3 else 5


async def add_finding(
    session: AsyncSession,
    viewer: Viewer,
    *,
    round_id: uuid.UUID,
    kind: FindingKind,
    body: str,
    owner_organization_id: uuid.UUID | None = None,
    due_on: date | None = None,
    project_id: uuid.UUID | None = None,
) -> EvaluationFinding:
    """Record a finding, or an improvement (改善策) that becomes a milestone of the project
    (the round's, or, for a region's round, the chosen project of the region)."""
    found = await _writable(session, viewer, round_id)
    text = " ".join(body.split())
    if not text:
        raise Invalid(_("write the finding or improvement"), field="body")
    if len(text) > MAX_TEXT:
        raise Invalid(_("at most {maximum} characters", maximum=MAX_TEXT), field="body")
    position = await repository.next_finding_position(session, found.id)
    finding = EvaluationFinding(
        id=uuid.uuid4(), round_id=found.id, kind=kind, body=text, position=position
    )
    if kind is FindingKind.IMPROVEMENT:
        if owner_organization_id is None:
            raise Invalid(_("an improvement needs an owner organization"), field="ownerId")
        if due_on is None:
            raise Invalid(_("an improvement needs a due date"), field="dueOn")
        if due_on < found.held_on:
            raise Invalid(_("the due date cannot be before the round's date"), field="dueOn")
        owner = await organizations.get(session, owner_organization_id)
        if owner is None:
            raise NotFound(_("no such organization"), field="ownerId")
        target_project = found.project_id or project_id
        if target_project is None:
            raise Invalid(
                _("choose the project of the region whose plan the improvement joins"),
                field="projectId",
            )
        if found.project_id is None:
            project = await kpis.project(session, target_project)
            if project is None or project.region_id != found.region_id:
                raise NotFound(_("no such project of this region"), field="projectId")
        title = text if len(text) <= 200 else text[:199] + "…"
        milestone = await milestones.create_milestone(
            session,
            viewer,
            project_id=target_project,
            title=title,
            due_on=due_on,
            horizon_years=_horizon(found.held_on, due_on),
            description=_(
                "Improvement decided by the evaluation round 「{title}」 of {date}",
                title=found.title,
                date=format_date(found.held_on),
            ),
            owner_organization_id=owner.id,
        )
        finding.owner_organization_id = owner.id
        finding.owner_name = owner.name
        finding.due_on = due_on
        finding.milestone_id = milestone.id
    session.add(finding)
    await session.flush()
    return finding


async def record_round(
    session: AsyncSession, viewer: Viewer, *, round_id: uuid.UUID
) -> EvaluationRound:
    """Freeze the round: each reviewed KPI's attainment at the round's date is kept as it is."""
    found = await _writable(session, viewer, round_id, field="id")
    if found.recorded_at is not None:
        raise Conflict(_("the round is already recorded"), field="id")
    now = datetime.now(UTC)
    reviews = await repository.kpi_reviews(session, [found.id])
    for review in reviews:
        kpi = None if review.kpi_id is None else await kpis.get(session, review.kpi_id)
        if kpi is not None:
            await _freeze(session, review, kpi, found.held_on)
        review.frozen_at = now
    found.recorded_at = now
    await session.flush()
    return found


async def publish_round(
    session: AsyncSession, viewer: Viewer, *, round_id: uuid.UUID
) -> EvaluationRound:
    """Publish the round's report (recording it first if it is still a draft)."""
    found = await _writable(session, viewer, round_id, field="id")
    if found.recorded_at is None:
        found = await record_round(session, viewer, round_id=round_id)
    found.published_at = datetime.now(UTC)
    await session.flush()
    return found
