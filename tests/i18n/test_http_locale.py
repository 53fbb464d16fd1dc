"""The API speaks the reader's language: Japanese unless they, their browser or their
organization chose English; and says which in Content-Language."""

from __future__ import annotations

from typing import Any

import httpx2
import pytest

from conftest import CommittedDatabase
from factories import add_member, create_organization, create_user, token_for
from renkei.db import SessionFactory
from renkei.graphql.compiled import direct
from renkei.graphql.compiled.spec import MARK
from renkei.graphql.relay import to_global_id
from renkei.identity.scopes import ORGANIZATIONS_READ
from renkei.identity.tokens import TokenService
from renkei.tenancy import MembershipRole

GRAPHQL_RESPONSE = "application/graphql-response+json"
VIEWER_LOCALE = "query Locale { viewer { locale preferredLocale } }"
UPDATE_PREFERENCES = """
mutation Prefer($locale: Locale) {
  updateViewerPreferences(input: {locale: $locale}) {
    viewer { locale preferredLocale }
    userErrors { field code message }
  }
}
"""
UPDATE_DEFAULT = """
mutation Default($id: ID!, $locale: Locale) {
  updateOrganization(input: {id: $id, defaultLocale: $locale}) {
    organization { defaultLocale }
    userErrors { field code message }
  }
}
"""
ORGANIZATION_DEFAULT = "query Default($id: ID!) { organization(id: $id) { slug defaultLocale } }"
MILESTONES_DUE = """
query Due($from: Date) { milestones(dueFrom: $from, first: 5) { nodes { title } } }
"""


async def ask(
    client: httpx2.AsyncClient,
    query: str,
    variables: dict[str, Any] | None = None,
    *,
    token: str | None = None,
    language: str | None = None,
) -> httpx2.Response:
    headers = {}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    if language:
        headers["Accept-Language"] = language
    return await client.post(
        "/graphql", json={"query": query, "variables": variables or {}}, headers=headers
    )


async def person(sessions: SessionFactory, tokens: TokenService, slug: str) -> tuple[Any, Any, str]:
    owner = await create_user(sessions, f"owner@{slug}.example")
    organization = await create_organization(sessions, owner, slug=slug)
    return owner, organization, token_for(tokens, owner, organization)


# Protocol errors ------------------------------------------------------------------------------


async def test_a_mutation_over_get_is_refused_in_japanese_by_default(client):
    # when
    response = await client.get(
        "/graphql", params={"query": "mutation { __typename }"}, headers={"Accept": "*/*"}
    )
    # then
    assert response.status_code == 405
    assert response.json()["errors"][0]["message"] == "ミューテーションは POST で送信してください。"
    assert response.headers["content-language"] == "ja"
    assert "Accept-Language" in response.headers.get_list("vary")


async def test_a_mutation_over_get_is_refused_in_english_when_the_browser_asks(client):
    # when
    response = await client.get(
        "/graphql",
        params={"query": "mutation { __typename }"},
        headers={"Accept-Language": "en-US,en;q=0.9,ja;q=0.5"},
    )
    # then
    assert response.status_code == 405
    assert response.json()["errors"][0]["message"] == "mutations need POST"
    assert response.headers["content-language"] == "en"


@pytest.mark.parametrize(
    ("language", "message", "content_language"),
    [
        (
            None,
            "Accept ヘッダーには application/graphql-response+json または application/json を"
            "指定してください。",
            "ja",
        ),
        ("en", "accept application/graphql-response+json or application/json", "en"),
        # a language Renkei does not speak: Japanese
        ("fr-FR", None, "ja"),
    ],
)
async def test_an_unacceptable_accept_is_406_in_the_readers_language(
    client, language, message, content_language
):
    # given
    headers = {"Accept": "text/plain"}
    if language:
        headers["Accept-Language"] = language
    # when
    response = await client.post("/graphql", json={"query": "{ __typename }"}, headers=headers)
    # then
    assert response.status_code == 406
    if message is not None:
        assert response.json() == {"errors": [{"message": message}]}
    assert response.headers["content-language"] == content_language


async def test_a_body_that_is_not_json_is_refused_in_japanese(client):
    response = await client.post(
        "/graphql", content=b"{not json", headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 400
    assert response.json()["errors"][0]["message"] == (
        "リクエスト本文が正しい JSON ではありません。"
    )


async def test_a_limit_is_explained_in_the_readers_language(client):
    # given a page of a thousand
    query = "{ organizations(first: 1000) { nodes { name } } }"
    # when asked in Japanese, then in English, then in Japanese again (validation is remembered)
    messages = [
        (await ask(client, query, language=language)).json()["errors"][0]["message"]
        for language in ("ja", "en", "ja")
    ]
    # then
    assert messages == [
        "first は1から100までの数にしてください（指定値: 1000）。",
        "first must be between 1 and 100, got 1000",
        "first は1から100までの数にしてください（指定値: 1000）。",
    ]


async def test_a_refusal_found_while_validating_is_remembered_in_each_language(client):
    # given a string literal PostgreSQL cannot store, refused by a validation rule whose
    # errors are remembered by query text
    query = '{ organization(slug: "a\\u0000b") { name } }'
    # when
    japanese = (await ask(client, query)).json()["errors"][0]["message"]
    english = (await ask(client, query, language="en")).json()["errors"][0]["message"]
    # then
    assert japanese == "この文字列に NUL 文字が含まれています。"
    assert english == "this string contains a NUL character"


# Whose language -------------------------------------------------------------------------------


async def test_the_saved_preference_beats_accept_language(client, sessions, tokens):
    # given a user who saved English
    _, _, token = await person(sessions, tokens, "prefers-en")
    saved = await ask(client, UPDATE_PREFERENCES, {"locale": "EN"}, token=token)
    assert saved.json()["data"]["updateViewerPreferences"]["userErrors"] == []
    # when their browser asks for Japanese
    response = await ask(client, VIEWER_LOCALE, token=token, language="ja")
    # then Renkei writes English
    assert response.json() == {"data": {"viewer": {"locale": "EN", "preferredLocale": "EN"}}}
    assert response.headers["content-language"] == "en"
    # and its refusals too
    many = await ask(
        client,
        "query Many($ids: [ID!]!) { nodes(ids: $ids) { id } }",
        {"ids": [to_global_id("Organization", "x")] * 101},
        token=token,
        language="ja",
    )
    assert many.json()["errors"][0]["message"] == "at most 100 ids at a time"


async def test_without_a_preference_the_browser_chooses(client, sessions, tokens):
    _, _, token = await person(sessions, tokens, "browser-en")
    response = await ask(client, VIEWER_LOCALE, token=token, language="en")
    assert response.json() == {"data": {"viewer": {"locale": "EN", "preferredLocale": None}}}
    assert response.headers["content-language"] == "en"
    default = await ask(client, VIEWER_LOCALE, token=token)
    assert default.json() == {"data": {"viewer": {"locale": "JA", "preferredLocale": None}}}
    assert default.headers["content-language"] == "ja"


async def test_the_organization_default_applies_when_neither_the_user_nor_the_browser_chose(
    client, sessions, tokens
):
    # given an organization whose owner made English its default
    owner, organization, token = await person(sessions, tokens, "default-en")
    member = await create_user(sessions, "member@default-en.example")
    await add_member(sessions, organization, owner, member)
    organization_id = to_global_id("Organization", organization.id)
    changed = await ask(
        client, UPDATE_DEFAULT, {"id": organization_id, "locale": "EN"}, token=token
    )
    assert changed.json()["data"]["updateOrganization"] == {
        "organization": {"defaultLocale": "EN"},
        "userErrors": [],
    }
    member_token = token_for(tokens, member, organization)
    # when a member asks with no Accept-Language, then with Japanese
    unasked = await ask(client, VIEWER_LOCALE, token=member_token)
    asked = await ask(client, VIEWER_LOCALE, token=member_token, language="ja")
    # then the organization's default, unless the browser chose
    assert unasked.json()["data"]["viewer"]["locale"] == "EN"
    assert unasked.headers["content-language"] == "en"
    assert asked.json()["data"]["viewer"]["locale"] == "JA"
    # and when the default is cleared, Japanese
    await ask(client, UPDATE_DEFAULT, {"id": organization_id, "locale": None}, token=token)
    cleared = await ask(client, VIEWER_LOCALE, token=member_token)
    assert cleared.json()["data"]["viewer"]["locale"] == "JA"


async def test_the_organization_default_is_read_by_its_members_and_set_by_its_managers(
    client, sessions, tokens
):
    # given an owner, a plain member and an outsider
    owner, organization, token = await person(sessions, tokens, "default-rules")
    member = await create_user(sessions, "member@default-rules.example")
    await add_member(sessions, organization, owner, member, MembershipRole.MEMBER)
    _, _, outsider_token = await person(sessions, tokens, "default-outsider")
    organization_id = to_global_id("Organization", organization.id)
    await ask(client, UPDATE_DEFAULT, {"id": organization_id, "locale": "EN"}, token=token)
    member_token = token_for(tokens, member, organization)
    # when each reads it
    seen = [
        (await ask(client, ORGANIZATION_DEFAULT, {"id": organization_id}, token=t)).json()
        for t in (member_token, outsider_token)
    ]
    # then the member sees it, the outsider not
    assert [s["data"]["organization"]["defaultLocale"] for s in seen] == ["EN", None]
    # when the plain member tries to change it, in Japanese and in English
    refused = [
        (
            await ask(
                client,
                UPDATE_DEFAULT,
                {"id": organization_id, "locale": "JA"},
                token=member_token,
                language=language,
            )
        ).json()["data"]["updateOrganization"]
        for language in ("ja", "en")
    ]
    # then
    assert [r["userErrors"] for r in refused] == [
        [
            {
                "field": None,
                "code": "FORBIDDEN",
                "message": "この操作ができるのは、団体のオーナーと管理者だけです。",
            }
        ],
        [
            {
                "field": None,
                "code": "FORBIDDEN",
                "message": "only the organization's owners and admins may do this",
            }
        ],
    ]


# updateViewerPreferences ----------------------------------------------------------------------


async def test_update_viewer_preferences_saves_and_clears_the_language(client, sessions, tokens):
    # given
    _, _, token = await person(sessions, tokens, "prefs")
    # when the user chooses English
    chosen = await ask(client, UPDATE_PREFERENCES, {"locale": "EN"}, token=token)
    # then the rest of the response is English already
    assert chosen.json()["data"]["updateViewerPreferences"] == {
        "viewer": {"locale": "EN", "preferredLocale": "EN"},
        "userErrors": [],
    }
    assert chosen.headers["content-language"] == "en"
    # when they clear it (null), with no Accept-Language
    cleared = await ask(client, UPDATE_PREFERENCES, {"locale": None}, token=token)
    # then Japanese again, and nothing saved
    assert cleared.json()["data"]["updateViewerPreferences"] == {
        "viewer": {"locale": "JA", "preferredLocale": None},
        "userErrors": [],
    }
    assert cleared.headers["content-language"] == "ja"
    again = await ask(client, VIEWER_LOCALE, token=token)
    assert again.json()["data"]["viewer"] == {"locale": "JA", "preferredLocale": None}


@pytest.mark.parametrize(
    ("language", "message"),
    [
        (None, "このトークンには organizations:write スコープがありません。"),
        ("en", "this token lacks the organizations:write scope"),
    ],
)
async def test_a_token_without_the_write_scope_cannot_save_preferences(
    client, sessions, tokens, language, message
):
    # given a read-only token
    owner, organization, _ = await person(sessions, tokens, f"prefs-read-{language}")
    token = token_for(tokens, owner, organization, frozenset({ORGANIZATIONS_READ}))
    # when
    response = await ask(
        client, UPDATE_PREFERENCES, {"locale": "EN"}, token=token, language=language
    )
    # then
    assert response.json()["data"]["updateViewerPreferences"] == {
        "viewer": None,
        "userErrors": [{"field": None, "code": "FORBIDDEN", "message": message}],
    }


async def test_saving_preferences_needs_a_viewer(client):
    response = await ask(client, UPDATE_PREFERENCES, {"locale": "EN"})
    assert response.status_code == 401
    assert response.json()["errors"][0]["message"] == (
        "先にサインインしてください。Authorization: Bearer <token> ヘッダーを送信してください。"
    )


async def test_an_unknown_locale_is_refused_by_the_schema(client, sessions, tokens):
    _, _, token = await person(sessions, tokens, "prefs-fr")
    response = await ask(client, UPDATE_PREFERENCES, {"locale": "FR"}, token=token)
    assert response.status_code == 400
    assert "data" not in response.json()


# Dates ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "language", "message"),
    [
        (
            "2026-02-30",
            None,
            "「2026-02-30」は存在しない日付です。月と日を確認してください。（変数 $from）",
        ),
        (
            "2026-02-30",
            "en",
            "2026-02-30 is not a day of the calendar: check the month and the day (variable $from)",
        ),
        (
            "2026/4/1",
            None,
            "「2026/4/1」は日付として読み取れません。YYYY-MM-DD 形式で入力してください"
            "（例: 2026-04-01）。（変数 $from）",
        ),
        (
            "2026/4/1",
            "en",
            "2026/4/1 is not a date: write it as YYYY-MM-DD, for example 2026-04-01 "
            "(variable $from)",
        ),
        (
            20260401,
            None,
            "日付は YYYY-MM-DD 形式の文字列で指定してください（例: 2026-04-01）。（変数 $from）",
        ),
    ],
)
async def test_a_bad_date_variable_is_explained_in_the_readers_language(
    client, sessions, tokens, value, language, message
):
    # given
    _, _, token = await person(sessions, tokens, "dates")
    headers = {"Authorization": f"Bearer {token}", "Accept": GRAPHQL_RESPONSE}
    if language:
        headers["Accept-Language"] = language
    # when
    response = await client.post(
        "/graphql", json={"query": MILESTONES_DUE, "variables": {"from": value}}, headers=headers
    )
    # then
    assert response.status_code == 400
    body = response.json()
    assert "data" not in body
    assert [e["message"] for e in body["errors"]] == [message]
    assert body["errors"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"


async def test_a_bad_date_in_the_document_is_explained_too(client, sessions, tokens):
    _, _, token = await person(sessions, tokens, "dates-literal")
    query = '{ milestones(dueFrom: "2026-13-01", first: 5) { nodes { title } } }'
    japanese = await ask(client, query, token=token)
    english = await ask(client, query, token=token, language="en")
    assert japanese.json()["errors"][0]["message"] == (
        "「2026-13-01」は存在しない日付です。月と日を確認してください。"
    )
    assert english.json()["errors"][0]["message"] == (
        "2026-13-01 is not a day of the calendar: check the month and the day"
    )


@pytest.mark.parametrize("value", ["２０２６－０４－０１", "2026ー04ー01", " 2026-04-01 "])
async def test_a_date_typed_with_full_width_digits_is_read(client, sessions, tokens, value):
    _, _, token = await person(sessions, tokens, "dates-wide")
    response = await ask(client, MILESTONES_DUE, {"from": value}, token=token)
    assert response.status_code == 200
    assert response.json() == {"data": {"milestones": {"nodes": []}}}


# The compiled path and the resolvers ----------------------------------------------------------


@pytest.mark.parametrize(
    ("saved", "language", "expected"),
    [
        (None, None, {"locale": "JA", "preferredLocale": None}),
        (None, "en", {"locale": "EN", "preferredLocale": None}),
        ("EN", "ja", {"locale": "EN", "preferredLocale": "EN"}),
        ("JA", "en", {"locale": "JA", "preferredLocale": "JA"}),
    ],
)
async def test_compiled_and_resolved_viewers_answer_the_same_locale(
    client, resolvers_only, sessions, tokens, statement_counter, saved, language, expected
):
    # given
    _, organization, token = await person(sessions, tokens, f"same-{saved}-{language}")
    if saved:
        await ask(client, UPDATE_PREFERENCES, {"locale": saved}, token=token)
    organization_id = to_global_id("Organization", organization.id)
    default = "EN" if saved == "JA" else None
    await ask(client, UPDATE_DEFAULT, {"id": organization_id, "locale": default}, token=token)
    query = """
    query Both($id: ID!) {
      viewer { locale preferredLocale }
      organization(id: $id) { defaultLocale }
    }
    """
    variables = {"id": organization_id}
    # when
    with statement_counter:
        compiled = await ask(client, query, variables, token=token, language=language)
    compiled_statements = list(statement_counter.statements)
    resolved = await ask(resolvers_only, query, variables, token=token, language=language)
    # then
    assert compiled.json() == resolved.json()
    assert compiled.json()["data"]["viewer"] == expected
    assert compiled.json()["data"]["organization"] == {"defaultLocale": default}
    assert sum(MARK in s for s in compiled_statements) == 1
    assert compiled.headers["content-language"] == resolved.headers["content-language"]


async def test_a_direct_read_speaks_the_saved_language(
    committed: CommittedDatabase, tokens: TokenService, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The pipelined path (renkei.graphql.compiled.direct) reads the saved locale with the
    viewer: its Content-Language is the user's, as on the other paths."""
    # given a user who saved English
    _, _, token = await person(committed.sessions, tokens, "direct-locale")
    await ask(committed.client, UPDATE_PREFERENCES, {"locale": "EN"}, token=token)
    exchanges = []
    answer = direct.answer

    async def counted(*args: Any, **kwargs: Any) -> direct.Answer:
        exchanges.append(args)
        return await answer(*args, **kwargs)

    monkeypatch.setattr(direct, "answer", counted)
    query = "query Mine { viewer { scopes user { email } } }"
    # when they ask the same query twice, their browser asking for Japanese
    responses = [await ask(committed.client, query, token=token, language="ja") for _ in "12"]
    # then the repeat was answered in one exchange, in English
    assert exchanges
    assert [r.headers["content-language"] for r in responses] == ["en", "en"]
    assert responses[0].json() == responses[1].json()


async def test_a_direct_read_of_words_answers_each_reader_in_their_language(
    committed: CommittedDatabase, tokens: TokenService, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A plan whose words depend on the reader (Plan.localized) is bound in Accept-Language's
    language on the pipelined path; a reader who saved another gets it the ordinary way, counted."""
    # given a user who saved English and one who saved nothing
    _, _, english = await person(committed.sessions, tokens, "direct-words-en")
    _, _, default = await person(committed.sessions, tokens, "direct-words-ja")
    await ask(committed.client, UPDATE_PREFERENCES, {"locale": "EN"}, token=english)
    exchanges = []
    answer = direct.answer

    async def counted(*args: Any, **kwargs: Any) -> direct.Answer:
        found = await answer(*args, **kwargs)
        exchanges.append(found)
        return found

    monkeypatch.setattr(direct, "answer", counted)
    query = "query Words { viewer { locale } }"
    before = direct.RELOCALIZED._value.get()
    # when each asks the same localized query twice, their browsers sending no Accept-Language
    answers = {
        name: [(await ask(committed.client, query, token=token)).json()["data"] for _ in "12"]
        for name, token in (("default", default), ("english", english))
    }
    # then each reads their own language; the repeat of the Japanese reader took one exchange,
    # the English reader's was bound in Japanese, dropped, counted and answered again
    assert answers["default"] == [{"viewer": {"locale": "JA"}}] * 2
    assert answers["english"] == [{"viewer": {"locale": "EN"}}] * 2
    assert any(found.raw for found in exchanges)
    assert any(found.relocalize for found in exchanges)
    assert direct.RELOCALIZED._value.get() > before
