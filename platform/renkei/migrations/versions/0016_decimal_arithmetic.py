"""Python's decimal arithmetic in SQL, for attainment figures computed by compiled reads.

A KPI's attainment (renkei.kpis.attainment) divides in Python's default decimal context: each
operation keeps 28 significant digits, rounded half to even, and a region's roll-up sums those
percents one after the other, rounding each partial sum. PostgreSQL's numeric keeps other
digits, so a mean that lies on a rounding boundary could come out a tenth apart. These two
pure functions and an aggregate reproduce the context's rounding, so that the compiled
dashboard answers exactly what the resolvers answer. They read no table and no viewer.

Revision ID: 0016
Revises: 0014
Create Date: 2026-12-06
"""

from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None

# PL/pgSQL rather than SQL: a SQL function with a CASE is not inlined, and calling it costs
# about 0.3 ms; this costs a few microseconds. The exponent of the leading digit is read from the
# text, which is exact (log() is not); round(x, n) rounds half away from zero, so a tie (x exactly
# halfway at n places) goes to the even neighbour by hand; 10^-n is written as a literal.
DECIMAL28 = """
CREATE FUNCTION renkei_decimal28(x numeric)
RETURNS numeric
LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE AS $$
DECLARE
  magnitude numeric := abs(x);
  fraction text;
  places integer;
  kept numeric;
BEGIN
  IF x = 0 THEN
    RETURN x;
  ELSIF magnitude >= 1 THEN
    places := 28 - length(trunc(magnitude)::text);
  ELSE
    fraction := substr(magnitude::text, 3);
    places := 28 + length(fraction) - length(ltrim(fraction, '0'));
  END IF;
  kept := trunc(magnitude, places);
  IF magnitude - kept = 5 * ('1e' || (-places - 1))::numeric
     AND mod(trunc(magnitude * ('1e' || places)::numeric), 2) = 0 THEN
    RETURN sign(x) * kept;
  END IF;
  RETURN round(x, places);
END
$$
"""
ADD28 = """
CREATE FUNCTION renkei_decimal28_add(total numeric, x numeric)
RETURNS numeric
LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE AS $$
BEGIN
  RETURN renkei_decimal28(total + x);
END
$$
"""
# sum(values, Decimal(0)) in Python's order: give the aggregate an ORDER BY.
SUM28 = """
CREATE AGGREGATE renkei_decimal28_sum(numeric) (
  SFUNC = renkei_decimal28_add, STYPE = numeric, INITCOND = '0'
)
"""


def upgrade() -> None:
    op.execute(DECIMAL28)
    op.execute(ADD28)
    op.execute(SUM28)


def downgrade() -> None:
    op.execute("DROP AGGREGATE renkei_decimal28_sum(numeric)")
    op.execute("DROP FUNCTION renkei_decimal28_add(numeric, numeric)")
    op.execute("DROP FUNCTION renkei_decimal28(numeric)")
