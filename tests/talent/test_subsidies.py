"""Subsidies as data: a contracted side job's estimated subsidy from its cost ledger."""

from __future__ import annotations

import csv
import io
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import select

from factories import act_as, add_member, create_user, graphql, token_for
from renkei.db import SessionFactory, unit_of_work
from renkei.graphql.relay import to_global_id
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
    assert small.formula == "min(floor(¥123,457 × 0.800), ¥500,000) = ¥98,765"
    assert (large.eligible_jpy, large.estimate_jpy) == (700_000, 500_000)


def test_a_first_use_scheme_pays_nothing_after_an_earlier_contract() -> None:
    found = subsidies.estimate(gifu(), [(CostKind.FEE, 300_000)], had_earlier_contract=True)

    assert found.estimate_jpy == 0
    assert found.first_use is False
    assert "first side-job contract only" in found.reason


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
        found.reason == "no side-job subsidy scheme is known for prefecture 40 in fiscal year 2026"
    )


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
        "reason": "岐阜県 副業・兼業人材活用: 0.8 of the eligible costs (FEE, PLACEMENT_FEE, "
        "TRAVEL), up to ¥500,000",
        "formula": "min(floor(¥360,000 × 0.800), ¥500,000) = ¥288,000",
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
        "no side-job subsidy scheme is known for prefecture 40 in fiscal year 2026"
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
            "message": "only the firm records the costs of a match",
        }
    ]
    assert by_outsider["userErrors"] == [
        {"field": "matchId", "code": "NOT_FOUND", "message": "no such match"}
    ]
    assert not_contracted["userErrors"][0]["field"] == "matchId"
    assert not_contracted["userErrors"][0]["code"] == "INVALID"
    assert no_days["userErrors"][0]["field"] == "visitDays"
    assert zero["userErrors"][0]["field"] == "amountJpy"
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

    # then it is refused
    assert refused["userErrors"] == [
        {
            "field": None,
            "code": "FORBIDDEN",
            "message": "only the firm's owners, admins and members may record the costs of a match",
        }
    ]


async def test_the_firm_exports_its_evidence_packet_and_no_one_else_can(
    client: Any, sessions: SessionFactory, tokens: TokenService, world: TalentWorld
) -> None:
    # given a contracted match in 岐阜 with two costs recorded
    await add_schemes(sessions)
    match = await contracted_match(
        sessions, world, prefecture_code="21", starts_on=date(2026, 5, 1)
    )
    firm = world.tokens["firm"]
    await record(client, firm, match, kind="FEE", amountJpy=300_000, incurredOn="2026-05-31")
    await record(
        client, firm, match, kind="TRAVEL", amountJpy=60_000, incurredOn="2026-05-20", visitDays=2
    )
    url = f"/exports/matches/{to_global_id('Match', match.id)}/evidence.csv"
    # when the firm downloads the evidence packet
    response = await client.get(url, headers={"Authorization": f"Bearer {firm}"})
    # then it lists the costs in date order and the estimate with its formula
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0][:3] == ["match_id", "firm", "professional"]
    assert [(r[8], r[9], r[10], r[13]) for r in rows[1:3]] == [
        ("2026-05-20", "TRAVEL", "60000", "yes"),
        ("2026-05-31", "FEE", "300000", "yes"),
    ]
    assert rows[3][9:11] == ["ESTIMATE", "288000"]
    assert "min(floor(¥360,000 × 0.800), ¥500,000) = ¥288,000" in rows[3][12]
    # and the professional, or a token without talent:read, gets nothing
    other = await client.get(url, headers={"Authorization": f"Bearer {world.tokens['alice']}"})
    narrow = token_for(tokens, world.firm_owner, world.firm, scopes=frozenset({"projects:read"}))
    scoped = await client.get(url, headers={"Authorization": f"Bearer {narrow}"})
    assert (other.status_code, scoped.status_code) == (404, 403)
