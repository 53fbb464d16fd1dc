"""Intermediaries: registered by the platform, authorized by professionals, introducing them.

Only a platform operator (the registerIntermediary mutation, audited) or the platform itself (the
seed) registers an organization as an intermediary: an organization never declares itself a
拠点. A professional authorizes an intermediary they are registered with in real life, and may
withdraw that. An intermediary's owners, admins and members then introduce an authorizing
professional to an open need of another organization: the match of that pair is created (or a
proposal of the engine upgraded) as INTRODUCED, recorded with the introducer and its role, in
the match's activity log, and told to both sides through the outbox. The two sides then accept
as they would a proposal (renkei.talent.lifecycle).
"""

from __future__ import annotations

import re
import unicodedata
import uuid
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from renkei import audit, outbox
from renkei.activity import service as activity
from renkei.activity.models import SubjectType
from renkei.errors import Conflict, ErrorCode, Forbidden, Invalid, NotFound
from renkei.geography.codes import check_prefecture_code
from renkei.i18n.messages import _
from renkei.intermediaries import repository
from renkei.intermediaries.models import (
    Intermediary,
    IntermediaryAuthorization,
    IntermediaryRole,
    role_label,
)
from renkei.operators.service import require_operator
from renkei.organizations.models import Verification
from renkei.talent import repository as talent
from renkei.talent.models import Match, MatchStatus, NeedStatus, match_status_label
from renkei.talent.service import WRITERS, get_need, require_user
from renkei.tenancy import Viewer, set_viewer

# Outbox topic: the firm and the professional are told of an introduction. {"match_id"}
INTRODUCED = "talent.introduced"
INTERMEDIARY_REGISTERED = "intermediary_registered"
INTERMEDIARY_WITHDRAWN = "intermediary_withdrawn"
# The side an introduction is recorded under in the match's activity log.
INTERMEDIARY_SIDE = "INTERMEDIARY"
MAX_NOTE_LENGTH = 500
MAX_REFERENCE_LENGTH = 64
# 有料職業紹介事業 許可番号: prefecture (2 digits) - ユ - 6 digits, e.g. 13-ユ-123456.
LICENSE_NUMBER = re.compile(r"^\d{2}-ユ-\d{6}$")
_DASHES = re.compile(r"[‐‑‒–—―−ー－]")
# Proposals of the engine (current or expired) that an introduction turns into INTRODUCED.
UPGRADABLE = (MatchStatus.PROPOSED, MatchStatus.EXPIRED)


def normalize_license_number(value: str) -> str:
    """A 許可番号 as typed (１３－ユ－１２３４５６, 13ｰﾕｰ123456) in its form 13-ユ-123456."""
    text = unicodedata.normalize("NFKC", value).strip().replace(" ", "")
    # After NFKC a long-vowel mark stands for a dash between digits and ユ.
    return _DASHES.sub("-", text)


def _license(role: IntermediaryRole, value: str | None) -> str | None:
    if role is not IntermediaryRole.PLACEMENT_AGENCY:
        return normalize_license_number(value) if value else None
    number = normalize_license_number(value or "")
    if not LICENSE_NUMBER.match(number):
        raise Invalid(
            _(
                "A placement agency is registered with its license number (許可番号), e.g."
                " 13-ユ-123456."
            ),
            field="licenseNumber",
        )
    return number


async def register(
    session: AsyncSession,
    *,
    registered_by: str,
    actor_user_id: uuid.UUID | None,
    organization_id: uuid.UUID,
    role: IntermediaryRole,
    prefecture_code: str | None = None,
    license_number: str | None = None,
    source_url: str = "",
) -> Intermediary:
    """Register an organization as an intermediary of a role, as the platform (audited)."""
    organization = await repository.organization(session, organization_id)
    if organization is None:
        raise NotFound(_("No such organization."), field="organizationId")
    if organization.verification is not Verification.VERIFIED:
        raise Forbidden(
            _(
                "{organization} is not verified yet: verify it before registering it as an"
                " intermediary.",
                organization=organization.name,
            ),
            field="organizationId",
            code=ErrorCode.ORGANIZATION_UNVERIFIED,
        )
    code = (
        check_prefecture_code(prefecture_code, field="prefectureCode") if prefecture_code else None
    )
    if role is IntermediaryRole.STRATEGY_HUB and code is None:
        raise Invalid(
            _("A プロフェッショナル人材戦略拠点 is registered for its prefecture."),
            field="prefectureCode",
        )
    number = _license(role, license_number)
    if len(source_url) > 2048:
        raise Invalid(_("The source address is too long."), field="sourceUrl")
    if role is IntermediaryRole.STRATEGY_HUB:
        assert code is not None
        for hub in await repository.registration_list(session, role=role, prefecture_code=code):
            if hub.organization_id != organization.id:
                raise Conflict(
                    _("Prefecture {code} has a registered 拠点 already.", code=code),
                    field="prefectureCode",
                    code=ErrorCode.DUPLICATE,
                )
    row = await repository.registration(session, organization_id=organization.id, role=role)
    if row is not None and row.active:
        raise Conflict(
            _(
                "{organization} is registered as {role} already.",
                organization=organization.name,
                role=role_label(role),
            ),
            field="role",
            code=ErrorCode.DUPLICATE,
        )
    if row is None:
        row = Intermediary(organization_id=organization.id, role=role, registered_by=registered_by)
        session.add(row)
    row.prefecture_code = code
    row.license_number = number
    row.source_url = source_url.strip()
    row.registered_by = registered_by
    row.withdrawn_at = row.withdrawn_by = None
    audit.record(
        session,
        action=INTERMEDIARY_REGISTERED,
        organization_id=organization.id,
        actor_user_id=actor_user_id,
        detail={
            "role": role.value,
            "prefecture_code": code,
            "license_number": number,
            "by": registered_by,
        },
    )
    await session.flush()
    return row


async def register_as_operator(
    session: AsyncSession,
    viewer: Viewer,
    *,
    organization_id: uuid.UUID,
    role: IntermediaryRole,
    prefecture_code: str | None = None,
    license_number: str | None = None,
    source_url: str = "",
) -> Intermediary:
    """The operator-only mutation: vouch that an organization is an intermediary of a role."""
    user_id = await require_operator(session, viewer)
    return await register(
        session,
        registered_by=f"operator:{viewer.email or user_id}",
        actor_user_id=user_id,
        organization_id=organization_id,
        role=role,
        prefecture_code=prefecture_code,
        license_number=license_number,
        source_url=source_url,
    )


async def withdraw_registration(
    session: AsyncSession, viewer: Viewer, *, intermediary_id: uuid.UUID
) -> Intermediary:
    """The operator withdraws a registration; the matches it introduced keep their record."""
    user_id = await require_operator(session, viewer)
    row = await repository.get(session, intermediary_id)
    if row is None:
        raise NotFound(_("No such intermediary."), field="intermediaryId")
    return await withdraw(
        session, row, withdrawn_by=f"operator:{viewer.email or user_id}", actor_user_id=user_id
    )


async def withdraw(
    session: AsyncSession,
    row: Intermediary,
    *,
    withdrawn_by: str,
    actor_user_id: uuid.UUID | None,
) -> Intermediary:
    """Withdraw a registration, as the platform (audited); a withdrawn one is left as it is."""
    if row.active:
        row.withdrawn_at = datetime.now(UTC)
        row.withdrawn_by = withdrawn_by
        audit.record(
            session,
            action=INTERMEDIARY_WITHDRAWN,
            organization_id=row.organization_id,
            actor_user_id=actor_user_id,
            detail={"role": row.role.value, "by": withdrawn_by},
        )
        await session.flush()
    return row


async def _own_professional_id(session: AsyncSession, viewer: Viewer) -> uuid.UUID:
    user_id = require_user(viewer)
    own = await talent.own_professional(session, user_id)
    if own is None:
        raise Invalid(
            _("Save your professional profile before authorizing an intermediary."),
            field="organizationId",
        )
    return own.id


async def authorize(
    session: AsyncSession, viewer: Viewer, *, organization_id: uuid.UUID, reference: str = ""
) -> IntermediaryAuthorization:
    """A professional lets a registered intermediary introduce them (again, if withdrawn)."""
    professional_id = await _own_professional_id(session, viewer)
    if not await repository.registration_list(session, organization_id=organization_id):
        raise NotFound(_("No such intermediary."), field="organizationId")
    text = unicodedata.normalize("NFC", reference).strip()
    if len(text) > MAX_REFERENCE_LENGTH:
        raise Invalid(
            _("Write at most {limit} characters.", limit=MAX_REFERENCE_LENGTH), field="reference"
        )
    row = await repository.authorization_of(
        session, professional_id=professional_id, organization_id=organization_id
    )
    now = datetime.now(UTC)
    if row is None:
        row = IntermediaryAuthorization(
            professional_id=professional_id, organization_id=organization_id, created_at=now
        )
        session.add(row)
    row.reference = text
    row.withdrawn_at = None
    row.updated_at = now
    await session.flush()
    return row


async def withdraw_authorization(
    session: AsyncSession, viewer: Viewer, *, authorization_id: uuid.UUID
) -> IntermediaryAuthorization:
    """A professional withdraws an authorization: the intermediary introduces them no more."""
    professional_id = await _own_professional_id(session, viewer)
    row = await repository.authorization(session, authorization_id)
    if row is None or row.professional_id != professional_id:
        raise NotFound(_("No such authorization."), field="authorizationId")
    if row.withdrawn_at is None:
        row.withdrawn_at = row.updated_at = datetime.now(UTC)
        await session.flush()
    return row


async def _acting_role(
    session: AsyncSession, organization_id: uuid.UUID, role: IntermediaryRole | None
) -> IntermediaryRole:
    """The role the viewer's organization introduces in: the one asked, or its only one."""
    roles = [
        r.role for r in await repository.registration_list(session, organization_id=organization_id)
    ]
    if not roles:
        raise Forbidden(
            _(
                "Your organization is not a registered intermediary: the platform's operators"
                " register プロフェッショナル人材戦略拠点, placement agencies and banks."
            )
        )
    if role is None and len(roles) == 1:
        return roles[0]
    if role is None or role not in roles:
        raise Invalid(
            _(
                "Choose the role your organization introduces in: {roles}.",
                roles=", ".join(r.value for r in roles),
            ),
            field="role",
        )
    return role


async def introduce(
    session: AsyncSession,
    viewer: Viewer,
    *,
    need_id: uuid.UUID,
    authorization_id: uuid.UUID,
    note: str = "",
    role: IntermediaryRole | None = None,
) -> Match:
    """An intermediary introduces a professional who authorized it to an open need."""
    user_id = require_user(viewer)
    organization_id = viewer.organization_id
    if organization_id is None or viewer.role not in WRITERS:
        raise Forbidden(
            _("Only an intermediary's owners, admins and members may introduce professionals.")
        )
    acting = await _acting_role(session, organization_id, role)
    authorization = await repository.authorization(session, authorization_id)
    # Row-level security shows an authorization to its professional too: it must name us.
    if authorization is None or authorization.organization_id != organization_id:
        raise NotFound(_("No such authorization."), field="authorizationId")
    if authorization.withdrawn_at is not None:
        raise Forbidden(
            _("The professional has withdrawn their authorization: you may not introduce them."),
            field="authorizationId",
        )
    text = unicodedata.normalize("NFC", note).strip()
    if len(text) > MAX_NOTE_LENGTH:
        raise Invalid(_("Write at most {limit} characters.", limit=MAX_NOTE_LENGTH), field="note")
    need = await get_need(session, need_id, field="needId")
    if need.organization_id == organization_id:
        raise Invalid(
            _("An intermediary does not introduce professionals to its own needs."),
            field="needId",
        )
    if need.status is not NeedStatus.OPEN:
        raise Invalid(_("Professionals are introduced to open needs only."), field="needId")
    profile = await talent.profile(session, authorization.professional_id)
    if profile is None or not profile.is_open:
        raise Invalid(
            _("The professional's profile is not open to new matches."), field="authorizationId"
        )
    # The checks are done: record the introduction as the platform (only it writes one).
    await set_viewer(session, Viewer.platform())
    try:
        match = await _introduced_match(
            session, need.id, need.organization_id, profile.professional_id
        )
        now = datetime.now(UTC)
        match.status = MatchStatus.INTRODUCED
        match.introduced_by_organization_id = organization_id
        match.introduced_via = acting.value
        match.introduced_at = now
        match.introduction_note = text
        match.updated_at = now
        await session.flush()
        entry = activity.record(
            session,
            viewer,
            subject_type=SubjectType.MATCH,
            subject_id=match.id,
            action="introduce",
            after={"side": INTERMEDIARY_SIDE, "status": match.status.value, "role": acting.value},
        )
        entry.actor_user_id, entry.actor_organization_id = user_id, organization_id
        outbox.enqueue(session, INTRODUCED, {"match_id": str(match.id)})
        await session.flush()
    finally:
        await set_viewer(session, viewer)
    return match


async def _introduced_match(
    session: AsyncSession, need_id: uuid.UUID, firm_id: uuid.UUID, professional_id: uuid.UUID
) -> Match:
    """The pair's match to introduce: a proposal of the engine, or a new one."""
    match = await talent.match_of(session, need_id, professional_id)
    if match is None:
        now = datetime.now(UTC)
        match = Match(
            id=uuid.uuid4(),
            need_id=need_id,
            professional_id=professional_id,
            organization_id=firm_id,
            status=MatchStatus.INTRODUCED,
            explanation=[],
            version=1,
            created_at=now,
            updated_at=now,
        )
        session.add(match)
        return match
    await talent.lock(session, match)
    if match.status not in UPGRADABLE:
        raise Conflict(
            _(
                "This professional is in a match with this need already ({status}).",
                status=match_status_label(match.status),
            ),
            field="needId",
            code=ErrorCode.DUPLICATE,
        )
    match.firm_accepted_at = match.professional_accepted_at = None
    match.version += 1
    return match
