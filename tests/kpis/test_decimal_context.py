"""renkei_decimal28 and renkei_decimal28_sum round as Python's default decimal context does."""

from __future__ import annotations

from decimal import Decimal, localcontext

from sqlalchemy import text

from renkei.db import SessionFactory

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
