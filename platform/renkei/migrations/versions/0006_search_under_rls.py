"""Search that uses its GIN indexes under row-level security.

PostgreSQL evaluates a user's condition on a table with row-level security only after the
policies, unless its operator is leakproof; `@>` on arrays is not, so searches on `search_terms`
and `prefecture_codes` read every row. These functions run as the definer, whose policy lets
the index answer, and return only what the viewer's policies would show anyway.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-22
"""

from alembic import context, op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

DEFINER = "renkei_definer"
# The projects policy, as a condition on p: what the viewer may see of a project.
_SEES_PROJECT = (
    "(renkei_is_system() OR (renkei_user_id() IS NOT NULL AND p.visibility = 'PUBLIC')"
    " OR p.id IN (SELECT renkei_project_ids()) OR p.id IN (SELECT renkei_invited_project_ids()))"
)
_FUNCTIONS = {
    "renkei_project_search(terms text[])": (
        f"SELECT p.id FROM projects p WHERE p.search_terms @> terms AND {_SEES_PROJECT}"
    ),
    "renkei_projects_in_prefecture(code varchar)": (
        f"SELECT p.id FROM projects p WHERE p.prefecture_codes @> ARRAY[code] AND {_SEES_PROJECT}"
    ),
    "renkei_milestone_search(terms text[])": (
        "SELECT m.id FROM milestones m WHERE m.search_terms @> terms"
        " AND (renkei_is_system() OR m.project_id IN (SELECT renkei_project_ids()))"
    ),
}


def upgrade() -> None:
    app_role = context.config.attributes.get("app_role", "renkei_app")
    op.execute(f'GRANT SELECT ON milestones TO "{DEFINER}"')
    op.execute(
        f'CREATE POLICY milestones_definer ON milestones FOR SELECT TO "{DEFINER}" USING (true)'
    )
    for signature, body in _FUNCTIONS.items():
        op.execute(
            f"CREATE FUNCTION {signature} RETURNS SETOF uuid LANGUAGE plpgsql STABLE"
            f" SECURITY DEFINER SET search_path = public AS $$ BEGIN RETURN QUERY {body}; END $$"
        )
        op.execute(f'ALTER FUNCTION {signature} OWNER TO "{DEFINER}"')
        op.execute(f"REVOKE ALL ON FUNCTION {signature} FROM PUBLIC")
        op.execute(f'GRANT EXECUTE ON FUNCTION {signature} TO "{app_role}"')


def downgrade() -> None:
    for signature in _FUNCTIONS:
        op.execute(f"DROP FUNCTION {signature}")
    op.execute("DROP POLICY milestones_definer ON milestones")
    op.execute(f'REVOKE SELECT ON milestones FROM "{DEFINER}"')
