"""Compiled reads of what is computed from milestones: progress, dependencies, baselines.

Each template is the SQL of a rule of renkei.projects (progress.rollup, dependencies.linked,
baselines.compare) and answers exactly what it answers, under the same row-level security:
the same rows, the same rounding (half up, from exact sums), the same nulls, order and texts,
in the reader's locale (bind parameters: kpis_computed.translated).
tests/milestones/test_compiled_computed.py compares both on the edge cases.

Each `<TYPE>_SQL` holds the SQL of the fields of one type of types/milestones.py, declared on
each field there (`metadata=sql(<TYPE>_SQL[name])`); `<TYPE>_SOURCE` is the row source its
`@table` names.
"""

from __future__ import annotations

from renkei.graphql.compiled.json_sql import (
    global_id_sql,
    iso_date_sql,
)
from renkei.graphql.compiled.spec import (
    NUMBER,
    WORD,
    FieldSpec,
    Inline,
    JsonText,
    Many,
    One,
    Scalar,
)
from renkei.graphql.types.kpis_computed import translated_json
from renkei.milestones import progress
from renkei.milestones.models import MilestoneStatus

_CANCELLED = f"'{MilestoneStatus.CANCELLED.value}'"
_DONE = f"'{MilestoneStatus.DONE.value}'"


def _used(m: str) -> str:
    """The progress the formula uses: 100 for a DONE milestone."""
    return f"CASE WHEN {m}.status = {_DONE} THEN 100 ELSE {m}.progress END"


def half_up(numerator: str, denominator: str, places: int) -> str:
    """numerator ÷ denominator rounded half up to `places` decimals, exactly (both >= 0):
    floor((2·10^places·n + d) ÷ 2d), as progress._round_half_up computes it on fractions."""
    scale = 10**places
    return (
        f"(div({2 * scale} * ({numerator}) + ({denominator}), 2 * ({denominator}))"
        f" / {scale})::float8"
    )


# Progress ------------------------------------------------------------------------------------

# One row per project: the sums of progress.rollup over the milestones the viewer sees.
PROGRESS = One(
    "ProgressRollup",
    "true",
    source=(
        "(SELECT {t}.id AS project_id, count(m.id) AS milestones,"
        f" count(m.id) FILTER (WHERE m.status <> {_CANCELLED}) AS counted,"
        f" coalesce(sum(m.weight) FILTER (WHERE m.status <> {_CANCELLED}), 0) AS total_weight,"
        f" coalesce(sum(m.weight * ({_used('m')})) FILTER (WHERE m.status <> {_CANCELLED}), 0)"
        " AS weighted FROM milestones m WHERE m.project_id = {t}.id) {c}"
    ),
)
PROGRESS_ROLLUP_SOURCE = "milestones"
PROGRESS_ROLLUP_SQL: dict[str, FieldSpec] = {
    "percent": Scalar(
        "CASE WHEN {t}.counted > 0 THEN " + half_up("{t}.weighted", "{t}.total_weight", 1) + " END",
        NUMBER,
    ),
    "formula": JsonText(translated_json(progress.FORMULA)),
    "total_weight": Scalar("({t}.total_weight)::float8", NUMBER),
    "reason": JsonText(
        "CASE WHEN {t}.counted > 0 THEN 'null'"
        f" WHEN {{t}}.milestones > 0 THEN {translated_json(progress.ALL_CANCELLED)}"
        f" ELSE {translated_json(progress.NO_MILESTONES)} END"
    ),
    # Every milestone, in due date order, with the total its contribution divides by.
    "inputs": Many(
        "ProgressInput",
        join="true",
        order="{c}.due_on, {c}.id",
        source=(
            "(SELECT m.*, CAST({t}.total_weight AS numeric) AS rollup_total"
            " FROM milestones m WHERE m.project_id = {t}.project_id) {c}"
        ),
    ),
}
PROGRESS_INPUT_SOURCE = "milestones"
PROGRESS_INPUT_SQL: dict[str, FieldSpec] = {
    "title": Scalar("{t}.title"),
    "weight": Scalar("({t}.weight)::float8", NUMBER),
    "progress": Scalar(_used("{t}"), NUMBER),
    "status": Scalar("{t}.status", WORD),
    "counted": Scalar(f"({{t}}.status <> {_CANCELLED})", NUMBER),
    "contribution": Scalar(
        f"CASE WHEN {{t}}.rollup_total > 0 AND {{t}}.status <> {_CANCELLED} THEN "
        + half_up(f"{{t}}.weight * ({_used('{t}')})", "{t}.rollup_total", 2)
        + " END",
        NUMBER,
    ),
    "milestone": Inline("Milestone"),
}


# Dependencies --------------------------------------------------------------------------------


def _linked(upstream: bool) -> Many:
    """dependencies.linked: the predecessors (upstream) or successors the viewer may see."""
    key, other = (
        ("successor_id", "predecessor_id") if upstream else ("predecessor_id", "successor_id")
    )
    return Many(
        "Milestone",
        join=f"{{c}}_d.{key} = {{t}}.id",
        order="{c}.due_on, {c}.id",
        source=(
            f"milestone_dependencies {{c}}_d JOIN milestones {{c}} ON {{c}}.id = {{c}}_d.{other}"
        ),
    )


DEPENDS_ON = _linked(upstream=True)
DEPENDENTS = _linked(upstream=False)


# Baselines -----------------------------------------------------------------------------------

BASELINES = Many("Baseline", join="{c}.project_id = {t}.id", order="{c}.created_at, {c}.id")

# baselines.compare as rows, for the baseline whose id and project are {b} and {p}: the frozen
# milestones not cancelled then (KEPT or REMOVED), and those not cancelled now and not in that
# plan (ADDED). `was_planned`, `is_planned`: whether it is in the baseline's plan, in today's.
_ITEMS = (
    "(SELECT coalesce(b.milestone_id, m.id) AS milestone_id, b.milestone_id IS NOT NULL"
    f" AND b.status <> {_CANCELLED} AS was_planned, m.status <> {_CANCELLED} AS is_planned,"
    " b.title AS title_then, m.title AS title_now, b.due_on AS due_then, m.due_on AS due_now,"
    " b.status AS status_then, m.status AS status_now"
    " FROM (SELECT * FROM baseline_milestones b WHERE b.baseline_id = {b}) b"
    " FULL JOIN (SELECT * FROM milestones m WHERE m.project_id = {p}) m"
    " ON m.id = b.milestone_id"
    f" WHERE (b.milestone_id IS NOT NULL AND b.status <> {_CANCELLED})"
    f" OR m.status <> {_CANCELLED})"
)
_KEPT = "({t}.was_planned AND coalesce({t}.is_planned, false))"
_SLIP = f"CASE WHEN {_KEPT} THEN {{t}}.due_now - {{t}}.due_then END"
_CURRENT_DUE = "CASE WHEN coalesce({t}.is_planned, false) THEN {t}.due_now END"

VARIANCE = One(
    "BaselineVariance",
    "true",
    source=(
        "(SELECT {t}.id AS baseline_id, {t}.project_id AS project_id,"
        f" count(*) FILTER (WHERE {_KEPT.format(t='v')}) AS compared,"
        f" count(*) FILTER (WHERE {_KEPT.format(t='v')} AND v.due_now > v.due_then) AS late,"
        " count(*) FILTER (WHERE NOT v.was_planned) AS added,"
        f" count(*) FILTER (WHERE v.was_planned AND NOT {_KEPT.format(t='v')}) AS removed,"
        f" max({_SLIP.format(t='v')}) AS max_slip,"
        f" round(avg({_SLIP.format(t='v')}), 1) AS mean_slip"
        f" FROM {_ITEMS.format(b='{t}.id', p='{t}.project_id')} v) {{c}}"
    ),
)
BASELINE_MILESTONE_SOURCE = "baseline_milestones"
BASELINE_MILESTONE_SQL: dict[str, FieldSpec] = {
    "milestone_id": JsonText(global_id_sql("Milestone", "{t}.milestone_id")),
    "title": Scalar("{t}.title"),
    "starts_on": Scalar(iso_date_sql("{t}.starts_on"), WORD),
    "due_on": Scalar(iso_date_sql("{t}.due_on"), WORD),
    "status": Scalar("{t}.status", WORD),
    "progress": Scalar("{t}.progress", NUMBER),
    "weight": Scalar("({t}.weight)::float8", NUMBER),
}
BASELINE_VARIANCE_SOURCE = "baselines"
BASELINE_VARIANCE_SQL: dict[str, FieldSpec] = {
    "compared": Scalar("{t}.compared", NUMBER),
    "late": Scalar("{t}.late", NUMBER),
    "added": Scalar("{t}.added", NUMBER),
    "removed": Scalar("{t}.removed", NUMBER),
    "max_slip_days": Scalar("{t}.max_slip", NUMBER),
    "mean_slip_days": Scalar("({t}.mean_slip)::float8", NUMBER),
    "items": Many(
        "MilestoneVariance",
        join="true",
        order=f"coalesce({_CURRENT_DUE.format(t='{c}')}, {{c}}.due_then), {{c}}.milestone_id",
        source=_ITEMS.format(b="{t}.baseline_id", p="{t}.project_id") + " {c}",
    ),
}
MILESTONE_VARIANCE_SOURCE = "baseline_milestones"
MILESTONE_VARIANCE_SQL: dict[str, FieldSpec] = {
    "milestone_id": JsonText(global_id_sql("Milestone", "{t}.milestone_id")),
    "title": Scalar(
        "CASE WHEN {t}.was_planned THEN coalesce({t}.title_now, {t}.title_then)"
        " ELSE {t}.title_now END"
    ),
    "change": Scalar(
        f"CASE WHEN {_KEPT} THEN 'KEPT' WHEN {{t}}.was_planned THEN 'REMOVED' ELSE 'ADDED' END",
        WORD,
    ),
    "baseline_due_on": Scalar(
        iso_date_sql("CASE WHEN {t}.was_planned THEN {t}.due_then END"), WORD
    ),
    "current_due_on": Scalar(iso_date_sql(_CURRENT_DUE), WORD),
    "slip_days": Scalar(_SLIP, NUMBER),
    "status_then": Scalar("{t}.status_then", WORD),
    "status_now": Scalar("{t}.status_now", WORD),
}
