"""年度: Japan's fiscal year runs from April to March and is named by the year it starts in."""

from __future__ import annotations

from datetime import date


def fiscal_year(day: date) -> int:
    """FY2025 (令和7年度) is 2025-04-01 to 2026-03-31."""
    return day.year if day.month >= 4 else day.year - 1


def fiscal_year_bounds(year: int) -> tuple[date, date]:
    """The first and last day of a fiscal year."""
    return date(year, 4, 1), date(year + 1, 3, 31)
