"""The viewer in one statement: who the token's user is, their role, set into the transaction.

Every request started with three statements (set the user, read the user and their role as
that user, set the whole viewer). A definer function reads the user and the membership and
writes the settings at once; it gives the application nothing it could not already do, since
the application writes these settings itself.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-22
"""

from alembic import context, op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

DEFINER = "renkei_definer"
SIGNATURE = "renkei_act_as(acting_user uuid, acting_organization uuid)"
FUNCTION = f"""
CREATE FUNCTION {SIGNATURE}
RETURNS TABLE (email text, role text, deactivated boolean)
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = public AS $$
DECLARE
  found_email text;
  found_off boolean;
  found_role text;
BEGIN
  SELECT u.email, u.deactivated_at IS NOT NULL INTO found_email, found_off
    FROM users u WHERE u.id = acting_user;
  IF NOT FOUND THEN
    RETURN;
  END IF;
  IF acting_organization IS NOT NULL THEN
    SELECT m.role INTO found_role FROM memberships m
     WHERE m.user_id = acting_user AND m.organization_id = acting_organization;
  END IF;
  -- Transaction-local, as renkei.tenancy.set_viewer writes them; an organization the user
  -- does not belong to is not acted for.
  PERFORM set_config('renkei.user_id', acting_user::text, true),
          set_config('renkei.email', lower(found_email), true),
          set_config('renkei.organization_id',
                     CASE WHEN found_role IS NULL THEN '' ELSE acting_organization::text END, true),
          set_config('renkei.role', coalesce(found_role, ''), true),
          set_config('renkei.system', '', true);
  RETURN QUERY SELECT found_email, found_role, found_off;
END $$
"""


def upgrade() -> None:
    app_role = context.config.attributes.get("app_role", "renkei_app")
    for table in ("users", "memberships"):
        op.execute(f'GRANT SELECT ON {table} TO "{DEFINER}"')
        op.execute(
            f'CREATE POLICY {table}_definer ON {table} FOR SELECT TO "{DEFINER}" USING (true)'
        )
    op.execute(FUNCTION)
    op.execute(f'ALTER FUNCTION {SIGNATURE} OWNER TO "{DEFINER}"')
    op.execute(f"REVOKE ALL ON FUNCTION {SIGNATURE} FROM PUBLIC")
    op.execute(f'GRANT EXECUTE ON FUNCTION {SIGNATURE} TO "{app_role}"')


def downgrade() -> None:
    op.execute(f"DROP FUNCTION {SIGNATURE}")
    for table in ("users", "memberships"):
        op.execute(f"DROP POLICY {table}_definer ON {table}")
        op.execute(f'REVOKE SELECT ON {table} FROM "{DEFINER}"')
