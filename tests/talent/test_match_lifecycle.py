"""A proposal carried to a contract through the API, and each wrong step refused."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from factories import act_as, graphql
from renkei.db import SessionFactory, unit_of_work
from renkei.graphql.relay import to_global_id
from renkei.identity.tokens import TokenService
from renkei.talent import service
from renkei.talent.models import Match, MatchStatus, NeedStatus
from renkei.tenancy import Viewer
from talent.talent_world import TalentWorld, create_talent_world, proposals_of, recompute

MATCH_FIELDS = """
  id status version allowedSteps
  professional { pseudonym headline }
  contact { name email employer }
  contract { feeJpy hoursPerMonth startsOn endsOn confirmedAt }
"""

STEP = """
mutation Step($input: MatchStepInput!) {
  %s(input: $input) { match { %s } userErrors { field code message } }
}
"""

SCHEDULE = f"""
mutation Schedule($input: ScheduleInterviewInput!) {{
  scheduleInterview(input: $input) {{
    match {{ {MATCH_FIELDS} }} userErrors {{ field code message }}
  }}
}}
"""

RECORD = f"""
mutation Record($input: RecordContractInput!) {{
  recordContract(input: $input) {{ match {{ {MATCH_FIELDS} }} userErrors {{ field code message }} }}
}}
"""

APPLY = f"""
mutation Apply($input: ApplyToNeedInput!) {{
  applyToNeed(input: $input) {{ match {{ {MATCH_FIELDS} }} userErrors {{ field code message }} }}
}}
"""

MY_MATCHES = """
query {
  matches { nodes { status need { title } professional { pseudonym } explanation { points text } } }
}
"""


@pytest.fixture
async def world(sessions: SessionFactory, tokens: TokenService) -> TalentWorld:
    return await create_talent_world(sessions, tokens)


async def step(
    client: Any,
    name: str,
    token: str,
    match_id: str,
    *,
    language: str | None = None,
    **extra: Any,
) -> dict[str, Any]:
    """Take a step as the token's user; `language` is sent as Accept-Language."""
    headers = {"Authorization": f"Bearer {token}"}
    if language is not None:
        headers["Accept-Language"] = language
    response = await client.post(
        "/graphql",
        json={
            "query": STEP % (name, MATCH_FIELDS),
            "variables": {"input": {"matchId": match_id, **extra}},
        },
        headers=headers,
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert "errors" not in body, body
    return body["data"][name]


async def alices_match(sessions: SessionFactory, world: TalentWorld) -> str:
    await recompute(sessions, world.need)
    for match in await proposals_of(sessions, world.need):
        async with unit_of_work(sessions, Viewer.platform()) as session:
            from renkei.talent.models import Professional

            owner = await session.scalar(
                select(Professional.user_id).where(Professional.id == match.professional_id)
            )
        if owner == world.alice.id:
            return to_global_id("Match", match.id)
    raise AssertionError("Alice was not proposed")


async def test_a_professional_accepts_a_proposal_and_carries_it_to_a_contract(
    client: Any, sessions: SessionFactory, world: TalentWorld
) -> None:
    # given the engine proposed Alice for the firm's need
    match_id = await alices_match(sessions, world)
    alice, firm = world.tokens["alice"], world.tokens["firm"]
    listed = await graphql(client, MY_MATCHES, token=alice)
    assert listed["data"]["matches"]["nodes"][0]["status"] == "PROPOSED"
    assert listed["data"]["matches"]["nodes"][0]["explanation"]

    # when Alice accepts (she applies), then the firm accepts
    applied = await step(client, "acceptMatch", alice, match_id)
    assert applied["userErrors"] == []
    assert applied["match"]["status"] == "APPLIED"
    before = await graphql(
        client,
        "query($id: ID!) { match(id: $id) { contact { name } } }",
        {"id": match_id},
        token=firm,
    )
    accepted = await step(client, "acceptMatch", firm, match_id)

    # then the firm sees her contact only from now on
    assert before["data"]["match"]["contact"] is None
    assert accepted["match"]["status"] == "ACCEPTED"
    assert accepted["match"]["contact"] == {
        "name": "Alice",
        "email": "alice@example.jp",
        "employer": "Alice 商事",
    }

    # when the firm schedules the 面談 and records the terms, and Alice confirms them
    scheduled = await graphql(
        client,
        SCHEDULE,
        {"input": {"matchId": match_id, "at": "2026-03-10T10:00:00+09:00"}},
        token=firm,
    )
    assert scheduled["data"]["scheduleInterview"]["match"]["status"] == "INTERVIEW"
    recorded = await graphql(
        client,
        RECORD,
        {
            "input": {
                "matchId": match_id,
                "feeJpy": 200000,
                "hoursPerMonth": 20,
                "startsOn": "2026-04-01",
                "endsOn": "2026-09-30",
            }
        },
        token=firm,
    )
    assert recorded["data"]["recordContract"]["userErrors"] == []
    assert recorded["data"]["recordContract"]["match"]["allowedSteps"] == [
        "withdraw",
        "scheduleInterview",
        "recordContract",
    ]
    confirmed = await step(client, "confirmContract", alice, match_id)

    # then the match is contracted on those terms
    assert confirmed["userErrors"] == []
    assert confirmed["match"]["status"] == "CONTRACTED"
    contract = confirmed["match"]["contract"]
    assert contract["feeJpy"] == 200000
    assert contract["startsOn"] == "2026-04-01"
    assert contract["confirmedAt"] is not None
    assert confirmed["match"]["allowedSteps"] == ["start"]


async def test_each_wrong_step_is_refused_and_changes_nothing(
    client: Any, sessions: SessionFactory, world: TalentWorld
) -> None:
    # given a proposal Alice has accepted (APPLIED)
    match_id = await alices_match(sessions, world)
    alice, firm = world.tokens["alice"], world.tokens["firm"]
    await step(client, "acceptMatch", alice, match_id)

    # when Alice accepts again (reading Japanese, then English), confirms a contract, or the
    # firm confirms one
    again = await step(client, "acceptMatch", alice, match_id)
    again_in_english = await step(client, "acceptMatch", alice, match_id, language="en")
    confirm = await step(client, "confirmContract", alice, match_id)
    scheduled = await graphql(
        client,
        SCHEDULE,
        {"input": {"matchId": match_id, "at": "2026-03-10T10:00:00+09:00"}},
        token=firm,
    )
    other = await step(client, "acceptMatch", world.tokens["other"], match_id)
    bob = await step(client, "withdrawMatch", world.tokens["bob"], match_id)

    # then each is refused with the steps allowed, in the reader's language
    assert again["userErrors"] == [
        {
            "field": "matchId",
            "code": "FORBIDDEN",
            "message": "「応募済み」のマッチングで accept を行えるのは企業側だけです。"
            "現在行える操作: withdraw。",
        }
    ]
    assert again_in_english["userErrors"] == [
        {
            "field": "matchId",
            "code": "FORBIDDEN",
            "message": "Only the firm may take the step accept on a match that is applied."
            " Steps you may take now: withdraw.",
        }
    ]
    assert confirm["userErrors"][0]["code"] == "INVALID"
    assert confirm["userErrors"][0]["message"] == (
        "「応募済み」のマッチングでは confirmContract を行えません。現在行える操作: withdraw。"
    )
    assert scheduled["data"]["scheduleInterview"]["userErrors"][0]["code"] == "INVALID"
    # and another firm or another professional cannot even find it
    assert other["userErrors"][0]["code"] == "NOT_FOUND"
    assert bob["userErrors"][0]["code"] == "NOT_FOUND"
    async with unit_of_work(sessions, Viewer.platform()) as session:
        rows = (await session.scalars(select(Match).where(Match.need_id == world.need.id))).all()
    alice_row = next(m for m in rows if to_global_id("Match", m.id) == match_id)
    assert alice_row.status is MatchStatus.APPLIED
    assert alice_row.firm_accepted_at is None


async def test_a_stale_version_conflicts_and_writes_nothing(
    client: Any, sessions: SessionFactory, world: TalentWorld
) -> None:
    # given Alice read her proposal at version 1, then accepted it
    match_id = await alices_match(sessions, world)
    alice, firm = world.tokens["alice"], world.tokens["firm"]
    first = await step(client, "acceptMatch", alice, match_id, version=1)
    assert first["userErrors"] == []

    # when the firm declines on the version it read before (in Japanese, then in English)
    stale = await step(client, "declineMatch", firm, match_id, version=1)
    stale_in_english = await step(
        client, "declineMatch", firm, match_id, version=1, language="en-US,en;q=0.9"
    )

    # then it conflicts and the match is still APPLIED
    assert stale["userErrors"] == [
        {
            "field": "version",
            "code": "CONFLICT",
            "message": "マッチングは読み込んだ後に変更されています"
            "（読み込んだ版: 1、現在の版: 2）。再読み込みしてからやり直してください。",
        }
    ]
    assert stale_in_english["userErrors"] == [
        {
            "field": "version",
            "code": "CONFLICT",
            "message": "The match changed since you read it (you read version 1, it is now"
            " version 2). Reload it and try again.",
        }
    ]
    now = await graphql(
        client,
        "query($id: ID!) { match(id: $id) { status version } }",
        {"id": match_id},
        token=firm,
    )
    assert now["data"]["match"] == {"status": "APPLIED", "version": 2}


async def test_a_professional_applies_to_an_open_need_and_the_firm_declines(
    client: Any, world: TalentWorld
) -> None:
    # when Carol applies to the open need (she was not proposed)
    need_id = to_global_id("TalentNeed", world.need.id)
    applied = await graphql(
        client, APPLY, {"input": {"needId": need_id}}, token=world.tokens["carol"]
    )
    match = applied["data"]["applyToNeed"]["match"]
    again = await graphql(
        client, APPLY, {"input": {"needId": need_id}}, token=world.tokens["carol"]
    )
    declined = await step(client, "declineMatch", world.tokens["firm"], match["id"])

    # then the firm saw her anonymized profile and declined
    assert match["status"] == "APPLIED"
    assert match["professional"]["pseudonym"].startswith("人材-")
    assert again["data"]["applyToNeed"]["userErrors"] == [
        {
            "field": "needId",
            "code": "DUPLICATE",
            "message": "あなたはすでにこの募集とのマッチングがあります（「応募済み」）。",
        }
    ]
    assert declined["match"]["status"] == "DECLINED"
    assert declined["match"]["professional"]["pseudonym"] == match["professional"]["pseudonym"]
    assert declined["match"]["contact"] is None


async def test_applying_to_a_paused_need_is_refused_in_the_readers_language(
    client: Any, sessions: SessionFactory, world: TalentWorld
) -> None:
    # given Alice was proposed for the need, which the firm then paused
    await alices_match(sessions, world)
    firm = await act_as(sessions, world.firm_owner, world.firm)
    async with unit_of_work(sessions, firm) as session:
        await service.change_need_status(
            session, firm, need_id=world.need.id, status=NeedStatus.PAUSED
        )

    # when Alice applies, reading Japanese, then English
    variables = {"input": {"needId": to_global_id("TalentNeed", world.need.id)}}
    japanese = await graphql(client, APPLY, variables, token=world.tokens["alice"])
    english = await client.post(
        "/graphql",
        json={"query": APPLY, "variables": variables},
        headers={"Authorization": f"Bearer {world.tokens['alice']}", "Accept-Language": "en"},
    )

    # then she reads why, with the need's status in her words
    assert japanese["data"]["applyToNeed"]["userErrors"] == [
        {
            "field": "needId",
            "code": "INVALID",
            "message": "この募集は「一時停止中」のため、応募を受け付けていません。",
        }
    ]
    assert english.json()["data"]["applyToNeed"]["userErrors"] == [
        {
            "field": "needId",
            "code": "INVALID",
            "message": "This need is paused, not open to applications.",
        }
    ]
