"""Intermediaries: organizations that introduce professionals, recorded on the match.

`intermediaries` registers an organization in a role (STRATEGY_HUB for a prefecture,
PLACEMENT_AGENCY with its 許可番号, BANK, REVICAREER). Everyone signed in reads the register; only
the platform or a platform operator writes it, so an organization cannot declare itself a 拠点.

`intermediary_authorizations`: a professional lets an intermediary organization introduce them.
The professional writes their own (only naming a registered intermediary); the intermediary's
organization reads those naming it and, through `renkei_authorizing_professional_ids()`, the
pseudonymous profiles of professionals who currently authorize it (never their identity).

`matches` gains the introducing organization, when and with what note, and a status INTRODUCED
(neither side has accepted yet; the engine leaves such matches alone). `introduced_via` holds
the role the introducer acted in (HUB and AGENCY become STRATEGY_HUB and PLACEMENT_AGENCY). Only
the platform writes these columns (a trigger refuses anyone else), after the service checked the
intermediary and the authorization. The introducing organization reads the matches it
introduced, their activity, and their needs even once closed.

Revision ID: 0029
Revises: 0028
Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import context, op

revision = "0029"
down_revision = "0028"
branch_labels = None
depends_on = None

DEFINER = "renkei_definer"
_SYSTEM = "(SELECT renkei_is_system())"
_SIGNED_IN = "(SELECT renkei_user_id()) IS NOT NULL"
_ORGANIZATION = "(SELECT renkei_organization_id())"
_OPERATOR = "EXISTS (SELECT FROM platform_operators o WHERE o.user_id = (SELECT renkei_user_id()))"
_OWN_PROFESSIONAL = "professional_id IN (SELECT renkei_own_professional_ids())"
_REGISTERED = (
    "EXISTS (SELECT FROM intermediaries i WHERE i.organization_id ="
    " intermediary_authorizations.organization_id AND i.withdrawn_at IS NULL)"
)
_ROLES = ("STRATEGY_HUB", "PLACEMENT_AGENCY", "BANK", "REVICAREER")
_STATUSES = (
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
)

_FUNCTIONS = {
    # Professionals who now authorize the acting organization to introduce them: their profile.
    "renkei_authorizing_professional_ids": """
        SELECT a.professional_id FROM intermediary_authorizations a
         WHERE a.organization_id = renkei_organization_id() AND a.withdrawn_at IS NULL""",
    # Needs of the matches the acting organization introduced, whatever their status now.
    "renkei_intermediary_need_ids": """
        SELECT m.need_id FROM matches m
         WHERE m.introduced_by_organization_id = renkei_organization_id()""",
}

# The policies as they were (0009 onwards), and what this migration adds to each.
_MATCHES_SELECT = (
    f"{_SYSTEM} OR organization_id = {_ORGANIZATION}"
    " OR professional_id IN (SELECT renkei_own_professional_ids())"
)
_PROFILES_SELECT = (
    f"{_SYSTEM} OR {_OWN_PROFESSIONAL}"
    " OR professional_id IN (SELECT renkei_matched_professional_ids())"
)
_NEEDS_SELECT = (
    f"{_SYSTEM} OR ({_SIGNED_IN} AND status = 'OPEN') OR organization_id = {_ORGANIZATION}"
    " OR id IN (SELECT renkei_own_match_need_ids())"
)
_ADDED = {
    ("matches", "matches_select"): (
        _MATCHES_SELECT,
        f" OR introduced_by_organization_id = {_ORGANIZATION}",
    ),
    ("professional_profiles", "professional_profiles_select"): (
        _PROFILES_SELECT,
        " OR professional_id IN (SELECT renkei_authorizing_professional_ids())",
    ),
    ("talent_needs", "talent_needs_select"): (
        _NEEDS_SELECT,
        " OR id IN (SELECT renkei_intermediary_need_ids())",
    ),
}

# Only the platform records who introduced a match (renkei.intermediaries.service).
_GUARD = """
CREATE FUNCTION renkei_matches_introduction_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF renkei_is_system() THEN
    RETURN NEW;
  END IF;
  IF TG_OP = 'INSERT' THEN
    IF NEW.introduced_by_organization_id IS NOT NULL OR NEW.introduced_via IS NOT NULL
       OR NEW.introduced_at IS NOT NULL OR NEW.status = 'INTRODUCED' THEN
      RAISE EXCEPTION 'only the platform records an introduction' USING ERRCODE = '42501';
    END IF;
  ELSIF NEW.introduced_by_organization_id IS DISTINCT FROM OLD.introduced_by_organization_id
     OR NEW.introduced_via IS DISTINCT FROM OLD.introduced_via
     OR NEW.introduced_at IS DISTINCT FROM OLD.introduced_at
     OR NEW.introduction_note IS DISTINCT FROM OLD.introduction_note
     OR (NEW.status = 'INTRODUCED' AND OLD.status IS DISTINCT FROM 'INTRODUCED') THEN
    RAISE EXCEPTION 'only the platform records an introduction' USING ERRCODE = '42501';
  END IF;
  RETURN NEW;
END $$"""


def _as_owner(statement: str) -> None:
    """Run an UPDATE of every match as the owner: forced row-level security would hide them."""
    op.execute("ALTER TABLE matches NO FORCE ROW LEVEL SECURITY")
    op.execute(statement)
    op.execute("ALTER TABLE matches FORCE ROW LEVEL SECURITY")


def _values(values: tuple[str, ...]) -> str:
    return ", ".join(f"'{v}'" for v in values)


def _policies(
    table: str, app_role: str, policies: dict[str, tuple[str | None, str | None]]
) -> None:
    op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
    op.execute(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")
    op.execute(f'GRANT {", ".join(policies)} ON {table} TO "{app_role}"')
    for command, (using, check) in policies.items():
        clauses = (f" USING ({using})" if using else "") + (
            f" WITH CHECK ({check})" if check else ""
        )
        op.execute(
            f"CREATE POLICY {table}_{command.lower()} ON {table} FOR {command}"
            f' TO "{app_role}"{clauses}'
        )


def _tables(app_role: str) -> None:
    op.create_table(
        "intermediaries",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column(
            "role",
            sa.Enum(
                *_ROLES,
                name="intermediary_role",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("prefecture_code", sa.String(length=2), nullable=True),
        sa.Column("license_number", sa.String(length=32), nullable=True),
        sa.Column("source_url", sa.String(length=2048), server_default="", nullable=False),
        sa.Column("registered_by", sa.String(length=320), nullable=False),
        sa.Column("withdrawn_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("withdrawn_by", sa.String(length=320), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "role <> 'STRATEGY_HUB' OR prefecture_code IS NOT NULL",
            name=op.f("ck_intermediaries_hub_prefecture"),
        ),
        sa.CheckConstraint(
            "role <> 'PLACEMENT_AGENCY' OR license_number IS NOT NULL",
            name=op.f("ck_intermediaries_agency_license"),
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_intermediaries_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["prefecture_code"],
            ["prefectures.code"],
            name=op.f("fk_intermediaries_prefecture_code_prefectures"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_intermediaries")),
        sa.UniqueConstraint(
            "organization_id", "role", name=op.f("uq_intermediaries_organization_id_role")
        ),
    )
    op.create_index(
        op.f("ix_intermediaries_organization_id"), "intermediaries", ["organization_id"]
    )
    op.create_index(
        "uq_intermediaries_hub_prefecture",
        "intermediaries",
        ["prefecture_code"],
        unique=True,
        postgresql_where=sa.text("role = 'STRATEGY_HUB' AND withdrawn_at IS NULL"),
    )
    op.create_index(
        "uq_intermediaries_license_number",
        "intermediaries",
        ["license_number"],
        unique=True,
        postgresql_where=sa.text("withdrawn_at IS NULL"),
    )
    op.create_table(
        "intermediary_authorizations",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("professional_id", sa.Uuid(), nullable=False),
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column("reference", sa.String(length=64), server_default="", nullable=False),
        sa.Column("withdrawn_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_intermediary_authorizations_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["professional_id"],
            ["professionals.id"],
            name=op.f("fk_intermediary_authorizations_professional_id_professionals"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_intermediary_authorizations")),
        sa.UniqueConstraint(
            "professional_id",
            "organization_id",
            name=op.f("uq_intermediary_authorizations_professional_id_organization_id"),
        ),
    )
    op.create_index(
        "ix_intermediary_authorizations_organization_id",
        "intermediary_authorizations",
        ["organization_id"],
    )
    writers = f"{_SYSTEM} OR {_OPERATOR}"
    _policies(
        "intermediaries",
        app_role,
        {
            "SELECT": (f"{_SYSTEM} OR {_SIGNED_IN}", None),
            "INSERT": (None, writers),
            "UPDATE": (writers, writers),
            "DELETE": (_SYSTEM, None),
        },
    )
    own = f"{_SYSTEM} OR ({_OWN_PROFESSIONAL} AND {_REGISTERED})"
    _policies(
        "intermediary_authorizations",
        app_role,
        {
            "SELECT": (
                f"{_SYSTEM} OR {_OWN_PROFESSIONAL} OR organization_id = {_ORGANIZATION}",
                None,
            ),
            "INSERT": (None, own),
            "UPDATE": (f"{_SYSTEM} OR {_OWN_PROFESSIONAL}", own),
            "DELETE": (_SYSTEM, None),
        },
    )


def _matches() -> None:
    op.add_column("matches", sa.Column("introduced_by_organization_id", sa.Uuid(), nullable=True))
    op.add_column("matches", sa.Column("introduced_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("matches", sa.Column("introduction_note", sa.Text(), nullable=True))
    op.create_foreign_key(
        op.f("fk_matches_introduced_by_organization_id_organizations"),
        "matches",
        "organizations",
        ["introduced_by_organization_id"],
        ["id"],
        ondelete="SET NULL",
    )
    op.create_index(
        op.f("ix_matches_introduced_by_organization_id"),
        "matches",
        ["introduced_by_organization_id"],
    )
    _as_owner(
        "UPDATE matches SET introduced_via = CASE introduced_via WHEN 'HUB' THEN 'STRATEGY_HUB'"
        " WHEN 'AGENCY' THEN 'PLACEMENT_AGENCY' ELSE introduced_via END"
        " WHERE introduced_via IN ('HUB', 'AGENCY')"
    )
    op.create_check_constraint(
        "introduced_via",
        "matches",
        f"introduced_via IS NULL OR introduced_via IN ({_values(_ROLES)})",
    )
    _status_check((*_STATUSES, "INTRODUCED"))
    op.execute(_GUARD)
    op.execute(
        "CREATE TRIGGER matches_introduction_guard BEFORE INSERT OR UPDATE ON matches"
        " FOR EACH ROW EXECUTE FUNCTION renkei_matches_introduction_guard()"
    )


def _status_check(statuses: tuple[str, ...]) -> None:
    op.drop_constraint(op.f("ck_matches_match_status"), "matches", type_="check")
    op.create_check_constraint(
        op.f("ck_matches_match_status"), "matches", f"status IN ({_values(statuses)})"
    )


def upgrade() -> None:
    app_role = context.config.attributes.get("app_role", "renkei_app")
    _tables(app_role)
    _matches()
    op.execute(f'GRANT SELECT ON intermediary_authorizations TO "{DEFINER}"')
    op.execute(
        "CREATE POLICY intermediary_authorizations_definer ON intermediary_authorizations"
        f' FOR SELECT TO "{DEFINER}" USING (true)'
    )
    for name, body in _FUNCTIONS.items():
        op.execute(
            f"CREATE FUNCTION {name}() RETURNS SETOF uuid LANGUAGE plpgsql STABLE"
            f" SECURITY DEFINER SET search_path = public AS $$ BEGIN RETURN QUERY {body}; END $$"
        )
        op.execute(f'ALTER FUNCTION {name}() OWNER TO "{DEFINER}"')
        op.execute(f"REVOKE ALL ON FUNCTION {name}() FROM PUBLIC")
        op.execute(f'GRANT EXECUTE ON FUNCTION {name}() TO "{app_role}"')
    for (table, policy), (before, added) in _ADDED.items():
        op.execute(f"ALTER POLICY {policy} ON {table} USING ({before}{added})")


def downgrade() -> None:
    for (table, policy), (before, _added) in _ADDED.items():
        op.execute(f"ALTER POLICY {policy} ON {table} USING ({before})")
    op.execute("DROP TRIGGER matches_introduction_guard ON matches")
    op.execute("DROP FUNCTION renkei_matches_introduction_guard()")
    # An introduced match that no side accepted yet goes back to being a proposal.
    _as_owner("UPDATE matches SET status = 'PROPOSED' WHERE status = 'INTRODUCED'")
    _status_check(_STATUSES)
    op.drop_constraint(op.f("ck_matches_introduced_via"), "matches", type_="check")
    _as_owner(
        "UPDATE matches SET introduced_via = CASE introduced_via WHEN 'STRATEGY_HUB' THEN 'HUB'"
        " WHEN 'PLACEMENT_AGENCY' THEN 'AGENCY' ELSE introduced_via END"
    )
    op.drop_index(op.f("ix_matches_introduced_by_organization_id"), table_name="matches")
    op.drop_constraint(
        op.f("fk_matches_introduced_by_organization_id_organizations"),
        "matches",
        type_="foreignkey",
    )
    for column in ("introduction_note", "introduced_at", "introduced_by_organization_id"):
        op.drop_column("matches", column)
    op.drop_table("intermediary_authorizations")
    op.drop_table("intermediaries")
    for name in _FUNCTIONS:
        op.execute(f"DROP FUNCTION IF EXISTS {name}()")
