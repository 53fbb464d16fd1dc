"""Users and the viewer a request acts as."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from renkei.errors import Forbidden, Invalid, Unauthenticated
from renkei.identity import repository
from renkei.identity.models import User
from renkei.identity.tokens import Claims
from renkei.tenancy import Viewer, set_viewer


def normalize_email(email: str) -> str:
    email = email.strip().lower()
    local, _, domain = email.partition("@")
    if not local or "." not in domain or " " in email or len(email) > 320:
        raise Invalid(f"{email!r} is not an email address", field="email")
    return email


async def ensure_user(
    session: AsyncSession, viewer: Viewer, *, email: str, display_name: str
) -> User:
    """The user with this address, created on first sight. Only the platform creates users."""
    if not viewer.system:
        raise Forbidden("only the platform creates users")
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
) -> Viewer:
    """The viewer for a user acting for an organization; the role comes from the database.

    An organization the user does not belong to is ignored: they act for none.
    """
    await set_viewer(session, Viewer(user_id=user_id))
    found = await repository.user_with_role(session, user_id, organization_id)
    if found is None:
        raise Unauthenticated("the token's user no longer exists")
    user, role = found
    viewer = Viewer(user_id=user.id, email=user.email, scopes=scopes)
    if organization_id is not None and role is not None:
        viewer = viewer.acting_as(organization_id, role)
    await set_viewer(session, viewer)
    return viewer


async def viewer_from_claims(session: AsyncSession, claims: Claims) -> Viewer:
    """Build the request's viewer from a verified access token."""
    return await viewer_for(
        session, claims.user_id, organization_id=claims.organization_id, scopes=claims.scopes
    )
