"""Verified email domains: a provider vouches only for domains its organization has proved.

`domain_issuers` bound a domain to the first issuer that claimed it, which let any organization
take a domain nobody had claimed yet (and then sign in as that domain's people). It is replaced
by `domain_claims`: an organization's claim, PENDING until a DNS TXT record or a platform operator
proves it. Claims that existed are carried over as PENDING: after this migration an operator
verifies them (`renkei operator verify-domain`) or their organizations publish the record.

Browser sessions now say which organization's provider authenticated them, and an organization
may require that its members act for it only from such a session (`require_own_provider`).

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import context, op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

_MANAGED = "(SELECT renkei_is_system()) OR renkei_manages(organization_id)"
_SYSTEM = "(SELECT renkei_is_system())"


def upgrade() -> None:
    op.create_table(
        "domain_claims",
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column("domain", sa.String(length=253), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "PENDING",
                "VERIFIED",
                name="domain_claim_status",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("token", sa.String(length=100), nullable=False),
        sa.Column(
            "verification_method",
            sa.Enum(
                "DNS",
                "OPERATOR",
                name="domain_verification_method",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=True,
        ),
        sa.Column("verified_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("verified_by", sa.String(length=320), nullable=True),
        sa.Column("last_checked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_check_error", sa.String(length=300), nullable=True),
        sa.Column("claimed_by_id", sa.Uuid(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["claimed_by_id"],
            ["users.id"],
            name=op.f("fk_domain_claims_claimed_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_domain_claims_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_domain_claims")),
        sa.UniqueConstraint(
            "organization_id", "domain", name=op.f("uq_domain_claims_organization_id_domain")
        ),
    )
    op.create_index(op.f("ix_domain_claims_domain"), "domain_claims", ["domain"], unique=False)
    role = context.config.attributes.get("app_role", "renkei_app")
    op.execute("ALTER TABLE domain_claims ENABLE ROW LEVEL SECURITY")
    op.execute("ALTER TABLE domain_claims FORCE ROW LEVEL SECURITY")
    op.execute(f'GRANT SELECT, INSERT, UPDATE, DELETE ON domain_claims TO "{role}"')
    # An organization's admins see and make its claims; only the platform (a DNS check that
    # passed, an operator's approval) changes one, so no admin can mark a claim VERIFIED.
    for command, using, check in (
        ("SELECT", _MANAGED, None),
        ("INSERT", None, _MANAGED),
        ("UPDATE", _SYSTEM, _SYSTEM),
        ("DELETE", _MANAGED, None),
    ):
        clauses = (f" USING ({using})" if using else "") + (
            f" WITH CHECK ({check})" if check else ""
        )
        op.execute(
            f"CREATE POLICY domain_claims_{command.lower()} ON domain_claims FOR {command}"
            f' TO "{role}"{clauses}'
        )
    # Existing claims start over as PENDING, each with its own challenge.
    op.execute(
        "INSERT INTO domain_claims (id, organization_id, domain, status, token, created_at)"
        " SELECT gen_random_uuid(), organization_id, domain, 'PENDING',"
        " 'renkei-domain-verification=' || replace(gen_random_uuid()::text, '-', ''), now()"
        " FROM (SELECT DISTINCT organization_id, domain FROM provider_domains) AS claimed"
    )
    op.drop_constraint(
        "fk_provider_domains_domain_domain_issuers", "provider_domains", type_="foreignkey"
    )
    op.drop_table("domain_issuers")

    op.add_column(
        "browser_sessions",
        sa.Column("authenticated_organization_id", sa.Uuid(), nullable=True),
    )
    op.add_column("browser_sessions", sa.Column("identity_provider_id", sa.Uuid(), nullable=True))
    op.create_foreign_key(
        op.f("fk_browser_sessions_authenticated_organization_id_organizations"),
        "browser_sessions",
        "organizations",
        ["authenticated_organization_id"],
        ["id"],
        ondelete="SET NULL",
    )
    op.create_foreign_key(
        op.f("fk_browser_sessions_identity_provider_id_identity_providers"),
        "browser_sessions",
        "identity_providers",
        ["identity_provider_id"],
        ["id"],
        ondelete="SET NULL",
    )
    op.add_column(
        "organizations",
        sa.Column("require_own_provider", sa.Boolean(), server_default="false", nullable=False),
    )


def downgrade() -> None:
    op.drop_column("organizations", "require_own_provider")
    op.drop_constraint(
        op.f("fk_browser_sessions_identity_provider_id_identity_providers"),
        "browser_sessions",
        type_="foreignkey",
    )
    op.drop_constraint(
        op.f("fk_browser_sessions_authenticated_organization_id_organizations"),
        "browser_sessions",
        type_="foreignkey",
    )
    op.drop_column("browser_sessions", "identity_provider_id")
    op.drop_column("browser_sessions", "authenticated_organization_id")
    role = context.config.attributes.get("app_role", "renkei_app")
    op.create_table(
        "domain_issuers",
        sa.Column("domain", sa.String(length=253), nullable=False),
        sa.Column("issuer", sa.String(length=500), nullable=False),
        sa.PrimaryKeyConstraint("domain", name=op.f("pk_domain_issuers")),
    )
    op.execute("ALTER TABLE domain_issuers ENABLE ROW LEVEL SECURITY")
    op.execute("ALTER TABLE domain_issuers FORCE ROW LEVEL SECURITY")
    op.execute(f'GRANT SELECT, INSERT ON domain_issuers TO "{role}"')
    anyone = "(SELECT renkei_is_system()) OR (SELECT renkei_user_id()) IS NOT NULL"
    op.execute(
        f'CREATE POLICY domain_issuers_select ON domain_issuers FOR SELECT TO "{role}"'
        f" USING ({anyone})"
    )
    op.execute(
        f'CREATE POLICY domain_issuers_insert ON domain_issuers FOR INSERT TO "{role}"'
        f" WITH CHECK ({anyone})"
    )
    # The first provider to name a domain had it; keep that, as the schema before did.
    op.execute(
        "INSERT INTO domain_issuers (domain, issuer)"
        " SELECT DISTINCT ON (d.domain) d.domain, p.issuer FROM provider_domains d"
        " JOIN identity_providers p ON p.id = d.provider_id ORDER BY d.domain, p.created_at"
    )
    op.execute(
        "DELETE FROM provider_domains d USING identity_providers p, domain_issuers i"
        " WHERE p.id = d.provider_id AND i.domain = d.domain AND i.issuer <> p.issuer"
    )
    op.create_foreign_key(
        "fk_provider_domains_domain_domain_issuers",
        "provider_domains",
        "domain_issuers",
        ["domain"],
        ["domain"],
        ondelete="CASCADE",
    )
    op.drop_table("domain_claims")
