"""The side-job journey: match steps in the activity log, needs serving milestones.

Every step of a match (scout, apply, accept, interview, contract, ...) is an entry of the
activity log with subject MATCH. Such an entry has no project nor region: row-level security
shows it to whoever sees the match itself (its firm, its professional, the platform).

A need served at most one milestone (`talent_needs.milestone_id`, never set through the API);
`talent_need_milestones` links a need to each milestone of its project it serves, and the
column goes (its values become links). A link is read by whoever sees the need, and written by
the need's firm (owners, admins, members), as the need itself.

Revision ID: 0027
Revises: 0026 (renumbered at merge: 0026 is taken in parallel)
Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import context, op

revision = "0027"
down_revision = "0026"
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


_SYSTEM = "(SELECT renkei_is_system())"
_SEES_NEED = "EXISTS (SELECT 1 FROM talent_needs n WHERE n.id = talent_need_milestones.need_id)"
_FIRM_WRITES = (
    "organization_id = (SELECT renkei_organization_id())"
    " AND (SELECT renkei_role()) = ANY (ARRAY['OWNER', 'ADMIN', 'MEMBER'])"
)


def _need_milestones() -> None:
    op.create_table(
        "talent_need_milestones",
        sa.Column("need_id", sa.Uuid(), nullable=False),
        sa.Column("milestone_id", sa.Uuid(), nullable=False),
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["need_id", "organization_id"],
            ["talent_needs.id", "talent_needs.organization_id"],
            name="fk_talent_need_milestones_need_organization",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["milestone_id"],
            ["milestones.id"],
            name=op.f("fk_talent_need_milestones_milestone_id_milestones"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_talent_need_milestones_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("need_id", "milestone_id", name=op.f("pk_talent_need_milestones")),
    )
    op.create_index(
        "ix_talent_need_milestones_milestone_id", "talent_need_milestones", ["milestone_id"]
    )
    op.execute(
        "INSERT INTO talent_need_milestones (need_id, milestone_id, organization_id)"
        " SELECT id, milestone_id, organization_id FROM talent_needs"
        " WHERE milestone_id IS NOT NULL"
    )
    op.drop_column("talent_needs", "milestone_id")
    role = context.config.attributes.get("app_role", "renkei_app")
    table = "talent_need_milestones"
    op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
    op.execute(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")
    op.execute(f'GRANT SELECT, INSERT, DELETE ON {table} TO "{role}"')
    for command, clause, condition in (
        ("SELECT", "USING", f"{_SYSTEM} OR {_SEES_NEED}"),
        ("INSERT", "WITH CHECK", f"{_SYSTEM} OR ({_FIRM_WRITES})"),
        ("DELETE", "USING", f"{_SYSTEM} OR ({_FIRM_WRITES})"),
    ):
        op.execute(
            f"CREATE POLICY {table}_{command.lower()} ON {table}"
            f' FOR {command} TO "{role}" {clause} ({condition})'
        )


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
    _need_milestones()


def downgrade() -> None:
    op.add_column("talent_needs", sa.Column("milestone_id", sa.Uuid(), nullable=True))
    op.create_foreign_key(
        op.f("fk_talent_needs_milestone_id_milestones"),
        "talent_needs",
        "milestones",
        ["milestone_id"],
        ["id"],
        ondelete="SET NULL",
    )
    # A need keeps one of its milestones: the column held one.
    op.execute(
        "UPDATE talent_needs n SET milestone_id = (SELECT min(l.milestone_id::text)::uuid"
        " FROM talent_need_milestones l WHERE l.need_id = n.id)"
    )
    op.drop_table("talent_need_milestones")
    # The log is append-only (a trigger): lift that for this one deletion.
    op.execute("ALTER TABLE activities DISABLE TRIGGER activities_append_only")
    op.execute("DELETE FROM activities WHERE subject_type = 'MATCH'")
    op.execute("ALTER TABLE activities ENABLE TRIGGER activities_append_only")
    op.execute(f"ALTER POLICY activities_select ON activities USING ({_SEES_ACTIVITY})")
    _subject_check(_SUBJECTS)
