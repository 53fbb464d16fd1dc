"""Organization verification: whether the platform vouches that an organization is who it says.

Public bodies (prefectures, municipalities, national agencies, 広域連合) start UNVERIFIED, and so
does any organization claiming a 法人番号 or 団体コード that another organization already holds.
Only a platform operator (the `renkei operator verify-organization` command or the
verifyOrganization mutation, both audited) verifies them. An unverified organization may not sign
a declaration or run a region as its secretariat, and two organizations never hold the same
verified code (a partial unique index says so in PostgreSQL too).
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from renkei import audit
from renkei.errors import Conflict, ErrorCode, Forbidden, NotFound
from renkei.i18n.messages import _
from renkei.operators.service import require_operator
from renkei.organizations import repository
from renkei.organizations.models import Organization, OrganizationKind, Verification
from renkei.tenancy import Viewer, set_viewer

ORGANIZATION_VERIFIED = "organization_verified"
ORGANIZATION_UNVERIFIED = "organization_unverified"
ORGANIZATION_CODE_CLAIMED = "organization_code_claimed"


async def lock_codes(session: AsyncSession, *codes: str | None) -> None:
    """Serialize every decision about these codes until the transaction ends.

    Two organizations claiming one fresh code at the same moment would otherwise both see it
    free; the second now waits for the first and sees it taken."""
    for code in sorted({c for c in codes if c}):
        await repository.lock_code(session, code=code)


async def _holders(
    session: AsyncSession,
    *,
    corporate_number: str | None,
    local_government_code: str | None,
    excluding: uuid.UUID | None,
    verified_only: bool = False,
) -> list[Organization]:
    return await repository.holders_of_codes(
        session,
        corporate_number=corporate_number,
        local_government_code=local_government_code,
        excluding=excluding,
        verified_only=verified_only,
    )


async def initial_status(
    session: AsyncSession,
    viewer: Viewer,
    *,
    kind: OrganizationKind,
    corporate_number: str | None,
    local_government_code: str | None,
    organization_id: uuid.UUID,
) -> Verification:
    """VERIFIED only for a private organization whose codes nobody else claims."""
    await lock_codes(session, corporate_number, local_government_code)
    holders = await _holders(
        session,
        corporate_number=corporate_number,
        local_government_code=local_government_code,
        excluding=organization_id,
    )
    for holder in holders:
        # The holder learns that someone else claims its code, in its own audit log.
        audit.record(
            session,
            action=ORGANIZATION_CODE_CLAIMED,
            organization_id=holder.id,
            actor_user_id=viewer.user_id,
            detail={
                "corporate_number": corporate_number
                if corporate_number == holder.corporate_number
                else None,
                "local_government_code": local_government_code
                if local_government_code == holder.local_government_code
                else None,
                "claimed_by": str(organization_id),
            },
        )
    if kind.is_public or holders:
        return Verification.UNVERIFIED
    return Verification.VERIFIED


def require_verified(organization: Organization, *, to: str, field: str | None = None) -> None:
    """Refuse what only a verified organization may do.

    `to` is what it may not do, already translated, as a verb phrase that follows "may not"
    in English and precedes ことはできません in Japanese: _("sign the declaration")."""
    if organization.verification is not Verification.VERIFIED:
        raise Forbidden(
            _(
                "{organization} is not verified yet, so it may not {to}: a platform operator"
                " verifies public bodies and organizations whose 法人番号 or 団体コード another"
                " organization also claims",
                organization=organization.name,
                to=to,
            ),
            field=field,
            code=ErrorCode.ORGANIZATION_UNVERIFIED,
        )


async def _by_id_or_slug(
    session: AsyncSession, *, organization_id: uuid.UUID | None, slug: str | None
) -> Organization:
    organization = (
        await repository.get(session, organization_id)
        if organization_id is not None
        else await repository.by_slug(session, slug or "")
    )
    if organization is None:
        raise NotFound(
            _("no such organization"), field="organizationId" if slug is None else "slug"
        )
    return organization


async def verify(
    session: AsyncSession,
    *,
    verified_by: str,
    actor_user_id: uuid.UUID | None,
    organization_id: uuid.UUID | None = None,
    slug: str | None = None,
) -> Organization:
    """Verify an organization, as the platform; refused while another holds one of its codes."""
    organization = await _by_id_or_slug(session, organization_id=organization_id, slug=slug)
    await lock_codes(session, organization.corporate_number, organization.local_government_code)
    await session.refresh(organization)
    holders = await _holders(
        session,
        corporate_number=organization.corporate_number,
        local_government_code=organization.local_government_code,
        excluding=organization.id,
        verified_only=True,
    )
    if holders:
        holder = holders[0]
        raise Conflict(
            _(
                "{holder} ({slug}) is the verified holder of {code}: withdraw its verification"
                " first if {organization} is the real holder",
                holder=holder.name,
                slug=holder.slug,
                code=_shared_code(organization, holder),
                organization=organization.name,
            ),
            field="organizationId",
            code=ErrorCode.DUPLICATE,
        )
    if organization.verification is Verification.VERIFIED:
        return organization
    organization.verification = Verification.VERIFIED
    organization.verified_at = datetime.now(UTC)
    organization.verified_by = verified_by
    audit.record(
        session,
        action=ORGANIZATION_VERIFIED,
        organization_id=organization.id,
        actor_user_id=actor_user_id,
        detail=_detail(organization, verified_by),
    )
    await session.flush()
    return organization


async def unverify(
    session: AsyncSession,
    *,
    unverified_by: str,
    actor_user_id: uuid.UUID | None,
    reason: str,
    organization_id: uuid.UUID | None = None,
    slug: str | None = None,
) -> Organization:
    """Withdraw an organization's verification, as the platform (e.g. a squatter's)."""
    organization = await _by_id_or_slug(session, organization_id=organization_id, slug=slug)
    if organization.verification is Verification.UNVERIFIED:
        return organization
    drop(session, organization, actor_user_id=actor_user_id, reason=reason, by=unverified_by)
    await session.flush()
    return organization


def drop(
    session: AsyncSession,
    organization: Organization,
    *,
    actor_user_id: uuid.UUID | None,
    reason: str,
    by: str,
) -> None:
    """Make a verified organization unverified again, recording why."""
    organization.verification = Verification.UNVERIFIED
    organization.verified_at = None
    organization.verified_by = None
    audit.record(
        session,
        action=ORGANIZATION_UNVERIFIED,
        organization_id=organization.id,
        actor_user_id=actor_user_id,
        reason=reason,
        detail=_detail(organization, by),
    )


async def verify_as_operator(
    session: AsyncSession, viewer: Viewer, *, organization_id: uuid.UUID, verified: bool = True
) -> Organization:
    """The operator-only mutation: verify (or withdraw the verification of) an organization."""
    user_id = await require_operator(session, viewer)
    by = f"operator:{viewer.email or user_id}"
    # The operator acts for the platform, not for any organization, for this change only.
    await set_viewer(session, Viewer.platform())
    try:
        if verified:
            return await verify(
                session, verified_by=by, actor_user_id=user_id, organization_id=organization_id
            )
        return await unverify(
            session,
            unverified_by=by,
            actor_user_id=user_id,
            reason="withdrawn by a platform operator",
            organization_id=organization_id,
        )
    finally:
        await set_viewer(session, viewer)


def _shared_code(organization: Organization, holder: Organization) -> str:
    if (
        organization.local_government_code
        and organization.local_government_code == holder.local_government_code
    ):
        return _(
            "local government code (団体コード) {code}", code=organization.local_government_code
        )
    return _("corporate number (法人番号) {number}", number=organization.corporate_number)


def _detail(organization: Organization, by: str) -> dict[str, str | None]:
    return {
        "slug": organization.slug,
        "kind": organization.kind.value,
        "corporate_number": organization.corporate_number,
        "local_government_code": organization.local_government_code,
        "by": by,
    }
