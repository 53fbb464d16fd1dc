"""The signed-in caller, their acting organization and what they may do."""

from __future__ import annotations

import strawberry

from renkei.graphql.context import Info
from renkei.graphql.types.organizations import Invitation, MembershipRole, Organization, User
from renkei.organizations import repository


@strawberry.type(description="You: the user behind the token, acting for one organization.")
class Viewer:
    user: User
    role: MembershipRole | None = strawberry.field(  # type: ignore[valid-type]
        description="Your role in the acting organization."
    )
    scopes: list[str]

    @strawberry.field(description="The organization you act for in this request.")
    async def acting_organization(self, info: Info) -> Organization | None:
        organization_id = info.context.viewer.organization_id
        if organization_id is None:
            return None
        row = await info.context.loaders.organization.load(organization_id)
        return Organization.from_row(row) if row else None

    @strawberry.field(description="Invitations waiting for your answer.")
    async def invitations(self, info: Info) -> list[Invitation]:
        email = info.context.viewer.email or ""
        rows = await info.context.run(lambda s: repository.pending_for_email(s, email))
        return [Invitation.from_row(r) for r in rows]
