"""Talent reads compiled into one statement answer exactly what the resolvers answer, for each
side: a firm reads its needs with their proposals, a professional their own matches."""

from __future__ import annotations

import importlib.util
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import httpx2
import pytest
from sqlalchemy import select, text, update

from conftest import StatementCounter
from factories import graphql
from renkei import migrations
from renkei.db import SessionFactory, unit_of_work
from renkei.graphql.app import create_app
from renkei.graphql.compiled.spec import MARK
from renkei.graphql.relay import to_global_id
from renkei.identity.models import User
from renkei.identity.tokens import TokenService
from renkei.talent.models import CostKind, Match, MatchCost, MatchStatus
from renkei.talent.skills import default_taxonomy
from renkei.tenancy import Viewer
from talent.talent_world import TalentWorld, create_talent_world, recompute
from talent.test_subsidies import add_schemes, contracted_match

SKILL = "skill { slug nameJa nameEn category synonyms }"
NEED = f"""
  id title challenge deliverables engagementTypes hoursPerMonth durationMonths remotePolicy
  siteVisitsPerMonth workplaceMunicipality feeMinJpy feeMaxJpy startsOn openings status
  version createdAt updatedAt allowedTransitions
  requiredSkills {{ {SKILL} weight }} preferredSkills {{ {SKILL} weight }}
  workplacePrefecture {{ code name }} organization {{ id name }}
"""
PROFILE = f"""
  pseudonym headline experienceSummary engagementTypes hoursPerMonth availableFrom
  remotePreference maxSiteVisitsPerMonth feeMinJpy feeMaxJpy maxEngagements isOpen version
  skills {{ {SKILL} level years }} residencePrefecture {{ code name }}
  travelPrefectures {{ code }} ties {{ prefecture {{ code name }} kind }}
"""
MATCH = f"""
  id status score rank firmAcceptedAt professionalAcceptedAt interviewAt version createdAt
  updatedAt side allowedSteps
  explanation {{ component side label value weight points text }}
  professional {{ {PROFILE} }}
  contact {{ name email phone employer }}
  contract {{ feeJpy hoursPerMonth startsOn endsOn confirmedAt }}
  costs {{ id kind amountJpy incurredOn visitDays note createdAt }}
  estimatedSubsidy {{
    scheme {{ fiscalYear name rate capJpy eligibleCostKinds firstUseOnly notes
              prefecture {{ code }} }}
    rate capJpy eligibleJpy estimateJpy firstUse reason formula
  }}
  firmReview {{ rating text }} professionalReview {{ rating text }}
  need {{ id title status }}
"""
FIRM_NEEDS = f"""
query FirmNeeds($first: Int, $after: String, $firm: ID) {{
  talentNeeds(first: $first, after: $after, organizationId: $firm) {{
    pageInfo {{ hasNextPage endCursor }}
    edges {{ cursor node {{
      {NEED}
      matches(first: 20) {{ pageInfo {{ hasNextPage }} nodes {{ {MATCH} }} }}
    }} }}
  }}
  firmMatches: matches(side: FIRM, first: 50) {{ nodes {{ id status need {{ id }} }} }}
}}
"""
MY_MATCHES = f"""
query MyMatches($status: MatchStatus) {{
  myProfessional {{ id pseudonym fullName contactEmail phone currentEmployer
                    profile {{ {PROFILE} }} }}
  myProfessionalProfile {{ pseudonym }}
  matches(first: 50, status: $status) {{
    pageInfo {{ hasNextPage hasPreviousPage startCursor endCursor }}
    edges {{ cursor node {{ {MATCH} need {{ {NEED} }} why: explanation {{ text points }} }} }}
  }}
}}
"""
BY_ID = f"""
query ById($need: ID!, $match: ID!) {{
  talentNeed(id: $need) {{ {NEED} matches {{ nodes {{ id side professional {{ pseudonym }} }} }} }}
  match(id: $match) {{ {MATCH} }}
  wrongType: match(id: $need) {{ id }}
}}
"""
REFERENCE = """
query Reference($search: String, $skill: String, $code: String) {
  skills(search: $search) { slug nameJa }
  subsidySchemes(prefectureCode: $code) { name rate capJpy prefecture { code name } }
  bySkill: talentNeeds(skill: $skill) { nodes { id title } }
  everySkill: skills { slug }
}
"""


@pytest.fixture
async def resolvers_only(
    sessions: SessionFactory, tokens: TokenService, redis_url: str
) -> AsyncIterator[httpx2.AsyncClient]:
    """The same API with compiled reads turned off: every field through its resolver."""
    app = create_app(
        sessions=sessions,
        tokens=tokens,
        redis_url=redis_url,
        development=True,
        compiled_reads=False,
    )
    async with httpx2.AsyncClient(
        transport=httpx2.ASGITransport(app=app), base_url="http://renkei.test"
    ) as http:
        yield http


async def _read(
    client: httpx2.AsyncClient,
    query: str,
    variables: dict[str, Any],
    token: str,
    language: str | None,
) -> dict[str, Any]:
    if language is None:
        return await graphql(client, query, variables, token=token)
    response = await client.post(
        "/graphql",
        json={"query": query, "variables": variables},
        headers={"Authorization": f"Bearer {token}", "Accept-Language": language},
    )
    assert response.status_code == 200, response.text
    return response.json()


async def both(
    client: httpx2.AsyncClient,
    resolvers_only: httpx2.AsyncClient,
    counter: StatementCounter,
    query: str,
    variables: dict[str, Any],
    token: str,
    language: str | None = None,
) -> dict[str, Any]:
    """The compiled answer, asserted equal to the resolvers' and read in one statement;
    `language` is sent as Accept-Language."""
    with counter:
        compiled = await _read(client, query, variables, token, language)
    compiled_statements = sum(MARK in s for s in counter.statements)
    with counter:
        resolved = await _read(resolvers_only, query, variables, token, language)
    assert "errors" not in resolved, resolved
    assert compiled == resolved
    assert compiled_statements == 1
    assert sum(MARK in s for s in counter.statements) == 0
    return compiled["data"]


@pytest.fixture
async def world(sessions: SessionFactory, tokens: TokenService) -> TalentWorld:
    """Proposals with explanations for Alice and Bob; Alice contracted on a second need in
    岐阜, both sides accepted, with costs and a review."""
    world = await create_talent_world(sessions, tokens)
    await recompute(sessions, world.need)
    await add_schemes(sessions)
    match = await contracted_match(
        sessions, world, prefecture_code="21", starts_on=date(2026, 5, 1)
    )
    await contracted_match(
        sessions,
        world,
        prefecture_code="21",
        starts_on=date(2026, 4, 1),
        status=MatchStatus.COMPLETED,
        user=world.bob,
    )
    accepted = datetime(2026, 4, 20, 9, 30, 15, 123456, tzinfo=UTC)
    async with unit_of_work(sessions, Viewer.platform()) as session:
        await session.execute(
            update(Match)
            .where(Match.id == match.id)
            .values(
                firm_accepted_at=accepted,
                professional_accepted_at=accepted,
                professional_rating=4,
                professional_review='良い "職場" \\ でした',
            )
        )
        session.add_all(
            [
                MatchCost(
                    match_id=match.id,
                    organization_id=world.firm.id,
                    kind=kind,
                    amount_jpy=amount,
                    incurred_on=date(2026, 5, day),
                    visit_days=days,
                    note=note,
                )
                for kind, amount, day, days, note in (
                    (CostKind.FEE, 300_000, 31, 0, "5月分"),
                    (CostKind.TRAVEL, 61_234, 20, 2, "出張"),
                    (CostKind.PLACEMENT_FEE, 1_000_001, 2, 0, ""),
                )
            ]
        )
    return world


async def test_a_firm_reads_its_needs_with_proposals_and_explanations_compiled(
    client: httpx2.AsyncClient,
    resolvers_only: httpx2.AsyncClient,
    statement_counter: StatementCounter,
    world: TalentWorld,
) -> None:
    # given the firm's needs, proposals with explanations and a contracted match with costs
    token = world.tokens["firm"]

    # when the firm reads its needs page by page, with their matches
    first = await both(client, resolvers_only, statement_counter, FIRM_NEEDS, {"first": 2}, token)
    after = first["talentNeeds"]["pageInfo"]["endCursor"]
    second = await both(
        client, resolvers_only, statement_counter, FIRM_NEEDS, {"first": 2, "after": after}, token
    )

    # then it sees every proposal with the engine's words, and the contracted match's subsidy
    nodes = [e["node"] for e in first["talentNeeds"]["edges"] + second["talentNeeds"]["edges"]]
    matches = [m for n in nodes for m in n["matches"]["nodes"]]
    assert len(nodes) == 3 and len(matches) == 4
    proposed = [m for m in matches if m["status"] == "PROPOSED"]
    assert proposed and all(m["explanation"] and m["side"] == "FIRM" for m in proposed)
    assert all(m["costs"] == [] and m["estimatedSubsidy"] is None for m in proposed)
    contracted = next(m for m in matches if m["status"] == "CONTRACTED")
    assert contracted["contact"]["name"] == "Alice"
    assert [c["kind"] for c in contracted["costs"]] == ["PLACEMENT_FEE", "TRAVEL", "FEE"]
    assert contracted["estimatedSubsidy"]["estimateJpy"] == 0  # Bob's contract came first
    assert contracted["professionalReview"] == {"rating": 4, "text": '良い "職場" \\ でした'}
    assert {m["id"] for m in first["firmMatches"]["nodes"]} == {m["id"] for m in matches}


async def test_a_professional_reads_their_own_matches_only_compiled(
    client: httpx2.AsyncClient,
    resolvers_only: httpx2.AsyncClient,
    statement_counter: StatementCounter,
    world: TalentWorld,
) -> None:
    # given Alice (a proposal and a contract), Bob (a proposal, a completed job) and Carol
    seen: dict[str, set[str]] = {}
    for name in ("alice", "bob", "carol"):
        # when each reads their matches, with explanations, costs and the subsidy
        data = await both(
            client, resolvers_only, statement_counter, MY_MATCHES, {}, world.tokens[name]
        )
        nodes = [e["node"] for e in data["matches"]["edges"]]
        seen[name] = {n["id"] for n in nodes}
        # then they read their side, no firm's costs or subsidy, and their own record
        assert all(n["side"] == "PROFESSIONAL" for n in nodes)
        assert all(n["costs"] == [] and n["estimatedSubsidy"] is None for n in nodes)
        assert data["myProfessional"]["fullName"] == name.capitalize()
    assert len(seen["alice"]) == 2 and len(seen["bob"]) == 2 and seen["carol"] == set()
    assert not seen["alice"] & seen["bob"]
    filtered = await both(
        client,
        resolvers_only,
        statement_counter,
        MY_MATCHES,
        {"status": "PROPOSED"},
        world.tokens["alice"],
    )
    assert [e["node"]["status"] for e in filtered["matches"]["edges"]] == ["PROPOSED"]


async def test_lookups_by_id_are_compiled_for_each_side_and_hidden_from_others(
    client: httpx2.AsyncClient,
    resolvers_only: httpx2.AsyncClient,
    statement_counter: StatementCounter,
    sessions: SessionFactory,
    world: TalentWorld,
) -> None:
    # given Alice's contracted match and the firm's open need
    async with unit_of_work(sessions, Viewer.platform()) as session:
        match = await session.scalar(select(Match).where(Match.status == MatchStatus.CONTRACTED))
    assert match is not None
    ids = {
        "need": to_global_id("TalentNeed", world.need.id),
        "match": to_global_id("Match", match.id),
    }
    found = {}
    for name in ("firm", "alice", "bob", "other"):
        # when each reads them by id
        found[name] = await both(
            client, resolvers_only, statement_counter, BY_ID, ids, world.tokens[name]
        )
    # then the firm and Alice see the match, Bob and the other firm do not; all see the need
    assert found["firm"]["match"]["estimatedSubsidy"]["scheme"]["name"]
    assert found["alice"]["match"]["side"] == "PROFESSIONAL"
    assert found["bob"]["match"] is None and found["other"]["match"] is None
    assert all(f["talentNeed"]["id"] == ids["need"] for f in found.values())
    assert all(f["wrongType"] is None for f in found.values())
    # and a need's matches are the viewer's: the firm all, Bob his own, the other firm none
    proposals = {k: f["talentNeed"]["matches"]["nodes"] for k, f in found.items()}
    assert len(proposals["firm"]) == 2 and proposals["other"] == []
    assert [m["side"] for m in proposals["bob"]] == ["PROFESSIONAL"]
    assert {m["id"] for m in proposals["alice"]} | {m["id"] for m in proposals["bob"]} == {
        m["id"] for m in proposals["firm"]
    }


async def test_skills_and_schemes_compiled_match_the_resolvers(
    client: httpx2.AsyncClient,
    resolvers_only: httpx2.AsyncClient,
    statement_counter: StatementCounter,
    world: TalentWorld,
) -> None:
    for variables in (
        {"search": "ふぁいなんす", "skill": "財務", "code": "２１"},
        {"search": "マーケ", "skill": "no such skill", "code": None},
        {"search": "  ", "skill": "finance", "code": "5"},
    ):
        data = await both(
            client, resolvers_only, statement_counter, REFERENCE, variables, world.tokens["bob"]
        )
        assert data["everySkill"]
    assert data["subsidySchemes"][0]["prefecture"]["code"] == "05"


async def test_the_skills_table_is_the_taxonomy(sessions: SessionFactory) -> None:
    # given the taxonomy the resolvers read from skills.json
    wanted = [
        (s.slug, s.name_ja, s.name_en, s.category, list(s.synonyms), n)
        for n, s in enumerate(default_taxonomy())
    ]
    # when the compiled reads' copy (migration 0017) is read
    async with unit_of_work(sessions, Viewer.platform()) as session:
        rows = await session.execute(
            text(
                "SELECT slug, name_ja, name_en, category, synonyms, position"
                " FROM talent_skills ORDER BY position"
            )
        )
        found = [tuple(r) for r in rows]
    # then they are the same: a change of skills.json needs a migration rewriting the table
    assert found == wanted


NEEDS_FILTERED = """
query Needs($status: NeedStatus, $code: String, $search: String, $firm: ID) {
  talentNeeds(status: $status, prefectureCode: $code, search: $search, organizationId: $firm) {
    nodes { id title status workplacePrefecture { code } organization { name } }
  }
}
"""


async def test_needs_filters_compile_as_the_repository_reads_them(
    client: httpx2.AsyncClient,
    resolvers_only: httpx2.AsyncClient,
    statement_counter: StatementCounter,
    world: TalentWorld,
) -> None:
    # given the firm's open need in 福岡 and its two contracted needs in 岐阜
    firm = to_global_id("Organization", world.firm.id)
    found = []
    for variables in (
        {"status": "OPEN", "code": "４０"},
        {"code": "21", "search": "財務", "firm": firm},
        {"search": "財務の立て直し"},
        {"search": "観光案内"},
        {"firm": to_global_id("TalentNeed", world.need.id)},
        {"firm": to_global_id("Organization", world.other_firm.id)},
    ):
        # when the firm narrows its needs, compiled and through the resolvers
        data = await both(
            client,
            resolvers_only,
            statement_counter,
            NEEDS_FILTERED,
            variables,
            world.tokens["firm"],
        )
        found.append([n["workplacePrefecture"]["code"] for n in data["talentNeeds"]["nodes"]])
    # then both answer the same needs from one statement: by status and a prefecture as typed,
    # by words of the title, and none for an unknown word, another type's id or another firm
    assert found == [["40"], ["21", "21"], ["40", "21", "21"], [], [], []]


EXPLAINED = """
query Explained {
  matches(first: 50, status: PROPOSED) {
    nodes { id explanation { component side label value weight points text } }
  }
}
"""
LABELS_ONLY = """
query Labels { matches(first: 50, status: PROPOSED) { nodes { explanation { label text } } } }
"""


def _required(data: dict[str, Any]) -> tuple[str, str]:
    """The label and text of the first proposal's required-skills component."""
    found = data["matches"]["nodes"][0]["explanation"][0]  # in COMPONENTS order
    return found["label"], found["text"]


async def test_explanations_are_read_in_the_readers_language_compiled_and_resolved(
    client: httpx2.AsyncClient,
    resolvers_only: httpx2.AsyncClient,
    statement_counter: StatementCounter,
    world: TalentWorld,
) -> None:
    # given the firm's proposals, explained by the engine in both languages
    token = world.tokens["firm"]
    for query in (EXPLAINED, LABELS_ONLY):  # the stored JSON text, and the words one by one
        # when the firm reads them in Japanese (no preference), in English, then Japanese
        ja = await both(client, resolvers_only, statement_counter, query, {}, token)
        en = await both(client, resolvers_only, statement_counter, query, {}, token, "en")
        again = await both(client, resolvers_only, statement_counter, query, {}, token, "ja")

        # then each reads the words of their language, from one cached plan
        assert ja == again
        assert _required(ja) == ("必須スキル", "必須スキル 1件中1件が一致（財務）")
        assert _required(en) == ("Required skills", "1 of 1 required skills match (Finance)")
        assert len(ja["matches"]["nodes"]) == len(en["matches"]["nodes"]) == 2


async def test_a_saved_english_preference_reads_explanations_in_english(
    client: httpx2.AsyncClient,
    resolvers_only: httpx2.AsyncClient,
    statement_counter: StatementCounter,
    sessions: SessionFactory,
    world: TalentWorld,
) -> None:
    # given Bob saved English as his language
    async with unit_of_work(sessions, Viewer.platform()) as session:
        await session.execute(update(User).where(User.id == world.bob.id).values(locale="en"))

    # when he reads his proposal with no Accept-Language, twice (the second read is direct)
    for _ in range(2):
        data = await both(
            client, resolvers_only, statement_counter, EXPLAINED, {}, world.tokens["bob"]
        )

        # then it is in English
        assert _required(data) == ("Required skills", "1 of 1 required skills match (Finance)")


async def test_explanations_written_before_they_were_bilingual_stay_readable(
    client: httpx2.AsyncClient,
    resolvers_only: httpx2.AsyncClient,
    statement_counter: StatementCounter,
    sessions: SessionFactory,
    world: TalentWorld,
) -> None:
    # given a proposal whose explanation was stored in Japanese only (before 0020)
    old = [
        {
            "component": "REQUIRED_SKILLS",
            "side": "FIRM",
            "label": "必須スキル",
            "value": 1.0,
            "weight": 0.5,
            "points": 0.5,
            "text": "必須スキル 1件中1件が一致（財務）",
        },
        {"component": "LOCATION", "side": "FIRM", "label": {"ja": "勤務地への近さ"}, "text": ""},
    ]
    async with unit_of_work(sessions, Viewer.platform()) as session:
        await session.execute(
            update(Match).where(Match.status == MatchStatus.PROPOSED).values(explanation=old)
        )

    # when the firm reads it in each language, then it reads the Japanese words in both,
    # compiled as resolved
    for language in (None, "en"):
        for query in (EXPLAINED, LABELS_ONLY):
            data = await both(
                client,
                resolvers_only,
                statement_counter,
                query,
                {},
                world.tokens["firm"],
                language,
            )
            explanation = data["matches"]["nodes"][0]["explanation"]
            assert [(c["label"], c["text"]) for c in explanation] == [
                ("必須スキル", "必須スキル 1件中1件が一致（財務）"),
                ("勤務地への近さ", ""),
            ]


def _migration_0020() -> Any:
    folder = Path(next(iter(migrations.__path__)))
    path = next(folder.glob("versions/*_bilingual_explanations.py"))
    spec = importlib.util.spec_from_file_location("bilingual_explanations", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


async def test_the_migration_makes_older_labels_bilingual_and_keeps_their_texts(
    client: httpx2.AsyncClient,
    resolvers_only: httpx2.AsyncClient,
    statement_counter: StatementCounter,
    sessions: SessionFactory,
    world: TalentWorld,
) -> None:
    # given proposals whose explanations were stored in Japanese only, as before 0020
    async with unit_of_work(sessions, Viewer.platform()) as session:
        rows = (await session.scalars(select(Match).where(Match.status == "PROPOSED"))).all()
        for match in rows:
            await session.execute(
                update(Match)
                .where(Match.id == match.id)
                .values(
                    explanation=[
                        {**c, "label": c["label"]["ja"], "text": c["text"]["ja"]}
                        for c in match.explanation
                    ]
                )
            )

    # when the migration rewrites them
    async with unit_of_work(sessions, Viewer.platform()) as session:
        await session.execute(text(_migration_0020().BILINGUAL_LABELS))

    # then an English reader reads English labels beside the Japanese texts, compiled as resolved
    data = await both(
        client, resolvers_only, statement_counter, EXPLAINED, {}, world.tokens["firm"], "en"
    )
    assert _required(data) == ("Required skills", "必須スキル 1件中1件が一致（財務）")
    labels = [c["label"] for c in data["matches"]["nodes"][0]["explanation"]]
    assert len(labels) == 11 and all(label.isascii() for label in labels)
