"""Japanese first, over real HTTP: a bad 法人番号 is explained in Japanese unless the browser asks
for English, codes typed the Japanese way are stored as ASCII digits, names keep their NFC form.
"""

from __future__ import annotations

import unicodedata
import uuid
from typing import Any

import httpx2
import pytest
from sqlalchemy import select

from factories import create_user, token_for
from renkei.db import SessionFactory, unit_of_work
from renkei.graphql.relay import parse_global_id
from renkei.identity.scopes import ALL_SCOPES
from renkei.organizations.models import Organization
from renkei.projects.models import Project
from renkei.regions.models import Region
from renkei.tenancy import Viewer

CREATE_ORGANIZATION = """
mutation CreateOrganization($input: CreateOrganizationInput!) {
  createOrganization(input: $input) {
    organization { id slug name corporateNumber localGovernmentCode homePrefecture { code } }
    userErrors { field code message }
  }
}
"""

UPDATE_ORGANIZATION = """
mutation UpdateOrganization($input: UpdateOrganizationInput!) {
  updateOrganization(input: $input) {
    organization { corporateNumber homePrefecture { code } }
    userErrors { field code message }
  }
}
"""

ORGANIZATIONS_IN = """
query OrganizationsIn($code: String!) {
  organizations(first: 10, prefectureCode: $code) { nodes { slug } }
}
"""

PREFECTURE = "query Prefecture($code: String!) { prefecture(code: $code) { code name } }"

CREATE_REGION = """
mutation CreateRegion($input: CreateRegionInput!) {
  createRegion(input: $input) {
    region { id prefectures { code } }
    userErrors { field code message }
  }
}
"""

CREATE_PROJECT = """
mutation CreateProject($input: CreateProjectInput!) {
  createProject(input: $input) {
    project { prefectures { code } }
    userErrors { field code message }
  }
}
"""

# A 法人番号 whose check digit (the first digit) is wrong: 国税庁's own is 7000012050002.
WRONG_CHECK_DIGIT = "8000012050002"
NTA_NUMBER = "7000012050002"


def _company(slug: str, **fields: Any) -> dict[str, Any]:
    return {
        "input": {
            "slug": slug,
            "name": "九州チップ",
            "kind": "COMPANY",
            "homePrefectureCode": "43",
            **fields,
        }
    }


async def _post(
    client: httpx2.AsyncClient,
    query: str,
    variables: dict[str, Any],
    token: str,
    headers: dict[str, str] | None = None,
) -> httpx2.Response:
    response = await client.post(
        "/graphql",
        json={"query": query, "variables": variables},
        headers={"Authorization": f"Bearer {token}", **(headers or {})},
    )
    assert response.status_code == 200, response.text
    assert "errors" not in response.json(), response.json()
    return response


@pytest.fixture
def browser(client: httpx2.AsyncClient) -> httpx2.AsyncClient:
    """A new user's client: it sends no Accept-Language (this folder's `client` asks for en)."""
    client.headers.pop("Accept-Language", None)
    return client


def _acting(tokens: Any, user: Any, organization_global_id: str) -> str:
    parsed = parse_global_id(organization_global_id)
    assert parsed is not None
    return tokens.issue(user_id=user.id, organization_id=uuid.UUID(parsed[1]), scopes=ALL_SCOPES)


async def _stored(sessions: SessionFactory, model: Any, column: Any, value: Any) -> Any:
    async with unit_of_work(sessions, Viewer.platform()) as session:
        return await session.scalar(select(model).where(column == value))


# --- the issue's acceptance test ----------------------------------------------------------------


async def test_a_bad_corporate_number_is_explained_in_japanese_and_in_english_on_request(
    sessions, browser, tokens
):
    # given a new user, whose browser says nothing about languages
    founder = await create_user(sessions, "founder@kyushu-chip.example")
    token = token_for(tokens, founder)
    variables = _company("kyushu-chip", corporateNumber=WRONG_CHECK_DIGIT)
    # when they send a 法人番号 with a wrong check digit, then ask again in English
    japanese = await _post(browser, CREATE_ORGANIZATION, variables, token)
    english = await _post(browser, CREATE_ORGANIZATION, variables, token, {"Accept-Language": "en"})
    # then they read what is wrong in Japanese, and in English when their browser asks for it
    assert japanese.json()["data"]["createOrganization"] == {
        "organization": None,
        "userErrors": [
            {
                "field": "corporateNumber",
                "code": "INVALID_CHECK_DIGIT",
                "message": "法人番号 8000012050002 のチェックディジット（先頭の1桁）が"
                "正しくありません（正しくは 7）。番号をお確かめください。",
            }
        ],
    }
    assert english.json()["data"]["createOrganization"] == {
        "organization": None,
        "userErrors": [
            {
                "field": "corporateNumber",
                "code": "INVALID_CHECK_DIGIT",
                "message": "corporate number 8000012050002 has a wrong check digit: its first "
                "digit should be 7",
            }
        ],
    }
    # and each answer says its language; the code, the contract, is the same in both
    assert japanese.headers["content-language"] == "ja"
    assert english.headers["content-language"] == "en"


@pytest.mark.parametrize(
    ("typed", "ja", "en"),
    [
        (
            "７００００１２０５０００",
            "法人番号は13桁の数字です（入力された番号は12桁です）。",
            "a corporate number (法人番号) is 13 digits, not 12",
        ),
        (
            "7000-0120-5000-X",
            "法人番号は13桁の数字です。数字以外の文字は使えません（入力：「700001205000X」）。",
            "a corporate number (法人番号) is 13 digits, without other characters: got "
            '"700001205000X"',
        ),
    ],
    ids=["twelve-digits", "a-letter"],
)
async def test_a_malformed_corporate_number_says_what_is_wrong(
    sessions, browser, tokens, typed, ja, en
):
    founder = await create_user(sessions, "founder@malformed.example")
    token = token_for(tokens, founder)
    variables = _company("malformed", corporateNumber=typed)
    japanese = await _post(browser, CREATE_ORGANIZATION, variables, token)
    english = await _post(browser, CREATE_ORGANIZATION, variables, token, {"Accept-Language": "en"})
    errors = [r.json()["data"]["createOrganization"]["userErrors"][0] for r in (japanese, english)]
    assert [(e["field"], e["code"], e["message"]) for e in errors] == [
        ("corporateNumber", "INVALID", ja),
        ("corporateNumber", "INVALID", en),
    ]


async def test_an_unknown_prefecture_and_a_taken_slug_are_refused_in_japanese(
    sessions, browser, tokens
):
    founder = await create_user(sessions, "founder@taken.example")
    token = token_for(tokens, founder)
    await _post(browser, CREATE_ORGANIZATION, _company("taken"), token)
    taken = await _post(browser, CREATE_ORGANIZATION, _company("taken"), token)
    unknown = await _post(
        browser, CREATE_ORGANIZATION, _company("elsewhere", homePrefectureCode="４８"), token
    )
    assert taken.json()["data"]["createOrganization"]["userErrors"] == [
        {
            "field": "slug",
            "code": "DUPLICATE",
            "message": "スラッグ「taken」はすでに使われています。",
        }
    ]
    assert unknown.json()["data"]["createOrganization"]["userErrors"] == [
        {
            "field": "homePrefectureCode",
            "code": "UNKNOWN_PREFECTURE",
            "message": "都道府県コード「48」はありません。"
            "JIS X 0401 のコード 01（北海道）〜47（沖縄県）を入力してください。",
        }
    ]


# --- codes typed the Japanese way are stored as ASCII digits -------------------------------------


@pytest.mark.parametrize(
    ("fields", "stored"),
    [
        (
            # a municipality typed with full-width digits and an ideographic space
            {
                "kind": "MUNICIPALITY",
                "homePrefectureCode": "　４３",
                "localGovernmentCode": "４３１００１",
            },
            ("43", None, "431001"),
        ),
        (
            # 法人番号 in groups, with the dash an input method types (ー) and a full-width one
            {
                "kind": "NATIONAL_AGENCY",
                "homePrefectureCode": "１３",
                "corporateNumber": "７ー０００－０１２ー０５０００２",
            },
            ("13", NTA_NUMBER, None),
        ),
        (
            # the one-digit form of a prefecture code, as a form might send it
            {"kind": "COMPANY", "homePrefectureCode": "４", "corporateNumber": "7‐0000‐1205‐0002"},
            ("04", NTA_NUMBER, None),
        ),
    ],
    ids=["municipality", "national-agency", "company"],
)
async def test_codes_typed_the_japanese_way_are_stored_as_ascii_digits(
    sessions, browser, tokens, fields, stored
):
    # given
    clerk = await create_user(sessions, "clerk@zenkaku.example")
    token = token_for(tokens, clerk)
    # when
    body = await _post(browser, CREATE_ORGANIZATION, _company("zenkaku", **fields), token)
    # then the codes are the ASCII ones, in the API and in the database
    created = body.json()["data"]["createOrganization"]
    assert created["userErrors"] == []
    organization = created["organization"]
    assert (
        organization["homePrefecture"]["code"],
        organization["corporateNumber"],
        organization["localGovernmentCode"],
    ) == stored
    row = await _stored(sessions, Organization, Organization.slug, "zenkaku")
    assert (row.home_prefecture_code, row.corporate_number, row.local_government_code) == stored
    # and a prefecture code typed in full width finds the organization and the prefecture
    listed = await _post(
        browser, ORGANIZATIONS_IN, {"code": f"　{fields['homePrefectureCode']}"}, token
    )
    assert listed.json()["data"]["organizations"]["nodes"] == [{"slug": "zenkaku"}]
    prefecture = await _post(browser, PREFECTURE, {"code": fields["homePrefectureCode"]}, token)
    assert prefecture.json()["data"]["prefecture"]["code"] == stored[0]


async def test_an_update_with_full_width_codes_stores_ascii_digits(sessions, browser, tokens):
    clerk = await create_user(sessions, "clerk@update.example")
    created = await _post(
        browser, CREATE_ORGANIZATION, _company("update-me"), token_for(tokens, clerk)
    )
    organization_id = created.json()["data"]["createOrganization"]["organization"]["id"]
    token = _acting(tokens, clerk, organization_id)
    updated = await _post(
        browser,
        UPDATE_ORGANIZATION,
        {
            "input": {
                "id": organization_id,
                "homePrefectureCode": "４０",
                "corporateNumber": "７０００−０１２０−５０００２",
            }
        },
        token,
    )
    assert updated.json()["data"]["updateOrganization"] == {
        "organization": {"corporateNumber": NTA_NUMBER, "homePrefecture": {"code": "40"}},
        "userErrors": [],
    }


async def test_regions_and_projects_take_full_width_prefecture_codes(sessions, browser, tokens):
    # given a verified company acting for itself (a private firm with an unclaimed code)
    clerk = await create_user(sessions, "clerk@region.example")
    created = await _post(
        browser,
        CREATE_ORGANIZATION,
        _company("region-founder", corporateNumber=NTA_NUMBER),
        token_for(tokens, clerk),
    )
    token = _acting(
        tokens, clerk, created.json()["data"]["createOrganization"]["organization"]["id"]
    )
    # when it founds a region and a project with full-width prefecture codes
    region = await _post(
        browser,
        CREATE_REGION,
        {
            "input": {
                "slug": "zenkaku-region",
                "name": "全角広域リージョン",
                "prefectureCodes": ["４０", "４３", " ４４ "],
            }
        },
        token,
    )
    made = region.json()["data"]["createRegion"]
    assert made["userErrors"] == []
    project = await _post(
        browser,
        CREATE_PROJECT,
        {
            "input": {
                "name": "半導体人材",
                "category": "SEMICONDUCTOR",
                "regionId": made["region"]["id"],
                "prefectureCodes": ["４３", "４０"],
            }
        },
        token,
    )
    # then both store the ASCII codes
    assert made["region"]["prefectures"] == [{"code": "40"}, {"code": "43"}, {"code": "44"}]
    assert project.json()["data"]["createProject"] == {
        "project": {"prefectures": [{"code": "40"}, {"code": "43"}]},
        "userErrors": [],
    }
    region_row = await _stored(sessions, Region, Region.slug, "zenkaku-region")
    project_row = await _stored(sessions, Project, Project.name, "半導体人材")
    assert (region_row.prefecture_codes, project_row.prefecture_codes) == (
        ["40", "43", "44"],
        ["40", "43"],
    )


# --- names keep their characters: NFC, not NFKC ------------------------------------------------


async def test_names_are_stored_in_nfc_and_keep_their_full_width_letters(sessions, browser, tokens):
    # given a name typed in decomposed form (カ + combining voiced mark) with full-width letters
    decomposed = unicodedata.normalize("NFD", "ＡＢＣがっこう　ガス")
    assert decomposed != "ＡＢＣがっこう　ガス"
    clerk = await create_user(sessions, "clerk@nfc.example")
    # when
    body = await _post(
        browser,
        CREATE_ORGANIZATION,
        _company("nfc-name", name=f"  {decomposed}\u3000"),
        token_for(tokens, clerk),
    )
    # then the name is composed (NFC), trimmed, and its full-width letters stay full width
    assert body.json()["data"]["createOrganization"]["organization"]["name"] == (
        "ＡＢＣがっこう　ガス"
    )
    row = await _stored(sessions, Organization, Organization.slug, "nfc-name")
    assert row.name == "ＡＢＣがっこう　ガス"
