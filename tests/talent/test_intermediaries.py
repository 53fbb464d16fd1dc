"""Intermediaries (拠点, agencies, banks) introduce professionals who authorized them to needs:
only the platform's operators register one, and an introducer reads its matches, no others."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.exc import DBAPIError

from factories import act_as, create_organization, create_user, graphql, token_for
from renkei.db import SessionFactory, unit_of_work
from renkei.graphql.relay import decode_id, to_global_id
from renkei.identity.models import User
from renkei.identity.tokens import TokenService
from renkei.intermediaries.models import Intermediary, IntermediaryRole
from renkei.intermediaries.service import INTRODUCED
from renkei.notifications.models import Notification
from renkei.operators import service as operators
from renkei.organizations.models import Organization, OrganizationKind
from renkei.outbox import OutboxMessage
from renkei.talent.models import CostKind, Match, MatchCost, MatchStatus, SubsidyScheme
from renkei.tenancy import Viewer, set_viewer
from renkei.workers.jobs import HANDLERS, handle_message
from talent.talent_world import TalentWorld, create_talent_world

ERRORS = "userErrors { field code message }"
REGISTER = f"""
mutation Register($input: RegisterIntermediaryInput!) {{
  registerIntermediary(input: $input) {{
    intermediary {{ id role licenseNumber prefecture {{ code }} organization {{ name }} }}
    {ERRORS}
  }}
}}
"""
REGISTER_LIST = """
query { intermediaries { role organization { name } prefecture { code } } }
"""
AUTHORIZE = f"""
mutation Authorize($input: AuthorizeIntermediaryInput!) {{
  authorizeIntermediary(input: $input) {{
    authorization {{ id reference withdrawnAt organization {{ name }} }} {ERRORS}
  }}
}}
"""
WITHDRAW_AUTHORIZATION = f"""
mutation Withdraw($input: WithdrawIntermediaryAuthorizationInput!) {{
  withdrawIntermediaryAuthorization(input: $input) {{ authorization {{ withdrawnAt }} {ERRORS} }}
}}
"""
AUTHORIZED = """
query {
  intermediaryAuthorizations {
    id reference professional { pseudonym headline residencePrefecture { code } }
  }
}
"""
MATCH = """
  id status side allowedSteps
  need { title }
  professional { pseudonym }
  contact { name email }
  introduction { role note organization { name } }
  activity { step side actor }
"""
INTRODUCE = f"""
mutation Introduce($input: IntroduceProfessionalInput!) {{
  introduceProfessional(input: $input) {{ match {{ {MATCH} }} {ERRORS} }}
}}
"""
INTRODUCED_MATCHES = f"""
query {{ matches(side: INTERMEDIARY) {{ nodes {{ {MATCH} }} }} }}
"""
ONE_MATCH = f"""
query($id: ID!) {{ match(id: $id) {{ {MATCH} }} }}
"""
STEP = f"""
mutation Accept($input: MatchStepInput!) {{
  acceptMatch(input: $input) {{ match {{ status }} {ERRORS} }}
}}
"""


@dataclass
class Intermediaries:
    world: TalentWorld
    operator: str
    hub: Organization
    hub_token: str
    bank: Organization
    bank_token: str


async def _register(client: Any, token: str, **values: Any) -> dict[str, Any]:
    body = await graphql(client, REGISTER, {"input": values}, token=token)
    return body["data"]["registerIntermediary"]


@pytest.fixture
async def parties(sessions: SessionFactory, tokens: TokenService, client: Any) -> Intermediaries:
    """A talent world, a platform operator, and two organizations that are not yet registered:
    ふくおか拠点 (to be 福岡's 拠点) and 玄海銀行 (to be a bank introducing)."""
    world = await create_talent_world(sessions, tokens)
    operator = await create_user(sessions, "ops@renkei.example", "Ops")
    async with unit_of_work(sessions, Viewer.platform()) as session:
        await operators.grant(session, email=operator.email, granted_by="test")
    hub_owner = await create_user(sessions, "owner@hub.example", "Hub Owner")
    hub = await create_organization(
        sessions, hub_owner, name="ふくおか拠点", kind=OrganizationKind.ECONOMIC_ORGANIZATION
    )
    bank_owner = await create_user(sessions, "owner@bank.example", "Bank Owner")
    bank = await create_organization(
        sessions, bank_owner, name="玄海銀行", kind=OrganizationKind.FINANCIAL_INSTITUTION
    )
    return Intermediaries(
        world=world,
        operator=token_for(tokens, operator),
        hub=hub,
        hub_token=token_for(tokens, hub_owner, hub),
        bank=bank,
        bank_token=token_for(tokens, bank_owner, bank),
    )


async def _registered(client: Any, parties: Intermediaries) -> None:
    """The operator registers the hub for 福岡 and the bank."""
    hub = await _register(
        client,
        parties.operator,
        organizationId=to_global_id("Organization", parties.hub.id),
        role="STRATEGY_HUB",
        prefectureCode="40",
    )
    bank = await _register(
        client,
        parties.operator,
        organizationId=to_global_id("Organization", parties.bank.id),
        role="BANK",
    )
    assert hub["userErrors"] == [] and bank["userErrors"] == []


async def _authorize(client: Any, token: str, organization: Organization, ref: str = "") -> str:
    body = await graphql(
        client,
        AUTHORIZE,
        {
            "input": {
                "organizationId": to_global_id("Organization", organization.id),
                "reference": ref,
            }
        },
        token=token,
    )
    payload = body["data"]["authorizeIntermediary"]
    assert payload["userErrors"] == [], payload
    return str(payload["authorization"]["id"])


async def _introduce(
    client: Any, token: str, world: TalentWorld, authorization_id: str, note: str = ""
) -> dict[str, Any]:
    variables = {
        "input": {
            "needId": to_global_id("TalentNeed", world.need.id),
            "authorizationId": authorization_id,
            "note": note,
        }
    }
    body = await graphql(client, INTRODUCE, variables, token=token)
    assert "errors" not in body, body
    return body["data"]["introduceProfessional"]


async def test_an_organization_cannot_declare_itself_a_hub(
    client: Any, sessions: SessionFactory, parties: Intermediaries
) -> None:
    # given ふくおか拠点's owner, acting for it
    hub_id = to_global_id("Organization", parties.hub.id)

    # when it registers itself as 福岡's 拠点 through the API
    refused = await _register(
        client, parties.hub_token, organizationId=hub_id, role="STRATEGY_HUB", prefectureCode="40"
    )

    # then it is refused, in Japanese, and the register stays empty
    assert refused == {
        "intermediary": None,
        "userErrors": [
            {
                "field": None,
                "code": "FORBIDDEN",
                "message": "この操作はプラットフォーム運営者のみが行えます。",
            }
        ],
    }
    listed = await graphql(client, REGISTER_LIST, token=parties.hub_token)
    assert listed["data"]["intermediaries"] == []

    # and writing the row itself, as the app role acting for the organization, is refused too
    owner = await sessions_user(sessions, "owner@hub.example")
    viewer = await act_as(sessions, owner, parties.hub)
    with pytest.raises(DBAPIError, match="row-level security"):
        async with sessions() as session, session.begin():
            await set_viewer(session, viewer)
            session.add(
                Intermediary(
                    organization_id=parties.hub.id,
                    role=IntermediaryRole.STRATEGY_HUB,
                    prefecture_code="40",
                    registered_by="self",
                )
            )
            await session.flush()

    # when a platform operator registers it, it is in the register
    registered = await _register(
        client, parties.operator, organizationId=hub_id, role="STRATEGY_HUB", prefectureCode="40"
    )
    assert registered["userErrors"] == []
    listed = await graphql(client, REGISTER_LIST, token=parties.hub_token)
    assert listed["data"]["intermediaries"] == [
        {
            "role": "STRATEGY_HUB",
            "organization": {"name": "ふくおか拠点"},
            "prefecture": {"code": "40"},
        }
    ]


async def sessions_user(sessions: SessionFactory, email: str) -> User:
    async with unit_of_work(sessions, Viewer.platform()) as session:
        user = await session.scalar(select(User).where(User.email == email))
        assert user is not None
        return user


async def test_a_placement_agency_needs_its_license_number(
    client: Any, parties: Intermediaries
) -> None:
    # given the operator registering the bank's organization as an agency
    organization = to_global_id("Organization", parties.bank.id)

    # when it gives no 許可番号, then one typed in full width
    missing = await _register(
        client, parties.operator, organizationId=organization, role="PLACEMENT_AGENCY"
    )
    typed = await _register(
        client,
        parties.operator,
        organizationId=organization,
        role="PLACEMENT_AGENCY",
        licenseNumber="４０－ユ－３０００１２",
    )

    # then the first is refused and the second kept in its usual form
    assert missing["userErrors"] == [
        {
            "field": "licenseNumber",
            "code": "INVALID",
            "message": "有料職業紹介事業者は許可番号（例: 13-ユ-123456）とともに登録します。",
        }
    ]
    assert typed["intermediary"]["licenseNumber"] == "40-ユ-300012"


async def test_an_unauthorized_professional_cannot_be_introduced(
    client: Any, sessions: SessionFactory, parties: Intermediaries
) -> None:
    # given a registered hub and bank; Alice authorized the bank only, Bob the hub but withdrew
    await _registered(client, parties)
    world = parties.world
    alice_at_bank = await _authorize(client, world.tokens["alice"], parties.bank)
    bob_at_hub = await _authorize(client, world.tokens["bob"], parties.hub)
    withdrawn = await graphql(
        client,
        WITHDRAW_AUTHORIZATION,
        {"input": {"authorizationId": bob_at_hub}},
        token=world.tokens["bob"],
    )
    assert withdrawn["data"]["withdrawIntermediaryAuthorization"]["userErrors"] == []

    # when the hub introduces Alice (with the bank's authorization) or Bob
    alice = await _introduce(client, parties.hub_token, world, alice_at_bank)
    bob = await _introduce(client, parties.hub_token, world, bob_at_hub)

    # then both are refused, in Japanese, and no match exists for the firm
    assert alice == {
        "match": None,
        "userErrors": [
            {
                "field": "authorizationId",
                "code": "NOT_FOUND",
                "message": "該当する紹介の委任がありません。",
            }
        ],
    }
    assert bob == {
        "match": None,
        "userErrors": [
            {
                "field": "authorizationId",
                "code": "FORBIDDEN",
                "message": "この人材は紹介の委任を取り下げました。紹介できません。",
            }
        ],
    }
    firm = await graphql(
        client, "query { matches(side: FIRM) { nodes { id } } }", token=world.tokens["firm"]
    )
    assert firm["data"]["matches"]["nodes"] == []
    # nor does the hub read Bob's profile any more
    authorized = await graphql(client, AUTHORIZED, token=parties.hub_token)
    assert [a["professional"] for a in authorized["data"]["intermediaryAuthorizations"]] == [None]


async def test_an_organization_that_is_no_intermediary_cannot_introduce(
    client: Any, parties: Intermediaries
) -> None:
    # given Alice authorized the registered hub
    await _registered(client, parties)
    world = parties.world
    authorization = await _authorize(client, world.tokens["alice"], parties.hub)

    # when the other firm (no intermediary) uses the id
    refused = await _introduce(client, world.tokens["other"], world, authorization)

    # then it is refused
    assert refused["match"] is None
    assert refused["userErrors"][0]["code"] == "FORBIDDEN"


async def test_an_introduction_is_recorded_told_and_accepted_by_both_sides(
    client: Any, sessions: SessionFactory, parties: Intermediaries
) -> None:
    # given the registered hub, which Alice authorized with her number there
    await _registered(client, parties)
    world = parties.world
    authorization = await _authorize(client, world.tokens["alice"], parties.hub, "FK-0142")
    authorized = await graphql(client, AUTHORIZED, token=parties.hub_token)
    [seen] = authorized["data"]["intermediaryAuthorizations"]
    pseudonym = seen["professional"]["pseudonym"]
    assert (seen["reference"], seen["professional"]["residencePrefecture"]) == (
        "FK-0142",
        {"code": "13"},
    )

    # when the hub introduces her to 博多精工's open need, with a note
    introduced = await _introduce(
        client, parties.hub_token, world, authorization, "財務に強い方です"
    )

    # then the match is INTRODUCED, recorded with the hub, in the log; the hub takes no step
    assert introduced["userErrors"] == []
    match = introduced["match"]
    assert {k: match[k] for k in ("status", "side", "allowedSteps", "contact")} == {
        "status": "INTRODUCED",
        "side": "INTERMEDIARY",
        "allowedSteps": [],
        "contact": None,
    }
    assert match["introduction"] == {
        "role": "STRATEGY_HUB",
        "note": "財務に強い方です",
        "organization": {"name": "ふくおか拠点"},
    }
    assert match["activity"] == [
        {"step": "introduce", "side": "INTERMEDIARY", "actor": "ふくおか拠点"}
    ]
    # the firm sees it, with the introduction, and may accept
    firm = await graphql(client, ONE_MATCH, {"id": match["id"]}, token=world.tokens["firm"])
    assert firm["data"]["match"]["introduction"]["organization"] == {"name": "ふくおか拠点"}
    assert firm["data"]["match"]["allowedSteps"] == ["accept", "decline"]
    assert firm["data"]["match"]["professional"] == {"pseudonym": pseudonym}

    # and both sides are told, through the outbox
    async with unit_of_work(sessions, Viewer.platform()) as session:
        messages = list(
            await session.scalars(select(OutboxMessage.id).where(OutboxMessage.topic == INTRODUCED))
        )
    assert len(messages) == 1
    assert await handle_message(sessions, messages[0], handlers=HANDLERS)
    async with unit_of_work(sessions, Viewer.platform()) as session:
        told = {
            n.recipient_email: n.body
            for n in await session.scalars(
                select(Notification).where(Notification.kind == INTRODUCED)
            )
        }
    assert told == {
        "owner@firm.example": "ふくおか拠点（プロフェッショナル人材戦略拠点）が"
        f"人材{pseudonym}を「財務の立て直し」に紹介しました。"
        "募集のマッチングから承諾または辞退してください。 紹介者のメモ: 財務に強い方です",
        "alice@example.jp": "ふくおか拠点があなたを博多精工の「財務の立て直し」に紹介しました。"
        "マッチング一覧から承諾または辞退してください。 紹介者のメモ: 財務に強い方です",
    }

    # when both sides accept, as before
    for side in ("firm", "alice"):
        accepted = await graphql(
            client, STEP, {"input": {"matchId": match["id"]}}, token=world.tokens[side]
        )
        assert accepted["data"]["acceptMatch"]["userErrors"] == []

    # then the match is ACCEPTED; the hub still reads no contact
    hub = await graphql(client, ONE_MATCH, {"id": match["id"]}, token=parties.hub_token)
    assert hub["data"]["match"]["status"] == "ACCEPTED"
    assert hub["data"]["match"]["contact"] is None
    assert [s["step"] for s in hub["data"]["match"]["activity"]] == [
        "introduce",
        "accept",
        "accept",
    ]


async def test_an_introducer_sees_its_matches_and_not_others(
    client: Any, parties: Intermediaries
) -> None:
    # given the hub introduced Alice and the bank introduced Bob, to the same need
    await _registered(client, parties)
    world = parties.world
    alice = await _authorize(client, world.tokens["alice"], parties.hub)
    bob = await _authorize(client, world.tokens["bob"], parties.bank)
    by_hub = (await _introduce(client, parties.hub_token, world, alice))["match"]
    by_bank = (await _introduce(client, parties.bank_token, world, bob))["match"]

    # when each reads its introduced matches, and the other's match by id
    hub_list = await graphql(client, INTRODUCED_MATCHES, token=parties.hub_token)
    bank_list = await graphql(client, INTRODUCED_MATCHES, token=parties.bank_token)
    hub_reads_bank = await graphql(
        client, ONE_MATCH, {"id": by_bank["id"]}, token=parties.hub_token
    )
    bank_reads_hub = await graphql(
        client,
        "query($id: ID!) { node(id: $id) { id } }",
        {"id": by_hub["id"]},
        token=parties.bank_token,
    )
    # and the hub asks for the bank's professional's profile through the authorizations
    hub_authorized = await graphql(client, AUTHORIZED, token=parties.hub_token)

    # then each sees its own only, exactly as for a missing one
    assert [m["id"] for m in hub_list["data"]["matches"]["nodes"]] == [by_hub["id"]]
    assert [m["id"] for m in bank_list["data"]["matches"]["nodes"]] == [by_bank["id"]]
    assert hub_reads_bank["data"]["match"] is None
    assert bank_reads_hub["data"]["node"] is None
    assert len(hub_authorized["data"]["intermediaryAuthorizations"]) == 1
    # and the firm sees both, each with its introducer
    firm = await graphql(
        client, INTRODUCED_MATCHES.replace("INTERMEDIARY", "FIRM"), token=world.tokens["firm"]
    )
    assert sorted(
        m["introduction"]["organization"]["name"] for m in firm["data"]["matches"]["nodes"]
    ) == [
        "ふくおか拠点",
        "玄海銀行",
    ]


async def test_an_introduction_is_not_made_twice(
    client: Any, sessions: SessionFactory, parties: Intermediaries
) -> None:
    # given the hub introduced Alice to the need
    await _registered(client, parties)
    world = parties.world
    alice = await _authorize(client, world.tokens["alice"], parties.hub)
    assert (await _introduce(client, parties.hub_token, world, alice))["userErrors"] == []

    # when the hub introduces her again
    again = await _introduce(client, parties.hub_token, world, alice)

    # then it is a duplicate
    assert again["userErrors"][0]["code"] == "DUPLICATE"


ESTIMATE = """
query($id: ID!) {
  match(id: $id) { estimatedSubsidy { scheme { name } estimateJpy why } }
}
"""


async def test_the_estimate_takes_the_introduction_tier_only_for_the_prefecture_s_hub(
    client: Any, sessions: SessionFactory, parties: Intermediaries
) -> None:
    # given 福岡's FY2026 tiers: one for introductions through its 拠点 or an agency (8/10),
    # else the usual one (1/2); Alice introduced by 福岡's hub, Bob by the bank
    await _registered(client, parties)
    world = parties.world
    alice = await _authorize(client, world.tokens["alice"], parties.hub)
    bob = await _authorize(client, world.tokens["bob"], parties.bank)
    by_hub = (await _introduce(client, parties.hub_token, world, alice))["match"]["id"]
    by_bank = (await _introduce(client, parties.bank_token, world, bob))["match"]["id"]
    async with unit_of_work(sessions, Viewer.platform()) as session:
        for name, rank, rate, introduced in (
            ("紹介枠", 0, "0.8", True),
            ("通常枠", 1, "0.5", False),
        ):
            session.add(
                SubsidyScheme(
                    prefecture_code="40",
                    fiscal_year=2026,
                    name=name,
                    tier_rank=rank,
                    rate=Decimal(rate),
                    cap_jpy=500_000,
                    eligible_cost_kinds=["FEE"],
                    requires_introduction=introduced,
                )
            )
        # both contracted from May 2026, with a month's fee (as the two sides would have)
        for global_id in (by_hub, by_bank):
            match = await session.get(Match, decode_id(global_id, "Match"))
            assert match is not None
            match.status = MatchStatus.CONTRACTED
            match.contract_fee_jpy, match.contract_hours_per_month = 100_000, 10
            match.contract_starts_on = date(2026, 5, 1)
            session.add(
                MatchCost(
                    match_id=match.id,
                    organization_id=match.organization_id,
                    kind=CostKind.FEE,
                    amount_jpy=100_000,
                    incurred_on=date(2026, 5, 31),
                )
            )

    # when the firm reads both estimates
    firm = world.tokens["firm"]
    hub = await graphql(client, ESTIMATE, {"id": by_hub}, token=firm)
    bank = await graphql(client, ESTIMATE, {"id": by_bank}, token=firm)

    # then the hub's introduction meets the tier's condition, the bank's does not
    assert hub["data"]["match"]["estimatedSubsidy"] == {
        "scheme": {"name": "紹介枠"},
        "estimateJpy": 80_000.0,
        "why": [
            "「紹介枠」が該当します: ふくおか拠点（福岡県のプロフェッショナル人材戦略拠点）による、"
            "プロフェッショナル人材戦略拠点または登録人材紹介事業者を通じた紹介です。",
            "紹介: ふくおか拠点（福岡県のプロフェッショナル人材戦略拠点）。"
            "プロフェッショナル人材戦略拠点または登録人材紹介事業者を通じた紹介です。",
        ],
    }
    assert bank["data"]["match"]["estimatedSubsidy"] == {
        "scheme": {"name": "通常枠"},
        "estimateJpy": 50_000.0,
        "why": [
            "「紹介枠」は該当しません: 玄海銀行（地域金融機関）による紹介で、"
            "プロフェッショナル人材戦略拠点または登録人材紹介事業者を通じた紹介ではありません。",
            "「通常枠」が該当します: 要件はありません。",
            "紹介: 玄海銀行（地域金融機関）。"
            "プロフェッショナル人材戦略拠点または登録人材紹介事業者を通じた紹介ではありません。",
        ],
    }
    # and the introducers read no estimate
    read = await graphql(client, ESTIMATE, {"id": by_hub}, token=parties.hub_token)
    assert read["data"]["match"]["estimatedSubsidy"] is None
