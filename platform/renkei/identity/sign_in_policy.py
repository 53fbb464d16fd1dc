"""How an organization's members must sign in to act for it.

With `require_own_provider` ("members must sign in through our provider"), acting for the
organization needs a browser session that one of its own identity providers authenticated.
A bearer token carries no such proof: `switchOrganization` into such an organization from a token
without a browser session is refused. Turning the rule on sends browser sessions that switched in
from another organization's sign-in back to that organization; access tokens already issued for
it keep working until they expire (RENKEI_TOKEN_TTL_SECONDS).
"""

from __future__ import annotations

import uuid

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from renkei import audit
from renkei.email_domains.service import as_platform
from renkei.errors import Forbidden, Invalid, NotFound
from renkei.i18n.messages import _
from renkei.identity import repository
from renkei.identity.models import BrowserSession
from renkei.organizations.models import Organization
from renkei.tenancy import Viewer, require_manager

SIGN_IN_POLICY_CHANGED = "sign_in_policy_changed"


async def _has_vouching_provider(session: AsyncSession, organization_id: uuid.UUID) -> bool:
    return await repository.has_vouching_provider(session, organization_id=organization_id)


async def set_require_own_provider(
    session: AsyncSession, viewer: Viewer, *, organization_id: uuid.UUID, required: bool
) -> Organization:
    """Admins decide whether acting for their organization needs its own provider's sign-in."""
    user_id = require_manager(viewer, organization_id, to=_("decide how its members sign in"))
    organization = await session.get(Organization, organization_id)
    if organization is None:
        raise NotFound(_("no such organization"), field="organizationId")
    if required and not await _has_vouching_provider(session, organization_id):
        raise Invalid(
            _(
                "register an identity provider and verify one of its email domains first: "
                "otherwise nobody could act for this organization"
            ),
            field="requireOwnProvider",
        )
    if organization.require_own_provider != required:
        organization.require_own_provider = required
        if required:
            await _send_strangers_home(session, viewer, organization_id)
        audit.record(
            session,
            action=SIGN_IN_POLICY_CHANGED,
            organization_id=organization_id,
            actor_user_id=user_id,
            detail={"require_own_provider": required},
        )
        await session.flush()
    return organization


async def _send_strangers_home(
    session: AsyncSession, viewer: Viewer, organization_id: uuid.UUID
) -> None:
    """Browser sessions acting for the organization that another provider authenticated act
    again for the organization that authenticated them (they switched in before the rule)."""
    async with as_platform(session, viewer):
        await session.execute(
            update(BrowserSession)
            .where(
                BrowserSession.organization_id == organization_id,
                BrowserSession.authenticated_organization_id.is_distinct_from(organization_id),
            )
            .values(organization_id=BrowserSession.authenticated_organization_id)
            .execution_options(synchronize_session=False)
        )


async def check_may_act_for(
    session: AsyncSession, organization_id: uuid.UUID, *, browser_session_id: uuid.UUID | None
) -> None:
    """Refuse to act for an organization that requires its own provider, unless this browser
    session was authenticated by one of its providers."""
    organization = await session.get(Organization, organization_id)
    if organization is None or not organization.require_own_provider:
        return
    row = await session.get(BrowserSession, browser_session_id) if browser_session_id else None
    if row is None or row.authenticated_organization_id != organization.id:
        raise Forbidden(
            _(
                "{organization} requires its members to sign in through its own identity "
                "provider: sign in at /auth/login?org={slug}",
                organization=organization.name,
                slug=organization.slug,
            ),
            field="organizationId",
        )
