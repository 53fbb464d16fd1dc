"""The notification inbox: what a notification is about, whether it was read, read quickly.

Notifications were recorded and never shown. Now a person reads their own through the API
(viewer.notifications) and marks them read (markNotificationsRead). Each notification keeps the
global id of what it is about (`subject_id`: the milestone, the invitation, the match...) and
when its recipient read it (`read_at`, null while unread). A person's inbox is read newest
first or oldest first by (recipient_email, created_at, id): one ascending index serves both,
scanned backwards for the newest (every key goes the same way).

A person may update their own notifications, and of them only read_at: the update policy lets
the recipient in, and the app role's UPDATE grant narrows to that column (as invitations'
status and responded_at, migration 0001). The platform still inserts and deletes alone.

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import context, op

revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None

OWN = "(SELECT renkei_is_system()) OR recipient_email = (SELECT renkei_email())"
SYSTEM = "(SELECT renkei_is_system())"


def upgrade() -> None:
    app_role = context.config.attributes.get("app_role", "renkei_app")
    op.add_column("notifications", sa.Column("subject_id", sa.Text(), nullable=True))
    op.add_column("notifications", sa.Column("read_at", sa.DateTime(timezone=True), nullable=True))
    op.create_index(
        "ix_notifications_inbox",
        "notifications",
        ["recipient_email", "created_at", "id"],
    )
    op.execute(
        f"ALTER POLICY notifications_update ON notifications USING ({OWN}) WITH CHECK ({OWN})"
    )
    op.execute(f'REVOKE UPDATE ON notifications FROM "{app_role}"')
    op.execute(f'GRANT UPDATE (read_at) ON notifications TO "{app_role}"')


def downgrade() -> None:
    app_role = context.config.attributes.get("app_role", "renkei_app")
    op.execute(f'REVOKE UPDATE (read_at) ON notifications FROM "{app_role}"')
    op.execute(f'GRANT UPDATE ON notifications TO "{app_role}"')
    op.execute(
        f"ALTER POLICY notifications_update ON notifications USING ({SYSTEM}) WITH CHECK ({SYSTEM})"
    )
    op.drop_index("ix_notifications_inbox", table_name="notifications")
    op.drop_column("notifications", "read_at")
    op.drop_column("notifications", "subject_id")
