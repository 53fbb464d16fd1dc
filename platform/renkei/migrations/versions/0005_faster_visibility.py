"""Visibility functions as PL/pgSQL, whose plans are kept per session, and covering indexes.

Policies call the definer's functions once per statement and table; as SQL functions they were
planned anew on every call. The indexes let those functions read only index pages.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-22
"""

from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

_FUNCTIONS = (
    "renkei_project_ids",
    "renkei_participating_project_ids",
    "renkei_invited_project_ids",
    "renkei_led_project_ids",
    "renkei_region_ids",
    "renkei_secretariat_region_ids",
)


def _redefine(language: str) -> None:
    for name in _FUNCTIONS:
        op.execute(
            f"""
            DO $do$
            DECLARE body text;
            BEGIN
              SELECT CASE WHEN p.prolang = (SELECT oid FROM pg_language WHERE lanname = 'sql')
                          THEN p.prosrc
                          ELSE substring(p.prosrc FROM 'RETURN QUERY (.*); END') END
                INTO body FROM pg_proc p WHERE p.proname = '{name}';
              EXECUTE format(
                'CREATE OR REPLACE FUNCTION {name}() RETURNS SETOF uuid LANGUAGE {language}'
                ' STABLE SECURITY DEFINER SET search_path = public AS %L',
                CASE WHEN '{language}' = 'plpgsql'
                     THEN 'BEGIN RETURN QUERY ' || body || '; END'
                     ELSE body END);
            END $do$
            """
        )


def upgrade() -> None:
    _redefine("plpgsql")
    op.create_index(
        "ix_projects_region_id_visibility", "projects", ["region_id", "visibility", "id"]
    )
    op.create_index(
        "ix_project_participants_organization_id_status_project_id",
        "project_participants",
        ["organization_id", "status", "project_id"],
    )
    op.drop_index("ix_project_participants_organization_id_status", "project_participants")


def downgrade() -> None:
    op.create_index(
        "ix_project_participants_organization_id_status",
        "project_participants",
        ["organization_id", "status"],
    )
    op.drop_index(
        "ix_project_participants_organization_id_status_project_id", "project_participants"
    )
    op.drop_index("ix_projects_region_id_visibility", "projects")
    _redefine("sql")
