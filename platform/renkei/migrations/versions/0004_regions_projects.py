"""Regions, projects, milestones, KPIs, baselines, activity; who sees them, enforced by RLS.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22 09:30:39.091450
"""

import sqlalchemy as sa
from alembic import context, op
from sqlalchemy.dialects import postgresql

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "regions",
        sa.Column("slug", sa.String(length=63), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("prefecture_codes", sa.ARRAY(sa.String(length=2)), nullable=False),
        sa.Column("secretariat_organization_id", sa.Uuid(), nullable=False),
        sa.Column("declaration_text", sa.Text(), nullable=False),
        sa.Column("declared_on", sa.Date(), nullable=True),
        sa.Column("vision_text", sa.Text(), nullable=True),
        sa.Column("vision_adopted_on", sa.Date(), nullable=True),
        sa.Column("vision_version", sa.Integer(), nullable=False),
        sa.Column("search_terms", sa.ARRAY(sa.Text()), nullable=False),
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
            "cardinality(prefecture_codes) >= 2", name=op.f("ck_regions_crosses_prefectures")
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["users.id"],
            name=op.f("fk_regions_created_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["secretariat_organization_id"],
            ["organizations.id"],
            name=op.f("fk_regions_secretariat_organization_id_organizations"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_regions")),
        sa.UniqueConstraint("slug", name=op.f("uq_regions_slug")),
    )
    op.create_index(
        "ix_regions_search_terms", "regions", ["search_terms"], unique=False, postgresql_using="gin"
    )
    op.create_index(
        op.f("ix_regions_secretariat_organization_id"),
        "regions",
        ["secretariat_organization_id"],
        unique=False,
    )
    op.create_table(
        "projects",
        sa.Column("region_id", sa.Uuid(), nullable=True),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column(
            "category",
            sa.Enum(
                "SEMICONDUCTOR",
                "JOINT_RND",
                "CIRCUIT_TOURISM",
                "GX_ENERGY",
                "DX",
                "FOOD_EXPORT",
                "INFRASTRUCTURE",
                "TALENT_DEVELOPMENT",
                name="project_category",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column(
            "status",
            sa.Enum(
                "PLANNED",
                "ACTIVE",
                "ON_HOLD",
                "COMPLETED",
                "CANCELLED",
                name="project_status",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column(
            "visibility",
            sa.Enum(
                "PARTICIPANTS",
                "REGION",
                "PUBLIC",
                name="project_visibility",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("lead_organization_id", sa.Uuid(), nullable=False),
        sa.Column("prefecture_codes", sa.ARRAY(sa.String(length=2)), nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=True),
        sa.Column("ends_on", sa.Date(), nullable=True),
        sa.Column("search_terms", sa.ARRAY(sa.Text()), nullable=False),
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
            "visibility <> 'REGION' OR region_id IS NOT NULL",
            name=op.f("ck_projects_region_visibility_has_region"),
        ),
        sa.CheckConstraint(
            "cardinality(prefecture_codes) >= 1", name=op.f("ck_projects_has_prefectures")
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["users.id"],
            name=op.f("fk_projects_created_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["lead_organization_id"],
            ["organizations.id"],
            name=op.f("fk_projects_lead_organization_id_organizations"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["region_id"],
            ["regions.id"],
            name=op.f("fk_projects_region_id_regions"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_projects")),
    )
    op.create_index(
        op.f("ix_projects_lead_organization_id"), "projects", ["lead_organization_id"], unique=False
    )
    op.create_index(
        "ix_projects_prefecture_codes",
        "projects",
        ["prefecture_codes"],
        unique=False,
        postgresql_using="gin",
    )
    op.create_index(
        "ix_projects_region_id_name", "projects", ["region_id", "name", "id"], unique=False
    )
    op.create_index(
        "ix_projects_search_terms",
        "projects",
        ["search_terms"],
        unique=False,
        postgresql_using="gin",
    )
    op.create_table(
        "region_members",
        sa.Column("region_id", sa.Uuid(), nullable=False),
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column(
            "role",
            sa.Enum(
                "SECRETARIAT",
                "MEMBER",
                "SUPPORTER",
                name="region_role",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column(
            "status",
            sa.Enum(
                "INVITED",
                "ACTIVE",
                "DECLINED",
                "LEFT",
                name="region_member_status",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("is_signatory", sa.Boolean(), nullable=False),
        sa.Column("invited_by_id", sa.Uuid(), nullable=True),
        sa.Column("responded_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["invited_by_id"],
            ["users.id"],
            name=op.f("fk_region_members_invited_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_region_members_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["region_id"],
            ["regions.id"],
            name=op.f("fk_region_members_region_id_regions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_region_members")),
        sa.UniqueConstraint(
            "region_id", "organization_id", name=op.f("uq_region_members_region_id_organization_id")
        ),
    )
    op.create_index(
        op.f("ix_region_members_organization_id"),
        "region_members",
        ["organization_id"],
        unique=False,
    )
    op.create_table(
        "activities",
        sa.Column(
            "subject_type",
            sa.Enum(
                "REGION",
                "REGION_MEMBER",
                "PROJECT",
                "PARTICIPANT",
                "FUNDING_SOURCE",
                "MILESTONE",
                "BASELINE",
                "KPI",
                "KPI_OBSERVATION",
                name="subject_type",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("subject_id", sa.Uuid(), nullable=False),
        sa.Column("project_id", sa.Uuid(), nullable=True),
        sa.Column("region_id", sa.Uuid(), nullable=True),
        sa.Column("action", sa.String(length=64), nullable=False),
        sa.Column("actor_user_id", sa.Uuid(), nullable=True),
        sa.Column("actor_organization_id", sa.Uuid(), nullable=True),
        sa.Column("before", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("after", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["actor_organization_id"],
            ["organizations.id"],
            name=op.f("fk_activities_actor_organization_id_organizations"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["actor_user_id"],
            ["users.id"],
            name=op.f("fk_activities_actor_user_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["projects.id"],
            name=op.f("fk_activities_project_id_projects"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["region_id"],
            ["regions.id"],
            name=op.f("fk_activities_region_id_regions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_activities")),
    )
    op.create_index(
        "ix_activities_project_id_created_at",
        "activities",
        ["project_id", "created_at", "id"],
        unique=False,
    )
    op.create_index(
        "ix_activities_region_id_created_at",
        "activities",
        ["region_id", "created_at", "id"],
        unique=False,
    )
    op.create_index(
        "ix_activities_subject_id_created_at",
        "activities",
        ["subject_id", "created_at", "id"],
        unique=False,
    )
    op.create_table(
        "baselines",
        sa.Column("project_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("created_by_id", sa.Uuid(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["users.id"],
            name=op.f("fk_baselines_created_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["projects.id"],
            name=op.f("fk_baselines_project_id_projects"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_baselines")),
        sa.UniqueConstraint("project_id", "name", name=op.f("uq_baselines_project_id_name")),
    )
    op.create_table(
        "funding_sources",
        sa.Column("project_id", sa.Uuid(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "NATIONAL_GRANT",
                "SUBSIDY",
                "CORPORATE_HOMETOWN_TAX",
                "BANK_FINANCE",
                "LOCAL_GOVERNMENT_BUDGET",
                "PRIVATE_INVESTMENT",
                "OTHER",
                name="funding_kind",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("amount_jpy", sa.BigInteger(), nullable=False),
        sa.Column("fiscal_year", sa.Integer(), nullable=True),
        sa.Column("funder_organization_id", sa.Uuid(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["funder_organization_id"],
            ["organizations.id"],
            name=op.f("fk_funding_sources_funder_organization_id_organizations"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["projects.id"],
            name=op.f("fk_funding_sources_project_id_projects"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_funding_sources")),
    )
    op.create_index(
        op.f("ix_funding_sources_project_id"), "funding_sources", ["project_id"], unique=False
    )
    op.create_table(
        "kpis",
        sa.Column("project_id", sa.Uuid(), nullable=True),
        sa.Column("region_id", sa.Uuid(), nullable=True),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("unit", sa.String(length=50), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column(
            "direction",
            sa.Enum(
                "INCREASE",
                "DECREASE",
                name="kpi_direction",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("baseline_value", sa.Numeric(precision=20, scale=4), nullable=False),
        sa.Column("baseline_on", sa.Date(), nullable=True),
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
            "(project_id IS NULL) <> (region_id IS NULL)", name=op.f("ck_kpis_project_or_region")
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["users.id"],
            name=op.f("fk_kpis_created_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["projects.id"],
            name=op.f("fk_kpis_project_id_projects"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["region_id"],
            ["regions.id"],
            name=op.f("fk_kpis_region_id_regions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_kpis")),
    )
    op.create_index("ix_kpis_project_id", "kpis", ["project_id", "name", "id"], unique=False)
    op.create_index("ix_kpis_region_id", "kpis", ["region_id", "name", "id"], unique=False)
    op.create_table(
        "milestones",
        sa.Column("project_id", sa.Uuid(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=True),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("horizon_years", sa.Integer(), nullable=False),
        sa.Column("owner_organization_id", sa.Uuid(), nullable=False),
        sa.Column("counterpart_organization_id", sa.Uuid(), nullable=True),
        sa.Column(
            "status",
            sa.Enum(
                "NOT_STARTED",
                "IN_PROGRESS",
                "AT_RISK",
                "DONE",
                "CANCELLED",
                name="milestone_status",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("progress", sa.Integer(), nullable=False),
        sa.Column("weight", sa.Numeric(precision=6, scale=2), nullable=False),
        sa.Column("evidence_links", sa.ARRAY(sa.String(length=2000)), nullable=False),
        sa.Column("at_risk_reason", sa.Text(), nullable=True),
        sa.Column("signed_off_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("signed_off_by_id", sa.Uuid(), nullable=True),
        sa.Column("search_terms", sa.ARRAY(sa.Text()), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "horizon_years IN (1, 3, 5)", name=op.f("ck_milestones_roadmap_horizon")
        ),
        sa.CheckConstraint(
            "progress BETWEEN 0 AND 100", name=op.f("ck_milestones_progress_percent")
        ),
        sa.CheckConstraint(
            "starts_on IS NULL OR starts_on <= due_on", name=op.f("ck_milestones_starts_before_due")
        ),
        sa.CheckConstraint("weight > 0", name=op.f("ck_milestones_positive_weight")),
        sa.ForeignKeyConstraint(
            ["counterpart_organization_id"],
            ["organizations.id"],
            name=op.f("fk_milestones_counterpart_organization_id_organizations"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["owner_organization_id"],
            ["organizations.id"],
            name=op.f("fk_milestones_owner_organization_id_organizations"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["projects.id"],
            name=op.f("fk_milestones_project_id_projects"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["signed_off_by_id"],
            ["users.id"],
            name=op.f("fk_milestones_signed_off_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_milestones")),
    )
    op.create_index("ix_milestones_due_on", "milestones", ["due_on", "id"], unique=False)
    op.create_index(
        op.f("ix_milestones_owner_organization_id"),
        "milestones",
        ["owner_organization_id"],
        unique=False,
    )
    op.create_index(
        "ix_milestones_project_id_due_on",
        "milestones",
        ["project_id", "due_on", "id"],
        unique=False,
    )
    op.create_index(
        "ix_milestones_search_terms",
        "milestones",
        ["search_terms"],
        unique=False,
        postgresql_using="gin",
    )
    op.create_table(
        "project_participants",
        sa.Column("project_id", sa.Uuid(), nullable=False),
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column(
            "role",
            sa.Enum(
                "LEAD",
                "PARTNER",
                "FUNDER",
                "SUPPORTER",
                "OBSERVER",
                name="participant_role",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column(
            "status",
            sa.Enum(
                "INVITED",
                "ACTIVE",
                "DECLINED",
                "LEFT",
                name="participant_status",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("invited_by_id", sa.Uuid(), nullable=True),
        sa.Column("responded_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["invited_by_id"],
            ["users.id"],
            name=op.f("fk_project_participants_invited_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_project_participants_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["projects.id"],
            name=op.f("fk_project_participants_project_id_projects"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_project_participants")),
        sa.UniqueConstraint(
            "project_id",
            "organization_id",
            name=op.f("uq_project_participants_project_id_organization_id"),
        ),
    )
    op.create_index(
        "ix_project_participants_organization_id_status",
        "project_participants",
        ["organization_id", "status"],
        unique=False,
    )
    op.create_table(
        "baseline_milestones",
        sa.Column("baseline_id", sa.Uuid(), nullable=False),
        sa.Column("milestone_id", sa.Uuid(), nullable=False),
        sa.Column("project_id", sa.Uuid(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=True),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "NOT_STARTED",
                "IN_PROGRESS",
                "AT_RISK",
                "DONE",
                "CANCELLED",
                name="baseline_milestone_status",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("progress", sa.Integer(), nullable=False),
        sa.Column("weight", sa.Numeric(precision=6, scale=2), nullable=False),
        sa.ForeignKeyConstraint(
            ["baseline_id"],
            ["baselines.id"],
            name=op.f("fk_baseline_milestones_baseline_id_baselines"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["projects.id"],
            name=op.f("fk_baseline_milestones_project_id_projects"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("baseline_id", "milestone_id", name=op.f("pk_baseline_milestones")),
    )
    op.create_table(
        "kpi_observations",
        sa.Column("kpi_id", sa.Uuid(), nullable=False),
        sa.Column("project_id", sa.Uuid(), nullable=True),
        sa.Column("region_id", sa.Uuid(), nullable=True),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("period_end", sa.Date(), nullable=False),
        sa.Column("value", sa.Numeric(precision=20, scale=4), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column(
            "source",
            sa.Enum(
                "MEMBER",
                "API_CLIENT",
                name="observation_source",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("recorded_by_id", sa.Uuid(), nullable=True),
        sa.Column("recorded_for_organization_id", sa.Uuid(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "(project_id IS NULL) <> (region_id IS NULL)",
            name=op.f("ck_kpi_observations_project_or_region"),
        ),
        sa.CheckConstraint(
            "period_start <= period_end", name=op.f("ck_kpi_observations_period_order")
        ),
        sa.ForeignKeyConstraint(
            ["kpi_id"],
            ["kpis.id"],
            name=op.f("fk_kpi_observations_kpi_id_kpis"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["projects.id"],
            name=op.f("fk_kpi_observations_project_id_projects"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by_id"],
            ["users.id"],
            name=op.f("fk_kpi_observations_recorded_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["recorded_for_organization_id"],
            ["organizations.id"],
            name=op.f("fk_kpi_observations_recorded_for_organization_id_organizations"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["region_id"],
            ["regions.id"],
            name=op.f("fk_kpi_observations_region_id_regions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_kpi_observations")),
        sa.UniqueConstraint(
            "kpi_id",
            "period_start",
            "period_end",
            name=op.f("uq_kpi_observations_kpi_id_period_start_period_end"),
        ),
    )
    op.create_index(
        "ix_kpi_observations_kpi_id_period_end",
        "kpi_observations",
        ["kpi_id", "period_end", "id"],
        unique=False,
    )
    op.create_table(
        "kpi_targets",
        sa.Column("kpi_id", sa.Uuid(), nullable=False),
        sa.Column("fiscal_year", sa.Integer(), nullable=False),
        sa.Column("value", sa.Numeric(precision=20, scale=4), nullable=False),
        sa.Column("project_id", sa.Uuid(), nullable=True),
        sa.Column("region_id", sa.Uuid(), nullable=True),
        sa.CheckConstraint(
            "(project_id IS NULL) <> (region_id IS NULL)",
            name=op.f("ck_kpi_targets_project_or_region"),
        ),
        sa.ForeignKeyConstraint(
            ["kpi_id"], ["kpis.id"], name=op.f("fk_kpi_targets_kpi_id_kpis"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["projects.id"],
            name=op.f("fk_kpi_targets_project_id_projects"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["region_id"],
            ["regions.id"],
            name=op.f("fk_kpi_targets_region_id_regions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("kpi_id", "fiscal_year", name=op.f("pk_kpi_targets")),
    )
    op.create_table(
        "milestone_dependencies",
        sa.Column("predecessor_id", sa.Uuid(), nullable=False),
        sa.Column("successor_id", sa.Uuid(), nullable=False),
        sa.Column("predecessor_project_id", sa.Uuid(), nullable=False),
        sa.Column("successor_project_id", sa.Uuid(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "predecessor_id <> successor_id", name=op.f("ck_milestone_dependencies_not_self")
        ),
        sa.ForeignKeyConstraint(
            ["predecessor_id"],
            ["milestones.id"],
            name=op.f("fk_milestone_dependencies_predecessor_id_milestones"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["predecessor_project_id"],
            ["projects.id"],
            name=op.f("fk_milestone_dependencies_predecessor_project_id_projects"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["successor_id"],
            ["milestones.id"],
            name=op.f("fk_milestone_dependencies_successor_id_milestones"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["successor_project_id"],
            ["projects.id"],
            name=op.f("fk_milestone_dependencies_successor_project_id_projects"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "predecessor_id", "successor_id", name=op.f("pk_milestone_dependencies")
        ),
    )
    op.create_index(
        "ix_milestone_dependencies_successor_id",
        "milestone_dependencies",
        ["successor_id"],
        unique=False,
    )
    _secure(context.config.attributes.get("app_role", "renkei_app"))


def downgrade() -> None:
    op.drop_index("ix_milestone_dependencies_successor_id", table_name="milestone_dependencies")
    op.drop_table("milestone_dependencies")
    op.drop_table("kpi_targets")
    op.drop_index("ix_kpi_observations_kpi_id_period_end", table_name="kpi_observations")
    op.drop_table("kpi_observations")
    op.drop_table("baseline_milestones")
    op.drop_index(
        "ix_project_participants_organization_id_status", table_name="project_participants"
    )
    op.drop_table("project_participants")
    op.drop_index("ix_milestones_search_terms", table_name="milestones", postgresql_using="gin")
    op.drop_index("ix_milestones_project_id_due_on", table_name="milestones")
    op.drop_index(op.f("ix_milestones_owner_organization_id"), table_name="milestones")
    op.drop_index("ix_milestones_due_on", table_name="milestones")
    op.drop_table("milestones")
    op.drop_index("ix_kpis_region_id", table_name="kpis")
    op.drop_index("ix_kpis_project_id", table_name="kpis")
    op.drop_table("kpis")
    op.drop_index(op.f("ix_funding_sources_project_id"), table_name="funding_sources")
    op.drop_table("funding_sources")
    op.drop_table("baselines")
    op.drop_index("ix_activities_subject_id_created_at", table_name="activities")
    op.drop_index("ix_activities_region_id_created_at", table_name="activities")
    op.drop_index("ix_activities_project_id_created_at", table_name="activities")
    op.drop_table("activities")
    op.drop_index(op.f("ix_region_members_organization_id"), table_name="region_members")
    op.drop_table("region_members")
    op.drop_index("ix_projects_search_terms", table_name="projects", postgresql_using="gin")
    op.drop_index("ix_projects_region_id_name", table_name="projects")
    op.drop_index("ix_projects_prefecture_codes", table_name="projects", postgresql_using="gin")
    op.drop_index(op.f("ix_projects_lead_organization_id"), table_name="projects")
    op.drop_table("projects")
    op.drop_index(op.f("ix_regions_secretariat_organization_id"), table_name="regions")
    op.drop_index("ix_regions_search_terms", table_name="regions", postgresql_using="gin")
    op.drop_table("regions")
    _unsecure(context.config.attributes.get("app_role", "renkei_app"))


# The definer: a role that can log in nowhere and only reads who belongs where. Functions owned
# by it answer "which projects and regions does the acting organization reach?" once per statement,
# so policies need not read the membership tables through their own policies (which would recurse)
# and the application role never needs to bypass row-level security.
DEFINER = "renkei_definer"
_DEFINER_READS = ("regions", "region_members", "projects", "project_participants")
_DEFINER_FUNCTIONS = {
    # Projects whose details the acting organization sees.
    "renkei_project_ids": """
        SELECT pp.project_id FROM project_participants pp
         WHERE pp.organization_id = renkei_organization_id() AND pp.status = 'ACTIVE'
        UNION
        SELECT p.id FROM projects p JOIN region_members rm ON rm.region_id = p.region_id
         WHERE rm.organization_id = renkei_organization_id() AND rm.status = 'ACTIVE'
           AND p.visibility IN ('REGION', 'PUBLIC')""",
    # Projects the acting organization takes part in (it may write their milestones).
    "renkei_participating_project_ids": """
        SELECT pp.project_id FROM project_participants pp
         WHERE pp.organization_id = renkei_organization_id() AND pp.status = 'ACTIVE'""",
    # Projects it has been invited to: their summary helps it decide.
    "renkei_invited_project_ids": """
        SELECT pp.project_id FROM project_participants pp
         WHERE pp.organization_id = renkei_organization_id() AND pp.status = 'INVITED'""",
    "renkei_led_project_ids": """
        SELECT p.id FROM projects p WHERE p.lead_organization_id = renkei_organization_id()""",
    "renkei_region_ids": """
        SELECT rm.region_id FROM region_members rm
         WHERE rm.organization_id = renkei_organization_id() AND rm.status = 'ACTIVE'""",
    "renkei_secretariat_region_ids": """
        SELECT r.id FROM regions r
         WHERE r.secretariat_organization_id = renkei_organization_id()""",
}

_SYSTEM = "renkei_is_system()"
_SIGNED_IN = "renkei_user_id() IS NOT NULL"
_MANAGER = "renkei_role() IN ('OWNER', 'ADMIN')"
_WRITER = "renkei_role() IN ('OWNER', 'ADMIN', 'MEMBER')"
_SEES_PROJECT = "project_id IN (SELECT renkei_project_ids())"
_LEADS = f"(project_id IN (SELECT renkei_led_project_ids()) AND {_MANAGER})"
_RUNS_REGION = f"(region_id IN (SELECT renkei_secretariat_region_ids()) AND {_MANAGER})"
_WORKS_ON = f"(project_id IN (SELECT renkei_participating_project_ids()) AND {_WRITER})"


def _same(expression: str) -> tuple[str, str]:
    return (f"{_SYSTEM} OR {expression}", f"{_SYSTEM} OR {expression}")


_POLICIES: dict[str, dict[str, tuple[str | None, str | None]]] = {
    # Declarations are public documents: anyone signed in reads regions and their members.
    "regions": {
        "SELECT": (f"{_SYSTEM} OR {_SIGNED_IN}", None),
        "INSERT": (
            None,
            f"{_SYSTEM} OR (created_by_id = renkei_user_id()"
            " AND renkei_manages(secretariat_organization_id))",
        ),
        "UPDATE": _same("renkei_manages(secretariat_organization_id)"),
        "DELETE": (_SYSTEM, None),
    },
    "region_members": {
        "SELECT": (
            f"{_SYSTEM} OR ({_SIGNED_IN} AND status = 'ACTIVE')"
            " OR organization_id = renkei_organization_id()"
            " OR region_id IN (SELECT renkei_secretariat_region_ids())",
            None,
        ),
        # The secretariat invites; the invited organization's admins answer.
        "INSERT": (None, f"{_SYSTEM} OR {_RUNS_REGION}"),
        "UPDATE": _same(f"{_RUNS_REGION} OR renkei_manages(organization_id)"),
        "DELETE": (_SYSTEM, None),
    },
    "projects": {
        "SELECT": (
            f"{_SYSTEM} OR ({_SIGNED_IN} AND visibility = 'PUBLIC')"
            " OR id IN (SELECT renkei_project_ids())"
            " OR id IN (SELECT renkei_invited_project_ids())",
            None,
        ),
        "INSERT": (
            None,
            f"{_SYSTEM} OR (created_by_id = renkei_user_id()"
            " AND renkei_manages(lead_organization_id)"
            " AND (region_id IS NULL OR region_id IN (SELECT renkei_region_ids())))",
        ),
        "UPDATE": _same("renkei_manages(lead_organization_id)"),
        "DELETE": (_SYSTEM, None),
    },
    "project_participants": {
        "SELECT": (
            f"{_SYSTEM} OR {_SEES_PROJECT} OR organization_id = renkei_organization_id()",
            None,
        ),
        "INSERT": (None, f"{_SYSTEM} OR {_LEADS}"),
        "UPDATE": _same(f"{_LEADS} OR renkei_manages(organization_id)"),
        "DELETE": (f"{_SYSTEM} OR {_LEADS}", None),
    },
    "funding_sources": {
        "SELECT": (f"{_SYSTEM} OR {_SEES_PROJECT}", None),
        "INSERT": (None, f"{_SYSTEM} OR {_LEADS}"),
        "UPDATE": _same(_LEADS),
        "DELETE": (f"{_SYSTEM} OR {_LEADS}", None),
    },
    "milestones": {
        "SELECT": (f"{_SYSTEM} OR {_SEES_PROJECT}", None),
        "INSERT": (None, f"{_SYSTEM} OR {_WORKS_ON}"),
        "UPDATE": _same(_WORKS_ON),
        "DELETE": (f"{_SYSTEM} OR {_WORKS_ON}", None),
    },
    # One may depend only on a milestone one can see.
    "milestone_dependencies": {
        "SELECT": (
            f"{_SYSTEM} OR successor_project_id IN (SELECT renkei_project_ids())"
            " OR predecessor_project_id IN (SELECT renkei_project_ids())",
            None,
        ),
        "INSERT": (
            None,
            f"{_SYSTEM} OR (successor_project_id IN (SELECT renkei_participating_project_ids())"
            f" AND predecessor_project_id IN (SELECT renkei_project_ids()) AND {_WRITER})",
        ),
        "DELETE": (
            f"{_SYSTEM} OR (successor_project_id IN (SELECT renkei_participating_project_ids())"
            f" AND {_WRITER})",
            None,
        ),
    },
    "baselines": {
        "SELECT": (f"{_SYSTEM} OR {_SEES_PROJECT}", None),
        "INSERT": (None, f"{_SYSTEM} OR {_WORKS_ON}"),
    },
    "baseline_milestones": {
        "SELECT": (f"{_SYSTEM} OR {_SEES_PROJECT}", None),
        "INSERT": (None, f"{_SYSTEM} OR {_WORKS_ON}"),
    },
    "kpis": {
        "SELECT": (
            f"{_SYSTEM} OR {_SEES_PROJECT} OR region_id IN (SELECT renkei_region_ids())",
            None,
        ),
        "INSERT": (None, f"{_SYSTEM} OR {_LEADS} OR {_RUNS_REGION}"),
        "UPDATE": _same(f"{_LEADS} OR {_RUNS_REGION}"),
        "DELETE": (f"{_SYSTEM} OR {_LEADS} OR {_RUNS_REGION}", None),
    },
    "kpi_targets": {
        "SELECT": (
            f"{_SYSTEM} OR {_SEES_PROJECT} OR region_id IN (SELECT renkei_region_ids())",
            None,
        ),
        "INSERT": (None, f"{_SYSTEM} OR {_LEADS} OR {_RUNS_REGION}"),
        "UPDATE": _same(f"{_LEADS} OR {_RUNS_REGION}"),
        "DELETE": (f"{_SYSTEM} OR {_LEADS} OR {_RUNS_REGION}", None),
    },
    # Members of participating organizations (and region members, for a region's KPIs) report.
    "kpi_observations": {
        "SELECT": (
            f"{_SYSTEM} OR {_SEES_PROJECT} OR region_id IN (SELECT renkei_region_ids())",
            None,
        ),
        "INSERT": (
            None,
            f"{_SYSTEM} OR {_WORKS_ON}"
            f" OR (region_id IN (SELECT renkei_region_ids()) AND {_WRITER})",
        ),
        "UPDATE": _same(
            f"{_WORKS_ON} OR (region_id IN (SELECT renkei_region_ids()) AND {_WRITER})"
        ),
    },
    # Append-only: no UPDATE or DELETE is granted, and a trigger refuses them from anyone.
    "activities": {
        "SELECT": (
            f"{_SYSTEM} OR {_SEES_PROJECT}"
            " OR (project_id IS NULL AND region_id IN (SELECT renkei_region_ids()))",
            None,
        ),
        "INSERT": (None, f"{_SYSTEM} OR ({_SIGNED_IN} AND actor_user_id = renkei_user_id())"),
    },
}

_APPEND_ONLY = """
CREATE FUNCTION renkei_activity_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'the activity log is append-only';
END $$;
CREATE TRIGGER activities_append_only BEFORE UPDATE OR DELETE ON activities
  FOR EACH ROW EXECUTE FUNCTION renkei_activity_append_only();
"""


def _create_definer() -> None:
    op.execute(
        f"""
        DO $$ BEGIN
          IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{DEFINER}') THEN
            BEGIN
              CREATE ROLE "{DEFINER}" NOLOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE;
            EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;
            END;
          END IF;
          -- A migrating user that is not a superuser must be able to hand functions to it.
          IF NOT (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) THEN
            EXECUTE format('GRANT "{DEFINER}" TO %I', current_user);
          END IF;
        END $$;
        GRANT USAGE ON SCHEMA public TO "{DEFINER}";
        """
    )
    for table in _DEFINER_READS:
        op.execute(f'GRANT SELECT ON {table} TO "{DEFINER}"')
        op.execute(
            f'CREATE POLICY {table}_definer ON {table} FOR SELECT TO "{DEFINER}" USING (true)'
        )
    for name, body in _DEFINER_FUNCTIONS.items():
        op.execute(
            f"CREATE FUNCTION {name}() RETURNS SETOF uuid LANGUAGE sql STABLE"
            f" SECURITY DEFINER SET search_path = public AS $$ {body} $$"
        )
        op.execute(f'ALTER FUNCTION {name}() OWNER TO "{DEFINER}"')
        op.execute(f"REVOKE ALL ON FUNCTION {name}() FROM PUBLIC")


def _secure(app_role: str) -> None:
    _create_definer()
    for name in _DEFINER_FUNCTIONS:
        op.execute(f'GRANT EXECUTE ON FUNCTION {name}() TO "{app_role}"')
    op.execute(_APPEND_ONLY)
    for table, commands in _POLICIES.items():
        op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
        op.execute(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")
        op.execute(f'GRANT {", ".join(commands)} ON {table} TO "{app_role}"')
        for command, (using, check) in commands.items():
            clauses = (f" USING ({using})" if using else "") + (
                f" WITH CHECK ({check})" if check else ""
            )
            op.execute(
                f"CREATE POLICY {table}_{command.lower()} ON {table} FOR {command}"
                f' TO "{app_role}"{clauses}'
            )


def _unsecure(app_role: str) -> None:
    """Undo the grants; the tables go with their policies. The roles are cluster-wide: kept."""
    op.execute("DROP TRIGGER IF EXISTS activities_append_only ON activities")
    op.execute("DROP FUNCTION IF EXISTS renkei_activity_append_only()")
    for name in _DEFINER_FUNCTIONS:
        op.execute(f"DROP FUNCTION IF EXISTS {name}()")
    op.execute(f'REVOKE USAGE ON SCHEMA public FROM "{DEFINER}"')
