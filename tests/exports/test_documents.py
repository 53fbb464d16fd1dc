"""Documents for public offices: the reader's words, the 和暦 setting and the .xlsx KPI report."""

from __future__ import annotations

import csv
import io
from datetime import datetime

import pytest
from icalendar import Calendar
from openpyxl import load_workbook

from exports.world import POWER_RND, SUPPLY_CHAIN, World
from renkei.projects.exports_xlsx import FIXED_TIME

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
KPI_HEADER = [
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


def csv_rows(body: bytes) -> list[list[str]]:
    assert body.startswith(b"\xef\xbb\xbf")
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig"), newline="")))


async def test_the_wareki_setting_writes_reiwa_dates_and_years(world: World) -> None:
    path = world.project_path(world.supply_chain, "milestones.csv")
    western = csv_rows((await world.get(path, world.lead)).content)
    wareki = csv_rows((await world.get(f"{path}?calendar=wareki", world.lead)).content)
    # 開始日, 期限, 年度
    assert [r[5:8] for r in western[1:]] == [
        ["2025年4月1日", "2025年9月30日", "2025年度"],
        ["2025年10月1日", "2026年3月31日", "2025年度"],
    ]
    assert [r[5:8] for r in wareki[1:]] == [
        ["令和7年4月1日", "令和7年9月30日", "令和7年度"],
        ["令和7年10月1日", "令和8年3月31日", "令和7年度"],
    ]
    explicit = await world.get(f"{path}?calendar=western", world.lead)
    assert csv_rows(explicit.content) == western
    kpis = world.project_path(world.supply_chain, "kpis.csv") + "?calendar=wareki"
    assert [r[4] for r in csv_rows((await world.get(kpis, world.lead)).content)[1:]] == [
        "令和7年度",
        "令和8年度",
    ]
    ics = await world.get(
        world.project_path(world.supply_chain, "roadmap.ics?calendar=wareki"), world.lead
    )
    descriptions = [str(e["DESCRIPTION"]) for e in Calendar.from_ical(ics.content).events]
    assert "期限: 令和7年9月30日" in descriptions[0].splitlines()


@pytest.mark.parametrize("file", ["roadmap.svg", "milestones.csv", "kpis.xlsx"])
async def test_an_unknown_calendar_is_400_with_a_clear_message(world: World, file: str) -> None:
    path = world.project_path(world.supply_chain, file) + "?calendar=gregorian"
    response = await world.get(path, world.lead)
    assert response.status_code == 400
    assert response.json() == {
        "errors": [
            {
                "message": "暦の指定「gregorian」は使えません。西暦は calendar=western、"
                "和暦（令和8年4月1日）は calendar=wareki を指定してください。",
                "extensions": {"code": "INVALID"},
            }
        ]
    }
    english = await world.get(path, world.lead, {"Accept-Language": "en"})
    assert english.json()["errors"][0]["message"] == (
        'Unknown calendar "gregorian": use calendar=western, or calendar=wareki for dates in'
        " the Japanese era calendar (令和8年4月1日)."
    )


async def test_an_english_reader_gets_english_columns_and_statuses(world: World) -> None:
    english = {"Accept-Language": "en"}
    path = world.project_path(world.supply_chain, "milestones.csv")
    rows = csv_rows((await world.get(path, world.lead, english)).content)
    assert rows[0][1:10] == [
        "Milestone",
        "Project",
        "Owner organization",
        "Sign-off organization",
        "Start date",
        "Due date",
        "Fiscal year",
        "Status",
        "Progress (%)",
    ]
    assert rows[1][5:9] == ["April 1, 2025", "September 30, 2025", "FY2025", "not started"]
    # the Japanese era is for Japanese documents: English dates stay western
    wareki = await world.get(f"{path}?calendar=wareki", world.lead, english)
    assert csv_rows(wareki.content) == rows


async def test_the_kpi_report_as_xlsx_has_numbers_dates_and_a_japanese_sheet(
    world: World,
) -> None:
    response = await world.get(world.project_path(world.supply_chain, "kpis.xlsx"), world.lead)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == XLSX
    workbook = load_workbook(io.BytesIO(response.content))
    assert workbook.sheetnames == ["KPI報告"]
    sheet = workbook["KPI報告"]
    rows = [list(r) for r in sheet.iter_rows(values_only=True)]
    assert rows[0] == KPI_HEADER
    assert all(cell.font.bold for cell in sheet[1])
    assert sheet.freeze_panes == "A2"
    # numbers as numbers, dates as dates (openpyxl reads them back as datetimes)
    kpi = ["半導体人材の育成数", "人", SUPPLY_CHAIN, 100]
    assert rows[1:] == [
        [*kpi, "2025年度", 200, datetime(2025, 4, 1), datetime(2025, 9, 30), 150, 50],
        [*kpi, "2026年度", 300, None, None, None, None],
    ]
    assert sheet["G2"].number_format == 'yyyy"年"m"月"d"日"'
    # the same data gives the same bytes, so the ETag validates it: no time of saving inside
    again = await world.get(world.project_path(world.supply_chain, "kpis.xlsx"), world.lead)
    assert again.content == response.content
    workbook = load_workbook(io.BytesIO(response.content))
    assert workbook.properties.modified == workbook.properties.created == FIXED_TIME


async def test_the_region_kpi_report_as_xlsx_in_wareki_and_in_english(world: World) -> None:
    path = world.region_path("kpis.xlsx")
    wareki = load_workbook(
        io.BytesIO((await world.get(f"{path}?calendar=wareki", world.partner)).content)
    ).active
    assert wareki is not None
    rows = list(wareki.iter_rows(values_only=True))
    assert [(r[0], r[2], r[4], r[9]) for r in rows[1:]] == [
        ("半導体関連の新規雇用", "九州広域リージョン", "令和7年度", 45),
        ("共同研究の特許出願数", POWER_RND, "令和7年度", None),
        ("半導体人材の育成数", SUPPLY_CHAIN, "令和7年度", 50),
        ("半導体人材の育成数", SUPPLY_CHAIN, "令和8年度", None),
    ]
    assert wareki["G2"].number_format == '[$-411]ggge"年"m"月"d"日"'
    english = await world.get(path, world.partner, {"Accept-Language": "en"})
    sheet = load_workbook(io.BytesIO(english.content)).active
    assert sheet is not None and sheet.title == "KPI report"
    assert [c.value for c in sheet[1]][:5] == [
        "KPI name",
        "Unit",
        "Project or region",
        "Baseline",
        "Fiscal year",
    ]
    assert sheet["E2"].value == "FY2025"
    # and what the viewer may not see stays out, as in the CSV
    hidden = await world.get(path, world.regional)
    names = {
        r[0]
        for r in list(load_workbook(io.BytesIO(hidden.content)).active.iter_rows(values_only=True))[
            1:
        ]
    }  # type: ignore[union-attr]
    assert names == {"半導体関連の新規雇用", "半導体人材の育成数"}
