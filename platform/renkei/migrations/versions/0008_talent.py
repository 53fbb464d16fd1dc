"""Talent: firms' needs, professionals and their anonymized profiles, matches; who sees what.

A firm reads the profile (pseudonym, skills, no name) of a professional in a match with one of
its needs, and the professional's identity only once both sides have accepted; a professional
reads only their own rows; nobody reads another professional's. Subsidy schemes and the cost
ledger get their tables and policies here; their rules come with the subsidies.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-23
"""

import sqlalchemy as sa
from alembic import context, op
from sqlalchemy.dialects import postgresql

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "professionals",
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("full_name", sa.String(length=200), nullable=False),
        sa.Column("contact_email", sa.String(length=320), nullable=False),
        sa.Column("phone", sa.String(length=40), nullable=True),
        sa.Column("current_employer", sa.String(length=200), nullable=True),
        sa.Column("pseudonym", sa.String(length=40), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_professionals_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_professionals")),
        sa.UniqueConstraint("pseudonym", name=op.f("uq_professionals_pseudonym")),
        sa.UniqueConstraint("user_id", name=op.f("uq_professionals_user_id")),
    )
    op.create_table(
        "professional_profiles",
        sa.Column("professional_id", sa.Uuid(), nullable=False),
        sa.Column("pseudonym", sa.String(length=40), nullable=False),
        sa.Column("headline", sa.String(length=200), nullable=False),
        sa.Column("skills", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("experience_summary", sa.Text(), nullable=False),
        sa.Column("engagement_types", sa.ARRAY(sa.String(length=16)), nullable=False),
        sa.Column("hours_per_month", sa.Integer(), nullable=False),
        sa.Column("available_from", sa.Date(), nullable=False),
        sa.Column("remote_preference", sa.String(length=16), nullable=False),
        sa.Column("residence_prefecture_code", sa.String(length=2), nullable=False),
        sa.Column("max_site_visits_per_month", sa.Integer(), nullable=False),
        sa.Column("travel_prefecture_codes", sa.ARRAY(sa.String(length=2)), nullable=False),
        sa.Column("ties", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("fee_min_jpy", sa.Integer(), nullable=False),
        sa.Column("fee_max_jpy", sa.Integer(), nullable=False),
        sa.Column("max_engagements", sa.Integer(), nullable=False),
        sa.Column("is_open", sa.Boolean(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "fee_min_jpy <= fee_max_jpy", name=op.f("ck_professional_profiles_fee_range")
        ),
        sa.CheckConstraint(
            "max_engagements BETWEEN 1 AND 10", name=op.f("ck_professional_profiles_engagements")
        ),
        sa.ForeignKeyConstraint(
            ["professional_id"],
            ["professionals.id"],
            name=op.f("fk_professional_profiles_professional_id_professionals"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["residence_prefecture_code"],
            ["prefectures.code"],
            name=op.f("fk_professional_profiles_residence_prefecture_code_prefectures"),
        ),
        sa.PrimaryKeyConstraint("professional_id", name=op.f("pk_professional_profiles")),
    )
    op.create_table(
        "subsidy_schemes",
        sa.Column("prefecture_code", sa.String(length=2), nullable=False),
        sa.Column("fiscal_year", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("rate", sa.Numeric(precision=4, scale=3), nullable=False),
        sa.Column("cap_jpy", sa.BigInteger(), nullable=False),
        sa.Column("eligible_cost_kinds", sa.ARRAY(sa.String(length=16)), nullable=False),
        sa.Column("first_use_only", sa.Boolean(), nullable=False),
        sa.Column("notes", sa.Text(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint("rate > 0 AND rate <= 1", name=op.f("ck_subsidy_schemes_rate")),
        sa.ForeignKeyConstraint(
            ["prefecture_code"],
            ["prefectures.code"],
            name=op.f("fk_subsidy_schemes_prefecture_code_prefectures"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_subsidy_schemes")),
        sa.UniqueConstraint(
            "prefecture_code",
            "fiscal_year",
            "name",
            name=op.f("uq_subsidy_schemes_prefecture_code_fiscal_year_name"),
        ),
    )
    op.create_table(
        "talent_needs",
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("challenge", sa.Text(), nullable=False),
        sa.Column("deliverables", sa.Text(), nullable=False),
        sa.Column("required_skills", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("preferred_skills", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("engagement_types", sa.ARRAY(sa.String(length=16)), nullable=False),
        sa.Column("hours_per_month", sa.Integer(), nullable=False),
        sa.Column("duration_months", sa.Integer(), nullable=False),
        sa.Column("remote_policy", sa.String(length=16), nullable=False),
        sa.Column("site_visits_per_month", sa.Integer(), nullable=False),
        sa.Column("workplace_prefecture_code", sa.String(length=2), nullable=False),
        sa.Column("workplace_municipality", sa.String(length=100), nullable=False),
        sa.Column("fee_min_jpy", sa.Integer(), nullable=False),
        sa.Column("fee_max_jpy", sa.Integer(), nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("openings", sa.Integer(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "DRAFT",
                "OPEN",
                "PAUSED",
                "FILLED",
                "CLOSED",
                name="need_status",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("project_id", sa.Uuid(), nullable=True),
        sa.Column("milestone_id", sa.Uuid(), nullable=True),
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
        sa.CheckConstraint("fee_min_jpy <= fee_max_jpy", name=op.f("ck_talent_needs_fee_range")),
        sa.CheckConstraint("hours_per_month BETWEEN 1 AND 200", name=op.f("ck_talent_needs_hours")),
        sa.CheckConstraint("openings >= 1", name=op.f("ck_talent_needs_openings")),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["users.id"],
            name=op.f("fk_talent_needs_created_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["milestone_id"],
            ["milestones.id"],
            name=op.f("fk_talent_needs_milestone_id_milestones"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_talent_needs_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["projects.id"],
            name=op.f("fk_talent_needs_project_id_projects"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["workplace_prefecture_code"],
            ["prefectures.code"],
            name=op.f("fk_talent_needs_workplace_prefecture_code_prefectures"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_talent_needs")),
        sa.UniqueConstraint("id", "organization_id", name="uq_talent_needs_id_organization_id"),
    )
    op.create_index(
        op.f("ix_talent_needs_organization_id"), "talent_needs", ["organization_id"], unique=False
    )
    op.create_index(
        "ix_talent_needs_search_terms",
        "talent_needs",
        ["search_terms"],
        unique=False,
        postgresql_using="gin",
    )
    op.create_index("ix_talent_needs_status", "talent_needs", ["status", "id"], unique=False)
    op.create_table(
        "matches",
        sa.Column("need_id", sa.Uuid(), nullable=False),
        sa.Column("professional_id", sa.Uuid(), nullable=False),
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "PROPOSED",
                "APPLIED",
                "SCOUTED",
                "ACCEPTED",
                "INTERVIEW",
                "CONTRACTED",
                "ACTIVE",
                "COMPLETED",
                "DECLINED",
                "WITHDRAWN",
                "EXPIRED",
                name="match_status",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("score", sa.Numeric(precision=6, scale=4), nullable=True),
        sa.Column("rank", sa.Integer(), nullable=True),
        sa.Column("explanation", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("firm_accepted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("professional_accepted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("interview_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("contract_fee_jpy", sa.Integer(), nullable=True),
        sa.Column("contract_hours_per_month", sa.Integer(), nullable=True),
        sa.Column("contract_starts_on", sa.Date(), nullable=True),
        sa.Column("contract_ends_on", sa.Date(), nullable=True),
        sa.Column("contract_confirmed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("firm_rating", sa.Integer(), nullable=True),
        sa.Column("firm_review", sa.Text(), nullable=True),
        sa.Column("professional_rating", sa.Integer(), nullable=True),
        sa.Column("professional_review", sa.Text(), nullable=True),
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
            "firm_rating IS NULL OR firm_rating BETWEEN 1 AND 5",
            name=op.f("ck_matches_firm_rating"),
        ),
        sa.CheckConstraint(
            "professional_rating IS NULL OR professional_rating BETWEEN 1 AND 5",
            name=op.f("ck_matches_professional_rating"),
        ),
        sa.ForeignKeyConstraint(
            ["need_id", "organization_id"],
            ["talent_needs.id", "talent_needs.organization_id"],
            name="fk_matches_need_organization",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_matches_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["professional_id"],
            ["professionals.id"],
            name=op.f("fk_matches_professional_id_professionals"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_matches")),
        sa.UniqueConstraint(
            "need_id", "professional_id", name=op.f("uq_matches_need_id_professional_id")
        ),
    )
    op.create_index(
        "ix_matches_organization_id_status", "matches", ["organization_id", "status"], unique=False
    )
    op.create_index(
        "ix_matches_professional_id_status", "matches", ["professional_id", "status"], unique=False
    )
    op.create_table(
        "match_costs",
        sa.Column("match_id", sa.Uuid(), nullable=False),
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "FEE",
                "TRAVEL",
                "PLACEMENT_FEE",
                name="cost_kind",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("amount_jpy", sa.Integer(), nullable=False),
        sa.Column("incurred_on", sa.Date(), nullable=False),
        sa.Column("visit_days", sa.Integer(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint("amount_jpy > 0", name=op.f("ck_match_costs_positive_amount")),
        sa.ForeignKeyConstraint(
            ["match_id"],
            ["matches.id"],
            name=op.f("fk_match_costs_match_id_matches"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_match_costs_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_match_costs")),
    )
    op.create_index(op.f("ix_match_costs_match_id"), "match_costs", ["match_id"], unique=False)

    _secure(context.config.attributes.get("app_role", "renkei_app"))


def downgrade() -> None:
    op.drop_index(op.f("ix_match_costs_match_id"), table_name="match_costs")
    op.drop_table("match_costs")
    op.drop_index("ix_matches_professional_id_status", table_name="matches")
    op.drop_index("ix_matches_organization_id_status", table_name="matches")
    op.drop_table("matches")
    op.drop_index("ix_talent_needs_status", table_name="talent_needs")
    op.drop_index("ix_talent_needs_search_terms", table_name="talent_needs", postgresql_using="gin")
    op.drop_index(op.f("ix_talent_needs_organization_id"), table_name="talent_needs")
    op.drop_table("talent_needs")
    op.drop_table("subsidy_schemes")
    op.drop_table("professional_profiles")
    op.drop_table("professionals")
    _unsecure()


DEFINER = "renkei_definer"
# The definer reads who is which professional, and which matches join them to which firms.
_DEFINER_READS = ("professionals", "matches")
_DEFINER_FUNCTIONS = {
    # The signed-in person's own professional record (none, or one).
    "renkei_own_professional_ids": """
        SELECT p.id FROM professionals p WHERE p.user_id = renkei_user_id()""",
    # Professionals in a match with one of the acting organization's needs: their profiles.
    "renkei_matched_professional_ids": """
        SELECT m.professional_id FROM matches m
         WHERE m.organization_id = renkei_organization_id()""",
    # Professionals who accepted the acting organization and whom it accepted: their identity.
    "renkei_introduced_professional_ids": """
        SELECT m.professional_id FROM matches m
         WHERE m.organization_id = renkei_organization_id()
           AND m.firm_accepted_at IS NOT NULL AND m.professional_accepted_at IS NOT NULL
           AND m.status <> 'WITHDRAWN'""",
    # Needs the signed-in professional has a match with, whatever their status now.
    "renkei_own_match_need_ids": """
        SELECT m.need_id FROM matches m JOIN professionals p ON p.id = m.professional_id
         WHERE p.user_id = renkei_user_id()""",
}

_SYSTEM = "renkei_is_system()"
_SIGNED_IN = "renkei_user_id() IS NOT NULL"
_WRITER = "renkei_role() IN ('OWNER', 'ADMIN', 'MEMBER')"
_FIRM = "organization_id = renkei_organization_id()"
_FIRM_WRITER = f"({_FIRM} AND {_WRITER})"
_OWN_PROFESSIONAL = "professional_id IN (SELECT renkei_own_professional_ids())"


def _same(expression: str) -> tuple[str, str]:
    return (f"{_SYSTEM} OR {expression}", f"{_SYSTEM} OR {expression}")


_POLICIES: dict[str, dict[str, tuple[str | None, str | None]]] = {
    # A job board: open needs are for everyone signed in; drafts and closed ones for the firm
    # and for professionals already in a match with them.
    "talent_needs": {
        "SELECT": (
            f"{_SYSTEM} OR ({_SIGNED_IN} AND status = 'OPEN') OR {_FIRM}"
            " OR id IN (SELECT renkei_own_match_need_ids())",
            None,
        ),
        "INSERT": (
            None,
            f"{_SYSTEM} OR (created_by_id = renkei_user_id() AND {_FIRM_WRITER})",
        ),
        "UPDATE": _same(_FIRM_WRITER),
        "DELETE": (_SYSTEM, None),
    },
    # Identity: the person, and firms both sides accepted.
    "professionals": {
        "SELECT": (
            f"{_SYSTEM} OR user_id = renkei_user_id()"
            " OR id IN (SELECT renkei_introduced_professional_ids())",
            None,
        ),
        "INSERT": (None, f"{_SYSTEM} OR user_id = renkei_user_id()"),
        "UPDATE": _same("user_id = renkei_user_id()"),
        "DELETE": (f"{_SYSTEM} OR user_id = renkei_user_id()", None),
    },
    # The anonymized profile: the person, and firms with a match with them.
    "professional_profiles": {
        "SELECT": (
            f"{_SYSTEM} OR {_OWN_PROFESSIONAL}"
            " OR professional_id IN (SELECT renkei_matched_professional_ids())",
            None,
        ),
        "INSERT": (None, f"{_SYSTEM} OR {_OWN_PROFESSIONAL}"),
        "UPDATE": _same(_OWN_PROFESSIONAL),
        "DELETE": (f"{_SYSTEM} OR {_OWN_PROFESSIONAL}", None),
    },
    # The two sides of a match; the engine (the platform) proposes. A firm inserts only
    # scouts, a professional only applications; which steps follow is the service's rule.
    "matches": {
        "SELECT": (f"{_SYSTEM} OR {_FIRM} OR {_OWN_PROFESSIONAL}", None),
        "INSERT": (
            None,
            f"{_SYSTEM} OR ({_FIRM_WRITER} AND status = 'SCOUTED')"
            f" OR ({_OWN_PROFESSIONAL} AND status = 'APPLIED')",
        ),
        "UPDATE": _same(f"{_FIRM_WRITER} OR {_OWN_PROFESSIONAL}"),
        "DELETE": (_SYSTEM, None),
    },
    # Reference data kept by the platform: every signed-in user reads the schemes.
    "subsidy_schemes": {
        "SELECT": (f"{_SYSTEM} OR {_SIGNED_IN}", None),
        "INSERT": (None, _SYSTEM),
        "UPDATE": _same("false"),
        "DELETE": (_SYSTEM, None),
    },
    # The firm's cost ledger of its contracted matches.
    "match_costs": {
        "SELECT": (f"{_SYSTEM} OR {_FIRM}", None),
        "INSERT": (None, f"{_SYSTEM} OR {_FIRM_WRITER}"),
        "UPDATE": _same(_FIRM_WRITER),
        "DELETE": (f"{_SYSTEM} OR {_FIRM_WRITER}", None),
    },
}


def _secure(app_role: str) -> None:
    for table in _DEFINER_READS:
        op.execute(f'GRANT SELECT ON {table} TO "{DEFINER}"')
        op.execute(
            f'CREATE POLICY {table}_definer ON {table} FOR SELECT TO "{DEFINER}" USING (true)'
        )
    for name, body in _DEFINER_FUNCTIONS.items():
        op.execute(
            f"CREATE FUNCTION {name}() RETURNS SETOF uuid LANGUAGE plpgsql STABLE"
            f" SECURITY DEFINER SET search_path = public AS $$ BEGIN RETURN QUERY {body}; END $$"
        )
        op.execute(f'ALTER FUNCTION {name}() OWNER TO "{DEFINER}"')
        op.execute(f"REVOKE ALL ON FUNCTION {name}() FROM PUBLIC")
        op.execute(f'GRANT EXECUTE ON FUNCTION {name}() TO "{app_role}"')
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


def _unsecure() -> None:
    """The tables go with their policies and grants; the functions are dropped after them."""
    for name in _DEFINER_FUNCTIONS:
        op.execute(f"DROP FUNCTION IF EXISTS {name}()")
