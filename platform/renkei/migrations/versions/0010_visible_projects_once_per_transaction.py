"""The projects the acting organization sees, computed once per transaction.

Every policy of a project's details (milestones, KPIs, observations, participants, activity…)
asks renkei_project_ids(), once per statement and table: a dashboard statement asked four times.
The function now keeps its answer in a transaction-local setting, keyed by the acting
organization, and a statement trigger forgets it whenever the transaction changes who takes part
in what (participants, region members, projects), so the answer is never older than the
transaction's own changes; renkei_act_as and set_viewer forget it too.

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-22
"""

from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

_COMPUTE = """
    SELECT pp.project_id FROM project_participants pp
     WHERE pp.organization_id = renkei_organization_id() AND pp.status = 'ACTIVE'
    UNION
    SELECT p.id FROM projects p JOIN region_members rm ON rm.region_id = p.region_id
     WHERE rm.organization_id = renkei_organization_id() AND rm.status = 'ACTIVE'
       AND p.visibility IN ('REGION', 'PUBLIC')"""

_CACHED = f"""
CREATE OR REPLACE FUNCTION renkei_project_ids() RETURNS SETOF uuid
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = public AS $$
DECLARE
  acting text := coalesce(renkei_organization_id()::text, '');
  kept text := coalesce(current_setting('renkei.project_ids', true), '');
  ids uuid[];
BEGIN
  IF kept <> '' AND split_part(kept, '|', 1) = acting THEN
    RETURN QUERY SELECT unnest(string_to_array(split_part(kept, '|', 2), ',')::uuid[]);
    RETURN;
  END IF;
  ids := ARRAY({_COMPUTE});
  PERFORM set_config('renkei.project_ids', acting || '|' || array_to_string(ids, ','), true);
  RETURN QUERY SELECT unnest(ids);
END $$
"""

# As migration 0005 left it (its downgrade reads the body back from "RETURN QUERY …; END").
_PLAIN = (
    "CREATE OR REPLACE FUNCTION renkei_project_ids() RETURNS SETOF uuid"
    " LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = public"
    f" AS $$ BEGIN RETURN QUERY {_COMPUTE}; END $$"
)

_FORGET = """
CREATE FUNCTION renkei_forget_project_ids() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM set_config('renkei.project_ids', '', true);
  RETURN NULL;
END $$
"""
_TABLES = ("project_participants", "region_members", "projects")


def upgrade() -> None:
    op.execute(_CACHED)
    op.execute(_FORGET)
    for table in _TABLES:
        op.execute(
            f"CREATE TRIGGER {table}_forget_project_ids AFTER INSERT OR UPDATE OR DELETE"
            f" ON {table} FOR EACH STATEMENT EXECUTE FUNCTION renkei_forget_project_ids()"
        )
    # renkei_act_as puts a new viewer into the transaction: it forgets the last one's projects.
    op.execute(
        """
        DO $$
        DECLARE source text;
        BEGIN
          SELECT prosrc INTO source FROM pg_proc WHERE proname = 'renkei_act_as';
          source := replace(source, 'set_config(''renkei.system'', '''', true);',
            'set_config(''renkei.system'', '''', true),'
            ' set_config(''renkei.project_ids'', '''', true);');
          EXECUTE format(
            'CREATE OR REPLACE FUNCTION renkei_act_as(acting_user uuid, acting_organization uuid)'
            ' RETURNS TABLE (email text, role text, deactivated boolean) LANGUAGE plpgsql'
            ' VOLATILE SECURITY DEFINER SET search_path = public AS %L', source);
        END $$
        """
    )


def downgrade() -> None:
    for table in _TABLES:
        op.execute(f"DROP TRIGGER {table}_forget_project_ids ON {table}")
    op.execute("DROP FUNCTION renkei_forget_project_ids()")
    op.execute(_PLAIN)
