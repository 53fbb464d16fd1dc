"""Exports people open elsewhere: a roadmap as iCalendar, milestones and KPIs as tables for Excel.

Every word is the reader's (renkei.i18n): column names, statuses, the calendar's texts. The
tables are `Table`s, written as CSV here and as .xlsx by `renkei.projects.exports_xlsx`.

The CSV files are what Excel in Japan opens correctly with a double-click: UTF-8 with a byte
order mark (without it Excel reads Shift_JIS and garbles Japanese), CRLF line ends. A cell that a
spreadsheet would run as a formula (it starts with =, +, -, @, a tab or a carriage return) is
prefixed with a single quote (OWASP "CSV injection"), except a plain number such as -12.5, which
stays a number. Amounts and counts are plain numbers (Excel sums them), the unit in the header
(金額（円）). Dates are the reader's: 2026年4月1日 (令和8年4月1日 with the 和暦 setting), April
1, 2026 in English; 年度 as 2026年度 (令和8年度) or FY2026. Ids are the only machine columns.

Milestones (工程表), columns in Japanese (English):
  マイルストーンID (Milestone ID)      the milestone's id (UUID; machine column)
  マイルストーン (Milestone)           its title
  プロジェクト (Project)               the project's name
  担当団体 (Owner organization)        the organization that owns the milestone
  確認団体 (Sign-off organization)     the organization that signs off completion; blank when none
  開始日 (Start date)                  blank when none
  期限 (Due date)
  年度 (Fiscal year)                   the 年度 of the due date (April to March)
  状態 (Status)                        未着手, 進行中, 遅延リスクあり, 完了 or 中止
  進捗率（%） (Progress (%))           0 to 100
  工程表の期間（年） (Roadmap horizon (years))  1, 3 or 5
  先行マイルストーンID (Predecessor IDs)  ids this one waits for, separated by spaces (machine)

KPIs, columns:
  指標名 (KPI), 単位 (Unit: 件, 人, 百万円, %), 対象 (Project or region), 基準値 (Baseline),
  年度 (Fiscal year) of the target, 目標値 (Target; blank when none), 計測期間（開始）/
  計測期間（終了） (Period start/end: the observed period; blank when none), 実績値 (Observed
  value; blank when none), 達成率（%） (Attainment (%): against the target; blank when not
  computable).
"""

from __future__ import annotations

import csv
import io
import re
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, timedelta
from decimal import Decimal
from enum import StrEnum

from babel.lists import format_list
from icalendar import STATUS, TRANSP, Calendar, Event

from renkei.fiscal import fiscal_year
from renkei.i18n.formats import fiscal_year_label, format_date
from renkei.i18n.messages import N_, _, current_locale
from renkei.milestones.models import status_label
from renkei.projects.roadmap_svg import Roadmap, RoadmapMilestone, sort_key

PRODID = "-//Renkei//Roadmap//JA"
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"-?\d+(\.\d+)?")


class Cell(StrEnum):
    """What a column holds, so that each format writes it as its reader expects."""

    TEXT = "text"
    ID = "id"  # machine: written as it is
    DATE = "date"  # the reader's date; a real date in .xlsx
    FISCAL_YEAR = "fiscal_year"  # an int written as 2026年度 / 令和8年度 / FY2026
    NUMBER = "number"  # a plain number
    AMOUNT = "amount"  # whole yen, a plain number; the currency is in the header
    PERCENT = "percent"  # a number of percent (50 for 50 %)


@dataclass(frozen=True, slots=True)
class Column:
    header: str  # an N_() msgid: translated when the table is written
    cell: Cell = Cell.TEXT
    width: int = 14  # in characters, for .xlsx


@dataclass(frozen=True, slots=True)
class Table:
    """Rows for a spreadsheet: the columns say how each value is written."""

    sheet: str  # an N_() msgid: the sheet's name in .xlsx
    columns: tuple[Column, ...]
    rows: list[tuple[object, ...]] = field(default_factory=list)
    bold_rows: frozenset[int] = frozenset()  # indexes of total rows

    def headers(self) -> list[str]:
        return [_(c.header) for c in self.columns]


MILESTONE_COLUMNS = (
    Column(N_("Milestone ID"), Cell.ID, 38),
    Column(N_("Milestone"), Cell.TEXT, 30),
    Column(N_("Project"), Cell.TEXT, 26),
    Column(N_("Owner organization"), Cell.TEXT, 20),
    Column(N_("Sign-off organization"), Cell.TEXT, 20),
    Column(N_("Start date"), Cell.DATE),
    Column(N_("Due date"), Cell.DATE),
    Column(N_("Fiscal year"), Cell.FISCAL_YEAR, 12),
    Column(N_("Status"), Cell.TEXT, 14),
    Column(N_("Progress (%)"), Cell.PERCENT, 10),
    Column(N_("Roadmap horizon (years)"), Cell.NUMBER, 10),
    Column(N_("Predecessor IDs"), Cell.ID, 38),
)
KPI_COLUMNS = (
    Column(N_("KPI name"), Cell.TEXT, 28),
    Column(N_("Unit"), Cell.TEXT, 8),
    Column(N_("Project or region"), Cell.TEXT, 26),
    Column(N_("Baseline"), Cell.NUMBER, 10),
    Column(N_("Fiscal year"), Cell.FISCAL_YEAR, 12),
    Column(N_("Target"), Cell.NUMBER, 10),
    Column(N_("Period start"), Cell.DATE),
    Column(N_("Period end"), Cell.DATE),
    Column(N_("Observed value"), Cell.NUMBER, 10),
    Column(N_("Attainment (%)"), Cell.PERCENT, 10),
)
MILESTONES_SHEET = N_("Milestones")
KPIS_SHEET = N_("KPI report")


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


def render_ical(roadmap: Roadmap, *, japanese_era: bool = False) -> bytes:
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
            description=_event_description(m, titles, roadmap.url, japanese_era),
            status=STATUS.CANCELLED if m.status == "CANCELLED" else STATUS.CONFIRMED,
            # A due date is not a meeting: it must not show the owner as busy all day.
            transparency=TRANSP.TRANSPARENT,
            url=roadmap.url,
        )
        calendar.add_component(event)
    return bytes(calendar.to_ical())


def _event_description(
    m: RoadmapMilestone, titles: dict[uuid.UUID, str], url: str | None, japanese_era: bool
) -> str:
    def day(value: date) -> str:
        return format_date(value, japanese_era=japanese_era)

    lines = [
        _("Project: {name}", name=m.project_name),
        _("Owner organization: {name}", name=m.owner_organization),
    ]
    if m.counterpart_organization:
        lines.append(_("Sign-off organization: {name}", name=m.counterpart_organization))
    lines += [
        _("Status: {label} ({code})", label=status_label(m.status), code=m.status),
        _("Progress: {percent}%", percent=m.progress),
    ]
    if m.is_span and m.starts_on is not None:
        lines.append(_("Starts: {date}", date=day(m.starts_on)))
    lines += [
        _("Due: {date}", date=day(m.due_on)),
        _("Roadmap: {years}-year", years=m.horizon_years),
    ]
    predecessors = [titles[d] for d in sorted(set(m.depends_on), key=str) if d in titles]
    if predecessors:
        joined = format_list(predecessors, locale=current_locale())
        lines.append(_("Waits for: {milestones}", milestones=joined))
    if url:
        lines.append(f"URL: {url}")
    return "\n".join(lines)


def milestones_table(rows: Iterable[RoadmapMilestone]) -> Table:
    """Milestones as a table (see the module docstring for the columns)."""
    return Table(
        MILESTONES_SHEET,
        MILESTONE_COLUMNS,
        [
            (
                m.id,
                m.title,
                m.project_name,
                m.owner_organization,
                m.counterpart_organization,
                m.starts_on,
                m.due_on,
                fiscal_year(m.due_on),
                status_label(m.status),
                m.progress,
                m.horizon_years,
                " ".join(str(d) for d in m.depends_on),
            )
            for m in rows
        ],
    )


def kpis_table(rows: Iterable[KpiCsvRow]) -> Table:
    """KPI targets and observations as a table (see the module docstring for the columns)."""
    return Table(
        KPIS_SHEET,
        KPI_COLUMNS,
        [
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
        ],
    )


def milestones_csv(rows: Iterable[RoadmapMilestone], *, japanese_era: bool = False) -> str:
    """Milestones as CSV for Excel (see the module docstring for the columns)."""
    return table_csv(milestones_table(rows), japanese_era=japanese_era)


def kpis_csv(rows: Iterable[KpiCsvRow], *, japanese_era: bool = False) -> str:
    """KPI targets and observations as CSV for Excel (see the module docstring for the columns)."""
    return table_csv(kpis_table(rows), japanese_era=japanese_era)


def table_csv(table: Table, *, japanese_era: bool = False) -> str:
    """A table as CSV for Excel, in the reader's words and dates."""
    return csv_table(
        table.headers(),
        (
            [
                _text(value, column.cell, japanese_era)
                for value, column in zip(row, table.columns, strict=True)
            ]
            for row in table.rows
        ),
    )


def _text(value: object, cell: Cell, japanese_era: bool) -> object:
    if value is None:
        return None
    if cell is Cell.DATE and isinstance(value, date):
        return format_date(value, japanese_era=japanese_era)
    if cell is Cell.FISCAL_YEAR and isinstance(value, int):
        return fiscal_year_label(value, japanese_era=japanese_era)
    return value


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
