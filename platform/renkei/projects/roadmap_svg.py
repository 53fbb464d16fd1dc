"""工程表: a roadmap of milestones drawn as an SVG timeline, one lane per owner organization.

Pure functions over plain frozen data: the service loads the milestones the viewer may see and
passes them here; nothing in this module touches the database or the clock. The same roadmap
gives the same bytes, so the HTTP layer can cache the output and derive an ETag from it.

Its words are the reader's (renkei.i18n): the legend, the statuses, the 年度 and month labels,
the dates (2026年4月1日, or 令和8年4月1日 and 令和8年度 with `japanese_era`; April 1, 2026 and
FY2026 in English).
"""

from __future__ import annotations

import re
import unicodedata
import uuid
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from xml.etree import ElementTree as ET

from babel.dates import format_date as babel_format_date
from babel.lists import format_list

from renkei.fiscal import fiscal_year, fiscal_year_bounds
from renkei.i18n.formats import fiscal_year_label, format_date
from renkei.i18n.messages import _, current_locale, ngettext
from renkei.milestones.models import status_label

JST = timezone(timedelta(hours=9), "JST")
STATUSES = ("NOT_STARTED", "IN_PROGRESS", "AT_RISK", "DONE", "CANCELLED")
# Okabe–Ito colours, which stay distinguishable under the common colour-vision deficiencies.
STATUS_COLOURS = {
    "NOT_STARTED": "#999999",
    "IN_PROGRESS": "#0072B2",
    "AT_RISK": "#D55E00",
    "DONE": "#009E73",
    "CANCELLED": "#CCCCCC",
}
HORIZONS = (1, 3, 5)
FONT_FAMILY = (
    '"Hiragino Sans", "Hiragino Kaku Gothic ProN", "Noto Sans JP", "Yu Gothic", Meiryo, sans-serif'
)

_SVG_NS = "http://www.w3.org/2000/svg"
_MARGIN = 24
_LABEL_WIDTH = 300
_ROW = 26
_LANE_HEADER = 24
_FY_BAND_TOP = 96
_MONTH_BAND_TOP = 116
_BODY_TOP = 138
_MAX_PX_PER_DAY = 1.6
_MAX_CHART_WIDTH = 2400.0
_INK = "#1F2937"
_GRID = "#E5E7EB"
_FY_GRID = "#9CA3AF"
# Characters XML 1.0 cannot carry at all: a title holding one must not make the document invalid.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")


@dataclass(frozen=True, slots=True)
class RoadmapMilestone:
    """One マイルストーン as the roadmap shows it: names resolved, nothing lazy."""

    id: uuid.UUID
    title: str
    project_name: str
    owner_organization: str
    counterpart_organization: str | None
    starts_on: date | None
    due_on: date
    status: str
    progress: int
    horizon_years: int
    depends_on: tuple[uuid.UUID, ...] = ()

    def __post_init__(self) -> None:
        if self.status not in STATUSES:
            raise ValueError(f"unknown milestone status {self.status!r}")
        if not 0 <= self.progress <= 100:
            raise ValueError(f"progress must be 0 to 100, not {self.progress}")
        if self.horizon_years not in HORIZONS:
            raise ValueError(f"horizon_years must be 1, 3 or 5, not {self.horizon_years}")

    @property
    def is_span(self) -> bool:
        """Drawn as a bar from its start; a milestone without a (valid) start is a diamond."""
        return self.starts_on is not None and self.starts_on < self.due_on


@dataclass(frozen=True, slots=True)
class Roadmap:
    """A project's or a region's 工程表 at one moment (which also fixes where "today" is)."""

    title: str
    generated_at: datetime
    milestones: tuple[RoadmapMilestone, ...]
    url: str | None = None

    def __post_init__(self) -> None:
        if self.generated_at.tzinfo is None:
            raise ValueError("generated_at must be timezone-aware")
        ids = [m.id for m in self.milestones]
        if len(set(ids)) != len(ids):
            raise ValueError("milestone ids must be unique")

    @property
    def today(self) -> date:
        return self.generated_at.astimezone(JST).date()


def sort_key(milestone: RoadmapMilestone) -> tuple[date, date, str, str]:
    """Chronological, then by title; the id breaks ties so the order never depends on input."""
    first = milestone.starts_on if milestone.is_span and milestone.starts_on else milestone.due_on
    return (first, milestone.due_on, milestone.title, str(milestone.id))


def clean_text(text: str) -> str:
    """Text safe to put in XML: characters XML 1.0 forbids are dropped, whitespace is collapsed."""
    return " ".join(_NOT_XML.sub("", text).split())


def render_svg(roadmap: Roadmap, *, japanese_era: bool = False) -> str:
    """The roadmap as an SVG document: lanes by owner organization over a 年度/month axis."""
    if not roadmap.milestones:
        return _render_empty(roadmap, japanese_era)
    axis = _Axis.covering(roadmap)
    lanes = _lanes(roadmap.milestones)
    body_height = sum(_LANE_HEADER + _ROW * len(ms) for _, ms in lanes)
    body_bottom = _BODY_TOP + body_height
    width = axis.right + _MARGIN
    height = body_bottom + 28 + _MARGIN
    description = _description(roadmap, axis, len(lanes), japanese_era)
    svg = _root(width, height, roadmap, description)
    _defs(svg)
    _header(svg, roadmap, japanese_era)
    _legend(svg)
    _bands(svg, lanes, width)
    _grid(svg, axis, body_bottom, japanese_era)
    positions = _draw_lanes(svg, lanes, axis, japanese_era)
    _dependencies(svg, roadmap.milestones, positions)
    _today(svg, axis, roadmap.today, body_bottom, japanese_era)
    return ET.tostring(svg, encoding="unicode")


@dataclass(frozen=True, slots=True)
class _Axis:
    start: date  # the first day shown: 1 April of the first 年度
    end: date  # the day after the last day shown: 1 April after the last 年度
    left: float
    px_per_day: float

    @classmethod
    def covering(cls, roadmap: Roadmap) -> _Axis:
        days = [roadmap.today]
        for m in roadmap.milestones:
            days.append(m.due_on)
            if m.starts_on is not None:
                days.append(m.starts_on)
        start = fiscal_year_bounds(fiscal_year(min(days)))[0]
        end = fiscal_year_bounds(fiscal_year(max(days)))[1] + timedelta(days=1)
        px = min(_MAX_PX_PER_DAY, _MAX_CHART_WIDTH / (end - start).days)
        return cls(start, end, float(_MARGIN + _LABEL_WIDTH), px)

    def x(self, day: date) -> float:
        return self.left + (day - self.start).days * self.px_per_day

    @property
    def right(self) -> float:
        return self.x(self.end)

    def months(self) -> list[date]:
        out, day = [], self.start
        while day < self.end:
            out.append(day)
            day = date(day.year + day.month // 12, day.month % 12 + 1, 1)
        return out


@dataclass(frozen=True, slots=True)
class _Position:
    start_x: float
    end_x: float
    cy: float


def _lanes(
    milestones: tuple[RoadmapMilestone, ...],
) -> list[tuple[str, list[RoadmapMilestone]]]:
    by_owner: dict[str, list[RoadmapMilestone]] = {}
    for m in milestones:
        by_owner.setdefault(m.owner_organization, []).append(m)
    return [(owner, sorted(by_owner[owner], key=sort_key)) for owner in sorted(by_owner)]


def _num(value: float) -> str:
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


def _el(
    parent: ET.Element, tag: str, attrs: Mapping[str, object], text: str | None = None
) -> ET.Element:
    """A child element; numbers are written with at most two decimals, text is cleaned."""
    element = ET.SubElement(parent, tag, {k: _attr(v) for k, v in attrs.items()})
    if text is not None:
        element.text = clean_text(text)
    return element


def _attr(value: object) -> str:
    return _num(value) if isinstance(value, int | float) else clean_text(str(value))


def _width(text: str, font_px: float) -> float:
    """About how wide text is drawn: full-width (Japanese) characters 1 em, others 0.6 em."""
    return font_px * sum(
        1.0 if unicodedata.east_asian_width(char) in ("W", "F") else 0.6 for char in text
    )


def _fit(text: str, width_px: float, font_px: float) -> str:
    """Shorten text to about width_px, counting full-width (Japanese) characters as 1 em."""
    text = clean_text(text)
    budget, used = width_px / font_px, 0.0
    for i, char in enumerate(text):
        used += 1.0 if unicodedata.east_asian_width(char) in ("W", "F") else 0.6
        if used > budget:
            return text[: max(i - 1, 0)] + "…"
    return text


def _root(width: float, height: float, roadmap: Roadmap, description: str) -> ET.Element:
    svg = ET.Element(
        "svg",
        {
            "xmlns": _SVG_NS,
            "width": _num(width),
            "height": _num(height),
            "viewBox": f"0 0 {_num(width)} {_num(height)}",
            "role": "img",
            "aria-labelledby": "roadmap-title roadmap-desc",
            "font-family": FONT_FAMILY,
            "font-size": "12",
        },
    )
    _el(svg, "title", {"id": "roadmap-title"}, roadmap.title)
    _el(svg, "desc", {"id": "roadmap-desc"}, description)
    _el(svg, "rect", {"width": "100%", "height": "100%", "fill": "#FFFFFF"})
    return svg


def _render_empty(roadmap: Roadmap, japanese_era: bool) -> str:
    message = _("No milestones")
    description = _("Roadmap of {title}: no milestones.", title=roadmap.title)
    svg = _root(640, 150, roadmap, description)
    svg.set("class", "empty")
    _header(svg, roadmap, japanese_era)
    _el(svg, "text", {"x": _MARGIN, "y": 110, "fill": _INK, "font-size": "14"}, message)
    return ET.tostring(svg, encoding="unicode")


def _description(roadmap: Roadmap, axis: _Axis, lane_count: int, japanese_era: bool) -> str:
    counts = Counter(m.status for m in roadmap.milestones)
    by_status = format_list(
        [
            _("{status}: {count}", status=status_label(s), count=counts[s])
            for s in STATUSES
            if counts[s]
        ],
        locale=current_locale(),
    )
    last = axis.end - timedelta(days=1)
    return _(
        "Roadmap of {title}: {milestones} of {organizations} ({by_status}). "
        "From {start} to {end}; as of {today}.",
        title=roadmap.title,
        milestones=ngettext("{n} milestone", "{n} milestones", len(roadmap.milestones)),
        organizations=ngettext("{n} organization", "{n} organizations", lane_count),
        by_status=by_status,
        start=format_date(axis.start, japanese_era=japanese_era),
        end=format_date(last, japanese_era=japanese_era),
        today=format_date(roadmap.today, japanese_era=japanese_era),
    )


def _defs(svg: ET.Element) -> None:
    defs = _el(svg, "defs", {})
    for marker_id, colour in (("arrow", "#6B7280"), ("arrow-late", STATUS_COLOURS["AT_RISK"])):
        marker = _el(
            defs,
            "marker",
            {
                "id": marker_id,
                "viewBox": "0 0 10 10",
                "refX": "9",
                "refY": "5",
                "markerWidth": "7",
                "markerHeight": "7",
                "orient": "auto",
            },
        )
        _el(marker, "path", {"d": "M 0 0 L 10 5 L 0 10 z", "fill": colour})


def _header(svg: ET.Element, roadmap: Roadmap, japanese_era: bool) -> None:
    moment = roadmap.generated_at.astimezone(JST)
    day = format_date(moment.date(), japanese_era=japanese_era)
    attrs = {"x": _MARGIN, "y": 40, "fill": _INK, "font-size": "18", "font-weight": "bold"}
    _el(svg, "text", {"class": "title", **attrs}, roadmap.title)
    subtitle = _("Roadmap · as of {date} {time} JST", date=day, time=moment.strftime("%H:%M"))
    _el(svg, "text", {"class": "subtitle", "x": _MARGIN, "y": 60, "fill": "#4B5563"}, subtitle)


def _legend(svg: ET.Element) -> None:
    legend = _el(svg, "g", {"class": "legend"})
    x = float(_MARGIN)
    for status in STATUSES:
        item = _el(legend, "g", {"class": "legend-item", "data-status": status})
        swatch = {"x": x, "y": 72, "width": 14, "height": 10, "rx": 2}
        _el(item, "rect", {**swatch, "fill": STATUS_COLOURS[status]})
        label = status_label(status)
        _el(item, "text", {"x": x + 19, "y": 81, "fill": _INK}, label)
        x += 19 + _width(label, 12) + 18
    due_only = _("Due date only")
    _el(legend, "path", {"d": _diamond(x + 7, 77, 6), "fill": "#6B7280"})
    _el(legend, "text", {"x": x + 19, "y": 81, "fill": _INK}, due_only)
    x += 19 + _width(due_only, 12) + 18
    line = {"x1": x, "y1": 71, "x2": x, "y2": 83, "stroke": _INK, "stroke-dasharray": "3 2"}
    _el(legend, "line", line)
    _el(legend, "text", {"x": x + 6, "y": 81, "fill": _INK}, _("Today"))


def _bands(svg: ET.Element, lanes: list[tuple[str, list[RoadmapMilestone]]], width: float) -> None:
    bands = _el(svg, "g", {"class": "bands"})
    y = float(_BODY_TOP)
    for index, (_owner, milestones) in enumerate(lanes):
        height = _LANE_HEADER + _ROW * len(milestones)
        fill = "#F3F4F6" if index % 2 == 0 else "#FFFFFF"
        _el(bands, "rect", {"x": 0, "y": y, "width": width, "height": height, "fill": fill})
        _el(bands, "line", {"x1": 0, "y1": y, "x2": width, "y2": y, "stroke": _FY_GRID})
        y += height


def _grid(svg: ET.Element, axis: _Axis, bottom: float, japanese_era: bool) -> None:
    grid = _el(svg, "g", {"class": "grid", "font-size": "11", "fill": "#4B5563"})
    months = axis.months()
    month_px = 30 * axis.px_per_day
    for month in months:
        x = axis.x(month)
        if month.month == 4:
            line = {"x1": x, "y1": _FY_BAND_TOP, "x2": x, "y2": bottom, "stroke": _FY_GRID}
            _el(grid, "line", {"class": "fiscal-year-line", **line})
            year_end = min(axis.end, date(month.year + 1, 4, 1))
            centre = (x + axis.x(year_end)) / 2
            label = {"class": "fiscal-year-label", "x": centre, "y": _FY_BAND_TOP + 14}
            attrs = {**label, "text-anchor": "middle", "font-weight": "bold"}
            _el(grid, "text", attrs, fiscal_year_label(month.year, japanese_era=japanese_era))
        else:
            line = {"x1": x, "y1": _MONTH_BAND_TOP, "x2": x, "y2": bottom, "stroke": _GRID}
            _el(grid, "line", {"class": "month-line", **line})
        if month_px >= 24 or (month_px >= 12 and month.month in (1, 4, 7, 10)):
            centre = x + month_px / 2 if month_px >= 24 else x + 3
            anchor = "middle" if month_px >= 24 else "start"
            label = {"class": "month-label", "x": centre, "y": _MONTH_BAND_TOP + 14}
            name = babel_format_date(month, "MMM", locale=current_locale())
            _el(grid, "text", {**label, "text-anchor": anchor}, name)
    right = axis.right
    edge = {"x1": right, "y1": _FY_BAND_TOP, "x2": right, "y2": bottom, "stroke": _FY_GRID}
    _el(grid, "line", edge)


def _draw_lanes(
    svg: ET.Element,
    lanes: list[tuple[str, list[RoadmapMilestone]]],
    axis: _Axis,
    japanese_era: bool,
) -> dict[uuid.UUID, _Position]:
    positions: dict[uuid.UUID, _Position] = {}
    container = _el(svg, "g", {"class": "lanes"})
    y = float(_BODY_TOP)
    for owner, milestones in lanes:
        lane = _el(container, "g", {"class": "lane", "data-organization": clean_text(owner)})
        name = _fit(owner or _("(no organization)"), _LABEL_WIDTH - 8, 13)
        header = {"class": "lane-label", "x": _MARGIN, "y": y + 17, "fill": _INK}
        _el(lane, "text", {**header, "font-size": "13", "font-weight": "bold"}, name)
        y += _LANE_HEADER
        for milestone in milestones:
            positions[milestone.id] = _draw_milestone(lane, milestone, axis, y, japanese_era)
            y += _ROW
    return positions


def _tooltip(m: RoadmapMilestone, japanese_era: bool) -> str:
    due = format_date(m.due_on, japanese_era=japanese_era)
    if m.is_span and m.starts_on:
        start = format_date(m.starts_on, japanese_era=japanese_era)
        when = _("{start} to {end}", start=start, end=due)
    else:
        when = _("Due {date}", date=due)
    parts = [m.title, m.project_name, _("Owner: {name}", name=m.owner_organization)]
    if m.counterpart_organization:
        parts.append(_("Sign-off: {name}", name=m.counterpart_organization))
    parts += [when, f"{status_label(m.status)} {m.progress}%"]
    return " / ".join(parts)


def _diamond(cx: float, cy: float, r: float) -> str:
    return (
        f"M {_num(cx)} {_num(cy - r)} L {_num(cx + r)} {_num(cy)} "
        f"L {_num(cx)} {_num(cy + r)} L {_num(cx - r)} {_num(cy)} Z"
    )


def _draw_milestone(
    lane: ET.Element, m: RoadmapMilestone, axis: _Axis, top: float, japanese_era: bool
) -> _Position:
    colour = STATUS_COLOURS[m.status]
    cancelled = m.status == "CANCELLED"
    ident = {"class": "milestone", "id": f"milestone-{m.id}", "data-status": m.status}
    group = _el(lane, "g", ident)
    _el(group, "title", {}, _tooltip(m, japanese_era))
    label = {"class": "milestone-label", "x": _MARGIN + 12, "y": top + 17, "fill": _INK}
    if cancelled:
        label["text-decoration"] = "line-through"
    _el(group, "text", label, _fit(m.title, _LABEL_WIDTH - 24, 12))
    cy = top + _ROW / 2
    outline = {"stroke": colour, "stroke-width": "1.5"}
    if cancelled:
        outline["stroke-dasharray"] = "4 2"
    if m.is_span and m.starts_on is not None:
        start_x, end_x = axis.x(m.starts_on), axis.x(m.due_on + timedelta(days=1))
        width = max(end_x - start_x, 2.0)
        box = {"x": start_x, "y": top + 5, "width": width, "height": _ROW - 10, "rx": 3}
        bar = {"class": "bar", **box, "fill": colour, "fill-opacity": "0.3", **outline}
        _el(group, "rect", bar)
        done = {**box, "width": width * m.progress / 100, "fill": colour}
        _el(group, "rect", {"class": "progress", **done})
        inside = width >= 44
        text_x = start_x + width / 2 if inside else end_x + 5
    else:
        centre = axis.x(m.due_on) + axis.px_per_day / 2
        start_x, end_x = centre - 7, centre + 7
        shape = {"d": _diamond(centre, cy, 7), "fill": colour, **outline}
        _el(group, "path", {"class": "diamond", **shape})
        inside, text_x = False, end_x + 4
    progress = {"class": "progress-label", "x": text_x, "y": cy + 4, "font-size": "10"}
    halo = {"fill": _INK, "stroke": "#FFFFFF", "stroke-width": "3", "paint-order": "stroke"}
    anchor = "middle" if inside else "start"
    _el(group, "text", {**progress, "text-anchor": anchor, **halo}, f"{m.progress}%")
    return _Position(start_x, end_x, cy)


def _dependencies(
    svg: ET.Element,
    milestones: tuple[RoadmapMilestone, ...],
    positions: dict[uuid.UUID, _Position],
) -> None:
    """Finish-to-start arrows; one whose predecessor is due after the dependent starts is marked."""
    by_id = {m.id: m for m in milestones}
    group = _el(svg, "g", {"class": "dependencies", "fill": "none"})
    for m in sorted(milestones, key=sort_key):
        for predecessor in sorted(set(m.depends_on) - {m.id}, key=str):
            if predecessor not in positions:
                continue  # in a project the viewer cannot see, or not on this roadmap
            late = by_id[predecessor].due_on > sort_key(m)[0]
            colour = STATUS_COLOURS["AT_RISK"] if late else "#6B7280"
            attrs = {
                "class": "dependency late" if late else "dependency",
                "data-from": str(predecessor),
                "data-to": str(m.id),
                "d": _route(positions[predecessor], positions[m.id]),
                "stroke": colour,
                "stroke-width": "1.2",
                "marker-end": f"url(#{'arrow-late' if late else 'arrow'})",
            }
            path = _el(group, "path", attrs)
            _el(path, "title", {}, f"{by_id[predecessor].title} → {m.title}")


def _route(a: _Position, b: _Position) -> str:
    """Right-angled, from the end of a to the start of b; backwards along a row boundary."""
    out, into = a.end_x + 8, b.start_x - 8
    if into >= out:
        return f"M {_num(a.end_x)} {_num(a.cy)} H {_num(out)} V {_num(b.cy)} H {_num(b.start_x)}"
    boundary = b.cy - _ROW / 2 if b.cy > a.cy else b.cy + _ROW / 2
    return (
        f"M {_num(a.end_x)} {_num(a.cy)} H {_num(out)} V {_num(boundary)} "
        f"H {_num(into)} V {_num(b.cy)} H {_num(b.start_x)}"
    )


def _today(svg: ET.Element, axis: _Axis, today: date, bottom: float, japanese_era: bool) -> None:
    x = axis.x(today) + axis.px_per_day / 2
    group = _el(svg, "g", {"class": "today"})
    line = {"x1": x, "y1": _MONTH_BAND_TOP, "x2": x, "y2": bottom + 4}
    _el(group, "line", {**line, "stroke": _INK, "stroke-width": "1.5", "stroke-dasharray": "4 3"})
    label = {"x": x, "y": bottom + 18, "text-anchor": "middle", "fill": _INK, "font-size": "11"}
    day = format_date(today, japanese_era=japanese_era)
    _el(group, "text", label, _("Today {date}", date=day))
