"""An organization's project invitations compiled: the same list, read in one statement."""

from __future__ import annotations

from typing import Any

import httpx2

from conftest import StatementCounter
from factories import act_as, graphql
from projects.conftest import Party, World
from renkei.db import unit_of_work
from renkei.graphql.compiled.planner import FALLBACKS
from renkei.graphql.compiled.spec import MARK
from renkei.projects import service as projects
from renkei.projects.models import ParticipantRole, Project

INVITATIONS = """
query Invitations {
  projectInvitations {
    id role status respondedAt createdAt
    project { name lead { name } }
    organization { name }
  }
}
"""


def _fallbacks() -> float:
    return sum(s.value for m in FALLBACKS.collect() for s in m.samples if s.name.endswith("_total"))


async def _invite(world: World, project: Project, lead: Party, guest: Party) -> None:
    viewer = await act_as(world.sessions, lead.owner, lead.organization)
    async with unit_of_work(world.sessions, viewer) as session:
        await projects.invite_participant(
            session,
            viewer,
            project_id=project.id,
            organization_id=guest.id,
            role=ParticipantRole.PARTNER,
        )


async def _both(
    client: httpx2.AsyncClient,
    resolvers_only: httpx2.AsyncClient,
    counter: StatementCounter,
    token: str,
) -> list[dict[str, Any]]:
    before = _fallbacks()
    with counter:
        compiled = await graphql(client, INVITATIONS, {}, token=token)
    compiled_statements = sum(MARK in s for s in counter.statements)
    fallbacks = _fallbacks() - before
    resolved = await graphql(resolvers_only, INVITATIONS, {}, token=token)
    assert "errors" not in resolved, resolved
    assert compiled == resolved
    assert (compiled_statements, fallbacks) == (1, 0)
    invitations: list[dict[str, Any]] = compiled["data"]["projectInvitations"]
    return invitations


async def test_invitations_compiled_match_the_resolvers(
    client: httpx2.AsyncClient,
    resolvers_only: httpx2.AsyncClient,
    statement_counter: StatementCounter,
    world: World,
) -> None:
    # given a university invited to two projects and taking part in a third
    lead = await world.party("熊本半導体クラスター")
    university = await world.party("熊本大学")
    chips = await world.project(lead, "九州半導体人材育成")
    water = await world.project(lead, "地下水保全")
    joined = await world.project(lead, "共同研究")
    await _invite(world, water, lead, university)
    await _invite(world, chips, lead, university)
    await world.join(joined, lead, university, ParticipantRole.PARTNER)
    # when its invitations are read both ways
    waiting = await _both(client, resolvers_only, statement_counter, await world.token(university))
    # then both list the two waiting, oldest first, and not the one answered
    assert [(i["project"]["name"], i["status"]) for i in waiting] == [
        ("地下水保全", "INVITED"),
        ("九州半導体人材育成", "INVITED"),
    ]
    # and the lead, invited nowhere, has none either way
    assert await _both(client, resolvers_only, statement_counter, await world.token(lead)) == []
