"""Business rules for organizations, memberships and invitations."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime, timedelta
from types import EllipsisType

from sqlalchemy.ext.asyncio import AsyncSession

from renkei import audit, outbox
from renkei.errors import Conflict, ErrorCode, Forbidden, Invalid, NotFound, Unauthenticated
from renkei.geography import codes
from renkei.i18n.formats import JST, format_date
from renkei.i18n.messages import N_, _, ngettext
from renkei.identity.models import User
from renkei.identity.service import check_locale, normalize_email
from renkei.notifications import service as notifications
from renkei.notifications.subjects import global_id
from renkei.organizations import repository, verification
from renkei.organizations.models import (
    Invitation,
    InvitationStatus,
    Membership,
    Organization,
    OrganizationKind,
    Verification,
    invitation_status_label,
)
from renkei.tenancy import MEMBERSHIP_ROLES, MembershipRole, Viewer, require_manager, set_viewer
from renkei.text import clean_name

INVITATION_TTL = timedelta(days=14)
SLUG = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")
INVITATION_CREATED = "invitation.created"


def _require_user(viewer: Viewer) -> uuid.UUID:
    if viewer.user_id is None:
        raise Unauthenticated(_("sign in first"))
    return viewer.user_id


def is_slug(value: str) -> bool:
    return len(value) >= 2 and SLUG.fullmatch(value) is not None


def _clean_slug(slug: str) -> str:
    slug = slug.strip().lower()
    if not is_slug(slug):
        raise Invalid(
            _(
                "a slug is 2 to 63 lower-case letters, digits and hyphens, e.g. {example}",
                example="gifu-pref",
            ),
            field="slug",
        )
    return slug


def _check_prefecture(code: str) -> str:
    # Japanese input methods often type full-width digits (４３); they mean the same code.
    return codes.check_prefecture_code(code, field="homePrefectureCode")


def _prefecture_level_code(code: str) -> str:
    """The 全国地方公共団体コード of the prefecture a local government code lies in."""
    five = codes.prefecture_code_of(code) + "000"
    return five + codes.local_government_code_check_digit(five)


def _check_identifiers(
    kind: OrganizationKind,
    home_prefecture_code: str,
    corporate_number: str | None,
    local_government_code: str | None,
) -> tuple[str | None, str | None]:
    """Check the digits, and that a local government's code fits its kind and prefecture."""
    number = codes.validate_corporate_number(corporate_number) if corporate_number else None
    lg_code = (
        codes.validate_local_government_code(local_government_code)
        if local_government_code
        else None
    )
    if kind.is_local_government:
        if lg_code is None:
            raise Invalid(
                _(
                    "a prefecture or municipality needs its local government code"
                    " (全国地方公共団体コード)"
                ),
                field="localGovernmentCode",
            )
        if codes.prefecture_code_of(lg_code) != home_prefecture_code:
            raise Invalid(
                _(
                    "local government code {code} lies in {prefecture}, not in the home"
                    " prefecture {home}",
                    code=lg_code,
                    prefecture=codes.prefecture_label(codes.prefecture_code_of(lg_code)),
                    home=codes.prefecture_label(home_prefecture_code),
                ),
                field="localGovernmentCode",
            )
        if kind is OrganizationKind.PREFECTURE and not codes.is_prefecture_level(lg_code):
            raise Invalid(
                _(
                    "local government code {code} is a municipality's; a prefecture uses its"
                    " own code, {own} for {prefecture}",
                    code=lg_code,
                    own=_prefecture_level_code(lg_code),
                    prefecture=codes.prefecture_label(home_prefecture_code),
                ),
                field="localGovernmentCode",
            )
        if kind is OrganizationKind.MUNICIPALITY and codes.is_prefecture_level(lg_code):
            raise Invalid(
                _(
                    "local government code {code} is the prefecture's own; a municipality uses"
                    " its own 6-digit code",
                    code=lg_code,
                ),
                field="localGovernmentCode",
            )
    elif lg_code is not None:
        raise Invalid(
            _("only prefectures and municipalities have a local government code"),
            field="localGovernmentCode",
        )
    return number, lg_code


async def _check_slug_free(
    session: AsyncSession, slug: str | None, *, excluding: uuid.UUID | None = None
) -> None:
    """Slugs are unique; codes are not (see verification): a squatter must not lock out the
    real holder of a code, so a second claimant is created, unverified."""
    if slug is None:
        return
    taken = await repository.by_slug(session, slug)
    if taken is not None and taken.id != excluding:
        raise Conflict(
            _("the slug '{slug}' is taken", slug=slug), field="slug", code=ErrorCode.DUPLICATE
        )


async def create_organization(
    session: AsyncSession,
    viewer: Viewer,
    *,
    slug: str,
    name: str,
    kind: OrganizationKind,
    home_prefecture_code: str,
    corporate_number: str | None = None,
    local_government_code: str | None = None,
    demo: bool = False,
) -> Organization:
    """Create an organization with the viewer as its first owner (`demo`: a fictional one of
    the demonstration data, shown as such)."""
    user_id = _require_user(viewer)
    founder = await session.get(User, user_id)
    if founder is not None and founder.is_service_account:
        raise Forbidden(_("an API client cannot found an organization"))
    slug = _clean_slug(slug)
    name = clean_name(name)
    home_prefecture_code = _check_prefecture(home_prefecture_code)
    number, lg_code = _check_identifiers(
        kind, home_prefecture_code, corporate_number, local_government_code
    )
    await _check_slug_free(session, slug)
    organization_id = uuid.uuid4()
    status = await verification.initial_status(
        session,
        viewer,
        kind=kind,
        corporate_number=number,
        local_government_code=lg_code,
        organization_id=organization_id,
    )
    organization = Organization(
        id=organization_id,
        slug=slug,
        name=name,
        kind=kind,
        home_prefecture_code=home_prefecture_code,
        corporate_number=number,
        local_government_code=lg_code,
        verification=status,
        verified_at=datetime.now(UTC) if status is Verification.VERIFIED else None,
        verified_by="unclaimed code" if status is Verification.VERIFIED else None,
        demo=demo,
        created_by_id=user_id,
    )
    session.add(organization)
    await session.flush()
    # The founder owns what they just made: act for it for the rest of this transaction.
    await set_viewer(session, viewer.acting_as(organization.id, MembershipRole.OWNER))
    session.add(
        Membership(organization_id=organization.id, user_id=user_id, role=MembershipRole.OWNER)
    )
    await session.flush()
    await set_viewer(session, viewer)
    return organization


async def update_organization(
    session: AsyncSession,
    viewer: Viewer,
    *,
    organization_id: uuid.UUID,
    name: str | None = None,
    slug: str | None = None,
    home_prefecture_code: str | None = None,
    corporate_number: str | None = None,
    local_government_code: str | None = None,
    default_locale: str | EllipsisType | None = ...,
) -> Organization:
    """Change an organization's profile; only its owners and admins may. `default_locale`
    None clears it (Japanese); left out (...), it stays."""
    _require_user(viewer)
    organization = await repository.get(session, organization_id)
    if organization is None:
        raise NotFound(_("no such organization"), field="id")
    require_manager(viewer, organization_id)
    if name is not None:
        organization.name = clean_name(name)
    new_slug = _clean_slug(slug) if slug is not None else None
    prefecture = (
        _check_prefecture(home_prefecture_code)
        if home_prefecture_code is not None
        else organization.home_prefecture_code
    )
    number, lg_code = _check_identifiers(
        organization.kind,
        prefecture,
        corporate_number if corporate_number is not None else organization.corporate_number,
        local_government_code
        if local_government_code is not None
        else organization.local_government_code,
    )
    await _check_slug_free(session, new_slug, excluding=organization.id)
    codes_changed = (number, lg_code) != (
        organization.corporate_number,
        organization.local_government_code,
    )
    if codes_changed:
        # A verification vouches for the codes it saw: new codes are judged afresh, so a
        # verified body cannot carry its verification over to someone else's code.
        status = await verification.initial_status(
            session,
            viewer,
            kind=organization.kind,
            corporate_number=number if number != organization.corporate_number else None,
            local_government_code=lg_code
            if lg_code != organization.local_government_code
            else None,
            organization_id=organization.id,
        )
        if status is Verification.UNVERIFIED or organization.kind.is_public:
            if organization.verification is Verification.VERIFIED:
                verification.drop(
                    session,
                    organization,
                    actor_user_id=viewer.user_id,
                    reason="its 法人番号 or 団体コード changed",
                    by=f"user:{viewer.user_id}",
                )
        elif organization.verification is Verification.UNVERIFIED:
            await _recheck_all_codes(session, viewer, organization, number, lg_code)
    if new_slug is not None:
        organization.slug = new_slug
    organization.home_prefecture_code = prefecture
    organization.corporate_number = number
    organization.local_government_code = lg_code
    if default_locale is not ...:
        organization.default_locale = check_locale(default_locale, field="defaultLocale")
    await session.flush()
    return organization


async def _recheck_all_codes(
    session: AsyncSession,
    viewer: Viewer,
    organization: Organization,
    number: str | None,
    lg_code: str | None,
) -> None:
    """A private organization that gave up a contested code is verified if no code it keeps is
    claimed by another either."""
    status = await verification.initial_status(
        session,
        viewer,
        kind=organization.kind,
        corporate_number=number,
        local_government_code=lg_code,
        organization_id=organization.id,
    )
    if status is Verification.VERIFIED:
        organization.verification = status
        organization.verified_at = datetime.now(UTC)
        organization.verified_by = "unclaimed code"


def _check_grant(viewer: Viewer, role: MembershipRole) -> None:
    if role is MembershipRole.OWNER and viewer.role is not MembershipRole.OWNER:
        raise Forbidden(_("only an owner may make someone an owner"), field="role")


# What only an owner may do to another owner: one whole sentence each, translated when refused.
ONLY_OWNERS_CHANGE_OWNERS = N_("only an owner may change the role of an owner")
ONLY_OWNERS_REMOVE_OWNERS = N_("only an owner may remove an owner")


def _check_owner_touched(viewer: Viewer, membership: Membership, refusal: str) -> None:
    if membership.role is MembershipRole.OWNER and viewer.role is not MembershipRole.OWNER:
        raise Forbidden(_(refusal), field="membershipId")


async def invite_member(
    session: AsyncSession,
    viewer: Viewer,
    *,
    organization_id: uuid.UUID,
    email: str,
    role: MembershipRole,
) -> Invitation:
    """Invite an address to join; the invitee accepts after signing in with that address."""
    user_id = _require_user(viewer)
    require_manager(viewer, organization_id)
    _check_grant(viewer, role)
    email = normalize_email(email)
    if await repository.pending_invitation(session, organization_id, email) is not None:
        raise Conflict(
            _("{email} already has a pending invitation", email=email),
            field="email",
            code=ErrorCode.DUPLICATE,
        )
    invitation = Invitation(
        id=uuid.uuid4(),
        organization_id=organization_id,
        email=email,
        role=role,
        status=InvitationStatus.PENDING,
        invited_by_id=user_id,
        expires_at=datetime.now(UTC) + INVITATION_TTL,
    )
    session.add(invitation)
    await session.flush()
    outbox.enqueue(session, INVITATION_CREATED, {"invitation_id": str(invitation.id)})
    return invitation


async def _pending_for_viewer(
    session: AsyncSession, viewer: Viewer, invitation_id: uuid.UUID
) -> Invitation:
    _require_user(viewer)
    # Locked: two answers at once (a double click, two tabs) are taken one after the other,
    # and the second finds the invitation answered instead of a half-made membership.
    invitation = await repository.lock_invitation(session, invitation_id)
    if invitation is None or invitation.email != (viewer.email or "").lower():
        raise NotFound(_("no such invitation for you"), field="invitationId")
    if invitation.status is not InvitationStatus.PENDING:
        raise Conflict(
            _(
                "this invitation was {status} already",
                status=invitation_status_label(invitation.status),
            ),
            field="invitationId",
        )
    if invitation.expires_at <= datetime.now(UTC):
        raise Conflict(_("this invitation has expired; ask for a new one"), field="invitationId")
    return invitation


async def accept_invitation(
    session: AsyncSession, viewer: Viewer, *, invitation_id: uuid.UUID
) -> Membership:
    """Join the organization with the invited role (or keep a higher role already held)."""
    invitation = await _pending_for_viewer(session, viewer, invitation_id)
    assert viewer.user_id is not None
    membership = await repository.membership_of(session, invitation.organization_id, viewer.user_id)
    if membership is not None:
        raise Conflict(_("you are a member of this organization already"), field="invitationId")
    membership = Membership(
        organization_id=invitation.organization_id, user_id=viewer.user_id, role=invitation.role
    )
    session.add(membership)
    await session.flush()  # checked against the pending invitation by row-level security
    invitation.status = InvitationStatus.ACCEPTED
    invitation.responded_at = datetime.now(UTC)
    await session.flush()
    return membership


async def decline_invitation(
    session: AsyncSession, viewer: Viewer, *, invitation_id: uuid.UUID
) -> Invitation:
    invitation = await _pending_for_viewer(session, viewer, invitation_id)
    invitation.status = InvitationStatus.DECLINED
    invitation.responded_at = datetime.now(UTC)
    await session.flush()
    return invitation


async def _managed_membership(
    session: AsyncSession, viewer: Viewer, membership_id: uuid.UUID
) -> Membership:
    _require_user(viewer)
    membership = await repository.get_membership(session, membership_id)
    if membership is None:
        raise NotFound(_("no such membership"), field="membershipId")
    require_manager(viewer, membership.organization_id)
    return membership


async def _keep_an_owner(session: AsyncSession, membership: Membership) -> None:
    if (
        membership.role is MembershipRole.OWNER
        and await repository.count_owners(session, membership.organization_id) <= 1
    ):
        raise Conflict(
            _("an organization keeps at least one owner: make someone else owner first"),
            field="membershipId",
            code=ErrorCode.LAST_OWNER,
        )


async def change_member_role(
    session: AsyncSession, viewer: Viewer, *, membership_id: uuid.UUID, role: MembershipRole
) -> Membership:
    membership = await _managed_membership(session, viewer, membership_id)
    if membership.role is role:
        return membership
    _check_grant(viewer, role)
    _check_owner_touched(viewer, membership, ONLY_OWNERS_CHANGE_OWNERS)
    await _keep_an_owner(session, membership)
    before = membership.role
    membership.role = role
    audit.record(
        session,
        action=audit.ROLE_CHANGED,
        organization_id=membership.organization_id,
        actor_user_id=viewer.user_id,
        detail={
            "by": "admin",
            "membership_id": str(membership.id),
            "user_id": str(membership.user_id),
            "before": before.value,
            "after": role.value,
        },
    )
    await session.flush()
    return membership


async def _confirm_leaving(
    session: AsyncSession, viewer: Viewer, membership: Membership, confirm: bool
) -> None:
    """An owner or admin removing themselves does it in two steps: the first says what happens."""
    if confirm or membership.user_id != viewer.user_id:
        return
    if not membership.role.manages_members:
        return
    organization = await repository.get(session, membership.organization_id)
    assert organization is not None, "a manager sees the organization they manage"
    # The last owner was refused before (LAST_OWNER), so someone else manages it afterwards.
    others = await repository.count_managers(session, membership.organization_id) - 1
    raise Conflict(
        ngettext(
            "you are removing yourself from {organization}: you lose access to it at once and"
            " only its owners or admins can invite you back; {n} other owner or admin will"
            " manage it. Send the same request with confirm: true to go ahead",
            "you are removing yourself from {organization}: you lose access to it at once and"
            " only its owners or admins can invite you back; {n} other owners or admins will"
            " manage it. Send the same request with confirm: true to go ahead",
            others,
            organization=organization.name,
        ),
        field="confirm",
        code=ErrorCode.CONFIRMATION_REQUIRED,
    )


async def remove_member(
    session: AsyncSession, viewer: Viewer, *, membership_id: uuid.UUID, confirm: bool = False
) -> uuid.UUID:
    membership = await _managed_membership(session, viewer, membership_id)
    _check_owner_touched(viewer, membership, ONLY_OWNERS_REMOVE_OWNERS)
    await _keep_an_owner(session, membership)
    await _confirm_leaving(session, viewer, membership, confirm)
    await session.delete(membership)
    audit.record(
        session,
        action=audit.MEMBER_REMOVED,
        organization_id=membership.organization_id,
        actor_user_id=viewer.user_id,
        detail={
            "membership_id": str(membership.id),
            "user_id": str(membership.user_id),
            "role": membership.role.value,
        },
    )
    await session.flush()
    return membership.id


async def notify_invitee(
    session: AsyncSession, *, outbox_id: uuid.UUID, invitation_id: uuid.UUID
) -> None:
    """Tell the invited address about its invitation (run by a worker, as the platform)."""
    invitation = await repository.get_invitation(session, invitation_id)
    if invitation is None or invitation.status is not InvitationStatus.PENDING:
        return
    organization = await repository.get(session, invitation.organization_id)
    assert organization is not None
    await notifications.record(
        session,
        outbox_id=outbox_id,
        recipient=await notifications.address_recipient(
            session, invitation.email, organization_id=organization.id
        ),
        kind=INVITATION_CREATED,
        subject_id=global_id("Invitation", invitation.id),
        text=lambda: (
            _("{organization} invites you to Renkei", organization=organization.name),
            _(
                "{organization} invites you to join as {role}. Sign in with this address and"
                " accept the invitation under viewer.invitations; it expires on {day}.",
                organization=organization.name,
                role=_(MEMBERSHIP_ROLES[invitation.role]),
                day=format_date(invitation.expires_at.astimezone(JST).date()),
            ),
        ),
    )
