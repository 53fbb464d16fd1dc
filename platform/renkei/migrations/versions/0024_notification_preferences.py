"""Notification preferences: per person and topic, email at once, a daily digest, or inbox only.

`notification_preferences` holds a person's choice per topic (no row: email at once); a person
reads and writes only their own. `organizations.required_email_topics` lists the topics an
organization's people are emailed about at once whatever they chose (owners and admins set it).
A delivery may now be DIGEST (waits for the day's digest, then SENT) or INBOX (never emailed);
`notification_digests` holds one digest email per person and day, so a digest runs once.

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import context, op
from sqlalchemy.dialects import postgresql

revision = "0024"
down_revision = "0023"
branch_labels = None
depends_on = None

_SYSTEM = "(SELECT renkei_is_system())"
_OWN_PREFERENCE = f"{_SYSTEM} OR user_id = (SELECT renkei_user_id())"
_OWN_DIGEST = f"{_SYSTEM} OR recipient_email = (SELECT renkei_email())"
_STATUSES = ("PENDING", "SENT", "FAILED", "DIGEST", "INBOX")


def _status_check(statuses: tuple[str, ...]) -> None:
    op.drop_constraint("delivery_status", "notification_deliveries", type_="check")
    values = ", ".join(f"'{s}'" for s in statuses)
    op.create_check_constraint(
        "delivery_status", "notification_deliveries", f"status IN ({values})"
    )


def _policies(table: str, role: str, own: str, *, writes_own: bool) -> None:
    op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
    op.execute(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")
    op.execute(f'GRANT SELECT, INSERT, UPDATE, DELETE ON {table} TO "{role}"')
    write = own if writes_own else _SYSTEM
    for command, using, check in (
        ("SELECT", own, None),
        ("INSERT", None, write),
        ("UPDATE", write, write),
        ("DELETE", write, None),
    ):
        clauses = (f" USING ({using})" if using else "") + (
            f" WITH CHECK ({check})" if check else ""
        )
        op.execute(
            f'CREATE POLICY {table}_{command.lower()} ON {table} FOR {command} TO "{role}"{clauses}'
        )


def _timestamps() -> list[sa.Column]:  # type: ignore[type-arg]
    return [
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
    ]


def upgrade() -> None:
    role = context.config.attributes.get("app_role", "renkei_app")
    op.create_table(
        "notification_preferences",
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("topic", sa.String(length=64), nullable=False),
        sa.Column(
            "mode",
            sa.Enum(
                "IMMEDIATE",
                "DIGEST",
                "INBOX",
                name="delivery_mode",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        *_timestamps(),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_notification_preferences_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notification_preferences")),
        sa.UniqueConstraint(
            "user_id", "topic", name=op.f("uq_notification_preferences_user_id_topic")
        ),
    )
    _policies("notification_preferences", role, _OWN_PREFERENCE, writes_own=True)

    op.create_table(
        "notification_digests",
        sa.Column("recipient_email", sa.String(length=320), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                *_STATUSES,
                name="delivery_status",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        *_timestamps(),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notification_digests")),
        sa.UniqueConstraint(
            "recipient_email", "day", name=op.f("uq_notification_digests_recipient_email_day")
        ),
    )
    _policies("notification_digests", role, _OWN_DIGEST, writes_own=False)

    op.add_column(
        "organizations",
        sa.Column(
            "required_email_topics",
            postgresql.ARRAY(sa.String(length=64)),
            server_default="{}",
            nullable=False,
        ),
    )
    _status_check(_STATUSES)


def downgrade() -> None:
    op.execute(
        "UPDATE notification_deliveries SET status = 'SENT' WHERE status IN ('DIGEST', 'INBOX')"
    )
    _status_check(_STATUSES[:3])
    op.drop_column("organizations", "required_email_topics")
    op.drop_table("notification_digests")
    op.drop_table("notification_preferences")
