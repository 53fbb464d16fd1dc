"""Subsidies as data: a contracted side job's estimated subsidy from its cost ledger."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import httpx2
import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from factories import act_as, add_member, create_user, graphql, token_for
from renkei.db import SessionFactory, unit_of_work
from renkei.graphql.relay import to_global_id
from renkei.i18n.messages import use_locale
from renkei.identity.tokens import TokenService
from renkei.talent import service, subsidies
from renkei.talent.models import (
    CostKind,
    Match,
    MatchStatus,
    Professional,
    SubsidyScheme,
)
from renkei.tenancy import MembershipRole, Viewer
from talent.talent_world import TalentWorld, create_talent_world, need_fields

ALL_KINDS = ["FEE", "TRAVEL", "PLACEMENT_FEE"]

RECORD_COST = """
mutation Record($input: RecordMatchCostInput!) {
  recordMatchCost(input: $input) {
    matchCost { kind amountJpy visitDays }
    match { id costs { kind amountJpy } }
    userErrors { field code message }
  }
}
"""

ESTIMATE = """
query($id: ID!) {
  match(id: $id) {
    estimatedSubsidy {
      scheme { name prefecture { code } } rate capJpy eligibleJpy estimateJpy firstUse
      reason formula
    }
  }
}
"""


def gifu(**overrides: Any) -> SubsidyScheme:
    values: dict[str, Any] = {
        "prefecture_code": "21",
        "fiscal_year": 2026,
        "name": "岐阜県 副業・兼業人材活用",
        "rate": Decimal("0.800"),
        "cap_jpy": 500_000,
        "eligible_cost_kinds": ALL_KINDS,
        "first_use_only": True,
    }
    values.update(overrides)
    return SubsidyScheme(**values)


def akita() -> SubsidyScheme:
    return SubsidyScheme(
        prefecture_code="05",
        fiscal_year=2026,
        name="秋田県 副業人材活用 (標準)",
        rate=Decimal("0.500"),
        cap_jpy=300_000,
        eligible_cost_kinds=["FEE"],
        first_use_only=False,
    )


def test_gifu_pays_eight_tenths_of_a_first_use_up_to_its_cap() -> None:
    small = subsidies.estimate(gifu(), [(CostKind.FEE, 123_457)], had_earlier_contract=False)
    large = subsidies.estimate(
        gifu(),
        [(CostKind.FEE, 300_000), (CostKind.FEE, 300_000), (CostKind.PLACEMENT_FEE, 100_000)],
        had_earlier_contract=False,
    )

    assert (small.eligible_jpy, small.estimate_jpy, small.first_use) == (123_457, 98_765, True)
    assert small.formula == (
        "補助対象経費 ¥123,457 × 補助率 8/10（1円未満切り捨て）、上限 ¥500,000 → ¥98,765"
    )
    assert small.reason == (
        "「岐阜県 副業・兼業人材活用」: 補助対象経費（報酬、旅費、紹介手数料）の8/10、"
        "上限¥500,000。"
    )
    assert (large.eligible_jpy, large.estimate_jpy) == (700_000, 500_000)
    with use_locale("en"):
        english = subsidies.estimate(gifu(), [(CostKind.FEE, 123_457)], had_earlier_contract=False)
    assert english.formula == "min(floor(¥123,457 × 8/10), ¥500,000) = ¥98,765"
    assert english.reason == (
        "岐阜県 副業・兼業人材活用: 8/10 of the eligible costs (fee, placement fee, travel),"
        " up to ¥500,000."
    )


@pytest.mark.parametrize(
    ("rate", "text"),
    [
        ("0.800", "8/10"),
        ("0.500", "1/2"),
        ("0.667", "2/3"),
        ("0.750", "3/4"),
        ("1", "10/10"),
        ("0.725", "72.5%"),
    ],
)
def test_rates_read_as_public_offices_write_them(rate: str, text: str) -> None:
    assert subsidies.rate_text(Decimal(rate)) == text


def test_a_first_use_scheme_pays_nothing_after_an_earlier_contract() -> None:
    found = subsidies.estimate(gifu(), [(CostKind.FEE, 300_000)], had_earlier_contract=True)

    assert found.estimate_jpy == 0
    assert found.first_use is False
    assert found.reason == (
        "「岐阜県 副業・兼業人材活用」は企業が初めて副業・兼業人材と契約する場合に限られます。"
        "この企業には以前の契約があります。"
    )
    with use_locale("en"):
        english = subsidies.estimate(gifu(), [(CostKind.FEE, 1)], had_earlier_contract=True)
    assert "first side-job contract only" in english.reason


def test_akita_pays_half_of_the_fees_only() -> None:
    found = subsidies.estimate(
        akita(),
        [(CostKind.FEE, 200_001), (CostKind.TRAVEL, 40_000)],
        had_earlier_contract=True,
    )

    assert (found.eligible_jpy, found.estimate_jpy) == (200_001, 100_000)


def test_without_a_scheme_there_is_no_estimate_and_a_reason() -> None:
    found = subsidies.estimate(
        None, [(CostKind.FEE, 1)], had_earlier_contract=False, prefecture_code="40", year=2026
    )

    assert found.estimate_jpy is None
    assert (
        found.reason == "都道府県コード40の2026年度の副業・兼業人材の補助制度は登録されていません。"
    )
    with use_locale("en"):
        english = subsidies.estimate(
            None, [(CostKind.FEE, 1)], had_earlier_contract=False, prefecture_code="40", year=2026
        )
    assert english.reason == ("No side-job subsidy scheme is known for prefecture 40 in FY2026.")


@pytest.fixture
async def world(sessions: SessionFactory, tokens: TokenService) -> TalentWorld:
    return await create_talent_world(sessions, tokens)


async def contracted_match(
    sessions: SessionFactory,
    world: TalentWorld,
    *,
    prefecture_code: str,
    starts_on: date,
    status: MatchStatus = MatchStatus.CONTRACTED,
    user: Any = None,
) -> Match:
    """A need of the firm in the prefecture, and a match with a professional at `status`."""
    viewer = await act_as(sessions, world.firm_owner, world.firm)
    async with unit_of_work(sessions, viewer) as session:
        need = await service.create_need(
            session, viewer, values=need_fields(workplace_prefecture_code=prefecture_code)
        )
    async with unit_of_work(sessions, Viewer.platform()) as session:
        professional_id = await session.scalar(
            select(Professional.id).where(Professional.user_id == (user or world.alice).id)
        )
        assert professional_id is not None
        match = Match(
            need_id=need.id,
            professional_id=professional_id,
            organization_id=world.firm.id,
            status=status,
            contract_fee_jpy=300_000,
            contract_hours_per_month=20,
            contract_starts_on=starts_on,
        )
        session.add(match)
        await session.flush()
        return match


async def add_schemes(sessions: SessionFactory) -> None:
    async with unit_of_work(sessions, Viewer.platform()) as session:
        session.add_all([gifu(), akita()])


async def record(client: Any, token: str, match: Match, **values: Any) -> dict[str, Any]:
    body = await graphql(
        client,
        RECORD_COST,
        {"input": {"matchId": to_global_id("Match", match.id), **values}},
        token=token,
    )
    assert "errors" not in body, body
    return body["data"]["recordMatchCost"]


async def test_the_firm_records_costs_and_reads_the_estimated_subsidy(
    client: Any, sessions: SessionFactory, world: TalentWorld
) -> None:
    # given 岐阜's scheme and a match contracted in 岐阜 from May 2026 (FY2026)
    await add_schemes(sessions)
    match = await contracted_match(
        sessions, world, prefecture_code="21", starts_on=date(2026, 5, 1)
    )
    firm = world.tokens["firm"]

    # when the firm records a month's fee and two days of site visits
    fee = await record(client, firm, match, kind="FEE", amountJpy=300_000, incurredOn="2026-05-31")
    travel = await record(
        client, firm, match, kind="TRAVEL", amountJpy=60_000, incurredOn="2026-05-20", visitDays=2
    )
    read = await graphql(client, ESTIMATE, {"id": to_global_id("Match", match.id)}, token=firm)

    # then the ledger holds both and the estimate is 8/10 of them
    assert fee["userErrors"] == [] and travel["userErrors"] == []
    assert travel["matchCost"] == {"kind": "TRAVEL", "amountJpy": 60_000, "visitDays": 2}
    assert travel["match"]["costs"] == [
        {"kind": "TRAVEL", "amountJpy": 60_000},
        {"kind": "FEE", "amountJpy": 300_000},
    ]
    assert read["data"]["match"]["estimatedSubsidy"] == {
        "scheme": {"name": "岐阜県 副業・兼業人材活用", "prefecture": {"code": "21"}},
        "rate": 0.8,
        "capJpy": 500_000.0,
        "eligibleJpy": 360_000.0,
        "estimateJpy": 288_000.0,
        "firstUse": True,
        "reason": "「岐阜県 副業・兼業人材活用」: 補助対象経費（報酬、旅費、紹介手数料）の8/10、"
        "上限¥500,000。",
        "formula": "補助対象経費 ¥360,000 × 補助率 8/10（1円未満切り捨て）、"
        "上限 ¥500,000 → ¥288,000",
    }
    schemes = await graphql(
        client,
        '{ subsidySchemes(prefectureCode: "21", fiscalYear: 2026) { name rate } }',
        token=firm,
    )
    assert schemes["data"]["subsidySchemes"] == [{"name": "岐阜県 副業・兼業人材活用", "rate": 0.8}]


async def test_a_later_contract_of_the_same_firm_is_not_a_first_use(
    sessions: SessionFactory, world: TalentWorld
) -> None:
    # given the firm's first side job in 岐阜 started in April, a second one in June
    await add_schemes(sessions)
    await contracted_match(
        sessions,
        world,
        prefecture_code="21",
        starts_on=date(2026, 4, 1),
        status=MatchStatus.COMPLETED,
    )
    later = await contracted_match(
        sessions, world, prefecture_code="21", starts_on=date(2026, 6, 1), user=world.bob
    )

    # when the second one's subsidy is estimated
    async with unit_of_work(sessions, Viewer.platform()) as session:
        found = await subsidies.estimate_for_match(session, later)

    # then 岐阜's first-use scheme pays nothing for it
    assert found is not None
    assert (found.estimate_jpy, found.first_use) == (0, False)


async def test_a_match_without_a_scheme_shows_a_reason(
    client: Any, sessions: SessionFactory, world: TalentWorld
) -> None:
    await add_schemes(sessions)
    match = await contracted_match(
        sessions, world, prefecture_code="40", starts_on=date(2027, 2, 1)
    )

    read = await graphql(
        client, ESTIMATE, {"id": to_global_id("Match", match.id)}, token=world.tokens["firm"]
    )

    estimate = read["data"]["match"]["estimatedSubsidy"]
    assert estimate["estimateJpy"] is None
    assert estimate["reason"] == (
        "都道府県コード40の2026年度の副業・兼業人材の補助制度は登録されていません。"
    )


async def test_costs_are_refused_to_others_and_outside_a_contract(
    client: Any, sessions: SessionFactory, world: TalentWorld
) -> None:
    match = await contracted_match(
        sessions, world, prefecture_code="21", starts_on=date(2026, 5, 1)
    )
    proposed = await contracted_match(
        sessions,
        world,
        prefecture_code="21",
        starts_on=date(2026, 5, 1),
        status=MatchStatus.PROPOSED,
        user=world.bob,
    )
    fee = {"kind": "FEE", "amountJpy": 1000, "incurredOn": "2026-05-31"}

    by_professional = await record(client, world.tokens["alice"], match, **fee)
    by_outsider = await record(client, world.tokens["other"], match, **fee)
    not_contracted = await record(client, world.tokens["firm"], proposed, **fee)
    no_days = await record(
        client, world.tokens["firm"], match, kind="TRAVEL", amountJpy=5000, incurredOn="2026-05-31"
    )
    zero = await record(client, world.tokens["firm"], match, **{**fee, "amountJpy": 0})

    assert by_professional["userErrors"] == [
        {
            "field": None,
            "code": "FORBIDDEN",
            "message": "マッチングの経費を記録できるのは企業だけです。",
        }
    ]
    assert by_outsider["userErrors"] == [
        {"field": "matchId", "code": "NOT_FOUND", "message": "該当するマッチングがありません。"}
    ]
    assert not_contracted["userErrors"][0]["field"] == "matchId"
    assert not_contracted["userErrors"][0]["code"] == "INVALID"
    assert not_contracted["userErrors"][0]["message"] == (
        "経費を記録できるのは、契約済み・稼働中・完了のマッチングだけです"
        "（このマッチングは「提案中」です）。"
    )
    assert no_days["userErrors"][0]["field"] == "visitDays"
    assert no_days["userErrors"][0]["message"] == "旅費には訪問日数（1日以上）を入力してください。"
    assert zero["userErrors"][0]["field"] == "amountJpy"
    assert zero["userErrors"][0]["message"] == "金額は1円以上の数で入力してください。"
    async with unit_of_work(sessions, Viewer.platform()) as session:
        assert await subsidies.costs_of(session, match.id) == []


async def test_a_viewer_of_the_firm_may_not_record_costs(
    client: Any, sessions: SessionFactory, tokens: TokenService, world: TalentWorld
) -> None:
    # given a member of the firm with the read-only VIEWER role
    reader = await create_user(sessions, "reader@firm.example", "Reader")
    await add_member(sessions, world.firm, world.firm_owner, reader, MembershipRole.VIEWER)
    match = await contracted_match(
        sessions, world, prefecture_code="21", starts_on=date(2026, 5, 1)
    )

    # when they record a fee
    refused = await record(
        client,
        token_for(tokens, reader, world.firm),
        match,
        kind="FEE",
        amountJpy=1000,
        incurredOn="2026-05-31",
    )

    # then it is refused (in the words of renkei.talent.service, for every firm write)
    assert [(e["field"], e["code"]) for e in refused["userErrors"]] == [(None, "FORBIDDEN")]


async def record_in_english(client: Any, token: str, match: Match, **values: Any) -> Any:
    response = await client.post(
        "/graphql",
        json={
            "query": RECORD_COST,
            "variables": {"input": {"matchId": to_global_id("Match", match.id), **values}},
        },
        headers={"Authorization": f"Bearer {token}", "Accept-Language": "en"},
    )
    return response.json()["data"]["recordMatchCost"]


async def test_cost_errors_in_english_for_an_english_reader(
    client: Any, sessions: SessionFactory, world: TalentWorld
) -> None:
    match = await contracted_match(
        sessions, world, prefecture_code="21", starts_on=date(2026, 5, 1)
    )
    fee = {"kind": "FEE", "amountJpy": 1000, "incurredOn": "2026-05-31"}
    by_professional = await record_in_english(client, world.tokens["alice"], match, **fee)
    days = await record_in_english(client, world.tokens["firm"], match, **{**fee, "visitDays": 2})
    assert by_professional["userErrors"] == [
        {
            "field": None,
            "code": "FORBIDDEN",
            "message": "Only the firm records the costs of a match.",
        }
    ]
    assert days["userErrors"] == [
        {
            "field": "visitDays",
            "code": "INVALID",
            "message": "Visit days are for travel costs only.",
        }
    ]


ESTIMATE_WORDS = """
query($id: ID!) { match(id: $id) { estimatedSubsidy { reason formula } } }
"""


async def estimate_words(http: httpx2.AsyncClient, token: str, match: Match, locale: str) -> Any:
    response = await http.post(
        "/graphql",
        json={"query": ESTIMATE_WORDS, "variables": {"id": to_global_id("Match", match.id)}},
        headers={"Authorization": f"Bearer {token}", "Accept-Language": locale},
    )
    assert response.status_code == 200 and "errors" not in response.json(), response.text
    return response.json()["data"]["match"]["estimatedSubsidy"]


@pytest.mark.parametrize("locale", ["ja", "en"])
async def test_the_compiled_estimate_says_what_the_resolver_says(
    client: httpx2.AsyncClient,
    resolvers_only: httpx2.AsyncClient,
    sessions: SessionFactory,
    world: TalentWorld,
    locale: str,
) -> None:
    # given a paying scheme (岐阜), a scheme that covers one kind (秋田), and none (福岡)
    await add_schemes(sessions)
    firm = world.tokens["firm"]
    gifu_match = await contracted_match(
        sessions, world, prefecture_code="21", starts_on=date(2026, 5, 1)
    )
    await record(client, firm, gifu_match, kind="FEE", amountJpy=300_001, incurredOn="2026-05-31")
    akita_match = await contracted_match(
        sessions, world, prefecture_code="05", starts_on=date(2026, 6, 1), user=world.bob
    )
    none_match = await contracted_match(
        sessions, world, prefecture_code="40", starts_on=date(2027, 2, 1), user=world.bob
    )
    for match in (gifu_match, akita_match, none_match):
        compiled = await estimate_words(client, firm, match, locale)
        resolved = await estimate_words(resolvers_only, firm, match, locale)
        assert compiled == resolved
    english = await estimate_words(client, firm, akita_match, "en")
    assert english["reason"] == (
        "秋田県 副業人材活用 (標準): 1/2 of the eligible costs (fee), up to ¥300,000."
    )
    assert english["formula"] == "min(floor(¥0 × 1/2), ¥300,000) = ¥0"


EVIDENCE_HEADER = [
    "マッチングID",
    "企業名",
    "人材氏名",
    "業務内容",
    "契約報酬（円／月）",
    "契約時間（時間／月）",
    "契約開始日",
    "契約終了日",
    "支払日",
    "経費区分",
    "金額（円）",
    "訪問日数",
    "摘要",
    "補助対象",
    "補助対象経費（円）",
]


async def gifu_match_with_costs(client: Any, sessions: SessionFactory, world: TalentWorld) -> Match:
    """A match contracted in 岐阜 from May 2026 with a fee and two days of travel recorded."""
    await add_schemes(sessions)
    match = await contracted_match(
        sessions, world, prefecture_code="21", starts_on=date(2026, 5, 1)
    )
    firm = world.tokens["firm"]
    await record(
        client, firm, match, kind="FEE", amountJpy=300_000, incurredOn="2026-05-31", note="5月分"
    )
    await record(
        client, firm, match, kind="TRAVEL", amountJpy=60_000, incurredOn="2026-05-20", visitDays=2
    )
    return match


def evidence_url(match: Match, extension: str, query: str = "") -> str:
    return f"/exports/matches/{to_global_id('Match', match.id)}/evidence.{extension}{query}"


async def test_the_firm_exports_its_evidence_packet_and_no_one_else_can(
    client: Any, sessions: SessionFactory, tokens: TokenService, world: TalentWorld
) -> None:
    # given a contracted match in 岐阜 with two costs recorded
    match = await gifu_match_with_costs(client, sessions, world)
    firm = world.tokens["firm"]
    url = evidence_url(match, "csv")
    # when the firm downloads the evidence packet
    response = await client.get(url, headers={"Authorization": f"Bearer {firm}"})
    # then it is CSV for Excel: a BOM, CRLF lines, Japanese column names
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert response.content.startswith(b"\xef\xbb\xbf")
    body = response.content.decode("utf-8-sig")
    assert body.endswith("\r\n") and "\n" not in body.replace("\r\n", "")
    rows = list(csv.reader(io.StringIO(body, newline="")))
    assert rows[0] == EVIDENCE_HEADER
    # the contract on every line, the amounts as plain numbers, the dates in Japanese
    # (the professional by pseudonym: both sides have not accepted, so the name is not shown)
    assert rows[1][2]
    assert rows[1][:8] == [
        str(match.id),
        world.firm.name,
        rows[1][2],
        rows[1][3],
        "300000",
        "20",
        "2026年5月1日",
        "",
    ]
    # the costs in date order, with their category and whether the scheme covers them
    assert [r[8:] for r in rows[1:3]] == [
        ["2026年5月20日", "旅費", "60000", "2", "", "対象", "60000"],
        ["2026年5月31日", "報酬", "300000", "0", "5月分", "対象", "300000"],
    ]
    # then the totals, and the estimate with its reason and formula
    assert rows[3][8:] == ["", "合計", "360000", "2", "", "", "360000"]
    assert rows[4][8:12] == ["", "補助金見込額", "288000", ""]
    assert rows[4][12] == (
        "「岐阜県 副業・兼業人材活用」: 補助対象経費（報酬、旅費、紹介手数料）の8/10、"
        "上限¥500,000。計算: 補助対象経費 ¥360,000 × 補助率 8/10（1円未満切り捨て）、"
        "上限 ¥500,000 → ¥288,000"
    )
    assert rows[4][13:] == ["", ""]
    assert sum(int(r[10]) for r in rows[1:3]) == int(rows[3][10])
    # and the professional, or a token without talent:read, gets nothing
    other = await client.get(url, headers={"Authorization": f"Bearer {world.tokens['alice']}"})
    narrow = token_for(tokens, world.firm_owner, world.firm, scopes=frozenset({"projects:read"}))
    scoped = await client.get(url, headers={"Authorization": f"Bearer {narrow}"})
    assert (other.status_code, scoped.status_code) == (404, 403)
    assert other.json()["errors"][0]["message"] == "該当するマッチングがありません。"
    for extension in ("xlsx", "pdf"):
        hidden = await client.get(
            evidence_url(match, extension),
            headers={"Authorization": f"Bearer {world.tokens['alice']}"},
        )
        assert hidden.status_code == 404


async def test_the_evidence_packet_in_english_and_in_wareki(
    client: Any, sessions: SessionFactory, world: TalentWorld
) -> None:
    match = await gifu_match_with_costs(client, sessions, world)
    firm = {"Authorization": f"Bearer {world.tokens['firm']}"}
    english = await client.get(
        evidence_url(match, "csv"), headers={**firm, "Accept-Language": "en"}
    )
    rows = list(csv.reader(io.StringIO(english.content.decode("utf-8-sig"), newline="")))
    assert rows[0][8:] == [
        "Payment date",
        "Cost category",
        "Amount (yen)",
        "Visit days",
        "Description",
        "Eligible",
        "Eligible amount (yen)",
    ]
    assert rows[1][8:10] == ["May 20, 2026", "travel"]
    assert rows[3][9:11] == ["Total", "360000"]
    assert rows[4][9:11] == ["Estimated subsidy", "288000"]
    assert rows[4][12].endswith("Calculation: min(floor(¥360,000 × 8/10), ¥500,000) = ¥288,000")
    wareki = await client.get(evidence_url(match, "csv", "?calendar=wareki"), headers=firm)
    rows = list(csv.reader(io.StringIO(wareki.content.decode("utf-8-sig"), newline="")))
    assert (rows[1][6], rows[1][8]) == ("令和8年5月1日", "令和8年5月20日")
    unknown = await client.get(evidence_url(match, "xlsx", "?calendar=heisei"), headers=firm)
    assert unknown.status_code == 400
    assert unknown.json()["errors"][0]["extensions"] == {"code": "INVALID"}


async def test_the_evidence_packet_as_xlsx_holds_numbers_dates_and_totals(
    client: Any, sessions: SessionFactory, world: TalentWorld
) -> None:
    match = await gifu_match_with_costs(client, sessions, world)
    firm = {"Authorization": f"Bearer {world.tokens['firm']}"}
    response = await client.get(evidence_url(match, "xlsx"), headers=firm)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    disposition = response.headers["content-disposition"]
    assert 'filename="' in disposition and "evidence.xlsx" in disposition
    assert "%E8%A3%9C%E5%8A%A9%E9%87%91%E8%A8%BC%E6%86%91.xlsx" in disposition  # 補助金証憑
    workbook = load_workbook(io.BytesIO(response.content))
    assert workbook.sheetnames == ["補助金証憑"]
    sheet = workbook["補助金証憑"]
    assert sheet.freeze_panes == "A2"
    assert all(cell.font.bold for cell in sheet[1])
    rows = [list(r) for r in sheet.iter_rows(values_only=True)]
    assert rows[0] == EVIDENCE_HEADER
    # numbers are numbers, dates are dates
    assert rows[1][4:9] == [300_000, 20, datetime(2026, 5, 1), None, datetime(2026, 5, 20)]
    assert [r[9:] for r in rows[1:3]] == [
        ["旅費", 60_000, 2, None, "対象", 60_000],
        ["報酬", 300_000, 0, "5月分", "対象", 300_000],
    ]
    assert rows[3][9:] == ["合計", 360_000, 2, None, None, 360_000]
    assert rows[4][9:11] == ["補助金見込額", 288_000]
    assert sheet["K2"].number_format == "#,##0"
    assert sheet["I2"].number_format == 'yyyy"年"m"月"d"日"'
    assert sheet["J4"].font.bold and sheet["J5"].font.bold
    wareki = await client.get(evidence_url(match, "xlsx", "?calendar=wareki"), headers=firm)
    era = load_workbook(io.BytesIO(wareki.content)).active
    assert era is not None
    assert era["I2"].value == datetime(2026, 5, 20)
    assert era["I2"].number_format == '[$-411]ggge"年"m"月"d"日"'
    english = await client.get(
        evidence_url(match, "xlsx"), headers={**firm, "Accept-Language": "en"}
    )
    sheet = load_workbook(io.BytesIO(english.content)).active
    assert sheet is not None and sheet.title == "Subsidy evidence"
    assert sheet["K1"].value == "Amount (yen)" and sheet["J2"].value == "travel"
