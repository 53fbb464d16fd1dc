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
    value: str = computed(
        Scalar("{t}.key"),
        lambda row: row[0],
        description="A value of the role claim, e.g. a group name.",
    )
    role: MembershipRole = computed(  # type: ignore[valid-type]
        Scalar("{t}.value", WORD), lambda row: row[1], description="The membership role it gives."
    )


@table(IdentityProviderRow)
@strawberry.type(
    description="An organization's own OpenID provider. The client secret is never returned."
)
class IdentityProvider(Node):
    row: strawberry.Private[IdentityProviderRow]
    name: str = column(
        IdentityProviderRow.name, description="The name people see on the sign-in page."
    )
    issuer: str = column(
        IdentityProviderRow.issuer, description="The provider's issuer URL (OpenID Connect)."
    )
    client_id: str = column(
        IdentityProviderRow.client_id,
        description="The client id Renkei is registered under at the provider.",
    )
    email_domains: list[str] = column(
        IdentityProviderRow.email_domains,
        description="The email domains it signs people in for (each only once verified).",
    )
    jit_provisioning: bool = column(
        IdentityProviderRow.jit_provisioning,
        description="Whether first sign-ins become members (with the mapped or default role).",
    )
    role_claim: str | None = column(
        IdentityProviderRow.role_claim,
        description="The ID token claim roles are read from (e.g. groups); null:"
        " everyone gets defaultRole.",
    )

    role_mapping: list[RoleMappingEntry] = computed(
        Many(
            "RoleMappingEntry",
            "true",
            '{c}.key COLLATE "C"',
            source=f"{ROLE_MAPPING_PAIRS}({{t}}.role_mapping) {{c}}",
        ),
        lambda row: [RoleMappingEntry(row=pair) for pair in sorted(row.role_mapping.items())],
        description="Role claim values and the roles they give.",
    )
    default_role: MembershipRole = column(  # type: ignore[valid-type]
        IdentityProviderRow.default_role, description="The role when no mapping matches."
    )
    enabled: bool = column(
        IdentityProviderRow.enabled, description="Whether people can sign in through it now."
    )

    redirect_uri: str = strawberry.field(
        resolver=_redirect_uri,
        description="Register this redirect URI at the provider for this organization.",
        metadata=sql(Scalar(REDIRECT_URI)),
    )
    created_at: datetime = column(
        IdentityProviderRow.created_at, description="When it was registered."
    )

    @classmethod
    def from_row(cls, row: IdentityProviderRow) -> IdentityProvider:
        return cls(id=to_global_id("IdentityProvider", row.id), row=row)


@table(AuditEventRow)
@strawberry.type(description="One entry of the append-only audit log.")
class AuditEvent(Node):
    row: strawberry.Private[AuditEventRow]
    action: str = column(
        AuditEventRow.action,
        description="What happened, as a stable key: sign_in, sign_out, role_changed,"
        " member_removed, identity_provider_registered, api_client_created,"
        " ...",
    )
    outcome: str = column(AuditEventRow.outcome, description="success or failure.")
    reason: str | None = column(
        AuditEventRow.reason, description="Why it failed, for a failure; null otherwise."
    )
    detail: JSON = column(
        AuditEventRow.detail,
        description="The event's particulars as a JSON object, e.g. the role before and after.",
    )
    created_at: datetime = column(AuditEventRow.created_at, description="When it happened.")

    @strawberry.field(
        description="The email of the person who acted; null for the platform or a"
        " removed account.",
        metadata=sql(Scalar("(SELECT u.email FROM users u WHERE u.id = {t}.actor_user_id)")),
    )
    async def actor_email(self, info: Info) -> str | None:
        if self.row.actor_user_id is None:
            return None
        actor = await info.context.loaders.user.load(self.row.actor_user_id)
        return actor.email if actor is not None else None

    @classmethod
    def from_row(cls, row: AuditEventRow) -> AuditEvent:
        return cls(id=to_global_id("AuditEvent", row.id), row=row)
