"""Each export parses as its format and holds what the viewer may see of a project or a region."""

from __future__ import annotations

import csv
import io
from datetime import date
from xml.etree import ElementTree as ET

from icalendar import Calendar

from conftest import StatementCounter
from exports.world import POWER_RND, SUPPLY_CHAIN, World
from kpis.world import make_project

NS = {"svg": "http://www.w3.org/2000/svg"}


def svg_milestones(body: bytes) -> dict[str, str]:
    """The milestones drawn, by id, with the lane (owner organization) each sits in."""
    root = ET.fromstring(body)
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    return {
        group.get("id", "").removeprefix("milestone-"): lane.get("data-organization", "")
        for lane in root.findall(".//svg:g[@class='lane']", NS)
        for group in lane.findall("svg:g[@class='milestone']", NS)
    }


def csv_rows(body: bytes) -> list[dict[str, str]]:
    assert body.startswith(b"\xef\xbb\xbf")
    return list(csv.DictReader(io.StringIO(body.decode("utf-8-sig"), newline="")))


async def test_a_project_roadmap_svg_draws_its_milestones_in_their_owners_lanes(
    world: World,
) -> None:
    # when a participant downloads the project's roadmap
    response = await world.get(world.project_path(world.supply_chain, "roadmap.svg"), world.lead)
    # then it is an SVG with each milestone in its owner organization's lane
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "image/svg+xml"
    assert svg_milestones(response.content) == {
        str(world.prototype.id): "熊本県",
        str(world.training.id): "九州大学",
    }
    root = ET.fromstring(response.content)
    assert root.findtext("svg:title", namespaces=NS) == SUPPLY_CHAIN
    # and the finish-to-start dependency is an arrow
    arrows = root.findall(".//svg:g[@class='dependencies']/svg:path", NS)
    assert [(a.get("data-from"), a.get("data-to")) for a in arrows] == [
        (str(world.prototype.id), str(world.training.id))
    ]


async def test_a_project_roadmap_ics_has_an_event_on_each_due_date(world: World) -> None:
    response = await world.get(world.project_path(world.supply_chain, "roadmap.ics"), world.partner)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "text/calendar; charset=utf-8"
    calendar = Calendar.from_ical(response.content)
    assert calendar.calendar_name == SUPPLY_CHAIN
    events = {str(e.uid): e for e in calendar.events}
    assert set(events) == {f"{world.prototype.id}@renkei", f"{world.training.id}@renkei"}
    prototype = events[f"{world.prototype.id}@renkei"]
    assert prototype.summary == "試作ライン稼働"
    assert str(prototype.start) == "2025-09-30"
    description = str(prototype["DESCRIPTION"]).splitlines()
    assert "期限: 2025年9月30日" in description
    assert "担当団体: 熊本県" in description and "確認団体: 九州大学" in description


async def test_the_milestones_csv_names_projects_organizations_and_dependencies(
    world: World,
) -> None:
    response = await world.get(world.project_path(world.supply_chain, "milestones.csv"), world.lead)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    rows = csv_rows(response.content)
    assert [
        (
            r["マイルストーン"],
            r["プロジェクト"],
            r["担当団体"],
            r["確認団体"],
            r["開始日"],
            r["期限"],
            r["状態"],
            r["工程表の期間（年）"],
            r["先行マイルストーンID"],
        )
        for r in rows
    ] == [
        (
            "試作ライン稼働",
            SUPPLY_CHAIN,
            "熊本県",
            "九州大学",
            "2025年4月1日",
            "2025年9月30日",
            "未着手",
            "1",
            "",
        ),
        (
            "半導体人材育成の開始",
            SUPPLY_CHAIN,
            "九州大学",
            "",
            "2025年10月1日",
            "2026年3月31日",
            "未着手",
            "3",
            str(world.prototype.id),
        ),
    ]


async def test_the_kpi_csv_has_a_row_per_observation_and_per_unobserved_target(
    world: World,
) -> None:
    response = await world.get(world.project_path(world.supply_chain, "kpis.csv"), world.lead)
    assert response.status_code == 200, response.text
    rows = [list(r.values()) for r in csv_rows(response.content)]
    # 150 from a baseline of 100 toward FY2025's 200 is 50 %; FY2026's target is not observed yet
    kpi = ["半導体人材の育成数", "人", SUPPLY_CHAIN, "100"]
    assert rows == [
        [*kpi, "2025年度", "200", "2025年4月1日", "2025年9月30日", "150", "50"],
        [*kpi, "2026年度", "300", "", "", "", ""],
    ]


async def test_a_region_member_in_every_project_gets_the_whole_region(world: World) -> None:
    # given 九州大学 takes part in both projects of the region
    svg = await world.get(world.region_path("roadmap.svg"), world.partner)
    assert svg.status_code == 200, svg.text
    assert set(svg_milestones(svg.content)) == {
        str(world.prototype.id),
        str(world.training.id),
        str(world.contract.id),
    }
    assert ET.fromstring(svg.content).findtext("svg:title", namespaces=NS) == "九州広域リージョン"
    milestones = csv_rows(
        (await world.get(world.region_path("milestones.csv"), world.partner)).content
    )
    assert [(r["プロジェクト"], r["マイルストーン"]) for r in milestones] == [
        (POWER_RND, "共同研究契約の締結"),
        (SUPPLY_CHAIN, "試作ライン稼働"),
        (SUPPLY_CHAIN, "半導体人材育成の開始"),
    ]
    kpis = csv_rows((await world.get(world.region_path("kpis.csv"), world.partner)).content)
    # the region's own KPI first (45 % of the way from 0 to 1000), then its projects' by name
    assert [(r["指標名"], r["対象"], r["年度"], r["達成率（%）"]) for r in kpis] == [
        ("半導体関連の新規雇用", "九州広域リージョン", "2025年度", "45"),
        ("共同研究の特許出願数", POWER_RND, "2025年度", ""),
        ("半導体人材の育成数", SUPPLY_CHAIN, "2025年度", "50"),
        ("半導体人材の育成数", SUPPLY_CHAIN, "2026年度", ""),
    ]


async def test_the_region_export_leaves_out_projects_the_viewer_cannot_see(world: World) -> None:
    # given 肥後銀行 is a member of the region but takes part in no project: it sees the REGION
    # project and not the PARTICIPANTS one
    svg = await world.get(world.region_path("roadmap.svg", by_slug=True), world.regional)
    assert svg.status_code == 200, svg.text
    assert set(svg_milestones(svg.content)) == {str(world.prototype.id), str(world.training.id)}
    assert POWER_RND not in svg.text and "共同研究契約の締結" not in svg.text
    ics = Calendar.from_ical(
        (await world.get(world.region_path("roadmap.ics"), world.regional)).content
    )
    assert {e.summary for e in ics.events} == {"試作ライン稼働", "半導体人材育成の開始"}
    milestones = csv_rows(
        (await world.get(world.region_path("milestones.csv"), world.regional)).content
    )
    assert {r["プロジェクト"] for r in milestones} == {SUPPLY_CHAIN}
    kpis = csv_rows((await world.get(world.region_path("kpis.csv"), world.regional)).content)
    assert {r["指標名"] for r in kpis} == {"半導体関連の新規雇用", "半導体人材の育成数"}


async def test_an_organization_outside_the_region_sees_none_of_its_plans(world: World) -> None:
    # the declaration is public, so the region answers; but nothing of its projects shows
    svg = await world.get(world.region_path("roadmap.svg"), world.outsider)
    assert svg.status_code == 200, svg.text
    assert svg_milestones(svg.content) == {}
    assert "マイルストーンはありません" in svg.text
    ics = Calendar.from_ical(
        (await world.get(world.region_path("roadmap.ics"), world.outsider)).content
    )
    assert ics.events == []
    for file in ("milestones.csv", "kpis.csv"):
        response = await world.get(world.region_path(file), world.outsider)
        assert response.status_code == 200 and csv_rows(response.content) == []


async def test_a_region_export_costs_the_same_statements_however_many_projects(
    world: World, statement_counter: StatementCounter
) -> None:
    path = world.region_path("milestones.csv")
    with statement_counter:
        await world.get(path, world.partner)
    before = statement_counter.count
    # given three more projects with milestones owned by several organizations
    for n in range(3):
        project = await make_project(
            world.sessions, world.lead, [world.partner], name=f"追加事業{n}", region=world.region
        )
        await world.milestone(project, world.lead, f"着手{n}", due_on=date(2026, 6, 30))
        await world.milestone(project, world.partner, f"報告{n}", due_on=date(2026, 9, 30))
    with statement_counter:
        response = await world.get(path, world.partner)
    assert len(csv_rows(response.content)) == 3 + 6
    assert statement_counter.count == before
