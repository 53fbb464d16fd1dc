"""The development seed: loaded once per module into its own database, then read as users would."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx2
import psycopg
import pytest
from sqlalchemy import func, make_url, select

from factories import graphql
from renkei.db import SessionFactory, app_url_for, create_engine, session_factory, unit_of_work
from renkei.graphql.app import create_app
from renkei.identity import repository as users
from renkei.identity.tokens import TokenService
from renkei.models import Base
from renkei.organizations.models import Organization
from renkei.projects.models import Project, ProjectCategory
from renkei.seeding import seed
from renkei.tenancy import Viewer

APP_ROLE = "renkei_app"
NEW_ORGANIZATIONS = 111  # 10 in foundation.json, 101 in organizations.json
COUNTED = (
    "users",
    "organizations",
    "memberships",
    "invitations",
    "regions",
    "region_members",
    "projects",
    "project_participants",
    "funding_sources",
    "milestones",
    "milestone_dependencies",
    "baselines",
    "grant_schemes",
    "grant_applications",
    "grant_application_transitions",
    "baseline_milestones",
    "kpis",
    "kpi_targets",
    "kpi_observations",
    "activities",
    "outbox",
)


@dataclass
class Seeded:
    sessions: SessionFactory
    client: httpx2.AsyncClient
    tokens: TokenService
    first: int
    second: int
    counts_after_first: dict[str, int]
    counts_after_second: dict[str, int]

    async def token(self, email: str, organization_slug: str) -> str:
        async with unit_of_work(self.sessions, Viewer.platform()) as session:
            user = await users.get_user_by_email(session, email)
            organization_id = await session.scalar(
                select(Organization.id).where(Organization.slug == organization_slug)
            )
        assert user is not None and organization_id is not None
        return self.tokens.issue(
            user_id=user.id,
            organization_id=organization_id,
            scopes=frozenset({"organizations:read", "projects:read"}),
        )


def _libpq(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(False)


async def _counts(sessions: SessionFactory) -> dict[str, int]:
    async with unit_of_work(sessions, Viewer.platform()) as session:
        return {
            name: int(await session.scalar(select(func.count()).select_from(table)) or 0)
            for name, table in Base.metadata.tables.items()
            if name in COUNTED
        }


@pytest.fixture(scope="module")
async def seeded(
    server_url: str, template_name: str, tokens: TokenService, redis_url: str
) -> AsyncIterator[Seeded]:
    """A database cloned from the migrated template, seeded twice (as `make run` does on each
    start), kept for the module's tests, which only read."""
    name = f"renkei_seed_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(_libpq(server_url), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template_name}"')
    owner_url = make_url(server_url).set(database=name).render_as_string(False)
    engine = create_engine(app_url_for(owner_url, APP_ROLE), pool_size=2)
    sessions = session_factory(engine)
    try:
        first = await seed(sessions)
        counts_after_first = await _counts(sessions)
        second = await seed(sessions)
        counts_after_second = await _counts(sessions)
        app = create_app(sessions=sessions, tokens=tokens, redis_url=redis_url, development=True)
        async with httpx2.AsyncClient(
            transport=httpx2.ASGITransport(app=app), base_url="http://renkei.test"
        ) as client:
            yield Seeded(
                sessions,
                client,
                tokens,
                first,
                second,
                counts_after_first,
                counts_after_second,
            )
    finally:
        await engine.dispose()
        with psycopg.connect(_libpq(server_url), autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


async def test_seeding_again_creates_nothing(seeded: Seeded) -> None:
    # given the seed loaded on an empty database, then once more
    # then the first load created every organization and filled every table, the second nothing
    assert (seeded.first, seeded.second) == (NEW_ORGANIZATIONS, 0)
    assert all(seeded.counts_after_first[name] > 0 for name in COUNTED), seeded.counts_after_first
    assert seeded.counts_after_second == seeded.counts_after_first


PUBLIC_BODIES = """
query {
  organizations(first: 100) { nodes { slug kind verification } }
}
"""


async def test_the_seeded_organizations_are_verified_by_the_platform(seeded: Seeded) -> None:
    # given the demo user
    token = await seeded.token("demo@renkei.example", "fukuoka-pref")
    # when they list the organizations
    body = await graphql(seeded.client, PUBLIC_BODIES, token=token)
    # then every seeded one, prefectures and municipalities included, is verified
    nodes = body["data"]["organizations"]["nodes"]
    assert {n["kind"] for n in nodes} >= {"PREFECTURE", "MUNICIPALITY", "COMPANY"}
    assert {n["verification"] for n in nodes} == {"VERIFIED"}


DEMO_QUERY = """
query {
  viewer {
    user { email memberships { nodes { role organization { slug } } } }
    role
    actingOrganization { slug members { nodes { role user { email } } } }
  }
  prefectures { code }
}
"""


async def test_the_demo_user_is_an_admin_of_fukuoka(seeded: Seeded) -> None:
    # given the demo user's token acting for 福岡県
    token = await seeded.token("demo@renkei.example", "fukuoka-pref")
    # when they ask who they are
    body = await graphql(seeded.client, DEMO_QUERY, token=token)
    # then the invitations were accepted with their roles
    viewer = body["data"]["viewer"]
    assert viewer["role"] == "ADMIN"
    assert sorted(
        (m["organization"]["slug"], m["role"]) for m in viewer["user"]["memberships"]["nodes"]
    ) == [("fukuoka-pref", "ADMIN"), ("kyushu-keizai", "MEMBER")]
    members = viewer["actingOrganization"]["members"]["nodes"]
    assert [(m["user"]["email"], m["role"]) for m in members] == [
        ("admin@pref-fukuoka.example", "OWNER"),
        ("demo@renkei.example", "ADMIN"),
        ("staff@pref-fukuoka.example", "MEMBER"),
    ]
    assert len(body["data"]["prefectures"]) == 47


REGION_QUERY = """
query Region($slug: String!) {
  region(slug: $slug) {
    name
    prefectures { code }
    secretariat { slug kind }
    declaration {
      declaredOn text demo sources signatories { slug }
      represented { organization { slug } representedBy { slug } representationConfirmedAt }
    }
    vision { adoptedOn version text demo }
    members(first: 100) { nodes { role organization { slug kind } } }
    kpis(first: 10) { nodes { name latestObservation { value } } }
  }
}
"""


@pytest.mark.parametrize(
    ("slug", "declared_on", "prefectures", "secretariat", "member"),
    [
        (
            "chugoku",
            "2025-09-03",
            ["31", "32", "33", "34", "35"],
            ("hiroshima-pref", "PREFECTURE"),
            ("admin@pref-okayama.example", "okayama-pref"),
        ),
        (
            "kyushu",
            "2025-10-20",
            ["35", "40", "41", "42", "43", "44", "45", "46", "47"],
            ("kyushu-keizai", "ECONOMIC_ORGANIZATION"),
            ("demo@renkei.example", "fukuoka-pref"),
        ),
        (
            "kansai",
            "2025-10-23",
            ["25", "26", "27", "28", "29", "30", "31", "36"],
            ("kansai-keizai", "ECONOMIC_ORGANIZATION"),
            ("admin@pref-tottori.example", "tottori-pref"),
        ),
    ],
)
async def test_the_first_regions_are_declared_with_their_members(
    seeded: Seeded,
    slug: str,
    declared_on: str,
    prefectures: list[str],
    secretariat: tuple[str, str],
    member: tuple[str, str],
) -> None:
    # given the token of an admin of a member organization
    token = await seeded.token(*member)
    # when they open the region
    body = await graphql(seeded.client, REGION_QUERY, {"slug": slug}, token=token)
    # then it has its prefectures, declaration, vision, members of many kinds and its KPIs
    region = body["data"]["region"]
    assert [p["code"] for p in region["prefectures"]] == prefectures
    assert (region["secretariat"]["slug"], region["secretariat"]["kind"]) == secretariat
    assert region["declaration"]["declaredOn"] == declared_on
    assert "宣言" in region["declaration"]["text"]
    assert not region["declaration"]["demo"] and region["declaration"]["sources"]
    signed = len(region["declaration"]["signatories"]) + len(region["declaration"]["represented"])
    assert signed >= 5
    assert region["vision"]["version"] == 1
    # the vision (and its adoption date) is invented for the demonstration, and says so
    assert region["vision"]["demo"]
    assert region["vision"]["adoptedOn"] > declared_on
    assert "役割分担" in region["vision"]["text"] and "実施体制" in region["vision"]["text"]
    members = region["members"]["nodes"]
    roles = {m["role"] for m in members}
    kinds = {m["organization"]["kind"] for m in members}
    assert roles == {"SECRETARIAT", "MEMBER", "SUPPORTER"}
    assert {
        "PREFECTURE",
        "MUNICIPALITY",
        "COMPANY",
        "UNIVERSITY",
        "FINANCIAL_INSTITUTION",
    } <= kinds
    # a research institute, possibly run as a 地方独立行政法人
    assert {"RESEARCH_INSTITUTE", "LOCAL_INCORPORATED_AGENCY"} & kinds
    kpis = region["kpis"]["nodes"]
    assert len(kpis) == 2
    assert all(k["latestObservation"] is not None for k in kpis)


async def test_the_projects_cover_every_category(seeded: Seeded) -> None:
    # given the seeded regions
    # when the projects' categories and statuses are read
    async with unit_of_work(seeded.sessions, Viewer.platform()) as session:
        rows = (await session.execute(select(Project.category, Project.status))).all()
    # then every category appears, and most projects are running
    assert {category for category, _ in rows} == set(ProjectCategory)
    statuses = [status.value for _, status in rows]
    assert statuses.count("ACTIVE") > len(rows) / 2
    assert {"PLANNED", "ON_HOLD", "COMPLETED"} <= set(statuses)


DASHBOARD_QUERY = """
query {
  region(slug: "kyushu") {
    projects(first: 50) {
      nodes {
        name category status visibility
        lead { slug }
        participants(first: 50) { nodes { role status organization { slug } } }
        fundingSources { kind amountJpy }
        totalFundingJpy
        progress { percent }
        milestones(first: 20) {
          nodes {
            title status horizonYears progress atRiskReason signedOffAt
            owner { slug } counterpart { slug }
            dependsOn { title project { name } }
          }
        }
        kpis(first: 10) {
          nodes { name targets { fiscalYear value } latestObservation { value periodEnd } }
        }
        baselines { name variance { late maxSlipDays items { title slipDays } } }
      }
    }
  }
}
"""


async def _dashboard(seeded: Seeded) -> dict[str, dict[str, Any]]:
    token = await seeded.token("demo@renkei.example", "fukuoka-pref")
    body = await graphql(seeded.client, DASHBOARD_QUERY, token=token)
    assert "errors" not in body, body["errors"]
    return {p["name"]: p for p in body["data"]["region"]["projects"]["nodes"]}


async def test_the_demo_user_sees_the_kyushu_dashboard(seeded: Seeded) -> None:
    # given the demo user acting for 福岡県, a member of 九州
    # when they open the region's dashboard
    projects = await _dashboard(seeded)
    # then they see its five projects, 福岡県 taking part in each, with milestones and KPIs
    assert len(projects) == 5
    assert {p["visibility"] for p in projects.values()} == {"PARTICIPANTS", "REGION", "PUBLIC"}
    for project in projects.values():
        taking_part = {
            (p["organization"]["slug"], p["status"]) for p in project["participants"]["nodes"]
        }
        assert ("fukuoka-pref", "ACTIVE") in taking_part
        # (up to 12 planned, and the 効果検証's two improvements: seed/evaluations.json)
        assert 5 <= len(project["milestones"]["nodes"]) <= 14
        assert project["fundingSources"] and project["totalFundingJpy"] > 0
        assert len(project["kpis"]["nodes"]) >= 2
    semiconductor = projects["九州半導体サプライチェーン強化プロジェクト"]
    assert semiconductor["lead"]["slug"] == "kumamoto-pref"
    statuses = {m["status"] for m in semiconductor["milestones"]["nodes"]}
    assert {"DONE", "IN_PROGRESS", "NOT_STARTED", "AT_RISK"} <= statuses
    assert {m["horizonYears"] for m in semiconductor["milestones"]["nodes"]} == {1, 3, 5}
    done = [m for m in semiconductor["milestones"]["nodes"] if m["status"] == "DONE"]
    assert all(m["signedOffAt"] and m["counterpart"] for m in done)
    assert 0 < semiconductor["progress"]["percent"] < 100
    latest = [k["latestObservation"] for k in semiconductor["kpis"]["nodes"]]
    assert {"value": 64.0, "periodEnd": "2026-09-30"} in latest


async def test_a_slip_in_one_project_puts_anothers_milestone_at_risk(seeded: Seeded) -> None:
    # given the talent project's teaching materials, moved three months later
    projects = await _dashboard(seeded)
    semiconductor = projects["九州半導体サプライチェーン強化プロジェクト"]
    # when the demo user reads the packaging line that waits for the first cohort
    line = next(
        m
        for m in semiconductor["milestones"]["nodes"]
        if m["title"] == "後工程（パッケージング）ライン 地場3社の量産立上げ"
    )
    # then it is at risk, because of the other project's milestone
    assert line["status"] == "AT_RISK"
    assert line["dependsOn"] == [
        {
            "title": "第1期 半導体技術者養成課程の修了（120名）",
            "project": {"name": "九州半導体人材育成コンソーシアム"},
        }
    ]
    # (named in dependsOn for those who see it; the platform's reason names no other project's,
    # and reads in the reader's language: Japanese by default)
    assert line["atRiskReason"].startswith("別のプロジェクトの先行マイルストーンに遅延リスクがあり")


async def test_the_baseline_shows_the_dates_that_moved(seeded: Seeded) -> None:
    # given the semiconductor project's baseline, taken before two dates moved
    projects = await _dashboard(seeded)
    # when the demo user compares today's plan with it
    baselines = projects["九州半導体サプライチェーン強化プロジェクト"]["baselines"]
    # (the others were frozen at its grant's 申請 and 交付決定)
    [baseline] = [b for b in baselines if b["name"] == "ビジョン採択時（2026年3月）"]
    # then the two slips show, in days
    assert baseline["variance"]["late"] == 2
    assert baseline["variance"]["maxSlipDays"] == 123
    slipped = {i["title"]: i["slipDays"] for i in baseline["variance"]["items"] if i["slipDays"]}
    assert slipped == {
        "クリーンルーム共同利用施設 竣工・供用開始": 123,
        "品質監査・工程改善の伴走支援 第1期（30社）": 91,
    }


ACTIVITY_QUERY = """
query {
  region(slug: "kyushu") {
    members(first: 100, status: INVITED) { nodes { organization { slug } } }
    activity(first: 100) {
      nodes { action actor { email } actingOrganization { slug } after }
    }
  }
}
"""


async def test_members_joined_by_accepting_their_invitations(seeded: Seeded) -> None:
    # given the secretariat's admin
    token = await seeded.token("secretariat@kyushu-keizai.example", "kyushu-keizai")
    # when they read the region's activity
    body = await graphql(seeded.client, ACTIVITY_QUERY, token=token)
    # then 福岡県 was invited by the secretariat and accepted through the demo user, its admin;
    # one invitation is still waiting for an answer
    region = body["data"]["region"]
    fukuoka = await _id_of(seeded, "fukuoka-pref")
    entries = [
        (a["action"], a["actor"]["email"], a["actingOrganization"]["slug"])
        for a in region["activity"]["nodes"]
        if a["actingOrganization"]["slug"] == "fukuoka-pref"
        or (a["after"] or {}).get("organization_id") == fukuoka
    ]
    assert entries == [
        ("invited", "secretariat@kyushu-keizai.example", "kyushu-keizai"),
        ("accepted", "demo@renkei.example", "fukuoka-pref"),
    ]
    assert [m["organization"]["slug"] for m in region["members"]["nodes"]] == [
        "yamaguchi-h2-center"
    ]


async def _id_of(seeded: Seeded, slug: str) -> str:
    async with unit_of_work(seeded.sessions, Viewer.platform()) as session:
        return str(await session.scalar(select(Organization.id).where(Organization.slug == slug)))


async def test_five_regions_with_kansai_declared_by_its_wide_area_union(seeded: Seeded) -> None:
    # given an admin of 堺市, a 政令市 that 関西広域連合 represents
    token = await seeded.token("admin@city-sakai.example", "sakai-city")
    # when they open 関西, 中部 and 東北
    kansai, chubu, tohoku = [
        (await graphql(seeded.client, REGION_QUERY, {"slug": slug}, token=token))["data"]["region"]
        for slug in ("kansai", "chubu", "tohoku")
    ]
    # then 関西 was signed by its four declarants, 関西広域連合 for its 府県 and 政令市 (堺市 too)
    assert {o["slug"] for o in kansai["declaration"]["signatories"]} == {
        "kansai-keizai",
        "kouiki-kansai",
        "kansai-kanko-honbu",
        "kansai-maas",
    }
    represented = {m["organization"]["slug"]: m for m in kansai["declaration"]["represented"]}
    assert {"sakai-city", "osaka-city", "kyoto-city", "kobe-city", "tottori-pref"} <= set(
        represented
    )
    assert len(represented) == 12
    assert all(m["representedBy"]["slug"] == "kouiki-kansai" for m in represented.values())
    assert all(m["representationConfirmedAt"] for m in represented.values())
    # and 福井 and 三重 are in 中部, which has no vision yet
    slugs = {m["organization"]["slug"] for m in kansai["members"]["nodes"]}
    assert not {"fukui-pref", "mie-pref"} & slugs
    assert [p["code"] for p in chubu["prefectures"]] == [str(c) for c in range(16, 26)]
    assert chubu["declaration"]["declaredOn"] == "2025-11-26"
    assert chubu["vision"] is None
    # and 東北 (with 新潟) was declared by わきたつ東北戦略会議 for its prefectures, on a day
    # the record does not state with its month
    assert [p["code"] for p in tohoku["prefectures"]] == ["02", "03", "04", "05", "06", "07", "15"]
    assert tohoku["declaration"]["declaredOn"] is None
    assert {m["representedBy"]["slug"] for m in tohoku["declaration"]["represented"]} == {
        "wakitatsu-tohoku"
    }


GRANTS_QUERY = """
query($s: String) {
  projects(search: $s, first: 5) {
    nodes {
      name
      grantApplications {
        status demo decidedAmountJpy reportedSpendingJpy localShareJpy
        regionAllowance { allowanceJpy usedJpy leftJpy }
        applicationBaseline { name } decisionBaseline { name }
        scheme { name sourceUrl rate capJpy regionAllowanceJpy unconfirmedFields demo }
      }
    }
  }
}
"""


async def test_a_kyushu_project_has_a_grant_through_its_decision_and_report(
    seeded: Seeded,
) -> None:
    # given the demo user acting for 福岡県, a participant of 九州's semiconductor project
    token = await seeded.token("demo@renkei.example", "fukuoka-pref")
    # when they read the project's grant applications
    body = await graphql(seeded.client, GRANTS_QUERY, {"s": "半導体サプライチェーン"}, token=token)
    assert "errors" not in body, body
    [project] = [
        p
        for p in body["data"]["projects"]["nodes"]
        if p["name"] == "九州半導体サプライチェーン強化プロジェクト"
    ]
    # then its 地域未来交付金 application is reported, after its decision, and marked demo
    [application] = project["grantApplications"]
    assert (application["status"], application["demo"]) == ("REPORTED", True)
    assert application["decidedAmountJpy"] == 300_000_000
    assert application["reportedSpendingJpy"] == 610_000_000
    assert application["localShareJpy"] == 340_000_000
    assert application["applicationBaseline"] and application["decisionBaseline"]
    assert application["regionAllowance"]["usedJpy"] == 300_000_000
    # and the scheme is the record's: its source, its figures, its 補助率 unconfirmed
    scheme = application["scheme"]
    assert scheme == {
        "name": "地域未来交付金",
        "sourceUrl": "https://news.livedoor.com/article/detail/30669145/",
        "rate": None,
        "capJpy": 1_500_000_000,
        "regionAllowanceJpy": 1_000_000_000,
        "unconfirmedFields": ["rate", "ministry", "period"],
        "demo": False,
    }


SEEDED_ROUNDS = """
query SeededRounds($region: ID!) {
  evaluationRounds(regionId: $region) {
    title demo publishedAt reportUrl sectorsPresent sectorsMissing
    kpiReviews { kpiName percent frozenAt }
    findings { kind ownerName dueOn milestoneId }
  }
}
"""


async def test_kyushu_has_a_published_evaluation_report_anyone_can_open(seeded: Seeded) -> None:
    # given the seed, read by 福岡県's demo user
    from renkei.graphql.relay import to_global_id
    from renkei.regions.models import Region

    async with unit_of_work(seeded.sessions, Viewer.platform()) as session:
        region_id = await session.scalar(select(Region.id).where(Region.slug == "kyushu"))
    assert region_id is not None
    token = await seeded.token("demo@renkei.example", "fukuoka-pref")
    # when the region's rounds are listed
    body = await graphql(
        seeded.client, SEEDED_ROUNDS, {"region": to_global_id("Region", region_id)}, token=token
    )
    (round_,) = body["data"]["evaluationRounds"]
    # then one published demo round, with several sectors, frozen KPIs and two improvements
    # that became milestones
    assert round_["demo"] is True and round_["publishedAt"] is not None
    assert {"INDUSTRY", "GOVERNMENT", "ACADEMIA", "FINANCE", "MEDIA"} <= set(
        round_["sectorsPresent"]
    )
    assert round_["sectorsMissing"] == ["LABOR"]
    assert len(round_["kpiReviews"]) == 5
    assert all(r["frozenAt"] for r in round_["kpiReviews"])
    improvements = [f for f in round_["findings"] if f["kind"] == "IMPROVEMENT"]
    assert len(improvements) == 2 and all(f["milestoneId"] for f in improvements)
    # and anyone opens its report without signing in
    response = await seeded.client.get(round_["reportUrl"])
    assert response.status_code == 200
    assert "令和8年度 九州広域リージョン 第1回 効果検証会議" in response.text
    assert "デモ" in response.text or "Demonstration" in response.text
