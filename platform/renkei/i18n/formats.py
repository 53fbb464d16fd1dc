"""Dates, fiscal years and amounts the way their reader writes them.

Japanese: 2026年4月1日, 令和8年4月1日 in documents for public offices, 2026年度, ¥1,234,567 or
1,234,567円. English: April 1, 2026, FY2026, ¥1,234,567. Calendar and number patterns come from
Babel's CLDR data; Babel has no Japanese era calendar, so the eras since 1926 are listed here.
"""

from __future__ import annotations

from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

from babel.dates import format_date as babel_format_date
from babel.numbers import format_decimal

from renkei.i18n.messages import Locale, current_locale

# Days are read in Japan.
JST = ZoneInfo("Asia/Tokyo")

# The first day of each era (元号), from the 元号を改める政令: 令和 by 平成31年政令第143号
# (https://elaws.e-gov.go.jp/document?lawid=431CO0000000143), 平成 by 昭和64年政令第1号.
ERAS: tuple[tuple[date, str, str], ...] = (
    (date(2019, 5, 1), "令和", "Reiwa"),
    (date(1989, 1, 8), "平成", "Heisei"),
    (date(1926, 12, 25), "昭和", "Showa"),
)


def era_year(day: date) -> tuple[str, int] | None:
    """(era name, year of the era) of a day since 1926-12-25; None before that."""
    for start, name, _ in ERAS:
        if day >= start:
            return name, day.year - start.year + 1
    return None


def wareki(day: date) -> str:
    """令和8年4月1日; an era's first year is 元年 (令和元年5月1日), as public offices write it."""
    era = era_year(day)
    if era is None:
        return f"{day.year}年{day.month}月{day.day}日"
    name, year = era
    return f"{name}{'元' if year == 1 else year}年{day.month}月{day.day}日"


def format_date(day: date, *, locale: Locale | None = None, japanese_era: bool = False) -> str:
    """2026年4月1日 (or 令和8年4月1日 with `japanese_era`) in Japanese, April 1, 2026 in English."""
    locale = locale or current_locale()
    if locale == "ja" and japanese_era:
        return wareki(day)
    return babel_format_date(day, "long", locale=locale)


def fiscal_year_label(
    year: int, *, locale: Locale | None = None, japanese_era: bool = False
) -> str:
    """2026年度 (令和8年度 with `japanese_era`) in Japanese, FY2026 in English."""
    locale = locale or current_locale()
    if locale != "ja":
        return f"FY{year}"
    if japanese_era:
        # Named by the era of the calendar year it starts in, as at its end: FY2019 is
        # 令和元年度 (the era changed in May), FY1988 is 昭和63年度.
        era = era_year(date(year, 12, 31))
        if era is not None:
            name, number = era
            return f"{name}{'元' if number == 1 else number}年度"
    return f"{year}年度"


def _grouped(amount: int | Decimal, locale: Locale) -> str:
    whole = Decimal(amount).quantize(Decimal(1), rounding=ROUND_HALF_UP)
    return format_decimal(whole, format="#,##0", locale=locale)


def format_yen(amount: int | Decimal, *, locale: Locale | None = None, suffix: bool = False) -> str:
    """¥1,234,567 (a half-width yen sign, as Japanese forms print it); 1,234,567円 with `suffix`
    in Japanese. Amounts are whole yen, rounded half up."""
    locale = locale or current_locale()
    digits = _grouped(amount, locale)
    sign = "-" if digits.startswith("-") else ""
    digits = digits.lstrip("-")
    if suffix and locale == "ja":
        return f"{sign}{digits}円"
    return f"{sign}¥{digits}"
