"""Identity providers and the audit log, as an organization's admins see them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import strawberry
from strawberry.scalars import JSON

from renkei.graphql.compiled.spec import (
    PUBLIC_URL,
    WORD,
    Many,
    Scalar,
    column,
    computed,
    sql,
    table,
)
from renkei.graphql.context import Info
from renkei.graphql.relay import Node, to_global_id
from renkei.graphql.types.organizations import MembershipRole
from renkei.identity.models import AuditEvent as AuditEventRow
from renkei.identity.models import IdentityProvider as IdentityProviderRow

# The pairs of a provider's role mapping, in code point order as Python's sorted() has them.
ROLE_MAPPING_PAIRS = "jsonb_each_text"
# Register at the provider: the server's address, then the organization's callback.
REDIRECT_URI = (
    f"CAST({PUBLIC_URL} AS text) || '/auth/callback/' ||"
    " (SELECT o.slug FROM organizations o WHERE o.id = {t}.organization_id)"
)


async def _redirect_uri(root: IdentityProvider, info: Info) -> str:
    organization = await info.context.loaders.organization.load(root.row.organization_id)
    public_url = info.context.sign_in.public_url if info.context.sign_in else ""
    return f"{public_url}/auth/callback/{organization.slug}"


@table(ROLE_MAPPING_PAIRS)
@strawberry.type(description="A group or role value from the provider and the role it gives.")
class RoleMappingEntry:
    row: strawberry.Private[tuple[str, Any]]
    value: str = computed(Scalar("{t}.key"), lambda row: row[0])
    role: MembershipRole = computed(  # type: ignore[valid-type]
        Scalar("{t}.value", WORD), lambda row: row[1]
    )


@table(IdentityProviderRow)
@strawberry.type(
    description="An organization's own OpenID provider. The client secret is never returned."
)
class IdentityProvider(Node):
    row: strawberry.Private[IdentityProviderRow]
    name: str = column(IdentityProviderRow.name)
    issuer: str = column(IdentityProviderRow.issuer)
    client_id: str = column(IdentityProviderRow.client_id)
    email_domains: list[str] = column(IdentityProviderRow.email_domains)
    jit_provisioning: bool = column(
        IdentityProviderRow.jit_provisioning,
        description="Whether first sign-ins become members (with the mapped or default role).",
    )
    role_claim: str | None = column(IdentityProviderRow.role_claim)

    role_mapping: list[RoleMappingEntry] = computed(
        Many(
            "RoleMappingEntry",
            "true",
            '{c}.key COLLATE "C"',
            source=f"{ROLE_MAPPING_PAIRS}({{t}}.role_mapping) {{c}}",
        ),
        lambda row: [RoleMappingEntry(row=pair) for pair in sorted(row.role_mapping.items())],
    )
    default_role: MembershipRole = column(IdentityProviderRow.default_role)  # type: ignore[valid-type]
    enabled: bool = column(IdentityProviderRow.enabled)

    redirect_uri: str = strawberry.field(
        resolver=_redirect_uri,
        description="Register this redirect URI at the provider for this organization.",
        metadata=sql(Scalar(REDIRECT_URI)),
    )
    created_at: datetime = column(IdentityProviderRow.created_at)

    @classmethod
    def from_row(cls, row: IdentityProviderRow) -> IdentityProvider:
        return cls(id=to_global_id("IdentityProvider", row.id), row=row)


@table(AuditEventRow)
@strawberry.type(description="One entry of the append-only audit log.")
class AuditEvent(Node):
    row: strawberry.Private[AuditEventRow]
    action: str = column(AuditEventRow.action)
    outcome: str = column(AuditEventRow.outcome)
    reason: str | None = column(AuditEventRow.reason)
    detail: JSON = column(AuditEventRow.detail)
    created_at: datetime = column(AuditEventRow.created_at)

    @strawberry.field(
        metadata=sql(Scalar("(SELECT u.email FROM users u WHERE u.id = {t}.actor_user_id)"))
    )
    async def actor_email(self, info: Info) -> str | None:
        if self.row.actor_user_id is None:
            return None
        actor = await info.context.loaders.user.load(self.row.actor_user_id)
        return actor.email if actor is not None else None

    @classmethod
    def from_row(cls, row: AuditEventRow) -> AuditEvent:
        return cls(id=to_global_id("AuditEvent", row.id), row=row)
