"""Exports people open elsewhere: a roadmap as iCalendar, milestones and KPIs as CSV for Excel.

The CSV files are what Excel in Japan opens correctly with a double-click: UTF-8 with a byte
order mark (without it Excel reads Shift_JIS and garbles Japanese), CRLF line ends, English
column names. A cell that a spreadsheet would run as a formula (it starts with =, +, -, @, a tab
or a carriage return) is prefixed with a single quote (OWASP "CSV injection"), except a plain
number such as -12.5, which stays a number.

milestones_csv columns:
  milestone_id              the milestone's id (UUID)
  title                     the milestone's title
  project                   the project's name
  owner_organization        the organization that owns the milestone
  counterpart_organization  the organization that signs off completion; blank when none
  starts_on                 YYYY-MM-DD; blank when none
  due_on                    YYYY-MM-DD
  due_fiscal_year           the 年度 of due_on: 2025 for 2025-04-01 to 2026-03-31
  status                    NOT_STARTED, IN_PROGRESS, AT_RISK, DONE or CANCELLED
  progress_percent          0 to 100
  horizon_years             the roadmap horizon: 1, 3 or 5
  depends_on                ids of the milestones this one waits for, separated by spaces

kpis_csv columns:
  kpi                       the KPI's name
  unit                      its unit (件, 人, 百万円, %)
  project_or_region         the name of the project or region the KPI belongs to
  baseline                  the baseline value
  fiscal_year               the 年度 of the target: 2025 for 2025-04-01 to 2026-03-31
  target                    the target for that 年度; blank when none
  period_start, period_end  YYYY-MM-DD, the observed period; blank when none
  observed_value            the value observed in that period; blank when none
  attainment_percent        attainment against the target, in percent; blank when not computable
"""

from __future__ import annotations

import csv
import io
import re
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, timedelta
from decimal import Decimal

from icalendar import STATUS, TRANSP, Calendar, Event

from renkei.fiscal import fiscal_year
from renkei.projects.roadmap_svg import STATUS_LABELS, Roadmap, RoadmapMilestone, sort_key

PRODID = "-//Renkei//Roadmap//JA"
MILESTONE_COLUMNS = (
    "milestone_id",
    "title",
    "project",
    "owner_organization",
    "counterpart_organization",
    "starts_on",
    "due_on",
    "due_fiscal_year",
    "status",
    "progress_percent",
    "horizon_years",
    "depends_on",
)
KPI_COLUMNS = (
    "kpi",
    "unit",
    "project_or_region",
    "baseline",
    "fiscal_year",
    "target",
    "period_start",
    "period_end",
    "observed_value",
    "attainment_percent",
)
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"-?\d+(\.\d+)?")


@dataclass(frozen=True, slots=True)
class KpiCsvRow:
    """One KPI figure: a 年度 target and/or an observed period, with its attainment."""

    kpi: str
    unit: str
    project_or_region: str
    baseline: Decimal
    fiscal_year: int | None
    target: Decimal | None
    period_start: date | None
    period_end: date | None
    observed_value: Decimal | None
    attainment_percent: Decimal | None


def milestone_uid(milestone: RoadmapMilestone) -> str:
    """The iCalendar UID: stable, so a subscribed calendar updates the event, not adds one."""
    return f"{milestone.id}@renkei"


def render_ical(roadmap: Roadmap) -> bytes:
    """The roadmap as an RFC 5545 calendar: an all-day event on each milestone's due date."""
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.calendar_name = roadmap.title
    if roadmap.url:
        calendar.url = roadmap.url
    titles = {m.id: m.title for m in roadmap.milestones}
    # DTSTAMP is when the data was read, not when this ran: the same roadmap gives the same bytes.
    stamp = roadmap.generated_at.astimezone(UTC)
    for m in sorted(roadmap.milestones, key=sort_key):
        event = Event.new(
            uid=milestone_uid(m),
            stamp=stamp,
            start=m.due_on,
            end=m.due_on + timedelta(days=1),
            summary=m.title,
            description=_event_description(m, titles, roadmap.url),
            status=STATUS.CANCELLED if m.status == "CANCELLED" else STATUS.CONFIRMED,
            # A due date is not a meeting: it must not show the owner as busy all day.
            transparency=TRANSP.TRANSPARENT,
            url=roadmap.url,
        )
        calendar.add_component(event)
    return calendar.to_ical()


def _event_description(m: RoadmapMilestone, titles: dict[uuid.UUID, str], url: str | None) -> str:
    lines = [f"プロジェクト: {m.project_name}", f"担当組織: {m.owner_organization}"]
    if m.counterpart_organization:
        lines.append(f"確認組織: {m.counterpart_organization}")
    lines += [f"状況: {STATUS_LABELS[m.status]} ({m.status})", f"進捗: {m.progress}%"]
    if m.is_span and m.starts_on is not None:
        lines.append(f"開始: {m.starts_on.isoformat()}")
    lines += [f"期日: {m.due_on.isoformat()}", f"工程表: {m.horizon_years}年"]
    predecessors = [titles[d] for d in sorted(set(m.depends_on), key=str) if d in titles]
    if predecessors:
        lines.append("前提: " + "、".join(predecessors))
    if url:
        lines.append(f"URL: {url}")
    return "\n".join(lines)


def milestones_csv(rows: Iterable[RoadmapMilestone]) -> str:
    """Milestones as CSV for Excel (see the module docstring for the columns)."""
    return csv_table(
        MILESTONE_COLUMNS,
        (
            (
                m.id,
                m.title,
                m.project_name,
                m.owner_organization,
                m.counterpart_organization,
                m.starts_on,
                m.due_on,
                fiscal_year(m.due_on),
                m.status,
                m.progress,
                m.horizon_years,
                " ".join(str(d) for d in m.depends_on),
            )
            for m in rows
        ),
    )


def kpis_csv(rows: Iterable[KpiCsvRow]) -> str:
    """KPI targets and observations as CSV for Excel (see the module docstring for the columns)."""
    return csv_table(
        KPI_COLUMNS,
        (
            (
                r.kpi,
                r.unit,
                r.project_or_region,
                r.baseline,
                r.fiscal_year,
                r.target,
                r.period_start,
                r.period_end,
                r.observed_value,
                r.attainment_percent,
            )
            for r in rows
        ),
    )


def csv_cell(value: object) -> str:
    """A value as Excel should see it: plain text or a number, never a formula."""
    if value is None:
        return ""
    if isinstance(value, Decimal):
        text = format(value, "f")  # never 1E+3, which a spreadsheet would read differently
    elif isinstance(value, date):
        text = value.isoformat()
    else:
        text = str(value)
    if text.startswith(_FORMULA_STARTS) and not _PLAIN_NUMBER.fullmatch(text):
        return "'" + text
    return text


def csv_table(header: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    """CSV for Excel users in Japan: a BOM, CRLF lines, every cell guarded by csv_cell."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows([csv_cell(v) for v in row] for row in rows)
    return "\ufeff" + out.getvalue()
