"""The journey around a match: no contract before the 面談."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from factories import graphql
from renkei.db import SessionFactory
from renkei.identity.tokens import TokenService
from talent.talent_world import TalentWorld, create_talent_world
from talent.test_match_lifecycle import RECORD, SCHEDULE, alices_match, step


@pytest.fixture
async def world(sessions: SessionFactory, tokens: TokenService) -> TalentWorld:
    return await create_talent_world(sessions, tokens)


async def accepted_match(client: Any, sessions: SessionFactory, world: TalentWorld) -> str:
    match_id = await alices_match(sessions, world)
    await step(client, "acceptMatch", world.tokens["alice"], match_id)
    await step(client, "acceptMatch", world.tokens["firm"], match_id)
    return match_id


def _terms(match_id: str) -> dict[str, Any]:
    return {
        "input": {
            "matchId": match_id,
            "feeJpy": 200000,
            "hoursPerMonth": 20,
            "startsOn": "2027-04-01",
        }
    }


async def test_no_contract_is_recorded_or_confirmed_before_the_interview(
    client: Any, sessions: SessionFactory, world: TalentWorld
) -> None:
    # given a 面談 scheduled for 2099-03-10, still ahead
    match_id = await accepted_match(client, sessions, world)
    firm, alice = world.tokens["firm"], world.tokens["alice"]
    scheduled = await graphql(
        client,
        SCHEDULE,
        {"input": {"matchId": match_id, "at": "2099-03-10T10:00:00+09:00"}},
        token=firm,
    )
    assert scheduled["data"]["scheduleInterview"]["match"]["allowedSteps"] == [
        "withdraw",
        "scheduleInterview",
    ]

    # when the firm records the terms, or Alice confirms a contract
    recorded = await graphql(client, RECORD, _terms(match_id), token=firm)
    confirmed = await step(client, "confirmContract", alice, match_id)

    # then both are refused, in Japanese, and nothing is recorded
    refusal = {
        "field": "matchId",
        "code": "INVALID",
        "message": "面談は2099年3月10日の予定です。契約はその後に記録・確認してください。",
    }
    assert recorded["data"]["recordContract"] == {"match": None, "userErrors": [refusal]}
    assert confirmed["userErrors"] == [refusal]
    read = await graphql(
        client,
        "query($id: ID!) { match(id: $id) { contract { feeJpy } } }",
        {"id": match_id},
        token=firm,
    )
    assert read["data"]["match"]["contract"] is None


async def test_once_the_interview_has_taken_place_the_firm_records_the_contract(
    client: Any, sessions: SessionFactory, world: TalentWorld
) -> None:
    # given a 面談 that took place an hour ago
    match_id = await accepted_match(client, sessions, world)
    firm = world.tokens["firm"]
    held = (datetime.now(UTC) - timedelta(hours=1)).isoformat()
    await graphql(client, SCHEDULE, {"input": {"matchId": match_id, "at": held}}, token=firm)

    # when the firm records the terms
    recorded = await graphql(client, RECORD, _terms(match_id), token=firm)

    # then they are recorded, and the professional may confirm them
    assert recorded["data"]["recordContract"]["userErrors"] == []
    assert recorded["data"]["recordContract"]["match"]["contract"]["feeJpy"] == 200000
