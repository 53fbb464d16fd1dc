"""Policies read the viewer once per statement, not once per row.

`renkei_user_id()` and its siblings read a transaction setting; called bare in a policy they run
for every row the statement touches. Written as `(SELECT renkei_user_id())` they become an
InitPlan, computed once per statement. This rewrites every policy there is; policies added by
later migrations should be written that way from the start.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-22
"""

import re

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

_VIEWER = r"renkei_(?:is_system|user_id|email|organization_id|role)"
_BARE = re.compile(rf"(?<!SELECT )\b({_VIEWER})\(\)")
# How PostgreSQL prints a wrapped call back.
_WRAPPED = re.compile(rf"\( SELECT ({_VIEWER})\(\) AS \1\)")

_POLICIES = sa.text(
    "SELECT p.polname, c.relname, pg_get_expr(p.polqual, p.polrelid),"
    " pg_get_expr(p.polwithcheck, p.polrelid)"
    " FROM pg_policy p JOIN pg_class c ON c.oid = p.polrelid"
    " JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'public'"
)


def _rewrite(change: re.Pattern[str], into: str) -> None:
    bind = op.get_bind()
    for name, table, using, check in bind.execute(_POLICIES).all():
        clauses = []
        if using and change.search(using):
            clauses.append(f"USING ({change.sub(into, using)})")
        if check and change.search(check):
            clauses.append(f"WITH CHECK ({change.sub(into, check)})")
        if clauses:
            op.execute(f'ALTER POLICY "{name}" ON "{table}" {" ".join(clauses)}')


def upgrade() -> None:
    _rewrite(_BARE, r"(SELECT \1())")


def downgrade() -> None:
    _rewrite(_WRAPPED, r"\1()")
