"""Every query of the identity domain."""

from __future__ import annotations

import uuid

from sqlalchemy import Select, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from renkei.identity.models import AuditEvent, User
from renkei.organizations.models import Membership
from renkei.tenancy import MembershipRole


async def get_user_by_email(session: AsyncSession, email: str) -> User | None:
    return await session.scalar(select(User).where(User.email == email.lower()))


async def role_in(
    session: AsyncSession, user_id: uuid.UUID, organization_id: uuid.UUID
) -> MembershipRole | None:
    return await session.scalar(
        select(Membership.role).where(
            Membership.user_id == user_id, Membership.organization_id == organization_id
        )
    )


async def users_by_ids(session: AsyncSession, ids: list[uuid.UUID]) -> list[User]:
    return list((await session.scalars(select(User).where(User.id.in_(ids)))).all())


def audit_events(organization_id: uuid.UUID) -> Select[AuditEvent]:
    return select(AuditEvent).where(AuditEvent.organization_id == organization_id)


_ACT_AS = text(
    "SELECT email, role, deactivated FROM renkei_act_as(CAST(:user_id AS uuid),"
    " CAST(:organization_id AS uuid))"
)
# A token a browser session handed out also asks whether that session lives (migration 0014):
# one lookup by primary key, in the same statement.
_ACT_AS_IN_SESSION = text(
    "SELECT email, role, deactivated, renkei_session_live(CAST(:session_id AS uuid),"
    " CAST(:user_id AS uuid)) AS live FROM renkei_act_as(CAST(:user_id AS uuid),"
    " CAST(:organization_id AS uuid))"
)


class SessionEnded(Exception):
    """The browser session that handed out a token has ended (logout, expiry)."""


async def act_as(
    session: AsyncSession,
    user_id: uuid.UUID,
    organization_id: uuid.UUID | None,
    *,
    browser_session_id: uuid.UUID | None = None,
) -> tuple[str, MembershipRole | None, bool] | None:
    """Set the user (and their role in the organization) as the transaction's viewer, reading
    them in the same statement (migration 0007): (email, role, deactivated), or None.
    With `browser_session_id`, raise SessionEnded unless that session of the user is live."""
    parameters = {
        "user_id": str(user_id),
        "organization_id": str(organization_id) if organization_id else None,
    }
    if browser_session_id is None:
        row = (await session.execute(_ACT_AS, parameters)).first()
    else:
        parameters["session_id"] = str(browser_session_id)
        row = (await session.execute(_ACT_AS_IN_SESSION, parameters)).first()
        if row is not None and not row.live:
            raise SessionEnded
    if row is None:
        return None
    return row.email, MembershipRole(row.role) if row.role else None, row.deactivated
