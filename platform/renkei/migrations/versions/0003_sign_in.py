"""Sign-in: organizations' identity providers, browser sessions, API clients, the audit log.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22
"""

import sqlalchemy as sa
from alembic import context, op
from sqlalchemy.dialects import postgresql

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "api_clients",
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("client_id", sa.String(length=64), nullable=False),
        sa.Column("secret_hash", sa.String(length=128), nullable=False),
        sa.Column("scopes", sa.ARRAY(sa.String(length=64)), nullable=False),
        sa.Column("service_user_id", sa.Uuid(), nullable=False),
        sa.Column("created_by_id", sa.Uuid(), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["users.id"],
            name=op.f("fk_api_clients_created_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_api_clients_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["service_user_id"],
            ["users.id"],
            name=op.f("fk_api_clients_service_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_clients")),
        sa.UniqueConstraint("client_id", name=op.f("uq_api_clients_client_id")),
    )
    op.create_index(
        op.f("ix_api_clients_organization_id"), "api_clients", ["organization_id"], unique=False
    )
    op.create_table(
        "audit_events",
        sa.Column("organization_id", sa.Uuid(), nullable=True),
        sa.Column("actor_user_id", sa.Uuid(), nullable=True),
        sa.Column("action", sa.String(length=64), nullable=False),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.String(length=500), nullable=True),
        sa.Column("detail", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["actor_user_id"],
            ["users.id"],
            name=op.f("fk_audit_events_actor_user_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_audit_events_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_events")),
    )
    op.create_index(
        op.f("ix_audit_events_organization_id"), "audit_events", ["organization_id"], unique=False
    )
    op.create_table(
        "browser_sessions",
        sa.Column("secret_hash", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("organization_id", sa.Uuid(), nullable=True),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_browser_sessions_organization_id_organizations"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_browser_sessions_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_browser_sessions")),
        sa.UniqueConstraint("secret_hash", name=op.f("uq_browser_sessions_secret_hash")),
    )
    op.create_index(
        op.f("ix_browser_sessions_user_id"), "browser_sessions", ["user_id"], unique=False
    )
    op.create_table(
        "identity_providers",
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("issuer", sa.String(length=500), nullable=False),
        sa.Column("client_id", sa.String(length=500), nullable=False),
        sa.Column("client_secret_ciphertext", sa.Text(), nullable=False),
        sa.Column("client_secret_key_id", sa.String(length=64), nullable=False),
        sa.Column("email_domains", sa.ARRAY(sa.String(length=253)), nullable=False),
        sa.Column("jit_provisioning", sa.Boolean(), nullable=False),
        sa.Column("role_claim", sa.String(length=200), nullable=True),
        sa.Column("role_mapping", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column(
            "default_role",
            sa.Enum(
                "OWNER",
                "ADMIN",
                "MEMBER",
                "VIEWER",
                name="provider_default_role",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_identity_providers_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_identity_providers")),
    )
    op.create_index(
        op.f("ix_identity_providers_organization_id"),
        "identity_providers",
        ["organization_id"],
        unique=False,
    )
    op.create_table(
        "domain_issuers",
        sa.Column("domain", sa.String(length=253), nullable=False),
        sa.Column("issuer", sa.String(length=500), nullable=False),
        sa.PrimaryKeyConstraint("domain", name=op.f("pk_domain_issuers")),
    )
    op.create_table(
        "provider_domains",
        sa.Column("domain", sa.String(length=253), nullable=False),
        sa.Column("provider_id", sa.Uuid(), nullable=False),
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_provider_domains_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["provider_id"],
            ["identity_providers.id"],
            name=op.f("fk_provider_domains_provider_id_identity_providers"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["domain"],
            ["domain_issuers.domain"],
            name=op.f("fk_provider_domains_domain_domain_issuers"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("domain", "provider_id", name=op.f("pk_provider_domains")),
    )
    op.create_index(
        op.f("ix_provider_domains_organization_id"),
        "provider_domains",
        ["organization_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_provider_domains_provider_id"), "provider_domains", ["provider_id"], unique=False
    )
    op.create_table(
        "user_identities",
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("provider_id", sa.Uuid(), nullable=True),
        sa.Column("issuer", sa.String(length=500), nullable=False),
        sa.Column("subject", sa.String(length=255), nullable=False),
        sa.Column("last_sign_in_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["provider_id"],
            ["identity_providers.id"],
            name=op.f("fk_user_identities_provider_id_identity_providers"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_user_identities_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_user_identities")),
        sa.UniqueConstraint("issuer", "subject", name=op.f("uq_user_identities_issuer_subject")),
    )
    op.create_index(
        op.f("ix_user_identities_user_id"), "user_identities", ["user_id"], unique=False
    )
    op.add_column(
        "users",
        sa.Column("is_service_account", sa.Boolean(), server_default="false", nullable=False),
    )
    op.add_column("users", sa.Column("deactivated_at", sa.DateTime(timezone=True), nullable=True))
    _secure(context.config.attributes.get("app_role", "renkei_app"))


def downgrade() -> None:
    for table in _POLICIES:
        for command in _POLICIES[table]:
            op.execute(f"DROP POLICY IF EXISTS {table}_{command.lower()} ON {table}")
    op.execute("DROP TRIGGER IF EXISTS audit_events_append_only ON audit_events")
    op.execute("DROP FUNCTION IF EXISTS renkei_audit_append_only()")
    op.drop_column("users", "deactivated_at")
    op.drop_column("users", "is_service_account")
    op.drop_index(op.f("ix_user_identities_user_id"), table_name="user_identities")
    op.drop_table("user_identities")
    op.drop_index(op.f("ix_provider_domains_provider_id"), table_name="provider_domains")
    op.drop_index(op.f("ix_provider_domains_organization_id"), table_name="provider_domains")
    op.drop_table("provider_domains")
    op.drop_table("domain_issuers")
    op.drop_index(op.f("ix_identity_providers_organization_id"), table_name="identity_providers")
    op.drop_table("identity_providers")
    op.drop_index(op.f("ix_browser_sessions_user_id"), table_name="browser_sessions")
    op.drop_table("browser_sessions")
    op.drop_index(op.f("ix_audit_events_organization_id"), table_name="audit_events")
    op.drop_table("audit_events")
    op.drop_index(op.f("ix_api_clients_organization_id"), table_name="api_clients")
    op.drop_table("api_clients")


_MANAGED = "renkei_is_system() OR renkei_manages(organization_id)"
_POLICIES = {
    # An organization's admins configure its providers; sign-in reads them as the platform.
    "identity_providers": {
        "SELECT": (_MANAGED, None),
        "INSERT": (None, _MANAGED),
        "UPDATE": (_MANAGED, _MANAGED),
        "DELETE": (_MANAGED, None),
    },
    "provider_domains": {
        "SELECT": (_MANAGED, None),
        "INSERT": (None, _MANAGED),
        "UPDATE": (_MANAGED, _MANAGED),
        "DELETE": (_MANAGED, None),
    },
    # Home-realm discovery tells anyone which issuer serves a domain; reading it hides nothing.
    "domain_issuers": {
        "SELECT": ("renkei_is_system() OR renkei_user_id() IS NOT NULL", None),
        "INSERT": (None, "renkei_is_system() OR renkei_user_id() IS NOT NULL"),
    },
    "user_identities": {
        "SELECT": ("renkei_is_system() OR user_id = renkei_user_id()", None),
        "INSERT": (None, "renkei_is_system()"),
        "UPDATE": ("renkei_is_system()", "renkei_is_system()"),
        "DELETE": ("renkei_is_system()", None),
    },
    "browser_sessions": {
        "SELECT": ("renkei_is_system() OR user_id = renkei_user_id()", None),
        "INSERT": (None, "renkei_is_system()"),
        "UPDATE": (
            "renkei_is_system() OR user_id = renkei_user_id()",
            "renkei_is_system() OR user_id = renkei_user_id()",
        ),
        "DELETE": ("renkei_is_system()", None),
    },
    "api_clients": {
        "SELECT": (_MANAGED, None),
        "INSERT": (None, _MANAGED),
        "UPDATE": (_MANAGED, _MANAGED),
        "DELETE": (_MANAGED, None),
    },
    # Append-only: no UPDATE or DELETE is granted, and a trigger refuses them from anyone.
    "audit_events": {
        "SELECT": (_MANAGED, None),
        "INSERT": (None, "renkei_is_system() OR renkei_user_id() IS NOT NULL"),
    },
}

_APPEND_ONLY = """
CREATE FUNCTION renkei_audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'the audit log is append-only';
END $$;
CREATE TRIGGER audit_events_append_only BEFORE UPDATE OR DELETE ON audit_events
  FOR EACH ROW EXECUTE FUNCTION renkei_audit_append_only();
"""


def _secure(app_role: str) -> None:
    op.execute(_APPEND_ONLY)
    for table, commands in _POLICIES.items():
        op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
        op.execute(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")
        op.execute(f'GRANT {", ".join(commands)} ON {table} TO "{app_role}"')
        for command, (using, check) in commands.items():
            clauses = (f" USING ({using})" if using else "") + (
                f" WITH CHECK ({check})" if check else ""
            )
            op.execute(
                f"CREATE POLICY {table}_{command.lower()} ON {table} FOR {command}"
                f' TO "{app_role}"{clauses}'
            )
