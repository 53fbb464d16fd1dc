"""People who sign in, how they sign in, and the organizations' machine clients."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import (
    ARRAY,
    Boolean,
    DateTime,
    Enum,
    ForeignKey,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from renkei.db import Base, IdMixin, TimestampMixin
from renkei.tenancy import MembershipRole


class User(IdMixin, TimestampMixin, Base):
    __tablename__ = "users"

    # Stored lower-cased: an address is one person whatever the case it is typed in.
    email: Mapped[str] = mapped_column(String(320), unique=True)
    display_name: Mapped[str] = mapped_column(String(200))
    # The service account behind an organization's API client: it never signs in by browser.
    is_service_account: Mapped[bool] = mapped_column(Boolean, default=False, server_default="false")
    # A deactivated user's tokens and sessions stop working at once (e.g. a revoked API client).
    deactivated_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # The language they chose to read Renkei in (`ja` or `en`); None follows their browser.
    locale: Mapped[str | None] = mapped_column(String(8))


class IdentityProvider(IdMixin, TimestampMixin, Base):
    """An organization's own OpenID provider (Entra ID, Keycloak, Google Workspace, …)."""

    __tablename__ = "identity_providers"

    organization_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(200))
    issuer: Mapped[str] = mapped_column(String(500))
    client_id: Mapped[str] = mapped_column(String(500))
    # AES-GCM ciphertext of the client secret and the id of the key that sealed it.
    client_secret_ciphertext: Mapped[str] = mapped_column(Text)
    client_secret_key_id: Mapped[str] = mapped_column(String(64))
    email_domains: Mapped[list[str]] = mapped_column(ARRAY(String(253)))
    jit_provisioning: Mapped[bool] = mapped_column(Boolean, default=True)
    # Which claim carries groups or roles, and what each value means in Renkei.
    role_claim: Mapped[str | None] = mapped_column(String(200))
    role_mapping: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)
    default_role: Mapped[MembershipRole] = mapped_column(
        Enum(
            MembershipRole,
            name="provider_default_role",
            native_enum=False,
            create_constraint=True,
            length=32,
            values_callable=lambda e: [m.value for m in e],
        ),
        default=MembershipRole.MEMBER,
    )
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)


class ProviderDomain(Base):
    """An email domain a provider is configured for. It vouches for addresses there only while
    its organization has VERIFIED the domain (renkei.email_domains): home-realm discovery."""

    __tablename__ = "provider_domains"

    domain: Mapped[str] = mapped_column(String(253), primary_key=True)
    provider_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("identity_providers.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    organization_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), index=True
    )


class UserIdentity(IdMixin, TimestampMixin, Base):
    """A user's account at one provider (issuer and subject), linked once and then trusted."""

    __tablename__ = "user_identities"
    __table_args__ = (UniqueConstraint("issuer", "subject"),)

    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    provider_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("identity_providers.id", ondelete="SET NULL")
    )
    issuer: Mapped[str] = mapped_column(String(500))
    subject: Mapped[str] = mapped_column(String(255))
    last_sign_in_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class BrowserSession(IdMixin, TimestampMixin, Base):
    """A signed-in browser; the cookie holds a secret whose hash is kept here."""

    __tablename__ = "browser_sessions"

    secret_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    organization_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("organizations.id", ondelete="SET NULL")
    )
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # Who vouched for this sign-in: the organization whose provider authenticated the person
    # (None: the platform's provider). `organization_id` above is whom they act for now.
    authenticated_organization_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("organizations.id", ondelete="SET NULL")
    )
    identity_provider_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("identity_providers.id", ondelete="SET NULL")
    )


class ApiClient(IdMixin, TimestampMixin, Base):
    """An organization's system calling the API with the client credentials grant."""

    __tablename__ = "api_clients"

    organization_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(200))
    client_id: Mapped[str] = mapped_column(String(64), unique=True)
    secret_hash: Mapped[str] = mapped_column(String(128))
    scopes: Mapped[list[str]] = mapped_column(ARRAY(String(64)))
    service_user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    created_by_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class AuditEvent(IdMixin, TimestampMixin, Base):
    """Append-only: the application may insert and read, never update or delete."""

    __tablename__ = "audit_events"

    organization_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), index=True
    )
    actor_user_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    action: Mapped[str] = mapped_column(String(64))
    outcome: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str | None] = mapped_column(String(500))
    detail: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)
