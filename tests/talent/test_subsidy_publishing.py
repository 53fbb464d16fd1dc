"""Who publishes a prefecture's subsidy scheme: its own owners and admins, or an operator."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy.exc import DBAPIError

from factories import act_as, create_organization, create_user, graphql, token_for
from renkei.db import SessionFactory, unit_of_work
from renkei.identity.tokens import TokenService
from renkei.operators import service as operators
from renkei.organizations.models import OrganizationKind
from renkei.talent.models import SubsidyScheme
from renkei.tenancy import Viewer
from talent.talent_world import TalentWorld, create_talent_world

PUBLISH = """
mutation Publish($input: PublishSubsidySchemeInput!) {
  publishSubsidyScheme(input: $input) {
    subsidyScheme {
      name rate capJpy eligibleCostKinds firstUseOnly tierRank deadlineDays deadlineBasis
      sourceUrl unconfirmedFields prefecture { code }
    }
    userErrors { field code message }
  }
}
"""

FUKUOKA_TIER = {
    "prefectureCode": "40",
    "fiscalYear": 2025,
    "name": "福岡県 副業・兼業人材活用促進補助金",
    "rate": 0.5,
    "capJpy": 500_000,
    "eligibleCostKinds": ["FEE", "TRAVEL", "PLACEMENT_FEE"],
    "firstUseOnly": True,
    "sourceUrl": "https://joseikin-insight.com/grants/",
    "unconfirmedFields": ["rate", "eligible_cost_kinds"],
}

REFUSED = {
    "field": "prefectureCode",
    "code": "FORBIDDEN",
    "message": "補助制度を公開できるのは、その都道府県（確認済みの組織）のオーナー・管理者、"
    "またはプラットフォーム運営者だけです。",
}


@pytest.fixture
async def world(sessions: SessionFactory, tokens: TokenService) -> TalentWorld:
    return await create_talent_world(sessions, tokens)


async def prefecture(sessions: SessionFactory, code: str, name: str, lg_code: str) -> Any:
    owner = await create_user(sessions, f"owner@pref-{code}.example")
    organization = await create_organization(
        sessions,
        owner,
        name=name,
        kind=OrganizationKind.PREFECTURE,
        home_prefecture_code=code,
        local_government_code=lg_code,
    )
    return owner, organization


async def publish(client: Any, token: str, **overrides: Any) -> dict[str, Any]:
    body = await graphql(client, PUBLISH, {"input": {**FUKUOKA_TIER, **overrides}}, token=token)
    assert "errors" not in body, body
    return body["data"]["publishSubsidyScheme"]


async def test_the_prefecture_publishes_and_updates_its_tier(
    client: Any, sessions: SessionFactory, tokens: TokenService
) -> None:
    # given 福岡県's owner
    owner, fukuoka = await prefecture(sessions, "40", "福岡県", "400009")
    token = token_for(tokens, owner, fukuoka)

    # when it publishes a tier, then publishes it again with a deadline
    first = await publish(client, token)
    second = await publish(client, token, deadlineDays=14, deadlineBasis="CONTRACT")

    # then the tier exists once, as last published
    assert first["userErrors"] == []
    assert second["userErrors"] == []
    assert second["subsidyScheme"] == {
        "name": "福岡県 副業・兼業人材活用促進補助金",
        "rate": 0.5,
        "capJpy": 500_000.0,
        "eligibleCostKinds": ["FEE", "TRAVEL", "PLACEMENT_FEE"],
        "firstUseOnly": True,
        "tierRank": 0,
        "deadlineDays": 14,
        "deadlineBasis": "CONTRACT",
        "sourceUrl": "https://joseikin-insight.com/grants/",
        "unconfirmedFields": ["rate", "eligible_cost_kinds"],
        "prefecture": {"code": "40"},
    }
    listed = await graphql(client, '{ subsidySchemes(prefectureCode: "40") { name } }', token=token)
    assert len(listed["data"]["subsidySchemes"]) == 1


async def test_another_prefecture_and_a_firm_may_not_publish(
    client: Any, sessions: SessionFactory, tokens: TokenService, world: TalentWorld
) -> None:
    # given 熊本県's owner and a firm in 福岡
    owner, kumamoto = await prefecture(sessions, "43", "熊本県", "430005")

    # when each tries to publish 福岡's tier
    other = await publish(client, token_for(tokens, owner, kumamoto))
    firm = await publish(client, world.tokens["firm"])

    # then both are refused, in Japanese, and nothing is published
    assert other == {"subsidyScheme": None, "userErrors": [REFUSED]}
    assert firm == {"subsidyScheme": None, "userErrors": [REFUSED]}
    listed = await graphql(
        client, '{ subsidySchemes(prefectureCode: "40") { name } }', token=world.tokens["firm"]
    )
    assert listed["data"]["subsidySchemes"] == []


async def test_an_operator_publishes_and_bad_values_are_user_errors(
    client: Any, sessions: SessionFactory, tokens: TokenService
) -> None:
    operator = await create_user(sessions, "operator@renkei.example")
    async with unit_of_work(sessions, Viewer.platform()) as session:
        await operators.grant(session, email=operator.email, granted_by="test")
    token = token_for(tokens, operator)

    published = await publish(client, token)
    too_high = await publish(client, token, rate=1.5)
    half_deadline = await publish(client, token, deadlineDays=5)

    assert published["userErrors"] == []
    assert too_high["userErrors"] == [
        {
            "field": "rate",
            "code": "INVALID",
            "message": "補助率は0より大きく1以下で入力してください。",
        }
    ]
    assert half_deadline["userErrors"][0]["field"] == "deadlineDays"


def fukuoka_row() -> SubsidyScheme:
    return SubsidyScheme(
        prefecture_code="40",
        fiscal_year=2025,
        name="直接",
        rate=Decimal("0.5"),
        cap_jpy=1,
        eligible_cost_kinds=["FEE"],
    )


async def test_row_level_security_refuses_writes_of_others(
    sessions: SessionFactory, world: TalentWorld
) -> None:
    # given a firm's owner and 熊本県's owner, acting for their organizations
    firm = await act_as(sessions, world.firm_owner, world.firm)
    owner, kumamoto = await prefecture(sessions, "43", "熊本県", "430005")
    other = await act_as(sessions, owner, kumamoto)
    fukuoka_owner, fukuoka = await prefecture(sessions, "40", "福岡県", "400009")
    own = await act_as(sessions, fukuoka_owner, fukuoka)

    # when each writes a 福岡 row past the service, then the database refuses the others
    for viewer in (firm, other):
        with pytest.raises(DBAPIError, match="row-level security"):
            async with unit_of_work(sessions, viewer) as session:
                session.add(fukuoka_row())
                await session.flush()
    async with unit_of_work(sessions, own) as session:
        session.add(fukuoka_row())
        await session.flush()
    # and a row the firm reads is one it cannot change
    async with unit_of_work(sessions, firm) as session:
        row = (await session.execute(SubsidyScheme.__table__.select())).first()
        assert row is not None
        updated = await session.execute(
            SubsidyScheme.__table__.update().values(cap_jpy=2).returning(SubsidyScheme.id)
        )
        assert updated.all() == []
