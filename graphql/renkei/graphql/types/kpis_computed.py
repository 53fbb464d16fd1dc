"""Compiled reads of KPI attainment and of a region's KPI roll-up.

The templates are renkei.kpis.attainment's rules in SQL: the latest observation (by period end,
then id), the target with the earliest deadline on or after its period end (fiscal or calendar
year; with fiscal-year targets only, that of its fiscal year or the nearest later one), the
published formula in Python's decimal context (28 significant digits, half even:
renkei_decimal28, migration 0016), the percent rounded half up to one decimal, and the same
reason texts, in the reader's locale:
each is a whole sentence of the catalog, a bind parameter (spec.message) whose placeholders
SQL fills, never words written into the SQL (its plan is shared by readers of every locale).
Row-level security decides which KPIs, targets and observations count, as it does for the
resolvers. tests/kpis/test_compiled_attainment.py compares both on the edge cases, in Japanese
and in English.

Each `<TYPE>_SQL` holds the SQL of the fields of one type of types/kpis.py, declared on each field
there (`metadata=sql(<TYPE>_SQL[name])`); `<TYPE>_SOURCE` is the row source its `@table` names.
"""

from __future__ import annotations

from renkei.graphql.compiled.json_sql import iso_date_sql
from renkei.graphql.compiled.spec import (
    NUMBER,
    WORD,
    FieldSpec,
    Inline,
    JsonText,
    Many,
    One,
    Scalar,
    message,
)
from renkei.kpis.attainment import (
    FORMULAS,
    NO_OBSERVATION,
    NO_TARGET,
    ROLLUP_FORMULA,
    TARGET_IS_BASELINE,
    UNDATED_TARGET_IS_BASELINE,
    UNDATED_WRONG_SIDE,
    WRONG_SIDE,
)
from renkei.kpis.models import KpiDirection

_INCREASE = f"'{KpiDirection.INCREASE.value}'"


def _meets(direction: str, value: str, target: str) -> str:
    return (
        f"CASE WHEN {direction} = {_INCREASE} THEN {value} >= {target} ELSE {value} <= {target} END"
    )


def _fiscal_year(day: str) -> str:
    """renkei.fiscal.fiscal_year: April to March, named by the year it starts in."""
    return (
        f"(CAST(extract(year FROM {day}) AS int)"
        f" - CASE WHEN extract(month FROM {day}) < 4 THEN 1 ELSE 0 END)"
    )


def _plain(value: str) -> str:
    """attainment.plain: 1200, 0.5, never 1200.0000."""
    return f"trim_scale({value})::text"


def translated(msgid: str, **values: str) -> str:
    """SQL of `_(msgid, **values)`: the message in the reader's locale (a bind parameter), its
    `{name}` placeholders replaced by the SQL text of the values. The braces are written as
    chr(123) and chr(125): the templates pass through str.format."""
    sql = f"CAST({message(msgid)} AS text)"
    for name, value in values.items():
        sql = f"replace({sql}, chr(123) || '{name}' || chr(125), {value})"
    return sql


def translated_json(msgid: str) -> str:
    """The JSON text of a message in the reader's locale."""
    return f"to_json({translated(msgid)})::text"


# The inputs of one KPI (alias KPI): its latest observation and the target chosen for it: the
# earliest deadline on or after the period end, fiscal (31 March after year g) or calendar
# (31 December of year c); 31 December of c precedes 31 March after g exactly when c <= g.
_CALENDAR = "(c.year IS NOT NULL AND (g.fiscal_year IS NULL OR c.year <= g.fiscal_year))"
_INPUTS = (
    "SELECT KPI.direction AS a_direction, KPI.baseline_value AS a_baseline,"
    " o.value AS a_latest_value, o.period_start AS a_latest_period_start,"
    f" o.period_end AS a_latest_period_end,"
    f" CASE WHEN {_CALENDAR} THEN NULL ELSE g.fiscal_year END AS a_target_fiscal_year,"
    f" CASE WHEN {_CALENDAR} THEN c.year END AS a_target_calendar_year,"
    f" CASE WHEN {_CALENDAR} THEN c.value ELSE g.value END AS a_target FROM (SELECT) a_one"
    " LEFT JOIN LATERAL (SELECT o.value, o.period_start, o.period_end FROM kpi_observations o"
    " WHERE o.kpi_id = KPI.id ORDER BY o.period_end DESC, o.id DESC LIMIT 1) o ON true"
    " LEFT JOIN LATERAL (SELECT g.fiscal_year, g.value FROM kpi_targets g WHERE g.kpi_id = KPI.id"
    f" AND g.fiscal_year >= {_fiscal_year('o.period_end')} ORDER BY g.fiscal_year LIMIT 1) g"
    " ON true"
    " LEFT JOIN LATERAL (SELECT c.year, c.value FROM kpi_calendar_targets c"
    " WHERE c.kpi_id = KPI.id AND c.year >= CAST(extract(year FROM o.period_end) AS int)"
    " ORDER BY c.year LIMIT 1) c ON true"
)
_NO_PERCENT = (
    "i.a_target IS NULL OR i.a_target = i.a_baseline"
    f" OR NOT {_meets('i.a_direction', 'i.a_target', 'i.a_baseline')}"
)
_YEAR = "(i.a_target_fiscal_year)::text"
_REASON = (
    f"CASE WHEN i.a_latest_value IS NULL THEN {translated(NO_OBSERVATION)}"
    " WHEN i.a_target IS NULL THEN "
    + translated(NO_TARGET, year=f"({_fiscal_year('i.a_latest_period_end')})::text")
    + " WHEN i.a_target = i.a_baseline AND i.a_target_calendar_year IS NOT NULL THEN "
    + translated(UNDATED_TARGET_IS_BASELINE)
    + " WHEN i.a_target = i.a_baseline THEN "
    + translated(TARGET_IS_BASELINE, year=_YEAR, baseline=_plain("i.a_baseline"))
    + f" WHEN NOT {_meets('i.a_direction', 'i.a_target', 'i.a_baseline')}"
    + " THEN CASE WHEN i.a_target_calendar_year IS NOT NULL THEN "
    + translated(UNDATED_WRONG_SIDE)
    + f" WHEN i.a_direction = {_INCREASE} THEN "
    + translated(
        WRONG_SIDE[KpiDirection.INCREASE],
        year=_YEAR,
        target=_plain("i.a_target"),
        baseline=_plain("i.a_baseline"),
    )
    + " ELSE "
    + translated(
        WRONG_SIDE[KpiDirection.DECREASE],
        year=_YEAR,
        target=_plain("i.a_target"),
        baseline=_plain("i.a_baseline"),
    )
    + " END END"
)
# (latest − baseline) ÷ (target − baseline) to 28 digits, then × 100, as Python's decimals do.
_EXACT = (
    f"CASE WHEN {_NO_PERCENT} THEN NULL ELSE renkei_decimal28(round(i.a_latest_value"
    " - i.a_baseline, 60) / (i.a_target - i.a_baseline)) * 100 END"
)


def rounded_percent(latest: str, baseline: str, target: str) -> str:
    """attainment.rounded(exact percent) in plain numeric arithmetic, with no decimal context.

    The quotient is computed to 60 decimals and rounded half up (away from zero, as round()
    does) to one decimal. It equals rounding Python's 28-digit quotient: the columns are
    numeric(20, 4), so the quotient is A ÷ B with integers |A|, |B| < 2·10^20; a value that is
    not a tie lies at least 1 ÷ (2000·B) from every tie (x.x5 %), more than the 28-digit
    rounding moves it (at most |A| ÷ B · 10^-27 ÷ 2) and than the 60-decimal one; a tie is
    exact in both. tests/kpis/test_decimal_context.py checks boundary cases against Python.
    """
    return f"round(round({latest} - {baseline}, 60) / ({target} - {baseline}) * 100, 1)"


_PERCENT = (
    f"CASE WHEN {_NO_PERCENT} THEN NULL ELSE"
    f" {rounded_percent('i.a_latest_value', 'i.a_baseline', 'i.a_target')} END"
)


def attainment_of(kpi: str) -> str:
    """A subquery of one row: the attainment of the KPI whose row is aliased `kpi`.

    `a_exact` (28 digits, for roll-ups) is computed only where a roll-up reads it; the
    percent of one KPI needs no decimal context (rounded_percent)."""
    return (
        f"(SELECT i.*, {_EXACT} AS a_exact, {_PERCENT} AS a_percent, coalesce("
        + _meets("i.a_direction", "i.a_latest_value", "i.a_target")
        + f", false) AS a_achieved, {_REASON} AS a_reason FROM ({_INPUTS.replace('KPI', kpi)}) i)"
    )


ATTAINMENT = One("KpiAttainment", "true", source=attainment_of("{t}") + " {c}")


def _formula(direction: str) -> str:
    return (
        f"CASE WHEN {direction} = {_INCREASE}"
        f" THEN {translated_json(FORMULAS[KpiDirection.INCREASE])}"
        f" ELSE {translated_json(FORMULAS[KpiDirection.DECREASE])} END"
    )


KPI_ATTAINMENT_SOURCE = "kpis"
KPI_ATTAINMENT_SQL: dict[str, FieldSpec] = {
    "percent": Scalar("({t}.a_percent)::float8", NUMBER),
    "achieved": Scalar("{t}.a_achieved", NUMBER),
    "formula": JsonText(_formula("{t}.a_direction")),
    "baseline": Scalar("({t}.a_baseline)::float8", NUMBER),
    "target": Scalar("({t}.a_target)::float8", NUMBER),
    "target_fiscal_year": Scalar("{t}.a_target_fiscal_year", NUMBER),
    "target_calendar_year": Scalar("{t}.a_target_calendar_year", NUMBER),
    "latest_value": Scalar("({t}.a_latest_value)::float8", NUMBER),
    "latest_period_start": Scalar(iso_date_sql("{t}.a_latest_period_start"), WORD),
    "latest_period_end": Scalar(iso_date_sql("{t}.a_latest_period_end"), WORD),
    "reason": Scalar("{t}.a_reason"),
}

# Roll-up ------------------------------------------------------------------------------------

# service.region_rollup's KPIs, each with its attainment: the region's own, then its visible
# projects' (repository.of_region_and_its_projects), in the order the mean sums them.
_ORDER = "{c}.project_id IS NOT NULL, {c}.name, {c}.id"


def _rollup_rows(region: str) -> str:
    return (
        f"(SELECT k.*, a.* FROM kpis k CROSS JOIN LATERAL {attainment_of('k')} a"
        f" WHERE k.region_id = {region} OR (k.project_id IS NOT NULL AND k.project_id IN"
        f" (SELECT p.id FROM projects p WHERE p.region_id = {region})))"
    )


KPI_ROLLUP = One(
    "KpiRollup",
    "true",
    source=(
        "(SELECT {t}.id AS region_id, count(*) AS kpi_count,"
        " count(*) FILTER (WHERE r.a_achieved) AS achieved_count,"
        " round(renkei_decimal28(round(renkei_decimal28_sum(r.a_exact ORDER BY "
        + _ORDER.format(c="r")
        + "), 60) / nullif(count(r.a_exact), 0)), 1) AS mean"
        f" FROM {_rollup_rows('{t}.id')} r) {{c}}"
    ),
)


def _entries(type_name: str, condition: str) -> Many:
    return Many(
        type_name,
        join=f"{{c}}.a_exact IS {condition}",
        order=_ORDER,
        source=_rollup_rows("{t}.region_id") + " {c}",
    )


KPI_ROLLUP_SOURCE = "regions"
KPI_ROLLUP_SQL: dict[str, FieldSpec] = {
    "percent": Scalar("({t}.mean)::float8", NUMBER),
    "formula": JsonText(translated_json(ROLLUP_FORMULA)),
    "kpi_count": Scalar("{t}.kpi_count", NUMBER),
    "achieved_count": Scalar("{t}.achieved_count", NUMBER),
    "included": _entries("KpiRollupEntry", "NOT NULL"),
    "excluded": _entries("KpiRollupExclusion", "NULL"),
}
KPI_ROLLUP_ENTRY_SOURCE = "kpis"
KPI_ROLLUP_ENTRY_SQL: dict[str, FieldSpec] = {
    "kpi": Inline("Kpi"),
    "attainment": Inline("KpiAttainment"),
}
KPI_ROLLUP_EXCLUSION_SOURCE = "kpis"
KPI_ROLLUP_EXCLUSION_SQL: dict[str, FieldSpec] = {
    "kpi": Inline("Kpi"),
    "reason": Scalar("coalesce({t}.a_reason, '')"),
    "attainment": Inline("KpiAttainment"),
}
