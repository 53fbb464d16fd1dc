"""Business rules for talent needs (人材ニーズ) and professionals' own records and profiles."""

from __future__ import annotations

import secrets
import unicodedata
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields, replace
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from renkei import outbox
from renkei.errors import Conflict, ErrorCode, Forbidden, Invalid, NotFound, Unauthenticated
from renkei.geography.codes import check_prefecture_code
from renkei.i18n.messages import N_, _
from renkei.talent import repository
from renkei.talent.models import NeedStatus, Professional, ProfessionalProfile, TalentNeed
from renkei.talent.skills import Skill, default_taxonomy
from renkei.talent.specs import (
    EngagementType,
    NeedSpec,
    ProfessionalSpec,
    RemotePolicy,
    SkillLevel,
    Tie,
    TieKind,
)
from renkei.tenancy import MembershipRole, Viewer
from renkei.text import clean_name
from renkei.text_search import document_terms

# Outbox topics: a worker recomputes the proposals these changes affect.
NEED_CHANGED = "talent.need_changed"  # {"need_id"}
PROFILE_CHANGED = "talent.profile_changed"  # {"professional_id"}

MAX_TEXT_LENGTH = 20_000
_TEXT_LIMIT = format(MAX_TEXT_LENGTH, ",")
WRITERS = (MembershipRole.OWNER, MembershipRole.ADMIN, MembershipRole.MEMBER)
# Which status a need may go to from each: a closed need stays closed.
NEED_TRANSITIONS: dict[NeedStatus, tuple[NeedStatus, ...]] = {
    NeedStatus.DRAFT: (NeedStatus.OPEN, NeedStatus.CLOSED),
    NeedStatus.OPEN: (NeedStatus.PAUSED, NeedStatus.FILLED, NeedStatus.CLOSED),
    NeedStatus.PAUSED: (NeedStatus.OPEN, NeedStatus.FILLED, NeedStatus.CLOSED),
    NeedStatus.FILLED: (NeedStatus.OPEN, NeedStatus.CLOSED),
    NeedStatus.CLOSED: (),
}
# Why a user who does not write for the firm is refused, by what they tried (`to`).
_FIRM_WRITERS_ONLY = {
    "post needs": N_("Only the firm's owners, admins and members may post needs."),
    "change its needs": N_("Only the firm's owners, admins and members may change its needs."),
    "scout for its needs": N_(
        "Only the firm's owners, admins and members may scout professionals for its needs."
    ),
    "recompute its needs' proposals": N_(
        "Only the firm's owners, admins and members may recompute the proposals for its needs."
    ),
    "record the costs of a match": N_(
        "Only the firm's owners, admins and members may record the costs of its matches."
    ),
    "act on its matches": N_("Only the firm's owners, admins and members may act on its matches."),
}
# A change made on a stale read, by what was read.
_CHANGED_SINCE_READ = {
    "need": N_(
        "The need changed since you read it (you read version {read}, it is now version "
        "{now}). Reload it and try again."
    ),
    "profile": N_(
        "The profile changed since you read it (you read version {read}, it is now version "
        "{now}). Reload it and try again."
    ),
}
# Letters and digits no one confuses (no 0/O, 1/I/L).
_PSEUDONYM_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"


def require_user(viewer: Viewer) -> uuid.UUID:
    if viewer.user_id is None:
        raise Unauthenticated(_("Sign in first."))
    return viewer.user_id


def require_firm_writer(viewer: Viewer, organization_id: uuid.UUID, *, to: str) -> uuid.UUID:
    """The acting user, if they act for the organization as an owner, admin or member.

    `to` says what they tried (a key of _FIRM_WRITERS_ONLY), for the message they read."""
    user_id = require_user(viewer)
    if viewer.organization_id != organization_id or viewer.role not in WRITERS:
        raise Forbidden(firm_writers_only(to))
    return user_id


def firm_writers_only(to: str) -> str:
    """Why someone not writing for the firm may not do `to`, in the reader's locale."""
    refusal = _FIRM_WRITERS_ONLY.get(to)
    if refusal is None:
        return _("Only the firm's owners, admins and members may do this.")
    return _(refusal)


def _text(value: str, *, field: str) -> str:
    value = unicodedata.normalize("NFC", value).strip()
    if len(value) > MAX_TEXT_LENGTH:
        raise Invalid(_("Write at most {limit} characters.", limit=_TEXT_LIMIT), field=field)
    return value


def resolve_skill(name: str, *, field: str) -> Skill:
    """A skill by slug, by any of its names (財務, ファイナンス, finance) or named in free text."""
    taxonomy = default_taxonomy()
    skill = taxonomy.by_slug.get(name.strip()) or taxonomy.lookup(name)
    if skill is None:
        found = taxonomy.resolve(name)
        if len(found) == 1:
            skill = found[0]
    if skill is None:
        raise Invalid(
            _("「{name}」 is not a skill of the taxonomy: see skills(search:).", name=name),
            field=field,
        )
    return skill


def _weighted_skills(items: Sequence[tuple[str, float]], *, field: str) -> list[dict[str, Any]]:
    seen: dict[str, float] = {}
    for name, weight in items:
        if not 0 < weight <= 1:
            raise Invalid(_("A skill's weight is above 0 and at most 1."), field=field)
        seen[resolve_skill(name, field=field).slug] = weight
    return [{"skill": slug, "weight": weight} for slug, weight in seen.items()]


def _engagement_types(values: Sequence[str], *, field: str) -> list[str]:
    try:
        return sorted({EngagementType(v).value for v in values})
    except ValueError:
        raise Invalid(
            _("Engagement types are {choices}.", choices=", ".join(EngagementType)), field=field
        ) from None


def _remote(value: str, *, field: str) -> str:
    try:
        return RemotePolicy(value).value
    except ValueError:
        raise Invalid(
            _("Use one of {choices}.", choices=", ".join(RemotePolicy)), field=field
        ) from None


# Needs


@dataclass(kw_only=True)
class NeedFields:
    """What a firm writes about a need; skills as (name or slug, weight 0..1)."""

    title: str
    challenge: str = ""
    deliverables: str = ""
    required_skills: Sequence[tuple[str, float]] = ()
    preferred_skills: Sequence[tuple[str, float]] = ()
    engagement_types: Sequence[str] = (EngagementType.SIDE_JOB.value,)
    hours_per_month: int
    duration_months: int = 6
    remote_policy: str = RemotePolicy.REMOTE.value
    site_visits_per_month: int = 0
    workplace_prefecture_code: str
    workplace_municipality: str = ""
    fee_min_jpy: int
    fee_max_jpy: int
    starts_on: date
    openings: int = 1
    # The project it serves (one the firm takes part in) and, of that project, the milestones:
    # None leaves the milestones as they are.
    project_id: uuid.UUID | None = None
    milestone_ids: Sequence[uuid.UUID] | None = None


NEED_COLUMNS = tuple(f.name for f in fields(NeedFields))


def need_spec(
    need: repository.NeedFacts, region_prefecture_codes: frozenset[str] = frozenset()
) -> NeedSpec:
    """The engine's view of a need; its checks are the need's too."""
    return NeedSpec(
        id=need.id,
        organization_id=need.organization_id,
        workplace_prefecture_code=need.workplace_prefecture_code,
        required_skills={s["skill"]: float(s["weight"]) for s in need.required_skills},
        preferred_skills={s["skill"]: float(s["weight"]) for s in need.preferred_skills},
        region_prefecture_codes=region_prefecture_codes | {need.workplace_prefecture_code},
        engagement_types=frozenset(EngagementType(t) for t in need.engagement_types),
        hours_per_month=need.hours_per_month,
        duration_months=need.duration_months,
        remote_policy=RemotePolicy(need.remote_policy),
        site_visits_per_month=need.site_visits_per_month,
        fee_min=need.fee_min_jpy,
        fee_max=need.fee_max_jpy,
        start_date=need.starts_on,
        openings=need.openings,
    )


def _apply_need(need: TalentNeed, values: NeedFields) -> None:
    need.title = clean_name(values.title, field="title")
    need.challenge = _text(values.challenge, field="challenge")
    need.deliverables = _text(values.deliverables, field="deliverables")
    need.required_skills = _weighted_skills(values.required_skills, field="requiredSkills")
    need.preferred_skills = _weighted_skills(values.preferred_skills, field="preferredSkills")
    need.engagement_types = _engagement_types(values.engagement_types, field="engagementTypes")
    if not 1 <= values.hours_per_month <= 200:
        raise Invalid(_("Hours per month are 1 to 200."), field="hoursPerMonth")
    need.hours_per_month = values.hours_per_month
    if not 1 <= values.duration_months <= 60:
        raise Invalid(_("A duration is 1 to 60 months."), field="durationMonths")
    need.duration_months = values.duration_months
    need.remote_policy = _remote(values.remote_policy, field="remotePolicy")
    if values.site_visits_per_month < 0:
        raise Invalid(_("Site visits are not negative."), field="siteVisitsPerMonth")
    need.site_visits_per_month = values.site_visits_per_month
    need.workplace_prefecture_code = check_prefecture_code(
        values.workplace_prefecture_code, field="workplacePrefectureCode"
    )
    need.workplace_municipality = _text(
        values.workplace_municipality, field="workplaceMunicipality"
    )
    if len(need.workplace_municipality) > 100:
        raise Invalid(
            _("Write at most {limit} characters.", limit="100"), field="workplaceMunicipality"
        )
    if not 0 <= values.fee_min_jpy <= values.fee_max_jpy:
        raise Invalid(
            _("The monthly fee range runs from its minimum to its maximum."), field="feeMinJpy"
        )
    need.fee_min_jpy, need.fee_max_jpy = values.fee_min_jpy, values.fee_max_jpy
    need.starts_on = values.starts_on
    if values.openings < 1:
        raise Invalid(_("A need has at least one opening."), field="openings")
    need.openings = values.openings
    need.project_id = values.project_id
    need.search_terms = document_terms(need.title, need.challenge)
    need_spec(need)  # the engine's own checks (a skill at least, hybrid visits, ...)


def _need_fields(need: TalentNeed) -> NeedFields:
    return NeedFields(
        title=need.title,
        challenge=need.challenge,
        deliverables=need.deliverables,
        required_skills=[(s["skill"], s["weight"]) for s in need.required_skills],
        preferred_skills=[(s["skill"], s["weight"]) for s in need.preferred_skills],
        engagement_types=need.engagement_types,
        hours_per_month=need.hours_per_month,
        duration_months=need.duration_months,
        remote_policy=need.remote_policy,
        site_visits_per_month=need.site_visits_per_month,
        workplace_prefecture_code=need.workplace_prefecture_code,
        workplace_municipality=need.workplace_municipality,
        fee_min_jpy=need.fee_min_jpy,
        fee_max_jpy=need.fee_max_jpy,
        starts_on=need.starts_on,
        openings=need.openings,
        project_id=need.project_id,
    )


def _need_changed(session: AsyncSession, need: TalentNeed, *, was_open: bool = False) -> None:
    """Have the need's proposals recomputed when it is open, or was (to expire them)."""
    if was_open or need.status is NeedStatus.OPEN:
        outbox.enqueue(session, NEED_CHANGED, {"need_id": str(need.id)})


async def create_need(session: AsyncSession, viewer: Viewer, *, values: NeedFields) -> TalentNeed:
    """Draft a need for the acting organization (its owners, admins and members)."""
    if viewer.organization_id is None:
        raise Forbidden(_("Act for your firm's organization to post a need."))
    user_id = require_firm_writer(viewer, viewer.organization_id, to="post needs")
    now = datetime.now(UTC)
    need = TalentNeed(
        id=uuid.uuid4(),
        organization_id=viewer.organization_id,
        status=NeedStatus.DRAFT,
        version=1,
        created_by_id=user_id,
        created_at=now,
        updated_at=now,
    )
    _apply_need(need, values)
    milestone_ids = await _served(session, need, values, project_changed=True)
    session.add(need)
    await session.flush()
    if milestone_ids is not None:
        await repository.replace_need_milestones(session, need, milestone_ids)
    _need_changed(session, need)
    return need


async def get_need(session: AsyncSession, need_id: uuid.UUID, *, field: str = "id") -> TalentNeed:
    need = await repository.get_need(session, need_id)
    if need is None:
        raise NotFound(_("No such need."), field=field)
    return need


async def _check_version(
    session: AsyncSession, row: TalentNeed | ProfessionalProfile, version: int | None, what: str
) -> None:
    """Lock the row, then refuse a change made on a stale read instead of overwriting."""
    await repository.lock(session, row)
    if version is not None and version != row.version:
        raise Conflict(
            _(_CHANGED_SINCE_READ[what], read=version, now=row.version),
            field="version",
            code=ErrorCode.CONFLICT,
        )


async def update_need(
    session: AsyncSession,
    viewer: Viewer,
    *,
    need_id: uuid.UUID,
    version: int,
    changes: Mapping[str, Any],
) -> TalentNeed:
    """Change a need's fields (those given); a stale version conflicts and changes nothing."""
    need = await get_need(session, need_id)
    require_firm_writer(viewer, need.organization_id, to="change its needs")
    await _check_version(session, need, version, "need")
    unknown = set(changes) - set(NEED_COLUMNS)
    if unknown:
        raise Invalid(_("Unknown fields: {names}.", names=", ".join(sorted(unknown))))
    project_before = need.project_id
    values = replace(_need_fields(need), **changes)
    _apply_need(need, values)
    changed = need.project_id != project_before
    milestone_ids = await _served(session, need, values, project_changed=changed)
    need.version += 1
    need.updated_at = datetime.now(UTC)
    await session.flush()
    if milestone_ids is not None:
        await repository.replace_need_milestones(session, need, milestone_ids)
    _need_changed(session, need)
    return need


async def _served(
    session: AsyncSession, need: TalentNeed, values: NeedFields, *, project_changed: bool
) -> list[uuid.UUID] | None:
    """Check the project and milestones a need serves; the milestones to link (None: keep)."""
    if (
        project_changed
        and need.project_id is not None
        and need.project_id not in await repository.participating_project_ids(session)
    ):
        raise Invalid(
            _("Your firm takes no part in this project: a need serves a project it is in."),
            field="projectId",
        )
    ids = values.milestone_ids
    if ids is None:
        # Another project's milestones are no longer served.
        return [] if project_changed else None
    if ids and need.project_id is None:
        raise Invalid(_("Name the project these milestones belong to."), field="milestoneIds")
    if ids:
        assert need.project_id is not None
        found = await repository.milestones_of_project(session, need.project_id, ids)
        if len(found) != len(set(ids)):
            raise Invalid(_("Each milestone must be one of the project's."), field="milestoneIds")
    return list(dict.fromkeys(ids))


async def change_need_status(
    session: AsyncSession,
    viewer: Viewer,
    *,
    need_id: uuid.UUID,
    status: NeedStatus,
    version: int | None = None,
) -> TalentNeed:
    """Open, pause, fill or close a need, along the allowed transitions only."""
    need = await get_need(session, need_id)
    require_firm_writer(viewer, need.organization_id, to="change its needs")
    await _check_version(session, need, version, "need")
    allowed = NEED_TRANSITIONS[need.status]
    if status not in allowed:
        if not allowed:
            refusal = _("A closed need cannot become {status}: it stays closed.", status=status)
        else:
            refusal = _(
                "A {current} need cannot become {status}. It may become: {allowed}.",
                current=need.status,
                status=status,
                allowed=", ".join(allowed),
            )
        raise Invalid(refusal, field="status")
    was_open = need.status is NeedStatus.OPEN
    need.status = status
    need.version += 1
    need.updated_at = datetime.now(UTC)
    await session.flush()
    _need_changed(session, need, was_open=was_open)
    return need


# Professionals


def new_pseudonym() -> str:
    """人材-7F3K2Q: random, so it says nothing about the person."""
    return "人材-" + "".join(secrets.choice(_PSEUDONYM_ALPHABET) for _ in range(6))


@dataclass(kw_only=True)
class ProfileFields:
    """A professional's own record: who they are (for firms after both accept) and the
    anonymized profile. Skills as (name or slug, level 1..5, years); ties as (code, kind)."""

    full_name: str
    contact_email: str
    phone: str | None = None
    current_employer: str | None = None
    headline: str
    skills: Sequence[tuple[str, int, float]]
    experience_summary: str = ""
    engagement_types: Sequence[str] = (EngagementType.SIDE_JOB.value,)
    hours_per_month: int
    available_from: date
    remote_preference: str = RemotePolicy.REMOTE.value
    residence_prefecture_code: str
    max_site_visits_per_month: int = 0
    travel_prefecture_codes: Sequence[str] = ()
    ties: Sequence[tuple[str, str]] = ()
    fee_min_jpy: int
    fee_max_jpy: int
    max_engagements: int = 1
    is_open: bool = True


def _skills(items: Sequence[tuple[str, int, float]]) -> list[dict[str, Any]]:
    if not items:
        raise Invalid(_("Name at least one skill."), field="skills")
    found: dict[str, dict[str, Any]] = {}
    for name, level, years in items:
        SkillLevel(level, years)
        slug = resolve_skill(name, field="skills").slug
        found[slug] = {"skill": slug, "level": level, "years": years}
    return list(found.values())


def _ties(items: Sequence[tuple[str, str]]) -> list[dict[str, str]]:
    ties = []
    for code, kind in items:
        try:
            tie = Tie(check_prefecture_code(code, field="ties"), TieKind(kind))
        except ValueError:
            raise Invalid(
                _("A tie is one of {choices}.", choices=", ".join(TieKind)), field="ties"
            ) from None
        ties.append({"prefecture": tie.prefecture_code, "kind": tie.kind.value})
    return ties


def _apply_profile(profile: ProfessionalProfile, values: ProfileFields) -> None:
    profile.headline = clean_name(values.headline, field="headline")
    profile.skills = _skills(values.skills)
    profile.experience_summary = _text(values.experience_summary, field="experienceSummary")
    profile.engagement_types = _engagement_types(values.engagement_types, field="engagementTypes")
    if not profile.engagement_types:
        raise Invalid(_("Choose at least one engagement type."), field="engagementTypes")
    if not 1 <= values.hours_per_month <= 200:
        raise Invalid(_("Hours per month are 1 to 200."), field="hoursPerMonth")
    profile.hours_per_month = values.hours_per_month
    profile.available_from = values.available_from
    profile.remote_preference = _remote(values.remote_preference, field="remotePreference")
    profile.residence_prefecture_code = check_prefecture_code(
        values.residence_prefecture_code, field="residencePrefectureCode"
    )
    if values.max_site_visits_per_month < 0:
        raise Invalid(_("Site visits are not negative."), field="maxSiteVisitsPerMonth")
    profile.max_site_visits_per_month = values.max_site_visits_per_month
    profile.travel_prefecture_codes = sorted(
        {
            check_prefecture_code(c, field="travelPrefectureCodes")
            for c in values.travel_prefecture_codes
        }
    )
    profile.ties = _ties(values.ties)
    if not 0 <= values.fee_min_jpy <= values.fee_max_jpy:
        raise Invalid(
            _("The monthly fee range runs from its minimum to its maximum."), field="feeMinJpy"
        )
    profile.fee_min_jpy, profile.fee_max_jpy = values.fee_min_jpy, values.fee_max_jpy
    if not 1 <= values.max_engagements <= 10:
        raise Invalid(_("Take 1 to 10 engagements at once."), field="maxEngagements")
    profile.max_engagements = values.max_engagements
    profile.is_open = values.is_open


def professional_spec(
    profile: repository.ProfileFacts, *, engagements: int = 0, hours_in_use: int = 0
) -> ProfessionalSpec:
    """The engine's view of a profile, with the engagements already running."""
    return ProfessionalSpec(
        id=profile.professional_id,
        skills={s["skill"]: SkillLevel(int(s["level"]), float(s["years"])) for s in profile.skills},
        engagement_types=frozenset(EngagementType(t) for t in profile.engagement_types),
        hours_per_month=profile.hours_per_month,
        available_from=profile.available_from,
        remote_preference=RemotePolicy(profile.remote_preference),
        max_site_visits_per_month=profile.max_site_visits_per_month,
        residence_prefecture_code=profile.residence_prefecture_code,
        travel_prefecture_codes=frozenset(profile.travel_prefecture_codes),
        ties=tuple(Tie(t["prefecture"], TieKind(t["kind"])) for t in profile.ties),
        fee_min=profile.fee_min_jpy,
        fee_max=profile.fee_max_jpy,
        max_concurrent_engagements=profile.max_engagements,
        current_engagements=engagements,
        hours_in_use=hours_in_use,
    )


async def own_professional(session: AsyncSession, viewer: Viewer) -> Professional | None:
    if viewer.user_id is None:
        return None
    return await repository.own_professional(session, viewer.user_id)


async def save_profile(
    session: AsyncSession, viewer: Viewer, *, values: ProfileFields, version: int | None = None
) -> ProfessionalProfile:
    """Create or update the signed-in person's professional record and profile."""
    user_id = require_user(viewer)
    now = datetime.now(UTC)
    professional = await repository.own_professional(session, user_id)
    if professional is None:
        professional = Professional(
            id=uuid.uuid4(), user_id=user_id, pseudonym=new_pseudonym(), created_at=now
        )
        session.add(professional)
        profile = ProfessionalProfile(
            professional_id=professional.id,
            pseudonym=professional.pseudonym,
            version=1,
            created_at=now,
            updated_at=now,
        )
    else:
        found = await repository.profile(session, professional.id)
        if found is None:  # a record without a profile: start one
            profile = ProfessionalProfile(
                professional_id=professional.id,
                pseudonym=professional.pseudonym,
                version=1,
                created_at=now,
            )
        else:
            profile = found
            await _check_version(session, profile, version, "profile")
            profile.version += 1
        profile.updated_at = now
    professional.full_name = clean_name(values.full_name, field="fullName")
    email = values.contact_email.strip()
    if "@" not in email or len(email) > 320:
        raise Invalid(_("Give an email address, e.g. name@example.jp."), field="contactEmail")
    professional.contact_email = email
    professional.phone = (values.phone or "").strip() or None
    professional.current_employer = (values.current_employer or "").strip() or None
    _apply_profile(profile, values)
    professional_spec(profile)  # the engine's own checks
    await session.flush()
    if profile not in session:
        session.add(profile)
        await session.flush()
    outbox.enqueue(session, PROFILE_CHANGED, {"professional_id": str(professional.id)})
    return profile
