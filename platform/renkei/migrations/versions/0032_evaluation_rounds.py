"""効果検証: evaluation rounds; KPI targets by calendar year, relative targets, national goals.

- `evaluation_rounds` of a region or a project, with the organizations that took part
  (`evaluation_participants`, name and kind copied), the KPIs reviewed with their attainment
  at the round's date copied when the round is recorded (`evaluation_kpi_reviews`), and
  findings and improvements (`evaluation_findings`; an improvement links its milestone).
  Row-level security: the region's members (or the project's participants) read a round, and
  anyone reads it once published; the secretariat's (or the lead's) owners and admins write
  it. The child tables follow their round (the rounds' policies apply inside EXISTS), and are
  written only while the round is unpublished; KPI reviews only while it is not recorded.
- `kpi_calendar_targets` (暦年 targets: 2030年), `kpi_relative_targets` ("at least the 東京圏
  level") and `kpi_national_goals` (a KPI's contribution to a goal of the 総合戦略) follow the
  KPI's row-level security for reading and its definers' for writing. `national_goals` is
  reference data: read by anyone signed in, written by the platform.

Revision ID: 0032
Revises: 0031
Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import context, op

revision = "0032"
# 0031 (grants) is written in parallel; the lead re-chains at merge.
down_revision = "0031"
branch_labels = None
depends_on = None

_SYSTEM = "(SELECT renkei_is_system())"
_ADMIN = "(SELECT renkei_role()) = ANY (ARRAY['OWNER', 'ADMIN'])"
# Who writes a round: the secretariat's admins (region) or the lead's (project).
_WRITER = (
    f"((r.region_id IN (SELECT renkei_secretariat_region_ids()) AND {_ADMIN})"
    f" OR (r.project_id IN (SELECT renkei_led_project_ids()) AND {_ADMIN}))"
)
_ROUND_WRITER = _WRITER.replace("r.", "")
_ROUND_READER = (
    "published_at IS NOT NULL"
    " OR region_id IN (SELECT renkei_region_ids())"
    " OR project_id IN (SELECT renkei_participating_project_ids())"
)
# A KPI's definers: the lead's admins (project) or the secretariat's (region).
_KPI_DEFINER = (
    "EXISTS (SELECT 1 FROM kpis k WHERE k.id = {table}.kpi_id AND ("
    "(k.project_id IN (SELECT renkei_led_project_ids()) AND {admin})"
    " OR (k.region_id IN (SELECT renkei_secretariat_region_ids()) AND {admin})))"
)
_KPI_READER = "EXISTS (SELECT 1 FROM kpis k WHERE k.id = {table}.kpi_id)"


def _policy(table: str, role: str, command: str, clauses: str) -> None:
    op.execute(
        f'CREATE POLICY {table}_{command.lower()} ON {table} FOR {command} TO "{role}" {clauses}'
    )


def _secure(table: str, role: str, read: str, write: str, write_using: str | None = None) -> None:
    op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
    op.execute(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")
    op.execute(f'GRANT SELECT, INSERT, UPDATE, DELETE ON {table} TO "{role}"')
    using = write_using or write
    _policy(table, role, "SELECT", f"USING ({_SYSTEM} OR {read})")
    _policy(table, role, "INSERT", f"WITH CHECK ({_SYSTEM} OR {write})")
    _policy(
        table, role, "UPDATE", f"USING ({_SYSTEM} OR {using}) WITH CHECK ({_SYSTEM} OR {write})"
    )
    _policy(table, role, "DELETE", f"USING ({_SYSTEM} OR {using})")


def _policies() -> None:
    role = context.config.attributes.get("app_role", "renkei_app")
    _secure("evaluation_rounds", role, f"({_ROUND_READER})", _ROUND_WRITER)
    for table, open_while in (
        ("evaluation_participants", "r.published_at IS NULL"),
        ("evaluation_findings", "r.published_at IS NULL"),
        ("evaluation_kpi_reviews", "r.recorded_at IS NULL"),
    ):
        read = f"EXISTS (SELECT 1 FROM evaluation_rounds r WHERE r.id = {table}.round_id)"
        write = (
            f"EXISTS (SELECT 1 FROM evaluation_rounds r WHERE r.id = {table}.round_id"
            f" AND {open_while} AND {_WRITER})"
        )
        _secure(table, role, read, write)
    for table in ("kpi_calendar_targets", "kpi_relative_targets", "kpi_national_goals"):
        _secure(
            table,
            role,
            _KPI_READER.format(table=table),
            _KPI_DEFINER.format(table=table, admin=_ADMIN),
        )
    op.execute("ALTER TABLE national_goals ENABLE ROW LEVEL SECURITY")
    op.execute("ALTER TABLE national_goals FORCE ROW LEVEL SECURITY")
    op.execute(f'GRANT SELECT, INSERT, UPDATE ON national_goals TO "{role}"')
    # Reference data, like organizations: read by anyone signed in (a published report keeps
    # the goal's words with its KPI review, so it needs no read here).
    _policy(
        "national_goals",
        role,
        "SELECT",
        f"USING ({_SYSTEM} OR (SELECT renkei_user_id()) IS NOT NULL)",
    )
    _policy("national_goals", role, "INSERT", f"WITH CHECK ({_SYSTEM})")
    _policy("national_goals", role, "UPDATE", f"USING ({_SYSTEM}) WITH CHECK ({_SYSTEM})")


def upgrade() -> None:
    op.create_table(
        "national_goals",
        sa.Column("code", sa.String(length=63), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("target_value", sa.Numeric(precision=20, scale=4), nullable=True),
        sa.Column("unit", sa.String(length=50), nullable=False),
        sa.Column("target_year", sa.Integer(), nullable=True),
        sa.Column("source_url", sa.Text(), nullable=True),
        sa.Column("confirmed", sa.Boolean(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_national_goals")),
        sa.UniqueConstraint("code", name=op.f("uq_national_goals_code")),
    )
    op.create_table(
        "evaluation_rounds",
        sa.Column("region_id", sa.Uuid(), nullable=True),
        sa.Column("project_id", sa.Uuid(), nullable=True),
        sa.Column("subject_name", sa.String(length=200), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("held_on", sa.Date(), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("demo", sa.Boolean(), server_default="false", nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_by_id", sa.Uuid(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "(project_id IS NULL) <> (region_id IS NULL)",
            name=op.f("ck_evaluation_rounds_project_or_region"),
        ),
        sa.CheckConstraint(
            "published_at IS NULL OR recorded_at IS NOT NULL",
            name=op.f("ck_evaluation_rounds_published_when_recorded"),
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["users.id"],
            name=op.f("fk_evaluation_rounds_created_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["projects.id"],
            name=op.f("fk_evaluation_rounds_project_id_projects"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["region_id"],
            ["regions.id"],
            name=op.f("fk_evaluation_rounds_region_id_regions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_evaluation_rounds")),
    )
    op.create_index(
        "ix_evaluation_rounds_project_id",
        "evaluation_rounds",
        ["project_id", "held_on", "id"],
        unique=False,
    )
    op.create_index(
        "ix_evaluation_rounds_region_id",
        "evaluation_rounds",
        ["region_id", "held_on", "id"],
        unique=False,
    )
    op.create_table(
        "evaluation_findings",
        sa.Column("round_id", sa.Uuid(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "FINDING",
                "IMPROVEMENT",
                name="finding_kind",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("owner_organization_id", sa.Uuid(), nullable=True),
        sa.Column("owner_name", sa.String(length=200), nullable=True),
        sa.Column("due_on", sa.Date(), nullable=True),
        sa.Column("milestone_id", sa.Uuid(), nullable=True),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "kind <> 'IMPROVEMENT' OR (owner_name IS NOT NULL AND due_on IS NOT NULL)",
            name=op.f("ck_evaluation_findings_improvement_owned_and_due"),
        ),
        sa.ForeignKeyConstraint(
            ["milestone_id"],
            ["milestones.id"],
            name=op.f("fk_evaluation_findings_milestone_id_milestones"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["owner_organization_id"],
            ["organizations.id"],
            name=op.f("fk_evaluation_findings_owner_organization_id_organizations"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["round_id"],
            ["evaluation_rounds.id"],
            name=op.f("fk_evaluation_findings_round_id_evaluation_rounds"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_evaluation_findings")),
    )
    op.create_index(
        op.f("ix_evaluation_findings_round_id"), "evaluation_findings", ["round_id"], unique=False
    )
    op.create_table(
        "evaluation_kpi_reviews",
        sa.Column("round_id", sa.Uuid(), nullable=False),
        sa.Column("kpi_id", sa.Uuid(), nullable=True),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("kpi_name", sa.String(length=200), nullable=False),
        sa.Column("unit", sa.String(length=50), nullable=False),
        sa.Column(
            "direction",
            sa.Enum(
                "INCREASE",
                "DECREASE",
                name="evaluation_kpi_direction",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("baseline", sa.Numeric(precision=20, scale=4), nullable=False),
        sa.Column("target", sa.Numeric(precision=20, scale=4), nullable=True),
        sa.Column("target_period", sa.String(length=20), nullable=True),
        sa.Column("latest", sa.Numeric(precision=20, scale=4), nullable=True),
        sa.Column("latest_period_start", sa.Date(), nullable=True),
        sa.Column("latest_period_end", sa.Date(), nullable=True),
        sa.Column("percent", sa.Numeric(precision=10, scale=1), nullable=True),
        sa.Column("achieved", sa.Boolean(), nullable=False),
        sa.Column("reason_code", sa.String(length=40), nullable=True),
        sa.Column("relative_target_name", sa.Text(), nullable=True),
        sa.Column("relative_target_value", sa.Numeric(precision=20, scale=4), nullable=True),
        sa.Column("relative_achieved", sa.Boolean(), nullable=True),
        sa.Column("national_goal", sa.Text(), nullable=True),
        sa.Column("comment", sa.Text(), nullable=False),
        sa.Column("frozen_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["kpi_id"],
            ["kpis.id"],
            name=op.f("fk_evaluation_kpi_reviews_kpi_id_kpis"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["round_id"],
            ["evaluation_rounds.id"],
            name=op.f("fk_evaluation_kpi_reviews_round_id_evaluation_rounds"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_evaluation_kpi_reviews")),
        sa.UniqueConstraint(
            "round_id", "kpi_id", name=op.f("uq_evaluation_kpi_reviews_round_id_kpi_id")
        ),
    )
    op.create_table(
        "evaluation_participants",
        sa.Column("round_id", sa.Uuid(), nullable=False),
        sa.Column("organization_id", sa.Uuid(), nullable=True),
        sa.Column("organization_name", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_evaluation_participants_organization_id_organizations"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["round_id"],
            ["evaluation_rounds.id"],
            name=op.f("fk_evaluation_participants_round_id_evaluation_rounds"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_evaluation_participants")),
        sa.UniqueConstraint(
            "round_id",
            "organization_id",
            name=op.f("uq_evaluation_participants_round_id_organization_id"),
        ),
    )
    op.create_table(
        "kpi_calendar_targets",
        sa.Column("kpi_id", sa.Uuid(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("value", sa.Numeric(precision=20, scale=4), nullable=False),
        sa.ForeignKeyConstraint(
            ["kpi_id"],
            ["kpis.id"],
            name=op.f("fk_kpi_calendar_targets_kpi_id_kpis"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("kpi_id", "year", name=op.f("pk_kpi_calendar_targets")),
    )
    op.create_table(
        "kpi_national_goals",
        sa.Column("kpi_id", sa.Uuid(), nullable=False),
        sa.Column("national_goal_id", sa.Uuid(), nullable=False),
        sa.Column("contribution", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["kpi_id"],
            ["kpis.id"],
            name=op.f("fk_kpi_national_goals_kpi_id_kpis"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["national_goal_id"],
            ["national_goals.id"],
            name=op.f("fk_kpi_national_goals_national_goal_id_national_goals"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("kpi_id", name=op.f("pk_kpi_national_goals")),
    )
    op.create_index(
        op.f("ix_kpi_national_goals_national_goal_id"),
        "kpi_national_goals",
        ["national_goal_id"],
        unique=False,
    )
    op.create_table(
        "kpi_relative_targets",
        sa.Column("kpi_id", sa.Uuid(), nullable=False),
        sa.Column("reference_name", sa.String(length=200), nullable=False),
        sa.Column("reference_value", sa.Numeric(precision=20, scale=4), nullable=False),
        sa.Column("factor", sa.Numeric(precision=10, scale=4), nullable=False),
        sa.Column("reference_on", sa.Date(), nullable=True),
        sa.Column("source_url", sa.Text(), nullable=True),
        sa.Column("description", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["kpi_id"],
            ["kpis.id"],
            name=op.f("fk_kpi_relative_targets_kpi_id_kpis"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("kpi_id", name=op.f("pk_kpi_relative_targets")),
    )
    _policies()


def downgrade() -> None:
    op.drop_table("kpi_relative_targets")
    op.drop_index(op.f("ix_kpi_national_goals_national_goal_id"), table_name="kpi_national_goals")
    op.drop_table("kpi_national_goals")
    op.drop_table("kpi_calendar_targets")
    op.drop_table("evaluation_participants")
    op.drop_table("evaluation_kpi_reviews")
    op.drop_index(op.f("ix_evaluation_findings_round_id"), table_name="evaluation_findings")
    op.drop_table("evaluation_findings")
    op.drop_index("ix_evaluation_rounds_region_id", table_name="evaluation_rounds")
    op.drop_index("ix_evaluation_rounds_project_id", table_name="evaluation_rounds")
    op.drop_table("evaluation_rounds")
    op.drop_table("national_goals")
