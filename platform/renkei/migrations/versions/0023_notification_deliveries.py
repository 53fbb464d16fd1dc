"""Notification deliveries: each notification is emailed once, and whether it was, is recorded.

A notification now leaves by email through the worker. `notification_deliveries` holds one row
per notification and channel (only `email` for now): PENDING when the notification is recorded,
SENT once the SMTP server took the message, FAILED when the server refused it for good or the
worker gave up after its retries, with the last error. The unique (notification, channel) makes
a delivery idempotent: a job run twice finds the row SENT and sends nothing.

Only the platform (the worker) writes them; a person may read the deliveries of the
notifications addressed to them.

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import context, op

revision = "0023"
down_revision = "0022"
branch_labels = None
depends_on = None

_SYSTEM = "(SELECT renkei_is_system())"
_OWN = (
    f"{_SYSTEM} OR notification_id IN (SELECT n.id FROM notifications n"
    " WHERE n.recipient_email = (SELECT renkei_email()))"
)


def upgrade() -> None:
    op.create_table(
        "notification_deliveries",
        sa.Column("notification_id", sa.Uuid(), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "PENDING",
                "SENT",
                "FAILED",
                name="delivery_status",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint("channel IN ('email')", name=op.f("ck_notification_deliveries_channel")),
        sa.ForeignKeyConstraint(
            ["notification_id"],
            ["notifications.id"],
            name=op.f("fk_notification_deliveries_notification_id_notifications"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notification_deliveries")),
        sa.UniqueConstraint(
            "notification_id",
            "channel",
            name=op.f("uq_notification_deliveries_notification_id_channel"),
        ),
    )
    role = context.config.attributes.get("app_role", "renkei_app")
    op.execute("ALTER TABLE notification_deliveries ENABLE ROW LEVEL SECURITY")
    op.execute("ALTER TABLE notification_deliveries FORCE ROW LEVEL SECURITY")
    op.execute(f'GRANT SELECT, INSERT, UPDATE, DELETE ON notification_deliveries TO "{role}"')
    for command, using, check in (
        ("SELECT", _OWN, None),
        ("INSERT", None, _SYSTEM),
        ("UPDATE", _SYSTEM, _SYSTEM),
        ("DELETE", _SYSTEM, None),
    ):
        clauses = (f" USING ({using})" if using else "") + (
            f" WITH CHECK ({check})" if check else ""
        )
        op.execute(
            f"CREATE POLICY notification_deliveries_{command.lower()} ON notification_deliveries"
            f' FOR {command} TO "{role}"{clauses}'
        )


def downgrade() -> None:
    op.drop_table("notification_deliveries")
