"""Platform operators: the people who verify domains and organizations.

Granted only as the platform (the `renkei operator` command); the application role reads a
user's own row, so a resolver can ask "is the viewer an operator" and learn nothing else.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import context, op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "platform_operators",
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column(
            "granted_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("granted_by", sa.String(length=320), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_platform_operators_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_platform_operators")),
    )
    role = context.config.attributes.get("app_role", "renkei_app")
    op.execute("ALTER TABLE platform_operators ENABLE ROW LEVEL SECURITY")
    op.execute("ALTER TABLE platform_operators FORCE ROW LEVEL SECURITY")
    op.execute(f'GRANT SELECT, INSERT, DELETE ON platform_operators TO "{role}"')
    op.execute(
        "CREATE POLICY platform_operators_select ON platform_operators FOR SELECT"
        f' TO "{role}" USING ((SELECT renkei_is_system()) OR user_id = (SELECT renkei_user_id()))'
    )
    op.execute(
        "CREATE POLICY platform_operators_insert ON platform_operators FOR INSERT"
        f' TO "{role}" WITH CHECK ((SELECT renkei_is_system()))'
    )
    op.execute(
        "CREATE POLICY platform_operators_delete ON platform_operators FOR DELETE"
        f' TO "{role}" USING ((SELECT renkei_is_system()))'
    )


def downgrade() -> None:
    op.drop_table("platform_operators")
