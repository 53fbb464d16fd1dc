"""Identity providers and the audit log, as an organization's admins see them."""

from __future__ import annotations

from datetime import datetime

import strawberry
from strawberry.scalars import JSON

from renkei.graphql.relay import Node, to_global_id
from renkei.graphql.types.organizations import MembershipRole
from renkei.identity.models import AuditEvent as AuditEventRow
from renkei.identity.models import IdentityProvider as IdentityProviderRow


@strawberry.type(description="A group or role value from the provider and the role it gives.")
class RoleMappingEntry:
    value: str
    role: MembershipRole  # type: ignore[valid-type]


@strawberry.type(
    description="An organization's own OpenID provider. The client secret is never returned."
)
class IdentityProvider(Node):
    name: str
    issuer: str
    client_id: str
    email_domains: list[str]
    jit_provisioning: bool = strawberry.field(
        description="Whether first sign-ins become members (with the mapped or default role)."
    )
    role_claim: str | None
    role_mapping: list[RoleMappingEntry]
    default_role: MembershipRole  # type: ignore[valid-type]
    enabled: bool
    redirect_uri: str = strawberry.field(
        description="Register this redirect URI at the provider for this organization."
    )
    created_at: datetime

    @classmethod
    def from_row(cls, row: IdentityProviderRow, *, redirect_uri: str) -> IdentityProvider:
        return cls(
            id=to_global_id("IdentityProvider", row.id),
            name=row.name,
            issuer=row.issuer,
            client_id=row.client_id,
            email_domains=list(row.email_domains),
            jit_provisioning=row.jit_provisioning,
            role_claim=row.role_claim,
            role_mapping=[
                RoleMappingEntry(value=value, role=role)
                for value, role in sorted(row.role_mapping.items())
            ],
            default_role=row.default_role,
            enabled=row.enabled,
            redirect_uri=redirect_uri,
            created_at=row.created_at,
        )


@strawberry.type(description="One entry of the append-only audit log.")
class AuditEvent(Node):
    action: str
    outcome: str
    reason: str | None
    detail: JSON
    created_at: datetime
    actor_email: str | None

    @classmethod
    def from_row(cls, row: AuditEventRow, *, actor_email: str | None) -> AuditEvent:
        return cls(
            id=to_global_id("AuditEvent", row.id),
            action=row.action,
            outcome=row.outcome,
            reason=row.reason,
            detail=JSON(row.detail),
            created_at=row.created_at,
            actor_email=actor_email,
        )
