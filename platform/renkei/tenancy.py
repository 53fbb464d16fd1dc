"""Who is acting: the viewer, and how it is put into each transaction for row-level security.

PostgreSQL policies read these settings through the `renkei_*()` SQL functions that the first
migration defines. They are set with `set_config(..., true)`, so they end with the transaction
and a pooled connection never carries one request's viewer into the next.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from enum import StrEnum

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from renkei.errors import Forbidden, Unauthenticated
from renkei.i18n.messages import N_, _


class MembershipRole(StrEnum):
    OWNER = "OWNER"
    ADMIN = "ADMIN"
    MEMBER = "MEMBER"
    VIEWER = "VIEWER"

    @property
    def manages_members(self) -> bool:
        return self in (MembershipRole.OWNER, MembershipRole.ADMIN)


# What people read for each role; translate with _() where shown.
MEMBERSHIP_ROLES = {
    MembershipRole.OWNER: N_("owner"),
    MembershipRole.ADMIN: N_("admin"),
    MembershipRole.MEMBER: N_("member"),
    MembershipRole.VIEWER: N_("viewer"),
}


@dataclass(frozen=True)
class Viewer:
    """The caller of one request or job.

    `system` is for the platform's own work (workers, sign-in, seeding): it sees every row.
    Resolvers never build a system viewer.
    """

    user_id: uuid.UUID | None = None
    email: str | None = None
    organization_id: uuid.UUID | None = None
    role: MembershipRole | None = None
    scopes: frozenset[str] = field(default_factory=frozenset)
    system: bool = False
    # The language the user saved, and their organization's default (renkei.i18n.negotiation).
    locale: str | None = None
    organization_locale: str | None = None

    @classmethod
    def anonymous(cls) -> Viewer:
        return cls()

    @classmethod
    def platform(cls) -> Viewer:
        return cls(system=True)

    @property
    def is_authenticated(self) -> bool:
        return self.user_id is not None

    def acting_as(self, organization_id: uuid.UUID, role: MembershipRole) -> Viewer:
        return Viewer(
            user_id=self.user_id,
            email=self.email,
            organization_id=organization_id,
            role=role,
            scopes=self.scopes,
            system=self.system,
            locale=self.locale,
        )

    def has_scope(self, scope: str) -> bool:
        return self.system or scope in self.scopes

    def manages(self, organization_id: uuid.UUID) -> bool:
        """Whether the viewer acts for this organization as one of its owners or admins."""
        return self.organization_id == organization_id and bool(
            self.role and self.role.manages_members
        )


def require_manager(
    viewer: Viewer, organization_id: uuid.UUID, *, to: str | None = None
) -> uuid.UUID:
    """The acting user's id, if they manage the organization; Unauthenticated or Forbidden.

    `to` is what the refused viewer wanted, translated, as a verb phrase (_("found a region"));
    translated again here, so a phrase marked with N_() works too."""
    if viewer.user_id is None:
        raise Unauthenticated(_("sign in first"))
    if not viewer.manages(organization_id):
        raise Forbidden(
            _("only the organization's owners and admins may {to}", to=_(to))
            if to
            else _("only the organization's owners and admins may do this")
        )
    return viewer.user_id


_SET_VIEWER = text(
    "SELECT set_config('renkei.user_id', :user_id, true),"
    " set_config('renkei.email', :email, true),"
    " set_config('renkei.organization_id', :organization_id, true),"
    " set_config('renkei.role', :role, true),"
    " set_config('renkei.system', :system, true),"
    # Forget the last viewer's visible projects (renkei_project_ids keeps them per transaction).
    " set_config('renkei.project_ids', '', true)"
)


async def set_viewer(session: AsyncSession, viewer: Viewer) -> None:
    """Put the viewer into the current transaction; every setting is written, empty when unset."""
    await session.execute(
        _SET_VIEWER,
        {
            "user_id": str(viewer.user_id or ""),
            "email": (viewer.email or "").lower(),
            "organization_id": str(viewer.organization_id or ""),
            "role": viewer.role.value if viewer.role else "",
            "system": "on" if viewer.system else "",
        },
    )
