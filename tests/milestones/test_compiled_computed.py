"""Progress, dependencies, baselines and activity, compiled, answer what the resolvers answer."""

from __future__ import annotations

import dataclasses
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import httpx2
import pytest

from conftest import StatementCounter
from milestones.conftest import Party, World
from renkei.db import unit_of_work
from renkei.graphql.compiled.spec import (
    MARK,
)
from renkei.graphql.relay import to_global_id
from renkei.milestones import baselines
from renkei.milestones import service as milestones
from renkei.milestones.models import Milestone, MilestoneStatus
from renkei.projects.models import Project

TODAY = date.today()

PROJECT = """
query Project($id: ID!) {
  project(id: $id) {
    name totalFundingJpy
    progress {
      percent formula totalWeight reason
      inputs { title weight progress status counted contribution milestone { id title status } }
    }
    milestones(first: 10) {
      nodes {
        title
        dependsOn { id title dueOn project { name } }
        dependents { title owner { name } }
        activity(first: 3) {
          edges {
            cursor
            node {
              id subjectType action before after createdAt
              actor { email } actingOrganization { name }
            }
          }
          pageInfo { hasNextPage endCursor }
        }
      }
    }
    baselines {
      id name createdAt createdBy { email } project { name }
      milestones { milestoneId title startsOn dueOn status progress weight }
      variance {
        compared late added removed maxSlipDays meanSlipDays
        items {
          milestoneId title change baselineDueOn currentDueOn slipDays statusThen statusNow
        }
      }
    }
    activity(first: 2) { nodes { action after } }
    participants(first: 5) { nodes { status activity(first: 2) { nodes { action } } } }
  }
}
"""
PORTFOLIO = """
query Portfolio {
  projects(first: 20) {
    nodes { name progress { percent totalWeight reason inputs { title contribution } } }
  }
}
"""


async def both(
    world: World,
    resolvers_only: httpx2.AsyncClient,
    counter: StatementCounter,
    query: str,
    variables: dict[str, Any],
    token: str,
    language: str | None = None,
) -> dict[str, Any]:
    """The compiled answer, after checking it is one statement and equals the resolvers', for a
    reader of `language` (Accept-Language) when given."""
    resolvers = dataclasses.replace(world, client=resolvers_only)
    with counter:
        compiled = await world.call(query, variables, token=token, language=language)
    statements = list(counter.statements)
    resolved = await resolvers.call(query, variables, token=token, language=language)
    assert compiled == resolved
    assert sum(MARK in s for s in statements) == 1
    return compiled


async def _status(world: World, party: Party, row: Milestone, status: MilestoneStatus) -> None:
    viewer = await world.viewer(party)
    async with unit_of_work(world.sessions, viewer) as session:
        await milestones.change_milestone_status(
            session,
            viewer,
            milestone_id=row.id,
            version=(await world.read(row.id)).version,
            status=status,
            progress=30 if status is MilestoneStatus.IN_PROGRESS else None,
        )


@pytest.fixture
async def plan(world: World) -> tuple[Party, Party, Project, list[Milestone]]:
    """A project led by `lead` with a partner: DONE, CANCELLED and fractional weights, a
    predecessor in a project the partner cannot see, and a baseline the plan has moved from."""
    lead, partner, other = (
        await world.party("熊本大学"),
        await world.party("鳥栖ファブ"),
        await world.party("札幌ICT"),
    )
    project = await world.project(lead, partner, name="半導体人材育成")
    elsewhere = await world.project(other, lead, name="北海道データセンター")
    rows = [
        await world.milestone(project, lead, "設計", TODAY + timedelta(days=10), weight=2),
        await world.milestone(project, lead, "試作", TODAY + timedelta(days=20), weight="1.5"),
        await world.milestone(project, lead, "旧計画", TODAY + timedelta(days=25), weight=4),
        await world.milestone(project, partner, "検証", TODAY + timedelta(days=40), weight="0.33"),
        await world.milestone(project, lead, "量産", TODAY + timedelta(days=60), weight="0.07"),
    ]
    hidden = await world.milestone(elsewhere, other, "用地確保", TODAY + timedelta(days=5))
    await world.depend(lead, hidden, rows[0])
    await world.depend(lead, rows[0], rows[1])
    await world.depend(lead, rows[1], rows[4])
    await _status(world, lead, rows[0], MilestoneStatus.IN_PROGRESS)
    await _status(world, lead, rows[1], MilestoneStatus.DONE)
    await _status(world, lead, rows[2], MilestoneStatus.CANCELLED)
    viewer = await world.viewer(lead)
    async with unit_of_work(world.sessions, viewer) as session:
        await baselines.create_baseline(session, viewer, project_id=project.id, name="採択時")
    # Since the baseline: one slips 9 days, one is cancelled, one is added.
    async with unit_of_work(world.sessions, viewer) as session:
        await milestones.update_milestone(
            session,
            viewer,
            milestone_id=rows[4].id,
            version=(await world.read(rows[4].id)).version,
            due_on=TODAY + timedelta(days=69),
        )
    await _status(world, partner, rows[3], MilestoneStatus.CANCELLED)
    rows.append(
        await world.milestone(project, lead, "追加検証", TODAY + timedelta(days=30), weight="1.1")
    )
    return lead, partner, project, rows


async def test_a_project_compiled_matches_the_resolvers_for_its_lead_and_its_partner(
    world: World,
    plan: tuple[Party, Party, Project, list[Milestone]],
    resolvers_only: httpx2.AsyncClient,
    statement_counter: StatementCounter,
) -> None:
    # given
    lead, partner, project, _ = plan
    variables = {"id": to_global_id("Project", project.id)}
    # when
    as_lead = await both(
        world, resolvers_only, statement_counter, PROJECT, variables, await world.token(lead)
    )
    as_partner = await both(
        world, resolvers_only, statement_counter, PROJECT, variables, await world.token(partner)
    )
    # then: (2×30 + 1.5×100 + 0.07×0 + 1.1×0) ÷ 4.67 = 44.967…, CANCELLED ones left out
    progress = as_lead["project"]["progress"]
    assert progress["percent"] == 45.0 and progress["totalWeight"] == 4.67
    assert progress["formula"].startswith("進捗率 = Σ(重み × 進捗率) ÷ Σ(重み)。")
    assert [i["contribution"] for i in progress["inputs"]] == [12.85, 32.12, None, 0.0, None, 0.0]
    by_title = {m["title"]: m for m in as_lead["project"]["milestones"]["nodes"]}
    assert [m["title"] for m in by_title["設計"]["dependsOn"]] == ["用地確保"]
    assert as_partner["project"]["milestones"]["nodes"][0]["dependsOn"] == []
    assert [m["title"] for m in by_title["試作"]["dependents"]] == ["量産"]
    variance = as_lead["project"]["baselines"][0]["variance"]
    assert (variance["compared"], variance["late"], variance["added"], variance["removed"]) == (
        3,
        1,
        1,
        1,
    )
    assert variance["maxSlipDays"] == 9 and variance["meanSlipDays"] == 3.0


async def test_progress_without_milestones_or_with_all_cancelled_compiled(
    world: World,
    resolvers_only: httpx2.AsyncClient,
    statement_counter: StatementCounter,
) -> None:
    # given
    lead = await world.party("佐賀銀行")
    await world.project(lead, name="空の計画")
    cancelled = await world.project(lead, name="中止した計画")
    row = await world.milestone(cancelled, lead, "調査", TODAY, weight=Decimal("2.5"))
    await _status(world, lead, row, MilestoneStatus.CANCELLED)
    # when
    data = await both(
        world, resolvers_only, statement_counter, PORTFOLIO, {}, await world.token(lead)
    )
    # then
    reasons = {p["name"]: p["progress"] for p in data["projects"]["nodes"]}
    assert reasons["空の計画"] == {
        "percent": None,
        "totalWeight": 0.0,
        "reason": "プロジェクトにはまだマイルストーンがありません。",
        "inputs": [],
    }
    assert reasons["中止した計画"]["reason"] == (
        "プロジェクトのマイルストーンがすべて中止されています。"
    )
    assert reasons["中止した計画"]["inputs"] == [{"title": "調査", "contribution": None}]
    # and in English for a reader who asks for it
    data = await both(
        world, resolvers_only, statement_counter, PORTFOLIO, {}, await world.token(lead), "en"
    )
    reasons = {p["name"]: p["progress"]["reason"] for p in data["projects"]["nodes"]}
    assert reasons == {
        "空の計画": "the project has no milestones yet",
        "中止した計画": "every milestone of the project is cancelled",
    }
