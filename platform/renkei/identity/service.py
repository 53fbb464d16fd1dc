"""Users and the viewer a request acts as."""

from __future__ import annotations

import uuid
from dataclasses import replace

from sqlalchemy.ext.asyncio import AsyncSession

from renkei import audit
from renkei.errors import Forbidden, Invalid, NotFound, Unauthenticated
from renkei.i18n.messages import Locale, _, as_locale
from renkei.identity import repository, sign_in_policy
from renkei.identity.models import BrowserSession, User
from renkei.identity.tokens import Claims
from renkei.tenancy import Viewer, set_viewer


def normalize_email(email: str) -> str:
    email = email.strip().lower()
    local, _at, domain = email.partition("@")
    if not local or "." not in domain or " " in email or len(email) > 320:
        raise Invalid(_("{email} is not an email address", email=repr(email)), field="email")
    return email


async def ensure_user(
    session: AsyncSession, viewer: Viewer, *, email: str, display_name: str
) -> User:
    """The user with this address, created on first sight. Only the platform creates users."""
    if not viewer.system:
        raise Forbidden(_("only the platform creates users"))
    email = normalize_email(email)
    user = await repository.get_user_by_email(session, email)
    if user is None:
        user = User(email=email, display_name=display_name.strip() or email)
        session.add(user)
        await session.flush()
    return user


async def viewer_for(
    session: AsyncSession,
    user_id: uuid.UUID,
    *,
    organization_id: uuid.UUID | None,
    scopes: frozenset[str],
    browser_session_id: uuid.UUID | None = None,
) -> Viewer:
    """The viewer for a user acting for an organization; the role comes from the database.

    One statement reads the user and their role and puts the viewer into the transaction.
    An organization the user does not belong to is ignored: they act for none. With
    `browser_session_id` (a token's `sid`), the same statement checks that session still lives.
    """
    try:
        found = await repository.act_as(
            session, user_id, organization_id, browser_session_id=browser_session_id
        )
    except repository.SessionEnded as exc:
        raise Unauthenticated(_("the session that issued this token has ended")) from exc
    if found is None:
        raise Unauthenticated(_("the token's user no longer exists"))
    if found.deactivated:
        raise Unauthenticated(_("this account is deactivated"))
    viewer = Viewer(user_id=user_id, email=found.email.lower(), scopes=scopes, locale=found.locale)
    if organization_id is not None and found.role is not None:
        viewer = replace(
            viewer.acting_as(organization_id, found.role),
            organization_locale=found.organization_locale,
        )
    return viewer


async def viewer_from_claims(session: AsyncSession, claims: Claims) -> Viewer:
    """Build the request's viewer from a verified access token."""
    return await viewer_for(
        session,
        claims.user_id,
        organization_id=claims.organization_id,
        scopes=claims.scopes,
        browser_session_id=claims.session_id,
    )


def check_locale(locale: str | None, *, field: str = "locale") -> Locale | None:
    """A locale to save: `ja`, `en`, or None (follow the browser, then the organization)."""
    if locale is None:
        return None
    if as_locale(locale) != locale:
        raise Invalid(_("Renkei speaks ja and en, not {locale}", locale=locale), field=field)
    return as_locale(locale)


async def update_preferences(
    session: AsyncSession, viewer: Viewer, *, locale: str | None
) -> tuple[User, Viewer]:
    """Save the viewer's language (None: follow their browser, then their organization's
    default); the user, and the viewer as it reads from now on."""
    if viewer.user_id is None:
        raise Unauthenticated(_("sign in first"))
    saved = check_locale(locale)
    user = await session.get(User, viewer.user_id)
    if user is None:
        raise Unauthenticated(_("the token's user no longer exists"))
    user.locale = saved
    await session.flush()
    return user, replace(viewer, locale=saved)


async def switch_organization(
    session: AsyncSession,
    viewer: Viewer,
    *,
    organization_id: uuid.UUID,
    browser_session_id: uuid.UUID | None,
) -> Viewer:
    """Act for another organization the user belongs to; a browser session remembers it."""
    if viewer.user_id is None:
        raise Unauthenticated(_("sign in first"))
    role = await repository.role_in(session, viewer.user_id, organization_id)
    if role is None:
        raise NotFound(_("you are not a member of this organization"), field="organizationId")
    await sign_in_policy.check_may_act_for(
        session, organization_id, browser_session_id=browser_session_id
    )
    if browser_session_id is not None:
        row = await session.get(BrowserSession, browser_session_id)
        if row is not None:
            row.organization_id = organization_id
    switched = viewer.acting_as(organization_id, role)
    await set_viewer(session, switched)
    audit.record(
        session,
        action=audit.ORGANIZATION_SWITCHED,
        organization_id=organization_id,
        actor_user_id=viewer.user_id,
    )
    await session.flush()
    return switched
