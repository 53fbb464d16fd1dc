"""The talent seed: needs of the regions' firms, professionals with ties, proposals with reasons.

The whole seed is loaded twice into a database of the module's own (as `make run` does on each
start); the tests only read it, the professional's view through the API.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass

import httpx2
import psycopg
import pytest
from sqlalchemy import func, make_url, select

from factories import graphql
from renkei.db import SessionFactory, app_url_for, create_engine, session_factory, unit_of_work
from renkei.graphql.app import create_app
from renkei.identity import repository as users
from renkei.identity.scopes import ALL_SCOPES
from renkei.identity.tokens import TokenService
from renkei.models import Base
from renkei.organizations.models import Membership, Organization
from renkei.seeding import seed
from renkei.talent.models import Match, MatchStatus, NeedStatus, TalentNeed
from renkei.tenancy import Viewer

APP_ROLE = "renkei_app"
TALENT_TABLES = ("users", "talent_needs", "professionals", "professional_profiles", "matches")


@dataclass
class Seeded:
    sessions: SessionFactory
    client: httpx2.AsyncClient
    tokens: TokenService
    counts_after_first: dict[str, int]
    counts_after_second: dict[str, int]


def _libpq(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(False)


async def _counts(sessions: SessionFactory) -> dict[str, int]:
    async with unit_of_work(sessions, Viewer.platform()) as session:
        return {
            name: int(await session.scalar(select(func.count()).select_from(table)) or 0)
            for name, table in Base.metadata.tables.items()
            if name in TALENT_TABLES
        }


@pytest.fixture(scope="module")
async def seeded(
    server_url: str, template_name: str, tokens: TokenService, redis_url: str
) -> AsyncIterator[Seeded]:
    name = f"renkei_seed_talent_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(_libpq(server_url), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template_name}"')
    owner_url = make_url(server_url).set(database=name).render_as_string(False)
    engine = create_engine(app_url_for(owner_url, APP_ROLE), pool_size=2)
    sessions = session_factory(engine)
    try:
        await seed(sessions)
        counts_after_first = await _counts(sessions)
        await seed(sessions)
        counts_after_second = await _counts(sessions)
        app = create_app(sessions=sessions, tokens=tokens, redis_url=redis_url, development=True)
        async with httpx2.AsyncClient(
            transport=httpx2.ASGITransport(app=app), base_url="http://renkei.test"
        ) as client:
            yield Seeded(sessions, client, tokens, counts_after_first, counts_after_second)
    finally:
        await engine.dispose()
        with psycopg.connect(_libpq(server_url), autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


async def test_seeding_talent_again_creates_nothing(seeded: Seeded) -> None:
    # given the seed loaded twice
    first = seeded.counts_after_first
    # then the first load made needs, professionals and proposals, the second nothing new
    assert first["talent_needs"] >= 10, first
    assert 30 <= first["professionals"] == first["professional_profiles"] <= 40, first
    assert first["matches"] > 0, first
    assert seeded.counts_after_second == first


async def test_open_needs_come_from_firms_of_each_region(seeded: Seeded) -> None:
    # given the seeded needs with their workplaces
    async with unit_of_work(seeded.sessions, Viewer.platform()) as session:
        rows = (
            await session.execute(
                select(
                    TalentNeed.status, TalentNeed.workplace_prefecture_code, Organization.slug
                ).join(Organization, Organization.id == TalentNeed.organization_id)
            )
        ).all()
    # then every need is open, and 九州 (熊本, 鹿児島, 福岡), 中国 (広島) and 関西 each have some
    assert {status for status, _, _ in rows} == {NeedStatus.OPEN}
    workplaces = {code for _, code, _ in rows}
    assert {"40", "43", "46", "34"} <= workplaces
    assert workplaces & {"25", "26", "27", "28", "29", "30"}
    assert {"aso-seimitsu", "satsuma-foods", "setouchi-kisen"} <= {slug for *_, slug in rows}


async def test_every_open_need_has_proposals_with_explanations(seeded: Seeded) -> None:
    # given the engine's proposals after the seed
    async with unit_of_work(seeded.sessions, Viewer.platform()) as session:
        matches = (await session.scalars(select(Match))).all()
        need_ids = set(await session.scalars(select(TalentNeed.id)))
    # then each need has PROPOSED matches, each with a score, a rank and its reasons; the one
    # other is the demo's invented contract (seed/talent.json's demo_contracts)
    proposed = [m for m in matches if m.status is MatchStatus.PROPOSED]
    assert [m.status for m in matches if m not in proposed] == [MatchStatus.ACTIVE]
    assert {m.need_id for m in proposed} == need_ids
    assert all(m.score is not None and m.rank is not None for m in proposed)
    assert all(m.explanation and all(c["text"] for c in m.explanation) for m in proposed)


MY_MATCHES = """
query {
  matches(first: 20, side: PROFESSIONAL) {
    nodes {
      status
      rank
      need { title }
      explanation { component text }
    }
  }
}
"""


async def test_the_demo_professional_sees_proposals_with_reasons(seeded: Seeded) -> None:
    # given a token for pro@renkei.example, as `renkei token --email pro@renkei.example` signs
    async with unit_of_work(seeded.sessions, Viewer.platform()) as session:
        user = await users.get_user_by_email(session, "pro@renkei.example")
    assert user is not None
    token = seeded.tokens.issue(
        user_id=user.id, organization_id=None, scopes=frozenset({"talent:read"})
    )
    # when they ask for their matches
    body = await graphql(seeded.client, MY_MATCHES, token=token)
    # then the engine proposed them for 鹿児島's export need, with the reasons spelled out
    nodes = body["data"]["matches"]["nodes"]
    assert nodes, body
    assert {n["status"] for n in nodes} == {"PROPOSED"}
    assert "黒豚・焼酎の海外販路開拓" in {n["need"]["title"] for n in nodes}
    assert all(n["explanation"] and all(c["text"] for c in n["explanation"]) for n in nodes)


async def test_the_demo_admin_is_not_a_professional(seeded: Seeded) -> None:
    # given the prefecture admin used for the demo
    token = await _admin_token(seeded)
    # when they ask for their own professional record
    body = await graphql(seeded.client, "query { myProfessional { pseudonym } }", token=token)
    # then they have none: the seed made another user the demo professional
    assert body["data"]["myProfessional"] is None


async def _admin_token(seeded: Seeded) -> str:
    async with unit_of_work(seeded.sessions, Viewer.platform()) as session:
        user = await users.get_user_by_email(session, "demo@renkei.example")
    assert user is not None
    return seeded.tokens.issue(
        user_id=user.id, organization_id=None, scopes=frozenset({"talent:read"})
    )


FIRM_ESTIMATE = """
query {
  matches(first: 20, side: FIRM) {
    nodes {
      status
      estimatedSubsidy {
        scheme { name fiscalYear sourceUrl unconfirmedFields prefecture { code } }
        eligibleJpy estimateJpy reason formula why applicationDeadline
      }
    }
  }
}
"""


async def test_the_seeded_fukuoka_firm_reads_its_estimated_subsidy(seeded: Seeded) -> None:
    # given 筑後シリコン (福岡) and its admin or owner, and the demo's contract of FY2025
    async with unit_of_work(seeded.sessions, Viewer.platform()) as session:
        row = (
            await session.execute(
                select(Membership.user_id, Organization.id)
                .join(Organization, Organization.id == Membership.organization_id)
                .where(Organization.slug == "chikugo-silicon")
                .order_by(Membership.role)
            )
        ).first()
    assert row is not None
    token = seeded.tokens.issue(user_id=row[0], organization_id=row[1], scopes=ALL_SCOPES)

    # when the firm reads its matches
    body = await graphql(seeded.client, FIRM_ESTIMATE, token=token)

    # then the active one shows 福岡's tier, the formula and why; April 2026 is not counted
    active = [m for m in body["data"]["matches"]["nodes"] if m["status"] == "ACTIVE"]
    assert len(active) == 1, body
    estimate = active[0]["estimatedSubsidy"]
    assert estimate["scheme"] == {
        "name": "福岡県 副業・兼業人材活用促進補助金",
        "fiscalYear": 2025,
        "sourceUrl": "https://joseikin-insight.com/grants/",
        "unconfirmedFields": ["rate", "eligible_cost_kinds", "deadline"],
        "prefecture": {"code": "40"},
    }
    assert (estimate["eligibleJpy"], estimate["estimateJpy"]) == (988_000.0, 494_000.0)
    assert estimate["formula"] == (
        "補助対象経費 ¥988,000 × 補助率 1/2（1円未満切り捨て）、上限 ¥500,000 → ¥494,000"
    )
    assert estimate["why"][0].startswith("「福岡県 副業・兼業人材活用促進補助金」が該当します")
    # the demo's (invented) 福岡 拠点 introduced the professional: the why names it
    assert (
        "紹介: ふくおか副業人材拠点（デモ用の架空団体）（福岡県のプロフェッショナル人材戦略拠点）。"
        "プロフェッショナル人材戦略拠点または登録人材紹介事業者を通じた紹介です。"
    ) in estimate["why"]
    assert "2025年度（4月〜翌3月）の期間外の経費¥200,000は計上していません。" in estimate["why"]
    assert estimate["applicationDeadline"] is None
