"""Business rules for projects, their participants and their funding sources.

A project lives in a region (its prefectures a subset of the region's) or stands alone between
at least two prefectures. Its lead organization's owners and admins run it; every other
organization takes part only by accepting an invitation. Every change is recorded as activity.
"""

from __future__ import annotations

import unicodedata
import uuid
from collections.abc import Iterable
from datetime import UTC, date, datetime
from enum import StrEnum

from babel.lists import format_list
from sqlalchemy.ext.asyncio import AsyncSession

from renkei import outbox
from renkei.activity.models import SubjectType
from renkei.activity.service import JsonValue, record, snapshot
from renkei.errors import Conflict, ErrorCode, Forbidden, Invalid, NotFound, Unauthenticated
from renkei.geography.codes import check_prefecture_code, prefecture_list
from renkei.i18n.messages import _, current_locale
from renkei.organizations import repository as organizations
from renkei.projects import repository
from renkei.projects.models import (
    FundingKind,
    FundingSource,
    ParticipantRole,
    Project,
    ProjectCategory,
    ProjectParticipant,
    ProjectStatus,
    ProjectVisibility,
    label,
)
from renkei.regions.models import ParticipationStatus, Region, participation_label
from renkei.tenancy import Viewer
from renkei.text import clean_name
from renkei.text_search import document_terms

PROJECT_INVITED = "project.invited"

# PLANNED -> ACTIVE -> (ON_HOLD <-> ACTIVE) -> COMPLETED; CANCELLED from anywhere unfinished.
ALLOWED_TRANSITIONS: dict[ProjectStatus, tuple[ProjectStatus, ...]] = {
    ProjectStatus.PLANNED: (ProjectStatus.ACTIVE, ProjectStatus.CANCELLED),
    ProjectStatus.ACTIVE: (
        ProjectStatus.ON_HOLD,
        ProjectStatus.COMPLETED,
        ProjectStatus.CANCELLED,
    ),
    ProjectStatus.ON_HOLD: (ProjectStatus.ACTIVE, ProjectStatus.CANCELLED),
    ProjectStatus.COMPLETED: (),
    ProjectStatus.CANCELLED: (),
}

PROJECT_FIELDS = (
    "name",
    "summary",
    "category",
    "status",
    "visibility",
    "region_id",
    "lead_organization_id",
    "prefecture_codes",
    "starts_on",
    "ends_on",
    "version",
)
PARTICIPANT_FIELDS = ("organization_id", "role", "status", "responded_at")
FUNDING_FIELDS: tuple[str, ...] = (
    "kind",
    "name",
    "amount_jpy",
    "fiscal_year",
    "funder_organization_id",
)
FUNDING_FIELDS += ("staff_secondment",)
# 企業版ふるさと納税 is a firm's donation: its donor is not a public body.
PUBLIC_BODIES = frozenset({"PREFECTURE", "MUNICIPALITY", "NATIONAL_AGENCY", "WIDE_AREA_UNION"})

MAX_SUMMARY_LENGTH = 5000
# The API lists a project's funding sources in full, so their number is bounded.
MAX_FUNDING_SOURCES = 100
# 1,000 兆円: far above any project, and exact in a GraphQL Float (below 2**53).
MAX_AMOUNT_JPY = 10**15
INVITABLE_ROLES = tuple(r for r in ParticipantRole if r is not ParticipantRole.LEAD)


def _now() -> datetime:
    return datetime.now(UTC)


def _require_user(viewer: Viewer) -> uuid.UUID:
    if viewer.user_id is None:
        raise Unauthenticated(_("sign in first"))
    return viewer.user_id


def _require_lead_admin(viewer: Viewer, project: Project) -> uuid.UUID:
    user_id = _require_user(viewer)
    if not viewer.manages(project.lead_organization_id):
        raise Forbidden(_("only the lead organization's owners and admins may change this project"))
    return user_id


def _clean_summary(summary: str) -> str:
    summary = unicodedata.normalize("NFC", summary).strip()
    if len(summary) > MAX_SUMMARY_LENGTH:
        raise Invalid(
            _("a summary has at most {count} characters", count=MAX_SUMMARY_LENGTH),
            field="summary",
        )
    if any(unicodedata.category(c) == "Cc" and c not in "\n\t" for c in summary):
        raise Invalid(_("a summary cannot hold control characters"), field="summary")
    return summary


def _quoted(value: StrEnum) -> str:
    """A value's label as a quoted word: "on hold", 「一時停止中」."""
    return _('"{label}"', label=label(value))


def _one_of(values: Iterable[StrEnum]) -> str:
    """ "A", "B", or "C" in the reader's words and language: 「実施中」または「中止」."""
    return format_list([_quoted(v) for v in values], style="or", locale=current_locale())


def _clean_prefectures(codes: Iterable[str]) -> list[str]:
    # Japanese input methods often type full-width digits (４３); they mean the same code.
    return sorted({check_prefecture_code(raw, field="prefectureCodes") for raw in codes})


def _check_prefectures(codes: list[str], region: Region | None) -> None:
    """A project in a region covers some of its prefectures; one alone crosses a border."""
    if region is not None:
        outside = set(codes) - set(region.prefecture_codes)
        if outside:
            raise Invalid(
                _(
                    "{prefectures} lie outside {region}: a project in a region covers some of"
                    " the region's prefectures",
                    prefectures=prefecture_list(outside),
                    region=region.name,
                ),
                field="prefectureCodes",
            )
        if not codes:
            raise Invalid(_("a project covers at least one prefecture"), field="prefectureCodes")
    elif len(codes) < 2:
        raise Invalid(
            _(
                "a project outside a region spans at least two prefectures: add a prefecture or"
                " create it in a region"
            ),
            field="prefectureCodes",
        )


def _check_dates(starts_on: date | None, ends_on: date | None) -> None:
    if starts_on is not None and ends_on is not None and ends_on < starts_on:
        raise Invalid(_("a project cannot end before it starts"), field="endsOn")


def _check_visibility(visibility: ProjectVisibility, region: Region | None) -> None:
    if visibility is ProjectVisibility.REGION and region is None:
        raise Invalid(
            _("only a project in a region can be shown to the region's members"),
            field="visibility",
        )


async def _visible_project(
    session: AsyncSession, project_id: uuid.UUID, *, field: str = "id"
) -> Project:
    project = await repository.get_project(session, project_id)
    if project is None:
        raise NotFound(_("no such project"), field=field)
    return project


async def _project_region(session: AsyncSession, project: Project) -> Region | None:
    if project.region_id is None:
        return None
    # Regions are public documents: anyone signed in reads them.
    return await repository.get_region(session, project.region_id)


async def _locked_at_version(
    session: AsyncSession, project: Project, version: int | None
) -> Project:
    """The project locked for this change, refused when it moved on since it was read."""
    locked = await repository.lock_project(session, project.id)
    if locked is None:
        raise NotFound(_("no such project"), field="id")
    if version is not None and locked.version != version:
        raise Conflict(
            _(
                "this project was changed since you read it (you read version {version}, it is"
                " now at version {current}): reload it and try again",
                version=version,
                current=locked.version,
            ),
            field="version",
        )
    return locked


def _touch(project: Project) -> None:
    project.version += 1
    project.updated_at = _now()


def _record_project(
    session: AsyncSession,
    viewer: Viewer,
    project: Project,
    action: str,
    before: dict[str, JsonValue] | None = None,
) -> None:
    record(
        session,
        viewer,
        subject_type=SubjectType.PROJECT,
        subject_id=project.id,
        action=action,
        project_id=project.id,
        region_id=project.region_id,
        before=before,
        after=snapshot(project, PROJECT_FIELDS),
    )


def _record_participant(
    session: AsyncSession,
    viewer: Viewer,
    project: Project,
    participant: ProjectParticipant,
    action: str,
    *,
    before: dict[str, JsonValue] | None = None,
    removed: bool = False,
) -> None:
    current = snapshot(participant, PARTICIPANT_FIELDS)
    record(
        session,
        viewer,
        subject_type=SubjectType.PARTICIPANT,
        subject_id=participant.id,
        action=action,
        project_id=project.id,
        region_id=project.region_id,
        before=current if removed else before,
        after=None if removed else current,
    )


async def create_project(
    session: AsyncSession,
    viewer: Viewer,
    *,
    name: str,
    category: ProjectCategory,
    summary: str = "",
    region_id: uuid.UUID | None = None,
    visibility: ProjectVisibility | None = None,
    prefecture_codes: list[str] | None = None,
    starts_on: date | None = None,
    ends_on: date | None = None,
    demo: bool = False,
) -> Project:
    """Create a project led by the acting organization, whose admin creates it (`demo`: an
    invented project of the demonstration data, shown as such)."""
    user_id = _require_user(viewer)
    lead_id = viewer.organization_id
    if lead_id is None or not viewer.manages(lead_id):
        raise Forbidden(_("only an organization's owners and admins may create a project for it"))
    name = clean_name(name)
    summary = _clean_summary(summary)
    region: Region | None = None
    if region_id is not None:
        region = await repository.get_region(session, region_id)
        if region is None:
            raise NotFound(_("no such region"), field="regionId")
        if not await repository.is_active_region_member(session, region.id, lead_id):
            raise Forbidden(
                _(
                    "only member organizations of {region} may create a project in it",
                    region=region.name,
                ),
                field="regionId",
            )
    codes = (
        _clean_prefectures(prefecture_codes)
        if prefecture_codes is not None
        else sorted(region.prefecture_codes)
        if region is not None
        else []
    )
    _check_prefectures(codes, region)
    if visibility is None:
        visibility = ProjectVisibility.REGION if region else ProjectVisibility.PARTICIPANTS
    _check_visibility(visibility, region)
    _check_dates(starts_on, ends_on)
    project = Project(
        id=uuid.uuid4(),
        region_id=region.id if region else None,
        name=name,
        summary=summary,
        demo=demo,
        category=category,
        status=ProjectStatus.PLANNED,
        visibility=visibility,
        lead_organization_id=lead_id,
        prefecture_codes=codes,
        starts_on=starts_on,
        ends_on=ends_on,
        search_terms=document_terms(name, summary),
        version=1,
        created_by_id=user_id,
    )
    session.add(project)
    await session.flush()
    # The lead is a participant from the start: it needs no invitation to its own project.
    lead = ProjectParticipant(
        id=uuid.uuid4(),
        project_id=project.id,
        organization_id=lead_id,
        role=ParticipantRole.LEAD,
        status=ParticipationStatus.ACTIVE,
        invited_by_id=user_id,
        responded_at=_now(),
    )
    session.add(lead)
    await session.flush()
    _record_project(session, viewer, project, "created")
    _record_participant(session, viewer, project, lead, "joined")
    await session.flush()
    return project


async def update_project(
    session: AsyncSession,
    viewer: Viewer,
    *,
    project_id: uuid.UUID,
    version: int,
    name: str | None = None,
    summary: str | None = None,
    category: ProjectCategory | None = None,
    visibility: ProjectVisibility | None = None,
    prefecture_codes: list[str] | None = None,
    starts_on: date | None = None,
    ends_on: date | None = None,
) -> Project:
    """Change a project's description; the version read must still be the current one."""
    project = await _visible_project(session, project_id)
    _require_lead_admin(viewer, project)
    project = await _locked_at_version(session, project, version)
    region = await _project_region(session, project)
    before = snapshot(project, PROJECT_FIELDS)
    new_name = clean_name(name) if name is not None else project.name
    new_summary = _clean_summary(summary) if summary is not None else project.summary
    codes = (
        _clean_prefectures(prefecture_codes)
        if prefecture_codes is not None
        else project.prefecture_codes
    )
    if prefecture_codes is not None:
        _check_prefectures(codes, region)
    new_visibility = visibility if visibility is not None else project.visibility
    _check_visibility(new_visibility, region)
    new_starts = starts_on if starts_on is not None else project.starts_on
    new_ends = ends_on if ends_on is not None else project.ends_on
    _check_dates(new_starts, new_ends)
    if (new_name, new_summary) != (project.name, project.summary):
        project.search_terms = document_terms(new_name, new_summary)
    project.name = new_name
    project.summary = new_summary
    project.category = category if category is not None else project.category
    project.visibility = new_visibility
    project.prefecture_codes = codes
    project.starts_on = new_starts
    project.ends_on = new_ends
    if snapshot(project, PROJECT_FIELDS) == before:
        return project
    _touch(project)
    _record_project(session, viewer, project, "updated", before)
    await session.flush()
    return project


def allowed_transitions(status: ProjectStatus) -> tuple[ProjectStatus, ...]:
    return ALLOWED_TRANSITIONS[status]


async def change_project_status(
    session: AsyncSession,
    viewer: Viewer,
    *,
    project_id: uuid.UUID,
    status: ProjectStatus,
    version: int | None = None,
) -> Project:
    """Move a project along its lifecycle; only the allowed transitions are taken."""
    project = await _visible_project(session, project_id)
    _require_lead_admin(viewer, project)
    project = await _locked_at_version(session, project, version)
    allowed = ALLOWED_TRANSITIONS[project.status]
    if status not in allowed:
        current = _quoted(project.status)
        if not allowed:
            raise Invalid(
                _("the status {status} is final: it no longer changes", status=current),
                field="status",
            )
        raise Invalid(
            _(
                "a project goes from {current} to {allowed}, not to {wanted}",
                current=current,
                allowed=_one_of(allowed),
                wanted=_quoted(status),
            ),
            field="status",
        )
    before = snapshot(project, PROJECT_FIELDS)
    project.status = status
    _touch(project)
    _record_project(session, viewer, project, "status_changed", before)
    await session.flush()
    return project


async def invite_participant(
    session: AsyncSession,
    viewer: Viewer,
    *,
    project_id: uuid.UUID,
    organization_id: uuid.UUID,
    role: ParticipantRole,
) -> ProjectParticipant:
    """Invite an organization; it takes part only once its own admins accept."""
    project = await _visible_project(session, project_id, field="projectId")
    user_id = _require_lead_admin(viewer, project)
    if role is ParticipantRole.LEAD:
        raise Invalid(
            _("a project has one lead: invite as {roles}", roles=_one_of(INVITABLE_ROLES)),
            field="role",
        )
    organization = await organizations.get(session, organization_id)
    if organization is None:
        raise NotFound(_("no such organization"), field="organizationId")
    participant = await repository.participant_of(session, project.id, organization_id)
    if participant is not None and participant.status in (
        ParticipationStatus.INVITED,
        ParticipationStatus.ACTIVE,
    ):
        raise Conflict(
            _("{organization} has been invited already", organization=organization.name)
            if participant.status is ParticipationStatus.INVITED
            else _("{organization} takes part already", organization=organization.name),
            field="organizationId",
            code=ErrorCode.DUPLICATE,
        )
    before = snapshot(participant, PARTICIPANT_FIELDS) if participant else None
    if participant is None:
        participant = ProjectParticipant(
            id=uuid.uuid4(), project_id=project.id, organization_id=organization_id
        )
        session.add(participant)
    # An organization that declined or left may be asked again.
    participant.role = role
    participant.status = ParticipationStatus.INVITED
    participant.invited_by_id = user_id
    participant.responded_at = None
    await session.flush()
    _record_participant(session, viewer, project, participant, "invited", before=before)
    outbox.enqueue(session, PROJECT_INVITED, {"participant_id": str(participant.id)})
    await session.flush()
    return participant


async def answer_participation(
    session: AsyncSession, viewer: Viewer, *, participant_id: uuid.UUID, accept: bool
) -> ProjectParticipant:
    """The invited organization's owners or admins accept or decline; nobody else can."""
    _require_user(viewer)
    participant = await repository.get_participant(session, participant_id)
    if participant is None:
        raise NotFound(_("no such invitation"), field="participantId")
    if not viewer.manages(participant.organization_id):
        raise Forbidden(
            _("only the invited organization's owners and admins may answer this invitation"),
            field="participantId",
        )
    if participant.status is not ParticipationStatus.INVITED:
        raise Conflict(
            _(
                "this invitation was answered already ({status})",
                status=participation_label(participant.status),
            ),
            field="participantId",
        )
    project = await _visible_project(session, participant.project_id)
    before = snapshot(participant, PARTICIPANT_FIELDS)
    participant.status = ParticipationStatus.ACTIVE if accept else ParticipationStatus.DECLINED
    participant.responded_at = _now()
    await session.flush()
    action = "accepted" if accept else "declined"
    _record_participant(session, viewer, project, participant, action, before=before)
    await session.flush()
    return participant


async def remove_participant(
    session: AsyncSession, viewer: Viewer, *, participant_id: uuid.UUID
) -> uuid.UUID:
    """Take an organization off the project (its lead's admins); the lead stays."""
    participant = await repository.get_participant(session, participant_id)
    if participant is None:
        raise NotFound(_("no such participant"), field="participantId")
    project = await _visible_project(session, participant.project_id)
    _require_lead_admin(viewer, project)
    if participant.organization_id == project.lead_organization_id:
        raise Invalid(
            _("the lead organization cannot be removed from its project"), field="participantId"
        )
    _record_participant(session, viewer, project, participant, "removed", removed=True)
    await session.delete(participant)
    await session.flush()
    return participant.id


def _check_amount(amount_jpy: float) -> int:
    if amount_jpy != int(amount_jpy):
        raise Invalid(_("an amount is a whole number of yen"), field="amountJpy")
    amount = int(amount_jpy)
    if amount <= 0:
        raise Invalid(_("an amount is more than 0 yen"), field="amountJpy")
    if amount > MAX_AMOUNT_JPY:
        raise Invalid(
            _("an amount is at most {amount} yen", amount=format(MAX_AMOUNT_JPY, ",")),
            field="amountJpy",
        )
    return amount


async def add_funding_source(
    session: AsyncSession,
    viewer: Viewer,
    *,
    project_id: uuid.UUID,
    kind: FundingKind,
    name: str,
    amount_jpy: float,
    fiscal_year: int | None = None,
    funder_organization_id: uuid.UUID | None = None,
    staff_secondment: bool = False,
) -> FundingSource:
    """Record where money for the project comes from (交付金, 企業版ふるさと納税, a bank loan…).
    For 企業版ふるさと納税 the funder is the donor firm, and `staff_secondment` marks the
    人材派遣型 variant (the donation given as seconded staff)."""
    project = await _visible_project(session, project_id, field="projectId")
    _require_lead_admin(viewer, project)
    name = clean_name(name)
    amount = _check_amount(amount_jpy)
    if fiscal_year is not None and not 1989 <= fiscal_year <= 2100:
        raise Invalid(_("a fiscal year (年度) such as 2025 is needed"), field="fiscalYear")
    funder = (
        await organizations.get(session, funder_organization_id)
        if funder_organization_id is not None
        else None
    )
    if funder_organization_id is not None and funder is None:
        raise NotFound(_("no such organization"), field="funderId")
    hometown_tax = kind is FundingKind.CORPORATE_HOMETOWN_TAX
    if staff_secondment and not hometown_tax:
        raise Invalid(
            _("only a 企業版ふるさと納税 donation can be of the 人材派遣型 (seconded staff) kind"),
            field="staffSecondment",
        )
    if hometown_tax and funder is not None and funder.kind.value in PUBLIC_BODIES:
        raise Invalid(
            _("a 企業版ふるさと納税 donor is a firm, not a public body"), field="funderId"
        )
    if await repository.count_funding_sources(session, project.id) >= MAX_FUNDING_SOURCES:
        raise Invalid(
            _("a project has at most {count} funding sources", count=MAX_FUNDING_SOURCES),
            field="projectId",
        )
    source = FundingSource(
        id=uuid.uuid4(),
        project_id=project.id,
        kind=kind,
        name=name,
        amount_jpy=amount,
        fiscal_year=fiscal_year,
        funder_organization_id=funder_organization_id,
        staff_secondment=staff_secondment,
    )
    session.add(source)
    await session.flush()
    record(
        session,
        viewer,
        subject_type=SubjectType.FUNDING_SOURCE,
        subject_id=source.id,
        action="added",
        project_id=project.id,
        region_id=project.region_id,
        after=snapshot(source, FUNDING_FIELDS),
    )
    await session.flush()
    return source


async def remove_funding_source(
    session: AsyncSession, viewer: Viewer, *, funding_source_id: uuid.UUID
) -> uuid.UUID:
    source = await repository.get_funding_source(session, funding_source_id)
    if source is None:
        raise NotFound(_("no such funding source"), field="fundingSourceId")
    project = await _visible_project(session, source.project_id)
    _require_lead_admin(viewer, project)
    record(
        session,
        viewer,
        subject_type=SubjectType.FUNDING_SOURCE,
        subject_id=source.id,
        action="removed",
        project_id=project.id,
        region_id=project.region_id,
        before=snapshot(source, FUNDING_FIELDS),
    )
    await session.delete(source)
    await session.flush()
    return source.id
