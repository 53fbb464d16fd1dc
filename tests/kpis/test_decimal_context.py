"""renkei_decimal28 and renkei_decimal28_sum round as Python's default decimal context does."""

from __future__ import annotations

from datetime import date
from decimal import Decimal, localcontext

from sqlalchemy import text

from renkei.db import SessionFactory
from renkei.graphql.types.kpis_computed import rounded_percent
from renkei.kpis.attainment import Observed, attainment
from renkei.kpis.models import KpiDirection

VALUES = [
    "33.333333333333333333333333333333333333",  # 28 digits: down
    "6.76666666666666666666666666666666666667",  # up
    "0.000000123456789012345678901234567890123",  # leading zeros are not significant
    "12345678901234567890123456789.5",  # rounds left of the point
    "1.0000000000000000000000000005",  # a tie: to the even neighbour, 1.000…000
    "1.0000000000000000000000000015",  # a tie: to the even neighbour, 1.000…002
    "-2.00000000000000000000000000250",  # a tie, negative
    "-99.999999999999999999999999999",  # carries into a new digit
    "1000",
    "0",
]


async def test_one_value_keeps_28_significant_digits_rounded_half_even(
    sessions: SessionFactory,
) -> None:
    # given
    async with sessions() as session:
        # when
        rounded = [
            await session.scalar(text("SELECT renkei_decimal28(CAST(:x AS numeric))"), {"x": v})
            for v in VALUES
        ]
    # then: unary plus applies the context's precision and rounding
    assert rounded == [+Decimal(v) for v in VALUES]


async def test_a_sum_rounds_each_partial_sum_in_order(sessions: SessionFactory) -> None:
    # given: each partial sum has 29 significant digits and is rounded down
    values = ["9999999999999999999999999999", "0.4", "0.4"]
    async with sessions() as session:
        # when
        total = await session.scalar(
            text(
                "SELECT renkei_decimal28_sum(CAST(v AS numeric) ORDER BY n)"
                " FROM unnest(CAST(:values AS text[])) WITH ORDINALITY AS u(v, n)"
            ),
            {"values": values},
        )
    # then
    assert total == sum((Decimal(v) for v in values), Decimal(0))
    with localcontext(prec=50):
        exact = sum(Decimal(v) for v in values)
    assert total != +exact  # rounded once, at the end, it would be 1E+28


# (baseline, target, latest), numeric(20, 4) as the columns are: ties at x.x5 %, values one
# unit of the last place either side of a tie at the largest denominators, repeating quotients,
# negative percents and decreasing KPIs.
_MAX = "9999999999999999.9999"
PERCENT_CASES = [
    ("0", "400", "49"),  # 12.25: a tie, up
    ("0", "400", "-49"),  # -12.25: a tie, away from zero
    ("1000", "600", "951"),  # decreasing: 12.25
    ("0", "3", "1"),  # 33.333…
    ("0", "3", "2"),  # 66.666…
    ("0", "7", "5"),
    ("-0.0001", _MAX, "1224999999999999.9999"),  # just under a tie
    ("0", _MAX, "1225000000000000.0000"),  # just over the tie of the exact quotient
    # 99.95 % − 5·10^-22 and 0.05 % + 5·10^-22: the nearest a quotient comes to a tie
    ("0", _MAX, "9994999999999999.9999"),
    ("0", _MAX, "5000000000000.0000"),
    ("0", "0.0003", "0.0001"),
    ("0", "0.0001", _MAX),  # the largest quotient
    (_MAX, "-" + _MAX, "0.0001"),  # the largest denominator, decreasing
    ("0", "1.0001", "0.1225"),
    ("5", "15", "5.0001"),
]


async def test_one_percent_rounds_as_python_without_the_decimal_context(
    sessions: SessionFactory,
) -> None:
    # given: what the resolvers answer for each KPI
    expected = []
    for baseline, target, latest in PERCENT_CASES:
        direction = (
            KpiDirection.INCREASE
            if Decimal(target) > Decimal(baseline)
            else (KpiDirection.DECREASE)
        )
        found = attainment(
            direction=direction,
            baseline=Decimal(baseline),
            targets={2026: Decimal(target)},
            latest=Observed(Decimal(latest), date(2026, 4, 1), date(2026, 6, 30)),
        )
        assert found.percent is not None
        expected.append(found.percent)
    sql = rounded_percent("CAST(:l AS numeric)", "CAST(:b AS numeric)", "CAST(:t AS numeric)")
    async with sessions() as session:
        # when
        computed = [
            await session.scalar(text(f"SELECT {sql}"), {"b": b, "t": t, "l": lt})
            for b, t, lt in PERCENT_CASES
        ]
    # then
    assert computed == expected
