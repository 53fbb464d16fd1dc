"""The published report: a 404 for everyone until published, then a Japanese page anyone
reads; the API shows an unpublished round to the region's members only."""

from __future__ import annotations

from datetime import date

import httpx2

from factories import graphql, token_for
from kpis.world import World
from renkei.db import unit_of_work
from renkei.evaluations import service
from renkei.evaluations.models import EvaluationRound, FindingKind
from renkei.graphql.relay import to_global_id
from renkei.identity.tokens import TokenService
from renkei.tenancy import MembershipRole

ROUNDS = """
query Rounds($region: ID!) {
  evaluationRounds(regionId: $region) {
    id title heldOn recordedAt publishedAt reportUrl sectorsPresent sectorsMissing
    participants { organizationName kind category }
    kpiReviews { kpiName baseline target targetPeriod latest percent achieved reasonCode frozenAt }
    findings { kind body ownerName dueOn milestoneId }
  }
}
"""
PUBLISH = """
mutation Publish($id: ID!) {
  publishEvaluationRound(input: {id: $id}) {
    evaluationRound { publishedAt recordedAt }
    userErrors { field code message }
  }
}
"""


async def _round_with_content(world: World) -> EvaluationRound:
    kpi = await world.kpi(
        region=world.region, name="半導体人材の育成数", baseline=100, targets={2026: 200}
    )
    await world.observe(kpi, date(2026, 6, 1), date(2026, 6, 30), 150, party=world.regional)
    viewer = await world.viewer(world.secretariat)
    async with unit_of_work(world.sessions, viewer) as session:
        found = await service.create_round(
            session,
            viewer,
            region_id=world.region.id,
            title="令和8年度 第1回 効果検証会議",
            held_on=date(2026, 7, 15),
        )
        for party in (world.lead, world.regional):
            await service.add_participant(
                session, viewer, round_id=found.id, organization_id=party.id
            )
        await service.add_kpi_review(session, viewer, round_id=found.id, kpi_id=kpi.id)
        await service.add_finding(
            session,
            viewer,
            round_id=found.id,
            kind=FindingKind.FINDING,
            body="育成数は計画どおりに伸びている",
        )
    return found


async def test_an_unpublished_report_is_not_found_then_published_it_is_read_by_anyone(
    world: World, client: httpx2.AsyncClient, tokens: TokenService
):
    # given a round not yet published
    found = await _round_with_content(world)
    url = f"/reports/evaluations/{found.id}"
    # when anyone asks for its report, then it is not there
    assert (await client.get(url)).status_code == 404
    # when the secretariat publishes it
    owner = world.secretariat.people[MembershipRole.OWNER]
    token = token_for(tokens, owner, world.secretariat.organization)
    gid = to_global_id("EvaluationRound", found.id)
    body = await graphql(client, PUBLISH, {"id": gid}, token=token)
    assert body["data"]["publishEvaluationRound"]["userErrors"] == []
    # then anyone reads it, in Japanese, with a print stylesheet
    response = await client.get(url)
    assert response.status_code == 200
    page = response.text
    assert '<html lang="ja">' in page
    assert "令和8年度 第1回 効果検証会議" in page
    assert "半導体人材の育成数" in page
    assert "50%" in page
    assert "育成数は計画どおりに伸びている" in page
    assert "/static/report.css" in page
    css = await client.get("/static/report.css")
    assert "@media print" in css.text
    # and by its global id too
    assert (await client.get(f"/reports/evaluations/{gid}")).status_code == 200


async def test_the_api_shows_an_unpublished_round_to_the_regions_members_only(
    world: World, client: httpx2.AsyncClient, tokens: TokenService
):
    found = await _round_with_content(world)
    region = to_global_id("Region", world.region.id)
    member = token_for(
        tokens, world.regional.people[MembershipRole.OWNER], world.regional.organization
    )
    outsider = token_for(
        tokens, world.outsider.people[MembershipRole.OWNER], world.outsider.organization
    )
    # when a member and an outsider list the region's rounds
    seen = await graphql(client, ROUNDS, {"region": region}, token=member)
    hidden = await graphql(client, ROUNDS, {"region": region}, token=outsider)
    # then the member sees the draft, the outsider nothing
    (draft,) = seen["data"]["evaluationRounds"]
    assert hidden["data"]["evaluationRounds"] == []
    assert draft["publishedAt"] is None and draft["recordedAt"] is None
    # (the test organizations are firms: 産 took part, the five others did not)
    assert [p["category"] for p in draft["participants"]] == ["INDUSTRY", "INDUSTRY"]
    assert draft["sectorsPresent"] == ["INDUSTRY"]
    assert draft["sectorsMissing"] == [
        "GOVERNMENT",
        "ACADEMIA",
        "FINANCE",
        "LABOR",
        "MEDIA",
    ]
    assert draft["kpiReviews"][0]["percent"] == 50.0
    assert draft["kpiReviews"][0]["targetPeriod"] == "FY2026"
    # and a member that is not the secretariat's admin may not publish it
    refused = await graphql(
        client, PUBLISH, {"id": to_global_id("EvaluationRound", found.id)}, token=member
    )
    (error,) = refused["data"]["publishEvaluationRound"]["userErrors"]
    assert error["code"] == "FORBIDDEN"
    # once published, the outsider reads it too
    viewer = await world.viewer(world.secretariat)
    async with unit_of_work(world.sessions, viewer) as session:
        await service.publish_round(session, viewer, round_id=found.id)
    shown = await graphql(client, ROUNDS, {"region": region}, token=outsider)
    assert [r["title"] for r in shown["data"]["evaluationRounds"]] == [
        "令和8年度 第1回 効果検証会議"
    ]


async def test_compiled_and_resolver_reads_agree(
    world: World,
    client: httpx2.AsyncClient,
    resolvers_only: httpx2.AsyncClient,
    tokens: TokenService,
):
    await _round_with_content(world)
    region = to_global_id("Region", world.region.id)
    member = token_for(
        tokens, world.regional.people[MembershipRole.OWNER], world.regional.organization
    )
    compiled = await graphql(client, ROUNDS, {"region": region}, token=member)
    resolved = await graphql(resolvers_only, ROUNDS, {"region": region}, token=member)
    assert compiled == resolved
    assert "errors" not in compiled
