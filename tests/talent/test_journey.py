"""The journey around a match: no contract before the 面談."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from conftest import StatementCounter
from factories import graphql
from renkei.db import SessionFactory
from renkei.identity.tokens import TokenService
from talent.talent_world import TalentWorld, create_talent_world
from talent.test_compiled_talent import both, resolvers_only
from talent.test_match_lifecycle import RECORD, SCHEDULE, alices_match, step

__all__ = ["resolvers_only"]  # a fixture, imported for the tests below


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


ACTIVITY = """
query($id: ID!) {
  match(id: $id) { activity { step side status actor summary at } }
}
"""


async def activity(client: Any, token: str, match_id: str) -> list[dict[str, Any]] | None:
    read = await graphql(client, ACTIVITY, {"id": match_id}, token=token)
    assert "errors" not in read, read
    match = read["data"]["match"]
    return None if match is None else match["activity"]


async def test_each_step_is_in_the_activity_log_the_professional_by_pseudonym_until_accepted(
    client: Any, sessions: SessionFactory, world: TalentWorld
) -> None:
    # given Alice accepted the engine's proposal (she applies)
    match_id = await alices_match(sessions, world)
    firm, alice = world.tokens["firm"], world.tokens["alice"]
    applied = await step(client, "acceptMatch", alice, match_id)
    pseudonym = applied["match"]["professional"]["pseudonym"]

    # when the firm reads the match's activity
    before = await activity(client, firm, match_id)

    # then it reads her step by her pseudonym, never her name
    assert before is not None
    assert [(e["step"], e["side"], e["status"], e["actor"]) for e in before] == [
        ("accept", "PROFESSIONAL", "APPLIED", pseudonym)
    ]
    assert before[0]["summary"] == "マッチング: マッチングを承諾"
    assert "Alice" not in str(before)

    # when the firm accepts too and schedules the 面談
    await step(client, "acceptMatch", firm, match_id)
    await graphql(
        client,
        SCHEDULE,
        {"input": {"matchId": match_id, "at": "2099-03-10T10:00:00+09:00"}},
        token=firm,
    )
    after = await activity(client, firm, match_id)
    hers = await activity(client, alice, match_id)

    # then each step is listed with its side; both now read her name
    assert after is not None
    assert [(e["step"], e["side"], e["status"], e["actor"]) for e in after] == [
        ("accept", "PROFESSIONAL", "APPLIED", "Alice"),
        ("accept", "FIRM", "ACCEPTED", world.firm.name),
        ("scheduleInterview", "FIRM", "INTERVIEW", world.firm.name),
    ]
    assert hers == after
    # and another firm, or another professional, reads nothing of it
    assert await activity(client, world.tokens["other"], match_id) is None
    assert await activity(client, world.tokens["bob"], match_id) is None


async def test_a_refused_step_leaves_no_entry(
    client: Any, sessions: SessionFactory, world: TalentWorld
) -> None:
    # given a proposal nobody has accepted
    match_id = await alices_match(sessions, world)

    # when Alice confirms a contract (refused)
    refused = await step(client, "confirmContract", world.tokens["alice"], match_id)

    # then the log has no entry
    assert refused["userErrors"][0]["code"] == "INVALID"
    assert await activity(client, world.tokens["alice"], match_id) == []


async def test_the_compiled_activity_answers_as_the_resolvers_do(
    client: Any,
    resolvers_only: Any,
    statement_counter: StatementCounter,
    sessions: SessionFactory,
    world: TalentWorld,
) -> None:
    # given Alice applied: the firm reads her pseudonym
    match_id = await alices_match(sessions, world)
    firm, alice = world.tokens["firm"], world.tokens["alice"]
    await step(client, "acceptMatch", alice, match_id)
    applied = await both(
        client, resolvers_only, statement_counter, ACTIVITY, {"id": match_id}, firm
    )
    assert "Alice" not in str(applied)

    # when the firm accepts, both read the same steps, in each language, in one statement
    await step(client, "acceptMatch", firm, match_id)
    for token in (firm, alice):
        for language in ("ja", "en"):
            read = await both(
                client,
                resolvers_only,
                statement_counter,
                ACTIVITY,
                {"id": match_id},
                token,
                language,
            )
            assert [e["actor"] for e in read["match"]["activity"]] == ["Alice", world.firm.name]
