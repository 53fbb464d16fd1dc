"""The firm records that it applied for a match's side-job subsidy.

Many prefectures take the application only before the contract or the start of work; a daily
job reminds the firm as the deadline comes (renkei.talent.subsidy_reminders) until the firm
records here that it applied. One row per match, the firm's alone: row-level security shows it
to the match's firm (and the platform), and lets only the firm's owners, admins and members
write it, for a match of their own.

Revision ID: 0028
Revises: 0027
Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import context, op

revision = "0028"
down_revision = "0027"
branch_labels = None
depends_on = None

TABLE = "subsidy_applications"
_SYSTEM = "(SELECT renkei_is_system())"
_FIRM = "organization_id = (SELECT renkei_organization_id())"
_FIRM_WRITER = f"{_FIRM} AND (SELECT renkei_role()) = ANY (ARRAY['OWNER', 'ADMIN', 'MEMBER'])"
# The match is the firm's own (the matches table's row-level security applies inside).
_OWN_MATCH = (
    "EXISTS (SELECT 1 FROM matches m WHERE m.id = subsidy_applications.match_id"
    " AND m.organization_id = subsidy_applications.organization_id)"
)


def upgrade() -> None:
    op.create_table(
        TABLE,
        sa.Column("match_id", sa.Uuid(), nullable=False),
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column("applied_on", sa.Date(), nullable=False),
        sa.Column("recorded_by_id", sa.Uuid(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["match_id"],
            ["matches.id"],
            name=op.f("fk_subsidy_applications_match_id_matches"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_subsidy_applications_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by_id"],
            ["users.id"],
            name=op.f("fk_subsidy_applications_recorded_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("match_id", name=op.f("pk_subsidy_applications")),
    )
    role = context.config.attributes.get("app_role", "renkei_app")
    op.execute(f"ALTER TABLE {TABLE} ENABLE ROW LEVEL SECURITY")
    op.execute(f"ALTER TABLE {TABLE} FORCE ROW LEVEL SECURITY")
    op.execute(f'GRANT SELECT, INSERT, UPDATE ON {TABLE} TO "{role}"')
    writes = f"{_SYSTEM} OR ({_FIRM_WRITER} AND {_OWN_MATCH})"
    for command, clauses in (
        ("SELECT", f"USING ({_SYSTEM} OR {_FIRM})"),
        ("INSERT", f"WITH CHECK ({writes})"),
        ("UPDATE", f"USING ({_SYSTEM} OR ({_FIRM_WRITER})) WITH CHECK ({writes})"),
    ):
        op.execute(
            f"CREATE POLICY {TABLE}_{command.lower()} ON {TABLE}"
            f' FOR {command} TO "{role}" {clauses}'
        )


def downgrade() -> None:
    op.drop_table(TABLE)
