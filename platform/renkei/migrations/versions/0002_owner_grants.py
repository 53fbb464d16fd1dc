"""Only an owner grants or takes away ownership; an invitee answers a pending invitation once.

The services refused both already; now PostgreSQL does too, so a forgotten check in the
application cannot let an admin make themselves owner, nor a removed member reopen the invitation
they once accepted and join again.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22
"""

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

_MAY_GRANT = """
CREATE FUNCTION renkei_may_grant(granted text) RETURNS boolean LANGUAGE sql STABLE
  AS $$ SELECT granted <> 'OWNER' OR renkei_role() = 'OWNER' $$;
"""

_JOINS_BY_INVITATION = (
    "user_id = renkei_user_id() AND EXISTS (SELECT 1 FROM invitations i"
    " WHERE i.organization_id = memberships.organization_id"
    " AND i.email = renkei_email() AND i.role = memberships.role"
    " AND i.status = 'PENDING' AND i.expires_at > now())"
)
_MANAGES = "renkei_is_system() OR renkei_manages(organization_id)"
_GRANTS = "renkei_is_system() OR (renkei_manages(organization_id) AND renkei_may_grant(role))"

# Per policy: (USING, WITH CHECK) after this revision, and as 0001 made them.
_POLICIES = {
    ("memberships", "insert"): (
        (None, f"{_GRANTS} OR ({_JOINS_BY_INVITATION})"),
        (None, f"{_MANAGES} OR ({_JOINS_BY_INVITATION})"),
    ),
    ("memberships", "update"): ((_GRANTS, _GRANTS), (_MANAGES, _MANAGES)),
    ("memberships", "delete"): (
        (f"{_GRANTS} OR user_id = renkei_user_id()", None),
        (f"{_MANAGES} OR user_id = renkei_user_id()", None),
    ),
    ("invitations", "insert"): ((None, _GRANTS), (None, _MANAGES)),
    ("invitations", "update"): (
        (
            f"{_MANAGES} OR (email = renkei_email() AND status = 'PENDING')",
            f"{_MANAGES} OR (email = renkei_email() AND status IN ('ACCEPTED', 'DECLINED'))",
        ),
        (f"{_MANAGES} OR email = renkei_email()",) * 2,
    ),
}


def _alter(table: str, command: str, using: str | None, check: str | None) -> None:
    clauses = (f" USING ({using})" if using else "") + (f" WITH CHECK ({check})" if check else "")
    op.execute(f"ALTER POLICY {table}_{command} ON {table}{clauses}")


def upgrade() -> None:
    op.execute(_MAY_GRANT)
    for (table, command), (after, _before) in _POLICIES.items():
        _alter(table, command, *after)


def downgrade() -> None:
    for (table, command), (_after, before) in _POLICIES.items():
        _alter(table, command, *before)
    op.execute("DROP FUNCTION renkei_may_grant(text)")
