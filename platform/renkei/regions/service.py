"""Business rules for regions (広域リージョン): declaration, vision, and membership by consent."""

from __future__ import annotations

import unicodedata
import uuid
from collections.abc import Sequence
from datetime import UTC, date, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from renkei import outbox
from renkei.activity.models import SubjectType
from renkei.activity.service import record, snapshot
from renkei.errors import Conflict, ErrorCode, Forbidden, Invalid, NotFound, Unauthenticated
from renkei.geography.codes import check_prefecture_code
from renkei.i18n.formats import format_date
from renkei.i18n.messages import _
from renkei.milestones.service import clean_evidence_links
from renkei.organizations import repository as organizations
from renkei.organizations.service import is_slug
from renkei.organizations.verification import require_verified
from renkei.regions import repository
from renkei.regions.models import (
    ParticipationStatus,
    Region,
    RegionMember,
    RegionRole,
    member_role_label,
    participation_label,
)
from renkei.tenancy import Viewer, require_manager
from renkei.text import clean_name
from renkei.text_search import document_terms

REGION_INVITED = "region.invited"
MAX_TEXT_LENGTH = 50_000
REGION_FIELDS = (
    "slug",
    "name",
    "prefecture_codes",
    "secretariat_organization_id",
    "declaration_text",
    "declared_on",
    "declaration_demo",
    "declaration_sources",
)
VISION_FIELDS = ("vision_text", "vision_adopted_on", "vision_version", "vision_demo")
MEMBER_FIELDS = (
    "organization_id",
    "role",
    "status",
    "is_signatory",
    "represented_by_organization_id",
    "representation_confirmed_at",
    "responded_at",
)


def _require_user(viewer: Viewer) -> uuid.UUID:
    if viewer.user_id is None:
        raise Unauthenticated(_("sign in first"))
    return viewer.user_id


def _clean_slug(slug: str) -> str:
    slug = slug.strip().lower()
    if not is_slug(slug):
        raise Invalid(
            _(
                "a slug is 2 to 63 lower-case letters, digits and hyphens, e.g. {example}",
                example="kyushu",
            ),
            field="slug",
        )
    return slug


def _clean_prefectures(codes: Sequence[str]) -> list[str]:
    """Known JIS X 0401 codes, at least two distinct ones, in code order."""
    cleaned: set[str] = set()
    for raw in codes:
        # Japanese input methods often type full-width digits (４０); they mean the same code.
        cleaned.add(check_prefecture_code(raw, field="prefectureCodes"))
    if len(cleaned) < 2:
        raise Invalid(
            _("a region crosses prefectural borders: name at least two different prefectures"),
            field="prefectureCodes",
        )
    return sorted(cleaned)


def _clean_text(text: str, *, field: str, required: bool = False) -> str:
    text = unicodedata.normalize("NFC", text).strip()
    if required and not text:
        raise Invalid(_("this text cannot be empty"), field=field)
    if len(text) > MAX_TEXT_LENGTH:
        raise Invalid(
            _("at most {count} characters", count=format(MAX_TEXT_LENGTH, ",")), field=field
        )
    return text


async def _check_slug_free(
    session: AsyncSession, slug: str, *, excluding: uuid.UUID | None = None
) -> None:
    taken = await repository.by_slug(session, slug)
    if taken is not None and taken.id != excluding:
        raise Conflict(
            _("the slug '{slug}' is taken", slug=slug), field="slug", code=ErrorCode.DUPLICATE
        )


def _check_vision_date(region: Region, adopted_on: date, *, field: str) -> None:
    if region.declared_on is not None and adopted_on < region.declared_on:
        raise Invalid(
            _(
                "a vision is adopted on or after the declaration ({day})",
                day=format_date(region.declared_on),
            ),
            field=field,
        )


async def _region(session: AsyncSession, region_id: uuid.UUID, *, field: str) -> Region:
    region = await repository.get(session, region_id)
    if region is None:
        raise NotFound(_("no such region"), field=field)
    return region


async def _require_secretariat_admin(
    session: AsyncSession, viewer: Viewer, region: Region, *, to: str
) -> uuid.UUID:
    """The viewer manages the region's secretariat, and the secretariat is (still) verified.

    `to` is what the viewer wants to do, translated, as a verb phrase (see require_verified)."""
    user_id = _require_user(viewer)
    if viewer.organization_id != region.secretariat_organization_id:
        raise Forbidden(_("only the region's secretariat may {to}", to=to))
    require_manager(viewer, region.secretariat_organization_id, to=to)
    secretariat = await organizations.get(session, region.secretariat_organization_id)
    assert secretariat is not None
    require_verified(secretariat, to=_("run a region as its secretariat"))
    return user_id


async def _check_version(session: AsyncSession, region: Region, version: int | None) -> None:
    """Lock the region, then refuse a change made on a stale read instead of overwriting."""
    await repository.lock(session, region)
    if version is not None and version != region.version:
        raise Conflict(
            _(
                "the region changed since you read it (you read version {version}, it is now"
                " version {current}): reload it and try again",
                version=version,
                current=region.version,
            ),
            field="version",
            code=ErrorCode.CONFLICT,
        )


def _touch(region: Region) -> None:
    region.version += 1
    region.updated_at = datetime.now(UTC)


async def create_region(
    session: AsyncSession,
    viewer: Viewer,
    *,
    slug: str,
    name: str,
    prefecture_codes: Sequence[str],
    declaration_text: str = "",
    declared_on: date | None = None,
    vision_text: str | None = None,
    vision_adopted_on: date | None = None,
    declaration_demo: bool = False,
    declaration_sources: Sequence[str] = (),
) -> Region:
    """Found a region; the acting organization becomes its secretariat and first signatory.

    `declaration_sources`: public pages recording the declaration; `declaration_demo`: its text
    was invented for a demonstration (the seed), which readers are told."""
    user_id = _require_user(viewer)
    if viewer.organization_id is None:
        raise Forbidden(_("act for an organization to found a region"))
    secretariat_id = viewer.organization_id
    require_manager(viewer, secretariat_id, to=_("found a region"))
    secretariat_organization = await organizations.get(session, secretariat_id)
    if secretariat_organization is None:
        raise NotFound(_("no such organization"))
    require_verified(
        secretariat_organization,
        to=_("found a region, run it as its secretariat or sign its declaration"),
    )
    slug = _clean_slug(slug)
    name = clean_name(name)
    codes = _clean_prefectures(prefecture_codes)
    declaration_text = _clean_text(declaration_text, field="declarationText")
    sources = clean_evidence_links(declaration_sources)
    now = datetime.now(UTC)
    region = Region(
        id=uuid.uuid4(),
        slug=slug,
        name=name,
        prefecture_codes=codes,
        secretariat_organization_id=secretariat_id,
        declaration_text=declaration_text,
        declared_on=declared_on,
        declaration_demo=declaration_demo,
        declaration_sources=sources,
        vision_demo=False,
        vision_version=0,
        search_terms=document_terms(name),
        version=1,
        created_by_id=user_id,
        created_at=now,
        updated_at=now,
    )
    if vision_text is not None:
        if vision_adopted_on is None:
            raise Invalid(_("say when the vision was adopted"), field="visionAdoptedOn")
        _check_vision_date(region, vision_adopted_on, field="visionAdoptedOn")
        region.vision_text = _clean_text(vision_text, field="visionText", required=True)
        region.vision_adopted_on = vision_adopted_on
        region.vision_version = 1
    elif vision_adopted_on is not None:
        raise Invalid(_("an adoption date needs the vision's text"), field="visionText")
    await _check_slug_free(session, slug)
    session.add(region)
    await session.flush()
    secretariat = RegionMember(
        id=uuid.uuid4(),
        region_id=region.id,
        organization_id=secretariat_id,
        role=RegionRole.SECRETARIAT,
        status=ParticipationStatus.ACTIVE,
        is_signatory=True,
        invited_by_id=user_id,
        responded_at=now,
    )
    session.add(secretariat)
    await session.flush()
    record(
        session,
        viewer,
        subject_type=SubjectType.REGION,
        subject_id=region.id,
        region_id=region.id,
        action="created",
        after=snapshot(region, (*REGION_FIELDS, *VISION_FIELDS)),
    )
    record(
        session,
        viewer,
        subject_type=SubjectType.REGION_MEMBER,
        subject_id=secretariat.id,
        region_id=region.id,
        action="joined",
        after=snapshot(secretariat, MEMBER_FIELDS),
    )
    await session.flush()
    return region


async def update_region(
    session: AsyncSession,
    viewer: Viewer,
    *,
    region_id: uuid.UUID,
    version: int,
    slug: str | None = None,
    name: str | None = None,
    prefecture_codes: Sequence[str] | None = None,
    declaration_text: str | None = None,
    declared_on: date | None = None,
) -> Region:
    """Change a region's name, prefectures or declaration (the secretariat's admins)."""
    _require_user(viewer)
    region = await _region(session, region_id, field="id")
    await _require_secretariat_admin(session, viewer, region, to=_("change the region"))
    new_slug = _clean_slug(slug) if slug is not None else None
    new_name = clean_name(name) if name is not None else None
    codes = _clean_prefectures(prefecture_codes) if prefecture_codes is not None else None
    text = (
        _clean_text(declaration_text, field="declarationText")
        if declaration_text is not None
        else None
    )
    await _check_version(session, region, version)
    if (
        declared_on is not None
        and region.vision_adopted_on is not None
        and declared_on > region.vision_adopted_on
    ):
        raise Invalid(
            _(
                "the declaration comes before the vision adopted on {day}",
                day=format_date(region.vision_adopted_on),
            ),
            field="declaredOn",
        )
    if new_slug is not None and new_slug != region.slug:
        await _check_slug_free(session, new_slug, excluding=region.id)
    before = snapshot(region, REGION_FIELDS)
    if new_slug is not None:
        region.slug = new_slug
    if new_name is not None and new_name != region.name:
        region.name = new_name
        region.search_terms = document_terms(new_name)
    if codes is not None:
        region.prefecture_codes = codes
    if text is not None:
        region.declaration_text = text
    if declared_on is not None:
        region.declared_on = declared_on
    after = snapshot(region, REGION_FIELDS)
    if after == before:
        return region
    _touch(region)
    record(
        session,
        viewer,
        subject_type=SubjectType.REGION,
        subject_id=region.id,
        region_id=region.id,
        action="updated",
        before=before,
        after=after,
    )
    await session.flush()
    return region


async def adopt_vision(
    session: AsyncSession,
    viewer: Viewer,
    *,
    region_id: uuid.UUID,
    text: str,
    adopted_on: date,
    version: int | None = None,
    demo: bool = False,
) -> Region:
    """Adopt a new version of the region's vision; the previous one stays in the activity log.

    `demo`: the text (or its adoption date) was invented for a demonstration, not recorded."""
    _require_user(viewer)
    region = await _region(session, region_id, field="regionId")
    await _require_secretariat_admin(session, viewer, region, to=_("adopt the region's vision"))
    text = _clean_text(text, field="text", required=True)
    _check_vision_date(region, adopted_on, field="adoptedOn")
    await _check_version(session, region, version)
    before = snapshot(region, VISION_FIELDS)
    region.vision_text = text
    region.vision_adopted_on = adopted_on
    region.vision_demo = demo
    region.vision_version += 1
    _touch(region)
    record(
        session,
        viewer,
        subject_type=SubjectType.REGION,
        subject_id=region.id,
        region_id=region.id,
        action="vision_adopted",
        before=before,
        after=snapshot(region, VISION_FIELDS),
    )
    await session.flush()
    return region


async def _check_representative(
    session: AsyncSession,
    region: Region,
    *,
    organization_id: uuid.UUID,
    representative_id: uuid.UUID,
    is_signatory: bool,
) -> None:
    """A body signs on behalf of a member: it is another organization, itself a signatory of the
    region (invited or taking part), and the member it represents does not sign in its name."""
    if representative_id == organization_id:
        raise Invalid(
            _("an organization cannot represent itself: name the body that signed for it"),
            field="representedById",
        )
    if is_signatory:
        raise Invalid(
            _(
                "a member represented by another body did not sign the declaration itself:"
                " invite it as represented, not as a signatory"
            ),
            field="isSignatory",
        )
    representative = await repository.member_of(session, region.id, representative_id)
    if (
        representative is None
        or not representative.is_signatory
        or representative.status not in (ParticipationStatus.INVITED, ParticipationStatus.ACTIVE)
    ):
        raise Invalid(
            _(
                "only a signatory of this region's declaration may sign on behalf of a member:"
                " invite the representing body as a signatory first"
            ),
            field="representedById",
        )


async def invite_region_member(
    session: AsyncSession,
    viewer: Viewer,
    *,
    region_id: uuid.UUID,
    organization_id: uuid.UUID,
    role: RegionRole = RegionRole.MEMBER,
    is_signatory: bool = False,
    represented_by_organization_id: uuid.UUID | None = None,
    demo: bool = False,
) -> RegionMember:
    """Invite an organization; it joins only when one of its admins accepts.

    `represented_by_organization_id`: the body that signed the declaration on its behalf (a
    signatory of the region, e.g. 関西広域連合 for its 府県 and 政令市); the member does not sign
    itself, and confirms the representation once it has joined (confirm_representation).
    `demo`: the membership was invented for a demonstration (the seed)."""
    _require_user(viewer)
    region = await _region(session, region_id, field="regionId")
    user_id = await _require_secretariat_admin(
        session, viewer, region, to=_("invite organizations")
    )
    if role is RegionRole.SECRETARIAT:
        raise Invalid(
            _(
                "a region has one secretariat: invite as {member} or {supporter}",
                member=member_role_label(RegionRole.MEMBER),
                supporter=member_role_label(RegionRole.SUPPORTER),
            ),
            field="role",
        )
    organization = await organizations.get(session, organization_id)
    if organization is None:
        raise NotFound(_("no such organization"), field="organizationId")
    if is_signatory:
        require_verified(organization, to=_("sign the declaration"), field="isSignatory")
    if represented_by_organization_id is not None:
        await _check_representative(
            session,
            region,
            organization_id=organization_id,
            representative_id=represented_by_organization_id,
            is_signatory=is_signatory,
        )
    member = await repository.member_of(session, region.id, organization_id)
    before = None
    if member is not None:
        await repository.lock(session, member)
        if member.status is ParticipationStatus.INVITED:
            raise Conflict(
                _(
                    "{organization} has a pending invitation to this region already",
                    organization=organization.name,
                ),
                field="organizationId",
                code=ErrorCode.DUPLICATE,
            )
        if member.status is ParticipationStatus.ACTIVE:
            raise Conflict(
                _(
                    "{organization} is a member of this region already",
                    organization=organization.name,
                ),
                field="organizationId",
                code=ErrorCode.DUPLICATE,
            )
        # It declined or left before: the same place is offered again.
        before = snapshot(member, MEMBER_FIELDS)
        member.role = role
        member.status = ParticipationStatus.INVITED
        member.is_signatory = is_signatory
        member.represented_by_organization_id = represented_by_organization_id
        member.representation_confirmed_at = None
        member.demo = demo
        member.invited_by_id = user_id
        member.responded_at = None
    else:
        member = RegionMember(
            id=uuid.uuid4(),
            region_id=region.id,
            organization_id=organization_id,
            role=role,
            status=ParticipationStatus.INVITED,
            is_signatory=is_signatory,
            represented_by_organization_id=represented_by_organization_id,
            demo=demo,
            invited_by_id=user_id,
        )
        session.add(member)
    await session.flush()
    record(
        session,
        viewer,
        subject_type=SubjectType.REGION_MEMBER,
        subject_id=member.id,
        region_id=region.id,
        action="invited",
        before=before,
        after=snapshot(member, MEMBER_FIELDS),
    )
    outbox.enqueue(session, REGION_INVITED, {"region_member_id": str(member.id)})
    await session.flush()
    return member


async def answer_region_invitation(
    session: AsyncSession, viewer: Viewer, *, region_member_id: uuid.UUID, accept: bool
) -> RegionMember:
    """The invited organization's admins accept (it becomes ACTIVE) or decline."""
    _require_user(viewer)
    member = await repository.get_member(session, region_member_id)
    if member is None:
        raise NotFound(_("no such region invitation"), field="regionMemberId")
    if viewer.organization_id != member.organization_id:
        raise Forbidden(
            _("only the invited organization may answer its invitation"), field="regionMemberId"
        )
    require_manager(viewer, member.organization_id, to=_("answer a region invitation"))
    await repository.lock(session, member)
    if member.status is not ParticipationStatus.INVITED:
        raise Conflict(
            _(
                "this invitation is answered already: the organization's place is {status}",
                status=participation_label(member.status),
            ),
            field="regionMemberId",
            code=ErrorCode.CONFLICT,
        )
    if accept and member.is_signatory:
        organization = await organizations.get(session, member.organization_id)
        assert organization is not None
        require_verified(organization, to=_("sign the declaration"), field="regionMemberId")
    before = snapshot(member, MEMBER_FIELDS)
    member.status = ParticipationStatus.ACTIVE if accept else ParticipationStatus.DECLINED
    member.responded_at = datetime.now(UTC)
    await session.flush()
    record(
        session,
        viewer,
        subject_type=SubjectType.REGION_MEMBER,
        subject_id=member.id,
        region_id=member.region_id,
        action="accepted" if accept else "declined",
        before=before,
        after=snapshot(member, MEMBER_FIELDS),
    )
    await session.flush()
    return member


async def leave_region(
    session: AsyncSession, viewer: Viewer, *, region_id: uuid.UUID, confirm: bool = False
) -> RegionMember:
    """The acting organization leaves a region it is a member of; the secretariat stays.

    Two steps: without `confirm` nothing changes and the answer says what leaving would do."""
    _require_user(viewer)
    if viewer.organization_id is None:
        raise Forbidden(_("act for the organization that leaves"))
    organization_id = viewer.organization_id
    region = await _region(session, region_id, field="regionId")
    require_manager(viewer, organization_id, to=_("leave a region"))
    member = await repository.member_of(session, region.id, organization_id)
    if member is None:
        raise NotFound(_("your organization is not a member of this region"), field="regionId")
    if region.secretariat_organization_id == organization_id:
        raise Conflict(_("the secretariat runs the region and cannot leave it"), field="regionId")
    await repository.lock(session, member)
    if member.status is not ParticipationStatus.ACTIVE:
        raise Conflict(
            _(
                "your organization is not an active member of this region ({status})",
                status=participation_label(member.status),
            ),
            field="regionId",
        )
    if not confirm:
        raise Conflict(
            _(
                "your organization will leave {region}: it stops taking part at once, its people"
                " no longer see what the region shows only to its members, and only the"
                " secretariat can invite it back. Send the same request with confirm: true to"
                " leave",
                region=region.name,
            ),
            field="confirm",
            code=ErrorCode.CONFIRMATION_REQUIRED,
        )
    before = snapshot(member, MEMBER_FIELDS)
    member.status = ParticipationStatus.LEFT
    await session.flush()
    record(
        session,
        viewer,
        subject_type=SubjectType.REGION_MEMBER,
        subject_id=member.id,
        region_id=region.id,
        action="left",
        before=before,
        after=snapshot(member, MEMBER_FIELDS),
    )
    await session.flush()
    return member


async def confirm_representation(
    session: AsyncSession, viewer: Viewer, *, region_member_id: uuid.UUID
) -> RegionMember:
    """The represented organization's admins confirm that the body signed on its behalf.

    Its place must be taking part (it accepted the invitation); confirming twice changes
    nothing."""
    _require_user(viewer)
    member = await repository.get_member(session, region_member_id)
    if member is None:
        raise NotFound(_("no such region member"), field="regionMemberId")
    if viewer.organization_id != member.organization_id:
        raise Forbidden(
            _("only the represented organization may confirm its representation"),
            field="regionMemberId",
        )
    require_manager(viewer, member.organization_id, to=_("confirm a representation"))
    await repository.lock(session, member)
    if member.represented_by_organization_id is None:
        raise Conflict(
            _("no body signed the declaration on your organization's behalf"),
            field="regionMemberId",
        )
    if member.status is not ParticipationStatus.ACTIVE:
        raise Conflict(
            _(
                "accept the invitation to the region first: your organization's place is {status}",
                status=participation_label(member.status),
            ),
            field="regionMemberId",
        )
    if member.representation_confirmed_at is not None:
        return member
    before = snapshot(member, MEMBER_FIELDS)
    member.representation_confirmed_at = datetime.now(UTC)
    await session.flush()
    record(
        session,
        viewer,
        subject_type=SubjectType.REGION_MEMBER,
        subject_id=member.id,
        region_id=member.region_id,
        action="representation_confirmed",
        before=before,
        after=snapshot(member, MEMBER_FIELDS),
    )
    await session.flush()
    return member
