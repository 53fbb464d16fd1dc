"""Python's decimal arithmetic in SQL, for attainment figures computed by compiled reads.

A KPI's attainment (renkei.kpis.attainment) divides in Python's default decimal context: each
operation keeps 28 significant digits, rounded half to even, and a region's roll-up sums those
percents one after the other, rounding each partial sum. PostgreSQL's numeric keeps other
digits, so a mean that lies on a rounding boundary could come out a tenth apart. These two
pure functions and one aggregate reproduce the context's rounding, so that the compiled
dashboard answers exactly what the resolvers answer. They read no table and no viewer.

Revision ID: 0016
Revises: 0014
Create Date: 2026-12-06
"""

from alembic import op

revision = "0016"
down_revision = "0014"
branch_labels = None
depends_on = None

# round(x, n) rounds half away from zero; a tie (x exactly halfway at n places) goes to the even
# neighbour instead. 10^-n is written as a literal so that it stays exact.
ROUND_HALF_EVEN = """
CREATE FUNCTION renkei_round_half_even(x numeric, places integer)
RETURNS numeric
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
  SELECT CASE
    WHEN abs(x) - trunc(abs(x), places) = 5 * ('1e' || (-places - 1))::numeric
     AND mod(trunc(abs(x) * ('1e' || places)::numeric), 2) = 0
    THEN trunc(x, places)
    ELSE round(x, places)
  END
$$
"""
# The exponent of the leading digit is read from the text, which is exact (log() is not).
DECIMAL28 = """
CREATE FUNCTION renkei_decimal28(x numeric)
RETURNS numeric
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
  SELECT CASE
    WHEN x = 0 THEN x
    WHEN abs(x) >= 1
      THEN renkei_round_half_even(x, 28 - length(trunc(abs(x))::text))
    ELSE renkei_round_half_even(
      x, 28 + length(substr(abs(x)::text, 3)) - length(ltrim(substr(abs(x)::text, 3), '0'))
    )
  END
$$
"""
ADD28 = """
CREATE FUNCTION renkei_decimal28_add(total numeric, x numeric)
RETURNS numeric
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
  SELECT renkei_decimal28(total + x)
$$
"""
# sum(values, Decimal(0)) in Python's order: give the aggregate an ORDER BY.
SUM28 = """
CREATE AGGREGATE renkei_decimal28_sum(numeric) (
  SFUNC = renkei_decimal28_add, STYPE = numeric, INITCOND = '0'
)
"""


def upgrade() -> None:
    op.execute(ROUND_HALF_EVEN)
    op.execute(DECIMAL28)
    op.execute(ADD28)
    op.execute(SUM28)


def downgrade() -> None:
    op.execute("DROP AGGREGATE renkei_decimal28_sum(numeric)")
    op.execute("DROP FUNCTION renkei_decimal28_add(numeric, numeric)")
    op.execute("DROP FUNCTION renkei_decimal28(numeric)")
    op.execute("DROP FUNCTION renkei_round_half_even(numeric, integer)")
