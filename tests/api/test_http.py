"""GraphQL over HTTP (the GraphQL Foundation's specification): media types, methods, status codes.

`application/graphql-response+json` is the preferred media type of the clients that name it: with
it, a request that cannot run (bad document, bad variables) is a 400 whose body has `errors` and no
`data`. Clients that send no Accept, or accept `application/json` or only wildcards, get
`application/json` and the legacy 200. (The fixtures' clients name both, as graphql-http's does.)

"""

from __future__ import annotations

import json
import re
import time
import uuid
from contextlib import asynccontextmanager

import httpx2
import pytest
from joserfc import jwt
from joserfc.jwk import KeySet
from sqlalchemy import text

from factories import API_ACCEPT, create_user, token_for
from renkei.identity.tokens import TokenService, generate_key

# The messages asserted here are the English ones (Accept-Language: en).
pytestmark = pytest.mark.usefixtures("in_english")

GRAPHQL_RESPONSE = "application/graphql-response+json"
JSON = "application/json"

PREFECTURE = """
query Prefecture($code: String!) { prefecture(code: $code) { name } }
"""
TWO_QUERIES = """
query Hokkaido { hokkaido: prefecture(code: "01") { name } }
query Gifu { gifu: prefecture(code: "21") { name } }
"""
QUERY_AND_MUTATION = """
query Gifu { prefecture(code: "21") { name } }
mutation Leave { removeMember(input: {membershipId: "x"}) { removedMembershipId } }
"""
UNKNOWN_FIELD = '{ prefecture(code: "21") { population } }'
SYNTAX_ERROR = '{ prefecture(code: "21") { name }'
ORGANIZATION_BY_SLUG = """
query OrganizationBySlug($slug: String!) { organization(slug: $slug) { name } }
"""
CREATE_TWO_ORGANIZATIONS = """
mutation CreateTwo {
  first: createOrganization(input: {slug: "first-org", name: "First", kind: COMPANY,
                                    homePrefectureCode: "21"}) {
    organization { name }
    userErrors { code }
  }
  second: createOrganization(input: {slug: "second-org", name: "Second", kind: COMPANY,
                                     homePrefectureCode: "40"}) {
    organization { name }
    userErrors { code }
  }
}
"""
MASKED = "Internal error: it has been logged; try again later."
GIFU = {"data": {"prefecture": {"name": "岐阜県"}}}


async def post(
    client: httpx2.AsyncClient,
    body: dict[str, object],
    *,
    accept: str | None = API_ACCEPT["Accept"],
    token: str | None = None,
) -> httpx2.Response:
    """POST `body`; with `accept` as the only Accept header, or none at all when it is None."""
    headers = {}
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    request = client.build_request("POST", "/graphql", json=body, headers=headers)
    del request.headers["Accept"]
    if accept is not None:
        request.headers["Accept"] = accept
    return await client.send(request)


# Media types


@pytest.mark.parametrize(
    ("accept", "media"),
    [
        (None, JSON),
        (GRAPHQL_RESPONSE, GRAPHQL_RESPONSE),
        (JSON, JSON),
        (f"{JSON}, {GRAPHQL_RESPONSE}", GRAPHQL_RESPONSE),
        (f"{GRAPHQL_RESPONSE};q=0.5, {JSON}", JSON),
        (f"{GRAPHQL_RESPONSE}, */*;q=0.1", GRAPHQL_RESPONSE),
        ("*/*", JSON),
        ("text/html, application/*;q=0.8", JSON),
        (f"{JSON};q=0, */*", GRAPHQL_RESPONSE),
    ],
)
async def test_the_response_media_type_follows_accept(client, accept, media):
    # when
    response = await post(client, {"query": PREFECTURE, "variables": {"code": "21"}}, accept=accept)
    # then
    assert response.status_code == 200
    assert response.headers["content-type"] == media
    assert response.json() == GIFU


@pytest.mark.parametrize("accept", ["text/plain", f"{GRAPHQL_RESPONSE};q=0, {JSON};q=0"])
async def test_nothing_acceptable_is_406(client, accept):
    # when
    response = await post(client, {"query": PREFECTURE, "variables": {"code": "21"}}, accept=accept)
    # then
    assert response.status_code == 406
    assert response.headers["content-type"] == JSON
    # the answer depends on Accept, and (as every answer) on Accept-Language
    assert response.headers.get_list("vary") == ["Accept", "Accept-Language"]
    assert response.json() == {"errors": [{"message": f"accept {GRAPHQL_RESPONSE} or {JSON}"}]}


@pytest.mark.parametrize("content_type", ["application/x-www-form-urlencoded", "text/plain", None])
async def test_a_post_that_is_not_json_is_415(client, content_type):
    # given
    headers = {"Content-Type": content_type} if content_type else {}
    # when
    response = await client.post("/graphql", content=b"query={__typename}", headers=headers)
    # then
    assert response.status_code == 415
    assert response.headers["content-type"] == GRAPHQL_RESPONSE
    assert response.json() == {"errors": [{"message": "send the request as application/json"}]}


async def test_json_with_a_charset_parameter_is_json(client):
    # when
    response = await client.post(
        "/graphql",
        content=json.dumps({"query": PREFECTURE, "variables": {"code": "21"}}).encode(),
        headers={"Content-Type": "application/json; charset=utf-8"},
    )
    # then
    assert response.status_code == 200
    assert response.json() == GIFU


# Malformed requests


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"{not json", "the body is not valid JSON"),
        (b"\xff\xfe", "the body is not valid JSON"),
        (b"", "the body is not valid JSON"),
        (b"[1, 2]", "the body must be a JSON object with a query"),
        (b'"{ __typename }"', "the body must be a JSON object with a query"),
        (b'{"query": 1}', "query must be a string"),
        (b'{"query": {"text": "{ __typename }"}}', "query must be a string"),
        (b'{"query": "{ __typename }", "variables": [1]}', "variables must be a JSON object"),
        (b'{"query": "{ __typename }", "variables": "{}"}', "variables must be a JSON object"),
        (b'{"query": "{ __typename }", "operationName": 1}', "operationName must be a string"),
        (b"{}", "no query was sent"),
        (b'{"variables": {}}', "no query was sent"),
        (b'{"query": ""}', "no query was sent"),
    ],
)
async def test_a_malformed_request_is_400(client, body, message):
    # when
    response = await client.post(
        "/graphql", content=body, headers={"Content-Type": "application/json"}
    )
    # then
    assert response.status_code == 400
    assert response.headers["content-type"] == GRAPHQL_RESPONSE
    assert response.json() == {"errors": [{"message": message}]}


# Documents that fail to parse or validate, and variables that fail to coerce


INVALID_DOCUMENTS = [
    (
        {"query": UNKNOWN_FIELD},
        {
            "message": "Cannot query field 'population' on type 'Prefecture'.",
            "locations": [{"line": 1, "column": 28}],
            "extensions": {"code": "GRAPHQL_VALIDATION_FAILED"},
        },
    ),
    (
        {"query": SYNTAX_ERROR},
        {
            "message": "Syntax Error: Expected Name, found <EOF>.",
            "locations": [{"line": 1, "column": 34}],
            "extensions": {"code": "GRAPHQL_PARSE_FAILED"},
        },
    ),
    (
        {"query": PREFECTURE, "variables": {}},
        {
            "message": "Variable '$code' has invalid value: "
            "Expected a value of non-null type 'String!' to be provided.",
            "locations": [{"line": 2, "column": 18}],
            "extensions": {"code": "GRAPHQL_VALIDATION_FAILED"},
        },
    ),
    (
        {"query": PREFECTURE, "variables": {"code": 21}},
        {
            "message": "Variable '$code' has invalid value: "
            "String cannot represent a non string value: 21",
            "locations": [{"line": 2, "column": 18}],
            "extensions": {"code": "GRAPHQL_VALIDATION_FAILED"},
        },
    ),
]


@pytest.mark.parametrize(("body", "error"), INVALID_DOCUMENTS)
async def test_a_request_that_cannot_run_is_400_without_data(client, body, error):
    # when
    response = await post(client, body, accept=GRAPHQL_RESPONSE)
    # then
    assert response.status_code == 400
    assert response.headers["content-type"] == GRAPHQL_RESPONSE
    assert response.json() == {"errors": [error]}


@pytest.mark.parametrize("accept", [JSON, None, "*/*"], ids=["json", "no accept", "any"])
@pytest.mark.parametrize(("body", "error"), INVALID_DOCUMENTS)
async def test_a_request_that_cannot_run_is_200_for_legacy_json_clients(
    client, body, error, accept
):
    # when: a client that asks for application/json, or names no media type of ours
    response = await post(client, body, accept=accept)
    # then
    assert response.status_code == 200
    assert response.headers["content-type"] == JSON
    assert response.json() == {"errors": [error]}


async def test_field_errors_during_execution_are_200_with_data(client):
    # when: more than 100 ids is refused by the resolver, after execution began
    response = await post(
        client, {"query": "{ nodes(ids: [" + ",".join(['"x"'] * 101) + "]) { id } }"}
    )
    # then
    assert response.status_code == 200
    assert response.json() == {
        "data": None,
        "errors": [
            {
                "message": "at most 100 ids at a time",
                "locations": [{"line": 1, "column": 3}],
                "path": ["nodes"],
                "extensions": {"code": "TOO_MANY_IDS"},
            }
        ],
    }


# Choosing the operation


async def test_operation_name_picks_the_operation(client):
    # when
    response = await post(client, {"query": TWO_QUERIES, "operationName": "Gifu"})
    # then
    assert response.status_code == 200
    assert response.json() == {"data": {"gifu": {"name": "岐阜県"}}}


async def test_several_operations_without_a_name_are_refused(client):
    # when
    response = await post(client, {"query": TWO_QUERIES})
    # then: the spec makes this a request error, rather than running the first operation
    assert response.status_code == 400
    assert response.headers["content-type"] == GRAPHQL_RESPONSE
    assert response.json() == {
        "errors": [
            {
                "message": "the document has several operations: name one in operationName",
                "extensions": {"code": "GRAPHQL_VALIDATION_FAILED"},
            }
        ]
    }


async def test_an_unknown_operation_name_is_refused(client):
    # when
    response = await post(client, {"query": TWO_QUERIES, "operationName": "Tokyo"})
    # then
    assert response.status_code == 400
    assert response.json() == {
        "errors": [
            {
                "message": "the document has no operation named 'Tokyo'",
                "extensions": {"code": "GRAPHQL_VALIDATION_FAILED"},
            }
        ]
    }


# Methods


async def test_get_runs_a_query_with_variables_and_operation_name(client):
    # when
    response = await client.get(
        "/graphql",
        params={
            "query": TWO_QUERIES + PREFECTURE,
            "variables": json.dumps({"code": "47"}),
            "operationName": "Prefecture",
        },
    )
    # then
    assert response.status_code == 200
    assert response.headers["content-type"] == GRAPHQL_RESPONSE
    assert response.json() == {"data": {"prefecture": {"name": "沖縄県"}}}


async def test_an_empty_operation_name_is_no_name(client):
    # when
    response = await client.get(
        "/graphql", params={"query": '{ prefecture(code: "21") { name } }', "operationName": ""}
    )
    # then
    assert response.status_code == 200
    assert response.json() == GIFU


async def test_get_with_variables_that_are_not_json_is_400(client):
    # when
    response = await client.get("/graphql", params={"query": PREFECTURE, "variables": "{code"})
    # then
    assert response.status_code == 400
    assert response.json() == {"errors": [{"message": "variables is not valid JSON"}]}


@pytest.mark.parametrize(
    "params",
    [
        {"query": 'mutation { removeMember(input: {membershipId: "x"}) { removedMembershipId } }'},
        {"query": QUERY_AND_MUTATION, "operationName": "Leave"},
    ],
)
async def test_a_mutation_over_get_is_405(client, params):
    # when
    response = await client.get("/graphql", params=params)
    # then
    assert response.status_code == 405
    assert response.headers["allow"] == "POST"
    assert response.headers["content-type"] == GRAPHQL_RESPONSE
    assert response.json() == {"errors": [{"message": "mutations need POST"}]}


async def test_the_query_of_a_mixed_document_runs_over_get(client):
    # when
    response = await client.get(
        "/graphql", params={"query": QUERY_AND_MUTATION, "operationName": "Gifu"}
    )
    # then
    assert response.status_code == 200
    assert response.json() == GIFU


@pytest.mark.parametrize("method", ["PUT", "DELETE", "PATCH"])
async def test_other_methods_are_405(client, method):
    # when
    response = await client.request(method, "/graphql", json={"query": "{ __typename }"})
    # then
    assert response.status_code == 405
    assert response.headers["allow"] == "GET, POST"
    assert response.json() == {"errors": [{"message": "use GET or POST"}]}


# Authentication


async def test_a_garbled_bearer_token_is_401(client):
    # when
    response = await post(client, {"query": "{ __typename }"}, token="not-a-jwt")
    # then
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == 'Bearer error="invalid_token"'
    assert response.headers["content-type"] == GRAPHQL_RESPONSE
    assert response.json() == {
        "errors": [{"message": "invalid access token: decode_error: Invalid JSON Web Signature"}]
    }


async def test_a_token_signed_by_another_key_is_401(client):
    # given
    forger = TokenService(KeySet([generate_key()]), issuer="http://renkei.test")
    token = forger.issue(user_id=uuid.uuid4(), organization_id=None, scopes=frozenset())
    # when
    response = await post(client, {"query": "{ __typename }"}, token=token)
    # then
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == 'Bearer error="invalid_token"'
    kid = forger.keys.keys[0].kid
    assert response.json() == {
        "errors": [{"message": f"invalid access token: invalid_key_id: No key for kid: '{kid}'"}]
    }


async def test_a_token_for_another_audience_is_401(client, sessions, tokens):
    # given: signed by our own keys and issuer, but for another API
    user = await create_user(sessions, "aud@a.example")
    elsewhere = TokenService(tokens.keys, issuer=tokens.issuer, audience="https://other.example")
    token = elsewhere.issue(user_id=user.id, organization_id=None, scopes=frozenset())
    # when
    response = await post(client, {"query": "{ viewer { user { email } } }"}, token=token)
    # then
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == 'Bearer error="invalid_token"'
    assert "aud" in response.json()["errors"][0]["message"]


async def test_a_jwt_of_another_type_signed_by_our_keys_is_401(client, sessions, tokens):
    # given: an ID token's shape (typ JWT), signed by our key for our issuer and audience
    user = await create_user(sessions, "idtoken@a.example")
    now = int(time.time())
    key = tokens.keys.keys[0]
    claims = {"iss": tokens.issuer, "aud": tokens.audience, "sub": str(user.id), "exp": now + 60}
    token = jwt.encode({"alg": "RS256", "kid": key.kid, "typ": "JWT"}, claims, tokens.keys)
    # when
    response = await post(client, {"query": "{ viewer { user { email } } }"}, token=token)
    # then
    assert response.status_code == 401
    assert response.json() == {
        "errors": [{"message": "invalid access token: its type is not at+jwt"}]
    }


async def test_an_expired_token_is_401(client, sessions, tokens):
    # given: expired a minute ago, beyond the 30 seconds of leeway
    user = await create_user(sessions, "late@a.example")
    token = tokens.issue(user_id=user.id, organization_id=None, scopes=frozenset(), ttl_seconds=-60)
    # when
    response = await post(client, {"query": "{ viewer { user { email } } }"}, token=token)
    # then
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == 'Bearer error="invalid_token"'
    assert response.json() == {
        "errors": [{"message": "invalid access token: expired_token: The token is expired"}]
    }


async def test_a_token_of_a_user_who_no_longer_exists_is_401(client, tokens):
    # given
    token = tokens.issue(user_id=uuid.uuid4(), organization_id=None, scopes=frozenset())
    # when
    response = await post(client, {"query": "{ __typename }"}, token=token)
    # then
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == 'Bearer error="invalid_token"'
    assert response.json() == {"errors": [{"message": "the token's user no longer exists"}]}


@pytest.mark.parametrize("authorization", ["Basic dXNlcjpwYXNz", "Bearer ", "token-without-scheme"])
async def test_an_authorization_that_is_not_bearer_is_401(client, authorization):
    # when
    response = await client.post(
        "/graphql", json={"query": "{ __typename }"}, headers={"Authorization": authorization}
    )
    # then
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == 'Bearer error="invalid_request"'
    assert response.json() == {
        "errors": [{"message": "use an Authorization: Bearer <token> header"}]
    }


async def test_a_valid_token_signs_the_viewer_in(client, sessions, tokens):
    # given
    user = await create_user(sessions, "ok@a.example")
    # when
    response = await post(
        client, {"query": "{ viewer { user { email } } }"}, token=token_for(tokens, user)
    )
    # then
    assert response.status_code == 200
    assert response.json() == {"data": {"viewer": {"user": {"email": "ok@a.example"}}}}


# Faults


async def misconfigure_the_database(sessions):
    """From now on the database finds none of Renkei's tables: a fault, not a user error."""
    async with sessions() as session, session.begin():
        await session.execute(text("SET LOCAL search_path = nowhere"))


async def test_faults_are_masked_in_production(production_client, sessions):
    # given
    await misconfigure_the_database(sessions)
    # when
    response = await post(
        production_client, {"query": ORGANIZATION_BY_SLUG, "variables": {"slug": "gifu-lab"}}
    )
    # then
    assert response.status_code == 200
    assert response.json() == {
        "data": {"organization": None},
        "errors": [
            {
                "message": MASKED,
                "locations": [{"line": 2, "column": 44}],
                "path": ["organization"],
                "extensions": {"code": "INTERNAL_ERROR"},
            }
        ],
    }


async def test_faults_are_shown_in_development(client, sessions):
    # given
    await misconfigure_the_database(sessions)
    # when
    response = await post(
        client, {"query": ORGANIZATION_BY_SLUG, "variables": {"slug": "gifu-lab"}}
    )
    # then
    [error] = response.json()["errors"]
    assert error["message"].startswith(
        '(psycopg.errors.UndefinedTable) relation "organizations" does not exist'
    )


@asynccontextmanager
async def prefecture_held_elsewhere(sessions, owner_engine, code):
    """Another client locks a prefecture's row; Renkei waits 100 ms at most for a lock."""
    async with sessions() as session, session.begin():
        await session.execute(text("SET LOCAL lock_timeout = '100ms'"))
    async with owner_engine.connect() as other, other.begin():
        await other.execute(
            text("SELECT 1 FROM prefectures WHERE code = :code FOR UPDATE"), {"code": code}
        )
        yield


@pytest.mark.parametrize("development", [True, False])
async def test_a_fault_rolls_back_the_whole_request(
    client, production_client, sessions, tokens, owner_engine, development
):
    # given
    api = client if development else production_client
    token = token_for(tokens, await create_user(sessions, "owner@a.example"))
    # when: the first mutation succeeds; the second one waits for 福岡県, which another client
    # holds, and gives up
    async with prefecture_held_elsewhere(sessions, owner_engine, "40"):
        response = await post(api, {"query": CREATE_TWO_ORGANIZATIONS}, token=token)
    # then
    assert response.status_code == 200
    body = response.json()
    assert body["data"] is None
    assert [(e["path"], e["message"] == MASKED) for e in body["errors"]] == [
        (["second"], not development)
    ]
    after = await post(
        api, {"query": ORGANIZATION_BY_SLUG, "variables": {"slug": "first-org"}}, token=token
    )
    assert after.json() == {"data": {"organization": None}}


async def test_a_request_without_fault_commits(production_client, sessions, tokens):
    # given
    token = token_for(tokens, await create_user(sessions, "owner@a.example"))
    # when
    response = await post(
        production_client,
        {"query": CREATE_TWO_ORGANIZATIONS},
        token=token,
    )
    # then
    assert response.json() == {
        "data": {
            "first": {"organization": {"name": "First"}, "userErrors": []},
            "second": {"organization": {"name": "Second"}, "userErrors": []},
        }
    }
    after = await post(
        production_client,
        {"query": ORGANIZATION_BY_SLUG, "variables": {"slug": "first-org"}},
        token=token,
    )
    assert after.json() == {"data": {"organization": {"name": "First"}}}


# GraphiQL


BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"


async def test_graphiql_is_served_to_browsers_in_development(client):
    # when
    response = await client.get("/graphql", headers={"Accept": BROWSER})
    # then
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    assert re.search(r"<title>GraphiQL[^<]*Renkei[^<]*</title>", response.text)
    # Offline: GraphiQL, React and ReactDOM come from Renkei itself, never from a CDN.
    scripts = re.findall(r'<script src="([^"]+)"', response.text)
    assert scripts and all(src.startswith("/static/") for src in scripts)
    assert "<script>" not in response.text
    policy = response.headers["content-security-policy"]
    assert "script-src 'self';" in policy and "unsafe-eval" not in policy
    for src in scripts:
        assert (await client.get(src)).status_code == 200


async def test_graphiql_is_not_served_in_production(production_client):
    # when
    response = await production_client.get("/graphql", headers={"Accept": BROWSER})
    # then: a browser names neither media type (only */*), so its answer is application/json
    assert response.status_code == 400
    assert response.headers["content-type"] == JSON
    assert response.json() == {"errors": [{"message": "no query was sent"}]}


async def test_a_browser_get_with_a_query_runs_it_in_development(client):
    # when
    response = await client.get(
        "/graphql",
        params={"query": '{ prefecture(code: "21") { name } }'},
        headers={"Accept": BROWSER},
    )
    # then: JSON, which the browser shows
    assert response.status_code == 200
    assert response.headers["content-type"] == JSON
    assert response.json() == GIFU
