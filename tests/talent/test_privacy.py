"""Who sees whom: enforced by row-level security, read here in SQL as the application role."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from sqlalchemy import text

from factories import act_as, graphql
from renkei.db import SessionFactory, unit_of_work
from renkei.graphql.relay import to_global_id
from renkei.identity.models import User
from renkei.identity.tokens import TokenService
from renkei.organizations.models import Organization
from renkei.talent import lifecycle
from renkei.talent.models import Match
from talent.talent_world import TalentWorld, create_talent_world, proposals_of, recompute

MATCH = """
query($id: ID!) { match(id: $id) { status professional { pseudonym headline } contact { name } } }
"""


@pytest.fixture
async def world(sessions: SessionFactory, tokens: TokenService) -> TalentWorld:
    return await create_talent_world(sessions, tokens)


async def visible(
    sessions: SessionFactory, user: User, organization: Organization | None, sql: str
) -> list[Any]:
    viewer = await act_as(sessions, user, organization)
    async with unit_of_work(sessions, viewer) as session:
        return [row[0] for row in await session.execute(text(sql))]


async def professional_id_of(sessions: SessionFactory, user: User) -> uuid.UUID:
    found = await visible(
        sessions, user, None, f"SELECT id FROM professionals WHERE user_id = '{user.id}'"
    )
    return found[0]


async def a_match(sessions: SessionFactory, world: TalentWorld, user: User) -> Match:
    await recompute(sessions, world.need)
    professional_id = await professional_id_of(sessions, user)
    return next(
        m for m in await proposals_of(sessions, world.need) if m.professional_id == professional_id
    )


async def test_a_firm_reads_the_profile_but_not_the_identity_until_both_accept(
    sessions: SessionFactory, world: TalentWorld
) -> None:
    # given Alice proposed to the firm's need
    match = await a_match(sessions, world, world.alice)
    alice_id = match.professional_id
    firm = (world.firm_owner, world.firm)

    # then the firm sees her profile, not her name
    assert await visible(sessions, *firm, "SELECT pseudonym FROM professional_profiles") != []
    assert await visible(sessions, *firm, "SELECT full_name FROM professionals") == []

    # when only the firm accepts (scouts), still not
    viewer = await act_as(sessions, world.firm_owner, world.firm)
    async with unit_of_work(sessions, viewer) as session:
        await lifecycle.accept(session, viewer, match_id=match.id)
    assert await visible(sessions, *firm, "SELECT full_name FROM professionals") == []

    # when Alice accepts too
    viewer = await act_as(sessions, world.alice)
    async with unit_of_work(sessions, viewer) as session:
        await lifecycle.accept(session, viewer, match_id=match.id)

    # then the firm reads her identity, and only hers
    assert await visible(sessions, *firm, "SELECT full_name FROM professionals") == ["Alice"]
    assert await visible(sessions, *firm, "SELECT id FROM professionals") == [alice_id]
    # and another firm reads nothing of her, nor of the match
    other = (world.other_owner, world.other_firm)
    assert await visible(sessions, *other, "SELECT id FROM professionals") == []
    assert (
        await visible(sessions, *other, "SELECT professional_id FROM professional_profiles") == []
    )
    assert await visible(sessions, *other, "SELECT id FROM matches") == []


async def test_professionals_never_see_each_other(
    sessions: SessionFactory, world: TalentWorld
) -> None:
    # given Alice and Bob both proposed for the same need, and Alice's match accepted by both
    match = await a_match(sessions, world, world.alice)
    for user, organization in ((world.firm_owner, world.firm), (world.alice, None)):
        viewer = await act_as(sessions, user, organization)
        async with unit_of_work(sessions, viewer) as session:
            await lifecycle.accept(session, viewer, match_id=match.id)
    alice_id = match.professional_id

    # then Bob sees only his own rows, in every table
    bob = (world.bob, None)
    bob_id = await professional_id_of(sessions, world.bob)
    assert await visible(sessions, *bob, "SELECT id FROM professionals") == [bob_id]
    assert await visible(sessions, *bob, "SELECT professional_id FROM professional_profiles") == [
        bob_id
    ]
    assert set(await visible(sessions, *bob, "SELECT professional_id FROM matches")) <= {bob_id}
    assert alice_id not in await visible(sessions, *bob, "SELECT professional_id FROM matches")
    # and Carol, in no match, sees herself only
    carol = (world.carol, None)
    assert len(await visible(sessions, *carol, "SELECT id FROM professionals")) == 1
    assert await visible(sessions, *carol, "SELECT id FROM matches") == []


async def test_a_draft_need_is_the_firms_and_an_open_one_everyones(
    sessions: SessionFactory, world: TalentWorld
) -> None:
    # given the firm's open need and a draft
    from renkei.talent import service
    from talent.talent_world import need_fields

    viewer = await act_as(sessions, world.firm_owner, world.firm)
    async with unit_of_work(sessions, viewer) as session:
        draft = await service.create_need(session, viewer, values=need_fields(title="下書き"))

    # then the firm reads both, a professional and another firm only the open one
    sql = "SELECT title FROM talent_needs ORDER BY title"
    assert await visible(sessions, world.firm_owner, world.firm, sql) == [
        "下書き",
        "財務の立て直し",
    ]
    assert await visible(sessions, world.carol, None, sql) == ["財務の立て直し"]
    assert await visible(sessions, world.other_owner, world.other_firm, sql) == ["財務の立て直し"]
    assert draft.status.value == "DRAFT"


async def test_the_api_shows_the_contact_only_after_both_accept(
    client: Any, sessions: SessionFactory, world: TalentWorld
) -> None:
    # given Bob proposed to the firm
    match = await a_match(sessions, world, world.bob)
    match_id = to_global_id("Match", match.id)

    # when the firm, another firm and Alice read the match
    firm = await graphql(client, MATCH, {"id": match_id}, token=world.tokens["firm"])
    other = await graphql(client, MATCH, {"id": match_id}, token=world.tokens["other"])
    alice = await graphql(client, MATCH, {"id": match_id}, token=world.tokens["alice"])

    # then the firm sees a pseudonym and no contact; the others see no match at all
    seen = firm["data"]["match"]
    assert seen["status"] == "PROPOSED"
    assert seen["professional"]["pseudonym"].startswith("人材-")
    assert "Bob" not in seen["professional"]["pseudonym"]
    assert seen["contact"] is None
    assert other["data"]["match"] is None
    assert alice["data"]["match"] is None
