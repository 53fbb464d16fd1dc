"""Subsidy schemes as published data: tiers with conditions, deadlines and sources.

A `subsidy_schemes` row is one tier (枠) of a prefecture's 副業・兼業 scheme for a 年度. New
columns: the tier's rank (the estimate tries tiers in this order), its conditions (introduced
through the 拠点 or a registered agency; the professional living outside the prefecture; a
minimum travel cost per round trip), the application deadline (days before the contract or the
start of work), the public notice it comes from and the fields that notice does not confirm.
`matches.introduced_via` records who introduced the professional (HUB, AGENCY, BANK, REVICAREER),
which those conditions read.

Until now only the platform wrote schemes. Now a prefecture's OWNER or ADMIN (a verified
organization of kind PREFECTURE whose home prefecture is the scheme's) and a platform operator
insert and update them; everyone signed in still reads them.

Revision ID: 0026
Revises: 0025
Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import context, op
from sqlalchemy.dialects import postgresql

revision = "0026"
down_revision = "0025"
branch_labels = None
depends_on = None

_SYSTEM = "(SELECT renkei_is_system())"
_OPERATOR = "EXISTS (SELECT FROM platform_operators o WHERE o.user_id = (SELECT renkei_user_id()))"
_PREFECTURE_ADMIN = (
    "((SELECT renkei_role()) IN ('OWNER', 'ADMIN') AND EXISTS (SELECT FROM organizations g"
    " WHERE g.id = (SELECT renkei_organization_id()) AND g.kind = 'PREFECTURE'"
    " AND g.verification = 'VERIFIED' AND g.home_prefecture_code = prefecture_code))"
)
_PUBLISHER = f"{_SYSTEM} OR {_OPERATOR} OR {_PREFECTURE_ADMIN}"


def _policy(command: str, clauses: str) -> None:
    role = context.config.attributes.get("app_role", "renkei_app")
    op.execute(f"DROP POLICY subsidy_schemes_{command.lower()} ON subsidy_schemes")
    op.execute(
        f"CREATE POLICY subsidy_schemes_{command.lower()} ON subsidy_schemes"
        f' FOR {command} TO "{role}" {clauses}'
    )


def upgrade() -> None:
    add = op.add_column
    add("subsidy_schemes", sa.Column("tier_rank", sa.Integer(), server_default="0", nullable=False))
    for name in ("requires_introduction", "requires_outside_resident"):
        flag: sa.Column[bool] = sa.Column(
            name, sa.Boolean(), server_default="false", nullable=False
        )
        add("subsidy_schemes", flag)
    add("subsidy_schemes", sa.Column("min_travel_per_trip_jpy", sa.Integer(), nullable=True))
    add("subsidy_schemes", sa.Column("deadline_days", sa.Integer(), nullable=True))
    add("subsidy_schemes", sa.Column("deadline_basis", sa.String(length=16), nullable=True))
    add(
        "subsidy_schemes",
        sa.Column("source_url", sa.String(length=2048), server_default="", nullable=False),
    )
    add(
        "subsidy_schemes",
        sa.Column(
            "unconfirmed_fields",
            postgresql.ARRAY(sa.String(length=32)),
            server_default="{}",
            nullable=False,
        ),
    )
    add("subsidy_schemes", sa.Column("updated_at", sa.DateTime(timezone=True), nullable=True))
    op.create_check_constraint(
        "deadline", "subsidy_schemes", "deadline_basis IN ('CONTRACT', 'START')"
    )
    add("matches", sa.Column("introduced_via", sa.String(length=16), nullable=True))
    _policy("INSERT", f"WITH CHECK ({_PUBLISHER})")
    _policy("UPDATE", f"USING ({_PUBLISHER}) WITH CHECK ({_PUBLISHER})")


def downgrade() -> None:
    _policy("UPDATE", "USING (false) WITH CHECK (false)")
    _policy("INSERT", f"WITH CHECK ({_SYSTEM})")
    op.drop_column("matches", "introduced_via")
    op.drop_constraint("deadline", "subsidy_schemes", type_="check")
    for name in (
        "updated_at",
        "unconfirmed_fields",
        "source_url",
        "deadline_basis",
        "deadline_days",
        "min_travel_per_trip_jpy",
        "requires_outside_resident",
        "requires_introduction",
        "tier_rank",
    ):
        op.drop_column("subsidy_schemes", name)
