"""matchingReport: the whole for the platform's operators, one need for its own firm."""

from __future__ import annotations

from typing import Any

import pytest

from factories import create_user, graphql, token_for
from renkei.db import SessionFactory, unit_of_work
from renkei.graphql.relay import to_global_id
from renkei.identity.tokens import TokenService
from renkei.operators import service as operators
from renkei.tenancy import Viewer
from talent.talent_world import TalentWorld, create_talent_world

REPORT = """
query($need: ID) {
  matchingReport(needId: $need) {
    needId stable blockingPairs needs professionals professionalsEligible
    professionalsProposed coverage proposals allocated maxExposure meanExposure
  }
}
"""


@pytest.fixture
async def world(sessions: SessionFactory, tokens: TokenService) -> TalentWorld:
    return await create_talent_world(sessions, tokens)


async def report(client: Any, token: str, need: str | None = None) -> dict[str, Any] | None:
    read = await graphql(client, REPORT, {"need": need}, token=token)
    assert "errors" not in read, read
    return read["data"]["matchingReport"]  # type: ignore[no-any-return]


async def test_an_operator_reads_the_whole_and_a_firm_its_own_need(
    client: Any, sessions: SessionFactory, tokens: TokenService, world: TalentWorld
) -> None:
    # given an operator, and the firm's open need (Alice and Bob fit it, Carol does not)
    operator = await create_user(sessions, "ops@renkei.example", "Ops")
    async with unit_of_work(sessions, Viewer.platform()) as session:
        await operators.grant(session, email="ops@renkei.example", granted_by="test")
    need = to_global_id("TalentNeed", world.need.id)

    # when the operator reads the whole, and the firm its need
    whole = await report(client, token_for(tokens, operator))
    own = await report(client, world.tokens["firm"], need)

    # then both read a stable allocation, the whole over every open need
    assert whole is not None and own is not None
    assert whole["needId"] is None
    assert whole["stable"] is True and whole["blockingPairs"] == 0
    assert whole["needs"] == 1 and whole["professionals"] == 3
    assert whole["professionalsProposed"] == whole["professionalsEligible"] == 2
    assert whole["coverage"] == 1.0
    assert whole["maxExposure"] == 1 and whole["meanExposure"] == 1.0
    assert own["needId"] == need
    assert own["needs"] == 1 and own["proposals"] == 2 and own["allocated"] == 1


async def test_another_firm_or_a_professional_reads_nothing(
    client: Any, world: TalentWorld
) -> None:
    # given the firm's need
    need = to_global_id("TalentNeed", world.need.id)

    # when another firm asks for it, the firm asks for the whole, or a professional asks
    other = await report(client, world.tokens["other"], need)
    whole = await report(client, world.tokens["firm"])
    alice = await report(client, world.tokens["alice"], need)

    # then each reads null
    assert other is None and whole is None and alice is None
