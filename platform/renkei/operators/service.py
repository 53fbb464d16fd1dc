"""Who operates the platform: granted and revoked from the command line, checked by the
operator-only mutations (verifying domains and organizations)."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from renkei import audit
from renkei.errors import Forbidden, NotFound, Unauthenticated
from renkei.i18n.messages import _
from renkei.identity.models import User
from renkei.identity.repository import get_user_by_email
from renkei.operators import repository
from renkei.operators.models import PlatformOperator
from renkei.tenancy import Viewer


async def is_operator(session: AsyncSession, user_id: uuid.UUID) -> bool:
    """Whether the user operates the platform (only a user's own row is visible to them)."""
    return await repository.is_operator(session, user_id=user_id)


async def require_operator(session: AsyncSession, viewer: Viewer) -> uuid.UUID:
    """The viewer's user id if they operate the platform; Forbidden otherwise."""
    if viewer.user_id is None:
        raise Unauthenticated(_("sign in first"))
    if not await is_operator(session, viewer.user_id):
        raise Forbidden(_("only the platform's operators may do this"))
    return viewer.user_id


async def grant(session: AsyncSession, *, email: str, granted_by: str) -> User:
    """Make a user an operator (as the platform, from the command line); audited."""
    user = await get_user_by_email(session, email)
    if user is None:
        raise NotFound(_("no user with the address {email}", email=email), field="email")
    if not await is_operator(session, user.id):
        session.add(PlatformOperator(user_id=user.id, granted_by=granted_by))
        audit.record(
            session,
            action=audit.OPERATOR_GRANTED,
            organization_id=None,
            actor_user_id=None,
            detail={"user_id": str(user.id), "granted_by": granted_by},
        )
        await session.flush()
    return user


async def revoke(session: AsyncSession, *, email: str, revoked_by: str) -> None:
    user = await get_user_by_email(session, email)
    if user is None:
        raise NotFound(_("no user with the address {email}", email=email), field="email")
    row = await session.get(PlatformOperator, user.id)
    if row is not None:
        await session.delete(row)
        audit.record(
            session,
            action=audit.OPERATOR_REVOKED,
            organization_id=None,
            actor_user_id=None,
            detail={"user_id": str(user.id), "revoked_by": revoked_by},
        )
        await session.flush()
