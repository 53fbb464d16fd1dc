"""The side-job journey: match steps in the activity log.

Every step of a match (scout, apply, accept, interview, contract, ...) is an entry of the
activity log with subject MATCH. Such an entry has no project nor region: row-level security
shows it to whoever sees the match itself (its firm, its professional, the platform).

Revision ID: 0027
Revises: 0025 (renumbered at merge: 0026 is taken in parallel)
Create Date: 2026-12-06
"""

from alembic import op

revision = "0027"
down_revision = "0025"
branch_labels = None
depends_on = None

_SUBJECTS = (
    "REGION",
    "REGION_MEMBER",
    "PROJECT",
    "PARTICIPANT",
    "FUNDING_SOURCE",
    "MILESTONE",
    "BASELINE",
    "KPI",
    "KPI_OBSERVATION",
)

_SEES_ACTIVITY = """(SELECT renkei_is_system())
 OR EXISTS (SELECT 1 FROM projects p WHERE p.id = activities.project_id
   AND p.visibility::text = ANY (ARRAY['REGION', 'PUBLIC'])
   AND p.region_id = ANY (ARRAY(SELECT renkei_region_ids())))
 OR EXISTS (SELECT 1 FROM project_participants pp WHERE pp.project_id = activities.project_id
   AND pp.organization_id = (SELECT renkei_organization_id()) AND pp.status::text = 'ACTIVE')
 OR (project_id IS NULL AND region_id IN (SELECT renkei_region_ids()))"""

# The matches table's own row-level security decides who sees the match.
_SEES_MATCH = """ OR (subject_type::text = 'MATCH'
 AND EXISTS (SELECT 1 FROM matches m WHERE m.id = activities.subject_id))"""


def _subject_check(subjects: tuple[str, ...]) -> None:
    op.drop_constraint(op.f("ck_activities_subject_type"), "activities", type_="check")
    values = ", ".join(f"'{s}'" for s in subjects)
    op.create_check_constraint(
        op.f("ck_activities_subject_type"), "activities", f"subject_type IN ({values})"
    )


def upgrade() -> None:
    _subject_check((*_SUBJECTS, "MATCH"))
    op.execute(
        f"ALTER POLICY activities_select ON activities USING ({_SEES_ACTIVITY}{_SEES_MATCH})"
    )


def downgrade() -> None:
    # The log is append-only (a trigger): lift that for this one deletion.
    op.execute("ALTER TABLE activities DISABLE TRIGGER activities_append_only")
    op.execute("DELETE FROM activities WHERE subject_type = 'MATCH'")
    op.execute("ALTER TABLE activities ENABLE TRIGGER activities_append_only")
    op.execute(f"ALTER POLICY activities_select ON activities USING ({_SEES_ACTIVITY})")
    _subject_check(_SUBJECTS)
