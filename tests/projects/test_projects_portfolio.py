"""The portfolio: projects across everything a viewer may see, filtered and searched in Japanese;
who sees which project (row-level security), down to `node(id:)` with a real id."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from factories import act_as, graphql
from renkei.db import unit_of_work
from renkei.graphql.relay import to_global_id
from renkei.projects import service
from renkei.projects.models import (
    FundingKind,
    ParticipantRole,
    Project,
    ProjectCategory,
    ProjectStatus,
    ProjectVisibility,
)
from renkei.tenancy import Viewer

PORTFOLIO = """
query Portfolio(
  $first: Int, $after: String, $regionId: ID, $category: ProjectCategory,
  $status: ProjectStatus, $prefectureCode: String, $search: String
) {
  projects(
    first: $first, after: $after, regionId: $regionId, category: $category, status: $status,
    prefectureCode: $prefectureCode, search: $search
  ) {
    nodes { name }
    pageInfo { hasNextPage endCursor }
  }
}
"""

SEEN = """
query Seen($id: ID!) {
  project(id: $id) {
    name summary category status visibility
    lead { name }
    prefectures { code }
    participants { nodes { organization { name } } }
    fundingSources { name }
    totalFundingJpy
    activity { nodes { action } }
  }
  node(id: $id) { id }
}
"""

NODES = """
query Nodes($ids: [ID!]!) { nodes(ids: $ids) { id } }
"""

PARTS = """
query Parts($id: ID!) {
  project(id: $id) { participants { nodes { id } } fundingSources { id } }
}
"""

NESTED = """
query Nested {
  projects(first: 50) {
    nodes {
      name
      lead { name }
      participants { nodes { role organization { name } } }
      fundingSources { name amountJpy }
    }
  }
}
"""

SEMICONDUCTOR = "九州半導体サプライチェーン強靱化"
TALENT = "東京圏副業人材還流プログラム"
TOURISM = "九州ガストロノミー周遊ルート"
DX = "京阪DX共同調達"


@dataclass
class Portfolio:
    fukuoka: Any
    kumamoto: Any
    hiroshima: Any
    region: Any
    projects: dict[str, Project]


async def _as(world: Any, party: Any) -> Viewer:
    return await act_as(world.sessions, party.owner, party.organization)


@pytest.fixture
async def portfolio(world) -> Portfolio:
    """福岡県 and 熊本県 are members of the 九州 region; 広島県 is not.

    - 九州半導体… (熊本県, in the region, REGION, ACTIVE, 40 43)
    - 東京圏副業… (福岡県, alone, PARTICIPANTS, 13 40)
    - 九州ガストロノミー… (福岡県, in the region, PUBLIC, 42 46, funded)
    - 京阪DX… (広島県, alone, PUBLIC, 26 27)
    """
    secretariat = await world.party("九州経済連合会", "40")
    fukuoka = await world.party("福岡県", "40")
    kumamoto = await world.party("熊本県", "43")
    hiroshima = await world.party("広島県", "34")
    region = await world.region(
        secretariat, fukuoka, kumamoto, prefectures=("40", "41", "42", "43", "44", "45", "46")
    )
    made = {
        SEMICONDUCTOR: await world.project(
            kumamoto,
            SEMICONDUCTOR,
            region_id=region.id,
            prefecture_codes=["43", "40"],
            summary="TSMC進出に伴う部材の域内調達",
        ),
        TALENT: await world.project(
            fukuoka,
            TALENT,
            category=ProjectCategory.TALENT_DEVELOPMENT,
            prefecture_codes=["13", "40"],
            summary="首都圏の専門人材が副業で地域企業を支える",
        ),
        TOURISM: await world.project(
            fukuoka,
            TOURISM,
            category=ProjectCategory.CIRCUIT_TOURISM,
            region_id=region.id,
            visibility=ProjectVisibility.PUBLIC,
            prefecture_codes=["42", "46"],
            summary="長崎と鹿児島の食をめぐる",
        ),
        DX: await world.project(
            hiroshima,
            DX,
            category=ProjectCategory.DX,
            visibility=ProjectVisibility.PUBLIC,
            prefecture_codes=["26", "27"],
        ),
    }
    viewer = await _as(world, kumamoto)
    async with unit_of_work(world.sessions, viewer) as session:
        await service.change_project_status(
            session, viewer, project_id=made[SEMICONDUCTOR].id, status=ProjectStatus.ACTIVE
        )
    viewer = await _as(world, fukuoka)
    async with unit_of_work(world.sessions, viewer) as session:
        await service.add_funding_source(
            session,
            viewer,
            project_id=made[TOURISM].id,
            kind=FundingKind.CORPORATE_HOMETOWN_TAX,
            name="企業版ふるさと納税",
            amount_jpy=20_000_000,
        )
    return Portfolio(fukuoka, kumamoto, hiroshima, region, made)


async def names(world: Any, token: str, **variables: Any) -> list[str]:
    data = await world.call(PORTFOLIO, variables, token=token)
    return [n["name"] for n in data["projects"]["nodes"]]


def gid(project: Project) -> str:
    return to_global_id("Project", project.id)


async def test_the_portfolio_lists_what_the_viewer_may_see_by_name(world, portfolio):
    # given
    fukuoka = await world.token(portfolio.fukuoka)
    # when
    everything = await names(world, fukuoka)
    page = await world.call(PORTFOLIO, {"first": 2}, token=fukuoka)
    rest = await world.call(
        PORTFOLIO, {"first": 2, "after": page["projects"]["pageInfo"]["endCursor"]}, token=fukuoka
    )
    # then: its own two, the region's REGION project, another region's PUBLIC one
    assert everything == sorted([SEMICONDUCTOR, TALENT, TOURISM, DX])
    assert [n["name"] for n in page["projects"]["nodes"]] == everything[:2]
    assert page["projects"]["pageInfo"]["hasNextPage"] is True
    assert [n["name"] for n in rest["projects"]["nodes"]] == everything[2:]
    assert rest["projects"]["pageInfo"]["hasNextPage"] is False


FILTERS = {
    "region": (
        lambda p: {"regionId": to_global_id("Region", p.region.id)},
        [TOURISM, SEMICONDUCTOR],
    ),
    "category": (lambda p: {"category": "SEMICONDUCTOR"}, [SEMICONDUCTOR]),
    "status": (lambda p: {"status": "ACTIVE"}, [SEMICONDUCTOR]),
    "planned": (lambda p: {"status": "PLANNED"}, sorted([TALENT, TOURISM, DX])),
    "prefecture 13": (lambda p: {"prefectureCode": "13"}, [TALENT]),
    "prefecture 40": (lambda p: {"prefectureCode": "40"}, sorted([SEMICONDUCTOR, TALENT])),
    "full-width prefecture": (lambda p: {"prefectureCode": "４６"}, [TOURISM]),
    "region and category": (
        lambda p: {
            "regionId": to_global_id("Region", p.region.id),
            "category": "CIRCUIT_TOURISM",
        },
        [TOURISM],
    ),
    "two-character word": (lambda p: {"search": "東京"}, [TALENT]),
    "shared word": (lambda p: {"search": "九州"}, sorted([SEMICONDUCTOR, TOURISM])),
    "half-width katakana": (lambda p: {"search": "ｶﾞｽﾄﾛﾉﾐｰ"}, [TOURISM]),
    "hiragana for katakana": (lambda p: {"search": "がすとろのみー"}, [TOURISM]),
    "in the summary": (lambda p: {"search": "副業で地域"}, [TALENT]),
    "full-width letters": (lambda p: {"search": "ＴＳＭＣ"}, [SEMICONDUCTOR]),
    "one character": (lambda p: {"search": "京"}, sorted([TALENT, DX])),
    "no match": (lambda p: {"search": "北海道"}, []),
    "search and status": (lambda p: {"search": "九州", "status": "ACTIVE"}, [SEMICONDUCTOR]),
}


@pytest.mark.parametrize("case", FILTERS, ids=list(FILTERS))
async def test_the_portfolio_filters_and_searches_japanese_text(world, portfolio, case):
    # given
    variables, expected = FILTERS[case]
    token = await world.token(portfolio.fukuoka)
    # when
    found = await names(world, token, **variables(portfolio))
    # then
    assert found == expected


async def test_a_renamed_project_is_found_by_its_new_name_only(world, portfolio):
    # given
    token = await world.token(portfolio.fukuoka)
    viewer = await _as(world, portfolio.fukuoka)
    async with unit_of_work(world.sessions, viewer) as session:
        await service.update_project(
            session,
            viewer,
            project_id=portfolio.projects[TALENT].id,
            version=1,
            name="大阪圏副業人材還流プログラム",
        )
    # when / then
    assert await names(world, token, search="東京") == []
    assert await names(world, token, search="大阪") == ["大阪圏副業人材還流プログラム"]


async def test_an_unknown_region_id_is_an_error_naming_the_argument(world, portfolio):
    # given
    token = await world.token(portfolio.fukuoka)
    # when
    body = await graphql(
        world.client,
        PORTFOLIO,
        {"regionId": to_global_id("Project", portfolio.region.id)},
        token=token,
    )
    # then
    assert body["data"] is None
    assert [(e["message"], e["extensions"]) for e in body["errors"]] == [
        ("not an id of type Region", {"code": "INVALID_ID", "field": "regionId"})
    ]


async def test_a_participants_project_is_invisible_to_others_even_by_its_real_id(world, portfolio):
    # given: 熊本県 shares a region with 福岡県, 広島県 does not; neither takes part
    talent = portfolio.projects[TALENT]
    for party in (portfolio.kumamoto, portfolio.hiroshima):
        token = await world.token(party)
        # when
        listed = await names(world, token)
        seen = await world.call(SEEN, {"id": gid(talent)}, token=token)
        # then
        assert TALENT not in listed
        assert seen == {"project": None, "node": None}
        assert await names(world, token, search="東京") == []


async def test_participants_and_funding_are_hidden_by_id_from_those_who_see_a_summary(
    world, portfolio
):
    # given: the ids of a PUBLIC and of a PARTICIPANTS project's participants and funding
    lead = await world.token(portfolio.fukuoka)
    ids = []
    for name in (TOURISM, TALENT):
        data = await world.call(PARTS, {"id": gid(portfolio.projects[name])}, token=lead)
        ids += [p["id"] for p in data["project"]["participants"]["nodes"]]
        ids += [f["id"] for f in data["project"]["fundingSources"]]
    assert len(ids) == 3
    outsider = await world.token(portfolio.hiroshima)
    # when
    seen_by_lead = await world.call(NODES, {"ids": ids}, token=lead)
    seen_by_outsider = await world.call(NODES, {"ids": ids}, token=outsider)
    # then
    assert seen_by_lead == {"nodes": [{"id": i} for i in ids]}
    assert seen_by_outsider == {"nodes": [None, None, None]}


async def test_a_region_project_is_seen_in_full_by_the_regions_members_only(world, portfolio):
    # given
    semiconductor = portfolio.projects[SEMICONDUCTOR]
    member = await world.token(portfolio.fukuoka)  # a member of the region, not a participant
    outsider = await world.token(portfolio.hiroshima)
    # when
    by_member = await world.call(SEEN, {"id": gid(semiconductor)}, token=member)
    by_outsider = await world.call(SEEN, {"id": gid(semiconductor)}, token=outsider)
    # then
    assert by_member["project"]["name"] == SEMICONDUCTOR
    assert by_member["node"] == {"id": gid(semiconductor)}
    assert by_member["project"]["participants"]["nodes"] == [{"organization": {"name": "熊本県"}}]
    assert [a["action"] for a in by_member["project"]["activity"]["nodes"]] == [
        "created",
        "status_changed",
    ]
    assert by_member["project"]["totalFundingJpy"] == 0
    assert by_outsider == {"project": None, "node": None}
    assert SEMICONDUCTOR not in await names(world, outsider)


async def test_a_public_project_shows_its_summary_to_everyone_signed_in_but_not_its_details(
    world, portfolio
):
    # given
    tourism = portfolio.projects[TOURISM]
    outsider = await world.token(portfolio.hiroshima)
    lead = await world.token(portfolio.fukuoka)
    # when
    by_outsider = await world.call(SEEN, {"id": gid(tourism)}, token=outsider)
    by_lead = await world.call(SEEN, {"id": gid(tourism)}, token=lead)
    anonymous = await graphql(world.client, PORTFOLIO)
    # then
    assert by_outsider["project"] == {
        "name": TOURISM,
        "summary": "長崎と鹿児島の食をめぐる",
        "category": "CIRCUIT_TOURISM",
        "status": "PLANNED",
        "visibility": "PUBLIC",
        "lead": {"name": "福岡県"},
        "prefectures": [{"code": "42"}, {"code": "46"}],
        "participants": {"nodes": []},
        "fundingSources": [],
        "totalFundingJpy": None,
        "activity": {"nodes": []},
    }
    assert by_lead["project"]["fundingSources"] == [{"name": "企業版ふるさと納税"}]
    assert by_lead["project"]["totalFundingJpy"] == 20_000_000
    assert by_lead["project"]["participants"]["nodes"] == [{"organization": {"name": "福岡県"}}]
    assert anonymous == {
        "data": {"projects": {"nodes": [], "pageInfo": {"hasNextPage": False, "endCursor": None}}}
    }


# Sign-in (4) and the test's savepoint around the request (2); then projects, participants,
# funding sources, and organizations twice: the leads', then the participants' not yet loaded.
MAX_STATEMENTS = 11


async def test_the_nested_portfolio_costs_the_same_statements_for_4_and_14_projects(
    world, portfolio, statement_counter
):
    # given
    token = await world.token(portfolio.fukuoka)
    partner = await world.party("九州大学", "40")
    await world.join(
        portfolio.projects[TALENT], portfolio.fukuoka, partner, ParticipantRole.SUPPORTER
    )
    with statement_counter as few:
        small = await world.call(NESTED, token=token)
    few_count = few.count
    for number in range(10):
        project = await world.project(portfolio.fukuoka, f"九州共同研究{number:02}")
        await world.join(project, portfolio.fukuoka, partner, ParticipantRole.PARTNER)
        viewer = await _as(world, portfolio.fukuoka)
        async with unit_of_work(world.sessions, viewer) as session:
            await service.add_funding_source(
                session,
                viewer,
                project_id=project.id,
                kind=FundingKind.NATIONAL_GRANT,
                name="交付金",
                amount_jpy=1_000_000 * (number + 1),
            )
    # when
    with statement_counter as many:
        large = await world.call(NESTED, token=token)
    # then
    assert len(small["projects"]["nodes"]) == 4
    nodes = large["projects"]["nodes"]
    assert len(nodes) == 14
    research = next(n for n in nodes if n["name"] == "九州共同研究03")
    assert research["lead"] == {"name": "福岡県"}
    assert research["participants"]["nodes"] == [
        {"role": "LEAD", "organization": {"name": "福岡県"}},
        {"role": "PARTNER", "organization": {"name": "九州大学"}},
    ]
    assert research["fundingSources"] == [{"name": "交付金", "amountJpy": 4_000_000}]
    statements = "\n".join(s.splitlines()[0][:120] for s in many.statements)
    assert many.count == few_count <= MAX_STATEMENTS, (
        f"4 projects took {few_count} statements, 14 took {many.count}:\n{statements}"
    )


REGION_PORTFOLIO = """
query RegionPortfolio(
  $id: ID!, $category: ProjectCategory, $status: ProjectStatus, $prefectureCode: String,
  $search: String
) {
  node(id: $id) {
    ... on Region {
      projects(
        category: $category, status: $status, prefectureCode: $prefectureCode, search: $search
      ) { nodes { name } }
    }
  }
}
"""

REGION_FILTERS = {
    "prefecture 46": ({"prefectureCode": "４６"}, [TOURISM]),
    "prefecture 13": ({"prefectureCode": "13"}, []),
    "search": ({"search": "ｶﾞｽﾄﾛﾉﾐｰ"}, [TOURISM]),
    "shared word": ({"search": "九州"}, sorted([SEMICONDUCTOR, TOURISM])),
    "search and category": ({"search": "九州", "category": "SEMICONDUCTOR"}, [SEMICONDUCTOR]),
}


@pytest.mark.parametrize("case", REGION_FILTERS, ids=list(REGION_FILTERS))
async def test_a_regions_projects_filter_by_prefecture_and_search_compiled_or_not(
    world, portfolio, resolvers_only, case
):
    # given
    variables, expected = REGION_FILTERS[case]
    token = await world.token(portfolio.fukuoka)
    variables = {"id": to_global_id("Region", portfolio.region.id), **variables}
    # when: compiled, and through the resolvers
    compiled = await world.call(REGION_PORTFOLIO, variables, token=token)
    resolved = await graphql(resolvers_only, REGION_PORTFOLIO, variables, token=token)
    # then
    assert [n["name"] for n in compiled["node"]["projects"]["nodes"]] == expected
    assert resolved["data"] == compiled
