"""createOrganization and updateOrganization: identifiers, refusals, and who may change what."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from stdnum.jp import cn

from factories import add_member, create_organization, create_user, graphql, token_for
from renkei.graphql.relay import parse_global_id, to_global_id
from renkei.identity.scopes import ALL_SCOPES, ORGANIZATIONS_READ
from renkei.tenancy import MembershipRole

CREATE_ORGANIZATION = """
mutation CreateOrganization($input: CreateOrganizationInput!) {
  createOrganization(input: $input) {
    organization {
      id slug name kind corporateNumber localGovernmentCode
      homePrefecture { code name }
    }
    userErrors { field code message }
  }
}
"""

UPDATE_ORGANIZATION = """
mutation UpdateOrganization($input: UpdateOrganizationInput!) {
  updateOrganization(input: $input) {
    organization { name corporateNumber }
    userErrors { field code message }
  }
}
"""

ORGANIZATION_BY_SLUG = """
query OrganizationBySlug($slug: String!) {
  organization(slug: $slug) { name corporateNumber localGovernmentCode }
}
"""

ACTING_ORGANIZATION = """
query ActingOrganization {
  viewer {
    role
    actingOrganization { slug members { nodes { role user { email } } } }
  }
}
"""

# 国税庁's own 法人番号; the others are made with the National Tax Agency's check digit.
NTA_NUMBER = "7000012050002"


def corporate_number(twelve_digits: str) -> str:
    return f"{cn.calc_check_digit(twelve_digits)}{twelve_digits}"


KYUSHU_CHIP_NUMBER = corporate_number("290001000001")


def full_width(digits: str) -> str:
    """The digits as a Japanese input method often types them: ０ to ９ (U+FF10 to U+FF19)."""
    return digits.translate({ord(d): ord(d) - ord("0") + ord("０") for d in "0123456789"})


def acting_token(tokens: Any, user: Any, organization_global_id: str) -> str:
    """A token acting for an organization known only by its global id (made over the API)."""
    parsed = parse_global_id(organization_global_id)
    assert parsed is not None and parsed[0] == "Organization"
    return tokens.issue(user_id=user.id, organization_id=uuid.UUID(parsed[1]), scopes=ALL_SCOPES)


def create_input(**fields: Any) -> dict[str, Any]:
    return {"input": {"kind": "COMPANY", "homePrefectureCode": "40", **fields}}


# --- createOrganization: success --------------------------------------------------------------


async def test_a_company_with_its_corporate_number_is_created_and_its_creator_owns_it(
    sessions, client, tokens
):
    # given
    founder = await create_user(sessions, "founder@kyushu-chip.example")
    variables = create_input(
        slug="kyushu-chip", name="九州チップ株式会社", corporateNumber=KYUSHU_CHIP_NUMBER
    )
    # when
    body = await graphql(client, CREATE_ORGANIZATION, variables, token=token_for(tokens, founder))
    # then
    payload = body["data"]["createOrganization"]
    assert payload["userErrors"] == []
    organization = payload["organization"]
    assert {k: v for k, v in organization.items() if k != "id"} == {
        "slug": "kyushu-chip",
        "name": "九州チップ株式会社",
        "kind": "COMPANY",
        "corporateNumber": KYUSHU_CHIP_NUMBER,
        "localGovernmentCode": None,
        "homePrefecture": {"code": "40", "name": "福岡県"},
    }
    acting = await graphql(
        client, ACTING_ORGANIZATION, token=acting_token(tokens, founder, organization["id"])
    )
    assert acting == {
        "data": {
            "viewer": {
                "role": "OWNER",
                "actingOrganization": {
                    "slug": "kyushu-chip",
                    "members": {
                        "nodes": [
                            {"role": "OWNER", "user": {"email": "founder@kyushu-chip.example"}}
                        ]
                    },
                },
            }
        }
    }


@pytest.mark.parametrize(
    ("kind", "prefecture", "code", "name"),
    [
        ("PREFECTURE", "40", "400009", "福岡県"),
        ("PREFECTURE", "43", "430005", "熊本県"),
        ("MUNICIPALITY", "43", "431001", "熊本市"),
    ],
)
async def test_a_local_government_is_created_with_its_local_government_code(
    sessions, client, tokens, kind, prefecture, code, name
):
    # given
    clerk = await create_user(sessions, "clerk@lg.example")
    variables = create_input(
        slug=f"lg-{code}",
        name=name,
        kind=kind,
        homePrefectureCode=prefecture,
        localGovernmentCode=code,
    )
    # when
    body = await graphql(client, CREATE_ORGANIZATION, variables, token=token_for(tokens, clerk))
    # then
    payload = body["data"]["createOrganization"]
    assert payload["userErrors"] == []
    assert payload["organization"]["kind"] == kind
    assert payload["organization"]["localGovernmentCode"] == code
    assert payload["organization"]["homePrefecture"]["code"] == prefecture
    acting = await graphql(
        client,
        ACTING_ORGANIZATION,
        token=acting_token(tokens, clerk, payload["organization"]["id"]),
    )
    assert acting["data"]["viewer"]["role"] == "OWNER"


@pytest.mark.parametrize(
    ("fields", "stored"),
    [
        (
            {
                "kind": "MUNICIPALITY",
                "homePrefectureCode": full_width("43"),
                "localGovernmentCode": full_width("431001"),
            },
            {"corporateNumber": None, "localGovernmentCode": "431001"},
        ),
        (
            {
                "kind": "NATIONAL_AGENCY",
                "homePrefectureCode": "13",
                "corporateNumber": full_width(NTA_NUMBER),
            },
            {"corporateNumber": NTA_NUMBER, "localGovernmentCode": None},
        ),
    ],
    ids=["municipality", "national-agency"],
)
async def test_full_width_digits_in_codes_are_accepted_and_stored_as_ascii(
    sessions, client, tokens, fields, stored
):
    # given
    clerk = await create_user(sessions, "clerk@zenkaku.example")
    token = token_for(tokens, clerk)
    # when
    body = await graphql(
        client,
        CREATE_ORGANIZATION,
        create_input(slug="zenkaku", name="全角", **fields),
        token=token,
    )
    # then
    assert body["data"]["createOrganization"]["userErrors"] == []
    found = await graphql(client, ORGANIZATION_BY_SLUG, {"slug": "zenkaku"}, token=token)
    assert found == {"data": {"organization": {"name": "全角", **stored}}}


# --- createOrganization: refusals, with nothing written -----------------------------------------

REFUSALS = [
    pytest.param(
        {"corporateNumber": "8000012050002"},
        {
            "field": "corporateNumber",
            "code": "INVALID_CHECK_DIGIT",
            "message": "corporate number 8000012050002 has a wrong check digit: its first digit "
            "should be 7",
        },
        id="corporate-number-check-digit",
    ),
    pytest.param(
        {"kind": "PREFECTURE", "homePrefectureCode": "43", "localGovernmentCode": "430006"},
        {
            "field": "localGovernmentCode",
            "code": "INVALID_CHECK_DIGIT",
            "message": "local government code 430006 has a wrong check digit (expected 5)",
        },
        id="local-government-code-check-digit",
    ),
    pytest.param(
        {"homePrefectureCode": "48"},
        {
            "field": "homePrefectureCode",
            "code": "UNKNOWN_PREFECTURE",
            "message": 'unknown prefecture code "48": '
            "use a JIS X 0401 code from 01 (北海道) to 47 (沖縄県)",
        },
        id="unknown-prefecture",
    ),
    pytest.param(
        {"kind": "PREFECTURE", "homePrefectureCode": "40", "localGovernmentCode": "430005"},
        {
            "field": "localGovernmentCode",
            "code": "INVALID",
            "message": "local government code 430005 lies in Kumamoto (43), "
            "not in the home prefecture Fukuoka (40)",
        },
        id="code-of-another-prefecture",
    ),
    pytest.param(
        {"kind": "PREFECTURE", "homePrefectureCode": "43", "localGovernmentCode": "431001"},
        {
            "field": "localGovernmentCode",
            "code": "INVALID",
            "message": "local government code 431001 is a municipality's; "
            "a prefecture uses its own code, 430005 for Kumamoto (43)",
        },
        id="municipality-code-for-a-prefecture",
    ),
    pytest.param(
        {"kind": "MUNICIPALITY", "homePrefectureCode": "43", "localGovernmentCode": "430005"},
        {
            "field": "localGovernmentCode",
            "code": "INVALID",
            "message": "local government code 430005 is the prefecture's own; "
            "a municipality uses its own 6-digit code",
        },
        id="prefecture-code-for-a-municipality",
    ),
    pytest.param(
        {"kind": "PREFECTURE", "homePrefectureCode": "43"},
        {
            "field": "localGovernmentCode",
            "code": "INVALID",
            "message": "a prefecture or municipality needs its local government code "
            "(全国地方公共団体コード)",
        },
        id="local-government-without-code",
    ),
    pytest.param(
        {"kind": "COMPANY", "homePrefectureCode": "43", "localGovernmentCode": "431001"},
        {
            "field": "localGovernmentCode",
            "code": "INVALID",
            "message": "only prefectures and municipalities have a local government code",
        },
        id="local-government-code-on-a-company",
    ),
]


@pytest.mark.parametrize(("fields", "error"), REFUSALS)
async def test_a_refused_organization_is_not_created(sessions, client, tokens, fields, error):
    # given
    clerk = await create_user(sessions, "clerk@refused.example")
    token = token_for(tokens, clerk)
    # when
    body = await graphql(
        client,
        CREATE_ORGANIZATION,
        create_input(slug="refused", name="却下", **fields),
        token=token,
    )
    # then
    assert body == {"data": {"createOrganization": {"organization": None, "userErrors": [error]}}}
    found = await graphql(client, ORGANIZATION_BY_SLUG, {"slug": "refused"}, token=token)
    assert found == {"data": {"organization": None}}


@pytest.mark.parametrize("slug", ["Gifu Pref", "-gifu", "gifu-", "g", "岐阜県"])
async def test_a_bad_slug_is_refused(sessions, client, tokens, slug):
    # given
    clerk = await create_user(sessions, "clerk@gifu.example")
    # when
    body = await graphql(
        client,
        CREATE_ORGANIZATION,
        create_input(slug=slug, name="岐阜県庁"),
        token=token_for(tokens, clerk),
    )
    # then
    assert body["data"]["createOrganization"] == {
        "organization": None,
        "userErrors": [
            {
                "field": "slug",
                "code": "INVALID",
                "message": "a slug is 2 to 63 lower-case letters, digits and hyphens, "
                "e.g. gifu-pref",
            }
        ],
    }


async def test_a_taken_slug_is_a_duplicate_and_the_holder_is_untouched(sessions, client, tokens):
    # given
    first = await create_user(sessions, "first@chip.example")
    second = await create_user(sessions, "second@chip.example")
    await create_organization(sessions, first, slug="kyushu-chip", name="九州チップ株式会社")
    token = token_for(tokens, second)
    # when
    body = await graphql(
        client, CREATE_ORGANIZATION, create_input(slug="kyushu-chip", name="別会社"), token=token
    )
    # then
    assert body["data"]["createOrganization"] == {
        "organization": None,
        "userErrors": [
            {"field": "slug", "code": "DUPLICATE", "message": "the slug 'kyushu-chip' is taken"}
        ],
    }
    found = await graphql(client, ORGANIZATION_BY_SLUG, {"slug": "kyushu-chip"}, token=token)
    assert found["data"]["organization"]["name"] == "九州チップ株式会社"


async def test_an_anonymous_caller_cannot_create_an_organization(sessions, client, tokens):
    # given
    onlooker = await create_user(sessions, "onlooker@example.jp")
    # when
    response = await client.post(
        "/graphql",
        json={"query": CREATE_ORGANIZATION, "variables": create_input(slug="nobody", name="匿名")},
    )
    # then: refused before the mutation runs
    assert response.status_code == 401
    assert response.json() == {
        "errors": [
            {
                "message": "sign in first: send an Authorization: Bearer <token> header",
                "extensions": {"code": "UNAUTHENTICATED"},
            }
        ]
    }
    found = await graphql(
        client, ORGANIZATION_BY_SLUG, {"slug": "nobody"}, token=token_for(tokens, onlooker)
    )
    assert found == {"data": {"organization": None}}


async def test_a_token_without_the_write_scope_cannot_create_an_organization(
    sessions, client, tokens
):
    # given
    reader = await create_user(sessions, "reader@example.jp")
    read_only = token_for(tokens, reader, scopes=frozenset({ORGANIZATIONS_READ}))
    # when
    body = await graphql(
        client, CREATE_ORGANIZATION, create_input(slug="read-only", name="読取"), token=read_only
    )
    # then
    assert body == {
        "data": {
            "createOrganization": {
                "organization": None,
                "userErrors": [
                    {
                        "field": None,
                        "code": "FORBIDDEN",
                        "message": "this token lacks the organizations:write scope",
                    }
                ],
            }
        }
    }
    found = await graphql(client, ORGANIZATION_BY_SLUG, {"slug": "read-only"}, token=read_only)
    assert found == {"data": {"organization": None}}


# --- updateOrganization -------------------------------------------------------------------------


@pytest.mark.parametrize("role", [MembershipRole.OWNER, MembershipRole.ADMIN])
async def test_owners_and_admins_rename_their_organization(sessions, client, tokens, role):
    # given
    owner = await create_user(sessions, "owner@kumamoto.example")
    organization = await create_organization(sessions, owner, slug="kumamoto-chip", name="旧社名")
    editor = owner
    if role is MembershipRole.ADMIN:
        editor = await create_user(sessions, "admin@kumamoto.example")
        await add_member(sessions, organization, owner, editor, role)
    token = token_for(tokens, editor, organization)
    # when
    body = await graphql(
        client,
        UPDATE_ORGANIZATION,
        {"input": {"id": to_global_id("Organization", organization.id), "name": " 熊本チップ "}},
        token=token,
    )
    # then
    assert body["data"]["updateOrganization"] == {
        "organization": {"name": "熊本チップ", "corporateNumber": None},
        "userErrors": [],
    }
    found = await graphql(client, ORGANIZATION_BY_SLUG, {"slug": "kumamoto-chip"}, token=token)
    assert found["data"]["organization"]["name"] == "熊本チップ"


@pytest.mark.parametrize("role", [MembershipRole.MEMBER, MembershipRole.VIEWER])
async def test_members_and_viewers_cannot_update_their_organization(sessions, client, tokens, role):
    # given
    owner = await create_user(sessions, "owner@saga.example")
    organization = await create_organization(sessions, owner, slug="saga-chip", name="佐賀チップ")
    member = await create_user(sessions, "member@saga.example")
    await add_member(sessions, organization, owner, member, role)
    token = token_for(tokens, member, organization)
    # when
    body = await graphql(
        client,
        UPDATE_ORGANIZATION,
        {"input": {"id": to_global_id("Organization", organization.id), "name": "乗っ取り"}},
        token=token,
    )
    # then
    assert body["data"]["updateOrganization"] == {
        "organization": None,
        "userErrors": [
            {
                "field": None,
                "code": "FORBIDDEN",
                "message": "only the organization's owners and admins may do this",
            }
        ],
    }
    found = await graphql(client, ORGANIZATION_BY_SLUG, {"slug": "saga-chip"}, token=token)
    assert found["data"]["organization"]["name"] == "佐賀チップ"


async def test_an_admin_of_another_organization_cannot_update_it(sessions, client, tokens):
    # given
    owner = await create_user(sessions, "owner@oita.example")
    target = await create_organization(sessions, owner, slug="oita-chip", name="大分チップ")
    rival = await create_user(sessions, "owner@miyazaki.example")
    own = await create_organization(sessions, rival, slug="miyazaki-chip", name="宮崎チップ")
    token = token_for(tokens, rival, own)
    # when
    body = await graphql(
        client,
        UPDATE_ORGANIZATION,
        {"input": {"id": to_global_id("Organization", target.id), "name": "宮崎チップ大分支社"}},
        token=token,
    )
    # then
    assert body["data"]["updateOrganization"] == {
        "organization": None,
        "userErrors": [
            {
                "field": None,
                "code": "FORBIDDEN",
                "message": "only the organization's owners and admins may do this",
            }
        ],
    }
    found = await graphql(client, ORGANIZATION_BY_SLUG, {"slug": "oita-chip"}, token=token)
    assert found["data"]["organization"]["name"] == "大分チップ"
