"""Locales: a user's saved language, an organization's default, a notification's language.

Renkei speaks Japanese first and English beside it (renkei.i18n). A reader's locale is their
saved preference (users.locale), then their browser's Accept-Language, then their
organization's default (organizations.default_locale), then Japanese. renkei_act_as, which puts
the viewer into the transaction, now also returns both saved locales in the same statement, so
a request learns its reader's language without another round trip; to read the organization's
default it may read organizations' id and default_locale, and nothing else of them. A
notification records the locale it was written in.

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import context, op

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None

LOCALES = "('ja', 'en')"

ACT_AS = """
CREATE FUNCTION renkei_act_as(acting_user uuid, acting_organization uuid)
 RETURNS TABLE(email text, role text, deactivated boolean, locale text, organization_locale text)
 LANGUAGE plpgsql SECURITY DEFINER SET search_path TO 'public'
AS $function$
DECLARE
  found_email text;
  found_off boolean;
  found_role text;
  found_locale text;
  found_organization_locale text;
BEGIN
  SELECT u.email, u.deactivated_at IS NOT NULL, u.locale
    INTO found_email, found_off, found_locale
    FROM users u WHERE u.id = acting_user;
  IF NOT FOUND THEN
    RETURN;
  END IF;
  IF acting_organization IS NOT NULL THEN
    SELECT m.role, o.default_locale INTO found_role, found_organization_locale
      FROM memberships m JOIN organizations o ON o.id = m.organization_id
     WHERE m.user_id = acting_user AND m.organization_id = acting_organization;
  END IF;
  -- Transaction-local, as renkei.tenancy.set_viewer writes them; an organization the user
  -- does not belong to is not acted for.
  PERFORM set_config('renkei.user_id', acting_user::text, true),
          set_config('renkei.email', lower(found_email), true),
          set_config('renkei.organization_id',
                     CASE WHEN found_role IS NULL THEN '' ELSE acting_organization::text END, true),
          set_config('renkei.role', coalesce(found_role, ''), true),
          set_config('renkei.system', '', true), set_config('renkei.project_ids', '', true);
  RETURN QUERY SELECT found_email, found_role, found_off, found_locale,
    CASE WHEN found_role IS NULL THEN NULL ELSE found_organization_locale END;
END $function$;
ALTER FUNCTION renkei_act_as(uuid, uuid) OWNER TO renkei_definer;
REVOKE ALL ON FUNCTION renkei_act_as(uuid, uuid) FROM PUBLIC;
"""

ACT_AS_0014 = """
CREATE FUNCTION renkei_act_as(acting_user uuid, acting_organization uuid)
 RETURNS TABLE(email text, role text, deactivated boolean)
 LANGUAGE plpgsql SECURITY DEFINER SET search_path TO 'public'
AS $function$
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
  PERFORM set_config('renkei.user_id', acting_user::text, true),
          set_config('renkei.email', lower(found_email), true),
          set_config('renkei.organization_id',
                     CASE WHEN found_role IS NULL THEN '' ELSE acting_organization::text END, true),
          set_config('renkei.role', coalesce(found_role, ''), true),
          set_config('renkei.system', '', true), set_config('renkei.project_ids', '', true);
  RETURN QUERY SELECT found_email, found_role, found_off;
END $function$;
ALTER FUNCTION renkei_act_as(uuid, uuid) OWNER TO renkei_definer;
REVOKE ALL ON FUNCTION renkei_act_as(uuid, uuid) FROM PUBLIC;
"""


def upgrade() -> None:
    for table, column in (
        ("users", "locale"),
        ("organizations", "default_locale"),
        ("notifications", "locale"),
    ):
        op.add_column(table, sa.Column(column, sa.String(8), nullable=True))
        op.create_check_constraint(f"ck_{table}_{column}", table, f"{column} IN {LOCALES}")
    app_role = context.config.attributes.get("app_role", "renkei_app")
    op.execute('GRANT SELECT (id, default_locale) ON organizations TO "renkei_definer"')
    op.execute(
        'CREATE POLICY organizations_definer ON organizations FOR SELECT TO "renkei_definer"'
        " USING (true)"
    )
    op.execute("DROP FUNCTION renkei_act_as(uuid, uuid)")
    op.execute(ACT_AS)
    op.execute(f'GRANT EXECUTE ON FUNCTION renkei_act_as(uuid, uuid) TO "{app_role}"')


def downgrade() -> None:
    app_role = context.config.attributes.get("app_role", "renkei_app")
    op.execute("DROP FUNCTION renkei_act_as(uuid, uuid)")
    op.execute(ACT_AS_0014)
    op.execute(f'GRANT EXECUTE ON FUNCTION renkei_act_as(uuid, uuid) TO "{app_role}"')
    op.execute("DROP POLICY organizations_definer ON organizations")
    op.execute('REVOKE SELECT (id, default_locale) ON organizations FROM "renkei_definer"')
    for table, column in (
        ("notifications", "locale"),
        ("organizations", "default_locale"),
        ("users", "locale"),
    ):
        op.drop_column(table, column)
