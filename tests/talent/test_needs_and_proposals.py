"""Needs' rules, one's own profile, and the engine's proposals stored through the database."""

from __future__ import annotations

from typing import Any

import pytest

from factories import act_as, add_member, create_user, graphql
from renkei.db import SessionFactory, unit_of_work
from renkei.errors import Conflict, Forbidden, Invalid
from renkei.identity.tokens import TokenService
from renkei.talent import proposals, service
from renkei.talent.models import MatchStatus, NeedStatus
from renkei.tenancy import MembershipRole, Viewer
from talent.talent_world import (
    TalentWorld,
    create_talent_world,
    need_fields,
    profile_fields,
    proposals_of,
    recompute,
)

CREATE = """
mutation Create($input: CreateTalentNeedInput!) {
  createTalentNeed(input: $input) {
    talentNeed { title status requiredSkills { skill { slug nameJa } weight } allowedTransitions }
    userErrors { field code message }
  }
}
"""

SKILLS = "query($s: String) { skills(search: $s) { slug nameJa } }"

MY_PROFILE = (
    "query { myProfessionalProfile { pseudonym headline skills { skill { slug } level } } }"
)


@pytest.fixture
async def world(sessions: SessionFactory, tokens: TokenService) -> TalentWorld:
    return await create_talent_world(sessions, tokens)


async def test_a_need_names_skills_of_the_taxonomy_in_any_of_their_names(
    client: Any, world: TalentWorld
) -> None:
    # when the firm posts a need naming skills by synonym and in English
    base = {
        "title": "DXと財務",
        "hoursPerMonth": 20,
        "workplacePrefectureCode": "４０",
        "feeMinJpy": 100000,
        "feeMaxJpy": 200000,
        "startsOn": "2026-04-01",
    }
    good = await graphql(
        client,
        CREATE,
        {
            "input": {
                **base,
                "requiredSkills": [{"skill": "ファイナンス"}, {"skill": "dx", "weight": 0.5}],
            }
        },
        token=world.tokens["firm"],
    )
    bad = await graphql(
        client,
        CREATE,
        {"input": {**base, "requiredSkills": [{"skill": "魔法"}]}},
        token=world.tokens["firm"],
    )
    bad_in_english = await client.post(
        "/graphql",
        json={
            "query": CREATE,
            "variables": {"input": {**base, "requiredSkills": [{"skill": "魔法"}]}},
        },
        headers={"Authorization": f"Bearer {world.tokens['firm']}", "Accept-Language": "en"},
    )
    professional = await graphql(
        client,
        CREATE,
        {"input": {**base, "requiredSkills": [{"skill": "財務"}]}},
        token=world.tokens["alice"],
    )

    # then the skills are canonical, an unknown one is refused, a person without a firm cannot post
    need = good["data"]["createTalentNeed"]["talentNeed"]
    assert need["status"] == "DRAFT"
    assert [s["skill"]["slug"] for s in need["requiredSkills"]] == ["finance", "dx"]
    assert need["allowedTransitions"] == ["OPEN", "CLOSED"]
    assert bad["data"]["createTalentNeed"]["userErrors"] == [
        {
            "field": "requiredSkills",
            "code": "INVALID",
            "message": "「魔法」はスキル一覧にありません。skills(search:) で確認してください。",
        }
    ]
    assert bad_in_english.headers["content-language"] == "en"
    assert bad_in_english.json()["data"]["createTalentNeed"]["userErrors"] == [
        {
            "field": "requiredSkills",
            "code": "INVALID",
            "message": "「魔法」 is not a skill of the taxonomy: see skills(search:).",
        }
    ]
    assert professional["data"]["createTalentNeed"]["userErrors"] == [
        {
            "field": None,
            "code": "FORBIDDEN",
            "message": "募集を登録するには、貴社の団体として操作してください。",
        }
    ]


async def test_skills_are_found_by_any_name(client: Any, world: TalentWorld) -> None:
    body = await graphql(client, SKILLS, {"s": "ふぁいなんす"}, token=world.tokens["alice"])
    assert body["data"]["skills"][0] == {"slug": "finance", "nameJa": "財務"}


async def test_need_status_follows_the_allowed_transitions_and_versions(
    sessions: SessionFactory, world: TalentWorld
) -> None:
    viewer = await act_as(sessions, world.firm_owner, world.firm)
    # when a closed need is reopened
    async with unit_of_work(sessions, viewer) as session:
        closed = await service.change_need_status(
            session, viewer, need_id=world.need.id, status=NeedStatus.CLOSED
        )
    with pytest.raises(Invalid) as refused:
        async with unit_of_work(sessions, viewer) as session:
            await service.change_need_status(
                session, viewer, need_id=world.need.id, status=NeedStatus.OPEN
            )
    # then it is refused
    assert refused.value.message == "終了した募集は OPEN にできません（終了したままです）。"
    # and a stale update conflicts, leaving the title
    with pytest.raises(Conflict):
        async with unit_of_work(sessions, viewer) as session:
            await service.update_need(
                session, viewer, need_id=world.need.id, version=1, changes={"title": "新"}
            )
    async with unit_of_work(sessions, viewer) as session:
        assert (await service.get_need(session, world.need.id)).title == "財務の立て直し"
    assert closed.version == 3


async def test_a_viewer_member_of_the_firm_may_not_post(
    sessions: SessionFactory, world: TalentWorld
) -> None:
    reader = await create_user(sessions, "reader@firm.example")
    await add_member(sessions, world.firm, world.firm_owner, reader, MembershipRole.VIEWER)
    viewer = await act_as(sessions, reader, world.firm)
    with pytest.raises(Forbidden):
        async with unit_of_work(sessions, viewer) as session:
            await service.create_need(session, viewer, values=need_fields())


async def test_a_person_keeps_one_profile_under_a_stable_pseudonym(
    client: Any, sessions: SessionFactory, world: TalentWorld
) -> None:
    before = await graphql(client, MY_PROFILE, token=world.tokens["alice"])
    viewer = await act_as(sessions, world.alice)
    async with unit_of_work(sessions, viewer) as session:
        await service.save_profile(
            session,
            viewer,
            values=profile_fields("Alice", headline="財務とDX", skills=[("DX推進", 5, 3.0)]),
            version=1,
        )
    with pytest.raises(Conflict):
        async with unit_of_work(sessions, viewer) as session:
            await service.save_profile(session, viewer, values=profile_fields("Alice"), version=1)
    after = await graphql(client, MY_PROFILE, token=world.tokens["alice"])
    first, second = before["data"]["myProfessionalProfile"], after["data"]["myProfessionalProfile"]
    assert first["pseudonym"] == second["pseudonym"]
    assert first["pseudonym"].startswith("人材-") and "Alice" not in first["pseudonym"]
    assert second["headline"] == "財務とDX"
    assert second["skills"] == [{"skill": {"slug": "dx"}, "level": 5}]
    anonymous = await graphql(client, MY_PROFILE, token=world.tokens["firm"])
    assert anonymous["data"]["myProfessionalProfile"] is None


async def test_recompute_stores_proposals_with_explanations_and_expires_stale_ones(
    sessions: SessionFactory, world: TalentWorld
) -> None:
    # when the engine runs for the need
    first = await recompute(sessions, world.need)
    matches = await proposals_of(sessions, world.need)

    # then Alice and Bob (finance) are proposed with their reasons, not Carol (export sales)
    assert first.proposed == 2
    assert {m.status for m in matches} == {MatchStatus.PROPOSED}
    assert len(matches) == 2
    for match in matches:
        assert match.score is not None and match.score > 0
        components = {c["component"] for c in match.explanation}
        assert len(components) == 11 and "REQUIRED_SKILLS" in components
        assert all(c["text"] for c in match.explanation)

    # when Bob closes his profile to proposals and the engine runs again
    viewer = await act_as(sessions, world.bob)
    async with unit_of_work(sessions, viewer) as session:
        await service.save_profile(
            session, viewer, values=profile_fields("Bob", is_open=False), version=1
        )
    second = await recompute(sessions, world.need)

    # then his proposal expired and Alice's stays proposed
    statuses = sorted(m.status.value for m in await proposals_of(sessions, world.need))
    assert second.expired == 1
    assert statuses == ["EXPIRED", "PROPOSED"]


async def test_only_the_platform_recomputes_everything(
    sessions: SessionFactory, world: TalentWorld
) -> None:
    viewer = await act_as(sessions, world.firm_owner, world.firm)
    with pytest.raises(Forbidden):
        async with unit_of_work(sessions, viewer) as session:
            await proposals.recompute_all(session, viewer)
    async with unit_of_work(sessions, Viewer.platform()) as session:
        result = await proposals.recompute_all(session, Viewer.platform())
    assert result.need_ids == [world.need.id]
    assert result.proposed == 2
