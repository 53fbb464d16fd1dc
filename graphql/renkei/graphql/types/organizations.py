"""Organizations (the tenants), their members, invitations and users."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated

import strawberry

from renkei.graphql.compiled.spec import (
    Guarded,
    Key,
    Many,
    One,
    Page,
    column,
    sql,
    table,
)
from renkei.graphql.context import Info
from renkei.graphql.enums import described_enum
from renkei.graphql.relay import (
    After,
    Before,
    Connection,
    First,
    Last,
    Node,
    PageArgs,
    root_page,
    to_connection,
    to_global_id,
)
from renkei.graphql.types.api_clients import ApiClient
from renkei.graphql.types.geography import Prefecture
from renkei.graphql.types.locales import Locale, locale_of, stored_locale_sql
from renkei.identity import repository as identity
from renkei.identity.models import AuditEvent as AuditEventRow
from renkei.identity.models import User as UserRow
from renkei.organizations import models
from renkei.tenancy import MembershipRole as MembershipRoleValue

_BY_CREATION = (Key("created_at", "timestamptz"), Key("id", "uuid"))
# Viewer.manages in SQL: the acting organization, as its owner or admin (migration 0001's
# renkei_manages, which the policies use too).
MANAGED = "renkei_manages({t}.id)"
# The organization the viewer acts for (as any member).
ACTING = "{t}.id = (SELECT renkei_organization_id())"

if TYPE_CHECKING:
    from renkei.graphql.types.email_domains import DomainClaim
    from renkei.graphql.types.identity import AuditEvent, IdentityProvider
    from renkei.graphql.types.webhooks import WebhookEndpoint

OrganizationKind = described_enum(
    models.OrganizationKind,
    description="産官学金労言士: the kinds of organization in region collaboration.",
    values={
        "PREFECTURE": "A prefecture (都道府県), identified by its JIS X 0401 code.",
        "MUNICIPALITY": "A municipality (市区町村), identified by its 全国地方公共団体コード.",
        "COMPANY": "A firm (産), identified by its 法人番号.",
        "UNIVERSITY": "A university or college (学).",
        "RESEARCH_INSTITUTE": "A research institute, e.g. a 公設試験研究機関 (公設試).",
        "FINANCIAL_INSTITUTION": "A bank or shinkin bank (金, 地域金融機関).",
        "ECONOMIC_ORGANIZATION": "A chamber of commerce or an economic federation (経済団体).",
        "NATIONAL_AGENCY": "A national ministry, agency or its regional bureau (国の機関).",
        "WIDE_AREA_UNION": "A 広域連合: a union of local governments (e.g. 関西広域連合) that can"
        " declare on behalf of its members.",
        "LOCAL_INCORPORATED_AGENCY": "A 地方独立行政法人 (a public university corporation, a"
        " prefecture's research institute); it has a 法人番号, not a 団体コード.",
        "LABOR_ORGANIZATION": "A labour union or federation (労).",
        "MEDIA": "A newspaper, broadcaster or other media (言).",
        "PROFESSIONAL_FIRM": "A firm of licensed professionals (士): lawyers, accountants, ...",
        "NPO": "A non-profit organization (NPO法人, 一般社団法人, ...).",
        "OTHER": "None of the above.",
    },
)
MembershipRole = described_enum(
    MembershipRoleValue,
    description="What a member may do in their organization.",
    values={
        "OWNER": "Owner (オーナー): manages members and settings; an organization keeps at least"
        " one.",
        "ADMIN": "Admin (管理者): manages members and the organization's settings.",
        "MEMBER": "Member (メンバー): works in the organization's regions, projects and talent"
        " needs.",
        "VIEWER": "Viewer (閲覧者): reads what the organization may see; may not write talent"
        " needs.",
    },
)
InvitationStatus = described_enum(
    models.InvitationStatus,
    description="Where an invitation to join an organization stands.",
    values={
        "PENDING": "Sent, not yet answered (回答待ち): the invitee may accept or decline.",
        "ACCEPTED": "The invitee accepted (承諾) and became a member.",
        "DECLINED": "The invitee declined (辞退).",
        "REVOKED": "The organization withdrew it (取消し) before it was answered.",
    },
)
OrganizationVerification = described_enum(
    models.Verification,
    name="OrganizationVerification",
    values={
        "UNVERIFIED": "Not vouched for yet: it may not sign declarations or run a region.",
        "VERIFIED": "The platform vouches for the organization and its codes.",
    },
    description=(
        "VERIFIED when the platform vouches for the organization and its codes. Public bodies, "
        "and organizations claiming a code another one claims, are UNVERIFIED until a platform "
        "operator verifies them: they may not sign declarations or run a region."
    ),
)


@table(UserRow)
@strawberry.type(description="A person who signs in.")
class User(Node):
    row: strawberry.Private[UserRow]
    email: str = column(
        UserRow.email,
        description="The person's email address, as their identity provider vouches for it.",
    )
    display_name: str = column(
        UserRow.display_name, description="The person's name as shown to others, e.g. 筑紫 八重."
    )

    @classmethod
    def from_row(cls, row: UserRow) -> User:
        return cls(id=to_global_id("User", row.id), row=row)

    @strawberry.field(
        description="The organizations this user belongs to, as far as you may see.",
        metadata=sql(Page("Membership", _BY_CREATION, join="{c}.user_id = {t}.id")),
    )
    async def memberships(
        self,
        info: Info,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
    ) -> Connection[Membership]:
        args = PageArgs.of(first, after, last, before)
        page = await info.context.loaders.user_memberships.load((self.row.id, args))
        return to_connection(page, Membership.from_row)


@table(models.Organization)
@strawberry.type(description="An organization: the tenant of Renkei.")
class Organization(Node):
    row: strawberry.Private[models.Organization]
    slug: str = column(
        models.Organization.slug,
        description="A short unique name in addresses (e.g. fukuoka-pref): lower-case"
        " letters, digits, hyphens.",
    )
    name: str = column(
        models.Organization.name, description="Its official name, e.g. 福岡県 or 株式会社阿蘇精密."
    )
    kind: OrganizationKind = column(  # type: ignore[valid-type]
        models.Organization.kind, description="What kind of organization it is (産官学金労言士)."
    )
    corporate_number: str | None = column(
        models.Organization.corporate_number, description="法人番号: 13 digits."
    )
    local_government_code: str | None = column(
        models.Organization.local_government_code,
        description="全国地方公共団体コード: 6 digits, for prefectures and municipalities.",
    )
    demo: bool = column(
        models.Organization.demo,
        description="A fictional organization of the demonstration data, not a real one.",
    )
    verification: OrganizationVerification = column(  # type: ignore[valid-type]
        models.Organization.verification,
        description="Whether a platform operator (or an unclaimed code) vouches for it.",
    )
    created_at: datetime = column(
        models.Organization.created_at, description="When it was created in Renkei."
    )
    require_own_provider: bool = column(
        models.Organization.require_own_provider,
        description="Whether members must sign in through this organization's own identity "
        "provider to act for it.",
    )

    @classmethod
    def from_row(cls, row: models.Organization) -> Organization:
        return cls(id=to_global_id("Organization", row.id), row=row)

    @strawberry.field(
        description="The language its members read when neither they nor their browser chose "
        "one (JA when null); set by its owners and admins (updateOrganization). Null unless "
        "you act for this organization.",
        metadata=sql(Guarded(ACTING, stored_locale_sql("{t}.default_locale"))),
    )
    def default_locale(self, info: Info) -> Locale | None:  # type: ignore[valid-type]
        if info.context.viewer.organization_id != self.row.id:
            return None
        return locale_of(self.row.default_locale)

    @strawberry.field(
        description="The prefecture where it is based.",
        metadata=sql(One("Prefecture", "{c}.code = {t}.home_prefecture_code")),
    )
    def home_prefecture(self) -> Prefecture:
        prefecture = Prefecture.by_code(self.row.home_prefecture_code)
        assert prefecture is not None
        return prefecture

    @strawberry.field(
        description="Members; visible to the members of this organization.",
        metadata=sql(Page("Membership", _BY_CREATION, join="{c}.organization_id = {t}.id")),
    )
    async def members(
        self,
        info: Info,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
    ) -> Connection[Membership]:
        args = PageArgs.of(first, after, last, before)
        page = await info.context.loaders.organization_members.load((self.row.id, args))
        return to_connection(page, Membership.from_row)

    @strawberry.field(
        description="Pending invitations; null unless you manage this organization.",
        metadata=sql(
            Guarded(
                MANAGED,
                Page(
                    "Invitation",
                    _BY_CREATION,
                    join="{c}.organization_id = {t}.id",
                    where="{t}.status = 'PENDING'",
                ),
            )
        ),
    )
    async def invitations(
        self,
        info: Info,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
    ) -> Connection[Invitation] | None:
        if not self._managed_by_viewer(info):
            return None
        args = PageArgs.of(first, after, last, before)
        page = await info.context.loaders.organization_invitations.load((self.row.id, args))
        return to_connection(page, Invitation.from_row)

    def _managed_by_viewer(self, info: Info) -> bool:
        return info.context.viewer.manages(self.row.id)

    @strawberry.field(
        description="API clients, revoked ones too; null unless you manage it.",
        metadata=sql(
            Guarded(
                MANAGED,
                Many("ApiClient", "{c}.organization_id = {t}.id", "{c}.created_at, {c}.id"),
            )
        ),
    )
    async def api_clients(self, info: Info) -> list[ApiClient] | None:
        if not self._managed_by_viewer(info):
            return None
        # Only the acting organization answers, so a request reads these rows once: no loader.
        rows = await info.context.run(
            lambda s: identity.api_clients_of(s, organization_id=self.row.id)
        )
        return [ApiClient.from_row(row) for row in rows]

    @strawberry.field(
        description="Its own OpenID providers; null unless you manage it.",
        metadata=sql(
            Guarded(
                MANAGED,
                Many("IdentityProvider", "{c}.organization_id = {t}.id", "{c}.created_at, {c}.id"),
            )
        ),
    )
    async def identity_providers(
        self, info: Info
    ) -> list[Annotated[IdentityProvider, strawberry.lazy("renkei.graphql.types.identity")]] | None:
        from renkei.graphql.types.identity import IdentityProvider

        if not self._managed_by_viewer(info):
            return None
        rows = await info.context.run(
            lambda s: identity.providers_of(s, organization_ids=[self.row.id])
        )
        return [IdentityProvider.from_row(row) for row in rows]

    @strawberry.field(
        description="Email domains it claims, with each one's status and DNS challenge; null "
        "unless you manage it.",
        metadata=sql(
            Guarded(MANAGED, Many("DomainClaim", "{c}.organization_id = {t}.id", "{c}.domain"))
        ),
    )
    async def domain_claims(
        self, info: Info
    ) -> list[Annotated[DomainClaim, strawberry.lazy("renkei.graphql.types.email_domains")]] | None:
        from renkei.email_domains.repository import claims_of
        from renkei.graphql.types.email_domains import DomainClaim

        if not self._managed_by_viewer(info):
            return None
        rows = await info.context.run(lambda s: claims_of(s, organization_id=self.row.id))
        return [DomainClaim.from_row(row) for row in rows]

    @strawberry.field(
        description="Its webhook endpoints, with their delivery logs; null unless you manage it.",
        metadata=sql(
            Guarded(
                MANAGED,
                Many("WebhookEndpoint", "{c}.organization_id = {t}.id", "{c}.created_at, {c}.id"),
            )
        ),
    )
    async def webhook_endpoints(
        self, info: Info
    ) -> list[Annotated[WebhookEndpoint, strawberry.lazy("renkei.graphql.types.webhooks")]] | None:
        from renkei.graphql.types.webhooks import WebhookEndpoint
        from renkei.webhooks.repository import endpoints_of

        if not self._managed_by_viewer(info):
            return None
        rows = await info.context.run(lambda s: endpoints_of(s, organization_id=self.row.id))
        return [WebhookEndpoint.from_row(row) for row in rows]

    @strawberry.field(
        description="The audit log (sign-ins, refusals, roles, clients), oldest first; "
        "`last: 20` for the newest. Null unless you manage the organization.",
        metadata=sql(
            Guarded(MANAGED, Page("AuditEvent", _BY_CREATION, join="{c}.organization_id = {t}.id"))
        ),
    )
    async def audit_events(
        self,
        info: Info,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
    ) -> Connection[Annotated[AuditEvent, strawberry.lazy("renkei.graphql.types.identity")]] | None:
        from renkei.graphql.types.identity import AuditEvent

        if not self._managed_by_viewer(info):
            return None
        args = PageArgs.of(first, after, last, before)
        page = await root_page(
            info.context,
            identity.audit_events(self.row.id),
            order_by=(AuditEventRow.created_at, AuditEventRow.id),
            args=args,
        )
        return to_connection(page, AuditEvent.from_row)


@table(models.Membership)
@strawberry.type(description="A user's place in an organization, with a role.")
class Membership(Node):
    row: strawberry.Private[models.Membership]
    role: MembershipRole = column(  # type: ignore[valid-type]
        models.Membership.role,
        description="What the member may do: OWNER, ADMIN, MEMBER or VIEWER.",
    )
    created_at: datetime = column(
        models.Membership.created_at, description="When the person joined."
    )

    @classmethod
    def from_row(cls, row: models.Membership) -> Membership:
        return cls(id=to_global_id("Membership", row.id), row=row)

    @strawberry.field(
        description="The organization.",
        metadata=sql(One("Organization", "{c}.id = {t}.organization_id")),
    )
    async def organization(self, info: Info) -> Organization:
        row = await info.context.loaders.organization.load(self.row.organization_id)
        return Organization.from_row(row)

    @strawberry.field(description="The member.", metadata=sql(One("User", "{c}.id = {t}.user_id")))
    async def user(self, info: Info) -> User | None:
        row = await info.context.loaders.user.load(self.row.user_id)
        return User.from_row(row) if row else None


@table(models.Invitation)
@strawberry.type(description="An invitation to join an organization, answered after sign-in.")
class Invitation(Node):
    row: strawberry.Private[models.Invitation]
    email: str = column(models.Invitation.email, description="The address invited.")
    role: MembershipRole = column(  # type: ignore[valid-type]
        models.Invitation.role, description="The role the invitee gets on accepting."
    )
    status: InvitationStatus = column(  # type: ignore[valid-type]
        models.Invitation.status, description="PENDING, ACCEPTED, DECLINED or REVOKED."
    )
    expires_at: datetime = column(
        models.Invitation.expires_at,
        description="When it can no longer be accepted: 14 days after it was sent.",
    )
    created_at: datetime = column(models.Invitation.created_at, description="When it was sent.")

    @classmethod
    def from_row(cls, row: models.Invitation) -> Invitation:
        return cls(id=to_global_id("Invitation", row.id), row=row)

    @strawberry.field(
        description="The organization the invitee would join.",
        metadata=sql(One("Organization", "{c}.id = {t}.organization_id")),
    )
    async def organization(self, info: Info) -> Organization:
        row = await info.context.loaders.organization.load(self.row.organization_id)
        return Organization.from_row(row)
