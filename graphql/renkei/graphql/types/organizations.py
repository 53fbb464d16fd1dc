"""Organizations (the tenants), their members, invitations and users."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated

import strawberry

from renkei.graphql.compiled.json_sql import (
    iso_datetime_sql,
)
from renkei.graphql.compiled.spec import (
    NUMBER,
    WORD,
    Key,
    One,
    Page,
    Scalar,
    register_table,
)
from renkei.graphql.context import Info
from renkei.graphql.relay import (
    Connection,
    Node,
    PageArgs,
    empty_page,
    fetch_pages,
    to_connection,
    to_global_id,
)
from renkei.graphql.types.api_clients import ApiClient
from renkei.graphql.types.geography import Prefecture
from renkei.identity import clients, providers
from renkei.identity import repository as identity
from renkei.identity.models import AuditEvent as AuditEventRow
from renkei.identity.models import User as UserRow
from renkei.organizations import models
from renkei.tenancy import MembershipRole as MembershipRoleValue

if TYPE_CHECKING:
    from renkei.graphql.types.email_domains import DomainClaim
    from renkei.graphql.types.identity import AuditEvent, IdentityProvider

OrganizationKind = strawberry.enum(
    models.OrganizationKind,
    description="産官学金労言士: the kinds of organization in region collaboration.",
)
MembershipRole = strawberry.enum(MembershipRoleValue, description="What a member may do.")
InvitationStatus = strawberry.enum(models.InvitationStatus)
OrganizationVerification = strawberry.enum(
    models.Verification,
    name="OrganizationVerification",
    description=(
        "VERIFIED when the platform vouches for the organization and its codes. Public bodies, "
        "and organizations claiming a code another one claims, are UNVERIFIED until a platform "
        "operator verifies them: they may not sign declarations or run a region."
    ),
)


@strawberry.type(description="A person who signs in.")
class User(Node):
    email: str
    display_name: str
    row: strawberry.Private[UserRow]

    @classmethod
    def from_row(cls, row: UserRow) -> User:
        return cls(
            id=to_global_id("User", row.id),
            email=row.email,
            display_name=row.display_name,
            row=row,
        )

    @strawberry.field(description="The organizations this user belongs to, as far as you may see.")
    async def memberships(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> Connection[Membership]:
        args = PageArgs.of(first, after, last, before)
        page = await info.context.loaders.user_memberships.load((self.row.id, args))
        return to_connection(page, Membership.from_row)


@strawberry.type(description="An organization: the tenant of Renkei.")
class Organization(Node):
    slug: str
    name: str
    kind: OrganizationKind  # type: ignore[valid-type]
    corporate_number: str | None = strawberry.field(description="法人番号: 13 digits.")
    local_government_code: str | None = strawberry.field(
        description="全国地方公共団体コード: 6 digits, for prefectures and municipalities."
    )
    verification: OrganizationVerification = strawberry.field(  # type: ignore[valid-type]
        description="Whether a platform operator (or an unclaimed code) vouches for it."
    )
    created_at: datetime
    require_own_provider: bool = strawberry.field(
        description="Whether members must sign in through this organization's own identity "
        "provider to act for it."
    )
    row: strawberry.Private[models.Organization]

    @classmethod
    def from_row(cls, row: models.Organization) -> Organization:
        return cls(
            id=to_global_id("Organization", row.id),
            slug=row.slug,
            name=row.name,
            kind=row.kind,
            corporate_number=row.corporate_number,
            local_government_code=row.local_government_code,
            verification=row.verification,
            created_at=row.created_at,
            require_own_provider=row.require_own_provider,
            row=row,
        )

    @strawberry.field
    def home_prefecture(self) -> Prefecture:
        prefecture = Prefecture.by_code(self.row.home_prefecture_code)
        assert prefecture is not None
        return prefecture

    @strawberry.field(description="Members; visible to the members of this organization.")
    async def members(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> Connection[Membership]:
        args = PageArgs.of(first, after, last, before)
        page = await info.context.loaders.organization_members.load((self.row.id, args))
        return to_connection(page, Membership.from_row)

    @strawberry.field(description="Pending invitations; null unless you manage this organization.")
    async def invitations(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> Connection[Invitation] | None:
        if not self._managed_by_viewer(info):
            return None
        args = PageArgs.of(first, after, last, before)
        page = await info.context.loaders.organization_invitations.load((self.row.id, args))
        return to_connection(page, Invitation.from_row)

    def _managed_by_viewer(self, info: Info) -> bool:
        return info.context.viewer.manages(self.row.id)

    @strawberry.field(description="API clients, revoked ones too; null unless you manage it.")
    async def api_clients(self, info: Info) -> list[ApiClient] | None:
        if not self._managed_by_viewer(info):
            return None
        # Only the acting organization answers, so a request reads these rows once: no loader.
        rows = await info.context.run(lambda s: clients.clients_of(s, self.row.id))
        return [ApiClient.from_row(row) for row in rows]

    @strawberry.field(description="Its own OpenID providers; null unless you manage it.")
    async def identity_providers(
        self, info: Info
    ) -> list[Annotated[IdentityProvider, strawberry.lazy("renkei.graphql.types.identity")]] | None:
        from renkei.graphql.types.identity import IdentityProvider

        if not self._managed_by_viewer(info):
            return None
        rows = await info.context.run(lambda s: providers.of_organizations(s, [self.row.id]))
        public_url = info.context.sign_in.public_url if info.context.sign_in else ""
        redirect_uri = f"{public_url}/auth/callback/{self.row.slug}"
        return [IdentityProvider.from_row(row, redirect_uri=redirect_uri) for row in rows]

    @strawberry.field(
        description="Email domains it claims, with each one's status and DNS challenge; null "
        "unless you manage it."
    )
    async def domain_claims(
        self, info: Info
    ) -> list[Annotated[DomainClaim, strawberry.lazy("renkei.graphql.types.email_domains")]] | None:
        from renkei.email_domains.service import claims_of
        from renkei.graphql.types.email_domains import DomainClaim

        if not self._managed_by_viewer(info):
            return None
        rows = await info.context.run(lambda s: claims_of(s, self.row.id))
        return [DomainClaim.from_row(row) for row in rows]

    @strawberry.field(
        description="The audit log (sign-ins, refusals, roles, clients), oldest first; "
        "`last: 20` for the newest. Null unless you manage the organization."
    )
    async def audit_events(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> Connection[Annotated[AuditEvent, strawberry.lazy("renkei.graphql.types.identity")]] | None:
        from renkei.graphql.types.identity import AuditEvent

        if not self._managed_by_viewer(info):
            return None
        args = PageArgs.of(first, after, last, before)
        pages = await info.context.run(
            lambda s: fetch_pages(
                s,
                identity.audit_events(self.row.id),
                order_by=(AuditEventRow.created_at, AuditEventRow.id),
                args=args,
            )
        )
        page = next(iter(pages.values()), empty_page(args))
        actors = await info.context.loaders.user.load_many(
            [r.actor_user_id for r in page.rows if r.actor_user_id]
        )
        emails = {a.id: a.email for a in actors if a is not None}
        return to_connection(
            page,
            lambda row: AuditEvent.from_row(row, actor_email=emails.get(row.actor_user_id)),
        )


@strawberry.type(description="A user's place in an organization, with a role.")
class Membership(Node):
    role: MembershipRole  # type: ignore[valid-type]
    created_at: datetime
    row: strawberry.Private[models.Membership]

    @classmethod
    def from_row(cls, row: models.Membership) -> Membership:
        return cls(
            id=to_global_id("Membership", row.id),
            role=row.role,
            created_at=row.created_at,
            row=row,
        )

    @strawberry.field
    async def organization(self, info: Info) -> Organization:
        row = await info.context.loaders.organization.load(self.row.organization_id)
        return Organization.from_row(row)

    @strawberry.field
    async def user(self, info: Info) -> User | None:
        row = await info.context.loaders.user.load(self.row.user_id)
        return User.from_row(row) if row else None


@strawberry.type(description="An invitation to join an organization, answered after sign-in.")
class Invitation(Node):
    email: str
    role: MembershipRole  # type: ignore[valid-type]
    status: InvitationStatus  # type: ignore[valid-type]
    expires_at: datetime
    created_at: datetime
    row: strawberry.Private[models.Invitation]

    @classmethod
    def from_row(cls, row: models.Invitation) -> Invitation:
        return cls(
            id=to_global_id("Invitation", row.id),
            email=row.email,
            role=row.role,
            status=row.status,
            expires_at=row.expires_at,
            created_at=row.created_at,
            row=row,
        )

    @strawberry.field
    async def organization(self, info: Info) -> Organization:
        row = await info.context.loaders.organization.load(self.row.organization_id)
        return Organization.from_row(row)


_BY_NAME = (Key("name"), Key("id", "uuid"))
_BY_CREATION = (Key("created_at", "timestamptz"), Key("id", "uuid"))
register_table(
    "Organization",
    "organizations",
    {
        "slug": Scalar("{t}.slug"),
        "name": Scalar("{t}.name"),
        "kind": Scalar("{t}.kind", WORD),
        "corporate_number": Scalar("{t}.corporate_number"),
        "local_government_code": Scalar("{t}.local_government_code"),
        "verification": Scalar("{t}.verification", WORD),
        "created_at": Scalar(iso_datetime_sql("{t}.created_at"), WORD),
        "require_own_provider": Scalar("{t}.require_own_provider", NUMBER),
        "home_prefecture": One("Prefecture", "{c}.code = {t}.home_prefecture_code"),
        "members": Page("Membership", _BY_CREATION, join="{c}.organization_id = {t}.id"),
    },
)
register_table(
    "Membership",
    "memberships",
    {
        "role": Scalar("{t}.role", WORD),
        "created_at": Scalar(iso_datetime_sql("{t}.created_at"), WORD),
        "organization": One("Organization", "{c}.id = {t}.organization_id"),
        "user": One("User", "{c}.id = {t}.user_id"),
    },
)
register_table(
    "User",
    "users",
    {
        "email": Scalar("{t}.email"),
        "display_name": Scalar("{t}.display_name"),
        "memberships": Page("Membership", _BY_CREATION, join="{c}.user_id = {t}.id"),
    },
)
