"""The roadmap as people see it: the SVG timeline, the iCalendar feed and the CSV exports."""

from __future__ import annotations

import csv
import io
import random
import uuid
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any
from xml.etree import ElementTree as ET

import pytest
from icalendar import Calendar

from renkei.i18n.messages import use_locale
from renkei.projects.exports import KpiCsvRow, kpis_csv, milestones_csv, render_ical
from renkei.projects.roadmap_svg import Roadmap, RoadmapMilestone, render_svg

NS = {"svg": "http://www.w3.org/2000/svg"}
HOSTILE = '<script>alert("x")</script> & </g><g>'
GENERATED_AT = datetime(2025, 6, 12, 15, 30, tzinfo=UTC)  # 2025-06-13 00:30 in Japan


def mid(n: int) -> uuid.UUID:
    return uuid.UUID(int=n)


def milestone(n: int, **overrides: Any) -> RoadmapMilestone:
    fields: dict[str, Any] = {
        "id": mid(n),
        "title": f"マイルストーン{n}",
        "project_name": "九州半導体サプライチェーン強靱化",
        "owner_organization": "熊本県",
        "counterpart_organization": "九州大学",
        "starts_on": date(2025, 4, 1),
        "due_on": date(2025, 9, 30),
        "status": "IN_PROGRESS",
        "progress": 40,
        "horizon_years": 1,
        "depends_on": (),
    }
    fields.update(overrides)
    return RoadmapMilestone(**fields)


def roadmap(*milestones: RoadmapMilestone, url: str | None = None) -> Roadmap:
    return Roadmap("九州広域リージョン", GENERATED_AT, tuple(milestones), url)


def svg_of(rm: Roadmap) -> ET.Element:
    return ET.fromstring(render_svg(rm))


def milestone_group(svg: ET.Element, n: int) -> ET.Element:
    group = svg.find(f".//svg:g[@id='milestone-{mid(n)}']", NS)
    assert group is not None
    return group


def one(parent: ET.Element, path: str) -> ET.Element:
    found = parent.find(path, NS)
    assert found is not None, path
    return found


def texts(element: ET.Element) -> list[str]:
    return ["".join(e.itertext()) for e in element.iter() if e.tag.endswith("}text")]


# --- SVG ---------------------------------------------------------------------------------------


def test_each_owner_organization_has_a_lane_holding_its_milestones() -> None:
    # given milestones owned by three organizations
    rm = roadmap(
        milestone(1, owner_organization="熊本県"),
        milestone(2, owner_organization="九州大学"),
        milestone(3, owner_organization="熊本県"),
        milestone(4, owner_organization="肥後銀行"),
    )
    # when the roadmap is drawn
    svg = svg_of(rm)
    # then there is one lane per organization, labelled, with that organization's milestones
    lanes = {
        lane.get("data-organization"): lane for lane in svg.findall(".//svg:g[@class='lane']", NS)
    }
    assert set(lanes) == {"熊本県", "九州大学", "肥後銀行"}
    assert texts(lanes["熊本県"])[0] == "熊本県"
    in_lane = {
        owner: {g.get("id") for g in lane.findall("svg:g[@class='milestone']", NS)}
        for owner, lane in lanes.items()
    }
    assert in_lane == {
        "熊本県": {f"milestone-{mid(1)}", f"milestone-{mid(3)}"},
        "九州大学": {f"milestone-{mid(2)}"},
        "肥後銀行": {f"milestone-{mid(4)}"},
    }


def test_a_milestone_with_a_start_is_a_bar_and_one_without_is_a_diamond_on_its_due_date() -> None:
    # given a milestone spanning April to September, one due in October with no start, and one
    # starting in October
    rm = roadmap(
        milestone(1, starts_on=date(2025, 4, 1), due_on=date(2025, 9, 30)),
        milestone(2, starts_on=None, due_on=date(2025, 10, 15)),
        milestone(3, starts_on=date(2025, 10, 1), due_on=date(2026, 3, 31)),
    )
    svg = svg_of(rm)
    # then each has exactly one shape: a bar or a diamond
    first, second, third = (milestone_group(svg, n) for n in (1, 2, 3))
    assert len(first.findall("svg:rect[@class='bar']", NS)) == 1
    assert first.find("svg:path[@class='diamond']", NS) is None
    assert second.find("svg:rect[@class='bar']", NS) is None
    assert len(second.findall("svg:path[@class='diamond']", NS)) == 1
    # and they sit in time order: the October diamond is after the first bar, inside the third
    bar1, bar3 = one(first, "svg:rect[@class='bar']"), one(third, "svg:rect[@class='bar']")
    bar1_end = float(bar1.get("x", "0")) + float(bar1.get("width", "0"))
    diamond_x = float(one(second, "svg:path[@class='diamond']").get("d", "").split()[1])
    assert float(bar1.get("x", "0")) < bar1_end <= float(bar3.get("x", "0")) < diamond_x
    # and two half-years are drawn equally long
    assert float(bar3.get("width", "0")) == pytest.approx(float(bar1.get("width", "0")), rel=0.05)


def test_progress_fills_the_bar_and_is_written_as_a_percentage() -> None:
    svg = svg_of(roadmap(milestone(1, progress=25)))
    group = milestone_group(svg, 1)
    bar, fill = one(group, "svg:rect[@class='bar']"), one(group, "svg:rect[@class='progress']")
    assert float(fill.get("width", "0")) == pytest.approx(
        float(bar.get("width", "0")) / 4, abs=0.02
    )
    assert "25%" in texts(group)


def test_statuses_have_distinct_colours_explained_by_a_legend() -> None:
    statuses = ["NOT_STARTED", "IN_PROGRESS", "AT_RISK", "DONE", "CANCELLED"]
    svg = svg_of(roadmap(*(milestone(n, status=s) for n, s in enumerate(statuses, 1))))
    colours = {}
    for n, status in enumerate(statuses, 1):
        colours[status] = one(milestone_group(svg, n), "svg:rect[@class='bar']").get("fill")
    assert len(set(colours.values())) == len(statuses)
    legend = one(svg, ".//svg:g[@class='legend']")
    swatches = {
        item.get("data-status"): one(item, "svg:rect").get("fill")
        for item in legend.findall("svg:g[@class='legend-item']", NS)
    }
    assert swatches == colours
    assert {"未着手", "進行中", "遅延リスクあり", "完了", "中止", "期限のみ", "今日"} <= set(
        texts(legend)
    )


def test_an_english_reader_gets_the_legend_and_axis_in_english() -> None:
    rm = roadmap(milestone(1, starts_on=date(2025, 5, 1), due_on=date(2026, 5, 31)))
    with use_locale("en"):
        svg = svg_of(rm)
    legend = one(svg, ".//svg:g[@class='legend']")
    assert {"not started", "in progress", "at risk", "done", "cancelled", "Due date only"} <= set(
        texts(legend)
    )
    grid = one(svg, ".//svg:g[@class='grid']")
    years = [t.text for t in grid.findall("svg:text[@class='fiscal-year-label']", NS)]
    assert years == ["FY2025", "FY2026"]
    months = [t.text for t in grid.findall("svg:text[@class='month-label']", NS)]
    assert months[:3] == ["Apr", "May", "Jun"]
    assert texts(one(svg, ".//svg:g[@class='today']")) == ["Today June 13, 2025"]
    assert (svg.findtext("svg:desc", namespaces=NS) or "").startswith(
        "Roadmap of 九州広域リージョン: 1 milestone of 1 organization (in progress: 1)."
    )
    tooltip = milestone_group(svg, 1).findtext("svg:title", namespaces=NS) or ""
    assert tooltip.endswith(
        "Owner: 熊本県 / Sign-off: 九州大学 / May 1, 2025 to May 31, 2026 / in progress 40%"
    )


def test_the_japanese_era_setting_writes_reiwa_years_and_dates() -> None:
    svg = ET.fromstring(
        render_svg(
            roadmap(milestone(1, starts_on=date(2025, 5, 1), due_on=date(2026, 5, 31))),
            japanese_era=True,
        )
    )
    grid = one(svg, ".//svg:g[@class='grid']")
    years = [t.text for t in grid.findall("svg:text[@class='fiscal-year-label']", NS)]
    assert years == ["令和7年度", "令和8年度"]
    assert texts(one(svg, ".//svg:g[@class='today']")) == ["今日 令和7年6月13日"]
    description = svg.findtext("svg:desc", namespaces=NS)
    assert description == (
        "九州広域リージョンの工程表: 1団体のマイルストーン1件（進行中 1件）。"
        "期間 令和7年4月1日〜令和9年3月31日、基準日 令和7年6月13日。"
    )


def test_hostile_text_stays_text_and_cannot_inject_markup() -> None:
    # given titles and names full of markup, quotes and a control character XML cannot carry
    rm = Roadmap(
        f"{HOSTILE}\x07",
        GENERATED_AT,
        (milestone(1, title=HOSTILE, owner_organization=HOSTILE, project_name="A&B <c>"),),
    )
    # when drawn, the document still parses and holds no element the text tried to open
    svg = svg_of(rm)
    assert all(not e.tag.endswith("script") for e in svg.iter())
    assert len(svg.findall(".//svg:g[@class='lane']", NS)) == 1
    # and the text survives as text, in the tooltip and the labels
    assert svg.findtext("svg:title", namespaces=NS) == HOSTILE
    tooltip = milestone_group(svg, 1).findtext("svg:title", namespaces=NS) or ""
    assert tooltip.startswith(f"{HOSTILE} / A&B <c> / 担当 {HOSTILE}")
    assert one(svg, ".//svg:g[@class='lane']").get("data-organization") == HOSTILE
    assert HOSTILE in texts(svg)


def test_fiscal_years_run_from_april_with_month_labels() -> None:
    svg = svg_of(roadmap(milestone(1, starts_on=date(2025, 5, 1), due_on=date(2026, 5, 31))))
    grid = one(svg, ".//svg:g[@class='grid']")
    years = [t.text for t in grid.findall("svg:text[@class='fiscal-year-label']", NS)]
    assert years == ["2025年度", "2026年度"]
    months = [t.text for t in grid.findall("svg:text[@class='month-label']", NS)]
    assert months[:3] == ["4月", "5月", "6月"] and months[9:12] == ["1月", "2月", "3月"]
    assert len(months) == 24
    assert len(grid.findall("svg:line[@class='fiscal-year-line']", NS)) == 2


def test_today_is_the_generation_date_in_japan() -> None:
    svg = svg_of(roadmap(milestone(1)))
    assert texts(one(svg, ".//svg:g[@class='today']")) == ["今日 2025年6月13日"]


def test_dependencies_are_arrows_and_a_slipped_predecessor_is_marked() -> None:
    # given 2 waits for 1 and starts after it; 3 waits for 1 but starts before 1 is due;
    # 4 waits for a milestone not on this roadmap
    rm = roadmap(
        milestone(1, starts_on=date(2025, 4, 1), due_on=date(2025, 6, 30)),
        milestone(2, starts_on=date(2025, 7, 1), due_on=date(2025, 9, 30), depends_on=(mid(1),)),
        milestone(3, starts_on=date(2025, 6, 1), due_on=date(2025, 8, 31), depends_on=(mid(1),)),
        milestone(4, depends_on=(mid(99),)),
    )
    svg = svg_of(rm)
    arrows = svg.findall(".//svg:g[@class='dependencies']/svg:path", NS)
    found = {(a.get("data-from"), a.get("data-to")): a.get("class") for a in arrows}
    assert found == {
        (str(mid(1)), str(mid(2))): "dependency",
        (str(mid(1)), str(mid(3))): "dependency late",
    }
    assert all(a.get("marker-end", "").startswith("url(#arrow") for a in arrows)


def test_an_empty_roadmap_is_a_valid_svg_saying_so() -> None:
    svg = svg_of(roadmap())
    assert svg.tag == "{http://www.w3.org/2000/svg}svg"
    assert "マイルストーンはありません" in texts(svg)
    assert svg.findtext("svg:title", namespaces=NS) == "九州広域リージョン"
    assert svg.findall(".//svg:g[@class='milestone']", NS) == []


def test_the_same_roadmap_gives_the_same_bytes_whatever_the_input_order() -> None:
    milestones = [
        milestone(n, owner_organization=f"組織{n % 3}", depends_on=(mid(n - 1),) if n > 1 else ())
        for n in range(1, 12)
    ]
    shuffled = list(milestones)
    random.Random(7).shuffle(shuffled)
    assert render_svg(roadmap(*milestones)) == render_svg(roadmap(*milestones))
    assert render_svg(roadmap(*shuffled)) == render_svg(roadmap(*milestones))
    assert render_ical(roadmap(*shuffled)) == render_ical(roadmap(*milestones))


def test_the_svg_is_accessible_and_names_japanese_fonts() -> None:
    svg = svg_of(roadmap(milestone(1), milestone(2, status="DONE", progress=100)))
    assert svg.get("role") == "img"
    assert svg.get("aria-labelledby") == "roadmap-title roadmap-desc"
    desc = svg.findtext("svg:desc", namespaces=NS) or ""
    assert "マイルストーン2件" in desc and "完了 1件" in desc
    assert '"Noto Sans JP"' in (svg.get("font-family") or "")
    assert (svg.get("font-family") or "").endswith("sans-serif")


def test_invalid_milestones_are_refused() -> None:
    with pytest.raises(ValueError, match="status"):
        milestone(1, status="FINISHED")
    with pytest.raises(ValueError, match="progress"):
        milestone(1, progress=101)
    with pytest.raises(ValueError, match="horizon"):
        milestone(1, horizon_years=2)
    with pytest.raises(ValueError, match="timezone"):
        Roadmap("x", datetime(2025, 6, 13), ())


# --- iCalendar ---------------------------------------------------------------------------------


def test_icalendar_has_an_all_day_event_on_each_due_date() -> None:
    # given two milestones, one cancelled, on a roadmap with a link
    rm = roadmap(
        milestone(1, title="試作ライン稼働, 第1期; 完了", due_on=date(2025, 9, 30)),
        milestone(2, status="CANCELLED", counterpart_organization=None, depends_on=(mid(1),)),
        url="https://renkei.example/regions/kyushu",
    )
    # when exported and read back by a calendar library
    calendar = Calendar.from_ical(render_ical(rm))
    # then the calendar is named and identifies its producer
    assert calendar.calendar_name == "九州広域リージョン"
    assert calendar["X-WR-CALNAME"] == "九州広域リージョン"
    assert str(calendar["PRODID"]).startswith("-//Renkei//")
    events = {str(e.uid): e for e in calendar.events}
    assert set(events) == {f"{mid(1)}@renkei", f"{mid(2)}@renkei"}
    first, cancelled = events[f"{mid(1)}@renkei"], events[f"{mid(2)}@renkei"]
    # and each event is all day on the due date, titled by the milestone
    assert first.start == date(2025, 9, 30) and first.end == date(2025, 10, 1)
    assert first.summary == "試作ライン稼働, 第1期; 完了"
    assert first.status == "CONFIRMED" and cancelled.status == "CANCELLED"
    assert str(first["TRANSP"]) == "TRANSPARENT"
    # and its description says what the project, the organizations and the state are
    description = str(first["DESCRIPTION"])
    for expected in (
        "プロジェクト: 九州半導体サプライチェーン強靱化",
        "担当団体: 熊本県",
        "確認団体: 九州大学",
        "状態: 進行中（IN_PROGRESS）",
        "進捗: 40%",
        "開始: 2025年4月1日",
        "期限: 2025年9月30日",
        "URL: https://renkei.example/regions/kyushu",
    ):
        assert expected in description.splitlines()
    assert "確認団体" not in str(cancelled["DESCRIPTION"])
    assert "前提: 試作ライン稼働, 第1期; 完了" in str(cancelled["DESCRIPTION"]).splitlines()
    assert str(first["URL"]) == "https://renkei.example/regions/kyushu"
    assert first.DTSTAMP == GENERATED_AT


def test_icalendar_texts_follow_the_reader_and_the_era_setting() -> None:
    rm = roadmap(milestone(1), milestone(2, depends_on=(mid(1),)))
    with use_locale("en"):
        english = Calendar.from_ical(render_ical(rm))
    lines = str(english.events[1]["DESCRIPTION"]).splitlines()
    assert lines == [
        "Project: 九州半導体サプライチェーン強靱化",
        "Owner organization: 熊本県",
        "Sign-off organization: 九州大学",
        "Status: in progress (IN_PROGRESS)",
        "Progress: 40%",
        "Starts: April 1, 2025",
        "Due: September 30, 2025",
        "Roadmap: 1-year",
        "Waits for: マイルストーン1",
    ]
    wareki = Calendar.from_ical(render_ical(rm, japanese_era=True))
    assert "期限: 令和7年9月30日" in str(wareki.events[0]["DESCRIPTION"]).splitlines()


def test_an_empty_roadmap_is_an_empty_calendar() -> None:
    calendar = Calendar.from_ical(render_ical(roadmap()))
    assert calendar.events == []
    assert "URL" not in calendar


# --- CSV ---------------------------------------------------------------------------------------


def read_csv(text: str) -> list[list[str]]:
    data = text.encode("utf-8")
    assert data.startswith(b"\xef\xbb\xbf")  # the BOM that makes Excel read UTF-8
    body = data.decode("utf-8-sig")
    assert body.endswith("\r\n")
    return list(csv.reader(io.StringIO(body, newline="")))


def test_milestones_csv_opens_in_excel_with_japanese_intact() -> None:
    text = milestones_csv(
        [
            milestone(1, due_on=date(2026, 3, 31), depends_on=(mid(7), mid(8))),
            milestone(2, starts_on=None, counterpart_organization=None, status="DONE"),
        ]
    )
    # every line ends in CRLF, as Excel writes them
    assert text.count("\r\n") == 3 and "\n" not in text.replace("\r\n", "")
    rows = read_csv(text)
    assert rows[0] == [
        "マイルストーンID",
        "マイルストーン",
        "プロジェクト",
        "担当団体",
        "確認団体",
        "開始日",
        "期限",
        "年度",
        "状態",
        "進捗率（%）",
        "工程表の期間（年）",
        "先行マイルストーンID",
    ]
    assert rows[1] == [
        str(mid(1)),
        "マイルストーン1",
        "九州半導体サプライチェーン強靱化",
        "熊本県",
        "九州大学",
        "2025年4月1日",
        "2026年3月31日",
        "2025年度",
        "進行中",
        "40",
        "1",
        f"{mid(7)} {mid(8)}",
    ]
    assert rows[2][4:6] == ["", ""] and rows[2][8] == "完了"
    assert len(rows) == 3


def test_milestones_csv_in_english_and_in_the_japanese_era() -> None:
    rows = [milestone(1, due_on=date(2026, 3, 31))]
    with use_locale("en"):
        english = read_csv(milestones_csv(rows))
    assert english[0][:3] == ["Milestone ID", "Milestone", "Project"]
    assert english[1][5:9] == ["April 1, 2025", "March 31, 2026", "FY2025", "in progress"]
    wareki = read_csv(milestones_csv(rows, japanese_era=True))
    assert wareki[1][5:9] == ["令和7年4月1日", "令和8年3月31日", "令和7年度", "進行中"]
    # in English the setting changes nothing: the Japanese era is Japanese
    with use_locale("en"):
        assert read_csv(milestones_csv(rows, japanese_era=True)) == english


@pytest.mark.parametrize(
    "title",
    ['=HYPERLINK("http://evil.example","x")', "+1+1", "-2+3", "@SUM(A1)", "\tx", "\r=1"],
)
def test_a_cell_a_spreadsheet_would_run_as_a_formula_is_quoted(title: str) -> None:
    rows = read_csv(milestones_csv([milestone(1, title=title, project_name=title)]))
    assert rows[1][1] == "'" + title
    assert rows[1][2] == "'" + title


def test_kpis_csv_keeps_negative_numbers_as_numbers_and_leaves_unknowns_blank() -> None:
    rows = read_csv(
        kpis_csv(
            [
                KpiCsvRow(
                    kpi="半導体関連の新規雇用",
                    unit="人",
                    project_or_region="九州広域リージョン",
                    baseline=Decimal("-12.5"),
                    fiscal_year=2025,
                    target=Decimal("1E+3"),
                    period_start=date(2025, 4, 1),
                    period_end=date(2025, 9, 30),
                    observed_value=Decimal("-3"),
                    attainment_percent=Decimal("45.5"),
                ),
                KpiCsvRow(
                    kpi="=1+1",
                    unit="件",
                    project_or_region="-関西",
                    baseline=Decimal("0"),
                    fiscal_year=2026,
                    target=None,
                    period_start=None,
                    period_end=None,
                    observed_value=None,
                    attainment_percent=None,
                ),
            ]
        )
    )
    assert rows[0] == [
        "指標名",
        "単位",
        "対象",
        "基準値",
        "年度",
        "目標値",
        "計測期間（開始）",
        "計測期間（終了）",
        "実績値",
        "達成率（%）",
    ]
    assert rows[1] == [
        "半導体関連の新規雇用",
        "人",
        "九州広域リージョン",
        "-12.5",
        "2025年度",
        "1000",
        "2025年4月1日",
        "2025年9月30日",
        "-3",
        "45.5",
    ]
    assert rows[2] == ["'=1+1", "件", "'-関西", "0", "2026年度", "", "", "", "", ""]
