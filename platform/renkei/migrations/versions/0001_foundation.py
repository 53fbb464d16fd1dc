"""Foundation: tenancy tables, reference data, the application role and row-level security.

Revision ID: 0001
Create Date: 2026-11-22
"""

import sqlalchemy as sa
from alembic import context, op
from sqlalchemy.dialects import postgresql

from renkei.geography.data import PLANNING_BLOCS, PREFECTURES

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "outbox",
        sa.Column("topic", sa.String(length=100), nullable=False),
        sa.Column("payload", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("relayed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("processed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox")),
    )
    op.create_index(
        "ix_outbox_unrelayed",
        "outbox",
        ["created_at"],
        unique=False,
        postgresql_where=sa.text("relayed_at IS NULL"),
    )
    op.create_table(
        "planning_blocs",
        sa.Column("code", sa.String(length=16), nullable=False),
        sa.Column("name", sa.String(length=16), nullable=False),
        sa.Column("name_romaji", sa.String(length=32), nullable=False),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_planning_blocs")),
    )
    op.create_table(
        "users",
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("display_name", sa.String(length=200), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_users")),
        sa.UniqueConstraint("email", name=op.f("uq_users_email")),
    )
    op.create_table(
        "prefectures",
        sa.Column("code", sa.String(length=2), nullable=False),
        sa.Column("name", sa.String(length=8), nullable=False),
        sa.Column("name_kana", sa.String(length=16), nullable=False),
        sa.Column("name_romaji", sa.String(length=16), nullable=False),
        sa.Column("planning_bloc_code", sa.String(length=16), nullable=True),
        sa.ForeignKeyConstraint(
            ["planning_bloc_code"],
            ["planning_blocs.code"],
            name=op.f("fk_prefectures_planning_bloc_code_planning_blocs"),
        ),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_prefectures")),
        sa.UniqueConstraint("name", name=op.f("uq_prefectures_name")),
    )
    op.create_index(
        op.f("ix_prefectures_planning_bloc_code"),
        "prefectures",
        ["planning_bloc_code"],
        unique=False,
    )
    op.create_table(
        "organizations",
        sa.Column("slug", sa.String(length=63), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "PREFECTURE",
                "MUNICIPALITY",
                "COMPANY",
                "UNIVERSITY",
                "RESEARCH_INSTITUTE",
                "FINANCIAL_INSTITUTION",
                "ECONOMIC_ORGANIZATION",
                "NATIONAL_AGENCY",
                "LABOR_ORGANIZATION",
                "MEDIA",
                "PROFESSIONAL_FIRM",
                "NPO",
                "OTHER",
                name="organization_kind",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("corporate_number", sa.String(length=13), nullable=True),
        sa.Column("local_government_code", sa.String(length=6), nullable=True),
        sa.Column("home_prefecture_code", sa.String(length=2), nullable=False),
        sa.Column("created_by_id", sa.Uuid(), nullable=True),
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
            name=op.f("fk_organizations_created_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["home_prefecture_code"],
            ["prefectures.code"],
            name=op.f("fk_organizations_home_prefecture_code_prefectures"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_organizations")),
        sa.UniqueConstraint("corporate_number", name=op.f("uq_organizations_corporate_number")),
        sa.UniqueConstraint(
            "local_government_code", name=op.f("uq_organizations_local_government_code")
        ),
        sa.UniqueConstraint("slug", name=op.f("uq_organizations_slug")),
    )
    op.create_index(
        op.f("ix_organizations_home_prefecture_code"),
        "organizations",
        ["home_prefecture_code"],
        unique=False,
    )
    op.create_table(
        "invitations",
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column(
            "role",
            sa.Enum(
                "OWNER",
                "ADMIN",
                "MEMBER",
                "VIEWER",
                name="invitation_role",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column(
            "status",
            sa.Enum(
                "PENDING",
                "ACCEPTED",
                "DECLINED",
                "REVOKED",
                name="invitation_status",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("invited_by_id", sa.Uuid(), nullable=True),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("responded_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["invited_by_id"],
            ["users.id"],
            name=op.f("fk_invitations_invited_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_invitations_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_invitations")),
    )
    op.create_index("ix_invitations_email", "invitations", ["email"], unique=False)
    op.create_index(
        "uq_invitations_pending_email",
        "invitations",
        ["organization_id", "email"],
        unique=True,
        postgresql_where=sa.text("status = 'PENDING'"),
    )
    op.create_table(
        "memberships",
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column(
            "role",
            sa.Enum(
                "OWNER",
                "ADMIN",
                "MEMBER",
                "VIEWER",
                name="membership_role",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
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
            name=op.f("fk_memberships_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_memberships_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_memberships")),
        sa.UniqueConstraint(
            "organization_id", "user_id", name=op.f("uq_memberships_organization_id_user_id")
        ),
    )
    op.create_index(op.f("ix_memberships_user_id"), "memberships", ["user_id"], unique=False)
    op.create_table(
        "notifications",
        sa.Column("outbox_id", sa.Uuid(), nullable=False),
        sa.Column("recipient_email", sa.String(length=320), nullable=False),
        sa.Column("organization_id", sa.Uuid(), nullable=True),
        sa.Column("kind", sa.String(length=64), nullable=False),
        sa.Column("subject", sa.String(length=300), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
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
            name=op.f("fk_notifications_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notifications")),
        sa.UniqueConstraint(
            "outbox_id", "recipient_email", name=op.f("uq_notifications_outbox_id_recipient_email")
        ),
    )
    op.create_index(
        op.f("ix_notifications_recipient_email"), "notifications", ["recipient_email"], unique=False
    )
    _load_reference_data()
    _secure(context.config.attributes.get("app_role", "renkei_app"))


def downgrade() -> None:
    # Policies reach across tables (users_select reads memberships): drop them all first.
    _unsecure(context.config.attributes.get("app_role", "renkei_app"))
    op.drop_index(op.f("ix_notifications_recipient_email"), table_name="notifications")
    op.drop_table("notifications")
    op.drop_index(op.f("ix_memberships_user_id"), table_name="memberships")
    op.drop_table("memberships")
    op.drop_index(
        "uq_invitations_pending_email",
        table_name="invitations",
        postgresql_where=sa.text("status = 'PENDING'"),
    )
    op.drop_index("ix_invitations_email", table_name="invitations")
    op.drop_table("invitations")
    op.drop_index(op.f("ix_organizations_home_prefecture_code"), table_name="organizations")
    op.drop_table("organizations")
    op.drop_index(op.f("ix_prefectures_planning_bloc_code"), table_name="prefectures")
    op.drop_table("prefectures")
    op.drop_table("users")
    op.drop_table("planning_blocs")
    op.drop_index(
        "ix_outbox_unrelayed", table_name="outbox", postgresql_where=sa.text("relayed_at IS NULL")
    )
    op.drop_table("outbox")
    op.execute(f"DROP FUNCTION {', '.join(_FUNCTIONS)}")


def _load_reference_data() -> None:
    blocs = sa.table(
        "planning_blocs", sa.column("code"), sa.column("name"), sa.column("name_romaji")
    )
    op.bulk_insert(
        blocs,
        [{"code": b.code, "name": b.name, "name_romaji": b.name_romaji} for b in PLANNING_BLOCS],
    )
    prefectures = sa.table(
        "prefectures",
        sa.column("code"),
        sa.column("name"),
        sa.column("name_kana"),
        sa.column("name_romaji"),
        sa.column("planning_bloc_code"),
    )
    op.bulk_insert(
        prefectures,
        [
            {
                "code": p.code,
                "name": p.name,
                "name_kana": p.name_kana,
                "name_romaji": p.name_romaji,
                "planning_bloc_code": p.planning_bloc,
            }
            for p in PREFECTURES
        ],
    )


# The viewer, as the application put it into the transaction (renkei.tenancy.set_viewer).
_FUNCTIONS = (
    "renkei_user_id()",
    "renkei_email()",
    "renkei_organization_id()",
    "renkei_role()",
    "renkei_is_system()",
    "renkei_manages(uuid)",
    "renkei_outbox_notify()",
)
_VIEWER_FUNCTIONS = """
CREATE FUNCTION renkei_user_id() RETURNS uuid LANGUAGE sql STABLE
  AS $$ SELECT nullif(current_setting('renkei.user_id', true), '')::uuid $$;
CREATE FUNCTION renkei_email() RETURNS text LANGUAGE sql STABLE
  AS $$ SELECT nullif(current_setting('renkei.email', true), '') $$;
CREATE FUNCTION renkei_organization_id() RETURNS uuid LANGUAGE sql STABLE
  AS $$ SELECT nullif(current_setting('renkei.organization_id', true), '')::uuid $$;
CREATE FUNCTION renkei_role() RETURNS text LANGUAGE sql STABLE
  AS $$ SELECT nullif(current_setting('renkei.role', true), '') $$;
CREATE FUNCTION renkei_is_system() RETURNS boolean LANGUAGE sql STABLE
  AS $$ SELECT coalesce(current_setting('renkei.system', true), '') = 'on' $$;
CREATE FUNCTION renkei_manages(organization uuid) RETURNS boolean LANGUAGE sql STABLE
  AS $$ SELECT organization = renkei_organization_id() AND renkei_role() IN ('OWNER', 'ADMIN') $$;
CREATE FUNCTION renkei_outbox_notify() RETURNS trigger LANGUAGE plpgsql
  AS $$ BEGIN PERFORM pg_notify('renkei_outbox', ''); RETURN NULL; END $$;
CREATE TRIGGER outbox_notify AFTER INSERT ON outbox
  FOR EACH STATEMENT EXECUTE FUNCTION renkei_outbox_notify();
"""

# Per table and command: (USING, WITH CHECK). "system" is the platform's own work.
_POLICIES = {
    "organizations": {
        "SELECT": ("renkei_is_system() OR renkei_user_id() IS NOT NULL", None),
        "INSERT": (
            None,
            "renkei_is_system() OR (renkei_user_id() IS NOT NULL"
            " AND created_by_id = renkei_user_id())",
        ),
        "UPDATE": ("renkei_is_system() OR renkei_manages(id)",) * 2,
        "DELETE": ("renkei_is_system()", None),
    },
    "users": {
        "SELECT": (
            "renkei_is_system() OR id = renkei_user_id() OR id IN (SELECT m.user_id"
            " FROM memberships m WHERE m.organization_id = renkei_organization_id())",
            None,
        ),
        "INSERT": (None, "renkei_is_system()"),
        "UPDATE": ("renkei_is_system() OR id = renkei_user_id()",) * 2,
        "DELETE": ("renkei_is_system()", None),
    },
    "memberships": {
        "SELECT": (
            "renkei_is_system() OR user_id = renkei_user_id()"
            " OR organization_id = renkei_organization_id()",
            None,
        ),
        # An admin adds members; anyone else only themselves, through a pending invitation.
        "INSERT": (
            None,
            "renkei_is_system() OR renkei_manages(organization_id) OR ("
            "user_id = renkei_user_id() AND EXISTS (SELECT 1 FROM invitations i"
            " WHERE i.organization_id = memberships.organization_id"
            " AND i.email = renkei_email() AND i.role = memberships.role"
            " AND i.status = 'PENDING' AND i.expires_at > now()))",
        ),
        "UPDATE": ("renkei_is_system() OR renkei_manages(organization_id)",) * 2,
        "DELETE": (
            "renkei_is_system() OR renkei_manages(organization_id) OR user_id = renkei_user_id()",
            None,
        ),
    },
    "invitations": {
        "SELECT": (
            "renkei_is_system() OR renkei_manages(organization_id) OR email = renkei_email()",
            None,
        ),
        "INSERT": (None, "renkei_is_system() OR renkei_manages(organization_id)"),
        "UPDATE": (
            "renkei_is_system() OR renkei_manages(organization_id) OR email = renkei_email()",
        )
        * 2,
        "DELETE": ("renkei_is_system() OR renkei_manages(organization_id)", None),
    },
    "notifications": {
        "SELECT": ("renkei_is_system() OR recipient_email = renkei_email()", None),
        "INSERT": (None, "renkei_is_system()"),
        "UPDATE": ("renkei_is_system()",) * 2,
        "DELETE": ("renkei_is_system()", None),
    },
    # Anyone signed in may write a side effect; only the platform reads and relays them.
    "outbox": {
        "SELECT": ("renkei_is_system()", None),
        "INSERT": (None, "renkei_is_system() OR renkei_user_id() IS NOT NULL"),
        "UPDATE": ("renkei_is_system()",) * 2,
        "DELETE": ("renkei_is_system()", None),
    },
}


# An invitee may answer an invitation, never rewrite its role or organization.
_UPDATABLE_COLUMNS = {"invitations": "status, responded_at"}


def _secure(app_role: str) -> None:
    op.execute(_VIEWER_FUNCTIONS)
    op.execute(
        f"""
        DO $$ BEGIN
          IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{app_role}') THEN
            -- Roles belong to the cluster: a migration of another database may be creating it
            -- at this very moment.
            BEGIN
              CREATE ROLE "{app_role}" LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE;
            EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;
            END;
          END IF;
          EXECUTE format('GRANT CONNECT ON DATABASE %I TO "{app_role}"', current_database());
        END $$;
        GRANT USAGE ON SCHEMA public TO "{app_role}";
        GRANT SELECT ON planning_blocs, prefectures, alembic_version TO "{app_role}";
        """
    )
    for table, commands in _POLICIES.items():
        op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
        op.execute(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")
        granted = [c for c in commands if not (c == "UPDATE" and table in _UPDATABLE_COLUMNS)]
        op.execute(f'GRANT {", ".join(granted)} ON {table} TO "{app_role}"')
        if table in _UPDATABLE_COLUMNS:
            op.execute(f'GRANT UPDATE ({_UPDATABLE_COLUMNS[table]}) ON {table} TO "{app_role}"')
        for command, (using, check) in commands.items():
            clauses = (f" USING ({using})" if using else "") + (
                f" WITH CHECK ({check})" if check else ""
            )
            op.execute(
                f"CREATE POLICY {table}_{command.lower()} ON {table} FOR {command}"
                f' TO "{app_role}"{clauses}'
            )


def _unsecure(app_role: str) -> None:
    """Undo `_secure`, except the role itself: it is cluster-wide and other databases use it."""
    for table, commands in _POLICIES.items():
        for command in commands:
            op.execute(f"DROP POLICY {table}_{command.lower()} ON {table}")
    op.execute("DROP TRIGGER outbox_notify ON outbox")
    op.execute(
        f"""
        REVOKE ALL ON planning_blocs, prefectures, alembic_version FROM "{app_role}";
        REVOKE USAGE ON SCHEMA public FROM "{app_role}";
        DO $$ BEGIN
          EXECUTE format('REVOKE CONNECT ON DATABASE %I FROM "{app_role}"', current_database());
        END $$;
        """
    )
