"""Organization verification: nobody makes themselves a prefecture, squats a code, or keeps a
verification for codes it did not vouch for."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError, IntegrityError
from stdnum.jp import cn

from factories import create_organization, create_user, graphql, token_for
from renkei.db import unit_of_work
from renkei.graphql.relay import parse_global_id, to_global_id
from renkei.identity import service as identity
from renkei.identity.scopes import ALL_SCOPES
from renkei.operators import service as operators
from renkei.organizations.models import OrganizationKind
from renkei.tenancy import Viewer, set_viewer

TOKYO_CODE = "130001"  # 東京都's 全国地方公共団体コード
FIRM_NUMBER = f"{cn.calc_check_digit('290001000001')}290001000001"

CREATE_ORGANIZATION = """
mutation CreateOrganization($input: CreateOrganizationInput!) {
  createOrganization(input: $input) {
    organization { id slug name kind localGovernmentCode corporateNumber verification }
    userErrors { field code message }
  }
}
"""

UPDATE_ORGANIZATION = """
mutation UpdateOrganization($input: UpdateOrganizationInput!) {
  updateOrganization(input: $input) {
    organization { localGovernmentCode corporateNumber verification }
    userErrors { field code message }
  }
}
"""

VERIFY_ORGANIZATION = """
mutation VerifyOrganization($input: VerifyOrganizationInput!) {
  verifyOrganization(input: $input) {
    organization { slug verification }
    userErrors { field code message }
  }
}
"""

CREATE_REGION = """
mutation CreateRegion($input: CreateRegionInput!) {
  createRegion(input: $input) {
    region { slug secretariat { name } }
    userErrors { field code message }
  }
}
"""

INVITE_REGION_MEMBER = """
mutation InviteRegionMember($input: InviteRegionMemberInput!) {
  inviteRegionMember(input: $input) {
    regionMember { isSignatory }
    userErrors { field code message }
  }
}
"""

ORGANIZATION = """
query Organization($slug: String!) {
  organization(slug: $slug) {
    verification localGovernmentCode
    auditEvents { nodes { action reason detail } }
  }
}
"""

PREFECTURES_OF_TOKYO = """
query { organizations(kind: PREFECTURE, prefectureCode: "13") { nodes { slug verification } } }
"""


def _tokyo(slug: str, name: str = "東京都") -> dict[str, Any]:
    return {
        "input": {
            "slug": slug,
            "name": name,
            "kind": "PREFECTURE",
            "homePrefectureCode": "13",
            "localGovernmentCode": TOKYO_CODE,
        }
    }


def _firm(slug: str, number: str = FIRM_NUMBER) -> dict[str, Any]:
    return {
        "input": {
            "slug": slug,
            "name": slug,
            "kind": "COMPANY",
            "homePrefectureCode": "40",
            "corporateNumber": number,
        }
    }


def _acting(tokens: Any, user: Any, organization_global_id: str) -> str:
    parsed = parse_global_id(organization_global_id)
    assert parsed is not None
    return tokens.issue(user_id=user.id, organization_id=uuid.UUID(parsed[1]), scopes=ALL_SCOPES)


def _region(slug: str = "kanto-squat") -> dict[str, Any]:
    return {"input": {"slug": slug, "name": "関東広域", "prefectureCodes": ["13", "14"]}}


async def _operator(sessions: Any, email: str = "ops@renkei.example") -> Any:
    user = await create_user(sessions, email)
    async with unit_of_work(sessions, Viewer.platform()) as session:
        await operators.grant(session, email=email, granted_by="test")
    return user


def _unverified(name: str, to: str, field: str | None = None) -> dict[str, Any]:
    return {
        "field": field,
        "code": "ORGANIZATION_UNVERIFIED",
        "message": f"{name} is not verified yet, so it may not {to}: a platform operator "
        "verifies public bodies and organizations whose 法人番号 or 団体コード another "
        "organization also claims",
    }


async def test_a_firm_user_who_creates_tokyo_gets_an_unverified_prefecture_that_runs_nothing(
    sessions, client, tokens
):
    # given a signed-in employee of a private firm
    attacker = await create_user(sessions, "mallory@firm.example")
    token = token_for(tokens, attacker)
    # when they create 東京都 with its real 団体コード, and found a region as it
    created = await graphql(client, CREATE_ORGANIZATION, _tokyo("tokyo"), token=token)
    organization = created["data"]["createOrganization"]["organization"]
    acting = _acting(tokens, attacker, organization["id"])
    region = await graphql(client, CREATE_REGION, _region(), token=acting)
    # then the prefecture exists, unverified, and runs no region
    assert created["data"]["createOrganization"]["userErrors"] == []
    assert (organization["localGovernmentCode"], organization["verification"]) == (
        TOKYO_CODE,
        "UNVERIFIED",
    )
    assert region["data"]["createRegion"] == {
        "region": None,
        "userErrors": [
            _unverified(
                "東京都", "found a region, run it as its secretariat or sign its declaration"
            )
        ],
    }


async def test_a_squatter_does_not_lock_out_tokyo_and_only_one_holds_its_code_verified(
    sessions, client, tokens
):
    # given a squatter who claimed Tokyo's code first, then the real 東京都
    squatter = await create_user(sessions, "mallory@firm.example")
    real = await create_user(sessions, "soumu@metro.tokyo.example")
    operator = await _operator(sessions)
    squatted = await graphql(
        client, CREATE_ORGANIZATION, _tokyo("tokyo-pref"), token=token_for(tokens, squatter)
    )
    genuine = await graphql(
        client, CREATE_ORGANIZATION, _tokyo("tokyo-metro"), token=token_for(tokens, real)
    )
    squatted_id = squatted["data"]["createOrganization"]["organization"]["id"]
    genuine_id = genuine["data"]["createOrganization"]["organization"]["id"]
    # when Tokyo's own owner tries to verify itself, then the operator verifies the real one,
    # then the squatter
    itself = await graphql(
        client,
        VERIFY_ORGANIZATION,
        {"input": {"organizationId": genuine_id}},
        token=_acting(tokens, real, genuine_id),
    )
    verified = await graphql(
        client,
        VERIFY_ORGANIZATION,
        {"input": {"organizationId": genuine_id}},
        token=token_for(tokens, operator),
    )
    second = await graphql(
        client,
        VERIFY_ORGANIZATION,
        {"input": {"organizationId": squatted_id}},
        token=token_for(tokens, operator),
    )
    # then the real one was created despite the squatter, and is the one verified holder
    assert genuine["data"]["createOrganization"]["userErrors"] == []
    assert itself["data"]["verifyOrganization"] == {
        "organization": None,
        "userErrors": [
            {
                "field": None,
                "code": "FORBIDDEN",
                "message": "only the platform's operators may do this",
            }
        ],
    }
    assert verified["data"]["verifyOrganization"] == {
        "organization": {"slug": "tokyo-metro", "verification": "VERIFIED"},
        "userErrors": [],
    }
    assert second["data"]["verifyOrganization"] == {
        "organization": None,
        "userErrors": [
            {
                "field": "organizationId",
                "code": "DUPLICATE",
                "message": "東京都 (tokyo-metro) is the verified holder of local government code "
                f"(団体コード) {TOKYO_CODE}: withdraw its verification first if 東京都 is the real "
                "holder",
            }
        ],
    }
    listed = await graphql(client, PREFECTURES_OF_TOKYO, token=token_for(tokens, real))
    assert sorted(
        (o["slug"], o["verification"]) for o in listed["data"]["organizations"]["nodes"]
    ) == [("tokyo-metro", "VERIFIED"), ("tokyo-pref", "UNVERIFIED")]
    # and the verification is in Tokyo's audit log, with who did it
    log = await graphql(
        client, ORGANIZATION, {"slug": "tokyo-metro"}, token=_acting(tokens, real, genuine_id)
    )
    events = log["data"]["organization"]["auditEvents"]["nodes"]
    assert [(e["action"], e["detail"]["by"]) for e in events] == [
        ("organization_verified", "operator:ops@renkei.example")
    ]


async def test_a_firm_claiming_a_held_corporate_number_is_unverified_and_the_holder_is_told(
    sessions, client, tokens
):
    # given a firm holding its 法人番号, verified because nobody else claims it
    owner = await create_user(sessions, "owner@holder.example")
    holder = await graphql(
        client, CREATE_ORGANIZATION, _firm("holder"), token=token_for(tokens, owner)
    )
    holder_id = holder["data"]["createOrganization"]["organization"]["id"]
    secretariat_owner = await create_user(sessions, "owner@kyushu.example")
    secretariat = await create_organization(sessions, secretariat_owner, slug="kyushu-keizai")
    region = await graphql(
        client,
        CREATE_REGION,
        _region("kyushu"),
        token=token_for(tokens, secretariat_owner, secretariat),
    )
    assert region["data"]["createRegion"]["userErrors"] == []
    # when another firm claims the same number, and is invited to sign a declaration
    claimant = await create_user(sessions, "owner@copycat.example")
    copy = await graphql(
        client, CREATE_ORGANIZATION, _firm("copycat"), token=token_for(tokens, claimant)
    )
    copy_id = copy["data"]["createOrganization"]["organization"]["id"]
    invited = await graphql(
        client,
        INVITE_REGION_MEMBER,
        {
            "input": {
                "regionId": await _region_id(client, tokens, secretariat_owner, secretariat),
                "organizationId": copy_id,
                "isSignatory": True,
            }
        },
        token=token_for(tokens, secretariat_owner, secretariat),
    )
    # then the claimant is unverified and cannot sign; the holder stays verified and is told
    assert holder["data"]["createOrganization"]["organization"]["verification"] == "VERIFIED"
    assert copy["data"]["createOrganization"]["organization"]["verification"] == "UNVERIFIED"
    assert invited["data"]["inviteRegionMember"] == {
        "regionMember": None,
        "userErrors": [_unverified("copycat", "sign the declaration", "isSignatory")],
    }
    log = await graphql(
        client, ORGANIZATION, {"slug": "holder"}, token=_acting(tokens, owner, holder_id)
    )
    organization = log["data"]["organization"]
    assert organization["verification"] == "VERIFIED"
    assert [
        (e["action"], e["detail"]["corporate_number"], e["detail"]["claimed_by"])
        for e in organization["auditEvents"]["nodes"]
    ] == [("organization_code_claimed", FIRM_NUMBER, parse_global_id(copy_id)[1])]


async def _region_id(client: Any, tokens: Any, user: Any, organization: Any) -> str:
    body = await graphql(
        client,
        'query { region(slug: "kyushu") { id } }',
        token=token_for(tokens, user, organization),
    )
    return body["data"]["region"]["id"]


UPDATE_REGION = """
mutation UpdateRegion($input: UpdateRegionInput!) {
  updateRegion(input: $input) { region { name } userErrors { field code message } }
}
"""


async def test_a_verified_prefecture_that_changes_its_code_is_unverified_again(
    sessions, client, tokens
):
    # given 東京都, verified by the operator, the secretariat of a region
    owner = await create_user(sessions, "soumu@metro.tokyo.example")
    tokyo = await create_organization(
        sessions,
        owner,
        slug="tokyo-metro",
        name="東京都",
        kind=OrganizationKind.PREFECTURE,
        home_prefecture_code="13",
        local_government_code=TOKYO_CODE,
    )
    token = token_for(tokens, owner, tokyo)
    founded = await graphql(client, CREATE_REGION, _region("kanto"), token=token)
    assert founded["data"]["createRegion"]["userErrors"] == []
    # when its owner moves it to 熊本県's code, then renames the region
    body = await graphql(
        client,
        UPDATE_ORGANIZATION,
        {
            "input": {
                "id": to_global_id("Organization", tokyo.id),
                "homePrefectureCode": "43",
                "localGovernmentCode": "430005",
            }
        },
        token=token,
    )
    region_id = (await graphql(client, 'query { region(slug: "kanto") { id } }', token=token))[
        "data"
    ]["region"]["id"]
    renamed = await graphql(
        client,
        UPDATE_REGION,
        {"input": {"id": region_id, "version": 1, "name": "熊本広域"}},
        token=token,
    )
    # then the verification is gone, says why in the audit log, and it runs the region no more
    assert body["data"]["updateOrganization"] == {
        "organization": {
            "localGovernmentCode": "430005",
            "corporateNumber": None,
            "verification": "UNVERIFIED",
        },
        "userErrors": [],
    }
    assert renamed["data"]["updateRegion"] == {
        "region": None,
        "userErrors": [_unverified("東京都", "run a region as its secretariat")],
    }
    log = await graphql(client, ORGANIZATION, {"slug": "tokyo-metro"}, token=token)
    assert [
        (e["action"], e["reason"]) for e in log["data"]["organization"]["auditEvents"]["nodes"]
    ] == [
        ("organization_verified", None),
        ("organization_unverified", "its 法人番号 or 団体コード changed"),
    ]


async def test_a_verified_firm_that_takes_another_firms_number_is_unverified(
    sessions, client, tokens
):
    # given two verified firms with their own numbers
    first = await create_user(sessions, "owner@first.example")
    await create_organization(sessions, first, slug="first", corporate_number=FIRM_NUMBER)
    second = await create_user(sessions, "owner@second.example")
    other = f"{cn.calc_check_digit('290001000002')}290001000002"
    firm = await create_organization(sessions, second, slug="second", corporate_number=other)
    # when the second takes the first's number
    body = await graphql(
        client,
        UPDATE_ORGANIZATION,
        {"input": {"id": to_global_id("Organization", firm.id), "corporateNumber": FIRM_NUMBER}},
        token=token_for(tokens, second, firm),
    )
    # then it holds the number, unverified
    assert body["data"]["updateOrganization"] == {
        "organization": {
            "localGovernmentCode": None,
            "corporateNumber": FIRM_NUMBER,
            "verification": "UNVERIFIED",
        },
        "userErrors": [],
    }


async def test_the_database_lets_only_the_platform_verify_a_public_body(sessions):
    # given an unverified prefecture and a verified firm, each with its owner acting for it
    owner = await create_user(sessions, "mallory@firm.example")
    tokyo = await create_organization(
        sessions,
        owner,
        slug="tokyo",
        kind=OrganizationKind.PREFECTURE,
        home_prefecture_code="13",
        local_government_code=TOKYO_CODE,
        verified=False,
    )
    firm = await create_organization(sessions, owner, slug="firm")
    for organization, change in [
        (tokyo, "verification = 'VERIFIED'"),
        # a kind change after verification: the firm would become a verified prefecture
        (firm, "kind = 'PREFECTURE'"),
    ]:
        # when its owner writes the row directly, as the application role
        with pytest.raises(DBAPIError, match="only a platform operator verifies"):
            async with sessions() as session, session.begin():
                viewer = await identity.viewer_for(
                    session, owner.id, organization_id=organization.id, scopes=ALL_SCOPES
                )
                await set_viewer(session, viewer)
                await session.execute(
                    text(f"UPDATE organizations SET {change} WHERE id = :id"),
                    {"id": organization.id},
                )
    # then nothing changed


async def test_two_organizations_never_hold_one_verified_code(sessions):
    # given two claimants of Tokyo's code, one of them verified
    owner = await create_user(sessions, "owner@example.jp")
    for slug, verified in [("tokyo-a", True), ("tokyo-b", False)]:
        await create_organization(
            sessions,
            owner,
            slug=slug,
            kind=OrganizationKind.PREFECTURE,
            home_prefecture_code="13",
            local_government_code=TOKYO_CODE,
            verified=verified,
        )
    # when even the platform marks the second verified, past the service
    with pytest.raises(IntegrityError, match="uq_organizations_verified_local_government_code"):
        async with unit_of_work(sessions, Viewer.platform()) as session:
            await session.execute(
                text("UPDATE organizations SET verification = 'VERIFIED' WHERE slug = 'tokyo-b'")
            )


ANSWER_REGION_INVITATION = """
mutation Answer($input: AnswerRegionInvitationInput!) {
  answerRegionInvitation(input: $input) {
    regionMember { status isSignatory }
    userErrors { field code message }
  }
}
"""


async def test_a_firm_whose_verification_is_withdrawn_cannot_sign_what_it_was_invited_to(
    sessions, client, tokens
):
    # given a verified firm invited to sign a region's declaration
    secretariat_owner = await create_user(sessions, "owner@kyushu.example")
    secretariat = await create_organization(sessions, secretariat_owner, slug="kyushu-keizai")
    secretariat_token = token_for(tokens, secretariat_owner, secretariat)
    await graphql(client, CREATE_REGION, _region("kyushu"), token=secretariat_token)
    owner = await create_user(sessions, "owner@firm.example")
    firm = await create_organization(sessions, owner, slug="firm", corporate_number=FIRM_NUMBER)
    invited = await graphql(
        client,
        INVITE_REGION_MEMBER,
        {
            "input": {
                "regionId": await _region_id(client, tokens, secretariat_owner, secretariat),
                "organizationId": to_global_id("Organization", firm.id),
                "isSignatory": True,
            }
        },
        token=secretariat_token,
    )
    assert invited["data"]["inviteRegionMember"]["userErrors"] == []
    # when an operator withdraws the firm's verification, and the firm accepts the invitation
    operator = await _operator(sessions)
    withdrawn = await graphql(
        client,
        VERIFY_ORGANIZATION,
        {"input": {"organizationId": to_global_id("Organization", firm.id), "verified": False}},
        token=token_for(tokens, operator),
    )
    firm_token = token_for(tokens, owner, firm)
    pending = await graphql(
        client,
        'query { region(slug: "kyushu") { members(status: INVITED) { nodes { id } } } }',
        token=firm_token,
    )
    member_id = pending["data"]["region"]["members"]["nodes"][0]["id"]
    answer = await graphql(
        client,
        ANSWER_REGION_INVITATION,
        {"input": {"regionMemberId": member_id, "accept": True}},
        token=firm_token,
    )
    # then it is unverified and does not sign
    assert withdrawn["data"]["verifyOrganization"] == {
        "organization": {"slug": "firm", "verification": "UNVERIFIED"},
        "userErrors": [],
    }
    assert answer["data"]["answerRegionInvitation"] == {
        "regionMember": None,
        "userErrors": [_unverified("firm", "sign the declaration", "regionMemberId")],
    }
