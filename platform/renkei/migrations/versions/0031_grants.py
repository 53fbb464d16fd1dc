"""Grants (交付金) and their cycle; the donor of a 企業版ふるさと納税 and its 人材派遣型 variant.

- `grant_schemes`: schemes as published data (補助率, cap, 年度, the region-wide allowance), with
  their source and the fields it does not confirm. Everyone signed in reads them; only the
  platform or a platform operator writes them.
- `grant_applications`: a project's applications, 構想 → 申請 → 交付決定 → 実績報告 → 確定, and
  `grant_application_transitions`, one row per step (who, for which organization, when). Only
  the project's active participants read them; only the lead organization's owners and admins
  write them (the service checks the same and the order of the steps).
- `renkei_region_grant_allowance_used(region, scheme)`: what a region's applications draw on a
  scheme's region-wide allowance, summed, for the region's members (null for anyone else): a
  member sees how much of the allowance is left without reading the others' applications.
- Activity entries of subject GRANT_APPLICATION are the participants' only: a region's members
  who see a project's activity do not see its grant amounts.
- `funding_sources.staff_secondment`: a 企業版ふるさと納税 given as seconded staff (人材派遣型);
  its donor firm is the funder organization.

Revision ID: 0031
Revises: 0030
Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import context, op

revision = "0031"
down_revision = "0030"
branch_labels = None
depends_on = None

DEFINER = "renkei_definer"
_SYSTEM = "(SELECT renkei_is_system())"
_SIGNED_IN = "(SELECT renkei_user_id()) IS NOT NULL"
_OPERATOR = "EXISTS (SELECT FROM platform_operators o WHERE o.user_id = (SELECT renkei_user_id()))"
_LEAD_ADMIN = (
    "project_id IN (SELECT renkei_led_project_ids())"
    " AND (SELECT renkei_role()) = ANY (ARRAY['OWNER', 'ADMIN'])"
)


def _participant(table: str) -> str:
    return (
        f"EXISTS (SELECT 1 FROM project_participants pp WHERE pp.project_id = {table}.project_id"
        " AND pp.organization_id = (SELECT renkei_organization_id()) AND pp.status = 'ACTIVE')"
    )


_STATUSES = ("CONCEPT", "APPLIED", "DECIDED", "REPORTED", "SETTLED")
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
    "MATCH",
)

# activities_select as 0027 left it, and as it is now: a region's members see a project's
# entries, except its grant applications'.
_SEES_ACTIVITY = """(SELECT renkei_is_system())
 OR EXISTS (SELECT 1 FROM projects p WHERE p.id = activities.project_id
   AND p.visibility::text = ANY (ARRAY['REGION', 'PUBLIC'])
   AND p.region_id = ANY (ARRAY(SELECT renkei_region_ids()))){grants}
 OR EXISTS (SELECT 1 FROM project_participants pp WHERE pp.project_id = activities.project_id
   AND pp.organization_id = (SELECT renkei_organization_id()) AND pp.status::text = 'ACTIVE')
 OR (project_id IS NULL AND region_id IN (SELECT renkei_region_ids()))
 OR (subject_type::text = 'MATCH'
 AND EXISTS (SELECT 1 FROM matches m WHERE m.id = activities.subject_id))"""
_NOT_GRANTS = " AND activities.subject_type::text <> 'GRANT_APPLICATION'"

_ALLOWANCE_USED = """
CREATE FUNCTION renkei_region_grant_allowance_used(region uuid, scheme uuid) RETURNS bigint
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public AS $$
  SELECT CASE WHEN renkei_is_system() OR region IN (SELECT renkei_region_ids())
    THEN coalesce(sum(coalesce(a.final_amount_jpy, a.decided_amount_jpy,
                               a.requested_grant_jpy)), 0)::bigint END
    FROM grant_applications a
   WHERE a.region_id = region AND a.scheme_id = scheme AND a.uses_region_allowance
$$"""


def _values(values: tuple[str, ...]) -> str:
    return ", ".join(f"'{v}'" for v in values)


def _secure(table: str, role: str, grants: str, policies: dict[str, str]) -> None:
    op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
    op.execute(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")
    op.execute(f'GRANT {grants} ON {table} TO "{role}"')
    for command, clauses in policies.items():
        op.execute(
            f"CREATE POLICY {table}_{command.lower()} ON {table}"
            f' FOR {command} TO "{role}" {clauses}'
        )


def _schemes(role: str) -> None:
    op.create_table(
        "grant_schemes",
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("ministry", sa.String(length=200), nullable=False),
        sa.Column("fiscal_year", sa.Integer(), nullable=False),
        sa.Column("rate", sa.Numeric(precision=5, scale=4), nullable=True),
        sa.Column("cap_jpy", sa.BigInteger(), nullable=True),
        sa.Column("budget_jpy", sa.BigInteger(), nullable=True),
        sa.Column("region_allowance_jpy", sa.BigInteger(), nullable=True),
        sa.Column("period_starts_on", sa.Date(), nullable=True),
        sa.Column("period_ends_on", sa.Date(), nullable=True),
        sa.Column("source_url", sa.Text(), nullable=False),
        sa.Column("notes", sa.Text(), nullable=False),
        sa.Column("unconfirmed_fields", sa.ARRAY(sa.Text()), nullable=False),
        sa.Column("demo", sa.Boolean(), server_default="false", nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "rate IS NULL OR (rate > 0 AND rate <= 1)",
            name=op.f("ck_grant_schemes_rate_is_a_share"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_grant_schemes")),
    )
    publisher = f"{_SYSTEM} OR {_OPERATOR}"
    _secure(
        "grant_schemes",
        role,
        "SELECT, INSERT, UPDATE",
        {
            "SELECT": f"USING ({_SYSTEM} OR {_SIGNED_IN})",
            "INSERT": f"WITH CHECK ({publisher})",
            "UPDATE": f"USING ({publisher}) WITH CHECK ({publisher})",
        },
    )


def _applications(role: str) -> None:
    status = sa.Enum(
        *_STATUSES,
        name="grant_application_status",
        native_enum=False,
        length=32,
        create_constraint=True,
    )
    op.create_table(
        "grant_applications",
        sa.Column("project_id", sa.Uuid(), nullable=False),
        sa.Column("region_id", sa.Uuid(), nullable=True),
        sa.Column("scheme_id", sa.Uuid(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("status", status, nullable=False),
        sa.Column("requested_cost_jpy", sa.BigInteger(), nullable=False),
        sa.Column("requested_grant_jpy", sa.BigInteger(), nullable=True),
        sa.Column("rate", sa.Numeric(precision=5, scale=4), nullable=True),
        sa.Column("uses_region_allowance", sa.Boolean(), nullable=False),
        sa.Column("applied_on", sa.Date(), nullable=True),
        sa.Column("decided_amount_jpy", sa.BigInteger(), nullable=True),
        sa.Column("decided_on", sa.Date(), nullable=True),
        sa.Column("conditions", sa.Text(), nullable=False),
        sa.Column("report_due_on", sa.Date(), nullable=True),
        sa.Column("reported_spending_jpy", sa.BigInteger(), nullable=True),
        sa.Column("reported_on", sa.Date(), nullable=True),
        sa.Column("final_amount_jpy", sa.BigInteger(), nullable=True),
        sa.Column("settled_on", sa.Date(), nullable=True),
        sa.Column("application_baseline_id", sa.Uuid(), nullable=True),
        sa.Column("decision_baseline_id", sa.Uuid(), nullable=True),
        sa.Column("demo", sa.Boolean(), server_default="false", nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_by_id", sa.Uuid(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "requested_cost_jpy > 0", name=op.f("ck_grant_applications_cost_positive")
        ),
        sa.CheckConstraint(
            "rate IS NULL OR (rate > 0 AND rate <= 1)",
            name=op.f("ck_grant_applications_rate_is_a_share"),
        ),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["projects.id"],
            name=op.f("fk_grant_applications_project_id_projects"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["region_id"],
            ["regions.id"],
            name=op.f("fk_grant_applications_region_id_regions"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["scheme_id"],
            ["grant_schemes.id"],
            name=op.f("fk_grant_applications_scheme_id_grant_schemes"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["application_baseline_id"],
            ["baselines.id"],
            name=op.f("fk_grant_applications_application_baseline_id_baselines"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["decision_baseline_id"],
            ["baselines.id"],
            name=op.f("fk_grant_applications_decision_baseline_id_baselines"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["users.id"],
            name=op.f("fk_grant_applications_created_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_grant_applications")),
    )
    op.create_index(
        "ix_grant_applications_project_id_created_at",
        "grant_applications",
        ["project_id", "created_at", "id"],
    )
    op.create_index(
        "ix_grant_applications_region_id_scheme_id",
        "grant_applications",
        ["region_id", "scheme_id"],
    )
    writer = f"{_SYSTEM} OR ({_LEAD_ADMIN})"
    _secure(
        "grant_applications",
        role,
        "SELECT, INSERT, UPDATE",
        {
            "SELECT": f"USING ({_SYSTEM} OR {_participant('grant_applications')})",
            "INSERT": f"WITH CHECK ({writer})",
            "UPDATE": f"USING ({writer}) WITH CHECK ({writer})",
        },
    )
    table = "grant_application_transitions"
    op.create_table(
        table,
        sa.Column("application_id", sa.Uuid(), nullable=False),
        sa.Column("project_id", sa.Uuid(), nullable=False),
        sa.Column(
            "from_status",
            sa.Enum(
                *_STATUSES,
                name="grant_transition_from",
                native_enum=False,
                length=32,
                create_constraint=True,
            ),
            nullable=True,
        ),
        sa.Column(
            "to_status",
            sa.Enum(
                *_STATUSES,
                name="grant_transition_to",
                native_enum=False,
                length=32,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("user_id", sa.Uuid(), nullable=True),
        sa.Column("organization_id", sa.Uuid(), nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["application_id"],
            ["grant_applications.id"],
            name=op.f("fk_grant_application_transitions_application_id_grant_applications"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["projects.id"],
            name=op.f("fk_grant_application_transitions_project_id_projects"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_grant_application_transitions_user_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_grant_application_transitions_organization_id_organizations"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_grant_application_transitions")),
    )
    op.create_index(
        "ix_grant_application_transitions_application_id_at", table, ["application_id", "at"]
    )
    _secure(
        table,
        role,
        "SELECT, INSERT",
        {
            "SELECT": f"USING ({_SYSTEM} OR {_participant(table)})",
            "INSERT": f"WITH CHECK ({_SYSTEM} OR ({_LEAD_ADMIN}))",
        },
    )


def _subject_check(subjects: tuple[str, ...]) -> None:
    op.drop_constraint(op.f("ck_activities_subject_type"), "activities", type_="check")
    op.create_check_constraint(
        op.f("ck_activities_subject_type"), "activities", f"subject_type IN ({_values(subjects)})"
    )


def upgrade() -> None:
    role = context.config.attributes.get("app_role", "renkei_app")
    _schemes(role)
    _applications(role)
    op.execute(f'GRANT SELECT ON grant_applications TO "{DEFINER}"')
    op.execute(
        f'CREATE POLICY grant_applications_definer ON grant_applications FOR SELECT TO "{DEFINER}"'
        " USING (true)"
    )
    op.execute(_ALLOWANCE_USED)
    signature = "renkei_region_grant_allowance_used(uuid, uuid)"
    op.execute(f'ALTER FUNCTION {signature} OWNER TO "{DEFINER}"')
    op.execute(f"REVOKE ALL ON FUNCTION {signature} FROM PUBLIC")
    op.execute(f'GRANT EXECUTE ON FUNCTION {signature} TO "{role}"')
    _subject_check((*_SUBJECTS, "GRANT_APPLICATION"))
    op.execute(
        "ALTER POLICY activities_select ON activities"
        f" USING ({_SEES_ACTIVITY.format(grants=_NOT_GRANTS)})"
    )
    op.add_column(
        "funding_sources",
        sa.Column("staff_secondment", sa.Boolean(), server_default=sa.false(), nullable=False),
    )
    op.create_check_constraint(
        op.f("ck_funding_sources_staff_secondment_is_hometown_tax"),
        "funding_sources",
        "NOT staff_secondment OR kind = 'CORPORATE_HOMETOWN_TAX'",
    )


def downgrade() -> None:
    op.drop_constraint(
        op.f("ck_funding_sources_staff_secondment_is_hometown_tax"),
        "funding_sources",
        type_="check",
    )
    op.drop_column("funding_sources", "staff_secondment")
    op.execute(
        f"ALTER POLICY activities_select ON activities USING ({_SEES_ACTIVITY.format(grants='')})"
    )
    # The log is append-only (a trigger): lift that for this one deletion.
    op.execute("ALTER TABLE activities DISABLE TRIGGER activities_append_only")
    op.execute("DELETE FROM activities WHERE subject_type = 'GRANT_APPLICATION'")
    op.execute("ALTER TABLE activities ENABLE TRIGGER activities_append_only")
    _subject_check(_SUBJECTS)
    op.execute("DROP FUNCTION renkei_region_grant_allowance_used(uuid, uuid)")
    op.drop_table("grant_application_transitions")
    op.drop_table("grant_applications")
    op.drop_table("grant_schemes")
